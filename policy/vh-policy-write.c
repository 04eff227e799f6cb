/* vfio-handoff policy: drop-ins */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "vh-error.h"
#include "vh-policy-write.h"

char *
vh_policy_dropin_path(const VhHost *host, const char *address)
{
    g_autofree char *name = g_strdup_printf("50-%s.conf", address);

    return g_build_filename(host->config_dir, VH_POLICY_DROPIN_DIR, name, NULL);
}

char *
vh_policy_dropin_text(const VhDropin *d)
{
    GString *s = g_string_new(NULL);
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *date = g_date_time_format(now, "%Y-%m-%d");
    g_autofree char *identity = NULL;
    int vf_index;

    g_string_append_printf(s, "# Written by `vfio-handoff enable` on %s: %s\n", date, d->why);
    g_string_append_printf(s, "# Undo with: vfio-handoff disable %s\n", d->device->name);
    g_string_append_printf(s, "[device %s]\nenabled=true\n", d->device->name);
    if (d->domains != NULL && d->domains[0] != NULL) {
        g_autofree char *list = g_strjoinv(";", d->domains);

        g_string_append_printf(s, "domains=%s\n", list);
    }
    /* the identity at enable time: the hook refuses if the address later holds other hardware */
    identity = vh_pci_device_identity(d->device);
    g_string_append_printf(s, "identity=%s\n", identity);
    vf_index = d->pf != NULL ? vh_pci_device_vf_index(d->pf, d->device->name) : -1;
    if (vf_index >= 0) {
        g_autofree char *pf = vh_pci_device_identity(d->pf);

        /* its VFs share one identity, and a VF's address moves when their count changes */
        g_string_append_printf(s, "vf-of=%s\nvf-index=%d\npf-identity=%s\n", d->pf->name, vf_index,
                               pf);
    }
    if (d->console_handoff)
        g_string_append(s, "# the host's console is released from it at start, restored at stop\n"
                           "console-handoff=true\n");
    if (d->vfio_driver != NULL)
        g_string_append_printf(s,
                               "# handed to this VFIO driver, not the one libvirt would pick\n"
                               "vfio-driver=%s\n",
                               d->vfio_driver);
    return g_string_free(s, FALSE);
}

static gboolean
fsync_dir(const char *dir, GError **error)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || fsync(fd) != 0) {
        int errsv = errno;

        if (fd >= 0)
            close(fd);
        vh_error_set_errno(error, errsv, "sync it", dir);
        return FALSE;
    }
    close(fd);
    return TRUE;
}

gboolean
vh_policy_write_atomic(const char *path, const char *text, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *tmp = NULL;
    gsize len = strlen(text), done = 0;
    int fd;

    if (g_mkdir_with_parents(dir, 0755) != 0) {
        vh_error_set_errno(error, errno, "create it", dir);
        return FALSE;
    }
    tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, strrchr(path, '/') + 1);
    fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) {
        vh_error_set_errno(error, errno, "create a file in it", dir);
        return FALSE;
    }
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int errsv = errno;

            close(fd);
            g_unlink(tmp);
            vh_error_set_errno(error, errsv, "write it", tmp);
            return FALSE;
        }
        done += (gsize)n;
    }
    /* mkstemp honours the umask; the file must not be writable by others to be trusted */
    if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
        int errsv = errno;

        close(fd);
        g_unlink(tmp);
        vh_error_set_errno(error, errsv, "sync it", tmp);
        return FALSE;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        int errsv = errno;

        g_unlink(tmp);
        vh_error_set_errno(error, errsv, "rename over it", path);
        return FALSE;
    }
    return fsync_dir(dir, error);
}
