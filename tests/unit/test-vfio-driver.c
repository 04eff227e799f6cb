/* VFIO variant drivers: the modalias, libvirt's choice from modules.alias (the most specific
 * match), and the name a driver is registered under */
#include "config.h"

#include <glib/gstdio.h>

#include "vh-test-host.h"
#include "vh-vfio-driver.h"

static const VhPciDevice *
device(VhTestHost *t, const char *address)
{
    const VhPciDevice *dev = vh_inventory_lookup(t->inventory, address);

    g_assert_nonnull(dev);
    return dev;
}

static void
test_modalias(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("variant");
    g_autofree char *m = vh_vfio_modalias(device(t, "0000:05:00.0"));

    /* as drivers/pci/pci-driver.c pci_uevent() writes MODALIAS: upper-case hex */
    g_assert_cmpstr(m, ==, "pci:v000015B3d0000101Esv000015B3sd00000046bc02sc00i00");
}

static void
test_most_specific_wins(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("variant");
    const GPtrArray *aliases = t->snap->vfio_aliases;

    /* vfio_pci's own alias is not a variant: two are left */
    g_assert_cmpuint(aliases->len, ==, 2);
    g_assert_cmpstr(vh_vfio_variant_pick(aliases, device(t, "0000:05:00.0")), ==, "mlx5_vfio_pci");
    g_assert_cmpstr(vh_vfio_variant_pick(aliases, device(t, "0000:06:00.0")), ==,
                    "vendor_vfio_pci");
    g_assert_null(vh_vfio_variant_pick(aliases, device(t, "0000:07:00.0")));
    g_assert_null(vh_vfio_variant_pick(NULL, device(t, "0000:05:00.0")));
}

/* the order of the file does not decide: the specific alias first, the broad one after */
static void
test_order_does_not_matter(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("variant");
    g_autofree char *path =
        g_build_filename(t->root, "lib/modules/6.1.0-vh-test/modules.alias", NULL);
    g_autoptr(GPtrArray) aliases = NULL;

    g_assert_true(g_file_set_contents(
        path,
        "alias pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_core\n"
        "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n"
        "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
        "alias vfio_pci:v000015B3d*sv*sd*bc*sc*i* vendor_vfio_pci\n"
        "  alias vfio_pci:v*d*sv*sd*bc02sc00i* broken\n",
        -1, NULL));
    aliases = vh_vfio_aliases_read(t->host);
    g_assert_cmpuint(aliases->len, ==, 2);
    g_assert_cmpstr(vh_vfio_variant_pick(aliases, device(t, "0000:05:00.0")), ==, "mlx5_vfio_pci");
    g_assert_cmpint(g_unlink(path), ==, 0);
    g_clear_pointer(&aliases, g_ptr_array_unref);
    aliases = vh_vfio_aliases_read(t->host);
    g_assert_cmpuint(aliases->len, ==, 0);
}

static void
test_registered_name(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("variant");
    g_autofree char *dashed = g_build_filename(t->root, "sys/bus/pci/drivers/pds-vfio-pci", NULL);
    g_autofree char *moddir =
        g_build_filename(t->root, "sys/module/hisi_acc_vfio_pci/drivers", NULL);
    g_autofree char *link = g_build_filename(moddir, "pci:hisi-acc-vfio-pci", NULL);
    g_autofree char *name = NULL;

    g_assert_true(vh_vfio_driver_is_vfio("vfio-pci"));
    g_assert_true(vh_vfio_driver_is_vfio("mlx5_vfio_pci"));
    g_assert_false(vh_vfio_driver_is_vfio("mlx5_core"));
    g_assert_false(vh_vfio_driver_is_vfio(NULL));
    name = vh_vfio_driver_registered(t->host, "mlx5_vfio_pci");
    g_assert_cmpstr(name, ==, "mlx5_vfio_pci");
    g_clear_pointer(&name, g_free);
    g_assert_null(vh_vfio_driver_registered(t->host, "vendor_vfio_pci"));
    /* pds_vfio_pci registers pds-vfio-pci */
    g_assert_cmpint(g_mkdir_with_parents(dashed, 0755), ==, 0);
    name = vh_vfio_driver_registered(t->host, "pds_vfio_pci");
    g_assert_cmpstr(name, ==, "pds-vfio-pci");
    g_clear_pointer(&name, g_free);
    /* a loaded module says its driver's name itself */
    g_assert_cmpint(g_mkdir_with_parents(moddir, 0755), ==, 0);
    g_assert_cmpint(symlink("../../../bus/pci/drivers/hisi-acc-vfio-pci", link), ==, 0);
    name = vh_vfio_driver_registered(t->host, "hisi_acc_vfio_pci");
    g_assert_cmpstr(name, ==, "hisi-acc-vfio-pci");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vh/vfio-driver/modalias", test_modalias);
    g_test_add_func("/vh/vfio-driver/most-specific-wins", test_most_specific_wins);
    g_test_add_func("/vh/vfio-driver/order-does-not-matter", test_order_does_not_matter);
    g_test_add_func("/vh/vfio-driver/registered-name", test_registered_name);
    return g_test_run();
}
