/* vfio-handoff: the host's mounted filesystems and active swap, traced through dm/md/LVM
 * slaves and partitions to the PCI controllers below them */
#include "config.h"

#include <libmount.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "vh-sysfs.h"
#include "vh-usage-collector.h"

/* A block device (disk, partition, dm, md) to the controllers below it, through slaves/. */
static void
trace_block(VhUsageCollector *c, const char *block_dir, VhUseKind kind, const char *subject,
            const char *detail, int depth)
{
    g_autoptr(GPtrArray) chain = vh_usage_pci_chain_of(block_dir);
    g_autofree char *slaves = g_build_filename(block_dir, "slaves", NULL);
    g_autoptr(GDir) dir = NULL;
    const char *name;

    vh_usage_add_chain(c, kind, chain, subject, detail);
    if (depth >= VH_USAGE_MAX_STACK_DEPTH || (dir = g_dir_open(slaves, 0, NULL)) == NULL)
        return;
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *rel = g_strconcat("class/block/", name, NULL);
        g_autofree char *path = vh_host_sysfs_path(c->host, rel);

        trace_block(c, path, kind, subject, detail, depth + 1);
    }
}

/* "/dev/mapper/root" -> "dm-0": follow links inside the host's /dev. */
static char *
dev_node_name(VhUsageCollector *c, const char *node)
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
trace_block_node(VhUsageCollector *c, const char *node, VhUseKind kind, const char *detail)
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
trace_block_number(VhUsageCollector *c, const char *majmin, const char *subject, VhUseKind kind,
                   const char *detail)
{
    g_autofree char *rel = g_strconcat("dev/block/", majmin, NULL);
    g_autofree char *path = vh_host_sysfs_path(c->host, rel);

    trace_block(c, path, kind, subject, detail, 0);
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

typedef struct libmnt_table VhMntTable;
typedef struct libmnt_iter VhMntIter;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhMntTable, mnt_unref_table)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhMntIter, mnt_free_iter)

/* The mounts of the host's mountinfo, as libmount reads it (its escapes undone). */
static GPtrArray *
read_mounts(VhUsageCollector *c)
{
    GPtrArray *mounts = g_ptr_array_new_with_free_func((GDestroyNotify)mount_free);
    g_autofree char *path = vh_usage_host_proc_path(c, "mnt", "mountinfo");
    g_autoptr(VhMntTable) tb = mnt_new_table();
    g_autoptr(VhMntIter) it = mnt_new_iter(MNT_ITER_FORWARD);
    struct libmnt_fs *fs;

    if (tb == NULL || it == NULL || mnt_table_parse_file(tb, path) != 0)
        return mounts;
    while (mnt_table_next_fs(tb, it, &fs) == 0) {
        dev_t devno = mnt_fs_get_devno(fs);
        const char *target = mnt_fs_get_target(fs), *source = mnt_fs_get_source(fs);
        Mount *m;

        if (target == NULL)
            continue;
        m = g_new0(Mount, 1);
        m->majmin = g_strdup_printf("%u:%u", major(devno), minor(devno));
        m->mount_point = g_strdup(target);
        m->source = g_strdup(source != NULL ? source : "");
        g_ptr_array_add(mounts, m);
    }
    return mounts;
}

static void
collect_mount(VhUsageCollector *c, const Mount *m, VhUseKind kind, const char *detail)
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

void
vh_usage_collect_storage(VhUsageCollector *c)
{
    g_autoptr(GPtrArray) mounts = read_mounts(c);
    g_autofree char *path = vh_host_proc_path(c->host, "swaps");
    g_autoptr(VhMntTable) swaps = mnt_new_table();
    g_autoptr(VhMntIter) it = mnt_new_iter(MNT_ITER_FORWARD);
    struct libmnt_fs *fs;

    /* shortest mount points first, so "/" names a device rather than a bind mount of it */
    g_ptr_array_sort(mounts, compare_mount_point_length);
    for (guint i = 0; i < mounts->len; i++) {
        Mount *m = g_ptr_array_index(mounts, i);

        collect_mount(c, m, VH_USE_MOUNT, m->mount_point);
    }

    /* proc(5) /proc/swaps, as libmount reads it */
    if (swaps == NULL || it == NULL || mnt_table_parse_swaps(swaps, path) != 0)
        return;
    while (mnt_table_next_fs(swaps, it, &fs) == 0) {
        const char *file = mnt_fs_get_source(fs);
        const char *type = mnt_fs_get_swaptype(fs);
        Mount *best = NULL;

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
