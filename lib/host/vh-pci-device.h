/* vfio-handoff: one PCI function as the host sees it */
#pragma once

#include <glib.h>

#include "vh-pci-address.h"

G_BEGIN_DECLS

/* PCI Local Bus Spec 3.0 §6.2.1: header type register, offset 0x0e, low 7 bits. */
#define VH_PCI_HEADER_TYPE_NORMAL 0x00
#define VH_PCI_HEADER_TYPE_BRIDGE 0x01
#define VH_PCI_HEADER_TYPE_CARDBUS 0x02
#define VH_PCI_HEADER_TYPE_UNKNOWN (-1)

/* PCI Code and ID Assignment Spec: base classes and the subclasses we name. */
#define VH_PCI_CLASS_DISPLAY_VGA 0x0300
#define VH_PCI_CLASS_BRIDGE_HOST 0x0600
#define VH_PCI_CLASS_BRIDGE_ISA 0x0601
#define VH_PCI_CLASS_BRIDGE_PCI 0x0604
#define VH_PCI_BASE_CLASS_BRIDGE 0x06

/* TotalVFs is a 16-bit field of the SR-IOV capability (PCIe base spec, 9.3.3.5) */
#define VH_PCI_SRIOV_MAX_VFS 65535

typedef struct {
    VhPciAddress address;
    char name[VH_PCI_ADDRESS_BUFSIZE]; /* canonical "0000:01:00.0" */

    guint16 vendor_id;
    guint16 device_id;
    guint16 subsys_vendor_id; /* 0 when absent */
    guint16 subsys_device_id;
    guint32 class_code; /* 24 bits: base class, subclass, programming interface */
    guint8 revision;
    int header_type; /* VH_PCI_HEADER_TYPE_*, from config space */

    char *vendor_name; /* from pci.ids; NULL when unknown */
    char *device_name;
    char *subsys_name;
    char *class_name;

    char *driver;          /* bound driver; NULL when unbound */
    char *driver_override; /* NULL when unset ("(null)" in sysfs) */
    gboolean vfio_variant; /* bound to a vfio variant driver (has vfio-dev/) */
    int iommu_group;       /* -1 without an IOMMU */
    int numa_node;         /* -1 when unknown */
    int boot_vga;          /* -1 when not a VGA device, else 0/1 */
    char **reset_methods;  /* NULL when the kernel offers no reset; else NULL-terminated */

    /* SR-IOV (PCIe Base Spec §9): a PF lists its VFs, a VF names its PF. */
    int sriov_totalvfs; /* -1 when not a PF (or its sysfs value is beyond VH_PCI_SRIOV_MAX_VFS) */
    int sriov_numvfs;
    char *physfn;       /* a VF's PF address, else NULL */
    GPtrArray *virtfns; /* addresses (char *) of a PF's VFs */

    char *sysfs_dir;    /* "devices/pci0000:00/0000:00:01.0/0000:01:00.0", below the sysfs root */
    GPtrArray *parents; /* addresses (char *) of the PCI bridges above it, nearest first */
} VhPciDevice;

/* Whether a reset is known to leave the device clean for its next user: a function-level
 * reset (flr, af_flr) or the kernel's device-specific quirk is; a power-state (pm: D3hot, which
 * many devices ignore) or bus reset (which some GPUs do not come back from: the well-known
 * reset bugs) may not be; with none the device keeps its state from one VM to the next. */
typedef enum {
    VH_RESET_CLEAN,
    VH_RESET_UNCERTAIN,
    VH_RESET_NONE,
} VhResetHealth;

VhResetHealth vh_pci_device_reset_health(const VhPciDevice *dev);

/* "clean", "uncertain", "none" */
const char *vh_reset_health_to_string(VhResetHealth health);

void vh_pci_device_free(VhPciDevice *dev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhPciDevice, vh_pci_device_free)

/* An endpoint in the kernel's sense (type-0 header); bridges are not handed off. */
gboolean vh_pci_device_is_endpoint(const VhPciDevice *dev);

/* Bound to vfio-pci or a vfio variant driver. */
gboolean vh_pci_device_is_on_vfio(const VhPciDevice *dev);

/* The kernel's group viability rule (Documentation/driver-api/vfio.rst): an endpoint must be
 * bound to vfio-pci (or a variant), pci-stub, or nothing. */
gboolean vh_pci_device_is_viable_member(const VhPciDevice *dev);

/* Which VF of the PF @pf the device @vf is (its virtfnN link), or -1. */
int vh_pci_device_vf_index(const VhPciDevice *pf, const char *vf);

/* "10de:2204" */
char *vh_pci_device_ids(const VhPciDevice *dev);

/* "10de:2204:1458:403b": vendor, device and subsystem IDs, what a policy pins */
char *vh_pci_device_identity(const VhPciDevice *dev);

/* Parses "10de:2204" strictly: four hex digits, a colon, four hex digits. */
gboolean vh_pci_ids_parse(const char *text, guint16 *vendor, guint16 *device);

/* "NVIDIA Corporation GA102 [GeForce RTX 3090]", or the IDs when pci.ids knows neither. */
char *vh_pci_device_display_name(const VhPciDevice *dev);

/* Class base and subclass (class_code >> 8). */
static inline guint16
vh_pci_device_class(const VhPciDevice *dev)
{
    return (guint16)(dev->class_code >> 8);
}

G_END_DECLS
