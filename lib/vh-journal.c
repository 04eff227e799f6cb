/* vfio-handoff: the journal (DESIGN §6). RUN/devices/ADDRESS holds one record per held
 * device; RUN/domains/NAME/ADDRESS indexes them by domain (so a hook can tell with one stat
 * whether a domain holds anything); RUN/lock serialises every change. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "vh-error.h"
#include "vh-hook-contract.h"
#include "vh-journal.h"

#define GROUP "hold"

struct VhJournalLock {
    int fd;
};

void
vh_journal_record_free(VhJournalRecord *h)
{
    if (h == NULL)
        return;
    g_free(h->address);
    g_free(h->identity);
    g_free(h->domain);
    g_free(h->uuid);
    g_free(h->driver);
    g_free(h->driver_override);
    g_free(h->reason);
    g_free(h);
}

const char *
vh_hold_state_to_string(VhHoldState state)
{
    switch (state) {
    case VH_HOLD_DETACHING:
        return "detaching";
    case VH_HOLD_HELD:
        return "held";
    case VH_HOLD_RETURNING:
        return "returning";
    case VH_HOLD_STUCK:
        return "stuck";
    }
    g_assert_not_reached();
}

static gboolean
state_from_string(const char *s, VhHoldState *out)
{
    for (int i = VH_HOLD_DETACHING; i <= VH_HOLD_STUCK; i++) {
        if (g_strcmp0(s, vh_hold_state_to_string((VhHoldState)i)) == 0) {
            *out = (VhHoldState)i;
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean
ensure_dir(const char *path, GError **error)
{
    if (g_mkdir_with_parents(path, 0700) != 0) {
        vh_error_set_errno(error, errno, "create", path);
        return FALSE;
    }
    return TRUE;
}

VhJournalLock *
vh_journal_lock(const VhHost *host, guint timeout_ms, GError **error)
{
    g_autofree char *path = g_build_filename(host->run_dir, "lock", NULL);
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    guint wait_us = 1000;
    VhJournalLock *lock;
    int fd;

    if (!ensure_dir(host->run_dir, error))
        return NULL;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        vh_error_set_errno(error, errno, "open", path);
        return NULL;
    }
    /* poll with growing waits: another hook holds it for at most a few sysfs steps */
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            vh_error_set_errno(error, errno, "lock", path);
            close(fd);
            return NULL;
        }
        if (g_get_monotonic_time() >= deadline) {
            g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                        "another vfio-handoff holds the lock '%s' for more than %u ms", path,
                        timeout_ms);
            close(fd);
            return NULL;
        }
        g_usleep(wait_us);
        wait_us = MIN(wait_us * 2, 50000);
    }
    lock = g_new0(VhJournalLock, 1);
    lock->fd = fd;
    return lock;
}

void
vh_journal_unlock(VhJournalLock *lock)
{
    if (lock == NULL)
        return;
    close(lock->fd); /* releases the flock */
    g_free(lock);
}

/* the index the hook's front stats (vh-hook-contract.h) */
static char *
domain_dir(const VhHost *host, const char *domain)
{
    char path[4096];

    if (vh_hook_domain_index(host->run_dir, domain, path, sizeof(path)) != 0)
        return NULL;
    return g_strdup(path);
}

/* Removes @h from the index of its domain. */
static void
unindex(const VhHost *host, const VhJournalRecord *h)
{
    g_autofree char *ddir = h->owner == VH_OWNER_DOMAIN ? domain_dir(host, h->domain) : NULL;
    g_autofree char *mark = ddir != NULL ? g_build_filename(ddir, h->address, NULL) : NULL;

    if (mark != NULL) {
        g_unlink(mark);
        g_rmdir(ddir); /* fails while other devices of the domain are held: fine */
    }
}

gboolean
vh_journal_put(const VhHost *host, const VhJournalRecord *h, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *dir = g_build_filename(host->run_dir, "devices", NULL);
    g_autofree char *path = g_build_filename(dir, h->address, NULL);
    g_autofree char *ddir = h->owner == VH_OWNER_DOMAIN ? domain_dir(host, h->domain) : NULL;
    g_autofree char *mark = NULL;
    g_autofree char *text = NULL;
    int fd;

    if (h->owner == VH_OWNER_DOMAIN && ddir == NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT, "domain name '%s' is too long",
                    h->domain);
        return FALSE;
    }
    g_key_file_set_string(kf, GROUP, "address", h->address);
    g_key_file_set_string(kf, GROUP, "identity", h->identity != NULL ? h->identity : "");
    g_key_file_set_string(kf, GROUP, "owner", h->owner == VH_OWNER_BY_HAND ? "by-hand" : "domain");
    g_key_file_set_string(kf, GROUP, "domain", h->domain != NULL ? h->domain : "");
    g_key_file_set_string(kf, GROUP, "uuid", h->uuid != NULL ? h->uuid : "");
    g_key_file_set_integer(kf, GROUP, "qemu-pid", h->qemu_pid);
    g_key_file_set_string(kf, GROUP, "driver", h->driver != NULL ? h->driver : "");
    g_key_file_set_string(kf, GROUP, "driver-override",
                          h->driver_override != NULL ? h->driver_override : "");
    g_key_file_set_string(kf, GROUP, "state", vh_hold_state_to_string(h->state));
    g_key_file_set_string(kf, GROUP, "reason", h->reason != NULL ? h->reason : "");
    g_key_file_set_int64(kf, GROUP, "since", h->since);
    g_key_file_set_int64(kf, GROUP, "updated", g_get_real_time() / G_USEC_PER_SEC);
    text = g_key_file_to_data(kf, NULL, NULL);
    if (!ensure_dir(dir, error) || (ddir != NULL && !ensure_dir(ddir, error)))
        return FALSE;

    /* g_file_set_contents: temporary file, fsync, rename */
    if (!g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
        return FALSE;
    if (ddir == NULL)
        return TRUE; /* by hand: no domain to index it under */
    mark = g_build_filename(ddir, h->address, NULL);
    fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        vh_error_set_errno(error, errno, "create", mark);
        return FALSE;
    }
    close(fd);
    return TRUE;
}

static VhJournalRecord *
read_record(const char *path)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(VhJournalRecord) h = g_new0(VhJournalRecord, 1);
    g_autofree char *state = NULL;
    g_autofree char *owner = NULL;

#define STR(field, key)                                                                           \
    do {                                                                                          \
        char *v_ = g_key_file_get_string(kf, GROUP, key, NULL);                                   \
        if (v_ != NULL && v_[0] == '\0')                                                          \
            g_clear_pointer(&v_, g_free);                                                         \
        h->field = v_;                                                                            \
    } while (0)

    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
        return NULL;
    STR(address, "address");
    STR(identity, "identity");
    STR(domain, "domain");
    STR(uuid, "uuid");
    STR(driver, "driver");
    STR(driver_override, "driver-override");
    STR(reason, "reason");
#undef STR
    state = g_key_file_get_string(kf, GROUP, "state", NULL);
    owner = g_key_file_get_string(kf, GROUP, "owner", NULL);
    /* records written before the owner key named a device detached by hand "/manual" */
    if (g_strcmp0(owner, "by-hand") == 0 ||
        (owner == NULL && g_strcmp0(h->domain, "/manual") == 0)) {
        h->owner = VH_OWNER_BY_HAND;
        g_clear_pointer(&h->domain, g_free);
    } else if (owner != NULL && strcmp(owner, "domain") != 0) {
        return NULL;
    }
    if (h->address == NULL || (h->owner == VH_OWNER_DOMAIN && h->domain == NULL) ||
        !state_from_string(state, &h->state))
        return NULL;
    h->qemu_pid = g_key_file_get_integer(kf, GROUP, "qemu-pid", NULL);
    h->since = g_key_file_get_int64(kf, GROUP, "since", NULL);
    h->updated = g_key_file_get_int64(kf, GROUP, "updated", NULL);
    return g_steal_pointer(&h);
}

VhJournalRecord *
vh_journal_get(const VhHost *host, const char *address)
{
    g_autofree char *path = g_build_filename(host->run_dir, "devices", address, NULL);

    return read_record(path);
}

gboolean
vh_journal_remove(const VhHost *host, const char *address, GError **error)
{
    g_autofree char *path = g_build_filename(host->run_dir, "devices", address, NULL);
    g_autoptr(VhJournalRecord) h = read_record(path);

    if (h != NULL)
        unindex(host, h);
    if (g_unlink(path) != 0 && errno != ENOENT) {
        vh_error_set_errno(error, errno, "remove", path);
        return FALSE;
    }
    return TRUE;
}

static int
compare_records(gconstpointer a, gconstpointer b)
{
    const VhJournalRecord *x = *(VhJournalRecord *const *)a, *y = *(VhJournalRecord *const *)b;

    if (x->since != y->since)
        return x->since < y->since ? -1 : 1;
    return strcmp(x->address, y->address);
}

GPtrArray *
vh_journal_list(const VhHost *host)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)vh_journal_record_free);
    g_autofree char *dir = g_build_filename(host->run_dir, "devices", NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        g_autofree char *path = NULL;
        VhJournalRecord *h;

        if (name[0] == '.')
            continue; /* a temporary of g_file_set_contents */
        path = g_build_filename(dir, name, NULL);
        if ((h = read_record(path)) != NULL)
            g_ptr_array_add(out, h);
    }
    g_ptr_array_sort(out, compare_records);
    return out;
}

GPtrArray *
vh_journal_for_domain(const VhHost *host, const char *domain)
{
    GPtrArray *all = vh_journal_list(host);

    for (guint i = all->len; i > 0; i--) {
        VhJournalRecord *h = g_ptr_array_index(all, i - 1);

        if (g_strcmp0(h->domain, domain) != 0)
            g_ptr_array_remove_index(all, i - 1);
    }
    return all;
}
