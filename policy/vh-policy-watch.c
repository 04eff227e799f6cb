/* vfio-handoff policy: libvirt's own devices to watch */
#include "config.h"

#include "vh-kernel-abi.h"
#include "vh-parked.h"
#include "vh-policy-watch.h"

/* Whether @dev is enabled for @domain (NULL: for any), itself or as the companion of a device
 * that is (a GPU's audio function): libvirt may leave either on vfio-pci. */
static gboolean
enabled_for(const VhPolicy *policy, const VhSnapshot *snap, const VhPciDevice *dev,
            const char *domain)
{
    const VhIommuGroup *group = vh_inventory_group_of(snap->inventory, dev);

    for (guint i = 0; group != NULL && i < group->members->len; i++) {
        const VhPciDevice *m = g_ptr_array_index(group->members, i);
        const VhPolicyDevice *pd = vh_policy_device_for(policy, m);

        if (pd != NULL && pd->enabled &&
            (domain == NULL || vh_policy_device_allows_domain(pd, domain)))
            return TRUE;
    }
    return FALSE;
}

/* Whether @dev may be watched for @domain: on its host driver, or on vfio-pci where a holder
 * that is gone left it (its record says where it goes back, and goes to @domain); and no one
 * else holds it: no process has its group open, no record of another domain that runs. */
static gboolean
free_for(const VhSnapshot *snap, const VhPciDevice *dev, const char *domain)
{
    const VhJournalRecord *r = vh_snapshot_record(snap, dev->name);
    gboolean stale =
        r != NULL && g_strcmp0(r->domain, domain) != 0 &&
        !vh_holder_is_alive(&(VhHolder){.state = vh_holder_state_of_record(snap->host, r)});

    if (vh_snapshot_holder(snap, dev->name, TRUE) != NULL)
        return FALSE;
    if (r != NULL && !stale && g_strcmp0(r->domain, domain) != 0)
        return FALSE; /* another domain's that runs or starts, or by hand */
    if (r != NULL && r->state == VH_JOURNAL_WEDGED)
        return FALSE;
    return vh_pci_device_is_on_vfio(dev) ? stale : dev->driver != NULL;
}

GPtrArray *
vh_policy_libvirt_watch(const VhPolicy *policy, const VhSnapshot *snap, const VhDomainDef *def)
{
    g_autoptr(GPtrArray) managed = vh_domain_def_managed(def);
    GPtrArray *watch = g_ptr_array_new();

    for (guint i = 0; i < managed->len; i++) {
        const VhPciDevice *dev =
            vh_inventory_lookup(snap->inventory, g_ptr_array_index(managed, i));

        const VhIommuGroup *group;

        if (dev == NULL || !enabled_for(policy, snap, dev, def->name) ||
            !free_for(snap, dev, def->name))
            continue;
        if (!g_ptr_array_find(watch, dev, NULL))
            g_ptr_array_add(watch, (gpointer)dev);
        /* its companions that a holder that is gone left on vfio-pci go with it */
        group = vh_inventory_group_of(snap->inventory, dev);
        for (guint j = 0; group != NULL && j < group->members->len; j++) {
            const VhPciDevice *c = g_ptr_array_index(group->members, j);

            if (vh_pci_device_is_on_vfio(c) && vh_snapshot_record(snap, c->name) != NULL &&
                free_for(snap, c, def->name) && !g_ptr_array_find(watch, c, NULL))
                g_ptr_array_add(watch, (gpointer)c);
        }
    }
    return watch;
}

GPtrArray *
vh_policy_libvirt_left(const VhPolicy *policy, const VhSnapshot *snap)
{
    GPtrArray *left = g_ptr_array_new();

    for (guint i = 0; i < snap->inventory->devices->len; i++) {
        const VhPciDevice *dev = g_ptr_array_index(snap->inventory->devices, i);

        if (vh_parked_check(snap, dev, NULL) &&
            g_strcmp0(dev->driver_override, VH_DRIVER_VFIO_PCI) == 0 &&
            enabled_for(policy, snap, dev, NULL))
            g_ptr_array_add(left, (gpointer)dev);
    }
    return left;
}
