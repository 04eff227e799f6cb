/* Test bed: builds a host tree from a scenario file */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vh-fake-tree.h"
#include "vh-pci-address.h"

typedef struct {
    GKeyFile *kf;
    char *root;
    char *sys;
    GHashTable *device_dirs; /* BDF -> dir below sys ("devices/pci0000:00/0000:00:01.0") */
    GHashTable *block_dirs;  /* block name -> dir below sys */
    GHashTable *block_devs;  /* block name -> "MAJ:MIN" */
    GHashTable *net_dirs;    /* netdev -> dir below sys */
    GHashTable *drivers;     /* driver names to register */
    GString *native;         /* .fake/native: "BDF driver" lines */
} Builder;

static gboolean
write_at(const char *base, const char *rel, const void *data, gssize len, GError **error)
{
    g_autofree char *path = g_build_filename(base, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(path);

    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "mkdir %s: %s", dir,
                    g_strerror(errno));
        return FALSE;
    }
    return g_file_set_contents(path, data, len < 0 ? (gssize)strlen(data) : len, error);
}

G_GNUC_PRINTF(4, 5)
static gboolean
put(const char *base, const char *rel, GError **error, const char *fmt, ...)
{
    g_autofree char *text = NULL;
    va_list ap;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return write_at(base, rel, text, -1, error);
}

static gboolean
mkdirs(const char *base, const char *rel, GError **error)
{
    g_autofree char *path = g_build_filename(base, rel, NULL);

    if (g_mkdir_with_parents(path, 0755) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "mkdir %s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

/* A relative symlink at @link (below @base) to @target (below @base), as sysfs makes them. */
static gboolean
link_at(const char *base, const char *link, const char *target, GError **error)
{
    g_autofree char *path = g_build_filename(base, link, NULL);
    g_autofree char *dir = g_path_get_dirname(path);
    g_autoptr(GString) rel = g_string_new(NULL);

    for (const char *p = link; *p != '\0'; p++) {
        if (*p == '/')
            g_string_append(rel, "../");
    }
    g_string_append(rel, target);
    if (g_mkdir_with_parents(dir, 0755) != 0 || (symlink(rel->str, path) != 0 && errno != EEXIST)) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "symlink %s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

static char *
get(Builder *b, const char *group, const char *key)
{
    return g_key_file_get_string(b->kf, group, key, NULL);
}

static guint
get_hex(Builder *b, const char *group, const char *key, guint fallback)
{
    g_autofree char *s = get(b, group, key);

    return s != NULL ? (guint)g_ascii_strtoull(s, NULL, 16) : fallback;
}

static gboolean
get_bool(Builder *b, const char *group, const char *key, gboolean fallback)
{
    g_autoptr(GError) error = NULL;
    gboolean v = g_key_file_get_boolean(b->kf, group, key, &error);

    return error != NULL ? fallback : v;
}

static char **
get_list(Builder *b, const char *group, const char *key)
{
    char **v = g_key_file_get_string_list(b->kf, group, key, NULL, NULL);

    return v != NULL ? v : g_new0(char *, 1);
}

/* ---- PCI devices ---------------------------------------------------------------------- */

static const char *
device_dir(Builder *b, const char *bdf)
{
    g_autofree char *group = g_strconcat("device ", bdf, NULL);
    g_autofree char *parent = NULL;
    char *dir;
    VhPciAddress addr;

    dir = g_hash_table_lookup(b->device_dirs, bdf);
    if (dir != NULL)
        return dir;
    parent = get(b, group, "parent");
    if (parent != NULL && g_strcmp0(parent, bdf) != 0) {
        g_autofree char *pgroup = g_strconcat("device ", parent, NULL);

        if (g_key_file_has_group(b->kf, pgroup))
            dir = g_strconcat(device_dir(b, parent), "/", bdf, NULL);
    }
    if (dir == NULL) {
        if (!vh_pci_address_parse(bdf, &addr, NULL))
            g_error("scenario names an invalid device '%s'", bdf);
        dir = g_strdup_printf("devices/pci%04x:%02x/%s", addr.domain, addr.bus, bdf);
    }
    g_hash_table_insert(b->device_dirs, g_strdup(bdf), dir);
    return dir;
}

static gboolean
build_device(Builder *b, const char *bdf, GError **error)
{
    g_autofree char *group = g_strconcat("device ", bdf, NULL);
    const char *dir = device_dir(b, bdf);
    g_autofree char *id = get(b, group, "id");
    g_autofree char *subsys = get(b, group, "subsystem");
    g_autofree char *driver = get(b, group, "driver");
    g_autofree char *native = get(b, group, "native-driver");
    g_autofree char *physfn = get(b, group, "physfn");
    g_auto(GStrv) resets = get_list(b, group, "reset");
    guint vendor = 0xffff, device = 0xffff, sv = 0, sd = 0;
    guint cls = get_hex(b, group, "class", 0x020000);
    guint rev = get_hex(b, group, "revision", 0x01);
    gint grp = g_key_file_has_key(b->kf, group, "group", NULL)
                   ? g_key_file_get_integer(b->kf, group, "group", NULL)
                   : -1;
    gboolean bridge = (cls >> 8) == 0x0604;
    guint8 config[256] = {0};
    g_autofree char *f = NULL;

    if (id != NULL && sscanf(id, "%x:%x", &vendor, &device) != 2) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "[%s] id '%s' is not VVVV:DDDD", group, id);
        return FALSE;
    }
    if (subsys != NULL)
        sscanf(subsys, "%x:%x", &sv, &sd);

#define ATTR(name, ...)                                                                           \
    do {                                                                                          \
        g_autofree char *rel_ = g_strconcat(dir, "/", name, NULL);                                \
        if (!put(b->sys, rel_, error, __VA_ARGS__))                                               \
            return FALSE;                                                                         \
    } while (0)

    ATTR("vendor", "0x%04x\n", vendor);
    ATTR("device", "0x%04x\n", device);
    ATTR("subsystem_vendor", "0x%04x\n", sv);
    ATTR("subsystem_device", "0x%04x\n", sd);
    ATTR("class", "0x%06x\n", cls);
    ATTR("revision", "0x%02x\n", rev);
    ATTR("irq", "0\n");
    ATTR("enable", "1\n");
    ATTR("driver_override", "(null)\n");
    ATTR("numa_node", "%d\n", g_key_file_has_key(b->kf, group, "numa", NULL)
                                  ? g_key_file_get_integer(b->kf, group, "numa", NULL)
                                  : -1);
    ATTR("resource", "%s", "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
                           "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
    ATTR("uevent", "PCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\nPCI_SLOT_NAME=%s\n", cls,
         vendor, device, sv, sd, bdf);
    if (resets[0] != NULL) {
        g_autofree char *joined = g_strjoinv(" ", resets);

        ATTR("reset_method", "%s\n", joined);
        ATTR("reset", "%s", "");
    }
    if ((cls >> 8) == 0x0300)
        ATTR("boot_vga", "%d\n", get_bool(b, group, "boot-vga", FALSE) ? 1 : 0);
    if (g_key_file_has_key(b->kf, group, "sriov-total", NULL)) {
        g_auto(GStrv) vfs = get_list(b, group, "vfs");

        ATTR("sriov_totalvfs", "%d\n", g_key_file_get_integer(b->kf, group, "sriov-total", NULL));
        ATTR("sriov_numvfs", "%u\n", g_strv_length(vfs));
        for (guint i = 0; vfs[i] != NULL; i++) {
            g_autofree char *l = g_strdup_printf("%s/virtfn%u", dir, i);

            if (!link_at(b->sys, l, device_dir(b, vfs[i]), error))
                return FALSE;
        }
    }
    if (physfn != NULL) {
        g_autofree char *l = g_strconcat(dir, "/physfn", NULL);

        if (!link_at(b->sys, l, device_dir(b, physfn), error))
            return FALSE;
    }
#undef ATTR

    /* PCI config space header (PCI Local Bus Spec 3.0 §6.1), little endian; an SR-IOV VF's
     * vendor and device IDs read 0xffff (SR-IOV 1.1 §3.4.1.1): sysfs has them from its PF */
    config[0x00] = physfn != NULL ? 0xff : vendor & 0xff;
    config[0x01] = physfn != NULL ? 0xff : vendor >> 8;
    config[0x02] = physfn != NULL ? 0xff : device & 0xff;
    config[0x03] = physfn != NULL ? 0xff : device >> 8;
    config[0x08] = (guint8)rev;
    config[0x09] = cls & 0xff;
    config[0x0a] = (cls >> 8) & 0xff;
    config[0x0b] = (cls >> 16) & 0xff;
    config[0x0e] = bridge ? 0x01 : 0x00;
    if (!bridge) {
        config[0x2c] = sv & 0xff;
        config[0x2d] = sv >> 8;
        config[0x2e] = sd & 0xff;
        config[0x2f] = sd >> 8;
    }
    f = g_strconcat(dir, "/config", NULL);
    if (!write_at(b->sys, f, config, sizeof(config), error))
        return FALSE;

    g_clear_pointer(&f, g_free);
    f = g_strconcat("bus/pci/devices/", bdf, NULL);
    if (!link_at(b->sys, f, dir, error))
        return FALSE;
    if (grp >= 0) {
        g_autofree char *gdir = g_strdup_printf("kernel/iommu_groups/%d", grp);
        g_autofree char *member = g_strdup_printf("%s/devices/%s", gdir, bdf);
        g_autofree char *back = g_strconcat(dir, "/iommu_group", NULL);

        if (!link_at(b->sys, member, dir, error) || !link_at(b->sys, back, gdir, error))
            return FALSE;
    }
    if (driver != NULL && driver[0] != '\0') {
        g_autofree char *ddir = g_strconcat("bus/pci/drivers/", driver, NULL);
        g_autofree char *dlink = g_strconcat(dir, "/driver", NULL);
        g_autofree char *blink = g_strconcat(ddir, "/", bdf, NULL);

        g_hash_table_add(b->drivers, g_strdup(driver));
        if (!link_at(b->sys, dlink, ddir, error) || !link_at(b->sys, blink, dir, error))
            return FALSE;
    }
    /* what drivers_probe binds when no override is set: the driver whose ID table matches */
    if (native == NULL)
        native = g_strdup(driver);
    if (native != NULL && native[0] != '\0') {
        g_hash_table_add(b->drivers, g_strdup(native));
        g_string_append_printf(b->native, "%s %s\n", bdf, native);
    }
    return TRUE;
}

static gboolean
build_drivers(Builder *b, GError **error)
{
    GHashTableIter it;
    gpointer name;
    static const char *const files[] = {"bind", "unbind", "new_id", "remove_id", "uevent"};

    if (!put(b->sys, "bus/pci/drivers_probe", error, "%s", "") ||
        !put(b->sys, "bus/pci/drivers_autoprobe", error, "1\n") ||
        !put(b->sys, "bus/pci/rescan", error, "%s", "") || !mkdirs(b->sys, "bus/pci/slots", error))
        return FALSE;
    g_hash_table_iter_init(&it, b->drivers);
    while (g_hash_table_iter_next(&it, &name, NULL)) {
        for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
            g_autofree char *rel = g_strdup_printf("bus/pci/drivers/%s/%s", (char *)name, files[i]);

            if (!put(b->sys, rel, error, "%s", ""))
                return FALSE;
        }
    }
    return TRUE;
}

/* ---- block devices, netdevs, device nodes -------------------------------------------- */

static gboolean
build_dev_node(Builder *b, const char *devname, const char *sysdir, const char *majmin,
               gboolean block, GError **error)
{
    g_autofree char *uevent = g_strconcat(sysdir, "/uevent", NULL);
    g_autofree char *dev = g_strconcat(sysdir, "/dev", NULL);
    g_autofree char *num = g_strconcat(block ? "dev/block/" : "dev/char/", majmin, NULL);
    g_autofree char *node = g_build_filename(b->root, "dev", NULL);
    guint maj = 0, min = 0;

    sscanf(majmin, "%u:%u", &maj, &min);
    return put(b->sys, uevent, error, "MAJOR=%u\nMINOR=%u\nDEVNAME=%s\n", maj, min, devname) &&
           put(b->sys, dev, error, "%s\n", majmin) && link_at(b->sys, num, sysdir, error) &&
           write_at(node, devname, "", 0, error);
}

static gboolean
build_block(Builder *b, const char *name, GError **error)
{
    g_autofree char *group = g_strconcat("block ", name, NULL);
    g_autofree char *device = get(b, group, "device");
    g_autofree char *path = get(b, group, "path");
    g_autofree char *majmin = get(b, group, "dev");
    g_auto(GStrv) parts = get_list(b, group, "partitions");
    g_auto(GStrv) slaves = get_list(b, group, "slaves");
    g_auto(GStrv) aliases = get_list(b, group, "aliases");
    g_autofree char *dir = NULL;
    g_autofree char *cls = g_strconcat("class/block/", name, NULL);

    if (majmin == NULL) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND, "[%s] needs dev=MAJ:MIN",
                    group);
        return FALSE;
    }
    if (device != NULL)
        dir = g_strdup_printf("%s/%s%sblock/%s", device_dir(b, device), path ? path : "",
                              path ? "/" : "", name);
    else
        dir = g_strdup_printf("devices/virtual/block/%s", name);
    if (!build_dev_node(b, name, dir, majmin, TRUE, error) || !link_at(b->sys, cls, dir, error))
        return FALSE;
    g_hash_table_insert(b->block_dirs, g_strdup(name), g_strdup(dir));
    g_hash_table_insert(b->block_devs, g_strdup(name), g_strdup(majmin));
    for (guint i = 0; parts[i] != NULL; i++) {
        /* "nvme0n1p2=259:2" */
        g_auto(GStrv) kv = g_strsplit(parts[i], "=", 2);
        g_autofree char *pdir = NULL;
        g_autofree char *pcls = NULL;

        if (kv[1] == NULL) {
            g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                        "[%s] partition '%s' is not NAME=MAJ:MIN", group, parts[i]);
            return FALSE;
        }
        pdir = g_strconcat(dir, "/", kv[0], NULL);
        pcls = g_strconcat("class/block/", kv[0], NULL);
        if (!build_dev_node(b, kv[0], pdir, kv[1], TRUE, error) ||
            !link_at(b->sys, pcls, pdir, error))
            return FALSE;
        g_hash_table_insert(b->block_dirs, g_strdup(kv[0]), g_strdup(pdir));
        g_hash_table_insert(b->block_devs, g_strdup(kv[0]), g_strdup(kv[1]));
    }
    for (guint i = 0; slaves[i] != NULL; i++) {
        g_autofree char *l = g_strconcat(dir, "/slaves/", slaves[i], NULL);
        const char *target = g_hash_table_lookup(b->block_dirs, slaves[i]);

        if (target == NULL) {
            g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                        "[%s] slave '%s' must be declared before it", group, slaves[i]);
            return FALSE;
        }
        if (!link_at(b->sys, l, target, error))
            return FALSE;
    }
    for (guint i = 0; aliases[i] != NULL; i++) {
        /* /dev/mapper/root -> ../dm-0 */
        g_autofree char *devdir = g_build_filename(b->root, "dev", NULL);

        if (!link_at(devdir, aliases[i], name, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean
build_net(Builder *b, const char *name, GError **error)
{
    g_autofree char *group = g_strconcat("net ", name, NULL);
    g_autofree char *device = get(b, group, "device");
    g_auto(GStrv) lower = get_list(b, group, "lower");
    g_autofree char *dir = NULL;
    g_autofree char *cls = g_strconcat("class/net/", name, NULL);
    g_autofree char *flags = NULL;
    g_autofree char *oper = NULL;
    gboolean up = get_bool(b, group, "up", TRUE);

    if (device != NULL)
        dir = g_strdup_printf("%s/net/%s", device_dir(b, device), name);
    else
        dir = g_strdup_printf("devices/virtual/net/%s", name);
    flags = g_strconcat(dir, "/flags", NULL);
    oper = g_strconcat(dir, "/operstate", NULL);
    /* linux/if.h: IFF_UP 0x1, IFF_BROADCAST 0x2, IFF_MULTICAST 0x1000 */
    if (!put(b->sys, flags, error, "0x%x\n", up ? 0x1003 : 0x1002) ||
        !put(b->sys, oper, error, "%s\n", up ? "up" : "down") || !link_at(b->sys, cls, dir, error))
        return FALSE;
    if (device != NULL) {
        g_autofree char *l = g_strconcat(dir, "/device", NULL);

        if (!link_at(b->sys, l, device_dir(b, device), error))
            return FALSE;
    }
    g_hash_table_insert(b->net_dirs, g_strdup(name), g_strdup(dir));
    for (guint i = 0; lower[i] != NULL; i++) {
        g_autofree char *l = g_strconcat(dir, "/lower_", lower[i], NULL);
        const char *target = g_hash_table_lookup(b->net_dirs, lower[i]);

        if (target == NULL) {
            g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                        "[%s] lower '%s' must be declared before it", group, lower[i]);
            return FALSE;
        }
        if (!link_at(b->sys, l, target, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean
build_node(Builder *b, const char *devname, GError **error)
{
    g_autofree char *group = g_strconcat("node ", devname, NULL);
    g_autofree char *device = get(b, group, "device");
    g_autofree char *path = get(b, group, "path");
    g_autofree char *majmin = get(b, group, "dev");
    g_autofree char *dir = NULL;

    if (device == NULL || path == NULL || majmin == NULL) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                    "[%s] needs device=, path= and dev=", group);
        return FALSE;
    }
    /* device=platform/NAME: a node of a platform device (a firmware framebuffer's fb0) */
    if (g_str_has_prefix(device, "platform/"))
        dir = g_strconcat("devices/", device, "/", path, NULL);
    else
        dir = g_strconcat(device_dir(b, device), "/", path, NULL);
    return build_dev_node(b, devname, dir, majmin, FALSE, error);
}

/* ---- /proc and the rest of the host --------------------------------------------------- */

static gboolean
build_mounts_and_swaps(Builder *b, char **groups, GError **error)
{
    g_autoptr(GString) mi = g_string_new(NULL);
    g_autoptr(GString) sw = g_string_new("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
    g_autofree char *proc = g_build_filename(b->root, "proc", NULL);
    int id = 20;

    /* the virtual filesystems every host has; they have no block device */
    g_string_append(mi, "20 1 0:20 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n"
                        "21 1 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n"
                        "22 1 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw\n"
                        "23 1 0:25 / /run rw,nosuid shared:5 - tmpfs tmpfs rw\n");
    for (guint i = 0; groups[i] != NULL; i++) {
        if (g_str_has_prefix(groups[i], "mount ")) {
            const char *mp = groups[i] + strlen("mount ");
            g_autofree char *source = get(b, groups[i], "source");
            g_autofree char *fstype = get(b, groups[i], "fstype");
            g_autofree char *majmin = get(b, groups[i], "dev");
            g_autofree char *name = source != NULL ? g_path_get_basename(source) : NULL;
            g_autofree char *mp_escaped = NULL;

            if (majmin == NULL && name != NULL) {
                /* follow /dev aliases (mapper/root -> dm-0) to the block device */
                g_autofree char *node = g_build_filename(b->root, source, NULL);
                g_autofree char *real = realpath(node, NULL);
                g_autofree char *base = real != NULL ? g_path_get_basename(real) : NULL;

                majmin = g_strdup(g_hash_table_lookup(b->block_devs, base ? base : name));
            }
            if (majmin == NULL) {
                g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                            "[%s] source '%s' is no declared block device (or give dev=)",
                            groups[i], source ? source : "");
                return FALSE;
            }
            id++;
            /* as the kernel writes it: space, tab, newline and backslash as \ooo */
            {
                GString *e = g_string_new(NULL);

                for (const char *p = mp; *p != '\0'; p++) {
                    if (strchr(" \t\n\\", *p) != NULL)
                        g_string_append_printf(e, "\\%03o", (unsigned char)*p);
                    else
                        g_string_append_c(e, *p);
                }
                mp_escaped = g_string_free(e, FALSE);
            }
            g_string_append_printf(mi, "%d 1 %s / %s rw,relatime shared:%d - %s %s rw\n", id,
                                   majmin, mp_escaped, id, fstype ? fstype : "ext4",
                                   source ? source : "none");
        } else if (g_str_has_prefix(groups[i], "swap ")) {
            g_autofree char *type = get(b, groups[i], "type");

            g_string_append_printf(sw, "%s\t\t\t\t%s\t1048572\t\t0\t\t-2\n",
                                   groups[i] + strlen("swap "), type ? type : "partition");
        }
    }
    return write_at(proc, "self/mountinfo", mi->str, -1, error) &&
           write_at(proc, "swaps", sw->str, -1, error);
}

/* What rtnetlink would answer (lib/host/vh-netlink.h): a line per route and address */
static gboolean
build_routes(Builder *b, GError **error)
{
    g_autofree char *proc = g_build_filename(b->root, "proc", NULL);
    g_auto(GStrv) v4 = get_list(b, "route", "default");
    g_auto(GStrv) v6 = get_list(b, "route", "default6");
    g_auto(GStrv) addressed = get_list(b, "route", "addressed");
    g_auto(GStrv) policy = get_list(b, "route", "policy");
    g_autoptr(GString) d = g_string_new("addr inet 254 lo\nroute inet 255 local 32 lo\n");

    for (guint i = 0; v4[i] != NULL; i++)
        g_string_append_printf(d, "route inet 254 unicast 0 %s\nroute inet 254 unicast 24 %s\n"
                                  "addr inet 0 %s\n",
                               v4[i], v4[i], v4[i]);
    for (guint i = 0; v6[i] != NULL; i++)
        g_string_append_printf(d, "route inet6 254 unicast 0 %s\naddr inet6 0 %s\n", v6[i],
                               v6[i]);
    /* TABLE:IF, a default route in another table than main (ip rule ... lookup TABLE) */
    for (guint i = 0; policy[i] != NULL; i++) {
        g_auto(GStrv) tf = g_strsplit(policy[i], ":", 2);

        if (tf[1] == NULL) {
            g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                        "[route] policy: '%s' is not TABLE:INTERFACE", policy[i]);
            return FALSE;
        }
        g_string_append_printf(d, "route inet %s unicast 0 %s\naddr inet 0 %s\n", tf[0], tf[1],
                               tf[1]);
    }
    for (guint i = 0; addressed[i] != NULL; i++)
        g_string_append_printf(d, "route inet 254 unicast 24 %s\naddr inet 0 %s\n", addressed[i],
                               addressed[i]);
    g_string_append(d, "route inet6 254 unreachable 0 lo\n");
    /* as on Linux, /proc/net is /proc/self/net (the caller's network namespace) */
    return write_at(proc, "self/net/vh-rtnetlink", d->str, -1, error) &&
           link_at(proc, "net", "self/net", error);
}

static gboolean
build_console(Builder *b, GError **error)
{
    g_autofree char *fb = get(b, "console", "fb");
    g_autofree char *name = get(b, "console", "name");
    g_autofree char *dir = NULL;
    g_autofree char *proc = g_build_filename(b->root, "proc", NULL);
    gboolean bound = get_bool(b, "console", "bound", TRUE);

    if (!put(b->sys, "devices/virtual/vtconsole/vtcon0/name", error, "(S) dummy device\n") ||
        !put(b->sys, "devices/virtual/vtconsole/vtcon0/bind", error, "0\n") ||
        !link_at(b->sys, "class/vtconsole/vtcon0", "devices/virtual/vtconsole/vtcon0", error))
        return FALSE;
    if (fb == NULL)
        return TRUE;
    if (!put(b->sys, "devices/virtual/vtconsole/vtcon1/name", error, "(M) frame buffer device\n") ||
        !put(b->sys, "devices/virtual/vtconsole/vtcon1/bind", error, "%d\n", bound ? 1 : 0) ||
        !link_at(b->sys, "class/vtconsole/vtcon1", "devices/virtual/vtconsole/vtcon1", error))
        return FALSE;
    /* fb=platform: efifb/simpledrm, a framebuffer with no PCI parent: a platform device bound
     * to its driver (platform-driver=, default efi-framebuffer, efifb's name in sysfs) */
    if (g_strcmp0(fb, "platform") == 0) {
        g_autofree char *drv = get(b, "console", "platform-driver");
        g_autofree char *pdev = NULL;
        g_autofree char *ddir = NULL;

        if (drv == NULL)
            drv = g_strdup("efi-framebuffer");
        pdev =
            g_strdup_printf("%s.0", g_str_has_prefix(drv, "simple") ? "simple-framebuffer" : drv);
        ddir = g_strconcat("bus/platform/drivers/", drv, NULL);
        dir = g_strdup_printf("devices/platform/%s/graphics/fb0", pdev);
        {
            g_autofree char *pdir = g_strconcat("devices/platform/", pdev, NULL);
            g_autofree char *bus_link = g_strconcat("bus/platform/devices/", pdev, NULL);
            g_autofree char *drv_link = g_strconcat(pdir, "/driver", NULL);
            g_autofree char *member = g_strconcat(ddir, "/", pdev, NULL);
            g_autofree char *bind = g_strconcat(ddir, "/bind", NULL);
            g_autofree char *unbind = g_strconcat(ddir, "/unbind", NULL);
            g_autofree char *uevent = g_strconcat(pdir, "/uevent", NULL);

            if (!put(b->sys, bind, error, "%s", "") || !put(b->sys, unbind, error, "%s", "") ||
                !put(b->sys, uevent, error, "DRIVER=%s\n", drv) ||
                !link_at(b->sys, bus_link, pdir, error) ||
                !link_at(b->sys, drv_link, ddir, error) || !link_at(b->sys, member, pdir, error))
                return FALSE;
        }
    } else

        dir = g_strdup_printf("%s/graphics/fb0", device_dir(b, fb));
    {
        g_autofree char *n = g_strconcat(dir, "/name", NULL);

        if (!put(b->sys, n, error, "%s\n", name ? name : "EFI VGA") ||
            !link_at(b->sys, "class/graphics/fb0", dir, error))
            return FALSE;
    }
    return put(proc, "fb", error, "0 %s\n", name ? name : "EFI VGA");
}

static gboolean
build_process(Builder *b, const char *pid, GError **error)
{
    g_autofree char *group = g_strconcat("process ", pid, NULL);
    g_autofree char *comm = get(b, group, "comm");
    g_auto(GStrv) open = get_list(b, group, "open");
    g_autofree char *proc = g_build_filename(b->root, "proc", NULL);
    g_autofree char *c = g_strconcat(pid, "/comm", NULL);
    g_autofree char *s = g_strconcat(pid, "/stat", NULL);
    g_autofree char *fd0 = g_strconcat(pid, "/fd/0", NULL);
    g_autofree char *fd0p = g_build_filename(proc, fd0, NULL);
    g_autofree char *fddir = g_path_get_dirname(fd0p);

    if (!put(proc, c, error, "%s\n", comm ? comm : "proc") ||
        !put(proc, s, error, "%s (%s) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %d 0 0\n", pid,
             comm ? comm : "proc", 100) ||
        g_mkdir_with_parents(fddir, 0755) != 0)
        return FALSE;
    /* fd 0 is /dev/null, as for any daemon; the rest are the scenario's nodes */
    symlink("/dev/null", fd0p);
    /* each link points at the host's own node, which the open file is (created when the
     * scenario does not make it otherwise): its text is what a process sees in the host's
     * mount namespace, and stat() through it finds the node */
    for (guint i = 0; open[i] != NULL; i++) {
        g_autofree char *fd = g_strdup_printf("%s/%u", fddir, i + 3);
        g_autofree char *rel = g_build_filename(b->root, open[i], NULL);
        g_autofree char *node = g_canonicalize_filename(rel, NULL);
        g_autofree char *node_dir = g_path_get_dirname(node);

        if (!g_file_test(node, G_FILE_TEST_EXISTS) &&
            (g_mkdir_with_parents(node_dir, 0755) != 0 ||
             !g_file_set_contents(node, "", 0, error)))
            return FALSE;
        if (symlink(node, fd) != 0) {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "symlink %s: %s", fd,
                        g_strerror(errno));
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
build_host(Builder *b, GError **error)
{
    g_autofree char *iommu = get(b, "host", "iommu");
    g_autofree char *cmdline = get(b, "host", "cmdline");
    g_autofree char *kernel = get(b, "host", "kernel");
    g_autofree char *daemon = get(b, "host", "daemon");
    g_autofree char *virt = get(b, "host", "virtual");
    g_auto(GStrv) modules = get_list(b, "host", "modules");
    g_auto(GStrv) loaded = get_list(b, "host", "loaded-modules");
    g_autofree char *proc = g_build_filename(b->root, "proc", NULL);
    g_autofree char *modroot = NULL;
    g_autoptr(GString) dep = g_string_new(NULL);
    g_autoptr(GString) alias = g_string_new(NULL);
    g_auto(GStrv) aliases = get_list(b, "host", "aliases");
    gboolean ir = get_bool(b, "host", "interrupt-remapping", TRUE);

    if (iommu == NULL)
        iommu = g_strdup("intel");
    if (kernel == NULL)
        kernel = g_strdup("6.1.0-vh-test");
    if (g_strcmp0(iommu, "intel") == 0 && !put(b->sys, "firmware/acpi/tables/DMAR", error, "DMAR"))
        return FALSE;
    if (g_strcmp0(iommu, "amd") == 0 && !put(b->sys, "firmware/acpi/tables/IVRS", error, "IVRS"))
        return FALSE;
    if (!mkdirs(b->sys, "kernel/iommu_groups", error) || !mkdirs(b->sys, "class/iommu", error))
        return FALSE;
    if (g_strcmp0(iommu, "none") != 0 &&
        !link_at(b->sys, "class/iommu/dmar0", "devices/virtual/iommu/dmar0", error))
        return FALSE;
    {
        g_autofree char *avail = get(b, "host", "memory-available");
        guint64 avail_kib = avail != NULL ? g_ascii_strtoull(avail, NULL, 10) * 1024 * 1024
                                          : G_GUINT64_CONSTANT(16) * 1024 * 1024;
        int free_pages = g_key_file_has_key(b->kf, "host", "hugepages-free", NULL)
                             ? g_key_file_get_integer(b->kf, "host", "hugepages-free", NULL)
                             : 0;

        /* memory-available in GiB; huge pages of the default 2 MiB size */
        if (!put(proc, "meminfo", error,
                 "MemTotal:       %" G_GUINT64_FORMAT " kB\nMemFree:        %" G_GUINT64_FORMAT
                 " kB\nMemAvailable:   %" G_GUINT64_FORMAT " kB\nHugepagesize:       2048 kB\n",
                 avail_kib * 2, avail_kib, avail_kib) ||
            !put(b->sys, "kernel/mm/hugepages/hugepages-2048kB/free_hugepages", error, "%d\n",
                 free_pages))
            return FALSE;
    }
    if (!put(proc, "cmdline", error, "%s\n", cmdline ? cmdline : "BOOT_IMAGE=/vmlinuz ro quiet") ||
        !put(proc, "sys/kernel/osrelease", error, "%s\n", kernel) ||
        !put(proc, "cpuinfo", error, "processor\t: 0\nvendor_id\t: %s\nflags\t\t: fpu vme de pse%s\n",
             g_strcmp0(iommu, "amd") == 0 ? "AuthenticAMD" : "GenuineIntel",
             virt != NULL ? " hypervisor" : "") ||
        (virt != NULL && !put(b->sys, "class/dmi/id/sys_vendor", error, "%s\n", virt)) ||
        !put(proc, "stat", error, "cpu  1 0 0 0 0 0 0 0 0 0\nbtime 1700000000\n") ||
        !put(proc, "interrupts", error,
             "           CPU0\n 24:          5  %s  0-edge      eth0\n",
             ir && g_strcmp0(iommu, "none") != 0 ? "IR-PCI-MSI" : "PCI-MSI"))
        return FALSE;
    modroot = g_build_filename(b->root, "lib", "modules", kernel, NULL);
    for (guint i = 0; modules[i] != NULL; i++)
        g_string_append_printf(dep, "kernel/drivers/vfio/%s.ko:\n", modules[i]);
    /* vfio_pci's own alias, then the scenario's (variant drivers: "PATTERN MODULE") */
    g_string_append(alias, "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n");
    for (guint i = 0; aliases[i] != NULL; i++)
        g_string_append_printf(alias, "alias %s\n", aliases[i]);
    if (!write_at(modroot, "modules.dep", dep->str, -1, error) ||
        !write_at(modroot, "modules.builtin", "", 0, error) ||
        !write_at(modroot, "modules.alias", alias->str, -1, error))
        return FALSE;
    for (guint i = 0; loaded[i] != NULL; i++) {
        g_autofree char *rel = g_strconcat("module/", loaded[i], "/refcnt", NULL);

        if (!put(b->sys, rel, error, "0\n"))
            return FALSE;
    }
    if (g_key_file_has_group(b->kf, "host") && get_bool(b, "host", "libvirt", TRUE)) {
        g_autofree char *hooks = g_build_filename(b->root, "etc/libvirt/hooks/qemu.d", NULL);

        g_mkdir_with_parents(hooks, 0755);
    }
    if (daemon != NULL) {
        g_autofree char *group = g_strdup("process 900");

        g_key_file_set_string(b->kf, group, "comm", daemon);
    }
    return TRUE;
}

static void
builder_clear(Builder *b)
{
    g_free(b->root);
    g_free(b->sys);
    g_clear_pointer(&b->device_dirs, g_hash_table_unref);
    g_clear_pointer(&b->block_dirs, g_hash_table_unref);
    g_clear_pointer(&b->block_devs, g_hash_table_unref);
    g_clear_pointer(&b->net_dirs, g_hash_table_unref);
    g_clear_pointer(&b->drivers, g_hash_table_unref);
    if (b->native != NULL)
        g_string_free(b->native, TRUE);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Builder, builder_clear)

static gboolean
build_group(Builder *b, const char *g, GError **error)
{
    if (g_str_has_prefix(g, "block "))
        return build_block(b, g + strlen("block "), error);
    if (g_str_has_prefix(g, "net "))
        return build_net(b, g + strlen("net "), error);
    if (g_str_has_prefix(g, "node "))
        return build_node(b, g + strlen("node "), error);
    if (g_str_has_prefix(g, "process "))
        return build_process(b, g + strlen("process "), error);
    return TRUE;
}

gboolean
vh_fake_tree_build(GKeyFile *scenario, const char *root, GError **error)
{
    g_auto(Builder) b = {.kf = scenario};
    g_auto(GStrv) groups = NULL;
    g_autofree char *fake = g_build_filename(root, ".fake", NULL);
    g_autofree char *devdir = g_build_filename(root, "dev", NULL);
    g_auto(GStrv) drivers = NULL;

    b.root = g_strdup(root);
    b.sys = g_build_filename(root, "sys", NULL);
    b.device_dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    b.block_dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    b.block_devs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    b.net_dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    b.drivers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    b.native = g_string_new(NULL);

    /* drivers registered with no device bound: vfio-pci (loaded) unless the scenario says */
    drivers = g_key_file_has_key(scenario, "host", "drivers", NULL)
                  ? get_list(&b, "host", "drivers")
                  : g_strsplit("vfio-pci", ";", -1);
    for (guint i = 0; drivers[i] != NULL; i++) {
        if (drivers[i][0] != '\0')
            g_hash_table_add(b.drivers, g_strdup(drivers[i]));
    }

    if (!build_host(&b, error))
        return FALSE;
    if (g_hash_table_contains(b.drivers, "vfio-pci") &&
        (!write_at(devdir, "vfio/vfio", "", 0, error) ||
         !put(b.sys, "module/vfio_pci/refcnt", error, "0\n") ||
         !put(b.sys, "module/vfio/refcnt", error, "0\n")))
        return FALSE;
    groups = g_key_file_get_groups(scenario, NULL); /* after build_host: it adds the daemon */
    for (guint i = 0; groups[i] != NULL; i++) {
        if (g_str_has_prefix(groups[i], "device ") &&
            !build_device(&b, groups[i] + strlen("device "), error))
            return FALSE;
    }
    if (!build_drivers(&b, error))
        return FALSE;
    for (guint i = 0; groups[i] != NULL; i++) {
        if (!build_group(&b, groups[i], error))
            return FALSE;
    }
    return build_mounts_and_swaps(&b, groups, error) && build_routes(&b, error) &&
           build_console(&b, error) && mkdirs(root, "run", error) &&
           mkdirs(root, "etc/vfio-handoff", error) &&
           write_at(fake, "native", b.native->str, -1, error);
}

gboolean
vh_fake_tree_build_file(const char *scenario_path, const char *root, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();

    if (!g_key_file_load_from_file(kf, scenario_path, G_KEY_FILE_NONE, error)) {
        g_prefix_error(error, "scenario %s: ", scenario_path);
        return FALSE;
    }
    if (!vh_fake_tree_build(kf, root, error)) {
        g_prefix_error(error, "scenario %s: ", scenario_path);
        return FALSE;
    }
    return TRUE;
}

GKeyFile *
vh_fake_tree_synthetic(guint count)
{
    /* real IDs, so names come from pci.ids as on a real host */
    static const struct {
        const char *id, *cls, *driver;
    } kinds[] = {
        {"8086:10d3", "0x020000", "e1000e"},     /* 82574L Gigabit NIC */
        {"144d:a808", "0x010802", "nvme"},       /* Samsung NVMe SSD 970 EVO */
        {"10de:2204", "0x030000", "nouveau"},    /* GA102 GeForce RTX 3090 */
        {"1000:0097", "0x010700", "mpt3sas"},    /* SAS3008 HBA */
    };
    GKeyFile *kf = g_key_file_new();

    g_key_file_set_string(kf, "host", "iommu", "intel");
    g_key_file_set_string(kf, "host", "modules", "vfio;vfio_iommu_type1;pci/vfio-pci");
    for (guint i = 0; i < count; i++) {
        /* endpoints on buses 1..255, 8 per bus, each behind its own root port on bus 0 */
        guint bus = 1 + i / 8, slot = i % 8;
        g_autofree char *bdf = g_strdup_printf("%04x:%02x:%02x.0", bus / 256, bus % 256, slot);
        g_autofree char *group = g_strconcat("device ", bdf, NULL);

        g_key_file_set_string(kf, group, "id", kinds[i % G_N_ELEMENTS(kinds)].id);
        g_key_file_set_string(kf, group, "class", kinds[i % G_N_ELEMENTS(kinds)].cls);
        g_key_file_set_string(kf, group, "driver", kinds[i % G_N_ELEMENTS(kinds)].driver);
        g_key_file_set_string(kf, group, "subsystem", "1028:0001");
        g_key_file_set_integer(kf, group, "group", (int)i + 1);
        g_key_file_set_string(kf, group, "reset", "flr;bus");
        g_key_file_set_integer(kf, group, "numa", 0);
    }
    return kf;
}

char *
vh_fake_tree_new_temp(const char *scenario_path, GError **error)
{
    g_autofree char *root = g_dir_make_tmp("vh-fake-XXXXXX", error);

    if (root == NULL)
        return NULL;
    if (!vh_fake_tree_build_file(scenario_path, root, error)) {
        vh_fake_tree_remove(root);
        return NULL;
    }
    return g_steal_pointer(&root);
}

static void
remove_recursive(const char *path)
{
    GDir *dir;
    const char *name;

    if (!g_file_test(path, G_FILE_TEST_IS_DIR) || g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
        g_unlink(path);
        return;
    }
    dir = g_dir_open(path, 0, NULL);
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *child = g_build_filename(path, name, NULL);

        remove_recursive(child);
    }
    if (dir != NULL)
        g_dir_close(dir);
    g_rmdir(path);
}

void
vh_fake_tree_remove(const char *root)
{
    if (root == NULL)
        return;
    if (g_getenv("VH_KEEP_TREE") != NULL) {
        g_printerr("# fake tree kept at %s\n", root);
        return;
    }
    remove_recursive(root);
}
