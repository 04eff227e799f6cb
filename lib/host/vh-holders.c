/* vfio-handoff: which running VMs hold which devices */
#include "config.h"

#include <string.h>

#include "vh-domain.h"
#include "vh-error.h"
#include "vh-holders.h"
#include "vh-kernel-abi.h"
#include "vh-open-files.h"
#include "vh-sysfs.h"
#include "vh-units.h"

void
vh_holder_free(VhHolder *holder)
{
    g_free(holder->device);
    g_free(holder->domain_name);
    g_free(holder->via);
    g_free(holder->comm);
    g_free(holder);
}

gboolean
vh_host_pid_alive(const VhHost *host, int pid)
{
    g_autofree char *rel = g_strdup_printf("%d", pid);
    g_autofree char *path = vh_host_proc_path(host, rel);

    return pid > 0 && g_file_test(path, G_FILE_TEST_IS_DIR);
}

int
vh_holders_libvirt_pid(const VhHost *host, const char *domain)
{
    g_autofree char *name = g_strconcat(domain, ".pid", NULL);
    g_autofree char *path = g_build_filename(host->libvirt_run_dir, name, NULL);
    g_autofree char *text = NULL;

    if (strchr(domain, '/') != NULL || strcmp(domain, "..") == 0 ||
        !g_file_get_contents(path, &text, NULL, NULL))
        return 0;
    return MAX(vh_parse_kernel_number(g_strstrip(text)), 0);
}

/* Whether libvirt's status of @r's running domain (RUN/libvirt/qemu/NAME.xml, which libvirt
 * rewrites at every live change) still lists @r's device: FALSE only when it says otherwise of
 * that very QEMU (its pid= is the record's); TRUE when it cannot tell. */
static gboolean
in_live_domain(const VhHost *host, const VhJournalRecord *r)
{
    g_autofree char *name = NULL;
    g_autofree char *path = NULL;
    g_autofree char *xml = NULL;
    g_autoptr(VhDomainDef) def = NULL;
    gsize len = 0;

    if (r->domain == NULL || strchr(r->domain, '/') != NULL || r->domain[0] == '.')
        return TRUE;
    name = g_strconcat(r->domain, ".xml", NULL);
    path = g_build_filename(host->libvirt_run_dir, name, NULL);
    if (!g_file_get_contents(path, &xml, &len, NULL) ||
        (def = vh_domain_def_parse_status(xml, len, NULL)) == NULL ||
        def->status_pid != r->qemu_pid)
        return TRUE;
    return vh_domain_def_hostdev(def, r->address) != NULL;
}

VhHolderState
vh_holder_state_of_record(const VhHost *host, const VhJournalRecord *r)
{
    if (r->owner == VH_OWNER_BY_HAND)
        return VH_HOLDER_BY_HAND;
    if (r->qemu_pid <= 0)
        return VH_HOLDER_STARTING; /* taken at prepare; `started` records the pid */
    if (!vh_host_pid_alive(host, r->qemu_pid))
        return VH_HOLDER_GONE;
    return in_live_domain(host, r) ? VH_HOLDER_RUNNING : VH_HOLDER_UNPLUGGED;
}

void
vh_holders_add_journal(GPtrArray *holders, const VhHost *host, const GPtrArray *records)
{
    for (guint i = 0; i < records->len; i++) {
        const VhJournalRecord *r = g_ptr_array_index((GPtrArray *)records, i);
        VhHolder *h = g_new0(VhHolder, 1);

        h->device = g_strdup(r->address);
        h->domain_name = g_strdup(r->domain);
        h->pid = r->qemu_pid;
        h->state = vh_holder_state_of_record(host, r);
        h->via = g_strdup(VH_HOLDER_VIA_JOURNAL);
        g_ptr_array_add(holders, h);
    }
}

char *
vh_holders_guest_name(const char *arg)
{
    GString *name = g_string_new(NULL);
    const char *p = g_str_has_prefix(arg, "guest=") ? arg + strlen("guest=") : arg;

    /* QEMU option syntax: ",," is a literal comma, "," starts the next option */
    for (; *p != '\0'; p++) {
        if (p[0] == ',' && p[1] == ',') {
            g_string_append_c(name, ',');
            p++;
        } else if (p[0] == ',') {
            break;
        } else {
            g_string_append_c(name, *p);
        }
    }
    return g_string_free(name, FALSE);
}

/* "-name" "guest=win11,debug-threads=on" in /proc/PID/cmdline (NUL-separated) */
static char *
domain_of(const VhHost *host, int pid)
{
    g_autofree char *rel = g_strdup_printf("%d/cmdline", pid);
    g_autofree char *path = vh_host_proc_path(host, rel);
    g_autofree char *cmdline = NULL;
    gsize len = 0;

    if (!g_file_get_contents(path, &cmdline, &len, NULL))
        return NULL;
    for (gsize off = 0; off < len;) {
        const char *arg = cmdline + off;
        gsize n = strnlen(arg, len - off);

        if (strcmp(arg, "-name") == 0 && off + n + 1 < len)
            return vh_holders_guest_name(arg + n + 1);
        off += n + 1;
    }
    return NULL;
}

GPtrArray *
vh_holders_from_processes(const VhHost *host, const VhHostUsage *usage)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)vh_holder_free);

    for (guint i = 0; i < usage->uses->len; i++) {
        VhUse *use = g_ptr_array_index(usage->uses, i);
        g_autofree char *pid_text = NULL;
        VhHolder *h;

        if (use->kind != VH_USE_OPEN_NODE || use->pid <= 0 ||
            !g_str_has_prefix(use->subject, "/dev/vfio/"))
            continue;
        pid_text = g_strdup_printf("%d", use->pid);
        h = g_new0(VhHolder, 1);
        h->device = g_strdup(use->device);
        h->domain_name = domain_of(host, use->pid);
        h->pid = use->pid;
        h->state = VH_HOLDER_RUNNING; /* it holds the node open now */
        h->via = g_strdup(use->subject);
        h->comm = vh_open_files_comm(host, pid_text);
        g_ptr_array_add(out, h);
    }
    return out;
}

typedef struct {
    const VhHost *host;
    struct stat nodes[2]; /* the group's node, the device's iommufd node */
    char *names[2];
    guint n;
    GPtrArray *holders;
} NowScan;

static gboolean
holds_now(const VhOpenFile *file, gpointer data)
{
    NowScan *scan = data;

    for (guint i = 0; i < scan->n; i++) {
        VhHolder *h;

        if (!vh_open_files_same_node(&file->st, &scan->nodes[i]))
            continue;
        for (guint j = 0; j < scan->holders->len; j++) /* a process once, by its first node */
            if (((VhHolder *)g_ptr_array_index(scan->holders, j))->pid == file->pid)
                return TRUE;
        h = g_new0(VhHolder, 1);
        h->pid = file->pid;
        h->comm = vh_open_files_comm(scan->host, file->pid_text);
        h->domain_name = domain_of(scan->host, file->pid);
        h->state = VH_HOLDER_RUNNING;
        h->via = g_strdup(scan->names[i]);
        g_ptr_array_add(scan->holders, h);
        return TRUE;
    }
    return TRUE;
}

/* the node of @rel under the host's /dev into @scan, when there is one */
static void
add_node(NowScan *scan, const char *rel)
{
    g_autofree char *path = vh_host_dev_path(scan->host, rel);

    if (stat(path, &scan->nodes[scan->n]) == 0)
        scan->names[scan->n++] = g_strconcat("/dev/", rel, NULL);
}

GPtrArray *
vh_holders_of_device_now(const VhHost *host, const char *address, GError **error)
{
    g_autofree char *dev_rel = g_strconcat("bus/pci/devices/", address, NULL);
    g_autofree char *dev_dir = vh_host_sysfs_path(host, dev_rel);
    g_autofree char *group_link = g_build_filename(dev_dir, VH_ATTR_IOMMU_GROUP, NULL);
    g_autofree char *group = vh_sysfs_read_link_name(group_link, NULL);
    g_autofree char *cdevs_path = g_build_filename(dev_dir, "vfio-dev", NULL);
    g_autoptr(GDir) cdevs = g_dir_open(cdevs_path, 0, NULL);
    const char *cdev = cdevs != NULL ? g_dir_read_name(cdevs) : NULL;
    NowScan scan = {.host = host,
                    .holders = g_ptr_array_new_with_free_func((GDestroyNotify)vh_holder_free)};

    if (group != NULL) {
        g_autofree char *rel = g_strconcat("vfio/", group, NULL);

        add_node(&scan, rel);
    }
    if (cdev != NULL) {
        g_autofree char *rel = g_strconcat("vfio/devices/", cdev, NULL);

        add_node(&scan, rel);
    }
    /* no node: no process can hold it */
    if (scan.n > 0 && !vh_open_files_walk(host, holds_now, &scan)) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: who holds its IOMMU group cannot be told, the open files of some "
                    "processes cannot be read (fix: run vfio-handoff as root)",
                    address);
        g_clear_pointer(&scan.holders, g_ptr_array_unref);
    }
    for (guint i = 0; i < scan.n; i++)
        g_free(scan.names[i]);
    for (guint i = 0; scan.holders != NULL && i < scan.holders->len; i++)
        ((VhHolder *)g_ptr_array_index(scan.holders, i))->device = g_strdup(address);
    return scan.holders;
}

char *
vh_holder_text(const VhHolder *h)
{
    g_autofree char *comm = h->comm != NULL ? g_strdup_printf(" (%s)", h->comm) : g_strdup("");

    if (h->domain_name != NULL)
        return g_strdup_printf("process %d%s of the domain '%s', through %s", h->pid, comm,
                               h->domain_name, h->via);
    return g_strdup_printf("process %d%s, through %s", h->pid, comm, h->via);
}

char *
vh_holder_fix(const VhHolder *h, const char *then)
{
    g_autofree char *word = h->domain_name != NULL ? vh_error_shell_word(h->domain_name) : NULL;
    g_autofree char *first = word != NULL ? g_strdup_printf("run 'virsh shutdown %s' first", word)
                                          : g_strdup_printf("stop process %d first", h->pid);

    if (then == NULL)
        return g_steal_pointer(&first);
    return g_strdup_printf("%s, then run '%s'", first, then);
}

char *
vh_holders_libvirt_status_user(const VhHost *host, const char *address, const char *exclude)
{
    g_autoptr(GDir) dir = g_dir_open(host->libvirt_run_dir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_build_filename(host->libvirt_run_dir, name, NULL);
        g_autofree char *xml = NULL;
        g_autoptr(VhDomainDef) def = NULL;
        gsize len = 0;

        if (!g_str_has_suffix(name, ".xml") ||
            !g_file_get_contents(path, &xml, &len, NULL) ||
            (def = vh_domain_def_parse_status(xml, len, NULL)) == NULL ||
            g_strcmp0(def->name, exclude) == 0)
            continue;
        for (guint i = 0; i < def->hostdevs->len; i++) {
            const VhDomainHostdev *d = g_ptr_array_index(def->hostdevs, i);

            if (strcmp(d->address, address) == 0)
                return g_strdup(def->name);
        }
    }
    return NULL;
}
