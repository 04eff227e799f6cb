/* vfio-handoff CLI: tables */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vh-table.h"

typedef struct {
    char **cells; /* NULL for a note line */
    char *note;
} Row;

struct VhTable {
    char **headers;
    guint columns;
    GArray *rows; /* Row */
};

static void
row_clear(Row *r)
{
    g_strfreev(r->cells);
    g_free(r->note);
}

gboolean
vh_table_utf8(void)
{
    return g_get_charset(NULL);
}

VhTable *
vh_table_new(const char *const *headers)
{
    VhTable *t = g_new0(VhTable, 1);

    t->headers = g_strdupv((char **)headers);
    t->columns = g_strv_length(t->headers);
    t->rows = g_array_new(FALSE, TRUE, sizeof(Row));
    g_array_set_clear_func(t->rows, (GDestroyNotify)row_clear);
    return t;
}

void
vh_table_free(VhTable *t)
{
    if (t == NULL)
        return;
    g_strfreev(t->headers);
    g_array_unref(t->rows);
    g_free(t);
}

void
vh_table_add(VhTable *t, const char *const *cells)
{
    Row r = {.cells = g_new0(char *, t->columns + 1)};

    for (guint i = 0; i < t->columns; i++)
        r.cells[i] = g_strdup(cells[i] != NULL ? cells[i] : "-");
    g_array_append_val(t->rows, r);
}

void
vh_table_note(VhTable *t, const char *fmt, ...)
{
    Row r = {0};
    va_list ap;

    va_start(ap, fmt);
    r.note = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_array_append_val(t->rows, r);
}

/* width on a terminal: characters, not bytes (names from pci.ids are UTF-8) */
static gsize
width_of(const char *s)
{
    return g_utf8_validate(s, -1, NULL) ? (gsize)g_utf8_strlen(s, -1) : strlen(s);
}

static void
print_cells(char *const *cells, guint columns, const gsize *widths)
{
    for (guint i = 0; i < columns; i++) {
        if (i + 1 == columns) {
            printf("%s\n", cells[i]);
            break;
        }
        printf("%s%*s  ", cells[i], (int)(widths[i] - width_of(cells[i])), "");
    }
}

void
vh_table_print(const VhTable *t, gboolean legend)
{
    g_autofree gsize *widths = g_new0(gsize, t->columns);

    for (guint i = 0; i < t->columns; i++)
        widths[i] = legend ? width_of(t->headers[i]) : 0;
    for (guint r = 0; r < t->rows->len; r++) {
        const Row *row = &g_array_index(t->rows, Row, r);

        for (guint i = 0; row->cells != NULL && i < t->columns; i++)
            widths[i] = MAX(widths[i], width_of(row->cells[i]));
    }
    if (legend)
        print_cells(t->headers, t->columns, widths);
    for (guint r = 0; r < t->rows->len; r++) {
        const Row *row = &g_array_index(t->rows, Row, r);

        if (row->cells != NULL)
            print_cells(row->cells, t->columns, widths);
        else
            printf("%*s%s %s\n", (int)widths[0] + 2, "", vh_table_utf8() ? "└" : "`-", row->note);
    }
}
