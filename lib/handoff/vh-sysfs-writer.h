/* vfio-handoff: the only code that writes kernel files — in a child process, so that a write
 * the kernel never finishes cannot hang the hook — or records what it would write */
#pragma once

#include <glib.h>

#include "vh-host.h"

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
gboolean vh_writer_write(const VhHost *host, const char *device, const char *path,
                         const char *value, const VhWriter *w, GError **error);

/* Records a step in w->steps (a recording writer). */
void vh_step_record(const VhWriter *w, VhStepKind kind, const char *device, const char *path,
                    const char *value);

/*
 * The writes of one device, made one after the other by one child process (forked at the
 * first write, so a device's whole sequence costs one fork). After a write hangs, the child is
 * left behind and every later write of the session fails at once.
 */
typedef struct VhWriteSession VhWriteSession;

VhWriteSession *vh_write_session_new(const VhHost *host, const VhWriter *w);
gboolean vh_write_session_write(VhWriteSession *s, const char *device, const char *path,
                                const char *value, GError **error);
void vh_write_session_free(VhWriteSession *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhWriteSession, vh_write_session_free)

G_END_DECLS
