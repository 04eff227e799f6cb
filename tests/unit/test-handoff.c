/*
 * The handoff engine on the fake kernel: devices detached in parallel and journaled before the
 * first write, a failure rolled back last-taken-first, a stale holder taken over with the
 * driver it recorded, and give back in reverse with failures kept for `recover`.
 */
#include "config.h"

#include <string.h>

#include "vh-error.h"
#include "vh-fake-kernel.h"
#include "vh-handoff.h"
#include "vh-test-host.h"

#define GPU1 "0000:01:00.0"
#define AUD1 "0000:01:00.1"
#define GPU2 "0000:02:00.0"
#define AUD2 "0000:02:00.1"

typedef struct {
    VhTestHost *t;
    VhFakeKernel *k;
    VhWriter writer;
    GPtrArray *devices;
} Fixture;

static void
setup(Fixture *f, gconstpointer data)
{
    const char *const names[] = {GPU1, AUD1, GPU2, AUD2};

    f->t = vh_test_host_new("twin-gpus");
    f->k = vh_fake_kernel_start_or_skip(f->t->root);
    f->writer = (VhWriter){.timeout_ms = 1000};
    f->devices = g_ptr_array_new();
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        VhPciDevice *dev = vh_inventory_lookup(f->t->inventory, names[i]);

        g_assert_nonnull(dev);
        g_ptr_array_add(f->devices, dev);
    }
}

static void
teardown(Fixture *f, gconstpointer data)
{
    vh_fake_kernel_stop(f->k);
    g_ptr_array_unref(f->devices);
    vh_test_host_free(f->t);
}

/* What the hook does: a snapshot of the host now, then the transaction over these devices.
 * What it reports is one entry a device, in their order, with the driver each was taken from
 * (or goes back to, when a record before this one says so). */
static gboolean
detach(Fixture *f, const GPtrArray *devices, const char *domain, const char *uuid,
       const VhWriter *w, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(VhSnapshot) snap = vh_snapshot_load(f->t->host, VH_SNAPSHOT_NONE, &local);
    g_autoptr(GPtrArray) now = g_ptr_array_new();
    g_autoptr(GPtrArray) done = NULL;

    g_assert_no_error(local);
    for (guint i = 0; i < devices->len; i++) {
        const VhPciDevice *dev = g_ptr_array_index((GPtrArray *)devices, i);

        g_ptr_array_add(now, vh_inventory_lookup(snap->inventory, dev->name));
    }
    done = vh_handoff_prepare(snap, &(VhHandoffOwner){VH_OWNER_DOMAIN, domain, uuid}, now, NULL, NULL, w,
                              error);
    if (done == NULL)
        return FALSE;
    g_assert_cmpuint(done->len, ==, now->len);
    for (guint i = 0; i < done->len; i++) {
        const VhHandoff *d = g_ptr_array_index(done, i);
        const VhPciDevice *dev = g_ptr_array_index(now, i);
        const VhJournalRecord *before = vh_snapshot_record(snap, dev->name);

        g_assert_cmpstr(d->address, ==, dev->name);
        g_assert_cmpstr(d->driver, ==, before != NULL ? before->driver : dev->driver);
        g_assert_cmpint(d->taken_over, ==, before != NULL);
        g_assert_null(d->console); /* no console asked for */
        g_assert_null(d->note);
    }
    return TRUE;
}

static char *
drivers(Fixture *f)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < f->devices->len; i++) {
        const VhPciDevice *dev = g_ptr_array_index(f->devices, i);
        g_autofree char *d = vh_bind_current_driver(f->t->host, dev->name);
        g_autofree char *o = vh_bind_current_override(f->t->host, dev->name);

        g_string_append_printf(s, "%s%s:%s", i ? " " : "", d ? d : "-", o ? o : "-");
    }
    return g_string_free(s, FALSE);
}

static char *
journal(Fixture *f)
{
    g_autoptr(GPtrArray) all = vh_journal_list(f->t->host, NULL);
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < all->len; i++) {
        const VhJournalRecord *h = g_ptr_array_index(all, i);

        g_string_append_printf(s, "%s%s=%s:%s:%s", i ? " " : "", h->address, h->domain,
                               vh_journal_state_to_string(h->state), h->driver ? h->driver : "-");
    }
    return g_string_free(s, FALSE);
}

/* the fake kernel's log from @from on, only the lines of @verb, less those naming @unless */
static char *
log_of(Fixture *f, guint from, const char *verb, const char *unless)
{
    g_autofree char *all = vh_fake_kernel_log(f->t->root, from);
    g_auto(GStrv) lines = g_strsplit(all, "|", -1);
    g_autoptr(GPtrArray) keep = g_ptr_array_new();
    g_autofree char *prefix = g_strconcat(verb, " ", NULL);

    for (guint i = 0; lines[i] != NULL; i++) {
        if (g_str_has_prefix(lines[i], prefix) &&
            (unless == NULL || !g_str_has_suffix(lines[i], unless)))
            g_ptr_array_add(keep, lines[i] + strlen(prefix));
    }
    g_ptr_array_add(keep, NULL);
    return g_strjoinv("|", (char **)keep->pdata);
}

#define ASSERT_STR(expr, want)                                                                     \
    do {                                                                                           \
        g_autofree char *s_ = (expr);                                                              \
        g_assert_cmpstr(s_, ==, want);                                                             \
    } while (0)

static const char ORIGINAL[] = "nouveau:- snd_hda_intel:- nouveau:- snd_hda_intel:-";

/* Gives back @domain's devices; their failures as "ADDRESS: REASON" in @failures (may be NULL).
 * Returns how many failed. */
static guint
give_back(Fixture *f, const char *domain, GPtrArray *failures)
{
    g_autoptr(GPtrArray) returns = vh_handoff_give_back_domain(f->t->host, domain, &f->writer);

    for (guint i = 0; failures != NULL && i < returns->len; i++) {
        const VhReturn *r = g_ptr_array_index(returns, i);

        if (r->outcome == VH_RETURN_FAILED || r->outcome == VH_RETURN_WEDGED)
            g_ptr_array_add(failures, g_strdup(r->detail)); /* it names the device */
    }
    return vh_returns_failed(returns);
}

static void
test_detach_and_back(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) returns = NULL;
    guint from;

    if (f->k == NULL)
        return;
    g_assert_true(detach(f, f->devices, "vm", "uuid-1", &f->writer, &error));
    g_assert_no_error(error);
    ASSERT_STR(drivers(f),
               "vfio-pci:vfio-pci vfio-pci:vfio-pci vfio-pci:vfio-pci vfio-pci:vfio-pci");
    ASSERT_STR(journal(f), GPU1 "=vm:held:nouveau " AUD1 "=vm:held:snd_hda_intel " GPU2
                                "=vm:held:nouveau " AUD2 "=vm:held:snd_hda_intel");
    g_assert_true(vh_test_host_domain_indexed(f->t->host, "vm"));
    /* back in reverse order, every record gone */
    from = vh_fake_kernel_log_lines(f->t->root);
    returns = vh_handoff_give_back_domain(f->t->host, "vm", &f->writer);
    g_assert_cmpuint(returns->len, ==, 4);
    g_assert_cmpuint(vh_returns_failed(returns), ==, 0);
    g_assert_cmpint(((VhReturn *)g_ptr_array_index(returns, 0))->outcome, ==, VH_RETURN_GIVEN_BACK);
    ASSERT_STR(drivers(f), ORIGINAL);
    ASSERT_STR(journal(f), "");
    g_assert_false(vh_test_host_domain_indexed(f->t->host, "vm"));
    ASSERT_STR(log_of(f, from, "unbind", NULL),
               AUD2 " vfio-pci|" GPU2 " vfio-pci|" AUD1 " vfio-pci|" GPU1 " vfio-pci");
    /* nothing held: nothing to do */
    g_clear_pointer(&returns, g_ptr_array_unref);
    returns = vh_handoff_give_back_domain(f->t->host, "vm", &f->writer);
    g_assert_cmpuint(returns->len, ==, 0);
}

static void
test_original_override_kept(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) one = g_ptr_array_new();
    g_autoptr(VhJournalRecord) h = NULL;

    if (f->k == NULL)
        return;
    /* the user pinned the audio function to its driver with an override of their own */
    g_assert_cmpint(vh_fake_kernel_write(f->t->host->sysfs,
                                         "bus/pci/devices/" AUD1 "/driver_override",
                                         "snd_hda_intel", 13),
                    ==, 0);
    g_ptr_array_add(one, f->devices->pdata[1]);
    g_assert_true(detach(f, one, "vm", NULL, &f->writer, &error));
    h = vh_journal_get(f->t->host, AUD1, NULL);
    g_assert_cmpstr(h->driver_override, ==, "snd_hda_intel");
    g_assert_cmpuint(give_back(f, "vm", NULL), ==, 0);
    ASSERT_STR(drivers(f), "nouveau:- snd_hda_intel:snd_hda_intel nouveau:- snd_hda_intel:-");
}

typedef struct {
    Fixture *f;
    gboolean ok;
    GError *error;
} Detach;

static gpointer
detach_thread(gpointer data)
{
    Detach *d = data;

    d->ok = detach(d->f, d->f->devices, "vm", NULL, &d->f->writer, &d->error);
    return NULL;
}

static void
test_journal_before_change(Fixture *f, gconstpointer data)
{
    Detach d = {.f = f};
    GThread *thread;
    g_autoptr(VhJournalRecord) during = NULL;

    if (f->k == NULL)
        return;
    /* while the first unbind of the GPU is held in the kernel, its record already says where
     * it came from: a crash at that instant leaves what `recover` needs */
    vh_fake_kernel_set_fault(f->t->root, "hang", "unbind", GPU1, TRUE);
    thread = g_thread_new("detach", detach_thread, &d);
    for (int i = 0; i < 250; i++) {
        g_autofree char *log = vh_fake_kernel_log(f->t->root, 0);

        if (strstr(log, "hang unbind " GPU1) != NULL)
            break;
        g_usleep(20 * 1000);
    }
    during = vh_journal_get(f->t->host, GPU1, NULL);
    g_assert_nonnull(during);
    g_assert_cmpint(during->state, ==, VH_JOURNAL_DETACHING);
    g_assert_cmpstr(during->driver, ==, "nouveau");
    g_assert_cmpstr(during->domain, ==, "vm");
    vh_fake_kernel_set_fault(f->t->root, "hang", "unbind", GPU1, FALSE);
    g_thread_join(thread);
    g_assert_no_error(d.error);
    g_assert_true(d.ok);
    g_assert_cmpuint(give_back(f, "vm", NULL), ==, 0);
}

static void
test_parallel(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    gint64 t0, ms;

    if (f->k == NULL)
        return;
    /* every unbind hangs for longer than the bound: one after another would take 4 bounds,
     * side by side it takes one */
    f->writer.timeout_ms = 500;
    for (guint i = 0; i < f->devices->len; i++)
        vh_fake_kernel_set_fault(f->t->root, "hang", "unbind",
                                 ((VhPciDevice *)f->devices->pdata[i])->name, TRUE);
    t0 = g_get_monotonic_time();
    g_assert_false(detach(f, f->devices, "vm", NULL, &f->writer, &error));
    ms = (g_get_monotonic_time() - t0) / 1000;
    g_assert_error(error, VH_ERROR, VH_ERROR_TIMED_OUT);
    g_assert_cmpint(ms, <, 1500);
    /* a device whose write hung is not touched again: stuck, with the reason, for recover */
    ASSERT_STR(journal(f), GPU1 "=vm:stuck:nouveau " AUD1 "=vm:stuck:snd_hda_intel " GPU2
                                "=vm:stuck:nouveau " AUD2 "=vm:stuck:snd_hda_intel");
    {
        g_autoptr(VhJournalRecord) h = vh_journal_get(f->t->host, AUD2, NULL);

        g_assert_true(strstr(h->reason,
                             "did not finish in 500 ms, the kernel is stuck on it (fix: ") != NULL);
    }
}

static void
test_rollback(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *probe = g_build_filename(f->t->host->sysfs, "bus/pci/drivers_probe", NULL);
    g_autofree char *want =
        g_strdup_printf(GPU2 ": %s: writing '" GPU2 "' failed, %s (fix: see the kernel log, "
                             "'journalctl -k', for what failed)",
                        probe, g_strerror(EINVAL));
    guint from;

    if (f->k == NULL)
        return;
    /* the third device fails: all four end where they were, in reverse order of taking */
    vh_fake_kernel_set_fault(f->t->root, "fail", "probe", GPU2, TRUE);
    from = vh_fake_kernel_log_lines(f->t->root);
    g_assert_false(detach(f, f->devices, "vm", NULL, &f->writer, &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_IO);
    g_assert_cmpstr(error->message, ==, want);
    ASSERT_STR(drivers(f), ORIGINAL);
    ASSERT_STR(journal(f), "");
    /* (the handoffs ran in parallel, in no set order; the rollback runs one by one) */
    ASSERT_STR(log_of(f, from, "bind", " vfio-pci"),
               AUD2 " snd_hda_intel|" GPU2 " nouveau|" AUD1 " snd_hda_intel|" GPU1 " nouveau");
}

static void
test_takeover(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) one = g_ptr_array_new();
    g_autoptr(VhJournalRecord) h = NULL;

    if (f->k == NULL)
        return;
    g_ptr_array_add(one, f->devices->pdata[0]);
    /* "old" took the GPU and died without a release; "new" takes it over */
    g_assert_true(detach(f, one, "old", NULL, &f->writer, &error));
    vh_handoff_record_pid(f->t->host, "old", 31337);
    h = vh_journal_get(f->t->host, GPU1, NULL);
    g_assert_cmpint(h->qemu_pid, ==, 31337);
    g_assert_true(detach(f, one, "new", NULL, &f->writer, &error));
    g_assert_no_error(error);
    /* the record names the new holder and still the driver the device came from */
    ASSERT_STR(journal(f), GPU1 "=new:held:nouveau");
    g_assert_false(vh_test_host_domain_indexed(f->t->host, "old"));
    g_assert_cmpuint(give_back(f, "old", NULL), ==, 0);
    ASSERT_STR(drivers(f), "vfio-pci:vfio-pci snd_hda_intel:- nouveau:- snd_hda_intel:-");
    g_assert_cmpuint(give_back(f, "new", NULL), ==, 0);
    ASSERT_STR(drivers(f), ORIGINAL);
}

static void
test_give_back_failure_kept(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(VhJournalRecord) h = NULL;

    if (f->k == NULL)
        return;
    g_assert_true(detach(f, f->devices, "vm", NULL, &f->writer, &error));
    vh_fake_kernel_set_fault(f->t->root, "fail", "bind", AUD1, TRUE);
    /* one device the kernel will not take back: the others go home, it stays stuck */
    g_assert_cmpuint(give_back(f, "vm", failures), ==, 1);
    g_assert_cmpuint(failures->len, ==, 1);
    g_assert_nonnull(strstr(failures->pdata[0], ": writing '" AUD1 "' failed, "));
    ASSERT_STR(drivers(f), "nouveau:- -:- nouveau:- snd_hda_intel:-");
    h = vh_journal_get(f->t->host, AUD1, NULL);
    g_assert_nonnull(h);
    g_assert_cmpint(h->state, ==, VH_JOURNAL_STUCK);
    g_assert_cmpstr(h->driver, ==, "snd_hda_intel");
    g_assert_nonnull(strstr(h->reason, g_strerror(EIO)));
    /* recover, once the kernel takes it */
    vh_fake_kernel_set_fault(f->t->root, "fail", "bind", AUD1, FALSE);
    g_assert_true(
        vh_handoff_give_back(f->t->host, h, &f->writer, VH_GIVE_BACK_CHECKED, NULL, &error));
    g_assert_no_error(error);
    ASSERT_STR(drivers(f), ORIGINAL);
    ASSERT_STR(journal(f), "");
}

/* A device that did not come back from its reset (config space all ones) is not rebound: its
 * driver's probe could hang the host. It stays on vfio-pci, wedged, the others go back; a
 * forced give back (reattach --force) takes it home anyway. */
static void
test_wedged_kept(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(VhJournalRecord) h = NULL;
    g_autofree char *reset = NULL;

    if (f->k == NULL)
        return;
    g_assert_true(detach(f, f->devices, "vm", NULL, &f->writer, &error));
    vh_fake_kernel_set_fault(f->t->root, "wedge", "reset", GPU2, TRUE);
    /* what vfio-pci does when QEMU lets the device go */
    reset = g_strdup_printf("bus/pci/devices/%s/reset", GPU2);
    g_assert_cmpint(vh_fake_kernel_write(f->t->host->sysfs, reset, "1", 1), ==, 0);
    g_assert_cmpuint(give_back(f, "vm", failures), ==, 1);
    ASSERT_STR(g_strdup(failures->pdata[0]),
               GPU2 ": does not answer after its reset, its config space reads 0xffff; kept on "
                    "vfio-pci, as giving it back to nouveau could hang the host "
                    "(fix: reboot the host to reset it, or run 'vfio-handoff reattach --force " GPU2
                    "' to give it back anyway)");
    ASSERT_STR(drivers(f), "nouveau:- snd_hda_intel:- vfio-pci:vfio-pci snd_hda_intel:-");
    h = vh_journal_get(f->t->host, GPU2, NULL);
    g_assert_nonnull(h);
    g_assert_cmpint(h->state, ==, VH_JOURNAL_WEDGED);
    /* checked again on every try: recover leaves it too */
    g_assert_false(
        vh_handoff_give_back(f->t->host, h, &f->writer, VH_GIVE_BACK_CHECKED, NULL, &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_WEDGED);
    g_clear_error(&error);
    ASSERT_STR(drivers(f), "nouveau:- snd_hda_intel:- vfio-pci:vfio-pci snd_hda_intel:-");
    g_assert_true(
        vh_handoff_give_back(f->t->host, h, &f->writer, VH_GIVE_BACK_FORCE, NULL, &error));
    g_assert_no_error(error);
    ASSERT_STR(drivers(f), ORIGINAL);
    ASSERT_STR(journal(f), "");
}

#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("/vh/handoff/detach-and-give-back", test_detach_and_back);
    ADD("/vh/handoff/original-override-kept", test_original_override_kept);
    ADD("/vh/handoff/journal-before-change", test_journal_before_change);
    ADD("/vh/handoff/parallel", test_parallel);
    ADD("/vh/handoff/rollback-in-reverse", test_rollback);
    ADD("/vh/handoff/takeover-keeps-original-driver", test_takeover);
    ADD("/vh/handoff/give-back-failure-kept-for-recover", test_give_back_failure_kept);
    ADD("/vh/handoff/wedged-device-not-rebound", test_wedged_kept);
    return g_test_run();
}
