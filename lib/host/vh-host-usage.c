/* vfio-handoff: what the host itself depends on, traced to PCI devices: the record of uses;
 * each kind is collected in its own file (lib/host/vh-usage-*.c), with what they share in
 * vh-usage-collector.c */
#include "config.h"

#include <string.h>

#include "vh-host-usage.h"
#include "vh-usage-collector.h"

static void
vh_use_free(VhUse *use)
{
    g_free(use->device);
    g_free(use->subject);
    g_free(use->detail);
    g_free(use);
}

VhHostUsage *
vh_host_usage_collect(const VhHost *host, const VhInventory *inv, GError **error)
{
    VhUsageCollector c = {.host = host, .inv = inv};

    c.usage = g_new0(VhHostUsage, 1);
    c.usage->uses = g_ptr_array_new_with_free_func((GDestroyNotify)vh_use_free);
    c.usage->by_device = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify)g_ptr_array_unref);
    c.usage->processes_complete = TRUE;
    c.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    vh_usage_collect_storage(&c);
    vh_usage_collect_network(&c);
    vh_usage_collect_console(&c);
    vh_usage_collect_open_nodes(&c);

    g_hash_table_unref(c.seen);
    if (c.dev_names != NULL)
        g_hash_table_unref(c.dev_names);
    return c.usage;
}

void
vh_host_usage_free(VhHostUsage *usage)
{
    if (usage == NULL)
        return;
    g_hash_table_unref(usage->by_device);
    g_ptr_array_unref(usage->uses);
    g_free(usage);
}

GPtrArray *
vh_host_usage_for(const VhHostUsage *usage, const char *device)
{
    return g_hash_table_lookup(usage->by_device, device);
}

char *
vh_use_describe(const VhUse *use)
{
    switch (use->kind) {
    case VH_USE_MOUNT:
        return g_strdup_printf("%s is mounted at %s", use->subject, use->detail);
    case VH_USE_SWAP:
        if (g_strcmp0(use->detail, "swap") == 0)
            return g_strdup_printf("%s is active swap", use->subject);
        return g_strdup_printf("%s on %s is active", use->detail, use->subject);
    case VH_USE_DEFAULT_ROUTE:
        if (use->detail != NULL)
            return g_strdup_printf("%s carries the default route (through %s)", use->subject,
                                   use->detail);
        return g_strdup_printf("%s carries the default route", use->subject);
    case VH_USE_CONSOLE:
        return g_strdup_printf("the framebuffer console is on %s", use->subject);
    case VH_USE_OPEN_NODE:
        return g_strdup_printf("%s is open by %s", use->subject, use->detail);
    case VH_USE_NETDEV_UP:
        if (use->detail != NULL)
            return g_strdup_printf("%s is up with an address (through %s)", use->subject,
                                   use->detail);
        return g_strdup_printf("%s is up with an address", use->subject);
    }
    g_assert_not_reached();
}

const char *
vh_use_kind_to_string(VhUseKind kind)
{
    switch (kind) {
    case VH_USE_MOUNT:
        return "mount";
    case VH_USE_SWAP:
        return "swap";
    case VH_USE_DEFAULT_ROUTE:
        return "default-route";
    case VH_USE_CONSOLE:
        return "console";
    case VH_USE_OPEN_NODE:
        return "open-node";
    case VH_USE_NETDEV_UP:
        return "netdev-up";
    }
    g_assert_not_reached();
}
