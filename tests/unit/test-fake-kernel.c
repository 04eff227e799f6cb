/*
 * The fake kernel reproduces the kernel's sysfs ABI for binding (../shared/notes/sysfs-abi.md,
 * measured on Debian 12's 6.1 kernel): each row of that table is asserted here, so the engine's
 * tests on the fake tree mean what they would on a real kernel. The VM suite checks the same
 * sequence on a real kernel.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <gio/gio.h>
#include <unistd.h>

#include "vh-fake-kernel.h"
#include "vh-sysfs.h"
#include "vh-test-host.h"

#define GPU "0000:01:00.0"
#define AUDIO "0000:01:00.1"

typedef struct {
    VhTestHost *t;
    VhFakeKernel *k;
} Fixture;

static void
setup(Fixture *f, gconstpointer data)
{
    f->t = vh_test_host_new("gpu-audio");
    f->k = vh_fake_kernel_start_or_skip(f->t->root);
}

static void
teardown(Fixture *f, gconstpointer data)
{
    vh_fake_kernel_stop(f->k);
    vh_test_host_free(f->t);
}

static int
sysfs_write(Fixture *f, const char *rel, const char *data, gsize len)
{
    g_autofree char *sys = g_build_filename(f->t->root, "sys", NULL);

    return vh_fake_kernel_write(sys, rel, data, len);
}

static int
write_str(Fixture *f, const char *rel, const char *data)
{
    return sysfs_write(f, rel, data, strlen(data));
}

static char *
attr(Fixture *f, const char *bdf, const char *name)
{
    g_autofree char *path = g_build_filename(f->t->root, "sys/bus/pci/devices", bdf, name, NULL);

    return vh_sysfs_read(path, NULL);
}

static char *
driver(Fixture *f, const char *bdf)
{
    g_autofree char *path = g_build_filename(f->t->root, "sys/bus/pci/devices", bdf, "driver", NULL);

    return vh_sysfs_read_link_name(path, NULL);
}

static gboolean
vfio_node(Fixture *f, int group)
{
    g_autofree char *n = g_strdup_printf("%d", group);
    g_autofree char *path = g_build_filename(f->t->root, "dev/vfio", n, NULL);

    return g_file_test(path, G_FILE_TEST_EXISTS);
}

#define assert_driver(f, bdf, expected)                                                           \
    do {                                                                                          \
        g_autofree char *d_ = driver(f, bdf);                                                     \
        g_assert_cmpstr(d_, ==, expected);                                                        \
    } while (0)
#define assert_override(f, bdf, expected)                                                         \
    do {                                                                                          \
        g_autofree char *o_ = attr(f, bdf, "driver_override");                                    \
        g_assert_cmpstr(o_, ==, expected);                                                        \
    } while (0)

static void
test_handoff_and_back(Fixture *f, gconstpointer data)
{
    if (f->k == NULL)
        return;
    assert_override(f, AUDIO, "(null)");
    /* override set: the current driver stays bound */
    g_assert_cmpint(write_str(f, "bus/pci/devices/" AUDIO "/driver_override", "vfio-pci"), ==, 0);
    assert_override(f, AUDIO, "vfio-pci");
    assert_driver(f, AUDIO, "snd_hda_intel");
    /* unbind: the driver link is gone */
    g_assert_cmpint(write_str(f, "bus/pci/devices/" AUDIO "/driver/unbind", AUDIO), ==, 0);
    assert_driver(f, AUDIO, NULL);
    g_assert_false(vfio_node(f, 1));
    /* drivers_probe with the override: vfio-pci, and /dev/vfio/<group> appears */
    g_assert_cmpint(write_str(f, "bus/pci/drivers_probe", AUDIO), ==, 0);
    assert_driver(f, AUDIO, "vfio-pci");
    g_assert_true(vfio_node(f, 1));
    /* zero bytes to driver_override change nothing */
    g_assert_cmpint(sysfs_write(f, "bus/pci/devices/" AUDIO "/driver_override", "", 0), ==, 0);
    assert_override(f, AUDIO, "vfio-pci");
    /* a newline clears it */
    g_assert_cmpint(write_str(f, "bus/pci/devices/" AUDIO "/driver_override", "\n"), ==, 0);
    assert_override(f, AUDIO, "(null)");
    /* give back: unbind from vfio-pci (the node goes with the last member), bind the original */
    g_assert_cmpint(write_str(f, "bus/pci/drivers/vfio-pci/unbind", AUDIO), ==, 0);
    assert_driver(f, AUDIO, NULL);
    g_assert_false(vfio_node(f, 1));
    g_assert_cmpint(write_str(f, "bus/pci/drivers/snd_hda_intel/bind", AUDIO), ==, 0);
    assert_driver(f, AUDIO, "snd_hda_intel");
}

static void
test_errors(Fixture *f, gconstpointer data)
{
    if (f->k == NULL)
        return;
    /* bind while bound: EBUSY */
    g_assert_cmpint(write_str(f, "bus/pci/drivers/snd_hda_intel/bind", AUDIO), ==, EBUSY);
    /* probe while bound: ok, nothing changes */
    g_assert_cmpint(write_str(f, "bus/pci/drivers_probe", AUDIO), ==, 0);
    assert_driver(f, AUDIO, "snd_hda_intel");
    /* unbind from a driver it is not bound to: ENODEV */
    g_assert_cmpint(write_str(f, "bus/pci/drivers/vfio-pci/unbind", AUDIO), ==, ENODEV);
    /* with the override set, only that driver may bind */
    g_assert_cmpint(write_str(f, "bus/pci/devices/" AUDIO "/driver_override", "vfio-pci"), ==, 0);
    g_assert_cmpint(write_str(f, "bus/pci/drivers/snd_hda_intel/unbind", AUDIO), ==, 0);
    g_assert_cmpint(write_str(f, "bus/pci/drivers/snd_hda_intel/bind", AUDIO), ==, ENODEV);
    g_assert_cmpint(write_str(f, "bus/pci/drivers/vfio-pci/bind", AUDIO), ==, 0);
    assert_driver(f, AUDIO, "vfio-pci");
    /* without an override, a driver whose IDs do not match cannot bind */
    g_assert_cmpint(write_str(f, "bus/pci/drivers/nouveau/unbind", GPU), ==, 0);
    g_assert_cmpint(write_str(f, "bus/pci/drivers/vfio-pci/bind", GPU), ==, ENODEV);
    /* ... and probe binds the matching (native) one */
    g_assert_cmpint(write_str(f, "bus/pci/drivers_probe", GPU), ==, 0);
    assert_driver(f, GPU, "nouveau");
    /* unknown or malformed address: ENODEV */
    g_assert_cmpint(write_str(f, "bus/pci/drivers_probe", "0000:09:00.0"), ==, ENODEV);
    g_assert_cmpint(write_str(f, "bus/pci/drivers_probe", "../../etc"), ==, ENODEV);
    /* reset is accepted where the device has a reset method, and only as "1" */
    g_assert_cmpint(write_str(f, "bus/pci/devices/" GPU "/reset", "1"), ==, 0);
    g_assert_cmpint(write_str(f, "bus/pci/devices/" GPU "/reset", "0"), ==, EINVAL);
    /* the root port has none: the kernel shows no reset attribute at all */
    g_assert_cmpint(write_str(f, "bus/pci/devices/0000:00:01.0/reset", "1"), ==, ENOENT);
    /* read-only attributes stay read-only */
    g_assert_cmpint(write_str(f, "bus/pci/devices/" GPU "/vendor", "0x1234"), ==, EACCES);
}

static void
test_vfio_node_per_group(Fixture *f, gconstpointer data)
{
    const char *const both[] = {GPU, AUDIO};

    if (f->k == NULL)
        return;
    for (guint i = 0; i < G_N_ELEMENTS(both); i++) {
        g_autofree char *ovr = g_strdup_printf("bus/pci/devices/%s/driver_override", both[i]);
        g_autofree char *unbind = g_strdup_printf("bus/pci/devices/%s/driver/unbind", both[i]);

        g_assert_cmpint(write_str(f, ovr, "vfio-pci"), ==, 0);
        g_assert_cmpint(write_str(f, unbind, both[i]), ==, 0);
        g_assert_cmpint(write_str(f, "bus/pci/drivers_probe", both[i]), ==, 0);
    }
    /* the library sees the new state through the fake kernel: the group is viable now */
    vh_test_host_reload(f->t);
    g_assert_true(vh_iommu_group_is_viable(
        vh_inventory_group_of(f->t->inventory, vh_inventory_lookup(f->t->inventory, GPU)), NULL));
    g_assert_cmpint(write_str(f, "bus/pci/drivers/vfio-pci/unbind", GPU), ==, 0);
    g_assert_true(vfio_node(f, 1)); /* the audio function still holds the group */
    g_assert_cmpint(write_str(f, "bus/pci/drivers/vfio-pci/unbind", AUDIO), ==, 0);
    g_assert_false(vfio_node(f, 1));
}

static void
test_fault_fail(Fixture *f, gconstpointer data)
{
    if (f->k == NULL)
        return;
    vh_fake_kernel_set_fault(f->t->root, "fail", "bind", AUDIO, TRUE);
    g_assert_cmpint(write_str(f, "bus/pci/drivers/snd_hda_intel/unbind", AUDIO), ==, 0);
    g_assert_cmpint(write_str(f, "bus/pci/drivers/snd_hda_intel/bind", AUDIO), ==, EIO);
    assert_driver(f, AUDIO, NULL);
    vh_fake_kernel_set_fault(f->t->root, "fail", "bind", AUDIO, FALSE);
    g_assert_cmpint(write_str(f, "bus/pci/drivers/snd_hda_intel/bind", AUDIO), ==, 0);
}

typedef struct {
    Fixture *f;
    int result;
    gint64 finished;
} HangWrite;

static gpointer
hang_writer(gpointer data)
{
    HangWrite *w = data;

    w->result = write_str(w->f, "bus/pci/drivers/snd_hda_intel/unbind", AUDIO);
    w->finished = g_get_monotonic_time();
    return NULL;
}

static void
test_fault_hang(Fixture *f, gconstpointer data)
{
    HangWrite w = {.f = f, .result = -1};
    GThread *thread;
    gint64 released;

    if (f->k == NULL)
        return;
    vh_fake_kernel_set_fault(f->t->root, "hang", "unbind", AUDIO, TRUE);
    thread = g_thread_new("writer", hang_writer, &w);
    g_usleep(300 * 1000);
    /* still blocked in the kernel, and other devices are still served meanwhile */
    g_assert_cmpint(w.finished, ==, 0);
    assert_driver(f, GPU, "nouveau");
    released = g_get_monotonic_time();
    vh_fake_kernel_set_fault(f->t->root, "hang", "unbind", AUDIO, FALSE);
    g_thread_join(thread);
    g_assert_cmpint(w.result, ==, 0);
    g_assert_cmpint(w.finished, >=, released);
    assert_driver(f, AUDIO, NULL);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/vh/fake-kernel/handoff-and-back", Fixture, NULL, setup, test_handoff_and_back,
               teardown);
    g_test_add("/vh/fake-kernel/errors", Fixture, NULL, setup, test_errors, teardown);
    g_test_add("/vh/fake-kernel/vfio-node-per-group", Fixture, NULL, setup,
               test_vfio_node_per_group, teardown);
    g_test_add("/vh/fake-kernel/fault/fail-bind", Fixture, NULL, setup, test_fault_fail, teardown);
    g_test_add("/vh/fake-kernel/fault/hang-unbind", Fixture, NULL, setup, test_fault_hang,
               teardown);
    return g_test_run();
}
