/* vfio-handoff: host memory, for admission (DESIGN §5) */
#pragma once

#include <glib.h>

#include "vh-host.h"

G_BEGIN_DECLS

#define VH_HUGEPAGE_SIZES_MAX 8

typedef struct {
    guint64 available_kib;        /* /proc/meminfo MemAvailable */
    guint64 hugepage_default_kib; /* Hugepagesize */
    struct {
        guint64 page_kib; /* hugepages-SIZEkB */
        guint64 free_kib; /* its free_hugepages, times its size */
    } hugepages[VH_HUGEPAGE_SIZES_MAX];
    guint n_hugepages;
} VhHostMemory;

/* Reads MemAvailable and the free huge pages of every size. */
gboolean vh_host_memory_read(const VhHost *host, VhHostMemory *out, GError **error);

/* Free huge pages of @page_kib (0: the default size), in KiB; 0 when there are none. No I/O. */
guint64 vh_host_memory_hugepages_free_kib(const VhHostMemory *mem, guint64 page_kib);

G_END_DECLS
