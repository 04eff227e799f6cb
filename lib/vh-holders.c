/* vfio-handoff: which running VMs hold which devices */
#include "config.h"

#include <string.h>

#include "vh-holders.h"
#include "vh-sysfs.h"
#include "vh-units.h"

void
vh_holder_free(VhHolder *holder)
{
    g_free(holder->device);
    g_free(holder->domain_name);
    g_free(holder->via);
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

VhHolderState
vh_holder_state_of_record(const VhHost *host, const VhJournalRecord *r)
{
    if (r->owner == VH_OWNER_BY_HAND)
        return VH_HOLDER_BY_HAND;
    if (r->qemu_pid <= 0)
        return VH_HOLDER_STARTING; /* taken at prepare; `started` records the pid */
    return vh_host_pid_alive(host, r->qemu_pid) ? VH_HOLDER_RUNNING : VH_HOLDER_GONE;
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
        VhHolder *h;

        if (use->kind != VH_USE_OPEN_NODE || use->pid <= 0 ||
            !g_str_has_prefix(use->subject, "/dev/vfio/"))
            continue;
        h = g_new0(VhHolder, 1);
        h->device = g_strdup(use->device);
        h->domain_name = domain_of(host, use->pid);
        h->pid = use->pid;
        h->state = VH_HOLDER_RUNNING; /* it holds the node open now */
        h->via = g_strdup(use->subject);
        g_ptr_array_add(out, h);
    }
    return out;
}
