/* vfio-handoff: one read of the host */
#include "config.h"

#include <string.h>

#include "vh-snapshot.h"

VhSnapshot *
vh_snapshot_load(const VhHost *host, VhSnapshotFlags flags, GError **error)
{
    g_autoptr(VhSnapshot) s = g_new0(VhSnapshot, 1);

    s->host = host;
    s->inventory = vh_inventory_load(host,
                                     ((flags & VH_SNAPSHOT_NAMES) ? VH_INVENTORY_NAMES : 0) |
                                         ((flags & VH_SNAPSHOT_DETAILS) ? VH_INVENTORY_DETAILS : 0),
                                     error);
    if (s->inventory == NULL)
        return NULL;
    s->usage = vh_host_usage_collect(host, s->inventory, error);
    if (s->usage == NULL)
        return NULL;
    s->verdicts = vh_verdicts_compute(s->inventory, s->usage);
    s->unreadable = g_ptr_array_new_with_free_func((GDestroyNotify)vh_journal_unreadable_free);
    s->journal = vh_journal_list(host, s->unreadable);
    s->holders = vh_holders_from_processes(host, s->usage);
    vh_holders_add_journal(s->holders, host, s->journal);
    s->vfio_aliases = vh_vfio_aliases_read(host);
    if (!vh_host_memory_read(host, &s->memory, error))
        return NULL;
    return g_steal_pointer(&s);
}

void
vh_snapshot_free(VhSnapshot *s)
{
    if (s == NULL)
        return;
    g_clear_pointer(&s->holders, g_ptr_array_unref);
    g_clear_pointer(&s->vfio_aliases, g_ptr_array_unref);
    g_clear_pointer(&s->journal, g_ptr_array_unref);
    g_clear_pointer(&s->unreadable, g_ptr_array_unref);
    vh_verdicts_free(s->verdicts);
    vh_host_usage_free(s->usage);
    vh_inventory_free(s->inventory);
    g_free(s);
}

const VhJournalRecord *
vh_snapshot_record(const VhSnapshot *s, const char *address)
{
    for (guint i = 0; i < s->journal->len; i++) {
        const VhJournalRecord *r = g_ptr_array_index(s->journal, i);

        if (strcmp(r->address, address) == 0)
            return r;
    }
    return NULL;
}

const VhHolder *
vh_snapshot_holder(const VhSnapshot *s, const char *address, gboolean process_only)
{
    for (guint i = 0; i < s->holders->len; i++) {
        const VhHolder *h = g_ptr_array_index(s->holders, i);

        if (strcmp(h->device, address) == 0 &&
            (!process_only || (h->pid > 0 && g_strcmp0(h->via, VH_HOLDER_VIA_JOURNAL) != 0)))
            return h;
    }
    return NULL;
}
