/* vfio-handoff: the host's default routes (of every routing table) and addressed interfaces,
 * traced through bridges, bonds and VLANs to their NICs */
#include "config.h"

#include <string.h>

#include "vh-netlink.h"
#include "vh-sysfs.h"
#include "vh-usage-collector.h"

/* linux/if.h: IFF_UP */
#define VH_IFF_UP 0x1

/* A netdev to its NICs: a physical one is below its PCI device; a bridge, bond or VLAN has
 * lower_* links to the netdevs it is built on. */
static void
trace_net(VhUsageCollector *c, const char *ifname, VhUseKind kind, const char *subject, int depth)
{
    g_autofree char *rel = g_strconcat("class/net/", ifname, NULL);
    g_autofree char *path = vh_host_sysfs_path(c->host, rel);
    g_autoptr(GPtrArray) chain = vh_usage_pci_chain_of(path);
    g_autoptr(GDir) dir = NULL;
    const char *name;

    if (chain->len > 0) {
        vh_usage_add_chain(c, kind, chain, ifname,
                           g_strcmp0(ifname, subject) != 0 ? subject : NULL);
        return;
    }
    if (depth >= VH_USAGE_MAX_STACK_DEPTH || (dir = g_dir_open(path, 0, NULL)) == NULL)
        return;
    while ((name = g_dir_read_name(dir)) != NULL) {
        if (g_str_has_prefix(name, "lower_"))
            trace_net(c, name + strlen("lower_"), kind, subject, depth + 1);
    }
}

void
vh_usage_collect_network(VhUsageCollector *c)
{
    g_autoptr(GHashTable) addressed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) defaults = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) entries = vh_netlink_dump(c->host, NULL);
    GHashTableIter it;
    gpointer key;

    /* rtnetlink: the default routes of every table (policy routing, VRFs), IPv4 and IPv6, and
     * the global addresses; in the caller's network namespace (a hook runs in the host's) */
    if (entries != NULL)
        vh_netlink_defaults_and_addressed(entries, defaults, addressed);
    for (guint i = 0; i < defaults->len; i++) {
        const char *ifname = g_ptr_array_index(defaults, i);

        trace_net(c, ifname, VH_USE_DEFAULT_ROUTE, ifname, 0);
    }
    g_hash_table_iter_init(&it, addressed);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        g_autofree char *rel = g_strconcat("class/net/", (char *)key, "/flags", NULL);
        g_autofree char *path = vh_host_sysfs_path(c->host, rel);
        gint64 flags;

        if (vh_sysfs_read_int(path, &flags, NULL) && (flags & VH_IFF_UP))
            trace_net(c, key, VH_USE_NETDEV_UP, key, 0);
    }
}
