/* vfio-handoff: reading small kernel files (sysfs attributes, /proc entries) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Reads a small attribute file whole, without the trailing newline. Kernel attribute files are
 * at most a page; anything longer is refused.
 */
char *vh_sysfs_read(const char *path, GError **error);

/* Like vh_sysfs_read() but for larger /proc files (mountinfo, routes): up to @max bytes. */
char *vh_sysfs_read_big(const char *path, gsize max, GError **error);

/* Reads an integer attribute: "0x10de", "42" or "-1". */
gboolean vh_sysfs_read_int(const char *path, gint64 *out, GError **error);

/* The target of a symlink, as stored. */
char *vh_sysfs_read_link(const char *path, GError **error);

/* The last path component of a symlink's target ("../../bus/pci/drivers/e1000e" -> "e1000e"). */
char *vh_sysfs_read_link_name(const char *path, GError **error);

/* TRUE when @path exists (without following a final symlink). */
gboolean vh_sysfs_exists(const char *path);

/*
 * The same, relative to a directory fd (a device's sysfs directory opened once with O_PATH):
 * the kernel walks one component instead of the whole path. Used where a scan reads many
 * attributes of many devices.
 */
char *vh_sysfs_read_at(int dirfd, const char *name, GError **error);
gboolean vh_sysfs_read_int_at(int dirfd, const char *name, gint64 *out, GError **error);
char *vh_sysfs_read_link_at(int dirfd, const char *name, GError **error);
char *vh_sysfs_read_link_name_at(int dirfd, const char *name, GError **error);
gboolean vh_sysfs_exists_at(int dirfd, const char *name);

G_END_DECLS
