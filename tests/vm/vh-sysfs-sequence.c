/*
 * vh-sysfs-sequence SYSROOT DEVROOT BDF DRIVER: runs the binding sequence the handoff engine
 * uses (and the kernel's error cases around it) on one device, and prints after each step the
 * write's result, the bound driver, driver_override, and whether /dev/vfio/GROUP exists.
 *
 * The VM suite runs it on a spare NIC of the guest's real kernel and on the fake kernel over a
 * fake tree describing the same NIC, and requires identical output: the fake kernel that the
 * unit tests rely on behaves as the real one does. It leaves the device on DRIVER.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vh-fake-kernel.h"

static const char *sysroot, *devroot, *bdf, *native;

static const char *
result(int errsv)
{
    return errsv == 0 ? "ok" : strerrorname_np(errsv);
}

static int
put(const char *rel, const char *data, gsize len)
{
    return vh_fake_kernel_write(sysroot, rel, data, len);
}

static char *
link_name(const char *rel)
{
    g_autofree char *path = g_build_filename(sysroot, rel, NULL);
    g_autofree char *target = g_file_read_link(path, NULL);

    return target != NULL ? g_path_get_basename(target) : g_strdup("-");
}

static void
report(const char *step, int errsv)
{
    g_autofree char *dev = g_strconcat("bus/pci/devices/", bdf, NULL);
    g_autofree char *drv_rel = g_strconcat(dev, "/driver", NULL);
    g_autofree char *grp_rel = g_strconcat(dev, "/iommu_group", NULL);
    g_autofree char *ovr_path = g_build_filename(sysroot, dev, "driver_override", NULL);
    g_autofree char *driver = link_name(drv_rel);
    g_autofree char *group = link_name(grp_rel);
    g_autofree char *node = g_build_filename(devroot, "vfio", group, NULL);
    g_autofree char *override = NULL;

    if (!g_file_get_contents(ovr_path, &override, NULL, NULL))
        override = g_strdup("?");
    g_strstrip(override);
    printf("%-26s %-7s driver=%-10s override=%-9s vfio-node=%s\n", step, result(errsv), driver,
           override, g_file_test(node, G_FILE_TEST_EXISTS) ? "yes" : "no");
}

#define STEP(name, rel, data) report(name, put(rel, data, strlen(data)))

int
main(int argc, char **argv)
{
    g_autofree char *ovr = NULL;
    g_autofree char *unbind = NULL;
    g_autofree char *bind_native = NULL;
    g_autofree char *unbind_native = NULL;

    if (argc != 5) {
        fprintf(stderr, "usage: vh-sysfs-sequence SYSROOT DEVROOT BDF DRIVER\n");
        return 2;
    }
    sysroot = argv[1];
    devroot = argv[2];
    bdf = argv[3];
    native = argv[4];
    ovr = g_strdup_printf("bus/pci/devices/%s/driver_override", bdf);
    unbind = g_strdup_printf("bus/pci/devices/%s/driver/unbind", bdf);
    bind_native = g_strdup_printf("bus/pci/drivers/%s/bind", native);
    unbind_native = g_strdup_printf("bus/pci/drivers/%s/unbind", native);

    report("start", 0);
    /* the handoff: override, unbind, probe */
    STEP("override=vfio-pci", ovr, "vfio-pci");
    STEP("unbind", unbind, bdf);
    STEP("drivers_probe", "bus/pci/drivers_probe", bdf);
    report("override=<zero bytes>", put(ovr, "", 0));
    STEP("override=<newline>", ovr, "\n");
    /* the give back: unbind from vfio-pci, bind the original */
    STEP("vfio-pci/unbind", "bus/pci/drivers/vfio-pci/unbind", bdf);
    STEP("native/bind", bind_native, bdf);
    /* the kernel's refusals */
    STEP("native/bind (bound)", bind_native, bdf);
    STEP("drivers_probe (bound)", "bus/pci/drivers_probe", bdf);
    STEP("vfio-pci/unbind (not it)", "bus/pci/drivers/vfio-pci/unbind", bdf);
    STEP("override=vfio-pci", ovr, "vfio-pci");
    STEP("native/unbind", unbind_native, bdf);
    STEP("native/bind (override)", bind_native, bdf);
    STEP("vfio-pci/bind", "bus/pci/drivers/vfio-pci/bind", bdf);
    STEP("drivers_probe (no device)", "bus/pci/drivers_probe", "ffff:ff:1f.7");
    STEP("drivers_probe (malformed)", "bus/pci/drivers_probe", "../../etc");
    /* back to where it started */
    STEP("vfio-pci/unbind", "bus/pci/drivers/vfio-pci/unbind", bdf);
    STEP("override=<newline>", ovr, "\n");
    STEP("drivers_probe", "bus/pci/drivers_probe", bdf);
    return 0;
}
