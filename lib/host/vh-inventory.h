/* vfio-handoff: the host's PCI devices and IOMMU groups, read once */
#pragma once

#include <glib.h>

#include "vh-host.h"
#include "vh-iommu-group.h"
#include "vh-pci-device.h"

G_BEGIN_DECLS

typedef enum {
    VH_INVENTORY_NONE = 0,
    VH_INVENTORY_NAMES = 1 << 0,   /* look up vendor/device/class names in pci.ids */
    VH_INVENTORY_DETAILS = 1 << 1, /* the NUMA node (for show) */
} VhInventoryFlags;

typedef struct {
    GPtrArray *devices;         /* VhPciDevice *, owned, in address order */
    GHashTable *by_name;        /* "0000:01:00.0" -> VhPciDevice * */
    GPtrArray *groups;          /* VhIommuGroup *, owned, by number */
    GHashTable *group_by_number; /* GINT_TO_POINTER(number) -> VhIommuGroup * */
    gboolean has_iommu_groups;  /* the kernel publishes IOMMU groups (the IOMMU is on) */
} VhInventory;

/* Reads every PCI device below the host's sysfs root with libpci, plus what libpci does not
 * model (driver_override, reset methods, boot VGA, SR-IOV links, the bridge chain). */
VhInventory *vh_inventory_load(const VhHost *host, VhInventoryFlags flags, GError **error);
void vh_inventory_free(VhInventory *inv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhInventory, vh_inventory_free)

VhPciDevice *vh_inventory_lookup(const VhInventory *inv, const char *name);

/*
 * Resolves a DEVICE argument: a PCI address (DDDD:BB:SS.F or BB:SS.F), or a vendor:device ID
 * that matches exactly one device. The error names the argument and, when an ID is ambiguous,
 * every match.
 */
VhPciDevice *vh_inventory_resolve(const VhInventory *inv, const char *arg, GError **error);

VhIommuGroup *vh_inventory_group_of(const VhInventory *inv, const VhPciDevice *dev);

/* The other endpoints of @dev's IOMMU group (its companions); borrowed pointers. */
GPtrArray *vh_inventory_companions(const VhInventory *inv, const VhPciDevice *dev);

G_END_DECLS
