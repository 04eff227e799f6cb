/* vfio-handoff: the device nodes host processes hold open, known by what the open file is */
#include "config.h"

#include <string.h>

#include "vh-open-files.h"
#include "vh-sysfs.h"
#include "vh-units.h"

gboolean
vh_open_files_same_node(const struct stat *st, const struct stat *node_st)
{
    if ((st->st_mode & S_IFMT) != (node_st->st_mode & S_IFMT))
        return FALSE;
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
        return st->st_rdev == node_st->st_rdev;
    return st->st_dev == node_st->st_dev && st->st_ino == node_st->st_ino;
}

/* @text below /dev, or below the fake host's dev directory: the part after it, else NULL */
static const char *
dev_relative(const VhHost *host, const char *text)
{
    gsize n = strlen(host->dev);

    if (strncmp(text, host->dev, n) == 0 && text[n] == '/')
        return text + n + 1;
    if (g_str_has_prefix(text, "/dev/"))
        return text + strlen("/dev/");
    return NULL;
}

char *
vh_open_files_node_name(const VhHost *host, const VhOpenFile *file)
{
    const char *rel = dev_relative(host, file->text);
    g_autofree char *path = NULL;
    struct stat node_st;

    if (rel == NULL || *rel == '\0' || strstr(rel, "..") != NULL)
        return NULL;
    path = vh_host_dev_path(host, rel);
    if (stat(path, &node_st) != 0 || !vh_open_files_same_node(&file->st, &node_st))
        return NULL;
    return g_strconcat("/dev/", rel, NULL);
}

char *
vh_open_files_comm(const VhHost *host, const char *pid_text)
{
    g_autofree char *path = g_build_filename(host->proc, pid_text, "comm", NULL);
    char *comm = vh_sysfs_read(path, NULL);

    return comm != NULL ? comm : g_strdup("?");
}

gboolean
vh_open_files_walk(const VhHost *host, VhOpenFileFunc fn, gpointer data)
{
    g_autoptr(GDir) proc = g_dir_open(host->proc, 0, NULL);
    gboolean complete = TRUE;
    const char *pid;

    if (proc == NULL)
        return FALSE;
    while ((pid = g_dir_read_name(proc)) != NULL) {
        g_autofree char *fd_path = NULL;
        g_autoptr(GDir) fds = NULL;
        g_autoptr(GError) error = NULL;
        const char *fd;

        if (!g_ascii_isdigit(pid[0]))
            continue;
        fd_path = g_build_filename(host->proc, pid, "fd", NULL);
        fds = g_dir_open(fd_path, 0, &error);
        if (fds == NULL) {
            if (g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_ACCES))
                complete = FALSE;
            continue;
        }
        while ((fd = g_dir_read_name(fds)) != NULL) {
            g_autofree char *link = g_build_filename(fd_path, fd, NULL);
            g_autofree char *text = vh_sysfs_read_link(link, NULL);
            VhOpenFile file = {.pid = vh_parse_kernel_number(pid), .pid_text = pid, .text = text};

            /* stat() through the link: the file the process has open, whatever it is named */
            if (text == NULL || stat(link, &file.st) != 0)
                continue;
            if (!S_ISCHR(file.st.st_mode) && !S_ISBLK(file.st.st_mode) &&
                dev_relative(host, text) == NULL)
                continue;
            if (!fn(&file, data))
                return complete;
        }
    }
    return complete;
}
