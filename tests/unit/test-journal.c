/*
 * The journal (DESIGN §6): records written whole (temp, fsync, rename) with every field kept,
 * the by-domain index a hook stats, the host-wide lock, and records that cannot be trusted.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vh-holders.h"

#include "vh-error.h"
#include "vh-journal.h"
#include "vh-test-host.h"

#define GPU "0000:01:00.0"
#define AUDIO "0000:01:00.1"

static VhJournalRecord *
hold_new(const char *address, const char *domain, gint64 since)
{
    VhJournalRecord *h = g_new0(VhJournalRecord, 1);

    h->address = g_strdup(address);
    h->identity = g_strdup("10de:2204:1458:403b");
    h->domain = g_strdup(domain);
    h->uuid = g_strdup("8f0e9f4e-7f55-4a38-9d3b-0c8d2b5d8e11");
    h->driver = g_strdup("nouveau");
    h->state = VH_JOURNAL_DETACHING;
    h->since = since;
    return h;
}

static char *
run_path(VhTestHost *t, const char *rel)
{
    return g_build_filename(t->host->run_dir, rel, NULL);
}

/* the names in RUN/REL, sorted and joined by spaces */
static char *
dir_names(VhTestHost *t, const char *rel)
{
    g_autofree char *dir = run_path(t, rel);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    while (d != NULL && (name = g_dir_read_name(d)) != NULL)
        g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
    g_ptr_array_add(names, NULL);
    return g_strjoinv(" ", (char **)names->pdata);
}

static void
test_round_trip(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("gpu-audio");
    g_autoptr(VhJournalRecord) h = hold_new(GPU, "win11", 1700000000);
    g_autoptr(VhJournalRecord) back = NULL;
    g_autoptr(GError) error = NULL;

    h->qemu_pid = 4242;
    h->driver_override = g_strdup("nouveau");
    h->state = VH_JOURNAL_STUCK;
    h->reason = g_strdup("writing '0000:01:00.0' to unbind did not finish in 1000 ms");
    g_assert_true(vh_journal_put(t->host, h, &error));
    g_assert_no_error(error);
    back = vh_journal_get(t->host, GPU, NULL);
    g_assert_nonnull(back);
    g_assert_cmpstr(back->address, ==, GPU);
    g_assert_cmpstr(back->identity, ==, "10de:2204:1458:403b");
    g_assert_cmpstr(back->domain, ==, "win11");
    g_assert_cmpstr(back->uuid, ==, "8f0e9f4e-7f55-4a38-9d3b-0c8d2b5d8e11");
    g_assert_cmpint(back->qemu_pid, ==, 4242);
    g_assert_cmpstr(back->driver, ==, "nouveau");
    g_assert_cmpstr(back->driver_override, ==, "nouveau");
    g_assert_cmpint(back->state, ==, VH_JOURNAL_STUCK);
    g_assert_cmpstr(back->reason, ==, h->reason);
    g_assert_cmpint(back->since, ==, 1700000000);
    g_assert_cmpint(back->updated, >=, g_get_real_time() / G_USEC_PER_SEC - 60);
}

static void
test_unset_fields(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("gpu-audio");
    g_autoptr(VhJournalRecord) h = hold_new(AUDIO, "win11", 1);
    g_autoptr(VhJournalRecord) back = NULL;

    /* a device that had no driver and no override goes back to exactly that */
    g_clear_pointer(&h->driver, g_free);
    g_clear_pointer(&h->uuid, g_free);
    g_assert_true(vh_journal_put(t->host, h, NULL));
    back = vh_journal_get(t->host, AUDIO, NULL);
    g_assert_nonnull(back);
    g_assert_null(back->driver);
    g_assert_null(back->driver_override);
    g_assert_null(back->uuid);
    g_assert_null(back->reason);
    g_assert_cmpint(back->qemu_pid, ==, 0);
}

static void
test_atomic_write(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("gpu-audio");
    g_autoptr(VhJournalRecord) h = hold_new(GPU, "win11", 1);
    g_autoptr(VhJournalRecord) back = NULL;
    g_autofree char *names = NULL;
    g_autofree char *run = run_path(t, ".");
    g_autofree char *record = run_path(t, "devices/" GPU);
    struct stat st;

    g_assert_true(vh_journal_put(t->host, h, NULL));
    h->state = VH_JOURNAL_HELD;
    g_assert_true(vh_journal_put(t->host, h, NULL));
    /* the second write replaced the first, and no temporary is left beside it */
    names = dir_names(t, "devices");
    g_assert_cmpstr(names, ==, GPU);
    back = vh_journal_get(t->host, GPU, NULL);
    g_assert_cmpint(back->state, ==, VH_JOURNAL_HELD);
    /* the journal is root's alone: 0700 directory, 0600 records */
    g_assert_cmpint(g_stat(run, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0700);
    g_assert_cmpint(g_stat(record, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0600);
}

static void
test_domain_index(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("gpu-audio");
    g_autoptr(VhJournalRecord) a = hold_new(GPU, "my vm/1", 1);
    g_autoptr(VhJournalRecord) b = hold_new(AUDIO, "my vm/1", 1);
    g_autoptr(GError) error = NULL;

    g_assert_false(vh_test_host_domain_indexed(t->host, "my vm/1"));
    g_assert_true(vh_journal_put(t->host, a, NULL));
    g_assert_true(vh_journal_put(t->host, b, NULL));
    g_assert_true(vh_test_host_domain_indexed(t->host, "my vm/1"));
    g_assert_false(vh_test_host_domain_indexed(t->host, "my vm"));
    /* the index goes with the domain's last record */
    g_assert_true(vh_journal_remove(t->host, GPU, &error));
    g_assert_true(vh_test_host_domain_indexed(t->host, "my vm/1"));
    g_assert_true(vh_journal_remove(t->host, AUDIO, &error));
    g_assert_no_error(error);
    g_assert_false(vh_test_host_domain_indexed(t->host, "my vm/1"));
    g_assert_null(vh_journal_get(t->host, GPU, NULL));
    /* removing what is not there is no error */
    g_assert_true(vh_journal_remove(t->host, GPU, &error));
    g_assert_no_error(error);
}

static void
test_domain_order(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("twin-gpus");
    g_autoptr(GPtrArray) holds = NULL;
    const char *order[][2] = {
        {"0000:02:00.1", "1"}, {"0000:02:00.0", "1"}, {"0000:01:00.0", "2"}, {"0000:03:00.0", "0"}};

    for (guint i = 0; i < G_N_ELEMENTS(order); i++) {
        g_autoptr(VhJournalRecord) h =
            hold_new(order[i][0], i == 3 ? "other" : "vm", atoi(order[i][1]));

        g_assert_true(vh_journal_put(t->host, h, NULL));
    }
    /* in the order taken (time, then address), and only the domain's own */
    holds = vh_journal_for_domain(t->host, "vm");
    g_assert_cmpuint(holds->len, ==, 3);
    g_assert_cmpstr(((VhJournalRecord *)holds->pdata[0])->address, ==, "0000:02:00.0");
    g_assert_cmpstr(((VhJournalRecord *)holds->pdata[1])->address, ==, "0000:02:00.1");
    g_assert_cmpstr(((VhJournalRecord *)holds->pdata[2])->address, ==, "0000:01:00.0");
}

static void
write_record(VhTestHost *t, const char *name, const char *text)
{
    g_autofree char *dir = run_path(t, "devices");
    g_autofree char *path = g_build_filename(dir, name, NULL);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void
test_corrupt_records(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("twin-gpus");
    g_autoptr(VhJournalRecord) good = hold_new(GPU, "vm", 1);
    g_autoptr(GPtrArray) all = NULL;

    g_assert_true(vh_journal_put(t->host, good, NULL));
    write_record(t, "0000:02:00.0", "this is not a key file\n\x01\x02");
    write_record(t, "0000:02:00.1", "[hold]\naddress=0000:02:00.1\ndomain=vm\nstate=floating\n");
    write_record(t, "0000:03:00.0", "[hold]\naddress=0000:03:00.0\nstate=held\n");
    write_record(t, ".0000:03:00.0.ABC123",
                 "[hold]\naddress=0000:03:00.0\ndomain=vm\nstate=held\n");
    /* garbage, an unknown state, no domain, a temporary: none becomes a hold */
    g_assert_null(vh_journal_get(t->host, "0000:02:00.0", NULL));
    g_assert_null(vh_journal_get(t->host, "0000:02:00.1", NULL));
    g_assert_null(vh_journal_get(t->host, "0000:03:00.0", NULL));
    all = vh_journal_list(t->host, NULL);
    g_assert_cmpuint(all->len, ==, 1);
    g_assert_cmpstr(((VhJournalRecord *)all->pdata[0])->address, ==, GPU);
}

static void
test_lock(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("gpu-audio");
    g_autoptr(GError) error = NULL;
    g_autoptr(VhJournalLock) first = vh_journal_lock(t->host, 100, &error);
    VhJournalLock *second;
    gint64 t0;

    g_assert_no_error(error);
    g_assert_nonnull(first);
    /* a second holder waits its bound, then gives up with the lock's path */
    t0 = g_get_monotonic_time();
    second = vh_journal_lock(t->host, 200, &error);
    g_assert_null(second);
    g_assert_error(error, VH_ERROR, VH_ERROR_BUSY);
    g_assert_true(g_str_has_suffix(error->message,
                                   "/run/vfio-handoff/lock: another vfio-handoff holds this lock "
                                   "for more than 200 ms (fix: wait for the domain that starts or "
                                   "stops now, then try again)"));
    g_assert_cmpint(g_get_monotonic_time() - t0, >=, 200 * 1000);
    g_clear_error(&error);
    /* released, it is free at once */
    g_clear_pointer(&first, vh_journal_unlock);
    second = vh_journal_lock(t->host, 0, &error);
    g_assert_no_error(error);
    g_assert_nonnull(second);
    vh_journal_unlock(second);
}

static void
test_pid_alive(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("gpu-audio");
    g_autofree char *proc = g_build_filename(t->root, "proc", "4242", NULL);

    g_assert_false(vh_host_pid_alive(t->host, 4242));
    g_assert_cmpint(g_mkdir_with_parents(proc, 0755), ==, 0);
    g_assert_true(vh_host_pid_alive(t->host, 4242));
    g_assert_false(vh_host_pid_alive(t->host, 0));
    g_assert_false(vh_host_pid_alive(t->host, -1));
}

/* a device detached by hand has an owner of its own, not a domain; records written before the
 * owner key named it "/manual" and read back the same */
static void
test_by_hand_owner(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("twin-gpus");
    g_autoptr(VhJournalRecord) h = hold_new(GPU, NULL, 1);
    g_autoptr(VhJournalRecord) back = NULL;
    g_autoptr(VhJournalRecord) legacy = NULL;
    g_autofree char *domains = run_path(t, "domains");

    h->owner = VH_OWNER_BY_HAND;
    g_assert_true(vh_journal_put(t->host, h, NULL));
    back = vh_journal_get(t->host, GPU, NULL);
    g_assert_nonnull(back);
    g_assert_cmpint(back->owner, ==, VH_OWNER_BY_HAND);
    g_assert_null(back->domain);
    /* no domain indexes it */
    g_assert_true(g_file_test(domains, G_FILE_TEST_IS_DIR));
    {
        g_autoptr(GDir) d = g_dir_open(domains, 0, NULL);

        g_assert_nonnull(d);
        g_assert_null(g_dir_read_name(d));
    }
    write_record(t, "0000:02:00.0", "[hold]\naddress=0000:02:00.0\ndomain=/manual\nstate=held\n");
    legacy = vh_journal_get(t->host, "0000:02:00.0", NULL);
    g_assert_nonnull(legacy);
    g_assert_cmpint(legacy->owner, ==, VH_OWNER_BY_HAND);
    g_assert_null(legacy->domain);
    g_assert_true(vh_journal_remove(t->host, GPU, NULL));
}

/* the one rule for whether a record's holder is still there */
static void
test_holder_state(void)
{
    g_autoptr(VhTestHost) t = vh_test_host_new("gpu-audio");
    g_autoptr(VhJournalRecord) h = hold_new(GPU, "vm", 1);
    g_autofree char *proc = g_build_filename(t->root, "proc", "4242", NULL);

    g_assert_cmpint(vh_holder_state_of_record(t->host, h), ==, VH_HOLDER_STARTING);
    h->qemu_pid = 4242;
    g_assert_cmpint(vh_holder_state_of_record(t->host, h), ==, VH_HOLDER_GONE);
    g_assert_cmpint(g_mkdir_with_parents(proc, 0755), ==, 0);
    g_assert_cmpint(vh_holder_state_of_record(t->host, h), ==, VH_HOLDER_RUNNING);
    h->owner = VH_OWNER_BY_HAND;
    g_assert_cmpint(vh_holder_state_of_record(t->host, h), ==, VH_HOLDER_BY_HAND);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vh/journal/record/round-trip", test_round_trip);
    g_test_add_func("/vh/journal/record/unset-fields", test_unset_fields);
    g_test_add_func("/vh/journal/record/atomic-write", test_atomic_write);
    g_test_add_func("/vh/journal/record/corrupt", test_corrupt_records);
    g_test_add_func("/vh/journal/domain/index", test_domain_index);
    g_test_add_func("/vh/journal/domain/order-taken", test_domain_order);
    g_test_add_func("/vh/journal/lock/exclusive", test_lock);
    g_test_add_func("/vh/journal/pid-alive", test_pid_alive);
    g_test_add_func("/vh/journal/owner/by-hand", test_by_hand_owner);
    g_test_add_func("/vh/journal/holder-state", test_holder_state);
    return g_test_run();
}
