/* vfio-handoff: which running VMs hold which devices */
#include "config.h"

#include <string.h>

#include "vh-holdings.h"
#include "vh-sysfs.h"

void
vh_holding_free(VhHolding *holding)
{
    g_free(holding->device);
    g_free(holding->domain_name);
    g_free(holding->via);
    g_free(holding);
}

char *
vh_holdings_guest_name(const char *arg)
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
            return vh_holdings_guest_name(arg + n + 1);
        off += n + 1;
    }
    return NULL;
}

GPtrArray *
vh_holdings_from_processes(const VhHost *host, const VhHostUsage *usage)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)vh_holding_free);

    for (guint i = 0; i < usage->uses->len; i++) {
        VhUse *use = g_ptr_array_index(usage->uses, i);
        VhHolding *h;

        if (use->kind != VH_USE_OPEN_NODE || use->pid <= 0 ||
            !g_str_has_prefix(use->subject, "/dev/vfio/"))
            continue;
        h = g_new0(VhHolding, 1);
        h->device = g_strdup(use->device);
        h->domain_name = domain_of(host, use->pid);
        h->pid = use->pid;
        h->alive = TRUE; /* it holds the node open now */
        h->via = g_strdup(use->subject);
        g_ptr_array_add(out, h);
    }
    return out;
}
