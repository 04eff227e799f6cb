/* vfio-handoff: the sysfs writer. What each write does: Documentation/ABI/testing/
 * sysfs-bus-pci and ../shared/notes/sysfs-abi.md (measured on a real kernel). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dlfcn.h>
#include <libkmod.h>

#include "vh-bind.h"
#include "vh-error.h"
#include "vh-kernel-abi.h"
#include "vh-sysfs.h"

void
vh_step_free(VhStep *step)
{
    g_free(step->device);
    g_free(step->path);
    g_free(step->value);
    g_free(step);
}

static void
record(const VhWriter *w, VhStepKind kind, const char *device, const char *path, const char *value)
{
    VhStep *s = g_new0(VhStep, 1);

    s->kind = kind;
    s->device = g_strdup(device);
    s->path = g_strdup(path);
    s->value = g_strdup(value);
    g_ptr_array_add(w->steps, s);
}

char *
vh_step_describe(const VhStep *step)
{
    switch (step->kind) {
    case VH_STEP_LOAD_MODULE:
        return g_strdup_printf("load the %s kernel module", step->path);
    case VH_STEP_WRITE:
        return g_strdup_printf("write '%s' to %s", step->value, step->path);
    case VH_STEP_VERIFY_LINK:
        if (step->value == NULL)
            return g_strdup_printf("verify %s is gone", step->path);
        return g_strdup_printf("verify %s -> %s", step->path, step->value);
    case VH_STEP_VERIFY_NODE:
        return g_strdup_printf("verify %s exists", step->path);
    }
    g_assert_not_reached();
}

const char *
vh_step_kind_to_string(VhStepKind kind)
{
    switch (kind) {
    case VH_STEP_LOAD_MODULE:
        return "load-module";
    case VH_STEP_WRITE:
        return "write";
    case VH_STEP_VERIFY_LINK:
        return "verify-link";
    case VH_STEP_VERIFY_NODE:
        return "verify-node";
    }
    g_assert_not_reached();
}

/* Closes every descriptor but @keep (async-signal-safe): a writer left hung in the kernel must
 * hold neither the journal lock nor libvirt's stdout and stderr pipes. */
static void
close_all_but(int keep)
{
    if ((keep > 0 && syscall(SYS_close_range, 0U, (unsigned)keep - 1, 0U) != 0) ||
        syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U) != 0) {
        for (int fd = 0; fd < 65536; fd++) {
            if (fd != keep)
                close(fd);
        }
    }
}

/* The writer child: async-signal-safe calls only (the parent may have threads). */
static G_GNUC_NORETURN void
write_in_child(const char *path, const char *value, gsize len, int report)
{
    int fd, e = 0;

    close_all_but(report);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        e = errno;
    else if (write(fd, value, len) < 0)
        e = errno;
    if (fd >= 0 && close(fd) != 0 && e == 0)
        e = errno;
    if (write(report, &e, sizeof(e)) != sizeof(e))
        _exit(1);
    _exit(0);
}

/* Waits for the child's errno; FALSE with a timeout error when it hangs in the kernel. */
static gboolean
wait_for_child(pid_t pid, int report, const char *path, const char *value, guint timeout_ms,
               GError **error)
{
    struct pollfd pfd = {.fd = report, .events = POLLIN};
    g_autofree char *v = g_strchomp(g_strdup(value));
    int status, child_errno = 0;
    ssize_t n;

    do {
        n = poll(&pfd, 1, (int)timeout_ms);
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
        /* hung in the kernel: leave the child, report, go on */
        g_set_error(error, VH_ERROR, VH_ERROR_TIMED_OUT,
                    "writing '%s' to %s did not finish in %u ms (the kernel is stuck on it)", v,
                    path, timeout_ms);
        return FALSE;
    }
    n = read(report, &child_errno, sizeof(child_errno));
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (n != sizeof(child_errno)) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED, "the writer of %s died", path);
        return FALSE;
    }
    if (child_errno != 0) {
        g_set_error(error, VH_ERROR, VH_ERROR_IO, "writing '%s' to %s failed: %s", v, path,
                    g_strerror(child_errno));
        return FALSE;
    }
    return TRUE;
}

/* the write runs in a child; its errno comes back through a pipe */
gboolean
vh_bind_write(const VhHost *host, const char *device, const char *path, const char *value,
              const VhWriter *w, GError **error)
{
    int pipefd[2];
    gboolean ok;
    pid_t pid;

    /* only kernel files below this host's sysfs, and never a path that climbs out of it */
    if (!g_str_has_prefix(path, host->sysfs) || path[strlen(host->sysfs)] != '/' ||
        strstr(path, "/../") != NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "refusing to write '%s': not below '%s'", path, host->sysfs);
        return FALSE;
    }
    if (w->steps != NULL) {
        record(w, VH_STEP_WRITE, device, path, value);
        return TRUE;
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
    if (pid == 0)
        write_in_child(path, value, strlen(value), pipefd[1]);
    close(pipefd[1]);
    ok = wait_for_child(pid, pipefd[0], path, value, w->timeout_ms, error);
    close(pipefd[0]);
    return ok;
}

static char *
device_path(const VhHost *host, const char *address, const char *attr)
{
    return g_strdup_printf("%s/" VH_SYSFS_PCI_DEVICES "/%s/%s", host->sysfs, address, attr);
}

static char *
driver_file(const VhHost *host, const char *driver, const char *file)
{
    return g_strdup_printf("%s/" VH_SYSFS_PCI_DRIVERS "/%s/%s", host->sysfs, driver, file);
}

char *
vh_bind_current_driver(const VhHost *host, const char *address)
{
    g_autofree char *link = device_path(host, address, VH_ATTR_DRIVER);

    return vh_sysfs_read_link_name(link, NULL);
}

char *
vh_bind_current_override(const VhHost *host, const char *address)
{
    g_autofree char *path = device_path(host, address, VH_ATTR_DRIVER_OVERRIDE);
    g_autofree char *v = vh_sysfs_read(path, NULL);

    if (v == NULL || v[0] == '\0' || strcmp(v, "(null)") == 0)
        return NULL;
    return g_steal_pointer(&v);
}

/* Polls @done until it holds or the step's bound passes; waits grow from 1 ms to 20 ms. */
static gboolean
wait_until(gboolean (*done)(const char *, const char *), const char *path, const char *want,
           guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    gulong wait_us = 1000;

    while (!done(path, want)) {
        if (g_get_monotonic_time() >= deadline)
            return FALSE;
        g_usleep(wait_us);
        wait_us = MIN(wait_us * 2, 20000);
    }
    return TRUE;
}

static gboolean
link_is(const char *link, const char *want)
{
    g_autofree char *d = vh_sysfs_read_link_name(link, NULL);

    return g_strcmp0(d, want) == 0;
}

static gboolean
node_exists(const char *path, const char *unused)
{
    return vh_sysfs_exists(path);
}

/* Waits until @address is bound to @driver (NULL: to none); recorded as a step. */
static gboolean
wait_driver(const VhHost *host, const VhWriter *w, const char *address, const char *driver)
{
    g_autofree char *link = device_path(host, address, VH_ATTR_DRIVER);

    if (w->steps != NULL) {
        record(w, VH_STEP_VERIFY_LINK, address, link, driver);
        return TRUE;
    }
    return wait_until(link_is, link, driver, w->timeout_ms);
}

/* Waits until @path exists; recorded as a step. */
static gboolean
wait_node(const VhWriter *w, const char *device, const char *path)
{
    if (w->steps != NULL) {
        record(w, VH_STEP_VERIFY_NODE, device, path, NULL);
        return TRUE;
    }
    return wait_until(node_exists, path, NULL, w->timeout_ms);
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
                    "libkmod: cannot be loaded to load the vfio-pci module, %s (fix: install "
                    "libkmod2, or run 'modprobe vfio-pci')",
                    dlerror());
        return FALSE;
    }
    return TRUE; /* the library stays loaded */
}

/* modprobe vfio-pci, through libkmod */
static gboolean
load_vfio_pci(GError **error)
{
    struct kmod_ctx *ctx;
    struct kmod_module *mod = NULL;
    Kmod k;
    int r;

    if (!kmod_load(&k, error))
        return FALSE;
    ctx = k.new_ctx(NULL, NULL);
    if (ctx == NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_UNSUPPORTED,
                    "vfio-pci: cannot load kernel modules here, libkmod found no module directory "
                    "(fix: run 'modprobe vfio-pci')");
        return FALSE;
    }
    r = k.module_new_from_name(ctx, VH_MODULE_VFIO_PCI, &mod);
    if (r == 0)
        r = k.module_probe_insert_module(mod, 0, NULL, NULL, NULL, NULL);
    if (mod != NULL)
        k.module_unref(mod);
    k.unref_ctx(ctx);
    if (r < 0) {
        g_set_error(
            error, VH_ERROR, VH_ERROR_UNSUPPORTED,
            "vfio-pci: the kernel module cannot be loaded, %s (fix: run 'vfio-handoff check')",
            g_strerror(-r));
        return FALSE;
    }
    return TRUE;
}

gboolean
vh_bind_ensure_vfio_pci(const VhHost *host, const VhWriter *w, GError **error)
{
    g_autofree char *dir =
        g_build_filename(host->sysfs, VH_SYSFS_PCI_DRIVERS, VH_DRIVER_VFIO_PCI, NULL);

    if (vh_sysfs_exists(dir))
        return TRUE;
    if (w->steps != NULL) {
        record(w, VH_STEP_LOAD_MODULE, NULL, VH_MODULE_VFIO_PCI, NULL);
        return TRUE;
    }
    if (!host->is_system) {
        g_set_error(error, VH_ERROR, VH_ERROR_UNSUPPORTED,
                    "vfio-pci: the driver is not registered in '%s' (a test host loads no modules; "
                    "add it to the fake tree)",
                    host->sysfs);
        return FALSE;
    }
    if (!load_vfio_pci(error))
        return FALSE;
    /* the driver registers during module init */
    if (!wait_until(node_exists, dir, NULL, w->timeout_ms)) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "vfio-pci: the module was loaded but its driver did not appear in '%s' (fix: "
                    "run 'vfio-handoff check')",
                    dir);
        return FALSE;
    }
    return TRUE;
}

/* Unbinds @address from @driver and waits until it has left. */
static gboolean
unbind(const VhHost *host, const char *address, const char *driver, const VhWriter *w,
       GError **error)
{
    g_autofree char *path = driver_file(host, driver, VH_DRIVER_UNBIND);

    if (!vh_bind_write(host, address, path, address, w, error))
        return FALSE;
    if (!wait_driver(host, w, address, NULL)) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED, "%s did not leave %s", address, driver);
        return FALSE;
    }
    return TRUE;
}

gboolean
vh_bind_detach(const VhHost *host, const char *address, int group, const VhWriter *w,
               GError **error)
{
    g_autofree char *override = device_path(host, address, VH_ATTR_DRIVER_OVERRIDE);
    g_autofree char *probe = g_build_filename(host->sysfs, VH_SYSFS_DRIVERS_PROBE, NULL);
    g_autofree char *node_rel = g_strdup_printf(VH_DEV_VFIO_GROUP, group);
    g_autofree char *node = g_build_filename(host->dev, node_rel, NULL);
    g_autofree char *current = vh_bind_current_driver(host, address);

    if (g_strcmp0(current, VH_DRIVER_VFIO_PCI) == 0)
        return TRUE;
    if (!vh_bind_write(host, address, override, VH_DRIVER_VFIO_PCI, w, error))
        return FALSE;
    if (current != NULL && !unbind(host, address, current, w, error))
        return FALSE;
    if (!vh_bind_write(host, address, probe, address, w, error))
        return FALSE;
    if (!wait_driver(host, w, address, VH_DRIVER_VFIO_PCI)) {
        g_autofree char *now = vh_bind_current_driver(host, address);

        g_set_error(error, VH_ERROR, VH_ERROR_FAILED, "%s did not bind to vfio-pci (it is on %s)",
                    address, now != NULL ? now : "no driver");
        return FALSE;
    }
    if (!wait_node(w, address, node)) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED, "%s is on vfio-pci but %s did not appear",
                    address, node);
        return FALSE;
    }
    return TRUE;
}

gboolean
vh_bind_give_back(const VhHost *host, const char *address, const char *driver, const char *override,
                  const VhWriter *w, GError **error)
{
    g_autofree char *override_path = device_path(host, address, VH_ATTR_DRIVER_OVERRIDE);
    g_autofree char *current = vh_bind_current_driver(host, address);
    g_autofree char *value = g_strconcat(override != NULL ? override : "", "\n", NULL);
    g_autofree char *bind = NULL;

    if (g_strcmp0(current, VH_DRIVER_VFIO_PCI) == 0) {
        if (!unbind(host, address, VH_DRIVER_VFIO_PCI, w, error))
            return FALSE;
        g_clear_pointer(&current, g_free);
    } else if (current != NULL && g_strcmp0(current, driver) != 0) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s is on %s, not vfio-pci: something else rebound it; left as it is", address,
                    current);
        return FALSE;
    }
    /* a newline clears the override; zero bytes would change nothing (sysfs-abi.md) */
    if (!vh_bind_write(host, address, override_path, value, w, error))
        return FALSE;
    if (driver == NULL || current != NULL)
        return TRUE;
    bind = driver_file(host, driver, VH_DRIVER_BIND);
    if (!vh_bind_write(host, address, bind, address, w, error))
        return FALSE;
    if (!wait_driver(host, w, address, driver)) {
        g_autofree char *now = vh_bind_current_driver(host, address);

        g_set_error(error, VH_ERROR, VH_ERROR_FAILED, "%s did not bind back to %s (it is on %s)",
                    address, driver, now != NULL ? now : "no driver");
        return FALSE;
    }
    return TRUE;
}
