/* vfio-handoff: the sysfs writer. What each write does: Documentation/ABI/testing/
 * sysfs-bus-pci and ../shared/notes/sysfs-abi.md (measured on a real kernel). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dlfcn.h>
#include <libkmod.h>

#include "vh-bind.h"
#include "vh-error.h"
#include "vh-sysfs.h"

/* the write runs in a child; its errno comes back through a pipe */
gboolean
vh_bind_write(const VhHost *host, const char *path, const char *value, const VhBindOptions *opts,
              GError **error)
{
    gsize len = strlen(value);
    int pipefd[2], status, child_errno = 0;
    struct pollfd pfd;
    pid_t pid;
    ssize_t n;

    /* only kernel files below this host's sysfs, and never a path that climbs out of it */
    if (!g_str_has_prefix(path, host->sysfs) || path[strlen(host->sysfs)] != '/' ||
        strstr(path, "/../") != NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "refusing to write '%s': not below '%s'", path, host->sysfs);
        return FALSE;
    }
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        vh_error_set_errno(error, errno, "create a pipe for", path);
        return FALSE;
    }
    pid = fork();
    if (pid < 0) {
        int errsv = errno;

        close(pipefd[0]);
        close(pipefd[1]);
        vh_error_set_errno(error, errsv, "fork to write", path);
        return FALSE;
    }
    if (pid == 0) {
        /* the child: async-signal-safe calls only (the parent may have threads) */
        int fd, e = 0;

        close(pipefd[0]);
        if (opts->close_fd >= 0)
            close(opts->close_fd); /* a child left behind must not keep the journal lock */
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            e = errno;
        else if (write(fd, value, len) < 0)
            e = errno;
        if (fd >= 0 && close(fd) != 0 && e == 0)
            e = errno;
        if (write(pipefd[1], &e, sizeof(e)) != sizeof(e))
            _exit(1);
        _exit(0);
    }
    close(pipefd[1]);
    pfd.fd = pipefd[0];
    pfd.events = POLLIN;
    do {
        n = poll(&pfd, 1, (int)opts->timeout_ms);
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
        g_autofree char *v = g_strchomp(g_strdup(value));

        /* hung in the kernel: leave the child, report, go on */
        close(pipefd[0]);
        g_set_error(error, VH_ERROR, VH_ERROR_TIMED_OUT,
                    "writing '%s' to %s did not finish in %u ms (the kernel is stuck on it)", v,
                    path, opts->timeout_ms);
        return FALSE;
    }
    n = read(pipefd[0], &child_errno, sizeof(child_errno));
    close(pipefd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (n != sizeof(child_errno)) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED, "the writer of %s died", path);
        return FALSE;
    }
    if (child_errno != 0) {
        g_autofree char *v = g_strchomp(g_strdup(value));

        g_set_error(error, VH_ERROR, VH_ERROR_IO, "writing '%s' to %s failed: %s", v, path,
                    g_strerror(child_errno));
        return FALSE;
    }
    return TRUE;
}

static char *
device_path(const VhHost *host, const char *address, const char *attr)
{
    return g_strdup_printf("%s/bus/pci/devices/%s/%s", host->sysfs, address, attr);
}

char *
vh_bind_current_driver(const VhHost *host, const char *address)
{
    g_autofree char *link = device_path(host, address, "driver");

    return vh_sysfs_read_link_name(link, NULL);
}

char *
vh_bind_current_override(const VhHost *host, const char *address)
{
    g_autofree char *path = device_path(host, address, "driver_override");
    g_autofree char *v = vh_sysfs_read(path, NULL);

    if (v == NULL || v[0] == '\0' || strcmp(v, "(null)") == 0)
        return NULL;
    return g_steal_pointer(&v);
}

/* Polls @done until it holds or the step's bound passes; waits grow from 1 ms to 20 ms. */
static gboolean
wait_until(gboolean (*done)(const VhHost *, const char *, const char *), const VhHost *host,
           const char *address, const char *want, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    gulong wait_us = 1000;

    while (!done(host, address, want)) {
        if (g_get_monotonic_time() >= deadline)
            return FALSE;
        g_usleep(wait_us);
        wait_us = MIN(wait_us * 2, 20000);
    }
    return TRUE;
}

static gboolean
driver_is(const VhHost *host, const char *address, const char *want)
{
    g_autofree char *d = vh_bind_current_driver(host, address);

    return g_strcmp0(d, want) == 0;
}

static gboolean
node_exists(const VhHost *host, const char *path, const char *unused)
{
    return vh_sysfs_exists(path);
}

/*
 * libkmod, loaded when vfio-pci must be: it links libcrypto, whose relocation every run of
 * the CLI and the hook engine would otherwise pay (~1 ms) to load a module once per boot.
 */
typedef struct {
    typeof(kmod_new) *new_ctx;
    typeof(kmod_unref) *unref_ctx;
    typeof(kmod_module_new_from_name) *module_new_from_name;
    typeof(kmod_module_probe_insert_module) *module_probe_insert_module;
    typeof(kmod_module_unref) *module_unref;
} Kmod;

static gboolean
kmod_load(Kmod *k, GError **error)
{
    void *lib = dlopen("libkmod.so.2", RTLD_NOW | RTLD_LOCAL);

    if (lib == NULL || (k->new_ctx = (typeof(k->new_ctx))dlsym(lib, "kmod_new")) == NULL ||
        (k->unref_ctx = (typeof(k->unref_ctx))dlsym(lib, "kmod_unref")) == NULL ||
        (k->module_new_from_name =
             (typeof(k->module_new_from_name))dlsym(lib, "kmod_module_new_from_name")) == NULL ||
        (k->module_probe_insert_module = (typeof(k->module_probe_insert_module))dlsym(
             lib, "kmod_module_probe_insert_module")) == NULL ||
        (k->module_unref = (typeof(k->module_unref))dlsym(lib, "kmod_module_unref")) == NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_UNSUPPORTED,
                    "cannot load libkmod to load the vfio-pci module (%s): install libkmod2, or "
                    "run: modprobe vfio-pci",
                    dlerror());
        return FALSE;
    }
    return TRUE; /* the library stays loaded */
}

gboolean
vh_bind_ensure_vfio_pci(const VhHost *host, const VhBindOptions *opts, GError **error)
{
    g_autofree char *dir = g_build_filename(host->sysfs, "bus/pci/drivers/vfio-pci", NULL);
    struct kmod_ctx *ctx;
    struct kmod_module *mod = NULL;
    Kmod k;
    int r;

    if (vh_sysfs_exists(dir))
        return TRUE;
    if (!host->is_system) {
        g_set_error(error, VH_ERROR, VH_ERROR_UNSUPPORTED,
                    "the vfio-pci driver is not registered in '%s' (a test host loads no modules)",
                    host->sysfs);
        return FALSE;
    }
    if (!kmod_load(&k, error))
        return FALSE;
    ctx = k.new_ctx(NULL, NULL);
    if (ctx == NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_UNSUPPORTED,
                    "cannot load kernel modules here (libkmod found no module directory)");
        return FALSE;
    }
    r = k.module_new_from_name(ctx, "vfio-pci", &mod);
    if (r == 0)
        r = k.module_probe_insert_module(mod, 0, NULL, NULL, NULL, NULL);
    if (mod != NULL)
        k.module_unref(mod);
    k.unref_ctx(ctx);
    if (r < 0) {
        g_set_error(error, VH_ERROR, VH_ERROR_UNSUPPORTED,
                    "cannot load the vfio-pci kernel module: %s (run: vfio-handoff check)",
                    g_strerror(-r));
        return FALSE;
    }
    /* the driver registers during module init */
    if (!wait_until(node_exists, host, dir, NULL, opts->timeout_ms)) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "vfio-pci was loaded but its driver did not appear in %s", dir);
        return FALSE;
    }
    return TRUE;
}

gboolean
vh_bind_detach(const VhHost *host, const char *address, int group, const VhBindOptions *opts,
               GError **error)
{
    g_autofree char *override = device_path(host, address, "driver_override");
    g_autofree char *probe = g_strdup_printf("%s/bus/pci/drivers_probe", host->sysfs);
    g_autofree char *node = g_strdup_printf("%s/vfio/%d", host->dev, group);
    g_autofree char *current = vh_bind_current_driver(host, address);
    g_autofree char *now = NULL;

    if (g_strcmp0(current, "vfio-pci") == 0)
        return TRUE;
    if (!vh_bind_write(host, override, "vfio-pci", opts, error))
        return FALSE;
    if (current != NULL) {
        g_autofree char *unbind =
            g_strdup_printf("%s/bus/pci/drivers/%s/unbind", host->sysfs, current);

        if (!vh_bind_write(host, unbind, address, opts, error))
            return FALSE;
        if (!wait_until(driver_is, host, address, NULL, opts->timeout_ms)) {
            g_set_error(error, VH_ERROR, VH_ERROR_FAILED, "%s did not leave %s", address, current);
            return FALSE;
        }
    }
    if (!vh_bind_write(host, probe, address, opts, error))
        return FALSE;
    if (!wait_until(driver_is, host, address, "vfio-pci", opts->timeout_ms)) {
        now = vh_bind_current_driver(host, address);
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED, "%s did not bind to vfio-pci (it is on %s)",
                    address, now != NULL ? now : "no driver");
        return FALSE;
    }
    if (!wait_until(node_exists, host, node, NULL, opts->timeout_ms)) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED, "%s is on vfio-pci but %s did not appear",
                    address, node);
        return FALSE;
    }
    return TRUE;
}

gboolean
vh_bind_give_back(const VhHost *host, const char *address, const char *driver, const char *override,
                  const VhBindOptions *opts, GError **error)
{
    g_autofree char *override_path = device_path(host, address, "driver_override");
    g_autofree char *current = vh_bind_current_driver(host, address);
    g_autofree char *value = g_strconcat(override != NULL ? override : "", "\n", NULL);

    if (g_strcmp0(current, "vfio-pci") == 0) {
        g_autofree char *unbind =
            g_strdup_printf("%s/bus/pci/drivers/vfio-pci/unbind", host->sysfs);

        if (!vh_bind_write(host, unbind, address, opts, error))
            return FALSE;
        if (!wait_until(driver_is, host, address, NULL, opts->timeout_ms)) {
            g_set_error(error, VH_ERROR, VH_ERROR_FAILED, "%s did not leave vfio-pci", address);
            return FALSE;
        }
        g_clear_pointer(&current, g_free);
    } else if (current != NULL && g_strcmp0(current, driver) != 0) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s is on %s, not vfio-pci: something else rebound it; left as it is", address,
                    current);
        return FALSE;
    }
    /* a newline clears the override; zero bytes would change nothing (sysfs-abi.md) */
    if (!vh_bind_write(host, override_path, value, opts, error))
        return FALSE;
    if (driver == NULL || current != NULL)
        return TRUE;
    {
        g_autofree char *bind = g_strdup_printf("%s/bus/pci/drivers/%s/bind", host->sysfs, driver);

        if (!vh_bind_write(host, bind, address, opts, error))
            return FALSE;
    }
    if (!wait_until(driver_is, host, address, driver, opts->timeout_ms)) {
        g_autofree char *now = vh_bind_current_driver(host, address);

        g_set_error(error, VH_ERROR, VH_ERROR_FAILED, "%s did not bind back to %s (it is on %s)",
                    address, driver, now != NULL ? now : "no driver");
        return FALSE;
    }
    return TRUE;
}
