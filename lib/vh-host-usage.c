/* vfio-handoff: what the host itself depends on, traced to PCI devices */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "vh-error.h"
#include "vh-host-usage.h"
#include "vh-pci-address.h"
#include "vh-sysfs.h"

/* Stacked block and net devices nest only a few levels; the bound guards against loops. */
#define MAX_STACK_DEPTH 8
/* linux/if.h: IFF_UP */
#define VH_IFF_UP 0x1
/* mountinfo on a busy container host can be large */
#define MAX_PROC_FILE (4 * 1024 * 1024)

typedef struct {
    const VhHost *host;
    const VhInventory *inv;
    VhHostUsage *usage;
    GHashTable *seen;      /* "kind|device|subject" of uses already recorded */
    GHashTable *dev_names; /* devname -> sysfs dir, built on first need (fake trees) */
} Collector;

static void
vh_use_free(VhUse *use)
{
    g_free(use->device);
    g_free(use->subject);
    g_free(use->detail);
    g_free(use);
}

/* The PCI devices on the sysfs path of @path (after resolving links), nearest first. */
static GPtrArray *
pci_chain_of(const char *path)
{
    GPtrArray *chain = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *real = realpath(path, NULL);
    g_auto(GStrv) parts = NULL;

    if (real == NULL)
        return chain;
    parts = g_strsplit(real, "/", -1);
    for (int i = (int)g_strv_length(parts) - 1; i >= 0; i--) {
        if (vh_pci_address_is_valid(parts[i]))
            g_ptr_array_add(chain, g_strdup(parts[i]));
    }
    return chain;
}

static VhUse *
add_use(Collector *c, VhUseKind kind, const char *device, gboolean direct, const char *subject,
        const char *detail)
{
    g_autofree char *key = g_strdup_printf("%d|%s|%s", kind, device, subject);
    VhUse *use;
    GPtrArray *list;

    if (g_hash_table_contains(c->seen, key))
        return NULL;
    g_hash_table_add(c->seen, g_steal_pointer(&key));
    use = g_new0(VhUse, 1);
    use->kind = kind;
    use->device = g_strdup(device);
    use->direct = direct;
    use->subject = g_strdup(subject);
    use->detail = g_strdup(detail);
    g_ptr_array_add(c->usage->uses, use);
    list = g_hash_table_lookup(c->usage->by_device, device);
    if (list == NULL) {
        list = g_ptr_array_new();
        g_hash_table_insert(c->usage->by_device, g_strdup(device), list);
    }
    g_ptr_array_add(list, use);
    return use;
}

static void
add_chain(Collector *c, VhUseKind kind, GPtrArray *chain, const char *subject, const char *detail)
{
    for (guint i = 0; i < chain->len; i++)
        add_use(c, kind, g_ptr_array_index(chain, i), i == 0, subject, detail);
}

/* A block device (disk, partition, dm, md) to the controllers below it, through slaves/. */
static void
trace_block(Collector *c, const char *block_dir, VhUseKind kind, const char *subject,
            const char *detail, int depth)
{
    g_autoptr(GPtrArray) chain = pci_chain_of(block_dir);
    g_autofree char *slaves = g_build_filename(block_dir, "slaves", NULL);
    g_autoptr(GDir) dir = NULL;
    const char *name;

    add_chain(c, kind, chain, subject, detail);
    if (depth >= MAX_STACK_DEPTH || (dir = g_dir_open(slaves, 0, NULL)) == NULL)
        return;
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *rel = g_strconcat("class/block/", name, NULL);
        g_autofree char *path = vh_host_sysfs_path(c->host, rel);

        trace_block(c, path, kind, subject, detail, depth + 1);
    }
}

/* "/dev/mapper/root" -> "dm-0": follow links inside the host's /dev. */
static char *
dev_node_name(Collector *c, const char *node)
{
    g_autofree char *path = NULL;
    g_autofree char *real = NULL;

    if (!g_str_has_prefix(node, "/dev/"))
        return NULL;
    path = vh_host_dev_path(c->host, node + strlen("/dev/"));
    real = realpath(path, NULL);
    return g_path_get_basename(real != NULL ? real : path);
}

static void
trace_block_node(Collector *c, const char *node, VhUseKind kind, const char *detail)
{
    g_autofree char *name = dev_node_name(c, node);
    g_autofree char *rel = NULL;
    g_autofree char *path = NULL;

    if (name == NULL)
        return;
    rel = g_strconcat("class/block/", name, NULL);
    path = vh_host_sysfs_path(c->host, rel);
    trace_block(c, path, kind, node, detail, 0);
}

static void
trace_block_number(Collector *c, const char *majmin, const char *subject, VhUseKind kind,
                   const char *detail)
{
    g_autofree char *rel = g_strconcat("dev/block/", majmin, NULL);
    g_autofree char *path = vh_host_sysfs_path(c->host, rel);

    trace_block(c, path, kind, subject, detail, 0);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static char *
unescape_octal(const char *s)
{
    GString *out = g_string_sized_new(strlen(s));

    for (const char *p = s; *p != '\0'; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7' &&
            p[3] >= '0' && p[3] <= '7') {
            g_string_append_c(out, (char)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0')));
            p += 3;
        } else {
            g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}

typedef struct {
    char *majmin;
    char *mount_point;
    char *source;
} Mount;

static void
mount_free(Mount *m)
{
    g_free(m->majmin);
    g_free(m->mount_point);
    g_free(m->source);
    g_free(m);
}

/* proc(5): "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw" */
static GPtrArray *
read_mounts(Collector *c)
{
    GPtrArray *mounts = g_ptr_array_new_with_free_func((GDestroyNotify)mount_free);
    g_autofree char *path = vh_host_proc_path(c->host, "self/mountinfo");
    g_autofree char *text = vh_sysfs_read_big(path, MAX_PROC_FILE, NULL);
    g_auto(GStrv) lines = NULL;

    if (text == NULL)
        return mounts;
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], " ", -1);
        guint n = g_strv_length(f), sep;
        Mount *m;

        for (sep = 6; sep < n && g_strcmp0(f[sep], "-") != 0; sep++)
            ;
        if (n < 7 || sep + 2 >= n)
            continue;
        m = g_new0(Mount, 1);
        m->majmin = g_strdup(f[2]);
        m->mount_point = unescape_octal(f[4]);
        m->source = unescape_octal(f[sep + 2]);
        g_ptr_array_add(mounts, m);
    }
    return mounts;
}

static void
collect_mount(Collector *c, const Mount *m, VhUseKind kind, const char *detail)
{
    /* btrfs and other multi-device filesystems report an anonymous 0:N; use the source then */
    if (!g_str_has_prefix(m->majmin, "0:"))
        trace_block_number(c, m->majmin,
                           g_str_has_prefix(m->source, "/dev/") ? m->source : m->majmin, kind,
                           detail);
    else if (g_str_has_prefix(m->source, "/dev/"))
        trace_block_node(c, m->source, kind, detail);
}

static int
compare_mount_point_length(gconstpointer a, gconstpointer b)
{
    gsize la = strlen((*(Mount *const *)a)->mount_point);
    gsize lb = strlen((*(Mount *const *)b)->mount_point);

    return (la > lb) - (la < lb);
}

static void
collect_mounts_and_swaps(Collector *c)
{
    g_autoptr(GPtrArray) mounts = read_mounts(c);
    g_autofree char *path = vh_host_proc_path(c->host, "swaps");
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    /* shortest mount points first, so "/" names a device rather than a bind mount of it */
    g_ptr_array_sort(mounts, compare_mount_point_length);
    for (guint i = 0; i < mounts->len; i++) {
        Mount *m = g_ptr_array_index(mounts, i);

        collect_mount(c, m, VH_USE_MOUNT, m->mount_point);
    }

    /* proc(5) /proc/swaps: "Filename Type Size Used Priority" */
    text = vh_sysfs_read_big(path, MAX_PROC_FILE, NULL);
    if (text == NULL)
        return;
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 1; lines[i] != NULL; i++) {
        g_auto(GStrv) f = g_strsplit_set(lines[i], " \t", -1);
        g_autofree char *file = NULL;
        const char *type = NULL;
        Mount *best = NULL;

        for (guint j = 0; f[j] != NULL; j++) {
            if (f[j][0] == '\0')
                continue;
            if (file == NULL)
                file = unescape_octal(f[j]);
            else if (type == NULL)
                type = f[j];
        }
        if (file == NULL || type == NULL)
            continue;
        if (g_strcmp0(type, "file") != 0) {
            trace_block_node(c, file, VH_USE_SWAP, "swap");
            continue;
        }
        /* a swap file lives on the filesystem with the longest matching mount point */
        for (guint j = 0; j < mounts->len; j++) {
            Mount *m = g_ptr_array_index(mounts, j);
            gsize l = strlen(m->mount_point);

            if (g_str_has_prefix(file, m->mount_point) &&
                (l == 1 || file[l] == '/' || file[l] == '\0') &&
                (best == NULL || l >= strlen(best->mount_point)))
                best = m;
        }
        if (best != NULL) {
            g_autofree char *detail = g_strdup_printf("swap file %s", file);

            collect_mount(c, best, VH_USE_SWAP, detail);
        }
    }
}

/* A netdev to its NICs: a physical one is below its PCI device; a bridge, bond or VLAN has
 * lower_* links to the netdevs it is built on. */
static void
trace_net(Collector *c, const char *ifname, VhUseKind kind, const char *subject, int depth)
{
    g_autofree char *rel = g_strconcat("class/net/", ifname, NULL);
    g_autofree char *path = vh_host_sysfs_path(c->host, rel);
    g_autoptr(GPtrArray) chain = pci_chain_of(path);
    g_autoptr(GDir) dir = NULL;
    const char *name;

    if (chain->len > 0) {
        add_chain(c, kind, chain, ifname, g_strcmp0(ifname, subject) != 0 ? subject : NULL);
        return;
    }
    if (depth >= MAX_STACK_DEPTH || (dir = g_dir_open(path, 0, NULL)) == NULL)
        return;
    while ((name = g_dir_read_name(dir)) != NULL) {
        if (g_str_has_prefix(name, "lower_"))
            trace_net(c, name + strlen("lower_"), kind, subject, depth + 1);
    }
}

/* proc(5) /proc/net/route: "Iface Destination Gateway Flags RefCnt Use Metric Mask ..." and
 * /proc/net/ipv6_route: "dest plen src splen nexthop metric refcnt use flags iface". */
static void
read_routes(Collector *c, GHashTable *addressed, GPtrArray *defaults)
{
    g_autofree char *p4 = vh_host_proc_path(c->host, "net/route");
    g_autofree char *p6 = vh_host_proc_path(c->host, "net/ipv6_route");
    g_autofree char *t4 = vh_sysfs_read_big(p4, MAX_PROC_FILE, NULL);
    g_autofree char *t6 = vh_sysfs_read_big(p6, MAX_PROC_FILE, NULL);
    g_auto(GStrv) l4 = g_strsplit(t4 != NULL ? t4 : "", "\n", -1);
    g_auto(GStrv) l6 = g_strsplit(t6 != NULL ? t6 : "", "\n", -1);

    for (guint i = 1; l4[i] != NULL; i++) {
        g_auto(GStrv) f = g_strsplit_set(l4[i], " \t", -1);
        g_autoptr(GPtrArray) v = g_ptr_array_new();

        for (guint j = 0; f[j] != NULL; j++) {
            if (f[j][0] != '\0')
                g_ptr_array_add(v, f[j]);
        }
        if (v->len < 8 || g_strcmp0(g_ptr_array_index(v, 0), "lo") == 0)
            continue;
        g_hash_table_add(addressed, g_strdup(g_ptr_array_index(v, 0)));
        if (g_strcmp0(g_ptr_array_index(v, 1), "00000000") == 0 &&
            g_strcmp0(g_ptr_array_index(v, 7), "00000000") == 0)
            g_ptr_array_add(defaults, g_strdup(g_ptr_array_index(v, 0)));
    }
    for (guint i = 0; l6[i] != NULL; i++) {
        g_auto(GStrv) f = g_strsplit_set(l6[i], " \t", -1);
        g_autoptr(GPtrArray) v = g_ptr_array_new();
        guint64 flags;

        for (guint j = 0; f[j] != NULL; j++) {
            if (f[j][0] != '\0')
                g_ptr_array_add(v, f[j]);
        }
        if (v->len < 10 || g_strcmp0(g_ptr_array_index(v, 9), "lo") == 0)
            continue;
        /* linux/ipv6_route.h: RTF_REJECT 0x0200 (unreachable routes name lo anyway) */
        flags = g_ascii_strtoull(g_ptr_array_index(v, 8), NULL, 16);
        if (flags & 0x0200)
            continue;
        if (g_strcmp0(g_ptr_array_index(v, 0), "00000000000000000000000000000000") == 0 &&
            g_strcmp0(g_ptr_array_index(v, 1), "00") == 0)
            g_ptr_array_add(defaults, g_strdup(g_ptr_array_index(v, 9)));
    }
}

/* proc(5) /proc/net/if_inet6: "address ifindex plen scope flags name"; scope 00 is global. */
static void
read_ipv6_addresses(Collector *c, GHashTable *addressed)
{
    g_autofree char *path = vh_host_proc_path(c->host, "net/if_inet6");
    g_autofree char *text = vh_sysfs_read_big(path, MAX_PROC_FILE, NULL);
    g_auto(GStrv) lines = g_strsplit(text != NULL ? text : "", "\n", -1);

    for (guint i = 0; lines[i] != NULL; i++) {
        g_auto(GStrv) f = g_strsplit_set(lines[i], " \t", -1);
        g_autoptr(GPtrArray) v = g_ptr_array_new();

        for (guint j = 0; f[j] != NULL; j++) {
            if (f[j][0] != '\0')
                g_ptr_array_add(v, f[j]);
        }
        if (v->len >= 6 && g_strcmp0(g_ptr_array_index(v, 3), "00") == 0 &&
            g_strcmp0(g_ptr_array_index(v, 5), "lo") != 0)
            g_hash_table_add(addressed, g_strdup(g_ptr_array_index(v, 5)));
    }
}

static void
collect_network(Collector *c)
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

/* Documentation/driver-api/console.rst: a bound vtcon named "frame buffer device" is fbcon. */
static gboolean
fbcon_bound(Collector *c)
{
    g_autofree char *dir_path = vh_host_sysfs_path(c->host, "class/vtconsole");
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
    const char *name;

    if (dir == NULL)
        return FALSE;
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *np = g_build_filename(dir_path, name, "name", NULL);
        g_autofree char *bp = g_build_filename(dir_path, name, "bind", NULL);
        g_autofree char *vname = vh_sysfs_read(np, NULL);
        gint64 bound = 0;

        if (vname != NULL && strstr(vname, "frame buffer") != NULL &&
            vh_sysfs_read_int(bp, &bound, NULL) && bound == 1)
            return TRUE;
    }
    return FALSE;
}

static void
collect_console(Collector *c)
{
    g_autofree char *fb = vh_host_sysfs_path(c->host, "class/graphics/fb0");
    g_autofree char *name_path = g_build_filename(fb, "name", NULL);
    g_autofree char *fb_name = NULL;
    g_autofree char *subject = NULL;
    g_autoptr(GPtrArray) chain = NULL;

    if (!vh_sysfs_exists(fb) || !fbcon_bound(c))
        return;
    fb_name = vh_sysfs_read(name_path, NULL);
    subject = fb_name != NULL ? g_strdup_printf("fb0 (%s)", fb_name) : g_strdup("fb0");
    chain = pci_chain_of(fb);
    if (chain->len > 0) {
        add_chain(c, VH_USE_CONSOLE, chain, subject, NULL);
        return;
    }
    /* efifb, vesafb, simpledrm: a platform framebuffer on whatever the firmware booted on */
    for (guint i = 0; c->inv != NULL && i < c->inv->devices->len; i++) {
        VhPciDevice *dev = g_ptr_array_index(c->inv->devices, i);

        if (dev->boot_vga == 1)
            add_use(c, VH_USE_CONSOLE, dev->name, TRUE, subject, NULL);
    }
}

/* Device nodes that never belong to a PCI device: not worth resolving. */
static gboolean
is_plain_node(const char *node)
{
    static const char *const plain[] = {"/dev/null", "/dev/zero",    "/dev/full",
                                        "/dev/random", "/dev/urandom", "/dev/tty",
                                        "/dev/ptmx", "/dev/console", "/dev/kmsg", NULL};

    if (g_str_has_prefix(node, "/dev/pts/") || g_str_has_prefix(node, "/dev/shm/"))
        return TRUE;
    return g_strv_contains(plain, node);
}

/* devname (from each device's uevent) -> its sysfs dir; used where a node is no real device
 * file (a fake tree) */
static GHashTable *
dev_names(Collector *c)
{
    static const char *const kinds[] = {"dev/char", "dev/block"};

    if (c->dev_names != NULL)
        return c->dev_names;
    c->dev_names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
        g_autofree char *dir_path = vh_host_sysfs_path(c->host, kinds[k]);
        g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
        const char *name;

        while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
            g_autofree char *uevent = g_build_filename(dir_path, name, "uevent", NULL);
            g_autofree char *text = vh_sysfs_read(uevent, NULL);
            const char *p = text != NULL ? strstr(text, "DEVNAME=") : NULL;

            if (p != NULL) {
                const char *end = strchr(p, '\n');
                char *devname = end != NULL ? g_strndup(p + 8, (gsize)(end - p - 8))
                                            : g_strdup(p + 8);

                g_hash_table_replace(c->dev_names, devname, g_build_filename(dir_path, name, NULL));
            }
        }
    }
    return c->dev_names;
}

/* The sysfs dir of the device behind a node: by its device number, else by its devname. */
static char *
node_sysfs_dir(Collector *c, const char *node)
{
    g_autofree char *path = vh_host_dev_path(c->host, node + strlen("/dev/"));
    struct stat st;

    if (stat(path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
        g_autofree char *rel = g_strdup_printf("dev/%s/%u:%u", S_ISCHR(st.st_mode) ? "char" : "block",
                                               major(st.st_rdev), minor(st.st_rdev));

        return vh_host_sysfs_path(c->host, rel);
    }
    return g_strdup(g_hash_table_lookup(dev_names(c), node + strlen("/dev/")));
}

static void
attribute_node(Collector *c, const char *node, const char *holder, int pid)
{
    VhUse *use;

    g_autofree char *dir = NULL;
    g_autoptr(GPtrArray) chain = NULL;
    int group;

    /* /dev/vfio/N is a whole IOMMU group: a VM (or another vfio user) holds every member */
    if (g_str_has_prefix(node, "/dev/vfio/") && (group = atoi(node + strlen("/dev/vfio/"))) >= 0 &&
        g_ascii_isdigit(node[strlen("/dev/vfio/")]) && c->inv != NULL) {
        VhIommuGroup *g = g_hash_table_lookup(c->inv->group_by_number, GINT_TO_POINTER(group));

        for (guint i = 0; g != NULL && i < g->members->len; i++) {
            VhPciDevice *dev = g_ptr_array_index(g->members, i);

            if ((use = add_use(c, VH_USE_OPEN_NODE, dev->name, TRUE, node, holder)) != NULL)
                use->pid = pid;
        }
        return;
    }
    dir = node_sysfs_dir(c, node);
    if (dir == NULL)
        return;
    chain = pci_chain_of(dir);
    /* a node in use pins the device that owns it, not the bridges above */
    if (chain->len > 0 &&
        (use = add_use(c, VH_USE_OPEN_NODE, g_ptr_array_index(chain, 0), TRUE, node, holder)))
        use->pid = pid;
}

static void
collect_open_nodes(Collector *c)
{
    g_autoptr(GDir) proc = g_dir_open(c->host->proc, 0, NULL);
    const char *pid;

    if (proc == NULL)
        return;
    while ((pid = g_dir_read_name(proc)) != NULL) {
        g_autofree char *fd_path = NULL;
        g_autofree char *comm_path = NULL;
        g_autofree char *comm = NULL;
        g_autoptr(GDir) fds = NULL;
        g_autoptr(GError) error = NULL;
        const char *fd;

        if (!g_ascii_isdigit(pid[0]))
            continue;
        fd_path = g_build_filename(c->host->proc, pid, "fd", NULL);
        fds = g_dir_open(fd_path, 0, &error);
        if (fds == NULL) {
            if (g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_ACCES))
                c->usage->processes_complete = FALSE;
            continue;
        }
        while ((fd = g_dir_read_name(fds)) != NULL) {
            g_autofree char *link = g_build_filename(fd_path, fd, NULL);
            g_autofree char *target = vh_sysfs_read_link(link, NULL);
            g_autofree char *holder = NULL;

            if (target == NULL || !g_str_has_prefix(target, "/dev/") || is_plain_node(target))
                continue;
            if (comm == NULL) {
                comm_path = g_build_filename(c->host->proc, pid, "comm", NULL);
                comm = vh_sysfs_read(comm_path, NULL);
            }
            holder = g_strdup_printf("%s (pid %s)", comm != NULL ? comm : "?", pid);
            attribute_node(c, target, holder, atoi(pid));
        }
    }
}

VhHostUsage *
vh_host_usage_collect(const VhHost *host, const VhInventory *inv, GError **error)
{
    Collector c = {.host = host, .inv = inv};

    c.usage = g_new0(VhHostUsage, 1);
    c.usage->uses = g_ptr_array_new_with_free_func((GDestroyNotify)vh_use_free);
    c.usage->by_device = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify)g_ptr_array_unref);
    c.usage->processes_complete = TRUE;
    c.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    collect_mounts_and_swaps(&c);
    collect_network(&c);
    collect_console(&c);
    collect_open_nodes(&c);

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
