/* vfio-handoff policy: the drop-ins `enable` writes and `disable` removes */
#pragma once

#include <glib.h>

#include "vh-policy.h"

G_BEGIN_DECLS

typedef struct {
    const VhPciDevice *device;
    const VhPciDevice *pf; /* an SR-IOV VF's PF, else NULL */
    char **domains;        /* NULL: any domain */
    const char *why; /* a comment line: the device's name */
    gboolean console_handoff; /* console-handoff=true */
    const char *vfio_driver;  /* vfio-driver=; NULL: auto (not written) */
} VhDropin;

/* CONFIG/conf.d/50-ADDRESS.conf */
char *vh_policy_dropin_path(const VhHost *host, const char *address);

/* The drop-in's text: [device ADDRESS], enabled, domains, the identity pinned now, and
 * console-handoff and vfio-driver when set. */
char *vh_policy_dropin_text(const VhDropin *dropin);

/*
 * Writes @text to @path atomically: a temporary file in the same directory (mode 0644),
 * fsync, rename over @path, fsync of the directory. Creates the directory when missing.
 */
gboolean vh_policy_write_atomic(const char *path, const char *text, GError **error);

G_END_DECLS
