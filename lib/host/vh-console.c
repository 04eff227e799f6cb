/* vfio-handoff: the console on a GPU, found (released and restored: lib/handoff/
 * vh-console-handoff.c). What the files are:
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
vh_console_release_note(const VhConsole *c, const char *device)
{
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
        device, names->str);
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
