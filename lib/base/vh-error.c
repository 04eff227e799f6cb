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

/* What to do about a failed system call, by its errno: a fix that works when followed. */
const char *
vh_error_errno_fix(int errsv)
{
    switch (errsv) {
    case EACCES:
    case EPERM:
        return "run vfio-handoff as root, e.g. with sudo";
    case EROFS:
        return "remount its file system read-write";
    case ENOSPC:
    case EDQUOT:
        return "free space on its file system";
    case ENOENT:
    case ENOTDIR:
        return "check that the path exists";
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case EAGAIN:
        return "try again once the host has more free memory and file descriptors";
    default:
        return "see the kernel log, 'journalctl -k', for what failed";
    }
}

void
vh_error_set_errno(GError **error, int errsv, const char *what, const char *path)
{
    g_set_error(error, VH_ERROR, errsv == ENOENT ? VH_ERROR_NOT_FOUND : VH_ERROR_IO,
                "%s: cannot %s, %s (fix: %s)", path, what, g_strerror(errsv),
                vh_error_errno_fix(errsv));
}

void
vh_error_split_fix(const char *text, char **reason, char **fix)
{
    const char *own = g_str_has_suffix(text, ")") ? g_strrstr(text, " (fix: ") : NULL;

    *reason = own != NULL ? g_strndup(text, (gsize)(own - text)) : g_strdup(text);
    *fix = own != NULL ? g_strndup(own + strlen(" (fix: "), strlen(own) - strlen(" (fix: ") - 1)
                       : NULL;
}
