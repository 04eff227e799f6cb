/* vfio-handoff: the host's PCI devices and IOMMU groups */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pci/pci.h>

#include "vh-error.h"
#include "vh-inventory.h"
#include "vh-sysfs.h"
#include "vh-units.h"
#include "vh-kernel-abi.h"

/*
 * libpci reports fatal errors through a callback that must not return. Scans are short and not
 * re-entered, so the callback jumps back into vh_inventory_load(), which turns the message into
 * a GError instead of letting libpci exit the process.
 */
static _Thread_local jmp_buf *pci_error_jump;
static _Thread_local char pci_error_message[256];

G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN static void
on_pci_error(char *msg, ...)
{
    va_list ap;

    va_start(ap, msg);
    g_vsnprintf(pci_error_message, sizeof(pci_error_message), msg, ap);
    va_end(ap);
    longjmp(*pci_error_jump, 1);
}

G_GNUC_PRINTF(1, 2) static void
on_pci_warning(char *msg, ...)
{
    va_list ap;

    va_start(ap, msg);
    g_logv(G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, msg, ap);
    va_end(ap);
}

/* Names come from pci.ids alone: no udev hwdb (which libudev re-opens on every lookup when it
 * is missing), no network. */
#define VH_LOOKUP_FLAGS (PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB)

static char *
lookup_name(struct pci_access *acc, int flags, ...)
{
    char buf[256];
    const char *name;
    va_list ap;

    /* pci_lookup_name() takes the IDs as varargs; forward them by kind */
    va_start(ap, flags);
    if (flags & PCI_LOOKUP_SUBSYSTEM) {
        int v = va_arg(ap, int), d = va_arg(ap, int), sv = va_arg(ap, int), sd = va_arg(ap, int);

        name = pci_lookup_name(acc, buf, sizeof(buf), flags | VH_LOOKUP_FLAGS, v, d, sv, sd);
    } else if (flags & PCI_LOOKUP_DEVICE) {
        int v = va_arg(ap, int), d = va_arg(ap, int);

        name = pci_lookup_name(acc, buf, sizeof(buf), flags | VH_LOOKUP_FLAGS, v, d);
    } else {
        int v = va_arg(ap, int);

        name = pci_lookup_name(acc, buf, sizeof(buf), flags | VH_LOOKUP_FLAGS, v);
    }
    va_end(ap);
    return name != NULL ? g_strdup(name) : NULL;
}

/* "../../../devices/pci0000:00/0000:00:1c.0/0000:03:00.0": the path below the sysfs root and
 * the PCI bridges on the way, nearest first. */
static void
read_topology(VhPciDevice *dev, const char *devices_dir)
{
    g_autofree char *link = g_build_filename(devices_dir, dev->name, NULL);
    g_autofree char *target = vh_sysfs_read_link(link, NULL);
    const char *p;
    g_auto(GStrv) parts = NULL;

    dev->parents = g_ptr_array_new_with_free_func(g_free);
    if (target == NULL)
        return;
    p = target;
    while (g_str_has_prefix(p, "../"))
        p += 3;
    dev->sysfs_dir = g_strdup(p);
    parts = g_strsplit(p, "/", -1);
    for (int i = (int)g_strv_length(parts) - 2; i >= 0; i--) {
        if (vh_pci_address_is_valid(parts[i]))
            g_ptr_array_add(dev->parents, g_strdup(parts[i]));
    }
}

/* "0000:01:00.0/driver_override": an attribute's path relative to the devices directory */
static const char *
attr_path(char *buf, gsize size, const VhPciDevice *dev, const char *attr)
{
    g_snprintf(buf, size, "%s/%s", dev->name, attr);
    return buf;
}
#define ATTR(d, attr) attr_path(path, sizeof(path), (d), (attr))

static void
read_sriov(VhPciDevice *dev, int dfd)
{
    char path[VH_PCI_ADDRESS_BUFSIZE + 32];
    gint64 v;

    dev->physfn = vh_sysfs_read_link_name_at(dfd, ATTR(dev, "physfn"), NULL);
    /* the SR-IOV capability counts VFs in 16 bits; a value beyond is not the kernel's */
    if (!vh_sysfs_read_int_at(dfd, ATTR(dev, "sriov_totalvfs"), &v, NULL) || v < 0 ||
        v > VH_PCI_SRIOV_MAX_VFS)
        return;
    dev->sriov_totalvfs = (int)v;
    if (vh_sysfs_read_int_at(dfd, ATTR(dev, "sriov_numvfs"), &v, NULL) && v >= 0 &&
        v <= dev->sriov_totalvfs)
        dev->sriov_numvfs = (int)v;
    for (int i = 0; i < dev->sriov_numvfs; i++) {
        char leaf[32];
        char *vf;

        g_snprintf(leaf, sizeof(leaf), "virtfn%d", i);
        vf = vh_sysfs_read_link_name_at(dfd, ATTR(dev, leaf), NULL);

        if (vf != NULL)
            g_ptr_array_add(dev->virtfns, vf);
    }
}

/* The IDs and class from the kernel's uevent for the device (drivers/pci/pci-driver.c
 * pci_uevent(): PCI_CLASS=%04X, PCI_ID=%04X:%04X, PCI_SUBSYS_ID=%04X:%04X): the same values as
 * the vendor, device and class attributes lspci reads, in one file instead of three. */
static gboolean
read_uevent(VhPciDevice *dev, int dfd)
{
    char path[VH_PCI_ADDRESS_BUFSIZE + 32];
    g_autofree char *text = vh_sysfs_read_at(dfd, ATTR(dev, "uevent"), NULL);
    guint found = 0;

    for (char *line = text; line != NULL && *line != '\0';) {
        char *next = strchr(line, '\n');

        if (next != NULL)
            *next++ = '\0';
        if (g_str_has_prefix(line, "PCI_CLASS=")) {
            dev->class_code = (guint32)g_ascii_strtoull(line + 10, NULL, 16) & 0xffffff;
            found |= 1;
        } else if (g_str_has_prefix(line, "PCI_ID=") && strlen(line) == 16) {
            dev->vendor_id = (guint16)g_ascii_strtoull(line + 7, NULL, 16);
            dev->device_id = (guint16)g_ascii_strtoull(line + 12, NULL, 16);
            found |= 2;
        } else if (g_str_has_prefix(line, "PCI_SUBSYS_ID=") && strlen(line) == 23) {
            dev->subsys_vendor_id = (guint16)g_ascii_strtoull(line + 14, NULL, 16);
            dev->subsys_device_id = (guint16)g_ascii_strtoull(line + 19, NULL, 16);
        }
        line = next;
    }
    return found == 3;
}

/* What libpci does not model, read relative to the devices directory. libpci could give the
 * driver and the group too, but resolves each link with a full realpath(); one readlink is
 * enough for a name. */
static void
read_sysfs_attributes(VhPciDevice *dev, int dfd)
{
    char path[VH_PCI_ADDRESS_BUFSIZE + 32];
    g_autofree char *value = NULL;
    g_autofree char *group = NULL;
    gint64 v;

    if (!read_uevent(dev, dfd)) {
        if (vh_sysfs_read_int_at(dfd, ATTR(dev, "vendor"), &v, NULL))
            dev->vendor_id = (guint16)v;
        if (vh_sysfs_read_int_at(dfd, ATTR(dev, "device"), &v, NULL))
            dev->device_id = (guint16)v;
        if (vh_sysfs_read_int_at(dfd, ATTR(dev, "class"), &v, NULL))
            dev->class_code = (guint32)v & 0xffffff;
    }
    dev->driver = vh_sysfs_read_link_name_at(dfd, ATTR(dev, VH_ATTR_DRIVER), NULL);
    group = vh_sysfs_read_link_name_at(dfd, ATTR(dev, VH_ATTR_IOMMU_GROUP), NULL);
    if (group != NULL)
        dev->iommu_group = vh_parse_kernel_number(group);

    /* Documentation/ABI/testing/sysfs-bus-pci: driver_override reads "(null)" when unset */
    value = vh_sysfs_read_at(dfd, ATTR(dev, VH_ATTR_DRIVER_OVERRIDE), NULL);
    if (value != NULL && value[0] != '\0' && g_strcmp0(value, "(null)") != 0)
        dev->driver_override = g_steal_pointer(&value);
    g_clear_pointer(&value, g_free);

    if (vh_pci_device_class(dev) == VH_PCI_CLASS_DISPLAY_VGA &&
        vh_sysfs_read_int_at(dfd, ATTR(dev, "boot_vga"), &v, NULL))
        dev->boot_vga = v != 0;

    /* vfio variant drivers (mlx5_vfio_pci, ...) register a vfio-dev/ child */
    if (dev->driver != NULL && strstr(dev->driver, "vfio") != NULL &&
        g_strcmp0(dev->driver, VH_DRIVER_VFIO_PCI) != 0)
        dev->vfio_variant = vh_sysfs_exists_at(dfd, ATTR(dev, "vfio-dev"));

    read_sriov(dev, dfd);
    /* reset_method (5.15+) lists the methods in use; empty or absent means none */
    value = vh_sysfs_read_at(dfd, ATTR(dev, VH_ATTR_RESET_METHOD), NULL);
    if (value != NULL && value[0] != '\0')
        dev->reset_methods = g_strsplit(value, " ", -1);
}

/* What only `show` prints: the NUMA node. */
static void
read_details(VhPciDevice *dev, int dfd)
{
    char path[VH_PCI_ADDRESS_BUFSIZE + 32];
    gint64 v;

    if (vh_sysfs_read_int_at(dfd, ATTR(dev, "numa_node"), &v, NULL))
        dev->numa_node = (int)v;
}

static VhPciDevice *
read_device(struct pci_access *acc, struct pci_dev *pd, int devices_fd, const char *devices_dir,
            VhInventoryFlags flags)
{
    g_autoptr(VhPciDevice) dev = g_new0(VhPciDevice, 1);
    u8 config[64];

    dev->address.domain = (guint32)pd->domain;
    dev->address.bus = pd->bus;
    dev->address.slot = pd->dev;
    dev->address.function = pd->func;
    vh_pci_address_format(&dev->address, dev->name);
    dev->iommu_group = -1;
    dev->boot_vga = -1;
    dev->numa_node = -1;
    dev->sriov_totalvfs = dev->sriov_numvfs = -1;
    dev->virtfns = g_ptr_array_new_with_free_func(g_free);
    read_sysfs_attributes(dev, devices_fd);
    if (flags & VH_INVENTORY_DETAILS)
        read_details(dev, devices_fd);

    /* what uevent lacks, from the standard header in one read through libpci; the first 64
     * bytes of config space are readable by any user (PCI Local Bus Spec 3.0 §6.1: revision
     * 0x08, header type 0x0e, type-0 subsystem IDs 0x2c/0x2e) */
    if (pci_read_block(pd, 0, config, sizeof(config))) {
        dev->revision = config[PCI_REVISION_ID];
        dev->header_type = config[PCI_HEADER_TYPE] & 0x7f;
        if (dev->subsys_vendor_id == 0 && dev->header_type == VH_PCI_HEADER_TYPE_NORMAL) {
            dev->subsys_vendor_id = (guint16)(config[PCI_SUBSYSTEM_VENDOR_ID] |
                                              config[PCI_SUBSYSTEM_VENDOR_ID + 1] << 8);
            dev->subsys_device_id =
                (guint16)(config[PCI_SUBSYSTEM_ID] | config[PCI_SUBSYSTEM_ID + 1] << 8);
        }
    } else {
        /* config space unreadable: libpci falls back on the sysfs attributes */
        pci_fill_info(pd, PCI_FILL_CLASS_EXT | PCI_FILL_SUBSYS);
        dev->revision = pd->rev_id;
        dev->header_type = VH_PCI_HEADER_TYPE_UNKNOWN;
        if (dev->subsys_vendor_id == 0) {
            dev->subsys_vendor_id = pd->subsys_vendor_id;
            dev->subsys_device_id = pd->subsys_id;
        }
    }
    read_topology(dev, devices_dir);

    if (flags & VH_INVENTORY_NAMES) {
        dev->vendor_name = lookup_name(acc, PCI_LOOKUP_VENDOR, dev->vendor_id);
        dev->device_name = lookup_name(acc, PCI_LOOKUP_DEVICE, dev->vendor_id, dev->device_id);
        dev->class_name = lookup_name(acc, PCI_LOOKUP_CLASS, vh_pci_device_class(dev));
        if (dev->subsys_vendor_id != 0 && dev->subsys_vendor_id != 0xffff)
            dev->subsys_name =
                lookup_name(acc, PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_DEVICE, dev->vendor_id,
                            dev->device_id, dev->subsys_vendor_id, dev->subsys_device_id);
    }
    return g_steal_pointer(&dev);
}

static int
compare_devices(gconstpointer a, gconstpointer b)
{
    const VhPciDevice *da = *(VhPciDevice *const *)a;
    const VhPciDevice *db = *(VhPciDevice *const *)b;

    return vh_pci_address_compare(&da->address, &db->address);
}

static int
compare_groups(gconstpointer a, gconstpointer b)
{
    const VhIommuGroup *ga = *(VhIommuGroup *const *)a;
    const VhIommuGroup *gb = *(VhIommuGroup *const *)b;

    return (ga->number > gb->number) - (ga->number < gb->number);
}

static gboolean
dir_has_entries(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);

    return dir != NULL && g_dir_read_name(dir) != NULL;
}

static gboolean
scan(VhInventory *inv, const VhHost *host, VhInventoryFlags flags, GError **error)
{
    g_autofree char *bus_dir = vh_host_sysfs_path(host, "bus/pci");
    g_autofree char *devices_dir = g_build_filename(bus_dir, "devices", NULL);
    struct pci_access *acc;
    int devices_fd;
    jmp_buf jump;

    /* libpci treats a missing directory as fatal; say what is missing instead */
    if (!g_file_test(devices_dir, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, VH_ERROR, VH_ERROR_NOT_FOUND,
                    "%s: no such directory (fix: mount sysfs on /sys, 'mount -t sysfs sysfs "
                    "/sys')",
                    devices_dir);
        return FALSE;
    }
    acc = pci_alloc();
    acc->error = on_pci_error;
    acc->warning = on_pci_warning;
    acc->debug = on_pci_warning;
    acc->method = PCI_ACCESS_SYS_BUS_PCI;
    pci_set_param(acc, (char *)"sysfs.path", bus_dir);
    pci_error_jump = &jump;
    if (setjmp(jump) != 0) {
        pci_error_jump = NULL;
        g_set_error(error, VH_ERROR, VH_ERROR_IO,
                    "%s: its PCI devices cannot be read, %s (fix: check that 'lspci' works "
                    "here)",
                    bus_dir, pci_error_message);
        /* libpci's state is unknown after its error: leak it rather than free it */
        return FALSE;
    }
    pci_init(acc);
    pci_scan_bus(acc);
    devices_fd = open(devices_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    for (struct pci_dev *pd = acc->devices; pd != NULL; pd = pd->next)
        g_ptr_array_add(inv->devices, read_device(acc, pd, devices_fd, devices_dir, flags));
    if (devices_fd >= 0)
        close(devices_fd);
    pci_cleanup(acc);
    pci_error_jump = NULL;
    return TRUE;
}

VhInventory *
vh_inventory_load(const VhHost *host, VhInventoryFlags flags, GError **error)
{
    g_autoptr(VhInventory) inv = g_new0(VhInventory, 1);
    g_autofree char *groups_dir = vh_host_sysfs_path(host, VH_SYSFS_IOMMU_GROUPS);

    inv->devices = g_ptr_array_new_with_free_func((GDestroyNotify)vh_pci_device_free);
    inv->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    inv->groups = g_ptr_array_new_with_free_func((GDestroyNotify)vh_iommu_group_free);
    inv->group_by_number = g_hash_table_new(g_direct_hash, g_direct_equal);

    if (!scan(inv, host, flags, error))
        return NULL;
    g_ptr_array_sort(inv->devices, compare_devices);

    for (guint i = 0; i < inv->devices->len; i++) {
        VhPciDevice *dev = g_ptr_array_index(inv->devices, i);
        VhIommuGroup *group;

        g_hash_table_insert(inv->by_name, dev->name, dev);
        if (dev->iommu_group < 0)
            continue;
        group = g_hash_table_lookup(inv->group_by_number, GINT_TO_POINTER(dev->iommu_group));
        if (group == NULL) {
            group = vh_iommu_group_new(dev->iommu_group);
            g_ptr_array_add(inv->groups, group);
            g_hash_table_insert(inv->group_by_number, GINT_TO_POINTER(dev->iommu_group), group);
        }
        g_ptr_array_add(group->members, dev); /* devices are sorted, so members are too */
    }
    g_ptr_array_sort(inv->groups, compare_groups);
    inv->has_iommu_groups = dir_has_entries(groups_dir);
    return g_steal_pointer(&inv);
}

void
vh_inventory_free(VhInventory *inv)
{
    if (inv == NULL)
        return;
    if (inv->by_name != NULL)
        g_hash_table_unref(inv->by_name);
    if (inv->group_by_number != NULL)
        g_hash_table_unref(inv->group_by_number);
    if (inv->groups != NULL)
        g_ptr_array_unref(inv->groups);
    if (inv->devices != NULL)
        g_ptr_array_unref(inv->devices);
    g_free(inv);
}

VhPciDevice *
vh_inventory_lookup(const VhInventory *inv, const char *name)
{
    return g_hash_table_lookup(inv->by_name, name);
}

VhPciDevice *
vh_inventory_resolve(const VhInventory *inv, const char *arg, GError **error)
{
    VhPciAddress addr;
    guint16 vendor, device;
    char name[VH_PCI_ADDRESS_BUFSIZE];
    VhPciDevice *dev;

    if (vh_pci_ids_parse(arg, &vendor, &device)) {
        g_autoptr(GPtrArray) matches = g_ptr_array_new();
        g_autoptr(GString) list = g_string_new(NULL);

        for (guint i = 0; i < inv->devices->len; i++) {
            VhPciDevice *d = g_ptr_array_index(inv->devices, i);

            if (d->vendor_id == vendor && d->device_id == device)
                g_ptr_array_add(matches, d);
        }
        if (matches->len == 1)
            return g_ptr_array_index(matches, 0);
        if (matches->len == 0) {
            g_set_error(error, VH_ERROR, VH_ERROR_NOT_FOUND,
                        "%s: no PCI device has this ID (fix: pick one from 'vfio-handoff list')",
                        arg);
            return NULL;
        }
        for (guint i = 0; i < matches->len; i++) {
            VhPciDevice *d = g_ptr_array_index(matches, i);

            g_string_append_printf(list, "%s%s", i > 0 ? ", " : "", d->name);
        }
        g_set_error(error, VH_ERROR, VH_ERROR_AMBIGUOUS,
                    "%s: this ID matches %u devices, %s (fix: name one by its address, e.g. %s)",
                    arg, matches->len, list->str, ((VhPciDevice *)g_ptr_array_index(matches, 0))->name);
        return NULL;
    }
    if (!vh_pci_address_parse(arg, &addr, NULL)) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "%s: not a device (fix: give a PCI address like 0000:01:00.0 or 01:00.0, or "
                    "an ID like 10de:2204, as 'vfio-handoff list' shows them)",
                    arg);
        return NULL;
    }
    vh_pci_address_format(&addr, name);
    dev = vh_inventory_lookup(inv, name);
    if (dev == NULL)
        g_set_error(error, VH_ERROR, VH_ERROR_NOT_FOUND,
                    "%s: no PCI device at this address (fix: pick one from 'vfio-handoff list')",
                    name);
    return dev;
}

VhIommuGroup *
vh_inventory_group_of(const VhInventory *inv, const VhPciDevice *dev)
{
    if (dev->iommu_group < 0)
        return NULL;
    return g_hash_table_lookup(inv->group_by_number, GINT_TO_POINTER(dev->iommu_group));
}

GPtrArray *
vh_inventory_companions(const VhInventory *inv, const VhPciDevice *dev)
{
    GPtrArray *out = g_ptr_array_new();
    VhIommuGroup *group = vh_inventory_group_of(inv, dev);

    if (group == NULL)
        return out;
    for (guint i = 0; i < group->members->len; i++) {
        VhPciDevice *m = g_ptr_array_index(group->members, i);

        if (m != dev && vh_pci_device_is_endpoint(m))
            g_ptr_array_add(out, m);
    }
    return out;
}
