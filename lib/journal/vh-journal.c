/* vfio-handoff: the journal (DESIGN §6). RUN/devices/ADDRESS holds one record per held
 * device; RUN/domains/NAME/ADDRESS indexes them by domain (so a hook can tell with one stat
 * whether a domain holds anything); RUN/lock serialises every change.
 *
 * Every file is opened relative to a directory fd that was checked (not a symbolic link, not
 * writable by group or others, owned by the journal's owner), without following links; only
 * file names that are PCI addresses are records. Each change is ordered so that a kill -9 at any
 * point leaves a state `recover` finishes: the index mark before the record, the record replaced
 * in one rename, stale marks removed after. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vh-error.h"
#include "vh-journal-index.h"
#include "vh-journal.h"
#include "vh-journal-private.h"
#include "vh-pci-address.h"

struct VhJournalLock {
    int fd;
};

static void prune_index(const Dirs *d);

VhJournalLock *
vh_journal_lock(const VhHost *host, guint timeout_ms, GError **error)
{
    g_autofree char *path = g_build_filename(host->run_dir, "lock", NULL);
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    guint wait_us = 1000;
    VhJournalLock *lock;
    Dirs d;
    int fd;

    if (!vh_journal_dirs_open(host, TRUE, &d, error))
        return NULL;
    fd = openat(d.run, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
    if (fd < 0) {
        if (errno == ELOOP)
            g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                        "%s: is a symbolic link (fix: remove it; nothing else should create it)",
                        path);
        else
            vh_error_set_errno(error, errno, "open it", path);
        vh_journal_dirs_close(&d);
        return NULL;
    }
    /* poll with growing waits: another hook holds it for at most a few sysfs steps */
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            vh_error_set_errno(error, errno, "lock it", path);
            close(fd);
            vh_journal_dirs_close(&d);
            return NULL;
        }
        if (g_get_monotonic_time() >= deadline) {
            g_set_error(error, VH_ERROR, VH_ERROR_BUSY,
                        "%s: another vfio-handoff holds this lock for more than %u ms (fix: wait "
                        "for the domain that starts or stops now, then try again)",
                        path, timeout_ms);
            close(fd);
            vh_journal_dirs_close(&d);
            return NULL;
        }
        g_usleep(wait_us);
        wait_us = MIN(wait_us * 2, 50000);
    }
    /* what a writer killed mid-change left: never records, never holds */
    vh_journal_remove_temporaries(d.devices);
    prune_index(&d);
    vh_journal_dirs_close(&d);
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

/* Removes the marks of @address from every domain's index but @keep's (NULL: all). */
static void
unindex(const Dirs *d, const char *address, const char *keep)
{
    g_autoptr(GPtrArray) names = vh_journal_list_dir(d->domains);

    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        int fd;

        if (keep != NULL && strcmp(name, keep) == 0)
            continue;
        if ((fd = vh_journal_open_index(d, name)) < 0)
            continue;
        unlinkat(fd, address, 0);
        close(fd);
        unlinkat(d->domains, name, AT_REMOVEDIR); /* fails while it names other devices: fine */
    }
}

/* the domain's mark of @address, written before its record */
static gboolean
index_mark(const Dirs *d, const VhJournalRecord *h, const char *name, GError **error)
{
    g_autofree char *path = g_build_filename("RUN", VH_JOURNAL_DOMAINS_DIR, name, NULL);
    int dfd, fd;

    if (mkdirat(d->domains, name, 0700) != 0 && errno != EEXIST) {
        vh_error_set_errno(error, errno, "create it", path);
        return FALSE;
    }
    dfd = vh_journal_open_index(d, name);
    fd = dfd >= 0 ? openat(dfd, h->address, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
    if (fd < 0)
        vh_error_set_errno(error, errno, "create it", path);
    else
        close(fd);
    if (dfd >= 0)
        close(dfd);
    return fd >= 0;
}

/* temporary, fsync, rename over the old record */
static gboolean
write_record(const Dirs *d, const VhJournalRecord *h, GError **error)
{
    g_autofree char *text = vh_journal_record_to_text(h);
    g_autofree char *tmp = NULL;
    gsize len = strlen(text), off = 0;
    int fd;

    tmp = g_strdup_printf(TEMP_PREFIX "%s-%08x", h->address, g_random_int());
    fd = openat(d->devices, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        vh_error_set_errno(error, errno, "create its journal record", h->address);
        return FALSE;
    }
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (gsize)n;
    }
    if (off < len || fsync(fd) != 0 || close(fd) != 0 ||
        renameat(d->devices, tmp, d->devices, h->address) != 0) {
        vh_error_set_errno(error, errno, "write its journal record", h->address);
        if (off < len)
            close(fd);
        unlinkat(d->devices, tmp, 0);
        return FALSE;
    }
    return TRUE;
}

gboolean
vh_journal_put(const VhHost *host, const VhJournalRecord *h, GError **error)
{
    char name[VH_JOURNAL_INDEX_NAME_MAX];
    gboolean ok;
    Dirs d;

    if (!vh_pci_address_is_valid(h->address)) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "%s: not a PCI address, so it cannot be journaled (fix: give a PCI address "
                    "like 0000:01:00.0)",
                    h->address);
        return FALSE;
    }
    if (vh_owner_has_domain(h->owner) && !vh_journal_index_dir(h->domain, name)) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "%s: this domain name cannot be journaled (fix: rename the domain with "
                    "'virsh domrename', to a shorter name)",
                    h->domain);
        return FALSE;
    }
    if (!vh_journal_dirs_open(host, TRUE, &d, error))
        return FALSE;
    ok = (!vh_owner_has_domain(h->owner) || index_mark(&d, h, name, error)) &&
         write_record(&d, h, error);
    if (ok)
        unindex(&d, h->address, vh_owner_has_domain(h->owner) ? name : NULL);
    vh_journal_dirs_close(&d);
    return ok;
}

/* the record named @name in the devices directory; NULL with @error unset when absent */
static VhJournalRecord *
read_record(int devices, const char *name, GError **error)
{
    g_autofree char *text = NULL;
    struct stat st;
    ssize_t n;
    int fd = openat(devices, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

    if (fd < 0) {
        if (errno != ENOENT)
            g_set_error(error, VH_ERROR, VH_ERROR_IO, "cannot be opened: %s%s", g_strerror(errno),
                        errno == ELOOP ? " (a symbolic link)" : "");
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > RECORD_MAX) {
        g_set_error(error, VH_ERROR, VH_ERROR_IO, "not a regular file of at most %d bytes",
                    RECORD_MAX);
        close(fd);
        return NULL;
    }
    text = g_malloc((gsize)st.st_size + 1);
    n = read(fd, text, (gsize)st.st_size);
    close(fd);
    if (n != st.st_size) {
        g_set_error(error, VH_ERROR, VH_ERROR_IO, "cannot be read whole");
        return NULL;
    }
    text[n] = '\0';
    return vh_journal_record_parse(name, text, (gsize)n, error);
}

VhJournalRecord *
vh_journal_get(const VhHost *host, const char *address, GError **error)
{
    VhJournalRecord *h = NULL;
    Dirs d;

    if (!vh_pci_address_is_valid(address))
        return NULL;
    if (!vh_journal_dirs_open(host, FALSE, &d, error))
        return NULL;
    h = read_record(d.devices, address, error);
    vh_journal_dirs_close(&d);
    return h;
}

gboolean
vh_journal_remove(const VhHost *host, const char *address, GError **error)
{
    g_autofree char *path = g_build_filename(host->run_dir, DEVICES_DIR, address, NULL);
    gboolean ok = TRUE;
    Dirs d;

    if (!vh_pci_address_is_valid(address))
        return TRUE; /* never a record */
    if (!vh_journal_dirs_open(host, FALSE, &d, error))
        return error == NULL || *error == NULL;
    if (unlinkat(d.devices, address, 0) != 0 && errno != ENOENT) {
        vh_error_set_errno(error, errno, "remove it", path);
        ok = FALSE;
    }
    if (ok)
        unindex(&d, address, NULL);
    vh_journal_dirs_close(&d);
    return ok;
}

static int
compare_records(gconstpointer a, gconstpointer b)
{
    const VhJournalRecord *x = *(VhJournalRecord *const *)a, *y = *(VhJournalRecord *const *)b;

    if (x->since != y->since)
        return x->since < y->since ? -1 : 1;
    return strcmp(x->address, y->address);
}

static void
add_unreadable(GPtrArray *unreadable, const char *name, const char *reason)
{
    VhJournalUnreadable *u = g_new0(VhJournalUnreadable, 1);

    if (unreadable == NULL) {
        g_free(u);
        return;
    }
    u->name = g_strdup(name);
    u->reason = g_strdup(reason);
    g_ptr_array_add(unreadable, u);
}

GPtrArray *
vh_journal_list(const VhHost *host, GPtrArray *unreadable)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)vh_journal_record_free);
    g_autoptr(GPtrArray) names = NULL;
    g_autoptr(GError) error = NULL;
    Dirs d;

    if (!vh_journal_dirs_open(host, FALSE, &d, &error)) {
        if (error != NULL)
            add_unreadable(unreadable, host->run_dir, error->message);
        return out;
    }
    names = vh_journal_list_dir(d.devices);
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        g_autoptr(GError) local = NULL;
        VhJournalRecord *h;

        if (vh_journal_is_temporary(name))
            continue; /* a killed writer's temporary, removed at the next lock */
        if (!vh_pci_address_is_valid(name)) {
            add_unreadable(unreadable, name,
                           "not a journal record (its name is not a PCI address)");
            continue;
        }
        if ((h = read_record(d.devices, name, &local)) != NULL)
            g_ptr_array_add(out, h);
        else if (local != NULL)
            add_unreadable(unreadable, name, local->message);
    }
    vh_journal_dirs_close(&d);
    g_ptr_array_sort(out, compare_records);
    return out;
}

GPtrArray *
vh_journal_for_domain(const VhHost *host, const char *domain)
{
    GPtrArray *all = vh_journal_list(host, NULL);

    for (guint i = all->len; i > 0; i--) {
        VhJournalRecord *h = g_ptr_array_index(all, i - 1);

        if (!vh_owner_has_domain(h->owner) || g_strcmp0(h->domain, domain) != 0)
            g_ptr_array_remove_index(all, i - 1);
    }
    return all;
}

/* Whether the starting mark in index directory @fd is young enough to count. */
static gboolean
starting_mark_fresh(int fd)
{
    struct stat st;

    return fstatat(fd, STARTING_MARK, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
           g_get_real_time() / G_USEC_PER_SEC - st.st_mtime < VH_JOURNAL_STARTING_MAX_S;
}

/* Removes the index marks no record backs (a starting mark once it is stale), and index
 * directories left empty (a kill between a record's removal and its mark's, or mid-takeover).
 * Under the lock. */
static void
prune_index(const Dirs *d)
{
    g_autoptr(GPtrArray) domains = vh_journal_list_dir(d->domains);

    for (guint i = 0; i < domains->len; i++) {
        const char *name = g_ptr_array_index(domains, i);
        int fd = vh_journal_open_index(d, name);
        g_autoptr(GPtrArray) marks = fd >= 0 ? vh_journal_list_dir(fd) : NULL;

        for (guint j = 0; marks != NULL && j < marks->len; j++) {
            const char *address = g_ptr_array_index(marks, j);
            g_autoptr(VhJournalRecord) h = read_record(d->devices, address, NULL);
            char own[VH_JOURNAL_INDEX_NAME_MAX];

            if (strcmp(address, STARTING_MARK) == 0 && starting_mark_fresh(fd))
                continue;
            if (h == NULL || !vh_owner_has_domain(h->owner) ||
                !vh_journal_index_dir(h->domain, own) || strcmp(own, name) != 0)
                unlinkat(fd, address, 0);
        }
        if (fd >= 0)
            close(fd);
        unlinkat(d->domains, name, AT_REMOVEDIR);
    }
}

gboolean
vh_journal_mark_starting(const VhHost *host, const char *domain, const GPtrArray *addresses,
                         GError **error)
{
    g_autoptr(GString) text = g_string_new(NULL);
    g_autofree char *tmp = g_strdup_printf(TEMP_PREFIX STARTING_MARK "-%08x", g_random_int());
    char name[VH_JOURNAL_INDEX_NAME_MAX];
    Dirs d;
    int dfd, fd;
    gboolean ok;

    if (addresses->len == 0 || !vh_journal_index_dir(domain, name))
        return TRUE; /* nothing to protect, or a name no index can hold */
    if (!vh_journal_dirs_open(host, TRUE, &d, error))
        return FALSE;
    g_string_append_printf(text, "domain=%s\n", domain);
    for (guint i = 0; i < addresses->len; i++)
        g_string_append_printf(text, "device=%s\n",
                               (const char *)g_ptr_array_index((GPtrArray *)addresses, i));
    if (mkdirat(d.domains, name, 0700) != 0 && errno != EEXIST) {
        vh_error_set_errno(error, errno, "create its starting mark", domain);
        vh_journal_dirs_close(&d);
        return FALSE;
    }
    dfd = vh_journal_open_index(&d, name);
    fd = dfd >= 0 ? openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)
                  : -1;
    ok = fd >= 0 && write(fd, text->str, text->len) == (ssize_t)text->len &&
         renameat(dfd, tmp, dfd, STARTING_MARK) == 0;
    if (!ok) {
        vh_error_set_errno(error, errno, "write its starting mark", domain);
        if (dfd >= 0)
            unlinkat(dfd, tmp, 0);
    }
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    vh_journal_dirs_close(&d);
    return ok;
}

void
vh_journal_unmark_starting(const VhHost *host, const char *domain)
{
    char name[VH_JOURNAL_INDEX_NAME_MAX];
    Dirs d;
    int dfd;

    if (!vh_journal_index_dir(domain, name) || !vh_journal_dirs_open(host, FALSE, &d, NULL))
        return;
    if (d.domains >= 0 && (dfd = vh_journal_open_index(&d, name)) >= 0) {
        unlinkat(dfd, STARTING_MARK, 0);
        close(dfd);
        unlinkat(d.domains, name, AT_REMOVEDIR); /* fails while it indexes records: fine */
    }
    vh_journal_dirs_close(&d);
}

/* The domain a fresh starting mark in index directory @fd names, when it names @address. */
static char *
starting_mark_of(int fd, const char *address)
{
    char buf[RECORD_MAX + 1];
    g_auto(GStrv) lines = NULL;
    g_autofree char *device = g_strconcat("device=", address, NULL);
    int mfd;
    ssize_t n;

    if (!starting_mark_fresh(fd) ||
        (mfd = openat(fd, STARTING_MARK, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return NULL;
    n = read(mfd, buf, RECORD_MAX);
    close(mfd);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    lines = g_strsplit(buf, "\n", -1);
    if (!g_str_has_prefix(lines[0], "domain=") ||
        !g_strv_contains((const char *const *)lines, device))
        return NULL;
    return g_strdup(lines[0] + strlen("domain="));
}

char *
vh_journal_starting_user(const VhHost *host, const char *address, const char *exclude)
{
    g_autoptr(GPtrArray) names = NULL;
    Dirs d;

    if (!vh_journal_dirs_open(host, FALSE, &d, NULL))
        return NULL;
    names = d.domains >= 0 ? vh_journal_list_dir(d.domains) : g_ptr_array_new();
    for (guint i = 0; i < names->len; i++) {
        int fd = vh_journal_open_index(&d, g_ptr_array_index(names, i));
        g_autofree char *domain = fd >= 0 ? starting_mark_of(fd, address) : NULL;

        if (fd >= 0)
            close(fd);
        if (domain != NULL && g_strcmp0(domain, exclude) != 0) {
            vh_journal_dirs_close(&d);
            return g_steal_pointer(&domain);
        }
    }
    vh_journal_dirs_close(&d);
    return NULL;
}
