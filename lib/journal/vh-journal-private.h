/* vfio-handoff: what the journal's files share (lib/journal/vh-journal*.c): its directories,
 * opened and checked (vh-journal-dirs.c), and the names in them. Not for use outside them. */
#pragma once

#include <glib.h>

#include "vh-host.h"
#include "vh-journal-index.h"

G_BEGIN_DECLS

#define DEVICES_DIR "devices"
#define STARTING_MARK "starting" /* in a domain's index directory: vh_journal_mark_starting */
#define TEMP_PREFIX ".tmp-"
#define RECORD_MAX (64 * 1024)

/* the journal's directories, opened and checked; -1 where not open */
typedef struct {
    int run, devices, domains;
} Dirs;

/* Opens the run directory and both of its directories. Without @create, a journal that does
 * not exist yet is empty: FALSE with @error unset. */
gboolean vh_journal_dirs_open(const VhHost *host, gboolean create, Dirs *d, GError **error);
void vh_journal_dirs_close(Dirs *d);

/* The names in a directory fd (without . and ..). */
GPtrArray *vh_journal_list_dir(int dirfd);

/* One domain's index directory (RUN/domains/NAME), never through a link; -1 when absent. */
int vh_journal_open_index(const Dirs *d, const char *name);

/* Whether @name is a temporary of a writer killed before its rename. */
gboolean vh_journal_is_temporary(const char *name);

/* A killed writer's temporary: never a record, removed under the lock. */
void vh_journal_remove_temporaries(int devices);

/* The index's directory name of @domain (vh-journal-index.h, which the hook's front shares). */
gboolean vh_journal_index_dir(const char *domain, char out[VH_JOURNAL_INDEX_NAME_MAX]);

G_END_DECLS
