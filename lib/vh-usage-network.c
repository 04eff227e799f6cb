/* vfio-handoff: the host's default routes and addressed interfaces, traced through bridges,
 * bonds and VLANs to their NICs */
#include "config.h"

#include <string.h>

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

/* The fields of a /proc/net line, split at runs of blanks; *n of them. */
static char **
fields(const char *line, guint *n)
{
    char **f = g_strsplit_set(line, " \t", -1);
    guint k = 0;

    for (guint j = 0; f[j] != NULL; j++) {
        if (f[j][0] != '\0')
            f[k++] = f[j];
        else
            g_free(f[j]);
    }
    f[k] = NULL;
    *n = k;
    return f;
}

/* proc(5) /proc/net/route: "Iface Destination Gateway Flags RefCnt Use Metric Mask ..." and
 * /proc/net/ipv6_route: "dest plen src splen nexthop metric refcnt use flags iface". */
static void
read_routes(VhUsageCollector *c, GHashTable *addressed, GPtrArray *defaults)
{
    g_autofree char *p4 = vh_usage_host_proc_path(c, "net", "net/route");
    g_autofree char *p6 = vh_usage_host_proc_path(c, "net", "net/ipv6_route");
    g_autofree char *t4 = vh_sysfs_read_big(p4, VH_USAGE_MAX_PROC_FILE, NULL);
    g_autofree char *t6 = vh_sysfs_read_big(p6, VH_USAGE_MAX_PROC_FILE, NULL);
    g_auto(GStrv) l4 = g_strsplit(t4 != NULL ? t4 : "", "\n", -1);
    g_auto(GStrv) l6 = g_strsplit(t6 != NULL ? t6 : "", "\n", -1);

    for (guint i = 1; l4[i] != NULL; i++) {
        guint n;
        g_auto(GStrv) v = fields(l4[i], &n);

        if (n < 8 || g_strcmp0(v[0], "lo") == 0)
            continue;
        g_hash_table_add(addressed, g_strdup(v[0]));
        if (g_strcmp0(v[1], "00000000") == 0 && g_strcmp0(v[7], "00000000") == 0)
            g_ptr_array_add(defaults, g_strdup(v[0]));
    }
    for (guint i = 0; l6[i] != NULL; i++) {
        guint n;
        g_auto(GStrv) v = fields(l6[i], &n);
        guint64 flags;

        if (n < 10 || g_strcmp0(v[9], "lo") == 0)
            continue;
        /* linux/ipv6_route.h: RTF_REJECT 0x0200 (unreachable routes name lo anyway) */
        flags = g_ascii_strtoull(v[8], NULL, 16);
        if (flags & 0x0200)
            continue;
        if (g_strcmp0(v[0], "00000000000000000000000000000000") == 0 && g_strcmp0(v[1], "00") == 0)
            g_ptr_array_add(defaults, g_strdup(v[9]));
    }
}

/* proc(5) /proc/net/if_inet6: "address ifindex plen scope flags name"; scope 00 is global. */
static void
read_ipv6_addresses(VhUsageCollector *c, GHashTable *addressed)
{
    g_autofree char *path = vh_usage_host_proc_path(c, "net", "net/if_inet6");
    g_autofree char *text = vh_sysfs_read_big(path, VH_USAGE_MAX_PROC_FILE, NULL);
    g_auto(GStrv) lines = g_strsplit(text != NULL ? text : "", "\n", -1);

    for (guint i = 0; lines[i] != NULL; i++) {
        guint n;
        g_auto(GStrv) v = fields(lines[i], &n);

        if (n >= 6 && g_strcmp0(v[3], "00") == 0 && g_strcmp0(v[5], "lo") != 0)
            g_hash_table_add(addressed, g_strdup(v[5]));
    }
}

void
vh_usage_collect_network(VhUsageCollector *c)
{
    g_autoptr(GHashTable) addressed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) defaults = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer key;

    read_routes(c, addressed, defaults);
    read_ipv6_addresses(c, addressed);
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
