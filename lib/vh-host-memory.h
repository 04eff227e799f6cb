/* vfio-handoff: host memory, for admission (DESIGN §5) */
#pragma once

#include <glib.h>

#include "vh-host.h"

G_BEGIN_DECLS

typedef struct {
    guint64 available_kib;       /* /proc/meminfo MemAvailable */
    guint64 hugepage_default_kib; /* Hugepagesize */
} VhHostMemory;

gboolean vh_host_memory_read(const VhHost *host, VhHostMemory *out, GError **error);

/* Free huge pages of @page_kib (0: the default size), in KiB; 0 when there are none. */
guint64 vh_host_hugepages_free_kib(const VhHost *host, const VhHostMemory *mem, guint64 page_kib);

G_END_DECLS
