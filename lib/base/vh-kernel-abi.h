/*
 * vfio-handoff: the kernel's names that vfio-handoff reads and writes, in one place.
 * Each is cited: Documentation/ABI/testing/sysfs-bus-pci (SBP), Documentation/driver-api/vfio.rst
 * (VFIO), and ../shared/notes/sysfs-abi.md (measured on a real kernel).
 */
#pragma once

/* drivers */
#define VH_DRIVER_VFIO_PCI "vfio-pci" /* VFIO: the driver a device must be bound to for a VM */
#define VH_DRIVER_PCI_STUB "pci-stub" /* a placeholder driver; VFIO counts it as viable */
#define VH_MODULE_VFIO_PCI "vfio-pci" /* its module (libkmod resolves the alias vfio_pci) */

/* below /sys */
#define VH_SYSFS_PCI_DEVICES "bus/pci/devices" /* one link per function, named DDDD:BB:SS.F */
#define VH_SYSFS_PCI_DRIVERS "bus/pci/drivers" /* one directory per registered driver */
#define VH_SYSFS_DRIVERS_PROBE "bus/pci/drivers_probe" /* SBP: write an address to probe it */
#define VH_SYSFS_HUGEPAGES "kernel/mm/hugepages"       /* hugepages-SIZEkB/free_hugepages */
#define VH_SYSFS_IOMMU_GROUPS "kernel/iommu_groups"    /* sysfs-kernel-iommu_groups: N/devices/ */

/* attributes of a device, below bus/pci/devices/ADDRESS */
#define VH_ATTR_DRIVER "driver" /* a link to the bound driver; absent when unbound */
#define VH_ATTR_DRIVER_OVERRIDE                                                                    \
    "driver_override"                     /* SBP: the only driver it may bind to; a                \
                                             newline clears it, zero bytes do nothing */
#define VH_ATTR_IOMMU_GROUP "iommu_group" /* a link to kernel/iommu_groups/N */
#define VH_ATTR_CONFIG                                                                             \
    "config"                                /* SBP: config space; a device that does not answer    \
                                             * reads all ones (vendor ID 0xffff) */
#define VH_ATTR_RESET_METHOD "reset_method" /* SBP (5.15+): the reset methods, in order */

/* files of a driver, below bus/pci/drivers/NAME */
#define VH_DRIVER_UNBIND "unbind" /* SBP: write an address to release it */
#define VH_DRIVER_BIND "bind"     /* SBP: write an address to bind it (ignores driver_override) */

/* below /dev */
#define VH_DEV_VFIO_GROUP                                                                          \
    "vfio/%d" /* VFIO: the group's node, present once every endpoint is viable */
