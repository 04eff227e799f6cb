/* vfio-handoff: the framebuffer console, traced to the boot VGA device it is on */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vh-console.h"
#include "vh-sysfs.h"
#include "vh-usage-collector.h"

void
vh_usage_collect_console(VhUsageCollector *c)
{
    g_autofree char *fb = vh_host_sysfs_path(c->host, "class/graphics/fb0");
    g_autofree char *name_path = g_build_filename(fb, "name", NULL);
    g_autofree char *fb_name = NULL;
    g_autofree char *subject = NULL;
    g_autoptr(GPtrArray) chain = NULL;
    g_autoptr(GPtrArray) fbcons = vh_console_bound_fbcons(c->host);

    if (!vh_sysfs_exists(fb) || fbcons->len == 0)
        return;
    fb_name = vh_sysfs_read(name_path, NULL);
    subject = fb_name != NULL ? g_strdup_printf("fb0 (%s)", fb_name) : g_strdup("fb0");
    chain = vh_usage_pci_chain_of(fb);
    if (chain->len > 0) {
        vh_usage_add_chain(c, VH_USE_CONSOLE, chain, subject, NULL);
        return;
    }
    /* efifb, vesafb, simpledrm: a firmware framebuffer in the memory of the GPU the firmware
     * booted on */
    vh_usage_add_platform_fb(c, VH_USE_CONSOLE, fb, subject, NULL, 0);
}

void
vh_usage_add_platform_fb(VhUsageCollector *c, VhUseKind kind, const char *path, const char *subject,
                         const char *detail, int pid)
{
    g_autofree char *real = realpath(path, NULL);
    const char *p = real != NULL ? strstr(real, "/devices/platform/") : NULL;
    g_autofree char *name = NULL;

    if (p == NULL)
        return;
    p += strlen("/devices/platform/");
    name = g_strndup(p, strcspn(p, "/"));
    for (guint i = 0; c->inv != NULL && i < c->inv->devices->len; i++) {
        VhPciDevice *dev = g_ptr_array_index(c->inv->devices, i);
        VhUse *use;

        if (vh_pci_device_class(dev) == VH_PCI_CLASS_DISPLAY_VGA &&
            vh_console_platform_fb_on(c->host, dev, name) &&
            (use = vh_usage_add(c, kind, dev->name, TRUE, subject, detail)) != NULL)
            use->pid = pid;
    }
}
