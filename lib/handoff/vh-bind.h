/* vfio-handoff: moving one device between drivers — the only code that writes sysfs, or
 * records what it would write */
#pragma once

#include <glib.h>

#include "vh-host.h"
#include "vh-pci-address.h"

G_BEGIN_DECLS

/* One step of moving devices between drivers. */
typedef enum {
    VH_STEP_LOAD_MODULE,    /* load vfio-pci (libkmod): PATH is the module */
    VH_STEP_WRITE,          /* write VALUE to PATH */
    VH_STEP_VERIFY_LINK,    /* wait until PATH links to .../VALUE (VALUE NULL: until it is gone) */
    VH_STEP_VERIFY_NODE,    /* wait until PATH exists */
    VH_STEP_VERIFY_ANSWERS, /* read PATH (config space): the device must answer, its header
                             * not all ones, before it goes back to a host driver */
} VhStepKind;

typedef struct {
    VhStepKind kind;
    char *device; /* NULL for host-wide steps */
    char *path;
    char *value;
} VhStep;

void vh_step_free(VhStep *step);

/* "write 'vfio-pci' to /sys/bus/pci/devices/0000:01:00.0/driver_override" */
char *vh_step_describe(const VhStep *step);
const char *vh_step_kind_to_string(VhStepKind kind);

/* How the steps are carried out. */
typedef struct {
    guint timeout_ms; /* bound on each step (policy step-timeout) */
    GPtrArray *steps; /* VhStep *: when set, each step is recorded here and nothing is written or
                       * waited for ("record, don't write": the sequence `plan` prints) */
} VhWriter;

/*
 * One write of @value to @path (below the host's sysfs), done in a child process that keeps
 * no other file open: a write that hangs in the kernel is abandoned after the timeout
 * (VH_ERROR_TIMED_OUT) and the child left behind, so the caller never hangs and no lock stays
 * held. Errors carry the kernel's errno text. @device names the device for the record.
 */
gboolean vh_bind_write(const VhHost *host, const char *device, const char *path, const char *value,
                       const VhWriter *w, GError **error);

/* The driver bound to @address now (NULL when none), read from sysfs. */
char *vh_bind_current_driver(const VhHost *host, const char *address);

/* driver_override now, NULL when unset. */
char *vh_bind_current_override(const VhHost *host, const char *address);

/* Registers the vfio-pci driver when it is not (libkmod, on the real system only). */
gboolean vh_bind_ensure_vfio_pci(const VhHost *host, const VhWriter *w, GError **error);

/*
 * Hands @address to vfio-pci: override, unbind from its driver, probe, then verify the driver
 * link and /dev/vfio/@group (DESIGN §4). Each step is verified by reading sysfs back.
 */
gboolean vh_bind_detach(const VhHost *host, const char *address, int group, const VhWriter *w,
                        GError **error);

/*
 * Whether @address answers: its config space header does not read all ones (vendor ID 0xffff,
 * header type 0xff), which is what a device reads that did not come back from its reset (or
 * fell off the bus); an SR-IOV VF's vendor ID alone reads 0xffff by design. Not answering is
 * VH_ERROR_WEDGED, "does not answer after its reset: ..." with the reset methods it has;
 * config space that cannot be read is VH_ERROR_IO. Recorded as a step.
 */
gboolean vh_bind_check_answers(const VhHost *host, const char *address, const VhWriter *w,
                               GError **error);

/*
 * Gives @address back: unbind from vfio-pci, restore driver_override (@override, or clear it
 * with a newline), bind @driver (leave it unbound when NULL), verify.
 */
gboolean vh_bind_give_back(const VhHost *host, const char *address, const char *driver,
                           const char *override, const VhWriter *w, GError **error);

/*
 * Gives a parked @address (on vfio-pci, no record of its driver) back as libvirt's
 * nodedev-reattach does: clear driver_override, unbind from vfio-pci, let the kernel probe it.
 * *@driver gets the driver it lands on (NULL: none claims it). Fails when vfio-pci claims it
 * again (its ID is in vfio-pci's list: vfio-pci.ids= or new_id).
 */
gboolean vh_bind_reprobe(const VhHost *host, const char *address, const VhWriter *w, char **driver,
                         GError **error);

G_END_DECLS
