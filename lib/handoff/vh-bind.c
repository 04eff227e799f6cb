/* vfio-handoff: moving a device between drivers, step by step, each verified by reading sysfs
 * back. What each write does: Documentation/ABI/testing/sysfs-bus-pci and
 * ../shared/notes/sysfs-abi.md (measured on a real kernel); the writes themselves are made by
 * lib/handoff/vh-sysfs-writer.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "vh-bind.h"
#include "vh-error.h"
#include "vh-kernel-abi.h"
#include "vh-sysfs-writer.h"
#include "vh-sysfs.h"
#include "vh-vfio-driver.h"

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
        vh_step_record(w, VH_STEP_VERIFY_LINK, address, link, driver);
        return TRUE;
    }
    return wait_until(link_is, link, driver, w->timeout_ms);
}

/* Waits until @path exists; recorded as a step. */
static gboolean
wait_node(const VhWriter *w, const char *device, const char *path)
{
    if (w->steps != NULL) {
        vh_step_record(w, VH_STEP_VERIFY_NODE, device, path, NULL);
        return TRUE;
    }
    return wait_until(node_exists, path, NULL, w->timeout_ms);
}

/* Unbinds @address from @driver and waits until it has left. */
static gboolean
unbind(VhWriteSession *s, const VhHost *host, const char *address, const char *driver,
       const VhWriter *w, GError **error)
{
    g_autofree char *path = driver_file(host, driver, VH_DRIVER_UNBIND);

    if (!vh_write_session_write(s, address, path, address, error))
        return FALSE;
    if (!wait_driver(host, w, address, NULL)) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: did not leave %s (fix: see the kernel log, 'journalctl -k', for why its "
                    "driver keeps it)",
                    address, driver);
        return FALSE;
    }
    return TRUE;
}

gboolean
vh_bind_detach(const VhHost *host, const char *address, int group, const char *driver,
               const VhWriter *w, GError **error)
{
    g_autofree char *override = device_path(host, address, VH_ATTR_DRIVER_OVERRIDE);
    g_autofree char *probe = g_build_filename(host->sysfs, VH_SYSFS_DRIVERS_PROBE, NULL);
    g_autofree char *node_rel = g_strdup_printf(VH_DEV_VFIO_GROUP, group);
    g_autofree char *node = g_build_filename(host->dev, node_rel, NULL);
    g_autofree char *current = vh_bind_current_driver(host, address);
    g_autoptr(VhWriteSession) s = NULL;

    if (g_strcmp0(current, driver) == 0)
        return TRUE;
    s = vh_write_session_new(host, w);
    if (!vh_write_session_write(s, address, override, driver, error))
        return FALSE;
    if (current != NULL && !unbind(s, host, address, current, w, error))
        return FALSE;
    if (!vh_write_session_write(s, address, probe, address, error))
        return FALSE;
    if (!wait_driver(host, w, address, driver)) {
        g_autofree char *now = vh_bind_current_driver(host, address);

        /* no fallback to plain vfio-pci: it would lose what the variant was chosen for */
        if (strcmp(driver, VH_DRIVER_VFIO_PCI) == 0)
            g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                        "%s: did not bind to vfio-pci, it is on %s (fix: check that 'modprobe "
                        "vfio-pci' works, and see the kernel log, 'journalctl -k')",
                        address, now != NULL ? now : "no driver");
        else
            g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                        "%s: did not bind to the VFIO variant driver %s, it is on %s (fix: see "
                        "the kernel log, 'journalctl -k', for why %s refused it; or set "
                        "vfio-driver=vfio-pci in its [device] section to use plain vfio-pci, "
                        "without the variant's features)",
                        address, driver, now != NULL ? now : "no driver", driver);
        return FALSE;
    }
    if (!wait_node(w, address, node)) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: on %s, but %s did not appear (fix: check that udev runs, "
                    "'systemctl status systemd-udevd', and see the kernel log)",
                    address, driver, node);
        return FALSE;
    }
    return TRUE;
}

gboolean
vh_bind_check_answers(const VhHost *host, const char *address, const VhWriter *w, GError **error)
{
    g_autofree char *path = device_path(host, address, VH_ATTR_CONFIG);
    g_autofree char *methods_path = NULL;
    g_autofree char *methods = NULL;
    guint8 header[16];
    ssize_t n;
    int fd;

    if (w->steps != NULL) {
        vh_step_record(w, VH_STEP_VERIFY_ANSWERS, address, path, NULL);
        return TRUE;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        vh_error_set_errno(error, errno, "read its config space", path);
        return FALSE;
    }
    n = pread(fd, header, sizeof(header), 0);
    if (n != (ssize_t)sizeof(header)) {
        vh_error_set_errno(error, n < 0 ? errno : EIO, "read its config space", path);
        close(fd);
        return FALSE;
    }
    close(fd);
    /* not the vendor ID alone: an SR-IOV VF's reads 0xffff by design (its PF's is the one);
     * a device that does not answer completes every read with all ones, header type included */
    for (guint i = 0; i < sizeof(header); i++) {
        if (header[i] != 0xff)
            return TRUE;
    }
    methods_path = device_path(host, address, VH_ATTR_RESET_METHOD);
    methods = vh_sysfs_read(methods_path, NULL);
    g_set_error(error, VH_ERROR, VH_ERROR_WEDGED,
                "%s: does not answer after its reset, its config space reads 0xffff, reset "
                "methods %s (fix: reboot the host to reset it)",
                address, methods != NULL && methods[0] != '\0' ? methods : "none");
    return FALSE;
}

gboolean
vh_bind_give_back(const VhHost *host, const char *address, const char *driver, const char *override,
                  const VhWriter *w, GError **error)
{
    g_autofree char *override_path = device_path(host, address, VH_ATTR_DRIVER_OVERRIDE);
    g_autofree char *current = vh_bind_current_driver(host, address);
    g_autofree char *value = g_strconcat(override != NULL ? override : "", "\n", NULL);
    g_autofree char *bind = NULL;
    g_autoptr(VhWriteSession) s = vh_write_session_new(host, w);

    if (vh_vfio_driver_is_vfio(current) && g_strcmp0(current, driver) != 0) {
        if (!unbind(s, host, address, current, w, error))
            return FALSE;
        g_clear_pointer(&current, g_free);
    } else if (current != NULL && g_strcmp0(current, driver) != 0) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: on %s, not a VFIO driver: something else rebound it, and it is left as "
                    "it is (fix: see who did in the kernel log and 'vfio-handoff status')",
                    address, current);
        return FALSE;
    }
    /* a newline clears the override; zero bytes would change nothing (sysfs-abi.md) */
    if (!vh_write_session_write(s, address, override_path, value, error))
        return FALSE;
    if (driver == NULL || current != NULL)
        return TRUE;
    bind = driver_file(host, driver, VH_DRIVER_BIND);
    if (!vh_write_session_write(s, address, bind, address, error))
        return FALSE;
    if (!wait_driver(host, w, address, driver)) {
        g_autofree char *now = vh_bind_current_driver(host, address);

        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: did not bind back to %s, it is on %s (fix: see the kernel log, "
                    "'journalctl -k', for why %s refused it)",
                    address, driver, now != NULL ? now : "no driver", driver);
        return FALSE;
    }
    return TRUE;
}

gboolean
vh_bind_reprobe(const VhHost *host, const char *address, const VhWriter *w, char **driver,
                GError **error)
{
    g_autofree char *override_path = device_path(host, address, VH_ATTR_DRIVER_OVERRIDE);
    g_autofree char *probe = g_build_filename(host->sysfs, VH_SYSFS_DRIVERS_PROBE, NULL);
    g_autofree char *current = vh_bind_current_driver(host, address);
    g_autoptr(VhWriteSession) s = vh_write_session_new(host, w);

    *driver = NULL;
    if (g_strcmp0(current, VH_DRIVER_VFIO_PCI) != 0) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: on %s, not vfio-pci, so it is left as it is (fix: none needed, it is "
                    "not parked)",
                    address, current != NULL ? current : "no driver");
        return FALSE;
    }
    /* a newline clears the override; zero bytes would change nothing (sysfs-abi.md) */
    if (!vh_write_session_write(s, address, override_path, "\n", error) ||
        !unbind(s, host, address, VH_DRIVER_VFIO_PCI, w, error) ||
        !vh_write_session_write(s, address, probe, address, error))
        return FALSE;
    if (w->steps != NULL)
        return TRUE; /* recording: nothing was probed */
    /* drivers_probe binds before the write returns (drivers/base/bus.c) */
    *driver = vh_bind_current_driver(host, address);
    if (g_strcmp0(*driver, VH_DRIVER_VFIO_PCI) == 0) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: went back to vfio-pci, as its ID is in vfio-pci's list (fix: remove "
                    "vfio-pci.ids= from the kernel command line or its modprobe.d option, or bind "
                    "a driver by hand)",
                    address);
        return FALSE;
    }
    return TRUE;
}
