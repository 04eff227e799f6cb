/*
 * vh-killpoint.so: an LD_PRELOAD library for the kill-point sweep (tests/reliability/
 * kill-sweep.sh). Every change a process tree makes to files — a write to a regular file (a
 * sysfs attribute of the fake kernel, a journal temporary), a rename, an unlink, a mkdir or
 * rmdir, an open that may create — is a point, counted across the tree in a shared counter.
 * After the change at point VH_KILL_AT is done, the whole process group is killed with SIGKILL,
 * as a power cut would stop it there. VH_KILL_LOG gets one line per point.
 *
 *   VH_KILL_COUNTER=FILE (8 bytes, zeroed)  VH_KILL_AT=N (0: never)  VH_KILL_LOG=FILE
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static long *counter;
static long kill_at;
static const char *log_path;

/* the libc function this library stands in front of (the path calls go through their *at
 * forms below, as glibc's own do, so that each change is one point) */
static void *
next(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

__attribute__((constructor)) static void
init(void)
{
    const char *c = getenv("VH_KILL_COUNTER"), *at = getenv("VH_KILL_AT"),
               *log = getenv("VH_KILL_LOG");
    int fd;

    long *shared;

    log_path = log;
    if (c == NULL || (fd = open(c, O_RDWR | O_CLOEXEC)) < 0)
        return;
    shared = mmap(NULL, sizeof(long), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    kill_at = at != NULL ? atol(at) : 0;
    counter = shared != MAP_FAILED ? shared : NULL;
}

static void
point(const char *op, const char *what)
{
    long n;

    if (counter == NULL)
        return;
    n = __atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST);
    if (log_path != NULL) {
        /* opened each time: the sysfs writer's child closes every descriptor it inherits */
        int (*real_open)(const char *, int, ...) = next("open");
        int fd = real_open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

        if (fd >= 0) {
            dprintf(fd, "%ld %s %s\n", n, op, what);
            close(fd);
        }
    }
    if (n == kill_at) {
        kill(0, SIGKILL);
        for (;;)
            pause();
    }
}

static const char *
fd_path(int fd, char *buf, size_t size)
{
    char link[64];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, buf, size - 1);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

ssize_t
write(int fd, const void *data, size_t len)
{
    ssize_t (*real)(int, const void *, size_t) = next("write");
    ssize_t r = real(fd, data, len);
    struct stat st;
    char path[512];

    if (r > 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        point("write", fd_path(fd, path, sizeof(path)));
    return r;
}

int
renameat(int a, const char *from, int b, const char *to)
{
    int (*real)(int, const char *, int, const char *) = next("renameat");
    int r = real(a, from, b, to);

    if (r == 0)
        point("rename", to);
    return r;
}

int
rename(const char *from, const char *to)
{
    return renameat(AT_FDCWD, from, AT_FDCWD, to);
}

int
unlinkat(int dirfd, const char *path, int flags)
{
    int (*real)(int, const char *, int) = next("unlinkat");
    int r = real(dirfd, path, flags);

    if (r == 0)
        point((flags & AT_REMOVEDIR) ? "rmdir" : "unlink", path);
    return r;
}

int
unlink(const char *path)
{
    return unlinkat(AT_FDCWD, path, 0);
}

int
rmdir(const char *path)
{
    return unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

int
mkdirat(int dirfd, const char *path, mode_t mode)
{
    int (*real)(int, const char *, mode_t) = next("mkdirat");
    int r = real(dirfd, path, mode);

    if (r == 0)
        point("mkdir", path);
    return r;
}

int
mkdir(const char *path, mode_t mode)
{
    return mkdirat(AT_FDCWD, path, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
    int (*real)(int, const char *, int, ...) = next("openat");
    mode_t mode = 0;
    int r;

    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;

        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    r = real(dirfd, path, flags, mode);
    if (r >= 0 && (flags & O_CREAT))
        point("create", path);
    return r;
}

int
open(const char *path, int flags, ...)
{
    mode_t mode = 0;

    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;

        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    return openat(AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));
int openat64(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat")));
