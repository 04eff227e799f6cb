/* vfio-handoff CLI: adding and removing a domain's hostdevs through libvirt (add, remove) */
#pragma once

#include <glib.h>

#include "vh-cli.h"
#include "vh-libvirt.h"

G_BEGIN_DECLS

typedef struct {
    char **devices;   /* DEVICE arguments: addresses or vendor:device IDs */
    gboolean only;    /* add: just the devices named, not their IOMMU group companions */
    gboolean all;     /* remove: every device vfio-handoff added */
    gboolean dry_run; /* define nothing */
    gboolean live;    /* change the running domain (hot-plug): vh-hostdev-live.h */
    gboolean config;  /* change the persistent definition (the default, unless --live alone) */
    guint timeout_s;  /* remove --live: how long the guest has to let go of a device */
} VhHostdevRequest;

typedef struct {
    const char *verb;    /* "add" or "remove": the change made */
    char *domain;        /* the domain's name */
    char *before;        /* its persistent definition, as libvirt gave it */
    char *after;         /* the definition after the change (the same when nothing changed) */
    GPtrArray *changes;  /* char *: what changed, one sentence each */
    GPtrArray *notes;    /* char *: what was left as it is, and why */
    GPtrArray *warnings; /* char *: what the hook would still refuse at start today */
    gboolean defined;    /* the new definition was given to libvirt */
    gboolean live;       /* the changes were made to the running domain (hot-plug) */
} VhHostdevResult;

/* An empty result of @verb for @domain (its changes, notes and warnings empty). */
VhHostdevResult *vh_hostdev_result_new(const char *verb, const char *domain);

void vh_hostdev_result_free(VhHostdevResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhHostdevResult, vh_hostdev_result_free)

/*
 * `add`: refuses a running or transient domain; resolves the devices (with their IOMMU group's
 * other endpoints unless @req->only); edits the persistent definition (inactive, secure) with
 * the memory settings the policy asks for; checks the edited domain against the policy as the
 * hook will at start (refusing what cannot change by then: not enabled, another domain's,
 * identity, host-critical, past the domain's limit); and defines it with validation, unless
 * @req->dry_run. Nothing is defined on any error.
 */
VhHostdevResult *vh_hostdev_add(const VhLibvirt *lv, virConnectPtr conn, const VhCliView *view,
                                const char *domain, const VhHostdevRequest *req, GError **error);

/* `remove`: the reverse of add, undoing exactly what it recorded. @view (may be NULL)
 * resolves vendor:device IDs; an address needs no host, as the hardware may be gone. */
VhHostdevResult *vh_hostdev_remove(const VhLibvirt *lv, virConnectPtr conn, const VhCliView *view,
                                   const char *domain, const VhHostdevRequest *req, GError **error);

/* A change of a domain's hostdevs: vh_hostdev_add or vh_hostdev_remove. */
typedef VhHostdevResult *(*VhHostdevChange)(const VhLibvirt *lv, virConnectPtr conn,
                                            const VhCliView *view, const char *domain,
                                            const VhHostdevRequest *req, GError **error);

/*
 * The verbs: connects to @uri (NULL: libvirt's default), makes the @change, and reports on
 * stdout (with --dry-run the unified diff, else what changed) and stderr (errors, notes,
 * warnings). Returns the exit status.
 */
int vh_hostdev_command(VhHostdevChange change, const char *uri, const VhCliView *view,
                       const char *domain, const VhHostdevRequest *req);

G_END_DECLS
