/* vfio-handoff: what the collectors of host usage share (vh-usage-collector.h): recording a
 * use, the PCI devices on a sysfs path, the host's own /proc */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vh-pci-address.h"
#include "vh-usage-collector.h"

/* /proc/PID/REL below the host's proc */
static char *
proc_of(const VhHost *host, const char *pid, const char *rel)
{
    g_autofree char *r = g_build_filename(pid, rel, NULL);

    return vh_host_proc_path(host, r);
}

char *
vh_usage_host_proc_path(const VhUsageCollector *c, const char *ns, const char *rel)
{
    g_autofree char *ns_rel = g_build_filename("ns", ns, NULL);
    g_autofree char *self_ns = proc_of(c->host, "self", ns_rel);
    g_autofree char *init_ns = proc_of(c->host, "1", ns_rel);
    g_autofree char *self_link = g_file_read_link(self_ns, NULL);
    g_autofree char *init_link = g_file_read_link(init_ns, NULL);
    g_autofree char *init_path = proc_of(c->host, "1", rel);

    if (self_link != NULL && init_link != NULL && strcmp(self_link, init_link) != 0 &&
        access(init_path, R_OK) == 0)
        return g_steal_pointer(&init_path);
    return proc_of(c->host, "self", rel);
}

/* The PCI devices on the sysfs path of @path (after resolving links), nearest first. */
GPtrArray *
vh_usage_pci_chain_of(const char *path)
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

VhUse *
vh_usage_add(VhUsageCollector *c, VhUseKind kind, const char *device, gboolean direct,
             const char *subject, const char *detail)
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

void
vh_usage_add_chain(VhUsageCollector *c, VhUseKind kind, GPtrArray *chain, const char *subject,
                   const char *detail)
{
    for (guint i = 0; i < chain->len; i++)
        vh_usage_add(c, kind, g_ptr_array_index(chain, i), i == 0, subject, detail);
}
