/*
 * The sysfs writer on the fake kernel: each step's result and errno, the bound on a write that
 * hangs in the kernel, and the verification of a handoff and a give back by reading sysfs back.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "vh-bind.h"
#include "vh-sysfs-writer.h"
#include "vh-error.h"
#include "vh-fake-kernel.h"
#include "vh-fake-tree.h"
#include "vh-journal.h"
#include "vh-test-host.h"

#define GPU "0000:01:00.0"
#define AUDIO "0000:01:00.1"

typedef struct {
    VhTestHost *t;
    VhFakeKernel *k;
    VhWriter writer;
} Fixture;

static void
setup(Fixture *f, gconstpointer data)
{
    f->t = vh_test_host_new("gpu-audio");
    f->k = vh_fake_kernel_start_or_skip(f->t->root);
    f->writer = (VhWriter){.timeout_ms = 1000};
}

static void
teardown(Fixture *f, gconstpointer data)
{
    vh_fake_kernel_stop(f->k);
    vh_test_host_free(f->t);
}

static char *
sys_path(Fixture *f, const char *rel)
{
    return g_build_filename(f->t->host->sysfs, rel, NULL);
}

#define assert_driver(f, bdf, expected)                                                            \
    do {                                                                                           \
        g_autofree char *d_ = vh_bind_current_driver((f)->t->host, bdf);                           \
        g_assert_cmpstr(d_, ==, expected);                                                         \
    } while (0)
#define assert_override(f, bdf, expected)                                                          \
    do {                                                                                           \
        g_autofree char *o_ = vh_bind_current_override((f)->t->host, bdf);                         \
        g_assert_cmpstr(o_, ==, expected);                                                         \
    } while (0)

static void
test_write_refuses_outside_sysfs(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("gpu-audio");
    VhWriter opts = {.timeout_ms = 100};
    g_autofree char *outside = g_build_filename(t->root, "etc/passwd", NULL);
    g_autofree char *climbs = g_build_filename(t->host->sysfs, "bus/../../etc/passwd", NULL);
    g_autofree char *prefix = g_strconcat(t->host->sysfs, "-other/x", NULL);
    const char *paths[] = {outside, climbs, prefix};

    for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *want =
            g_strdup_printf("%s: not written, as it is not below '%s' (fix: none: vfio-handoff "
                            "writes only sysfs files)",
                            paths[i], t->host->sysfs);

        g_assert_false(vh_writer_write(t->host, NULL, paths[i], "x", &opts, &error));
        g_assert_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT);
        g_assert_cmpstr(error->message, ==, want);
    }
}

static void
test_write_carries_errno(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *bind = sys_path(f, "bus/pci/drivers/snd_hda_intel/bind");
    g_autofree char *want =
        g_strdup_printf("%s: writing '" AUDIO "' failed, %s (fix: see the kernel log, 'journalctl "
                        "-k', for what failed)",
                        bind, g_strerror(EBUSY));
    g_autofree char *missing = sys_path(f, "bus/pci/drivers/nosuch/bind");
    g_autofree char *reset = sys_path(f, "bus/pci/devices/" AUDIO "/reset");

    if (f->k == NULL)
        return;
    /* the kernel's EBUSY (bound already), in the message with the value and the path */
    g_assert_false(vh_writer_write(f->t->host, NULL, bind, AUDIO "\n", &f->writer, &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_IO);
    g_assert_cmpstr(error->message, ==, want);
    g_clear_error(&error);
    /* open() failing is reported the same way */
    g_assert_false(vh_writer_write(f->t->host, NULL, missing, AUDIO, &f->writer, &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_IO);
    g_assert_nonnull(strstr(error->message, g_strerror(ENOENT)));
    g_clear_error(&error);
    /* and a write the kernel takes returns TRUE */
    g_assert_true(vh_writer_write(f->t->host, NULL, reset, "1", &f->writer, &error));
    g_assert_no_error(error);
}

/* one child makes a device's writes in order; after one hangs, the rest fail at once */
static void
test_write_session(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *override = sys_path(f, "bus/pci/devices/" AUDIO "/driver_override");
    g_autofree char *unbind = sys_path(f, "bus/pci/drivers/snd_hda_intel/unbind");
    g_autofree char *want = g_strdup_printf(
        "%s: not written, as an earlier write of this device is stuck in the kernel (fix: reboot "
        "the host to free the device)",
        override);
    VhWriter w = {.timeout_ms = 300};
    g_autoptr(VhWriteSession) s = vh_write_session_new(f->t->host, &w);
    gint64 t0;

    if (f->k == NULL)
        return;
    g_assert_true(vh_write_session_write(s, AUDIO, override, "vfio-pci", &error));
    g_assert_no_error(error);
    assert_override(f, AUDIO, "vfio-pci");
    vh_fake_kernel_set_fault(f->t->root, "hang", "unbind", AUDIO, TRUE);
    g_assert_false(vh_write_session_write(s, AUDIO, unbind, AUDIO, &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_TIMED_OUT);
    g_clear_error(&error);
    t0 = g_get_monotonic_time();
    g_assert_false(vh_write_session_write(s, AUDIO, override, "\n", &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_TIMED_OUT);
    g_assert_cmpstr(error->message, ==, want);
    g_assert_cmpint((g_get_monotonic_time() - t0) / 1000, <, 100);
    assert_override(f, AUDIO, "vfio-pci");
    vh_fake_kernel_set_fault(f->t->root, "hang", "unbind", AUDIO, FALSE);
}

static void
test_write_timeout(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *unbind = sys_path(f, "bus/pci/drivers/snd_hda_intel/unbind");
    g_autoptr(VhJournalLock) lock = NULL;
    g_autoptr(VhJournalLock) again = NULL;
    VhWriter opts = {.timeout_ms = 300};
    gint64 t0, ms;

    if (f->k == NULL)
        return;
    lock = vh_journal_lock(f->t->host, 0, &error);
    g_assert_no_error(error);
    vh_fake_kernel_set_fault(f->t->root, "hang", "unbind", AUDIO, TRUE);
    t0 = g_get_monotonic_time();
    g_assert_false(vh_writer_write(f->t->host, NULL, unbind, AUDIO, &opts, &error));
    ms = (g_get_monotonic_time() - t0) / 1000;
    g_assert_error(error, VH_ERROR, VH_ERROR_TIMED_OUT);
    g_assert_nonnull(strstr(error->message, "/unbind: writing '" AUDIO
                                            "' did not finish in 300 ms, the kernel is stuck on "
                                            "it (fix: "));
    /* abandoned at the bound, not waited for */
    g_assert_cmpint(ms, >=, 300);
    g_assert_cmpint(ms, <, 1500);
    g_clear_error(&error);
    /* the writer left hanging in the kernel does not keep the host-wide lock */
    g_clear_pointer(&lock, vh_journal_unlock);
    again = vh_journal_lock(f->t->host, 0, &error);
    g_assert_no_error(error);
    g_assert_nonnull(again);
    /* the child finishes once the kernel does */
    vh_fake_kernel_set_fault(f->t->root, "hang", "unbind", AUDIO, FALSE);
    for (int i = 0; i < 250; i++) {
        g_autofree char *d = vh_bind_current_driver(f->t->host, AUDIO);

        if (d == NULL)
            break;
        g_usleep(20 * 1000);
    }
    assert_driver(f, AUDIO, NULL);
}

static void
test_detach(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *node = g_build_filename(f->t->root, "dev/vfio/1", NULL);
    g_autofree char *log = NULL;
    guint from;

    if (f->k == NULL)
        return;
    from = vh_fake_kernel_log_lines(f->t->root);
    g_assert_true(vh_bind_detach(f->t->host, AUDIO, 1, "vfio-pci", &f->writer, &error));
    g_assert_no_error(error);
    assert_driver(f, AUDIO, "vfio-pci");
    assert_override(f, AUDIO, "vfio-pci");
    g_assert_true(g_file_test(node, G_FILE_TEST_EXISTS));
    /* DESIGN §4: override first, then unbind, then probe */
    log = vh_fake_kernel_log(f->t->root, from);
    g_assert_cmpstr(log, ==,
                    "override " AUDIO " vfio-pci|unbind " AUDIO " snd_hda_intel|bind " AUDIO
                    " vfio-pci");
    /* already on vfio-pci: nothing is written */
    from = vh_fake_kernel_log_lines(f->t->root);
    g_assert_true(vh_bind_detach(f->t->host, AUDIO, 1, "vfio-pci", &f->writer, &error));
    g_clear_pointer(&log, g_free);
    log = vh_fake_kernel_log(f->t->root, from);
    g_assert_cmpstr(log, ==, "");
}

static void
test_detach_probe_fails(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *probe = sys_path(f, "bus/pci/drivers_probe");
    g_autofree char *want =
        g_strdup_printf("%s: writing '" GPU "' failed, %s (fix: see the kernel log, 'journalctl "
                        "-k', for what failed)",
                        probe, g_strerror(EINVAL));

    if (f->k == NULL)
        return;
    vh_fake_kernel_set_fault(f->t->root, "fail", "probe", GPU, TRUE);
    g_assert_false(vh_bind_detach(f->t->host, GPU, 1, "vfio-pci", &f->writer, &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_IO);
    g_assert_cmpstr(error->message, ==, want);
    /* the engine gives it back; the writer leaves it as the kernel did */
    assert_driver(f, GPU, NULL);
}

static void
test_detach_verifies_vfio_node(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *want =
        g_strdup_printf("%s: on vfio-pci, but %s/vfio/7 did not appear (fix: check that udev runs, "
                        "'systemctl status systemd-udevd', and see the kernel log)",
                        GPU, f->t->host->dev);

    if (f->k == NULL)
        return;
    /* a wrong group number: bound, but its /dev/vfio node never shows */
    f->writer.timeout_ms = 100;
    g_assert_false(vh_bind_detach(f->t->host, GPU, 7, "vfio-pci", &f->writer, &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_FAILED);
    g_assert_cmpstr(error->message, ==, want);
}

static void
test_detach_verifies_binding(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *vfio = g_build_filename(f->t->root, "sys/bus/pci/drivers/vfio-pci", NULL);

    if (f->k == NULL)
        return;
    /* no vfio-pci driver registered: every write succeeds, yet nothing binds */
    g_clear_pointer(&f->k, vh_fake_kernel_stop);
    vh_fake_tree_remove(vfio);
    f->k = vh_fake_kernel_start_or_skip(f->t->root);
    f->writer.timeout_ms = 100;
    g_assert_false(vh_bind_detach(f->t->host, GPU, 1, "vfio-pci", &f->writer, &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_FAILED);
    g_assert_cmpstr(error->message, ==,
                    GPU ": did not bind to vfio-pci, it is on no driver (fix: check that 'modprobe "
                        "vfio-pci' works, and see the kernel log, 'journalctl -k')");
}

static void
test_give_back(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *log = NULL;
    guint from;

    if (f->k == NULL)
        return;
    g_assert_true(vh_bind_detach(f->t->host, AUDIO, 1, "vfio-pci", &f->writer, &error));
    from = vh_fake_kernel_log_lines(f->t->root);
    g_assert_true(vh_bind_give_back(f->t->host, AUDIO, "snd_hda_intel", NULL, &f->writer, &error));
    g_assert_no_error(error);
    assert_driver(f, AUDIO, "snd_hda_intel");
    assert_override(f, AUDIO, NULL);
    /* unbind from vfio-pci, clear the override with a newline, bind the original */
    log = vh_fake_kernel_log(f->t->root, from);
    g_assert_cmpstr(log, ==,
                    "unbind " AUDIO " vfio-pci|override " AUDIO " (null)|bind " AUDIO
                    " snd_hda_intel");
}

static void
test_give_back_override(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    if (f->k == NULL)
        return;
    /* an override the user had set comes back as it was */
    g_assert_true(vh_bind_detach(f->t->host, AUDIO, 1, "vfio-pci", &f->writer, &error));
    g_assert_true(
        vh_bind_give_back(f->t->host, AUDIO, "snd_hda_intel", "snd_hda_intel", &f->writer, &error));
    g_assert_no_error(error);
    assert_override(f, AUDIO, "snd_hda_intel");
    assert_driver(f, AUDIO, "snd_hda_intel");
}

static void
test_give_back_no_driver(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    if (f->k == NULL)
        return;
    /* a device that had no driver is left unbound, its override cleared */
    g_assert_true(vh_bind_detach(f->t->host, AUDIO, 1, "vfio-pci", &f->writer, &error));
    g_assert_true(vh_bind_give_back(f->t->host, AUDIO, NULL, NULL, &f->writer, &error));
    g_assert_no_error(error);
    assert_driver(f, AUDIO, NULL);
    assert_override(f, AUDIO, NULL);
}

static void
test_give_back_rebound_elsewhere(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *log = NULL;
    guint from;

    if (f->k == NULL)
        return;
    /* on another driver than vfio-pci or the recorded one: someone else's, left alone */
    from = vh_fake_kernel_log_lines(f->t->root);
    g_assert_false(vh_bind_give_back(f->t->host, AUDIO, "nouveau", NULL, &f->writer, &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_FAILED);
    g_assert_cmpstr(error->message, ==,
                    AUDIO ": on snd_hda_intel, not a VFIO driver: something else rebound it, and "
                          "it is left as it is (fix: see who did in the kernel log and "
                          "'vfio-handoff status')");
    log = vh_fake_kernel_log(f->t->root, from);
    g_assert_cmpstr(log, ==, "");
    assert_driver(f, AUDIO, "snd_hda_intel");
}

static void
test_give_back_bind_fails(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    if (f->k == NULL)
        return;
    g_assert_true(vh_bind_detach(f->t->host, AUDIO, 1, "vfio-pci", &f->writer, &error));
    vh_fake_kernel_set_fault(f->t->root, "fail", "bind", AUDIO, TRUE);
    g_assert_false(vh_bind_give_back(f->t->host, AUDIO, "snd_hda_intel", NULL, &f->writer, &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_IO);
    g_assert_nonnull(strstr(error->message, g_strerror(EIO)));
    /* the override is clear already: a later `recover` needs only the bind */
    assert_override(f, AUDIO, NULL);
    assert_driver(f, AUDIO, NULL);
}

#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vh/bind/write/refuses-outside-sysfs", test_write_refuses_outside_sysfs);
    ADD("/vh/bind/write/session-after-a-hang", test_write_session);
    ADD("/vh/bind/write/carries-errno", test_write_carries_errno);
    ADD("/vh/bind/write/timeout-abandons-the-writer", test_write_timeout);
    ADD("/vh/bind/detach/override-unbind-probe", test_detach);
    ADD("/vh/bind/detach/probe-fails", test_detach_probe_fails);
    ADD("/vh/bind/detach/verifies-binding", test_detach_verifies_binding);
    ADD("/vh/bind/detach/verifies-vfio-node", test_detach_verifies_vfio_node);
    ADD("/vh/bind/give-back/restores-original-driver", test_give_back);
    ADD("/vh/bind/give-back/restores-original-override", test_give_back_override);
    ADD("/vh/bind/give-back/no-driver-left-unbound", test_give_back_no_driver);
    ADD("/vh/bind/give-back/rebound-elsewhere-left-alone", test_give_back_rebound_elsewhere);
    ADD("/vh/bind/give-back/bind-fails", test_give_back_bind_fails);
    return g_test_run();
}
