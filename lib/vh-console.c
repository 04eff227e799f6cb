/* vfio-handoff: the console on a GPU, found, released and restored. What the files are:
 * Documentation/driver-api/console.rst (vtconsole bind), Documentation/fb/fbcon.rst (fbcon's
 * unbinding, the dummy console it falls back on), drivers/firmware/sysfb.c (the firmware
 * framebuffer's platform device). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vh-console.h"
#include "vh-error.h"
#include "vh-kernel-abi.h"
#include "vh-sysfs.h"

static void
platform_fb_free(VhPlatformFb *p)
{
    g_free(p->name);
    g_free(p->driver);
    g_free(p);
}

void
vh_console_free(VhConsole *c)
{
    if (c == NULL)
        return;
    g_free(c->fb);
    g_ptr_array_unref(c->vtcons);
    g_ptr_array_unref(c->platform_fbs);
    g_free(c);
}

/* The platform devices a firmware framebuffer is (sysfb's names). */
static gboolean
is_platform_fb_name(const char *name)
{
    static const char *const prefixes[] = {"efi-framebuffer.", "simple-framebuffer.",
                                           "vesa-framebuffer.", NULL};

    for (guint i = 0; prefixes[i] != NULL; i++) {
        if (g_str_has_prefix(name, prefixes[i]))
            return TRUE;
    }
    return FALSE;
}

/* What /proc/iomem says of @dev: whether a framebuffer's region lies in one of its BARs
 * (TRUE/FALSE in *on), or that it cannot tell (FALSE returned: hidden addresses, no
 * framebuffer region, no file). */
static gboolean
iomem_says(const VhHost *host, const VhPciDevice *dev, gboolean *on)
{
    static const char *const fb_regions[] = {"efifb",   "vesafb",    "simplefb",
                                             "BOOTFB", "simpledrm", NULL};
    g_autofree char *path = vh_host_proc_path(host, "iomem");
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(GArray) bars = g_array_new(FALSE, FALSE, sizeof(guint64));
    g_autoptr(GArray) fbs = g_array_new(FALSE, FALSE, sizeof(guint64));
    gboolean addresses = FALSE;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return FALSE;
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        guint64 start, end;
        const char *sep = strstr(lines[i], " : ");
        GArray *into;

        if (sep == NULL || sscanf(lines[i], " %" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x",
                                  &start, &end) != 2)
            continue;
        addresses |= end != 0;
        if (strcmp(sep + 3, dev->name) == 0)
            into = bars;
        else if (g_strv_contains(fb_regions, sep + 3))
            into = fbs;
        else
            continue;
        g_array_append_val(into, start);
        g_array_append_val(into, end);
    }
    if (!addresses || fbs->len == 0)
        return FALSE; /* hidden from non-root (all zero), or no framebuffer named */
    *on = FALSE;
    for (guint i = 0; i < fbs->len; i += 2) {
        for (guint j = 0; j < bars->len; j += 2) {
            if (g_array_index(fbs, guint64, i) >= g_array_index(bars, guint64, j) &&
                g_array_index(fbs, guint64, i) <= g_array_index(bars, guint64, j + 1))
                *on = TRUE;
        }
    }
    return TRUE;
}

gboolean
vh_console_platform_fb_on(const VhHost *host, const VhPciDevice *dev, const char *platform_name)
{
    gboolean on = FALSE;

    if (!is_platform_fb_name(platform_name))
        return FALSE;
    if (iomem_says(host, dev, &on))
        return on;
    return dev->boot_vga == 1; /* where the firmware set it up */
}

/* Every firmware framebuffer bound to a driver, in @dev's memory. */
static GPtrArray *
platform_fbs_on(const VhHost *host, const VhPciDevice *dev)
{
    g_autofree char *dir_path = vh_host_sysfs_path(host, "bus/platform/devices");
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
    GPtrArray *found = g_ptr_array_new_with_free_func((GDestroyNotify)platform_fb_free);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *link = g_build_filename(dir_path, name, VH_ATTR_DRIVER, NULL);
        g_autofree char *driver = NULL;
        VhPlatformFb *p;

        if (!is_platform_fb_name(name) || (driver = vh_sysfs_read_link_name(link, NULL)) == NULL ||
            !vh_console_platform_fb_on(host, dev, name))
            continue;
        p = g_new0(VhPlatformFb, 1);
        p->name = g_strdup(name);
        p->driver = g_steal_pointer(&driver);
        g_ptr_array_add(found, p);
    }
    return found;
}

/* Whether fb0 is @dev's: below its sysfs directory, or below a firmware framebuffer of it. */
static gboolean
fb0_on(const VhHost *host, const VhPciDevice *dev, const GPtrArray *platform_fbs)
{
    g_autofree char *fb = vh_host_sysfs_path(host, "class/graphics/fb0");
    g_autofree char *real = realpath(fb, NULL);
    g_autofree char *own = g_strconcat("/", dev->name, "/", NULL);

    if (real == NULL)
        return FALSE;
    if (strstr(real, own) != NULL)
        return TRUE;
    for (guint i = 0; i < platform_fbs->len; i++) {
        const VhPlatformFb *p = g_ptr_array_index((GPtrArray *)platform_fbs, i);
        g_autofree char *below = g_strconcat("/platform/", p->name, "/", NULL);

        if (strstr(real, below) != NULL)
            return TRUE;
    }
    return FALSE;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The bound framebuffer consoles: a vtcon named "frame buffer device" is fbcon
 * (Documentation/driver-api/console.rst). */
GPtrArray *
vh_console_bound_fbcons(const VhHost *host)
{
    g_autofree char *dir_path = vh_host_sysfs_path(host, "class/vtconsole");
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
    GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *np = g_build_filename(dir_path, name, "name", NULL);
        g_autofree char *bp = g_build_filename(dir_path, name, "bind", NULL);
        g_autofree char *vname = vh_sysfs_read(np, NULL);
        gint64 bound = 0;

        if (vname != NULL && strstr(vname, "frame buffer") != NULL &&
            vh_sysfs_read_int(bp, &bound, NULL) && bound == 1)
            g_ptr_array_add(found, g_strdup(name));
    }
    g_ptr_array_sort(found, compare_names);
    return found;
}

VhConsole *
vh_console_find(const VhHost *host, const VhPciDevice *dev)
{
    g_autoptr(VhConsole) c = g_new0(VhConsole, 1);

    if (vh_pci_device_class(dev) != VH_PCI_CLASS_DISPLAY_VGA)
        return NULL;
    c->platform_fbs = platform_fbs_on(host, dev);
    if (fb0_on(host, dev, c->platform_fbs)) {
        g_autofree char *np = vh_host_sysfs_path(host, "class/graphics/fb0/name");
        g_autofree char *fb_name = vh_sysfs_read(np, NULL);

        c->vtcons = vh_console_bound_fbcons(host);
        if (c->vtcons->len > 0)
            c->fb = fb_name != NULL ? g_strdup_printf("fb0 (%s)", fb_name) : g_strdup("fb0");
    } else {
        c->vtcons = g_ptr_array_new_with_free_func(g_free);
    }
    if (c->vtcons->len == 0 && c->platform_fbs->len == 0)
        return NULL;
    return g_steal_pointer(&c);
}

char *
vh_console_release_note(const VhHost *host, const VhPciDevice *dev)
{
    g_autoptr(VhConsole) c = vh_console_find(host, dev);
    g_autoptr(GString) names = g_string_new(NULL);

    for (guint i = 0; c != NULL && i < c->platform_fbs->len; i++) {
        const VhPlatformFb *p = g_ptr_array_index(c->platform_fbs, i);

        g_string_append_printf(names, "%s%s", i > 0 ? ", " : "", p->name);
    }
    if (names->len == 0)
        return NULL;
    return g_strdup_printf(
        "%s: its firmware framebuffer %s will not come back after the VM, as the kernel removes "
        "it when vfio-pci takes the GPU (Linux 6.0 and later), so the console returns only with "
        "the GPU's own driver (fix: install or load that driver to have a console after the VM)",
        dev->name, names->str);
}

char *
vh_console_describe(const char *fb, char **vtcons, char **platform_fbs)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; vtcons != NULL && vtcons[i] != NULL; i++)
        g_string_append_printf(s, "%s%s", i > 0 ? ", " : "", vtcons[i]);
    if (s->len > 0 && fb != NULL)
        g_string_append_printf(s, " on %s", fb);
    for (guint i = 0; platform_fbs != NULL && platform_fbs[i] != NULL; i++) {
        g_auto(GStrv) nd = g_strsplit(platform_fbs[i], ":", 2);

        g_string_append_printf(s, "%s%s (%s)", s->len > 0 ? ", " : "", nd[0],
                               nd[1] != NULL ? nd[1] : "?");
    }
    return g_string_free(s, FALSE);
}

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

    if (!vh_bind_write(host, device, path, value ? "1" : "0", w, error))
        return FALSE;
    if (w->steps != NULL)
        return TRUE;
    if (!vh_sysfs_read_int(path, &now, NULL) || now != value) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: the console did not %s, its bind file reads %s (fix: see the kernel log, "
                    "'journalctl -k', for what fbcon said)",
                    vtcon, value ? "bind" : "unbind", now < 0 ? "nothing" : now ? "1" : "0");
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
    if (!vh_bind_write(host, device, path, nd[0], w, error))
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
