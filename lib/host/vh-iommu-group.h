/* vfio-handoff: IOMMU groups — the unit the kernel isolates and vfio hands out */
#pragma once

#include <glib.h>

#include "vh-pci-device.h"

G_BEGIN_DECLS

typedef struct {
    int number;
    GPtrArray *members; /* VhPciDevice *, borrowed from the inventory, in address order */
} VhIommuGroup;

VhIommuGroup *vh_iommu_group_new(int number);
void vh_iommu_group_free(VhIommuGroup *group);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhIommuGroup, vh_iommu_group_free)

/* Endpoints only (bridges and root ports stay with the host). Borrowed pointers. */
GPtrArray *vh_iommu_group_endpoints(const VhIommuGroup *group);

/*
 * The kernel's viability rule: every endpoint is on vfio-pci (or a variant), pci-stub, or no
 * driver. When not viable and @blockers is given, it receives the endpoints that break the rule.
 */
gboolean vh_iommu_group_is_viable(const VhIommuGroup *group, GPtrArray **blockers);

G_END_DECLS
