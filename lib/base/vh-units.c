/* vfio-handoff: sizes and durations */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "vh-error.h"
#include "vh-units.h"

/* leading digits as a number; FALSE on none or overflow */
static gboolean
parse_number(const char *text, guint64 *value, const char **rest)
{
    const char *p = text;
    guint64 v = 0;

    if (!g_ascii_isdigit(*p))
        return FALSE;
    for (; g_ascii_isdigit(*p); p++) {
        guint d = (guint)(*p - '0');

        if (v > (G_MAXUINT64 - d) / 10)
            return FALSE;
        v = v * 10 + d;
    }
    *value = v;
    *rest = p;
    return TRUE;
}

int
vh_parse_kernel_number(const char *text)
{
    guint64 v;
    const char *rest;

    return parse_number(text, &v, &rest) && *rest == '\0' && v <= G_MAXINT ? (int)v : -1;
}

gboolean
vh_parse_size(const char *text, guint64 *bytes, GError **error)
{
    static const struct {
        const char *unit;
        guint shift;
    } units[] = {
        {"", 0},   {"B", 0},  {"K", 10},   {"KiB", 10}, {"M", 20},   {"MiB", 20},
        {"G", 30}, {"GiB", 30}, {"T", 40}, {"TiB", 40},
    };
    const char *rest;
    guint64 v;

    if (text != NULL && parse_number(text, &v, &rest)) {
        for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
            if (strcmp(rest, units[i].unit) != 0)
                continue;
            if (units[i].shift > 0 && v > (G_MAXUINT64 >> units[i].shift))
                break;
            *bytes = v << units[i].shift;
            return TRUE;
        }
    }
    g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                "invalid size '%s' (expected a whole number with K, M, G or T, e.g. 1G or 512M)",
                text != NULL ? text : "");
    return FALSE;
}

gboolean
vh_parse_duration(const char *text, guint64 *msec, GError **error)
{
    static const struct {
        const char *unit;
        guint64 ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"min", 60 * 1000}, {"h", 3600 * 1000}};
    const char *rest;
    guint64 v;

    if (text != NULL && parse_number(text, &v, &rest)) {
        for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
            if (strcmp(rest, units[i].unit) == 0 && v <= G_MAXUINT64 / units[i].ms) {
                *msec = v * units[i].ms;
                return TRUE;
            }
        }
    }
    g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                "invalid duration '%s' (expected a whole number with ms, s, m or h, e.g. 10s)",
                text != NULL ? text : "");
    return FALSE;
}

char *
vh_format_size(guint64 bytes)
{
    static const char *const names[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    guint i = 0;
    double v = (double)bytes;

    while (v >= 1024 && i + 1 < G_N_ELEMENTS(names)) {
        v /= 1024;
        i++;
    }
    if (i == 0 || v == (double)(guint64)v)
        return g_strdup_printf("%" G_GUINT64_FORMAT " %s", (guint64)v, names[i]);
    return g_strdup_printf("%.1f %s", v, names[i]);
}
