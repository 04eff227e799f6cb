/* vfio-handoff: device nodes that host processes hold open, traced to their PCI devices */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "vh-open-files.h"
#include "vh-sysfs.h"
#include "vh-units.h"
#include "vh-usage-collector.h"

/* Device nodes that never belong to a PCI device: not worth resolving. */
static gboolean
is_plain_node(const char *node)
{
    static const char *const plain[] = {"/dev/null",    "/dev/zero", "/dev/full", "/dev/random",
                                        "/dev/urandom", "/dev/tty",  "/dev/ptmx", "/dev/console",
                                        "/dev/kmsg",    NULL};

    if (g_str_has_prefix(node, "/dev/pts/") || g_str_has_prefix(node, "/dev/shm/"))
        return TRUE;
    return g_strv_contains(plain, node);
}

/* devname (from each device's uevent) -> its sysfs dir; used where a node is no real device
 * file (a fake tree) */
static GHashTable *
dev_names(VhUsageCollector *c)
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
                char *devname =
                    end != NULL ? g_strndup(p + 8, (gsize)(end - p - 8)) : g_strdup(p + 8);

                g_hash_table_replace(c->dev_names, devname, g_build_filename(dir_path, name, NULL));
            }
        }
    }
    return c->dev_names;
}

/* The sysfs dir of the device @file is: by its device number, else (a fake host's plain file,
 * verified to be the node @name) by its devname. */
static char *
node_sysfs_dir(VhUsageCollector *c, const VhOpenFile *file, const char *name)
{
    if (S_ISCHR(file->st.st_mode) || S_ISBLK(file->st.st_mode)) {
        g_autofree char *rel =
            g_strdup_printf("dev/%s/%u:%u", S_ISCHR(file->st.st_mode) ? "char" : "block",
                            major(file->st.st_rdev), minor(file->st.st_rdev));

        return vh_host_sysfs_path(c->host, rel);
    }
    if (name == NULL)
        return NULL;
    return g_strdup(g_hash_table_lookup(dev_names(c), name + strlen("/dev/")));
}

static void
attribute_node(VhUsageCollector *c, const VhOpenFile *file, const char *name, const char *holder)
{
    VhUse *use;

    g_autofree char *dir = NULL;
    g_autoptr(GPtrArray) chain = NULL;
    const char *node = name != NULL ? name : file->text;
    int group;

    /* /dev/vfio/N is a whole IOMMU group: a VM (or another vfio user) holds every member */
    if (name != NULL && g_str_has_prefix(name, "/dev/vfio/") &&
        (group = vh_parse_kernel_number(name + strlen("/dev/vfio/"))) >= 0 && c->inv != NULL) {
        VhIommuGroup *g = g_hash_table_lookup(c->inv->group_by_number, GINT_TO_POINTER(group));

        for (guint i = 0; g != NULL && i < g->members->len; i++) {
            VhPciDevice *dev = g_ptr_array_index(g->members, i);

            if ((use = vh_usage_add(c, VH_USE_OPEN_NODE, dev->name, TRUE, name, holder)) != NULL)
                use->pid = file->pid;
        }
        return;
    }
    dir = node_sysfs_dir(c, file, name);
    if (dir == NULL)
        return;
    chain = vh_usage_pci_chain_of(dir);
    /* a node in use pins the device that owns it, not the bridges above */
    if (chain->len > 0 &&
        (use = vh_usage_add(c, VH_USE_OPEN_NODE, g_ptr_array_index(chain, 0), TRUE, node, holder)))
        use->pid = file->pid;
    /* a firmware framebuffer's node (efifb's /dev/fb0, simpledrm's card) pins the GPU it is on */
    if (chain->len == 0)
        vh_usage_add_platform_fb(c, VH_USE_OPEN_NODE, dir, node, holder, file->pid);
}

/* a process's open file: attributed when it is a node of a PCI device (or of the console) */
static gboolean
open_file(const VhOpenFile *file, gpointer data)
{
    VhUsageCollector *c = data;
    g_autofree char *name = vh_open_files_node_name(c->host, file);
    g_autofree char *comm = NULL;
    g_autofree char *holder = NULL;

    if (is_plain_node(name != NULL ? name : file->text) ||
        (name == NULL && !S_ISCHR(file->st.st_mode) && !S_ISBLK(file->st.st_mode)))
        return TRUE; /* a plain file that only claims a /dev name: nobody's node */
    comm = vh_open_files_comm(c->host, file->pid_text);
    holder = g_strdup_printf("%s (pid %s)", comm, file->pid_text);
    attribute_node(c, file, name, holder);
    return TRUE;
}

void
vh_usage_collect_open_nodes(VhUsageCollector *c)
{
    if (!vh_open_files_walk(c->host, open_file, c))
        c->usage->processes_complete = FALSE;
}
