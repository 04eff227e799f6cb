/* `check`: each item's status, cause and fix on fake hosts */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "vh-host-check.h"
#include "vh-test-host.h"

static const VhCheckItem *
item(GPtrArray *items, const char *id)
{
    for (guint i = 0; i < items->len; i++) {
        VhCheckItem *it = g_ptr_array_index(items, i);

        if (g_strcmp0(it->id, id) == 0)
            return it;
    }
    g_error("no check item %s", id);
}

#define assert_item(items, id, st, summary_, fix_)                                                \
    do {                                                                                          \
        const VhCheckItem *it_ = item(items, id);                                                 \
        g_assert_cmpstr(vh_check_status_to_string(it_->status), ==, st);                          \
        g_assert_cmpstr(it_->summary, ==, summary_);                                              \
        g_assert_cmpstr(it_->fix, ==, fix_);                                                      \
    } while (0)

static void
test_ready_host(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("gpu-audio");
    g_autoptr(GPtrArray) items = vh_host_check_run(t->host);

    assert_item(items, "iommu-firmware", "pass",
                "the firmware describes an Intel VT-d IOMMU (ACPI DMAR table)", NULL);
    assert_item(items, "iommu-enabled", "pass", "the IOMMU is on: 2 IOMMU groups", NULL);
    assert_item(items, "kernel-cmdline", "pass",
                "IOMMU options on the kernel command line: intel_iommu=on iommu=pt", NULL);
    assert_item(items, "interrupt-remapping", "pass", "interrupt remapping is on", NULL);
    assert_item(items, "vfio-modules", "pass", "vfio is loaded (vfio, vfio_pci) and /dev/vfio/vfio exists",
                NULL);
    g_assert_cmpint(item(items, "libvirt-hook")->status, ==, VH_CHECK_WARN);
    g_assert_cmpstr(item(items, "libvirt-hook")->fix, ==,
                    "install the vfio-handoff package, or run 'make install'");
    assert_item(items, "libvirt-daemon", "pass", "libvirtd is running (pid 900)", NULL);
    g_assert_true(vh_host_check_passthrough_possible(items));
    assert_item(items, "iommufd", "pass",
                "this kernel has no iommufd (CONFIG_IOMMUFD): devices are opened through their "
                "group's /dev/vfio/N, as libvirt before 12.1 always does",
                NULL);
}

/* iommufd: told, never a failure; /dev/iommu, else the module, else none */
static void
test_iommufd(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("gpu-audio");
    g_autofree char *module = g_build_filename(t->root, "sys/module/iommufd", NULL);
    g_autofree char *node = g_build_filename(t->root, "dev/iommu", NULL);
    g_autoptr(GPtrArray) as_module = NULL;
    g_autoptr(GPtrArray) on = NULL;

    g_assert_cmpint(g_mkdir_with_parents(module, 0755), ==, 0);
    as_module = vh_host_check_run(t->host);
    assert_item(as_module, "iommufd", "pass",
                "iommufd is available as a module, not loaded: devices are opened through their "
                "group's /dev/vfio/N",
                NULL);
    g_assert_true(g_file_set_contents(node, "", 0, NULL));
    on = vh_host_check_run(t->host);
    assert_item(on, "iommufd", "pass",
                "iommufd is on, /dev/iommu exists: QEMU may open devices through it (libvirt "
                "12.1 and later), and vfio-handoff sees who holds them either way",
                NULL);
    g_assert_true(vh_host_check_passthrough_possible(on));
}

/* Installs the hook in @t's hooks directory; returns its ctime (when it was installed). */
static gint64
install_hook(const VhTestHost *t)
{
    g_autofree char *hook =
        g_build_filename(t->root, "etc/libvirt/hooks/qemu.d", VH_HOOK_NAME, NULL);
    struct stat st;

    g_assert_true(g_file_set_contents(hook, "#!/bin/sh\n", -1, NULL));
    g_assert_cmpint(g_chmod(hook, 0755), ==, 0);
    g_assert_cmpint(g_stat(hook, &st), ==, 0);
    return st.st_ctime;
}

/* Makes the scenario's libvirtd, which started 100 ticks (1 s at HZ 100) after boot, start at
 * @start (unix seconds), by moving the boot time (btime) */
static void
set_daemon_start(const VhTestHost *t, gint64 start)
{
    g_autofree char *btime_path = g_build_filename(t->root, "proc/stat", NULL);
    g_autofree char *btime = g_strdup_printf("cpu  1 0 0 0\nbtime %" G_GINT64_FORMAT "\n",
                                             start - 100 / sysconf(_SC_CLK_TCK));

    g_assert_true(g_file_set_contents(btime_path, btime, -1, NULL));
}

static void
test_hook_newer_than_daemon(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("gpu-audio");
    g_autoptr(GPtrArray) items = NULL;
    g_autoptr(GPtrArray) again = NULL;
    gint64 installed = install_hook(t);

    items = vh_host_check_run(t->host);
    g_assert_cmpint(item(items, "libvirt-hook")->status, ==, VH_CHECK_PASS);
    /* the scenario's daemon started at boot (btime 1700000000), before the hook appeared */
    assert_item(items, "libvirt-daemon", "warn",
                "libvirtd (pid 900) started before the hook was installed and may not run it",
                "run 'systemctl restart libvirtd'");
    /* a daemon that started after the hook was installed sees it */
    {
        g_autofree char *stat_path = g_build_filename(t->root, "proc/900/stat", NULL);

        set_daemon_start(t, installed + 60);
        g_assert_true(g_file_test(stat_path, G_FILE_TEST_EXISTS));
    }
    again = vh_host_check_run(t->host);
    g_assert_cmpint(item(again, "libvirt-daemon")->status, ==, VH_CHECK_PASS);
}

/* The daemon's start time is whole seconds, up to 2 s early: a daemon restarted in the second
 * after the hook was installed (as the packages do) passes; one 3 s older than the hook warns. */
static void
test_daemon_restarted_with_the_hook(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("gpu-audio");
    g_autoptr(GPtrArray) items = NULL;
    g_autoptr(GPtrArray) older = NULL;
    gint64 installed = install_hook(t);

    set_daemon_start(t, installed - 1);
    items = vh_host_check_run(t->host);
    assert_item(items, "libvirt-daemon", "pass", "libvirtd is running (pid 900)", NULL);
    set_daemon_start(t, installed - 3);
    older = vh_host_check_run(t->host);
    g_assert_cmpint(item(older, "libvirt-daemon")->status, ==, VH_CHECK_WARN);
}

static void
test_no_iommu_host(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("no-iommu");
    g_autoptr(GPtrArray) items = vh_host_check_run(t->host);
    g_autofree char *moddir = g_build_filename(t->root, "lib/modules/6.1.0-vh-test", NULL);
    g_autofree char *modules = g_strdup_printf(
        "kernel modules not found for kernel 6.1.0-vh-test: vfio, vfio_iommu_type1, vfio_pci "
        "(looked in %s)",
        moddir);
    g_autofree char *hooks = g_build_filename(t->root, "etc/libvirt/hooks", NULL);
    g_autofree char *hooks_summary =
        g_strdup_printf("libvirt's hooks directory %s does not exist", hooks);

    assert_item(items, "iommu-firmware", "fail",
                "the firmware describes no IOMMU (no ACPI DMAR or IVRS table)",
                "enable VT-d in the firmware setup");
    assert_item(items, "iommu-enabled", "fail",
                "the IOMMU is off: the kernel publishes no IOMMU groups",
                "remove intel_iommu=off from the kernel command line and reboot");
    assert_item(items, "kernel-cmdline", "fail",
                "the kernel command line turns the IOMMU off (intel_iommu=off)",
                "remove intel_iommu=off from the kernel command line and reboot");
    assert_item(items, "interrupt-remapping", "fail",
                "interrupt remapping is off: vfio refuses to assign devices",
                "turn the IOMMU on first; interrupt remapping comes with it");
    assert_item(items, "vfio-modules", "fail", modules,
                "install the running kernel's modules package, or a kernel built with "
                "CONFIG_VFIO_PCI");
    assert_item(
        items, "libvirt-hook", "warn", hooks_summary,
        "install libvirt's daemon, the libvirt-daemon-system package, then vfio-handoff's hook");
    assert_item(
        items, "libvirt-daemon", "warn", "no libvirt daemon (libvirtd or virtqemud) is running",
        "run 'systemctl start libvirtd', or 'systemctl start virtqemud' on modular-daemon systems");
    g_assert_false(vh_host_check_passthrough_possible(items));
}

static void
test_unsafe_interrupts_and_ids(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("gpu-audio");
    g_autofree char *interrupts = g_build_filename(t->root, "proc/interrupts", NULL);
    g_autofree char *param = g_build_filename(
        t->root, "sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts", NULL);
    g_autofree char *param_dir = g_path_get_dirname(param);
    g_autofree char *cmdline = g_build_filename(t->root, "proc/cmdline", NULL);
    g_autoptr(GPtrArray) items = NULL;

    g_assert_true(g_file_set_contents(interrupts, " 24: 5 PCI-MSI 0-edge eth0\n", -1, NULL));
    g_assert_cmpint(g_mkdir_with_parents(param_dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(param, "Y\n", -1, NULL));
    g_assert_true(g_file_set_contents(cmdline, "ro intel_iommu=on vfio-pci.ids=10de:2204\n", -1,
                                      NULL));
    items = vh_host_check_run(t->host);
    g_assert_cmpint(item(items, "interrupt-remapping")->status, ==, VH_CHECK_WARN);
    g_assert_cmpint(item(items, "kernel-cmdline")->status, ==, VH_CHECK_WARN);
    g_assert_cmpstr(item(items, "kernel-cmdline")->fix, ==,
                    "remove it: vfio-handoff hands each device over by address when its VM starts");
    g_assert_true(vh_host_check_passthrough_possible(items));

    g_assert_true(g_file_set_contents(param, "N\n", -1, NULL));
    g_ptr_array_unref(items);
    items = vh_host_check_run(t->host);
    assert_item(items, "interrupt-remapping", "fail",
                "interrupt remapping is off: vfio refuses to assign devices",
                "enable interrupt remapping, x2APIC, in the firmware setup");
    g_assert_false(vh_host_check_passthrough_possible(items));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vh/check/ready-host", test_ready_host);
    g_test_add_func("/vh/check/hook-newer-than-daemon", test_hook_newer_than_daemon);
    g_test_add_func("/vh/check/daemon-restarted-with-the-hook",
                    test_daemon_restarted_with_the_hook);
    g_test_add_func("/vh/check/no-iommu-host", test_no_iommu_host);
    g_test_add_func("/vh/check/iommufd", test_iommufd);
    g_test_add_func("/vh/check/unsafe-interrupts-and-boot-ids", test_unsafe_interrupts_and_ids);
    return g_test_run();
}
