/* vfio-handoff: sizes and durations as people write them in config files */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * "1G", "512M", "64K", "2T", "1GiB", "4096" (bytes): binary multiples (1K = 1024). Strict: a
 * whole number, then an optional unit, nothing else.
 */
gboolean vh_parse_size(const char *text, guint64 *bytes, GError **error);

/* "10s", "500ms", "2m", "1h": a whole number and a unit (required). */
gboolean vh_parse_duration(const char *text, guint64 *msec, GError **error);

/* 3221225472 -> "3 GiB", 1610612736 -> "1.5 GiB": for messages */
char *vh_format_size(guint64 bytes);

/* A number as the kernel writes IOMMU group and process numbers in /sys and /proc names (and
 * libvirt in its pid files): decimal digits only, at most G_MAXINT; -1 for anything else. */
int vh_parse_kernel_number(const char *text);

G_END_DECLS
