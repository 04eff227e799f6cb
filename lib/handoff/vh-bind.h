/* vfio-handoff: moving one device between drivers, step by step, each verified, through the
 * sysfs writer (vh-sysfs-writer.h) */
#pragma once

#include <glib.h>

#include "vh-host.h"
#include "vh-pci-address.h"
#include "vh-sysfs-writer.h"

G_BEGIN_DECLS

/* The driver bound to @address now (NULL when none), read from sysfs. */
char *vh_bind_current_driver(const VhHost *host, const char *address);

/* driver_override now, NULL when unset. */
char *vh_bind_current_override(const VhHost *host, const char *address);

/*
 * Hands @address to the VFIO driver @driver (vfio-pci or a variant, registered: vh-driver-load.h):
 * override, unbind from its driver, probe, then verify the driver link and /dev/vfio/@group
 * (DESIGN §4). Each step is verified by reading sysfs back. Nothing to do when it is on @driver.
 */
gboolean vh_bind_detach(const VhHost *host, const char *address, int group, const char *driver,
                        const VhWriter *w, GError **error);

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
 * Gives @address back: unbind from its VFIO driver (vfio-pci or a variant), restore
 * driver_override (@override, or clear it with a newline), bind @driver (leave it unbound when
 * NULL), verify.
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
