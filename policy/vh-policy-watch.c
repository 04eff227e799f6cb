/* vfio-handoff policy: libvirt's own devices to watch */
#include "config.h"

#include "vh-policy-watch.h"

/* a record of another domain whose holder is still there */
static gboolean
held_by_other_domain(const VhSnapshot *snap, const VhPciDevice *dev, const char *domain)
{
    const VhJournalRecord *r = vh_snapshot_record(snap, dev->name);

    return r != NULL && g_strcmp0(r->domain, domain) != 0 &&
           vh_holder_state_of_record(snap->host, r) != VH_HOLDER_GONE;
}

GPtrArray *
vh_policy_libvirt_watch(const VhPolicy *policy, const VhSnapshot *snap, const VhDomainDef *def)
{
    g_autoptr(GPtrArray) managed = vh_domain_def_managed(def);
    GPtrArray *watch = g_ptr_array_new();

    for (guint i = 0; i < managed->len; i++) {
        const VhPciDevice *dev =
            vh_inventory_lookup(snap->inventory, g_ptr_array_index(managed, i));
        const VhPolicyDevice *pd = dev != NULL ? vh_policy_device_for(policy, dev) : NULL;

        if (pd == NULL || !pd->enabled || dev->driver == NULL || vh_pci_device_is_on_vfio(dev) ||
            held_by_other_domain(snap, dev, def->name) || g_ptr_array_find(watch, dev, NULL))
            continue;
        g_ptr_array_add(watch, (gpointer)dev);
    }
    return watch;
}
