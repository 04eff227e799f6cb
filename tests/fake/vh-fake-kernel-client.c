/* Test bed: starting and stopping the fake kernel from a test */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vh-fake-kernel.h"

struct VhFakeKernel {
    GPid pid;
    char *root;
};

VhFakeKernel *
vh_fake_kernel_start(const char *root, GError **error)
{
    const char *tool = g_getenv("VH_FAKE_TOOL") ? g_getenv("VH_FAKE_TOOL") : VH_FAKE_TOOL;
    g_autofree char *ready = g_build_filename(root, ".fake", "kernel.ready", NULL);
    const char *argv[] = {tool, "kernel", root, NULL};
    VhFakeKernel *k;
    GPid pid;

    if (access("/dev/fuse", R_OK | W_OK) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "/dev/fuse is not usable here: the fake kernel cannot run");
        return NULL;
    }
    if (!g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                       error))
        return NULL;
    /* mounting takes milliseconds; allow a loaded CI machine 10 s */
    for (int i = 0; i < 1000; i++) {
        int status;

        if (g_file_test(ready, G_FILE_TEST_EXISTS)) {
            k = g_new0(VhFakeKernel, 1);
            k->pid = pid;
            k->root = g_strdup(root);
            return k;
        }
        if (waitpid(pid, &status, WNOHANG) == pid) {
            if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                            "no fake kernel: vh-fake was built without FUSE, or cannot mount it "
                            "here (install libfuse3-dev and reconfigure)");
            else
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                            "the fake kernel exited before mounting (status %d)", status);
            return NULL;
        }
        g_usleep(10 * 1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "the fake kernel did not mount in 10 s");
    return NULL;
}

VhFakeKernel *
vh_fake_kernel_start_or_skip(const char *root)
{
    g_autoptr(GError) error = NULL;
    VhFakeKernel *k = vh_fake_kernel_start(root, &error);

    if (k == NULL && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED)) {
        g_test_skip(error->message);
        return NULL;
    }
    g_assert_no_error(error);
    return k;
}

static GStrv
log_lines(const char *root)
{
    g_autofree char *path = g_build_filename(root, ".fake", "log", NULL);
    g_autofree char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return g_new0(char *, 1);
    g_strchomp(text);
    return text[0] != '\0' ? g_strsplit(text, "\n", -1) : g_new0(char *, 1);
}

char *
vh_fake_kernel_log(const char *root, guint from_line)
{
    g_auto(GStrv) lines = log_lines(root);

    if (from_line >= g_strv_length(lines))
        return g_strdup("");
    return g_strjoinv("|", lines + from_line);
}

guint
vh_fake_kernel_log_lines(const char *root)
{
    g_auto(GStrv) lines = log_lines(root);

    return g_strv_length(lines);
}

void
vh_fake_kernel_stop(VhFakeKernel *k)
{
    g_autofree char *faults = NULL;

    if (k == NULL)
        return;
    /* release any hung write first, so the unmount is not busy */
    faults = g_build_filename(k->root, ".fake", "faults", NULL);
    unlink(faults);
    kill(k->pid, SIGTERM);
    while (waitpid(k->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    g_free(k->root);
    g_free(k);
}

void
vh_fake_kernel_set_fault(const char *root, const char *kind, const char *step, const char *bdf,
                         gboolean on)
{
    g_autofree char *path = g_build_filename(root, ".fake", "faults", NULL);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) old = NULL;
    g_autofree char *text = NULL;

    g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL);
    old = g_key_file_get_string_list(kf, kind, step, NULL, NULL);
    for (guint i = 0; old != NULL && old[i] != NULL; i++) {
        if (g_strcmp0(old[i], bdf) != 0)
            g_ptr_array_add(list, g_strdup(old[i]));
    }
    if (on)
        g_ptr_array_add(list, g_strdup(bdf));
    g_key_file_set_string_list(kf, kind, step, (const char *const *)list->pdata, list->len);
    text = g_key_file_to_data(kf, NULL, NULL);
    /* written whole and renamed, so the kernel never reads half a file */
    g_file_set_contents(path, text, -1, NULL);
}

int
vh_fake_kernel_write(const char *sysroot, const char *rel, const void *data, gsize len)
{
    g_autofree char *path = g_build_filename(sysroot, rel, NULL);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    int errsv = 0;

    if (fd < 0)
        return errno;
    if (write(fd, data, len) < 0)
        errsv = errno;
    close(fd);
    return errsv;
}
