/* vfio-handoff CLI: unified diffs. A longest-common-subsequence table over the lines that
 * differ (after the common head and tail are set aside): domain definitions are a few hundred
 * lines, and an edit touches a few places. */
#include "config.h"

#include <string.h>

#include "vh-diff.h"

#define CONTEXT 3
/* beyond this many table cells, the middle is shown as removed then added, still a valid diff */
#define MAX_CELLS (G_GUINT64_CONSTANT(1) << 24)

typedef struct {
    char op; /* ' ', '-', '+' */
    const char *line;
} Edit;

static char **
lines_of(const char *text, guint *n)
{
    char **lines = g_strsplit(text, "\n", -1);
    guint len = g_strv_length(lines);

    /* "a\nb\n" splits into a, b and "": the last is not a line */
    if (len > 0 && lines[len - 1][0] == '\0') {
        g_free(lines[len - 1]);
        lines[--len] = NULL;
    }
    *n = len;
    return lines;
}

/* The edit script of a[0..n) into b[0..m), by LCS; appended to @script. */
static void
middle(char **a, guint n, char **b, guint m, GArray *script)
{
    g_autofree guint32 *t = NULL;
    guint i = 0, j = 0;

    if ((guint64)(n + 1) * (m + 1) > MAX_CELLS) {
        for (; i < n; i++)
            g_array_append_val(script, ((Edit){'-', a[i]}));
        for (; j < m; j++)
            g_array_append_val(script, ((Edit){'+', b[j]}));
        return;
    }
    /* t[i][j] = length of the LCS of a[i..n) and b[j..m) */
    t = g_new0(guint32, (gsize)(n + 1) * (m + 1));
#define T(x, y) t[(gsize)(x) * (m + 1) + (y)]
    for (guint x = n; x-- > 0;) {
        for (guint y = m; y-- > 0;)
            T(x, y) = strcmp(a[x], b[y]) == 0 ? T(x + 1, y + 1) + 1 : MAX(T(x + 1, y), T(x, y + 1));
    }
    while (i < n || j < m) {
        if (i < n && j < m && strcmp(a[i], b[j]) == 0) {
            g_array_append_val(script, ((Edit){' ', a[i]}));
            i++, j++;
        } else if (i < n && (j == m || T(i + 1, j) >= T(i, j + 1))) {
            /* removals before additions, as diff -u prints them */
            g_array_append_val(script, ((Edit){'-', a[i]}));
            i++;
        } else {
            g_array_append_val(script, ((Edit){'+', b[j]}));
            j++;
        }
    }
#undef T
}

/* GNU's hunk range: "start,count", "start" when count is 1, and the line before when 0 */
static void
range(GString *out, guint start, guint count)
{
    if (count == 1)
        g_string_append_printf(out, "%u", start + 1);
    else
        g_string_append_printf(out, "%u,%u", count == 0 ? start : start + 1, count);
}

/* "@@ -A,N +B,M @@" and the lines of the edit script from @first to @end. */
static void
write_hunk(GString *out, const GArray *script, guint first, guint end)
{
    guint a_start = 0, b_start = 0, a_count = 0, b_count = 0;

    for (guint x = 0; x < end; x++) {
        char op = g_array_index(script, Edit, x).op;

        a_start += x < first && op != '+';
        b_start += x < first && op != '-';
        a_count += x >= first && op != '+';
        b_count += x >= first && op != '-';
    }
    g_string_append(out, "@@ -");
    range(out, a_start, a_count);
    g_string_append(out, " +");
    range(out, b_start, b_count);
    g_string_append(out, " @@\n");
    for (guint x = first; x < end; x++) {
        const Edit *e = &g_array_index(script, Edit, x);

        g_string_append_printf(out, "%c%s\n", e->op, e->line);
    }
}

char *
vh_diff_unified(const char *before, const char *after, const char *label_before,
                const char *label_after)
{
    guint n, m, head = 0, tail = 0;
    g_auto(GStrv) a = lines_of(before, &n);
    g_auto(GStrv) b = lines_of(after, &m);
    g_autoptr(GArray) script = g_array_new(FALSE, FALSE, sizeof(Edit));
    GString *out = g_string_new(NULL);
    guint k = 0;

    while (head < n && head < m && strcmp(a[head], b[head]) == 0)
        head++;
    while (tail < n - head && tail < m - head && strcmp(a[n - 1 - tail], b[m - 1 - tail]) == 0)
        tail++;
    for (guint i = 0; i < head; i++)
        g_array_append_val(script, ((Edit){' ', a[i]}));
    middle(a + head, n - head - tail, b + head, m - head - tail, script);
    for (guint i = n - tail; i < n; i++)
        g_array_append_val(script, ((Edit){' ', a[i]}));
    if (head == n && head == m)
        return g_string_free(out, FALSE);

    g_string_append_printf(out, "--- %s\n+++ %s\n", label_before, label_after);
    while (k < script->len) {
        guint first, last, end;

        while (k < script->len && g_array_index(script, Edit, k).op == ' ')
            k++;
        if (k == script->len)
            break;
        /* the hunk: from CONTEXT before this change to CONTEXT after the last change that is
         * no more than 2 * CONTEXT unchanged lines from the one before it */
        first = k >= CONTEXT ? k - CONTEXT : 0;
        last = k;
        for (guint x = k + 1; x < script->len; x++) {
            if (g_array_index(script, Edit, x).op == ' ')
                continue;
            if (x - last - 1 > 2 * CONTEXT)
                break;
            last = x;
        }
        end = MIN(last + CONTEXT + 1, script->len);
        write_hunk(out, script, first, end);
        k = end;
    }
    return g_string_free(out, FALSE);
}
