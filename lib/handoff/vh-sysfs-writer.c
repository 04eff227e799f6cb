/* vfio-handoff: the writer of kernel files. Each device's writes go through one child
 * process: the parent sends it a request (the path and the value) on a socket and waits, at
 * most step-timeout, for the errno it sends back on a pipe. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vh-error.h"
#include "vh-sysfs-writer.h"

/* a request: the lengths, then the path and the value (no NULs) */
typedef struct {
    uint32_t path_len;
    uint32_t value_len;
} Request;

#define VALUE_MAX 4096

struct VhWriteSession {
    const VhHost *host;
    const VhWriter *w;
    pid_t pid;     /* 0 until the first write */
    int requests;  /* to the child */
    int reports;   /* from the child */
    gboolean hung; /* a write did not finish: the child is abandoned */
};

void
vh_step_free(VhStep *step)
{
    g_free(step->device);
    g_free(step->path);
    g_free(step->value);
    g_free(step);
}

void
vh_step_record(const VhWriter *w, VhStepKind kind, const char *device, const char *path,
               const char *value)
{
    VhStep *s = g_new0(VhStep, 1);

    s->kind = kind;
    s->device = g_strdup(device);
    s->path = g_strdup(path);
    s->value = g_strdup(value);
    g_ptr_array_add(w->steps, s);
}

char *
vh_step_describe(const VhStep *step)
{
    switch (step->kind) {
    case VH_STEP_LOAD_MODULE:
        return g_strdup_printf("load the %s kernel module", step->path);
    case VH_STEP_WRITE:
        return g_strdup_printf("write '%s' to %s", step->value, step->path);
    case VH_STEP_VERIFY_LINK:
        if (step->value == NULL)
            return g_strdup_printf("verify %s is gone", step->path);
        return g_strdup_printf("verify %s -> %s", step->path, step->value);
    case VH_STEP_VERIFY_NODE:
        return g_strdup_printf("verify %s exists", step->path);
    case VH_STEP_VERIFY_ANSWERS:
        return g_strdup_printf("verify %s answers (its header does not read all ones)", step->path);
    }
    g_assert_not_reached();
}

const char *
vh_step_kind_to_string(VhStepKind kind)
{
    switch (kind) {
    case VH_STEP_LOAD_MODULE:
        return "load-module";
    case VH_STEP_WRITE:
        return "write";
    case VH_STEP_VERIFY_LINK:
        return "verify-link";
    case VH_STEP_VERIFY_NODE:
        return "verify-node";
    case VH_STEP_VERIFY_ANSWERS:
        return "verify-answers";
    }
    g_assert_not_reached();
}

/* Closes every descriptor but @a and @b (async-signal-safe): a writer left hung in the kernel
 * must hold neither the journal lock nor libvirt's stdout and stderr pipes. */
static void
close_all_but(int a, int b)
{
    unsigned lo = (unsigned)MIN(a, b), hi = (unsigned)MAX(a, b);

    if ((lo > 0 && syscall(SYS_close_range, 0U, lo - 1, 0U) != 0) ||
        (hi > lo + 1 && syscall(SYS_close_range, lo + 1, hi - 1, 0U) != 0) ||
        syscall(SYS_close_range, hi + 1, ~0U, 0U) != 0) {
        for (int fd = 0; fd < 65536; fd++) {
            if (fd != a && fd != b)
                close(fd);
        }
    }
}

/* Reads exactly @len bytes; FALSE at the end of the requests or on an error. */
static gboolean
read_all(int fd, void *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = read(fd, (char *)buf + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        done += (size_t)n;
    }
    return TRUE;
}

/* The writer child: async-signal-safe calls only (the parent may have threads). It makes each
 * request's write and reports its errno, until the parent closes the requests. */
static G_GNUC_NORETURN void
writer_child(int requests, int reports)
{
    char path[PATH_MAX], value[VALUE_MAX];
    Request r;

    close_all_but(requests, reports);
    while (read_all(requests, &r, sizeof(r))) {
        int fd, e = 0;

        if (r.path_len >= sizeof(path) || r.value_len > sizeof(value) ||
            !read_all(requests, path, r.path_len) || !read_all(requests, value, r.value_len))
            _exit(1);
        path[r.path_len] = '\0';
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            e = errno;
        else if (write(fd, value, r.value_len) < 0)
            e = errno;
        if (fd >= 0 && close(fd) != 0 && e == 0)
            e = errno;
        if (write(reports, &e, sizeof(e)) != sizeof(e))
            _exit(1);
    }
    _exit(0);
}

static gboolean
start_child(VhWriteSession *s, const char *path, GError **error)
{
    int req[2], rep[2];

    /* a socket, so that a request to a child that died fails with EPIPE, not SIGPIPE */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, req) != 0) {
        vh_error_set_errno(error, errno, "create a socket for it", path);
        return FALSE;
    }
    if (pipe2(rep, O_CLOEXEC) != 0) {
        int errsv = errno;

        close(req[0]);
        close(req[1]);
        vh_error_set_errno(error, errsv, "create a pipe for it", path);
        return FALSE;
    }
    s->pid = fork();
    if (s->pid == 0)
        writer_child(req[0], rep[1]);
    close(req[0]);
    close(rep[1]);
    if (s->pid < 0) {
        int errsv = errno;

        close(req[1]);
        close(rep[0]);
        s->pid = 0;
        vh_error_set_errno(error, errsv, "fork to write it", path);
        return FALSE;
    }
    s->requests = req[1];
    s->reports = rep[0];
    return TRUE;
}

/* Sends one request and waits for its errno; FALSE with a timeout error when the write hangs
 * in the kernel (the child is then abandoned). */
static gboolean
request(VhWriteSession *s, const char *path, const char *value, GError **error)
{
    struct pollfd pfd = {.fd = s->reports, .events = POLLIN};
    Request r = {(uint32_t)strlen(path), (uint32_t)strlen(value)};
    g_autofree char *v = g_strchomp(g_strdup(value));
    int child_errno = 0;
    ssize_t n;

    if (send(s->requests, &r, sizeof(r), MSG_NOSIGNAL) != sizeof(r) ||
        send(s->requests, path, r.path_len, MSG_NOSIGNAL) != (ssize_t)r.path_len ||
        send(s->requests, value, r.value_len, MSG_NOSIGNAL) != (ssize_t)r.value_len) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: the process writing it died (fix: see the kernel log, 'journalctl -k')",
                    path);
        return FALSE;
    }
    do {
        n = poll(&pfd, 1, (int)s->w->timeout_ms);
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
        s->hung = TRUE; /* hung in the kernel: leave the child, report, go on */
        g_set_error(error, VH_ERROR, VH_ERROR_TIMED_OUT,
                    "%s: writing '%s' did not finish in %u ms, the kernel is stuck on it (fix: see "
                    "the kernel log, 'journalctl -k'; a reboot frees the device)",
                    path, v, s->w->timeout_ms);
        return FALSE;
    }
    if (!read_all(s->reports, &child_errno, sizeof(child_errno))) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: the process writing it died (fix: see the kernel log, 'journalctl -k')",
                    path);
        return FALSE;
    }
    if (child_errno != 0) {
        g_set_error(error, VH_ERROR, VH_ERROR_IO, "%s: writing '%s' failed, %s (fix: %s)", path,
                    v, g_strerror(child_errno), vh_error_errno_fix(child_errno));
        return FALSE;
    }
    return TRUE;
}

VhWriteSession *
vh_write_session_new(const VhHost *host, const VhWriter *w)
{
    VhWriteSession *s = g_new0(VhWriteSession, 1);

    s->host = host;
    s->w = w;
    s->requests = s->reports = -1;
    return s;
}

gboolean
vh_write_session_write(VhWriteSession *s, const char *device, const char *path, const char *value,
                       GError **error)
{
    const char *sysfs = s->host->sysfs;

    /* only kernel files below this host's sysfs, and never a path that climbs out of it */
    if (!g_str_has_prefix(path, sysfs) || path[strlen(sysfs)] != '/' ||
        strstr(path, "/../") != NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "%s: not written, as it is not below '%s' (fix: none: vfio-handoff writes "
                    "only sysfs files)",
                    path, sysfs);
        return FALSE;
    }
    if (s->w->steps != NULL) {
        vh_step_record(s->w, VH_STEP_WRITE, device, path, value);
        return TRUE;
    }
    if (strlen(value) > VALUE_MAX || strlen(path) >= PATH_MAX) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "%s: not written, %zu bytes is too long (fix: none: sysfs files take short "
                    "values)",
                    path, strlen(value));
        return FALSE;
    }
    if (s->hung) {
        g_set_error(error, VH_ERROR, VH_ERROR_TIMED_OUT,
                    "%s: not written, as an earlier write of this device is stuck in the kernel "
                    "(fix: reboot the host to free the device)",
                    path);
        return FALSE;
    }
    if (s->pid == 0 && !start_child(s, path, error))
        return FALSE;
    return request(s, path, value, error);
}

void
vh_write_session_free(VhWriteSession *s)
{
    if (s == NULL)
        return;
    if (s->requests >= 0)
        close(s->requests); /* the child sees the end of the requests and exits */
    if (s->reports >= 0)
        close(s->reports);
    if (s->pid > 0 && !s->hung) {
        while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    g_free(s);
}

gboolean
vh_writer_write(const VhHost *host, const char *device, const char *path, const char *value,
                const VhWriter *w, GError **error)
{
    g_autoptr(VhWriteSession) s = vh_write_session_new(host, w);

    return vh_write_session_write(s, device, path, value, error);
}
