/* vfio-handoff policy: how the loader records a problem with its line, and reads typed values
 * (vh-policy-load-private.h) */
#include "config.h"

#include <string.h>

#include "vh-policy-load-private.h"

void
vh_loader_issue(Loader *l, VhIssueSeverity severity, int line, const char *fmt, ...)
{
    VhPolicyIssue *i = g_new0(VhPolicyIssue, 1);
    va_list ap;

    va_start(ap, fmt);
    i->severity = severity;
    i->file = g_strdup(l->file);
    i->line = line;
    i->message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(l->policy->issues, i);
}

int
vh_loader_line_of(Loader *l, const char *group, const char *key)
{
    g_autofree char *k = key != NULL ? g_strconcat(group, "\n", key, NULL) : g_strdup(group);

    return GPOINTER_TO_INT(g_hash_table_lookup(l->lines, k));
}

gboolean
vh_loader_get_bool(Loader *l, GKeyFile *kf, const char *g, const char *key, gboolean *out)
{
    g_autofree char *v = g_key_file_get_value(kf, g, key, NULL);

    if (g_strcmp0(v, "true") == 0 || g_strcmp0(v, "false") == 0) {
        *out = g_strcmp0(v, "true") == 0;
        return TRUE;
    }
    vh_loader_issue(l, VH_ISSUE_ERROR, vh_loader_line_of(l, g, key),
                    "%s: invalid boolean '%s' (expected true or false)", key, v);
    return FALSE;
}

gboolean
vh_loader_get_int(Loader *l, GKeyFile *kf, const char *g, const char *key, int min, int max,
                  int *out)
{
    g_autofree char *v = g_key_file_get_value(kf, g, key, NULL);
    guint64 n;

    if (v != NULL && v[0] != '\0' && strspn(v, "0123456789") == strlen(v) && strlen(v) <= 9 &&
        (n = g_ascii_strtoull(v, NULL, 10)) >= (guint64)min && n <= (guint64)max) {
        *out = (int)n;
        return TRUE;
    }
    vh_loader_issue(l, VH_ISSUE_ERROR, vh_loader_line_of(l, g, key),
                    "%s: invalid number '%s' (expected a whole number from %d to %d)", key, v, min,
                    max);
    return FALSE;
}

void
vh_loader_unknown_key(Loader *l, const char *g, const char *key, const char *known)
{
    vh_loader_issue(l, VH_ISSUE_UNKNOWN, vh_loader_line_of(l, g, key),
                    "unknown key '%s' in [%s] (known: %s)", key, g, known);
}
