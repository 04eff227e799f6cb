/* The device model and IOMMU groups, read from fake host trees */
#include "config.h"

#include "vh-error.h"
#include "vh-test-host.h"

static VhPciDevice *
device(VhTestHost *t, const char *name)
{
    VhPciDevice *d = vh_inventory_lookup(t->inventory, name);

    g_assert_nonnull(d);
    return d;
}

static void
test_device_fields(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("gpu-audio");
    VhPciDevice *gpu = device(t, "0000:01:00.0");

    g_assert_cmpuint(t->inventory->devices->len, ==, 4);
    g_assert_cmphex(gpu->vendor_id, ==, 0x10de);
    g_assert_cmphex(gpu->device_id, ==, 0x2204);
    g_assert_cmphex(gpu->subsys_vendor_id, ==, 0x1458);
    g_assert_cmphex(gpu->subsys_device_id, ==, 0x403b);
    g_assert_cmphex(gpu->class_code, ==, 0x030000);
    g_assert_cmpint(gpu->header_type, ==, VH_PCI_HEADER_TYPE_NORMAL);
    g_assert_cmpstr(gpu->driver, ==, "nouveau");
    g_assert_null(gpu->driver_override);
    g_assert_cmpint(gpu->iommu_group, ==, 1);
    g_assert_cmpint(gpu->numa_node, ==, 0);
    g_assert_cmpint(gpu->boot_vga, ==, 0);
    g_assert_nonnull(gpu->reset_methods);
    g_assert_cmpstr(gpu->reset_methods[0], ==, "bus");
    g_assert_cmpstr(gpu->vendor_name, ==, "NVIDIA Corporation");
    g_assert_cmpstr(gpu->sysfs_dir, ==, "devices/pci0000:00/0000:00:01.0/0000:01:00.0");
    g_assert_cmpuint(gpu->parents->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(gpu->parents, 0), ==, "0000:00:01.0");
    g_assert_true(vh_pci_device_is_endpoint(gpu));
    g_assert_false(vh_pci_device_is_endpoint(device(t, "0000:00:01.0")));
    /* devices come sorted by address */
    g_assert_cmpstr(((VhPciDevice *)g_ptr_array_index(t->inventory->devices, 0))->name, ==,
                    "0000:00:00.0");
}

static void
test_group_companions(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("gpu-audio");
    VhPciDevice *gpu = device(t, "0000:01:00.0");
    VhIommuGroup *group = vh_inventory_group_of(t->inventory, gpu);
    g_autoptr(GPtrArray) companions = vh_inventory_companions(t->inventory, gpu);
    g_autoptr(GPtrArray) endpoints = vh_iommu_group_endpoints(group);
    g_autoptr(GPtrArray) blockers = NULL;

    g_assert_true(t->inventory->has_iommu_groups);
    g_assert_cmpuint(group->members->len, ==, 3); /* root port, GPU, audio */
    g_assert_cmpuint(endpoints->len, ==, 2);
    g_assert_cmpuint(companions->len, ==, 1);
    g_assert_cmpstr(((VhPciDevice *)g_ptr_array_index(companions, 0))->name, ==, "0000:01:00.1");
    /* nouveau and snd_hda_intel hold the endpoints; the root port does not count */
    g_assert_false(vh_iommu_group_is_viable(group, &blockers));
    g_assert_cmpuint(blockers->len, ==, 2);
}

static void
test_bridge_group(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("bridge-group");
    VhPciDevice *nic = device(t, "0000:06:01.0");
    VhPciDevice *bridge = device(t, "0000:05:00.0");
    g_autoptr(GPtrArray) companions = vh_inventory_companions(t->inventory, nic);
    VhIommuGroup *group = vh_inventory_group_of(t->inventory, nic);
    g_autoptr(GPtrArray) blockers = NULL;

    g_assert_cmpuint(group->members->len, ==, 3);
    g_assert_false(vh_pci_device_is_endpoint(bridge));
    g_assert_null(bridge->driver);
    g_assert_cmpuint(companions->len, ==, 1);
    g_assert_cmpstr(((VhPciDevice *)g_ptr_array_index(companions, 0))->name, ==, "0000:06:02.0");
    g_assert_cmpuint(nic->parents->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(nic->parents, 0), ==, "0000:05:00.0");
    g_assert_cmpstr(g_ptr_array_index(nic->parents, 1), ==, "0000:00:13.0");
    /* the bridge (no driver) never blocks viability; the two e1000 endpoints do */
    g_assert_false(vh_iommu_group_is_viable(group, &blockers));
    g_assert_cmpuint(blockers->len, ==, 2);
}

static void
test_viable_when_on_vfio(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("console");
    VhPciDevice *gpu = device(t, "0000:02:00.0");

    g_assert_true(vh_pci_device_is_on_vfio(gpu));
    g_assert_true(vh_iommu_group_is_viable(vh_inventory_group_of(t->inventory, gpu), NULL));
}

static void
test_sriov(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("sriov");
    VhPciDevice *pf = device(t, "0000:03:00.0");
    VhPciDevice *vf = device(t, "0000:03:10.4");
    VhPciDevice *idle = device(t, "0000:03:00.1");

    g_assert_cmpint(pf->sriov_totalvfs, ==, 7);
    g_assert_cmpint(pf->sriov_numvfs, ==, 2);
    g_assert_cmpuint(pf->virtfns->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(pf->virtfns, 1), ==, "0000:03:10.4");
    g_assert_null(pf->physfn);
    g_assert_cmpstr(vf->physfn, ==, "0000:03:00.0");
    g_assert_cmpint(vf->sriov_totalvfs, ==, -1);
    g_assert_cmpint(idle->sriov_numvfs, ==, 0);
}

static void
test_resolve(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("twin-gpus");
    g_autoptr(GError) error = NULL;
    VhPciDevice *d;

    d = vh_inventory_resolve(t->inventory, "03:00.0", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(d->name, ==, "0000:03:00.0");
    d = vh_inventory_resolve(t->inventory, "8086:1533", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(d->name, ==, "0000:03:00.0");

    g_assert_null(vh_inventory_resolve(t->inventory, "10de:2204", &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_AMBIGUOUS);
    g_assert_cmpstr(error->message, ==,
                    "10de:2204: this ID matches 2 devices, 0000:01:00.0, 0000:02:00.0 (fix: name "
                    "one by its address, e.g. 0000:01:00.0)");
    g_clear_error(&error);

    g_assert_null(vh_inventory_resolve(t->inventory, "dead:beef", &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_NOT_FOUND);
    g_assert_cmpstr(
        error->message, ==,
        "dead:beef: no PCI device has this ID (fix: pick one from 'vfio-handoff list')");
    g_clear_error(&error);

    g_assert_null(vh_inventory_resolve(t->inventory, "0000:09:00.0", &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_NOT_FOUND);
    g_assert_cmpstr(
        error->message, ==,
        "0000:09:00.0: no PCI device at this address (fix: pick one from 'vfio-handoff list')");
    g_clear_error(&error);

    g_assert_null(vh_inventory_resolve(t->inventory, "../../etc", &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT);
}

static void
test_no_iommu(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("no-iommu");

    g_assert_false(t->inventory->has_iommu_groups);
    g_assert_cmpuint(t->inventory->groups->len, ==, 0);
    g_assert_cmpint(vh_inventory_lookup(t->inventory, "0000:00:1f.6")->iommu_group, ==, -1);
}

static void
test_missing_sysfs(void)
{
    g_autoptr(VhHost) host = vh_host_new_rooted("/nonexistent-vh-root");
    g_autoptr(GError) error = NULL;
    g_autoptr(VhInventory) inv = vh_inventory_load(host, VH_INVENTORY_NONE, &error);

    g_assert_null(inv);
    g_assert_error(error, VH_ERROR, VH_ERROR_NOT_FOUND);
    g_assert_cmpstr(error->message, ==,
                    "/nonexistent-vh-root/sys/bus/pci/devices: no such directory (fix: mount "
                    "sysfs on /sys, 'mount -t sysfs sysfs /sys')");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vh/inventory/device/fields", test_device_fields);
    g_test_add_func("/vh/inventory/group/gpu-audio-companions", test_group_companions);
    g_test_add_func("/vh/inventory/group/bridge-is-no-companion", test_bridge_group);
    g_test_add_func("/vh/inventory/group/viable-when-on-vfio", test_viable_when_on_vfio);
    g_test_add_func("/vh/inventory/device/sriov", test_sriov);
    g_test_add_func("/vh/inventory/resolve/address-and-id", test_resolve);
    g_test_add_func("/vh/inventory/no-iommu", test_no_iommu);
    g_test_add_func("/vh/inventory/missing-sysfs", test_missing_sysfs);
    return g_test_run();
}
