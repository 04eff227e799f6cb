/* vfio-handoff: the framebuffer console, traced to the boot VGA device it is on */
#include "config.h"

#include <string.h>

#include "vh-sysfs.h"
#include "vh-usage-collector.h"

/* Documentation/driver-api/console.rst: a bound vtcon named "frame buffer device" is fbcon. */
static gboolean
fbcon_bound(VhUsageCollector *c)
{
    g_autofree char *dir_path = vh_host_sysfs_path(c->host, "class/vtconsole");
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
    const char *name;

    if (dir == NULL)
        return FALSE;
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *np = g_build_filename(dir_path, name, "name", NULL);
        g_autofree char *bp = g_build_filename(dir_path, name, "bind", NULL);
        g_autofree char *vname = vh_sysfs_read(np, NULL);
        gint64 bound = 0;

        if (vname != NULL && strstr(vname, "frame buffer") != NULL &&
            vh_sysfs_read_int(bp, &bound, NULL) && bound == 1)
            return TRUE;
    }
    return FALSE;
}

void
vh_usage_collect_console(VhUsageCollector *c)
{
    g_autofree char *fb = vh_host_sysfs_path(c->host, "class/graphics/fb0");
    g_autofree char *name_path = g_build_filename(fb, "name", NULL);
    g_autofree char *fb_name = NULL;
    g_autofree char *subject = NULL;
    g_autoptr(GPtrArray) chain = NULL;

    if (!vh_sysfs_exists(fb) || !fbcon_bound(c))
        return;
    fb_name = vh_sysfs_read(name_path, NULL);
    subject = fb_name != NULL ? g_strdup_printf("fb0 (%s)", fb_name) : g_strdup("fb0");
    chain = vh_usage_pci_chain_of(fb);
    if (chain->len > 0) {
        vh_usage_add_chain(c, VH_USE_CONSOLE, chain, subject, NULL);
        return;
    }
    /* efifb, vesafb, simpledrm: a platform framebuffer on whatever the firmware booted on */
    for (guint i = 0; c->inv != NULL && i < c->inv->devices->len; i++) {
        VhPciDevice *dev = g_ptr_array_index(c->inv->devices, i);

        if (dev->boot_vga == 1)
            vh_usage_add(c, VH_USE_CONSOLE, dev->name, TRUE, subject, NULL);
    }
}
