/* vfio-handoff policy: the administrator's files opened and read only when they can be trusted:
 * owned by the config owner (root), writable by it alone, no symbolic link followed, what was
 * opened checked (nothing can swap a file between the check and the read). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A policy file is a few dozen lines; anything larger than this is not one. */
#define VH_POLICY_FILE_MAX (1024 * 1024)

/*
 * Opens @name below @dirfd (AT_FDCWD: the working directory) and checks it: -1 with @error
 * when it cannot be opened or is not a regular file; else its descriptor, with *@untrusted set
 * to why it is not to be trusted (a reason with its fix, for the caller's "FILE: ignored: "),
 * or NULL. @path names it in the fixes.
 */
int vh_policy_file_open(int dirfd, const char *name, const char *path, guint owner,
                        char **untrusted, GError **error);

/* The whole of @fd, at most VH_POLICY_FILE_MAX bytes; NULL with @error. */
char *vh_policy_file_read(int fd, GError **error);

/* A policy directory, opened without following a link and checked: -1 with @error unset when
 * it does not exist, -1 with @error (a reason with its fix, for the caller's "DIR: ignored, and
 * every file in it: ") when it cannot be opened or is not to be trusted. */
int vh_policy_dir_open(const char *path, guint owner, GError **error);

G_END_DECLS
