/* vfio-handoff hook: logging. journald's native protocol (systemd.journal-fields(7)) is a
 * datagram of KEY=value lines; no libsystemd needed. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vh-hook-log.h"

static struct {
    int journal_fd;
    FILE *file;
    GString *buffer;
    char *domain;
    char *op;
} L = {.journal_fd = -1};

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
    L.journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (L.journal_fd >= 0 && access("/run/systemd/journal/socket", W_OK) == 0)
        return;
    if (L.journal_fd >= 0)
        close(L.journal_fd);
    L.journal_fd = -1;
    L.buffer = g_string_new(NULL);
}

static void
to_journal(const char *device, const char *step, const char *result, gint64 duration_us,
           const char *message, int priority)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    g_autoptr(GString) d = g_string_new(NULL);

    g_strlcpy(sa.sun_path, "/run/systemd/journal/socket", sizeof(sa.sun_path));
    g_string_append_printf(d, "MESSAGE=vfio-handoff: %s: %s\n", L.domain, message);
    g_string_append_printf(d, "PRIORITY=%d\nSYSLOG_IDENTIFIER=vfio-handoff\n", priority);
    g_string_append_printf(d, "VH_DOMAIN=%s\nVH_OP=%s\n", L.domain, L.op);
    if (device != NULL)
        g_string_append_printf(d, "VH_DEVICE=%s\n", device);
    g_string_append_printf(d, "VH_STEP=%s\nVH_RESULT=%s\nVH_DURATION_MS=%.1f\n", step, result,
                           (double)duration_us / 1000.0);
    sendto(L.journal_fd, d->str, d->len, MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa));
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
    /* newlines would split a journal field */
    g_strdelimit(message, "\n", ' ');
    if (L.journal_fd >= 0) {
        /* syslog priorities: info, warning, err */
        to_journal(device, step, result, duration_us, message,
                   strcmp(result, "ok") == 0 ? 6 : strcmp(result, "warning") == 0 ? 4 : 3);
        return;
    }
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
    if (L.journal_fd >= 0)
        close(L.journal_fd);
    g_free(L.domain);
    g_free(L.op);
}
