/* vfio-handoff CLI: tables as the tools next to it print them (lsblk, virsh list): columns as
 * wide as their widest cell, never a name cut short, and ASCII where the locale is not UTF-8 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct VhTable VhTable;

/* A table with these column headers (NULL-terminated). */
VhTable *vh_table_new(const char *const *headers);
void vh_table_free(VhTable *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhTable, vh_table_free)

/* A row: one cell per column (copied; NULL prints as "-"). */
void vh_table_add(VhTable *t, const char *const *cells);

/* A line under the last row, indented past its first column: "└ TEXT" ("`- TEXT" in ASCII). */
void vh_table_note(VhTable *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Prints it; with @legend FALSE (--no-legend), without the header line. */
void vh_table_print(const VhTable *t, gboolean legend);

/* Whether the locale's character set is UTF-8: else tables and notes are ASCII. */
gboolean vh_table_utf8(void);

G_END_DECLS
