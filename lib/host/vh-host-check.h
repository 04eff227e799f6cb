/* vfio-handoff: can this host do PCI passthrough at all — each item with its fix */
#pragma once

#include <glib.h>

#include "vh-host.h"

G_BEGIN_DECLS

/* The name the hook is installed under in libvirt's qemu.d (DESIGN §4). */
#define VH_HOOK_NAME "50-vfio-handoff"

typedef enum {
    VH_CHECK_PASS,
    VH_CHECK_WARN, /* passthrough works, but something the workflow needs is missing */
    VH_CHECK_FAIL, /* passthrough is impossible until fixed */
} VhCheckStatus;

typedef struct {
    const char *id;       /* stable, for scripts: "iommu-firmware", ... */
    VhCheckStatus status;
    char *summary;        /* what was found */
    char *fix;            /* what to do; NULL on pass */
} VhCheckItem;

/* An item (taking @summary and @fix, which is NULL on pass); what check's other items (the
 * policy's, libvirt's) are made with too. */
VhCheckItem *vh_check_item_new(const char *id, VhCheckStatus status, char *summary, char *fix);
void vh_check_item_free(VhCheckItem *item);

/* Runs every check against the host's roots; read-only. Returns VhCheckItem *, in order. */
GPtrArray *vh_host_check_run(const VhHost *host);

/* FALSE when any item failed. */
gboolean vh_host_check_passthrough_possible(const GPtrArray *items);

const char *vh_check_status_to_string(VhCheckStatus status);

G_END_DECLS
