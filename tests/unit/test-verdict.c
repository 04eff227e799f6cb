/* Verdicts (DESIGN §2): one case per scenario, each asserting the exact reasons */
#include "config.h"

#include "vh-test-host.h"

#define assert_reasons(t, dev, expected)                                                          \
    do {                                                                                          \
        g_autofree char *got_ = vh_test_host_reasons(t, dev);                                     \
        g_assert_cmpstr(got_, ==, expected);                                                      \
    } while (0)

static void
test_gpu_audio(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("gpu-audio");

    g_assert_true(vh_test_host_verdict(t, "0000:01:00.0")->passable);
    g_assert_true(vh_test_host_verdict(t, "0000:01:00.1")->passable);
    assert_reasons(t, "0000:01:00.0", "");
    assert_reasons(t, "0000:00:01.0", "PCI bridge: stays with the host (pass the devices below it)");
    assert_reasons(t, "0000:00:00.0", "host bridge: part of the chipset");
}

static void
test_bridge_group(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("bridge-group");

    g_assert_true(vh_test_host_verdict(t, "0000:06:01.0")->passable);
    g_assert_true(vh_test_host_verdict(t, "0000:06:02.0")->passable);
    g_assert_false(vh_test_host_verdict(t, "0000:05:00.0")->passable);
    assert_reasons(t, "0000:05:00.0", "PCI bridge: stays with the host (pass the devices below it)");
}

static void
test_boot_nvme(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("boot-nvme");
    const VhVerdict *nvme = vh_test_host_verdict(t, "0000:02:00.0");
    const VhVerdict *nic = vh_test_host_verdict(t, "0000:03:00.0");

    /* root through LVM (dm-0 -> nvme0n1p2), the ESP and swap all lead to the same NVMe */
    g_assert_true(nvme->host_critical);
    g_assert_false(nvme->passable);
    assert_reasons(t, "0000:02:00.0",
                   "host-critical: /dev/mapper/vg0-root is mounted at / | "
                   "host-critical: /dev/nvme0n1p1 is mounted at /boot/efi | "
                   "host-critical: /dev/nvme0n1p3 is active swap");
    /* the root port above it is critical as well (and a bridge) */
    assert_reasons(t, "0000:00:1d.0",
                   "host-critical: /dev/mapper/vg0-root is mounted at / (below this bridge) | "
                   "host-critical: /dev/nvme0n1p1 is mounted at /boot/efi (below this bridge) | "
                   "host-critical: /dev/nvme0n1p3 is active swap (below this bridge) | "
                   "PCI bridge: stays with the host (pass the devices below it)");
    /* the spare NIC shares group 2 with it: the kernel would take both */
    g_assert_true(nic->host_critical);
    g_assert_false(nic->passable);
    assert_reasons(t, "0000:03:00.0",
                   "shares IOMMU group 2 with host-critical 0000:02:00.0 (/dev/mapper/vg0-root is "
                   "mounted at /)");
    /* the other bridge of group 2 has nothing critical below it */
    assert_reasons(t, "0000:00:1c.0", "PCI bridge: stays with the host (pass the devices below it)");
    /* the second NVMe has a group of its own and no filesystem mounted */
    g_assert_true(vh_test_host_verdict(t, "0000:04:00.0")->passable);
}

static void
test_twin_gpus(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("twin-gpus");

    g_assert_true(vh_test_host_verdict(t, "0000:01:00.0")->passable);
    g_assert_true(vh_test_host_verdict(t, "0000:02:00.0")->passable);
}

static void
test_sriov(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("sriov");
    const VhVerdict *pf = vh_test_host_verdict(t, "0000:03:00.0");
    VhReason *r;

    g_assert_false(pf->passable);
    assert_reasons(
        t, "0000:03:00.0",
        "SR-IOV PF with 2 VFs enabled (0000:03:10.0, 0000:03:10.4): handing it off would "
        "remove them");
    r = g_ptr_array_index(pf->reasons, 0);
    g_assert_cmpint(r->kind, ==, VH_REASON_SRIOV_PF);
    g_assert_cmpstr(r->fix, ==, "pass one of its VFs, or set sriov_numvfs to 0 first");
    g_assert_true(vh_test_host_verdict(t, "0000:03:10.0")->passable);
    g_assert_true(vh_test_host_verdict(t, "0000:03:10.4")->passable);
    g_assert_true(vh_test_host_verdict(t, "0000:03:00.1")->passable);
}

static void
test_usb_boot_disk(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("usb-disk");
    const VhVerdict *xhci = vh_test_host_verdict(t, "0000:00:14.0");

    g_assert_true(xhci->host_critical);
    /* the swap file is active on the filesystem of that disk */
    assert_reasons(t, "0000:00:14.0", "host-critical: /dev/sda1 is mounted at / | "
                                      "host-critical: swap file /swapfile on /dev/sda1 is active");
    g_assert_cmpint(((VhReason *)g_ptr_array_index(xhci->reasons, 0))->kind, ==,
                    VH_REASON_HOST_CRITICAL);
    g_assert_true(vh_test_host_verdict(t, "0000:05:00.0")->passable);
}

static void
test_default_route(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("default-route");
    const VhVerdict *busy = vh_test_host_verdict(t, "0000:05:00.0");

    g_assert_true(vh_test_host_verdict(t, "0000:04:00.0")->host_critical);
    assert_reasons(t, "0000:04:00.0", "host-critical: eno1 carries the default route (through br0)");
    assert_reasons(t, "0000:07:00.0", "host-critical: enp7s0 carries the default route");
    g_assert_false(busy->host_critical);
    g_assert_true(busy->in_use);
    assert_reasons(t, "0000:05:00.0", "in use: enp5s0 is up with an address");
    g_assert_cmpstr(((VhReason *)g_ptr_array_index(busy->reasons, 0))->fix, ==,
                    "take the interface down or remove its addresses first");
    /* enp6s0 has an address but is down: free */
    g_assert_true(vh_test_host_verdict(t, "0000:06:00.0")->passable);
}

static void
test_console_and_holders(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("console");

    assert_reasons(t, "0000:00:02.0",
                   "host-critical: boot VGA; the framebuffer console is on fb0 (EFI VGA)");
    assert_reasons(t, "0000:01:00.0", "in use: /dev/dri/card1 is open by Xorg (pid 1234)");
    g_assert_true(vh_test_host_verdict(t, "0000:01:00.0")->in_use);
    assert_reasons(t, "0000:02:00.0", "in use: /dev/vfio/7 is open by qemu-system-x86 (pid 4242)");
}

static void
test_no_iommu(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("no-iommu");
    const VhVerdict *nic = vh_test_host_verdict(t, "0000:00:1f.6");

    assert_reasons(t, "0000:00:1f.6", "no IOMMU group: the IOMMU is off");
    g_assert_cmpstr(((VhReason *)g_ptr_array_index(nic->reasons, 0))->fix, ==,
                    "run 'vfio-handoff check'");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vh/verdict/gpu-audio/passable", test_gpu_audio);
    g_test_add_func("/vh/verdict/bridge-group/endpoints-passable", test_bridge_group);
    g_test_add_func("/vh/verdict/boot-nvme/critical-and-group", test_boot_nvme);
    g_test_add_func("/vh/verdict/twin-gpus/both-passable", test_twin_gpus);
    g_test_add_func("/vh/verdict/sriov/pf-with-vfs", test_sriov);
    g_test_add_func("/vh/verdict/usb-disk/boot-controller-critical", test_usb_boot_disk);
    g_test_add_func("/vh/verdict/default-route/nic-critical", test_default_route);
    g_test_add_func("/vh/verdict/console/boot-vga-and-holders", test_console_and_holders);
    g_test_add_func("/vh/verdict/no-iommu/no-group", test_no_iommu);
    return g_test_run();
}
