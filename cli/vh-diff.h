/* vfio-handoff CLI: unified diffs, for add/remove --dry-run */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The unified diff (as `diff -u` writes it: 3 lines of context, GNU hunk headers) turning
 * @before into @after, under the labels given; "" when they are the same. Texts are split at
 * '\n'; a missing final newline is not marked.
 */
char *vh_diff_unified(const char *before, const char *after, const char *label_before,
                      const char *label_after);

G_END_DECLS
