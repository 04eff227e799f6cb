/* vfio-handoff: host memory */
#include "config.h"

#include <string.h>

#include "vh-error.h"
#include "vh-host-memory.h"
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

gboolean
vh_host_memory_read(const VhHost *host, VhHostMemory *out, GError **error)
{
    g_autofree char *path = vh_host_proc_path(host, "meminfo");
    g_autofree char *text = vh_sysfs_read_big(path, 64 * 1024, error);

    if (text == NULL)
        return FALSE;
    memset(out, 0, sizeof(*out));
    if (!meminfo_value(text, "MemAvailable", &out->available_kib)) {
        g_set_error(error, VH_ERROR, VH_ERROR_IO, "'%s' has no MemAvailable line", path);
        return FALSE;
    }
    meminfo_value(text, "Hugepagesize", &out->hugepage_default_kib);
    return TRUE;
}

guint64
vh_host_hugepages_free_kib(const VhHost *host, const VhHostMemory *mem, guint64 page_kib)
{
    guint64 size = page_kib != 0 ? page_kib : mem->hugepage_default_kib;
    g_autofree char *rel =
        g_strdup_printf("kernel/mm/hugepages/hugepages-%" G_GUINT64_FORMAT "kB/free_hugepages", size);
    g_autofree char *path = vh_host_sysfs_path(host, rel);
    gint64 n = 0;

    if (size == 0 || !vh_sysfs_read_int(path, &n, NULL) || n < 0)
        return 0;
    return (guint64)n * size;
}
