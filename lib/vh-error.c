/* vfio-handoff: the one error domain */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "vh-error.h"

G_DEFINE_QUARK(vh-error-quark, vh_error)

char *
vh_error_shell_word(const char *word)
{
    GString *s;

    if (word[0] != '\0' && strspn(word, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789._:+-/@%,") == strlen(word))
        return g_strdup(word);
    s = g_string_new("\"");
    for (const char *p = word; *p != '\0'; p++) {
        if (strchr("\"\\$`", *p) != NULL)
            g_string_append_c(s, '\\');
        g_string_append_c(s, *p);
    }
    g_string_append_c(s, '"');
    return g_string_free(s, FALSE);
}

void
vh_error_set_errno(GError **error, int errsv, const char *what, const char *path)
{
    g_set_error(error, VH_ERROR, errsv == ENOENT ? VH_ERROR_NOT_FOUND : VH_ERROR_IO,
                "cannot %s '%s': %s", what, path, g_strerror(errsv));
}
