/* vfio-handoff: one PCI function */
#include "config.h"

#include <string.h>

#include "vh-pci-device.h"
#include "vh-kernel-abi.h"

void
vh_pci_device_free(VhPciDevice *dev)
{
    if (dev == NULL)
        return;
    g_free(dev->vendor_name);
    g_free(dev->device_name);
    g_free(dev->subsys_name);
    g_free(dev->class_name);
    g_free(dev->driver);
    g_free(dev->driver_override);
    g_strfreev(dev->reset_methods);
    g_free(dev->physfn);
    if (dev->virtfns != NULL)
        g_ptr_array_unref(dev->virtfns);
    g_free(dev->sysfs_dir);
    if (dev->parents != NULL)
        g_ptr_array_unref(dev->parents);
    g_free(dev);
}

VhResetHealth
vh_pci_device_reset_health(const VhPciDevice *dev)
{
    static const char *const clean[] = {"flr", "af_flr", "device_specific", NULL};

    if (dev->reset_methods == NULL || dev->reset_methods[0] == NULL)
        return VH_RESET_NONE;
    for (guint i = 0; dev->reset_methods[i] != NULL; i++) {
        if (g_strv_contains(clean, dev->reset_methods[i]))
            return VH_RESET_CLEAN;
    }
    return VH_RESET_UNCERTAIN;
}

const char *
vh_reset_health_to_string(VhResetHealth health)
{
    switch (health) {
    case VH_RESET_CLEAN:
        return "clean";
    case VH_RESET_UNCERTAIN:
        return "uncertain";
    case VH_RESET_NONE:
        return "none";
    }
    g_assert_not_reached();
}

gboolean
vh_pci_device_is_endpoint(const VhPciDevice *dev)
{
    if (dev->header_type != VH_PCI_HEADER_TYPE_UNKNOWN)
        return dev->header_type == VH_PCI_HEADER_TYPE_NORMAL;
    /* config space unreadable: fall back on the class */
    return vh_pci_device_class(dev) != VH_PCI_CLASS_BRIDGE_PCI && vh_pci_device_class(dev) != 0x0607;
}

gboolean
vh_pci_device_is_on_vfio(const VhPciDevice *dev)
{
    return dev->driver != NULL &&
           (g_strcmp0(dev->driver, VH_DRIVER_VFIO_PCI) == 0 || dev->vfio_variant);
}

gboolean
vh_pci_device_is_viable_member(const VhPciDevice *dev)
{
    if (!vh_pci_device_is_endpoint(dev))
        return TRUE;
    return dev->driver == NULL || vh_pci_device_is_on_vfio(dev) ||
           g_strcmp0(dev->driver, VH_DRIVER_PCI_STUB) == 0;
}

char *
vh_pci_device_ids(const VhPciDevice *dev)
{
    return g_strdup_printf("%04x:%04x", dev->vendor_id, dev->device_id);
}

int
vh_pci_device_vf_index(const VhPciDevice *pf, const char *vf)
{
    guint i;

    /* the inventory reads virtfn0..virtfnN-1 in order (the kernel makes every one) */
    if (pf->virtfns == NULL || !g_ptr_array_find_with_equal_func(pf->virtfns, vf, g_str_equal, &i))
        return -1;
    return (int)i;
}

char *
vh_pci_device_identity(const VhPciDevice *dev)
{
    return g_strdup_printf("%04x:%04x:%04x:%04x", dev->vendor_id, dev->device_id,
                           dev->subsys_vendor_id, dev->subsys_device_id);
}

gboolean
vh_pci_ids_parse(const char *text, guint16 *vendor, guint16 *device)
{
    if (strlen(text) != 9 || text[4] != ':')
        return FALSE;
    for (int i = 0; i < 9; i++) {
        if (i != 4 && !g_ascii_isxdigit(text[i]))
            return FALSE;
    }
    *vendor = (guint16)g_ascii_strtoull(text, NULL, 16);
    *device = (guint16)g_ascii_strtoull(text + 5, NULL, 16);
    return TRUE;
}

char *
vh_pci_device_display_name(const VhPciDevice *dev)
{
    if (dev->vendor_name != NULL && dev->device_name != NULL)
        return g_strdup_printf("%s %s", dev->vendor_name, dev->device_name);
    if (dev->vendor_name != NULL)
        return g_strdup_printf("%s device %04x", dev->vendor_name, dev->device_id);
    return g_strdup_printf("device %04x:%04x", dev->vendor_id, dev->device_id);
}
