/* vfio-handoff: what the collectors of host usage share (lib/host/vh-usage-*.c, and
 * vh-usage-collector.c, which calls none of them); private to lib/ */
#pragma once

#include <glib.h>

#include "vh-host-usage.h"

G_BEGIN_DECLS

/* Stacked block and net devices nest only a few levels; the bound guards against loops. */
#define VH_USAGE_MAX_STACK_DEPTH 8
/* mountinfo on a busy container host can be large */
#define VH_USAGE_MAX_PROC_FILE (4 * 1024 * 1024)

typedef struct {
    const VhHost *host;
    const VhInventory *inv;
    VhHostUsage *usage;
    GHashTable *seen;      /* "kind|device|subject" of uses already recorded */
    GHashTable *dev_names; /* devname -> sysfs dir, built on first need (fake trees) */
} VhUsageCollector;

/* /proc/self/@rel, or /proc/1/@rel when PID 1 lives in another @ns namespace ("mnt", "net")
 * than the caller and its file can be read: inside a container or a chroot, the host's own
 * mounts and routes are PID 1's. */
char *vh_usage_host_proc_path(const VhUsageCollector *c, const char *ns, const char *rel);

/* The PCI devices on the sysfs path of @path (after resolving links), nearest first. */
GPtrArray *vh_usage_pci_chain_of(const char *path);

/* Records a use of @device, once; NULL when it was recorded already. */
VhUse *vh_usage_add(VhUsageCollector *c, VhUseKind kind, const char *device, gboolean direct,
                    const char *subject, const char *detail);

/* Records a use of the GPU in whose memory the firmware framebuffer @path (a sysfs path below
 * it: its fb, its DRM card) lies, by vh_console_platform_fb_on (vh-usage-console.c); nothing
 * when @path is below no platform device. */
void vh_usage_add_platform_fb(VhUsageCollector *c, VhUseKind kind, const char *path,
                              const char *subject, const char *detail, int pid);

/* Records a use of every device of @chain, the first one direct. */
void vh_usage_add_chain(VhUsageCollector *c, VhUseKind kind, GPtrArray *chain, const char *subject,
                        const char *detail);

/* The collectors, one per kind of dependence. */
void vh_usage_collect_storage(VhUsageCollector *c);    /* mounts and swaps (vh-usage-storage.c) */
void vh_usage_collect_network(VhUsageCollector *c);    /* routes, addresses (vh-usage-network.c) */
void vh_usage_collect_console(VhUsageCollector *c);    /* the fb console (vh-usage-console.c) */
void vh_usage_collect_open_nodes(VhUsageCollector *c); /* open device nodes (vh-usage-nodes.c) */

G_END_DECLS
