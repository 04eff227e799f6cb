/* vfio-handoff: moving one device between drivers — the only code that writes sysfs */
#pragma once

#include <glib.h>

#include "vh-host.h"
#include "vh-pci-address.h"

G_BEGIN_DECLS

typedef struct {
    guint timeout_ms; /* bound on each step (policy step-timeout) */
    int close_fd;     /* closed in each writer child (the journal lock), or -1 */
} VhBindOptions;

/*
 * One write of @value to @path (below the host's sysfs), done in a child process: a write
 * that hangs in the kernel is abandoned after the timeout (VH_ERROR_TIMED_OUT) and the child
 * left behind, so the caller never hangs. Errors carry the kernel's errno text.
 */
gboolean vh_bind_write(const VhHost *host, const char *path, const char *value,
                       const VhBindOptions *opts, GError **error);

/* The driver bound to @address now (NULL when none), read from sysfs. */
char *vh_bind_current_driver(const VhHost *host, const char *address);

/* driver_override now, NULL when unset. */
char *vh_bind_current_override(const VhHost *host, const char *address);

/* Registers the vfio-pci driver when it is not (libkmod, on the real system only). */
gboolean vh_bind_ensure_vfio_pci(const VhHost *host, const VhBindOptions *opts, GError **error);

/*
 * Hands @address to vfio-pci: override, unbind from its driver, probe, then verify the driver
 * link and /dev/vfio/@group (DESIGN §4). Each step is verified by reading sysfs back.
 */
gboolean vh_bind_detach(const VhHost *host, const char *address, int group,
                        const VhBindOptions *opts, GError **error);

/*
 * Gives @address back: unbind from vfio-pci, restore driver_override (@override, or clear it
 * with a newline), bind @driver (leave it unbound when NULL), verify.
 */
gboolean vh_bind_give_back(const VhHost *host, const char *address, const char *driver,
                           const char *override, const VhBindOptions *opts, GError **error);

G_END_DECLS
