/* vfio-handoff: reading small kernel files */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vh-error.h"
#include "vh-sysfs.h"

/* One read loop for both sizes; sysfs returns the attribute in one read, /proc in several. */
static char *
read_file(int dirfd, const char *path, gsize max, GError **error)
{
    g_autofree char *buf = NULL;
    gsize len = 0, cap = MIN(max, (gsize)4096);
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0) {
        vh_error_set_errno(error, errno, "open it", path);
        return NULL;
    }
    buf = g_malloc(cap + 1);
    for (;;) {
        ssize_t n;

        if (len == cap) {
            if (cap >= max) {
                close(fd);
                g_set_error(error, VH_ERROR, VH_ERROR_IO,
                            "%s: larger than %" G_GSIZE_FORMAT " bytes (fix: check that it is the "
                            "file the kernel makes)",
                            path, max);
                return NULL;
            }
            cap = MIN(cap * 2, max);
            buf = g_realloc(buf, cap + 1);
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0) {
            int errsv = errno;

            if (errsv == EINTR)
                continue;
            close(fd);
            vh_error_set_errno(error, errsv, "read it", path);
            return NULL;
        }
        if (n == 0)
            break;
        len += (gsize)n;
        /* a sysfs attribute comes whole in its first read (one page at most) */
        if (max <= 4096 && len < cap)
            break;
    }
    close(fd);
    buf[len] = '\0';
    return g_steal_pointer(&buf);
}

char *
vh_sysfs_read_at(int dirfd, const char *path, GError **error)
{
    char *s = read_file(dirfd, path, 4096, error);
    gsize len;

    if (s == NULL)
        return NULL;
    len = strlen(s);
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
        s[--len] = '\0';
    return s;
}

char *
vh_sysfs_read(const char *path, GError **error)
{
    return vh_sysfs_read_at(AT_FDCWD, path, error);
}

char *
vh_sysfs_read_big(const char *path, gsize max, GError **error)
{
    return read_file(AT_FDCWD, path, max, error);
}

gboolean
vh_sysfs_read_int(const char *path, gint64 *out, GError **error)
{
    return vh_sysfs_read_int_at(AT_FDCWD, path, out, error);
}

gboolean
vh_sysfs_read_int_at(int dirfd, const char *path, gint64 *out, GError **error)
{
    g_autofree char *s = vh_sysfs_read_at(dirfd, path, error);
    char *end = NULL;
    gint64 v;

    if (s == NULL)
        return FALSE;
    errno = 0;
    v = g_ascii_strtoll(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0') {
        g_set_error(error, VH_ERROR, VH_ERROR_IO,
                    "%s: holds '%s', not a number (fix: check that it is the file the kernel "
                    "makes)",
                    path, s);
        return FALSE;
    }
    *out = v;
    return TRUE;
}

char *
vh_sysfs_read_link(const char *path, GError **error)
{
    return vh_sysfs_read_link_at(AT_FDCWD, path, error);
}

char *
vh_sysfs_read_link_at(int dirfd, const char *path, GError **error)
{
    char buf[4096];
    ssize_t n = readlinkat(dirfd, path, buf, sizeof(buf) - 1);

    if (n < 0) {
        vh_error_set_errno(error, errno, "read the link", path);
        return NULL;
    }
    buf[n] = '\0';
    return g_strdup(buf);
}

char *
vh_sysfs_read_link_name(const char *path, GError **error)
{
    return vh_sysfs_read_link_name_at(AT_FDCWD, path, error);
}

char *
vh_sysfs_read_link_name_at(int dirfd, const char *path, GError **error)
{
    g_autofree char *target = vh_sysfs_read_link_at(dirfd, path, error);

    if (target == NULL)
        return NULL;
    return g_path_get_basename(target);
}

gboolean
vh_sysfs_exists(const char *path)
{
    return vh_sysfs_exists_at(AT_FDCWD, path);
}

gboolean
vh_sysfs_exists_at(int dirfd, const char *path)
{
    struct stat st;

    return fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}
