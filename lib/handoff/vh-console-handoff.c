/* vfio-handoff: the console on a GPU released before the GPU is handed off, and restored after
 * it is back (what is on it: lib/host/vh-console.c). What the files are:
 * Documentation/driver-api/console.rst (vtconsole bind), Documentation/fb/fbcon.rst (fbcon's
 * unbinding, the dummy console it falls back on), drivers/firmware/sysfb.c (the firmware
 * framebuffer's platform device). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vh-console-handoff.h"
#include "vh-error.h"
#include "vh-kernel-abi.h"
#include "vh-sysfs.h"

static char *
vtcon_bind_path(const VhHost *host, const char *vtcon)
{
    g_autofree char *rel = g_strdup_printf("class/vtconsole/%s/bind", vtcon);

    return vh_host_sysfs_path(host, rel);
}

/* Writes @value to @vtcon's bind and checks it reads back (fbcon's takeover is synchronous). */
static gboolean
set_vtcon(const VhHost *host, const char *device, const char *vtcon, gint64 value,
          const VhWriter *w, GError **error)
{
    g_autofree char *path = vtcon_bind_path(host, vtcon);
    gint64 now = -1;

    if (!vh_writer_write(host, device, path, value ? "1" : "0", w, error))
        return FALSE;
    if (w->steps != NULL)
        return TRUE;
    if (!vh_sysfs_read_int(path, &now, NULL) || now != value) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: the console did not %s, its bind file reads %s (fix: see the kernel log, "
                    "'journalctl -k', for what fbcon said)",
                    vtcon, value ? "bind" : "unbind",
                    now < 0 ? "nothing"
                    : now   ? "1"
                            : "0");
        return FALSE;
    }
    return TRUE;
}

static char *
platform_driver_file(const VhHost *host, const char *driver, const char *file)
{
    g_autofree char *rel = g_strdup_printf("bus/platform/drivers/%s/%s", driver, file);

    return vh_host_sysfs_path(host, rel);
}

static char *
platform_driver_now(const VhHost *host, const char *name)
{
    g_autofree char *rel = g_strdup_printf("bus/platform/devices/%s/" VH_ATTR_DRIVER, name);
    g_autofree char *link = vh_host_sysfs_path(host, rel);

    return vh_sysfs_read_link_name(link, NULL);
}

/* Binds (@bind) or unbinds the firmware framebuffer "NAME:DRIVER" and checks its driver link. */
static gboolean
set_platform_fb(const VhHost *host, const char *device, const char *spec, gboolean bind,
                const VhWriter *w, GError **error)
{
    g_auto(GStrv) nd = g_strsplit(spec, ":", 2);
    g_autofree char *path = NULL;
    g_autofree char *now = NULL;

    if (nd[0] == NULL || nd[1] == NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "%s: not a firmware framebuffer NAME:DRIVER (fix: run 'vfio-handoff status' "
                    "to see the record that holds it, and report it)",
                    spec);
        return FALSE;
    }
    path = platform_driver_file(host, nd[1], bind ? VH_DRIVER_BIND : VH_DRIVER_UNBIND);
    if (!vh_writer_write(host, device, path, nd[0], w, error))
        return FALSE;
    if (w->steps != NULL)
        return TRUE;
    now = platform_driver_now(host, nd[0]);
    if (bind ? g_strcmp0(now, nd[1]) != 0 : now != NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: did not %s %s, it is on %s (fix: see the kernel log, 'journalctl -k')",
                    nd[0], bind ? "bind to" : "leave", nd[1], now != NULL ? now : "no driver");
        return FALSE;
    }
    return TRUE;
}

gboolean
vh_console_release(const VhHost *host, const char *device, char **vtcons, char **platform_fbs,
                   const VhWriter *w, GError **error)
{
    /* the console first: fbcon lets go of the framebuffer before its driver does. What is
     * released already (a takeover from a holder that is gone: it released them) is not
     * written again: efi-framebuffer's unbind of an unbound device fails with ENODEV. */
    for (guint i = 0; vtcons != NULL && vtcons[i] != NULL; i++) {
        g_autofree char *path = vtcon_bind_path(host, vtcons[i]);
        gint64 now = -1;

        if (w->steps == NULL && (!vh_sysfs_read_int(path, &now, NULL) || now == 0))
            continue; /* unbound, or gone with its framebuffer */
        if (!set_vtcon(host, device, vtcons[i], 0, w, error))
            return FALSE;
    }
    for (guint i = 0; platform_fbs != NULL && platform_fbs[i] != NULL; i++) {
        g_auto(GStrv) nd = g_strsplit(platform_fbs[i], ":", 2);
        g_autofree char *now = nd[0] != NULL ? platform_driver_now(host, nd[0]) : NULL;

        if (w->steps == NULL && nd[1] != NULL && g_strcmp0(now, nd[1]) != 0)
            continue; /* off its driver already, or removed by the kernel */
        if (!set_platform_fb(host, device, platform_fbs[i], FALSE, w, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean
platform_fb_exists(const VhHost *host, const char *name)
{
    g_autofree char *rel = g_strconcat("bus/platform/devices/", name, NULL);
    g_autofree char *path = vh_host_sysfs_path(host, rel);

    return vh_sysfs_exists(path);
}

gboolean
vh_console_restore(const VhHost *host, const char *device, char **vtcons, char **platform_fbs,
                   const VhWriter *w, char **warning, GError **error)
{
    guint n = platform_fbs != NULL ? g_strv_length(platform_fbs) : 0;
    g_autoptr(GString) gone = g_string_new(NULL);
    gboolean console_left = FALSE;

    for (guint i = n; i > 0; i--) {
        g_auto(GStrv) nd = g_strsplit(platform_fbs[i - 1], ":", 2);
        g_autofree char *now = nd[0] != NULL ? platform_driver_now(host, nd[0]) : NULL;

        if (w->steps == NULL && nd[1] != NULL && g_strcmp0(now, nd[1]) == 0)
            continue; /* never released, or already back */
        if (w->steps == NULL && nd[0] != NULL && !platform_fb_exists(host, nd[0])) {
            g_string_append_printf(gone, "%s%s", gone->len > 0 ? ", " : "", nd[0]);
            continue; /* the kernel removed it for good */
        }
        if (!set_platform_fb(host, device, platform_fbs[i - 1], TRUE, w, error))
            return FALSE;
    }
    n = vtcons != NULL ? g_strv_length(vtcons) : 0;
    for (guint i = n; i > 0; i--) {
        g_autofree char *path = vtcon_bind_path(host, vtcons[i - 1]);
        g_autofree char *dir = g_path_get_dirname(path);
        gint64 now = -1;

        if (w->steps == NULL && vh_sysfs_read_int(path, &now, NULL) && now == 1)
            continue;
        /* fbcon leaves with the last framebuffer and comes back with the next one */
        if (w->steps == NULL && !vh_sysfs_exists(dir)) {
            console_left = TRUE;
            continue;
        }
        if (!set_vtcon(host, device, vtcons[i - 1], 1, w, error))
            return FALSE;
    }
    if (warning != NULL && (gone->len > 0 || console_left))
        *warning = g_strdup_printf(
            "%s: %s%sthe console stays on the dummy device until a framebuffer driver binds "
            "(fix: load the GPU's own driver, or reboot the host)",
            device, gone->len > 0 ? gone->str : "",
            gone->len > 0 ? " is gone, removed by the kernel when vfio-pci took the GPU (Linux "
                            "6.0 and later do so), so "
                          : "no framebuffer is left, so ");
    return TRUE;
}
