/* vfio-handoff hook: one structured line per action (domain, device, step, result, duration) */
#pragma once

#include <glib.h>

#include "vh-host.h"

G_BEGIN_DECLS

/* Where lines go: journald (its native socket), a file below a test root, or — with neither —
 * stderr, but only when the hook succeeds: on failure libvirt shows the hook's whole stderr,
 * which must be the one line that says what to do. */
void vh_hook_log_open(const VhHost *host, const char *domain, const char *op);

void vh_hook_log(const char *device, const char *step, const char *result, gint64 duration_us,
                 const char *fmt, ...) G_GNUC_PRINTF(5, 6);

/* Flushes what was buffered for stderr when @succeeded. */
void vh_hook_log_close(gboolean succeeded);

G_END_DECLS
