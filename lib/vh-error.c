/* vfio-handoff: the one error domain */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "vh-error.h"

G_DEFINE_QUARK(vh-error-quark, vh_error)

void
vh_error_set_errno(GError **error, int errsv, const char *what, const char *path)
{
    g_set_error(error, VH_ERROR, errsv == ENOENT ? VH_ERROR_NOT_FOUND : VH_ERROR_IO,
                "cannot %s '%s': %s", what, path, g_strerror(errsv));
}
