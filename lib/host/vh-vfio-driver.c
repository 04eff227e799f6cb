/* vfio-handoff: the VFIO driver of a device, as libvirt picks it (vh-vfio-driver.h) */
#include "config.h"

#include <fnmatch.h>
#include <string.h>

#include "vh-kernel-abi.h"
#include "vh-sysfs.h"
#include "vh-vfio-driver.h"

/* kbuild writes a VFIO driver's IDs to modules.alias with this prefix, so that no uevent ever
 * loads it; userspace matches "vfio_" + the device's modalias against them */
#define ALIAS_PREFIX "vfio_pci:"
#define GENERIC_MODULE "vfio_pci"

gboolean
vh_vfio_driver_is_vfio(const char *driver)
{
    return driver != NULL && strstr(driver, "vfio") != NULL;
}

gboolean
vh_vfio_driver_name_valid(const char *name)
{
    return name != NULL && name[0] != '\0' &&
           strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
               strlen(name) &&
           vh_vfio_driver_is_vfio(name);
}

char *
vh_vfio_modalias(const VhPciDevice *dev)
{
    /* drivers/pci/pci-driver.c pci_uevent(): MODALIAS=pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X
     */
    return g_strdup_printf("pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", dev->vendor_id,
                           dev->device_id, dev->subsys_vendor_id, dev->subsys_device_id,
                           (dev->class_code >> 16) & 0xff, (dev->class_code >> 8) & 0xff,
                           dev->class_code & 0xff);
}

static char *
modules_alias_path(const VhHost *host)
{
    g_autofree char *osrelease = vh_host_proc_path(host, "sys/kernel/osrelease");
    g_autofree char *release = vh_sysfs_read(osrelease, NULL);

    if (release == NULL)
        return NULL;
    return g_build_filename(host->modules_dir, release, "modules.alias", NULL);
}

static void
alias_free(VhVfioAlias *a)
{
    g_free(a->pattern);
    g_free(a->module);
    g_free(a);
}

GPtrArray *
vh_vfio_aliases_read(const VhHost *host)
{
    g_autofree char *path = modules_alias_path(host);
    g_autofree char *text = path != NULL ? vh_sysfs_read_big(path, 64 * 1024 * 1024, NULL) : NULL;
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)alias_free);
    const char *p = text;

    /* some 30,000 lines, a score of them VFIO's: find those, parse only them */
    while (p != NULL && (p = strstr(p, "alias " ALIAS_PREFIX)) != NULL) {
        const char *end = strchrnul(p, '\n');
        g_autofree char *line = g_strndup(p, (gsize)(end - p));
        g_auto(GStrv) f = g_strsplit_set(line, " \t", -1);
        guint n = 0;
        char *fields[3] = {NULL};

        for (guint i = 0; f[i] != NULL && n < 3; i++)
            if (f[i][0] != '\0')
                fields[n++] = f[i];
        if ((p == text || p[-1] == '\n') && n == 3 && strcmp(fields[2], GENERIC_MODULE) != 0) {
            VhVfioAlias *a = g_new0(VhVfioAlias, 1);

            a->pattern = g_strdup(fields[1]);
            a->module = g_strdup(fields[2]);
            g_ptr_array_add(out, a);
        }
        p = *end != '\0' ? end + 1 : NULL;
    }
    return out;
}

/* fewer wildcards is more specific; then the longer pattern (more literal text) */
static gboolean
more_specific(const char *pattern, const char *than)
{
    guint a = 0, b = 0;

    for (const char *p = pattern; *p != '\0'; p++)
        a += *p == '*';
    for (const char *p = than; *p != '\0'; p++)
        b += *p == '*';
    return a != b ? a < b : strlen(pattern) > strlen(than);
}

const char *
vh_vfio_variant_pick(const GPtrArray *aliases, const VhPciDevice *dev)
{
    g_autofree char *modalias = NULL;
    g_autofree char *wanted = NULL;
    const VhVfioAlias *best = NULL;

    if (aliases == NULL || aliases->len == 0)
        return NULL;
    modalias = vh_vfio_modalias(dev);
    wanted = g_strconcat("vfio_", modalias, NULL);
    for (guint i = 0; i < aliases->len; i++) {
        const VhVfioAlias *a = g_ptr_array_index((GPtrArray *)aliases, i);

        if (fnmatch(a->pattern, wanted, 0) == 0 &&
            (best == NULL || more_specific(a->pattern, best->pattern)))
            best = a;
    }
    return best != NULL ? best->module : NULL;
}

char *
vh_vfio_driver_registered(const VhHost *host, const char *module)
{
    g_autofree char *rel = g_strconcat("module/", module, "/drivers", NULL);
    g_autofree char *dir_path = vh_host_sysfs_path(host, rel);
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
    g_autofree char *dashed = g_strdelimit(g_strdup(module), "_", '-');
    const char *const names[] = {module, dashed};
    const char *name;

    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL)
        if (g_str_has_prefix(name, "pci:"))
            return g_strdup(name + strlen("pci:"));
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *drel = g_strconcat(VH_SYSFS_PCI_DRIVERS, "/", names[i], NULL);
        g_autofree char *dpath = vh_host_sysfs_path(host, drel);

        if (strchr(names[i], '/') == NULL && g_file_test(dpath, G_FILE_TEST_IS_DIR))
            return g_strdup(names[i]);
    }
    return NULL;
}
