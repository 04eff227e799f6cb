/* vfio-handoff: the journal's directories (vh-journal-private.h): opened and checked (not a
 * symbolic link, not writable by group or others, owned by the journal's owner), listed, and
 * cleared of a killed writer's temporaries. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vh-error.h"
#include "vh-journal-index.h"
#include "vh-journal-private.h"
#include "vh-pci-address.h"

void
vh_journal_dirs_close(Dirs *d)
{
    if (d->run >= 0)
        close(d->run);
    if (d->devices >= 0)
        close(d->devices);
    if (d->domains >= 0)
        close(d->domains);
    d->run = d->devices = d->domains = -1;
}

/* @fd (a directory just opened as @path) is safe to keep records in */
static gboolean
check_dir(int fd, const char *path, guint owner, GError **error)
{
    struct stat st;

    if (fstat(fd, &st) != 0) {
        vh_error_set_errno(error, errno, "inspect it", path);
        return FALSE;
    }
    if (st.st_uid != owner && st.st_uid != 0) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: owned by uid %u, not by uid %u (fix: remove it; vfio-handoff creates "
                    "it itself)",
                    path, (guint)st.st_uid, owner);
        return FALSE;
    }
    if ((st.st_mode & 022) != 0) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: writable by group or others (mode %04o) (fix: run 'chmod 0700 %s')", path,
                    (guint)(st.st_mode & 07777), path);
        return FALSE;
    }
    return TRUE;
}

/* Opens (creating it when @create) the directory @name below @parent, never through a link. */
static int
open_dir(int parent, const char *name, const char *path, gboolean create, guint owner,
         GError **error)
{
    int fd;

    if (create && mkdirat(parent, name, 0700) != 0 && errno != EEXIST) {
        vh_error_set_errno(error, errno, "create it", path);
        return -1;
    }
    fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR)
            g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                        "%s: is a symbolic link or a file, not a directory (fix: remove it; "
                        "vfio-handoff creates it itself)",
                        path);
        else
            vh_error_set_errno(error, errno, "open it", path);
        return -1;
    }
    if (!check_dir(fd, path, owner, error)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Opens the run directory and both of its directories. Without @create, a journal that does
 * not exist yet is empty: FALSE with @error unset. */
gboolean
vh_journal_dirs_open(const VhHost *host, gboolean create, Dirs *d, GError **error)
{
    g_autofree char *parent = g_path_get_dirname(host->run_dir);
    g_autofree char *base = g_path_get_basename(host->run_dir);
    g_autofree char *devices = g_build_filename(host->run_dir, DEVICES_DIR, NULL);
    g_autofree char *domains = g_build_filename(host->run_dir, VH_JOURNAL_DOMAINS_DIR, NULL);
    g_autoptr(GError) local = NULL;
    int pfd;

    *d = (Dirs){-1, -1, -1};
    if (create && g_mkdir_with_parents(parent, 0755) != 0) {
        vh_error_set_errno(error, errno, "create it", parent);
        return FALSE;
    }
    if ((pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        if (create || errno != ENOENT)
            vh_error_set_errno(error, errno, "open it", parent);
        return FALSE;
    }
    d->run = open_dir(pfd, base, host->run_dir, create, host->config_owner, &local);
    close(pfd);
    if (d->run >= 0)
        d->devices = open_dir(d->run, DEVICES_DIR, devices, create, host->config_owner, &local);
    if (d->devices >= 0)
        d->domains =
            open_dir(d->run, VH_JOURNAL_DOMAINS_DIR, domains, create, host->config_owner, &local);
    if (d->domains >= 0)
        return TRUE;
    /* reading: records without an index are still records */
    if (!create && d->devices >= 0 && g_error_matches(local, VH_ERROR, VH_ERROR_NOT_FOUND))
        return TRUE;
    vh_journal_dirs_close(d);
    if (!create && g_error_matches(local, VH_ERROR, VH_ERROR_NOT_FOUND))
        return FALSE; /* nothing journaled yet */
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
}

/* A temporary of a writer killed before its rename: ours (.tmp-ADDRESS-XXXXXXXX), or one of
 * g_file_set_contents(), which earlier versions wrote with (ADDRESS.XXXXXX). */
gboolean
vh_journal_is_temporary(const char *name)
{
    char address[VH_PCI_ADDRESS_BUFSIZE];
    gsize n = strlen(name);

    if (g_str_has_prefix(name, TEMP_PREFIX))
        return TRUE;
    if (n != 12 + 7 || name[12] != '.')
        return FALSE;
    memcpy(address, name, 12);
    address[12] = '\0';
    return vh_pci_address_is_valid(address);
}

/* The names in a directory fd (without . and ..). */
GPtrArray *
vh_journal_list_dir(int dirfd)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;

    while (dir != NULL && (e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            g_ptr_array_add(names, g_strdup(e->d_name));
    }
    if (dir != NULL)
        closedir(dir);
    else if (fd >= 0)
        close(fd);
    return names;
}

/* One domain's index directory (RUN/domains/NAME), never through a link; -1 when absent. */
int
vh_journal_open_index(const Dirs *d, const char *name)
{
    return openat(d->domains, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* A killed writer's temporary: never a record, removed under the lock. */
void
vh_journal_remove_temporaries(int devices)
{
    g_autoptr(GPtrArray) names = vh_journal_list_dir(devices);

    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);

        if (vh_journal_is_temporary(name))
            unlinkat(devices, name, 0);
    }
}

/* the index's directory name of @domain (vh-journal-index.h, which the hook's front shares) */
gboolean
vh_journal_index_dir(const char *domain, char out[VH_JOURNAL_INDEX_NAME_MAX])
{
    return vh_journal_index_name(domain, out, VH_JOURNAL_INDEX_NAME_MAX) == 0;
}
