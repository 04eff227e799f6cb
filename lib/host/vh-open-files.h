/* vfio-handoff: the device nodes host processes hold open, known by what the open file is */
#pragma once

#include <glib.h>
#include <sys/stat.h>

#include "vh-host.h"

G_BEGIN_DECLS

/* One open file of a process that is, or claims to be, a device node. */
typedef struct {
    int pid;
    const char *pid_text; /* its /proc entry's name */
    const char *text;     /* the link's text as the process sees it: "/dev/vfio/7", or any name
                           * a process gave a file of its own in another mount namespace */
    struct stat st;       /* the open file itself (stat() through /proc/PID/fd/N) */
} VhOpenFile;

/* Called for each such file; FALSE stops the walk. */
typedef gboolean (*VhOpenFileFunc)(const VhOpenFile *file, gpointer data);

/*
 * Walks every process of @host and calls @fn for each open file that is a character or block
 * device, or whose link names a path under /dev (a fake host's nodes are plain files). Returns
 * FALSE when some process's files could not be read (not root): the walk is then incomplete.
 */
gboolean vh_open_files_walk(const VhHost *host, VhOpenFileFunc fn, gpointer data);

/*
 * Whether @st is the same node as @node_st: for a character or block device, the same type and
 * device number (under any name, in any mount namespace); otherwise the same file (a fake host,
 * whose nodes are plain files). A name alone proves nothing: any user can open a file of a tmpfs
 * of its own named /dev/vfio/1 in a mount namespace of its own.
 */
gboolean vh_open_files_same_node(const struct stat *st, const struct stat *node_st);

/* The host's node @file is, as "/dev/REL", when its link's text names a node of the host
 * (through /dev, or the fake host's dev directory) and the open file is that very node; else
 * NULL. */
char *vh_open_files_node_name(const VhHost *host, const VhOpenFile *file);

/* The comm of process @pid_text ("?" when it cannot be read). */
char *vh_open_files_comm(const VhHost *host, const char *pid_text);

G_END_DECLS
