/* vfio-handoff policy: opening and reading the administrator's files only when they can be
 * trusted (vh-policy-files.h). Each error is a reason with its fix, which the loader turns into
 * a policy issue, "FILE: ignored: REASON (fix: FIX)". */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vh-error.h"
#include "vh-policy-files.h"

/* Why a policy file or directory (fstat of what was opened) is not to be trusted, or NULL: it
 * must be owned by @owner (root) and writable by it alone. */
static char *
distrust(const struct stat *st, const char *path, guint owner)
{
    if (st->st_uid != owner) {
        if (owner == 0)
            return g_strdup_printf("owned by uid %u, not root (fix: run 'chown root %s')",
                                   (guint)st->st_uid, path);
        return g_strdup_printf("owned by uid %u, not uid %u (fix: run 'chown %u %s')",
                               (guint)st->st_uid, owner, owner, path);
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH))
        return g_strdup_printf("writable by group or others (fix: run 'chmod go-w %s')", path);
    return NULL;
}

int
vh_policy_file_open(int dirfd, const char *name, const char *path, guint owner, char **untrusted,
                    GError **error)
{
    struct stat st;
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

    *untrusted = NULL;
    if (fd < 0) {
        int errsv = errno;

        g_set_error(error, VH_ERROR, VH_ERROR_IO, "cannot read it, %s (fix: %s)", g_strerror(errsv),
                    errsv == ELOOP ? "make it a regular file, not a symbolic link"
                                   : vh_error_errno_fix(errsv));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        g_set_error_literal(error, VH_ERROR, VH_ERROR_IO, "not a regular file");
        close(fd);
        return -1;
    }
    *untrusted = distrust(&st, path, owner);
    return fd;
}

char *
vh_policy_file_read(int fd, GError **error)
{
    GString *s = g_string_new(NULL);
    char buf[8192];
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || s->len + (gsize)n > VH_POLICY_FILE_MAX) {
            if (n < 0)
                g_set_error(error, VH_ERROR, VH_ERROR_IO, "cannot read it: %s", g_strerror(errno));
            else
                g_set_error_literal(error, VH_ERROR, VH_ERROR_IO, "larger than 1 MiB");
            g_string_free(s, TRUE);
            return NULL;
        }
        g_string_append_len(s, buf, n);
    }
    return g_string_free(s, FALSE);
}

int
vh_policy_dir_open(const char *path, guint owner, GError **error)
{
    g_autofree char *why = NULL;
    struct stat st;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0) {
        int errsv = errno;

        if (errsv != ENOENT)
            g_set_error(error, VH_ERROR, VH_ERROR_IO, "%s%s", g_strerror(errsv),
                        errsv == ELOOP || errsv == ENOTDIR
                            ? " (fix: make it a directory, not a symbolic link)"
                            : "");
        return -1;
    }
    if (fstat(fd, &st) != 0 || (why = distrust(&st, path, owner)) != NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_IO, "%s", why != NULL ? why : g_strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}
