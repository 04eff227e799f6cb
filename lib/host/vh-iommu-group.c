/* vfio-handoff: IOMMU groups */
#include "config.h"

#include "vh-iommu-group.h"

VhIommuGroup *
vh_iommu_group_new(int number)
{
    VhIommuGroup *group = g_new0(VhIommuGroup, 1);

    group->number = number;
    group->members = g_ptr_array_new();
    return group;
}

void
vh_iommu_group_free(VhIommuGroup *group)
{
    if (group == NULL)
        return;
    g_ptr_array_unref(group->members);
    g_free(group);
}

GPtrArray *
vh_iommu_group_endpoints(const VhIommuGroup *group)
{
    GPtrArray *out = g_ptr_array_new();

    for (guint i = 0; i < group->members->len; i++) {
        VhPciDevice *dev = g_ptr_array_index(group->members, i);

        if (vh_pci_device_is_endpoint(dev))
            g_ptr_array_add(out, dev);
    }
    return out;
}

gboolean
vh_iommu_group_is_viable(const VhIommuGroup *group, GPtrArray **blockers)
{
    g_autoptr(GPtrArray) bad = g_ptr_array_new();

    for (guint i = 0; i < group->members->len; i++) {
        VhPciDevice *dev = g_ptr_array_index(group->members, i);

        if (!vh_pci_device_is_viable_member(dev))
            g_ptr_array_add(bad, dev);
    }
    if (blockers != NULL)
        *blockers = g_ptr_array_ref(bad);
    return bad->len == 0;
}
