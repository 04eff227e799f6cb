/* vfio-handoff policy: what the loader's parts share (policy/vh-policy-load*.c): the file being
 * read, and how a problem is recorded with its line. Not for use outside them. */
#pragma once

#include <glib.h>

#include "vh-policy.h"

G_BEGIN_DECLS

typedef struct {
    VhPolicy *policy;
    const char *file;
    GHashTable *lines; /* "group\nkey" and "group" -> line number */
} Loader;

/* Records a problem of the file being read, at @line (0: the whole file). */
void vh_loader_issue(Loader *l, VhIssueSeverity severity, int line, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

/* The line of [@group] (@key NULL) or of @key in it; 0 when unknown. */
int vh_loader_line_of(Loader *l, const char *group, const char *key);

/* Typed values: an invalid one is an issue, and FALSE. */
gboolean vh_loader_get_bool(Loader *l, GKeyFile *kf, const char *g, const char *key, gboolean *out);
gboolean vh_loader_get_int(Loader *l, GKeyFile *kf, const char *g, const char *key, int min,
                           int max, int *out);

/* An unknown key, naming the @known ones. */
void vh_loader_unknown_key(Loader *l, const char *g, const char *key, const char *known);

/* A [device SPEC] section (vh-policy-load-device.c). */
void vh_loader_load_device(Loader *l, GKeyFile *kf, const char *g, const char *spec);

G_END_DECLS
