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
read_file(const char *path, gsize max, GError **error)
{
    g_autofree char *buf = NULL;
    gsize len = 0, cap = MIN(max, (gsize)4096);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0) {
        vh_error_set_errno(error, errno, "open", path);
        return NULL;
    }
    buf = g_malloc(cap + 1);
    for (;;) {
        ssize_t n;

        if (len == cap) {
            if (cap >= max) {
                close(fd);
                g_set_error(error, VH_ERROR, VH_ERROR_IO, "'%s' is larger than %" G_GSIZE_FORMAT
                            " bytes", path, max);
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
            vh_error_set_errno(error, errsv, "read", path);
            return NULL;
        }
        if (n == 0)
            break;
        len += (gsize)n;
    }
    close(fd);
    buf[len] = '\0';
    return g_steal_pointer(&buf);
}

char *
vh_sysfs_read(const char *path, GError **error)
{
    char *s = read_file(path, 4096, error);
    gsize len;

    if (s == NULL)
        return NULL;
    len = strlen(s);
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
        s[--len] = '\0';
    return s;
}

char *
vh_sysfs_read_big(const char *path, gsize max, GError **error)
{
    return read_file(path, max, error);
}

gboolean
vh_sysfs_read_int(const char *path, gint64 *out, GError **error)
{
    g_autofree char *s = vh_sysfs_read(path, error);
    char *end = NULL;
    gint64 v;

    if (s == NULL)
        return FALSE;
    errno = 0;
    v = g_ascii_strtoll(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0') {
        g_set_error(error, VH_ERROR, VH_ERROR_IO, "'%s' holds '%s', not a number", path, s);
        return FALSE;
    }
    *out = v;
    return TRUE;
}

char *
vh_sysfs_read_link(const char *path, GError **error)
{
    char buf[4096];
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);

    if (n < 0) {
        vh_error_set_errno(error, errno, "read link", path);
        return NULL;
    }
    buf[n] = '\0';
    return g_strdup(buf);
}

char *
vh_sysfs_read_link_name(const char *path, GError **error)
{
    g_autofree char *target = vh_sysfs_read_link(path, error);

    if (target == NULL)
        return NULL;
    return g_path_get_basename(target);
}

gboolean
vh_sysfs_exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}
