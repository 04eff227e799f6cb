/* vfio-handoff: host memory */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vh-error.h"
#include "vh-host-memory.h"
#include "vh-kernel-abi.h"
#include "vh-sysfs.h"

/* "MemAvailable:   16084332 kB" */
static gboolean
meminfo_value(const char *text, const char *key, guint64 *kib)
{
    g_autofree char *needle = g_strconcat("\n", key, ":", NULL);
    const char *p = strstr(text, needle);

    if (p == NULL && g_str_has_prefix(text, key) && text[strlen(key)] == ':')
        p = text - 1;
    if (p == NULL)
        return FALSE;
    *kib = g_ascii_strtoull(p + strlen(needle), NULL, 10);
    return TRUE;
}

/* kernel/mm/hugepages/hugepages-SIZEkB/free_hugepages, for each SIZE */
static void
read_hugepages(const VhHost *host, VhHostMemory *out)
{
    g_autofree char *dir = vh_host_sysfs_path(host, VH_SYSFS_HUGEPAGES);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d != NULL && (name = g_dir_read_name(d)) != NULL &&
           out->n_hugepages < VH_HUGEPAGE_SIZES_MAX) {
        g_autofree char *path = g_build_filename(dir, name, "free_hugepages", NULL);
        guint64 size;
        gint64 n = 0;

        if (sscanf(name, "hugepages-%" G_GUINT64_FORMAT "kB", &size) != 1 || size == 0 ||
            !vh_sysfs_read_int(path, &n, NULL) || n < 0)
            continue;
        out->hugepages[out->n_hugepages].page_kib = size;
        out->hugepages[out->n_hugepages].free_kib = (guint64)n * size;
        out->n_hugepages++;
    }
}

gboolean
vh_host_memory_read(const VhHost *host, VhHostMemory *out, GError **error)
{
    g_autofree char *path = vh_host_proc_path(host, "meminfo");
    g_autofree char *text = vh_sysfs_read_big(path, 64 * 1024, error);

    if (text == NULL)
        return FALSE;
    memset(out, 0, sizeof(*out));
    if (!meminfo_value(text, "MemAvailable", &out->available_kib)) {
        g_set_error(error, VH_ERROR, VH_ERROR_IO,
                    "%s: has no MemAvailable line (fix: mount procfs on /proc; Linux 3.14 or "
                    "later has the line)",
                    path);
        return FALSE;
    }
    meminfo_value(text, "Hugepagesize", &out->hugepage_default_kib);
    read_hugepages(host, out);
    return TRUE;
}

guint64
vh_host_memory_hugepages_free_kib(const VhHostMemory *mem, guint64 page_kib)
{
    guint64 size = page_kib != 0 ? page_kib : mem->hugepage_default_kib;

    for (guint i = 0; i < mem->n_hugepages; i++) {
        if (mem->hugepages[i].page_kib == size)
            return mem->hugepages[i].free_kib;
    }
    return 0;
}
