/* vfio-handoff hook: logging. To journald through GLib's own writer (g_log_writer_journald():
 * its native protocol, values with newlines framed, a memfd when a record is too big for one
 * datagram), with our fields (systemd.journal-fields(7)); no libsystemd needed. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vh-hook-log.h"

static struct {
    gboolean journal;
    FILE *file;
    GString *buffer;
    char *domain;
    char *op;
} L;

void
vh_hook_log_open(const VhHost *host, const char *domain, const char *op)
{
    L.domain = g_strdup(domain);
    L.op = g_strdup(op);
    if (!host->is_system) {
        g_autofree char *path = g_build_filename(host->run_dir, "hook.log", NULL);

        g_mkdir_with_parents(host->run_dir, 0700);
        L.file = fopen(path, "ae");
        return;
    }
    /* where journald is not (a container, say), lines go to stderr when the hook succeeds */
    L.journal = access("/run/systemd/journal/socket", W_OK) == 0;
    if (!L.journal)
        L.buffer = g_string_new(NULL);
}

static void
to_journal(const char *device, const char *step, const char *result, gint64 duration_us,
           const char *message, GLogLevelFlags level)
{
    g_autofree char *text = g_strdup_printf("vfio-handoff: %s: %s", L.domain, message);
    g_autofree char *ms = g_strdup_printf("%.1f", (double)duration_us / 1000.0);
    /* syslog priorities: info, warning, err */
    const char *priority = level == G_LOG_LEVEL_INFO ? "6" : level == G_LOG_LEVEL_WARNING ? "4"
                                                                                         : "3";
    GLogField fields[] = {
        {"MESSAGE", text, -1},           {"PRIORITY", priority, -1},
        {"SYSLOG_IDENTIFIER", "vfio-handoff", -1},
        {"VH_DOMAIN", L.domain, -1},     {"VH_OP", L.op, -1},
        {"VH_STEP", step, -1},           {"VH_RESULT", result, -1},
        {"VH_DURATION_MS", ms, -1},      {"VH_DEVICE", device, -1},
    };

    /* the journal has it, or it does not: a hook never fails for its log */
    (void)g_log_writer_journald(level, fields, G_N_ELEMENTS(fields) - (device == NULL), NULL);
}

void
vh_hook_log(const char *device, const char *step, const char *result, gint64 duration_us,
            const char *fmt, ...)
{
    g_autofree char *message = NULL;
    g_autofree char *line = NULL;
    va_list ap;

    va_start(ap, fmt);
    message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (L.journal) {
        to_journal(device, step, result, duration_us, message,
                   strcmp(result, "ok") == 0        ? G_LOG_LEVEL_INFO
                   : strcmp(result, "warning") == 0 ? G_LOG_LEVEL_WARNING
                                                    : G_LOG_LEVEL_CRITICAL);
        return;
    }
    /* a line each in a file or on stderr: a newline would split it */
    g_strdelimit(message, "\n", ' ');
    line = g_strdup_printf("vfio-handoff: domain=%s op=%s device=%s step=%s result=%s "
                           "duration_ms=%.1f: %s\n",
                           L.domain, L.op, device != NULL ? device : "-", step, result,
                           (double)duration_us / 1000.0, message);
    if (L.file != NULL) {
        fputs(line, L.file);
        fflush(L.file);
    } else if (L.buffer != NULL) {
        g_string_append(L.buffer, line);
    }
}

void
vh_hook_log_close(gboolean succeeded)
{
    if (L.buffer != NULL && succeeded)
        fputs(L.buffer->str, stderr);
    if (L.buffer != NULL)
        g_string_free(L.buffer, TRUE);
    if (L.file != NULL)
        fclose(L.file);
    g_free(L.domain);
    g_free(L.op);
}
