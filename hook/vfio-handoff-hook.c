/*
 * vfio-handoff-hook: the libvirt qemu hook (installed as /etc/libvirt/hooks/qemu.d/50-vfio-handoff).
 *
 * libvirt runs every qemu hook at every start and stop of every domain, so this front links
 * nothing but libc: it reads the domain XML from stdin, and only when the call concerns
 * vfio-handoff — a PCI <hostdev> that is not managed='yes', or a domain the journal says holds
 * devices — does it exec the engine, which links GLib, libxml2 and libpci. Everything else
 * exits 0 at once (within 1.5x of /bin/true; bench/bench-hook.sh).
 *
 * It never writes stdout (libvirt reads it as replacement XML for migrate and restore).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vh-hook-contract.h"

static int
fail(const char *domain, const char *what)
{
    fprintf(stderr, "vfio-handoff: %s: %s (reinstall vfio-handoff)\n", domain, what);
    return 1;
}

/* Reads stdin whole; NULL when it holds more than VH_DOMAIN_XML_MAX bytes or is unreadable. */
static char *
read_stdin(size_t *len)
{
    size_t cap = 16384, n = 0;
    char *buf = malloc(cap + 1);

    while (buf != NULL) {
        ssize_t r;

        if (n == cap) {
            char *more;

            if (cap >= VH_DOMAIN_XML_MAX) {
                char extra;

                /* exactly at the bound is allowed, as the engine's parser allows it */
                while ((r = read(STDIN_FILENO, &extra, 1)) < 0 && errno == EINTR)
                    ;
                if (r == 0)
                    break;
                free(buf);
                return NULL;
            }
            cap = cap * 2 > VH_DOMAIN_XML_MAX ? VH_DOMAIN_XML_MAX : cap * 2;
            if ((more = realloc(buf, cap + 1)) == NULL) {
                free(buf);
                return NULL;
            }
            buf = more;
        }
        r = read(STDIN_FILENO, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (buf != NULL)
        buf[n] = '\0';
    *len = n;
    return buf;
}

/* attr='value' or attr="value" inside one start tag */
static int
tag_has(const char *tag, size_t len, const char *attr, const char *value)
{
    char a[64], b[64];

    snprintf(a, sizeof(a), "%s='%s'", attr, value);
    snprintf(b, sizeof(b), "%s=\"%s\"", attr, value);
    return memmem(tag, len, a, strlen(a)) != NULL || memmem(tag, len, b, strlen(b)) != NULL;
}

/* A PCI <hostdev> libvirt does not manage (managed absent or 'no'). A false positive only
 * costs an exec of the engine, which parses the XML properly; a false negative is impossible. */
static int
has_unmanaged_pci_hostdev(const char *xml, size_t len)
{
    const char *p = xml, *end = xml + len;

    while ((p = memmem(p, (size_t)(end - p), "<hostdev", 8)) != NULL) {
        const char *close = memchr(p, '>', (size_t)(end - p));
        size_t tag_len = close != NULL ? (size_t)(close - p) : (size_t)(end - p);

        if (tag_has(p, tag_len, "type", "pci") && !tag_has(p, tag_len, "managed", "yes"))
            return 1;
        p += 8;
    }
    return 0;
}

/* the journal holds devices for this domain (its index exists) */
static int
journal_has(const char *domain)
{
    const char *root = getenv("VH_ROOT");
    char run[4096], path[4096];
    struct stat st;

    snprintf(run, sizeof(run), "%s%s/vfio-handoff", root != NULL ? root : "",
             root != NULL ? "/run" : VH_RUNSTATEDIR);
    if (vh_hook_domain_index(run, domain, path, sizeof(path)) != 0)
        return 1; /* cannot tell: let the engine decide */
    return stat(path, &st) == 0;
}

int
main(int argc, char **argv)
{
    const char *engine = getenv("VH_HOOK_ENGINE") ? getenv("VH_HOOK_ENGINE") : VH_HOOK_ENGINE_PATH;
    const char *domain;
    VhHookOp op;
    int fd;
    size_t len = 0;
    char *xml;

    if (argc < 4)
        return 0; /* not called by libvirt */
    domain = argv[1];
    op = vh_hook_op(argv[2], argv[3]);
    if (op == VH_HOOK_OP_OTHER)
        return 0;
    xml = read_stdin(&len);
    if (xml == NULL)
        return op == VH_HOOK_OP_PREPARE || op == VH_HOOK_OP_MIGRATE
                   ? fail(domain, "cannot read the domain XML from stdin, or it exceeds 4 MiB")
                   : 0;
    if (!has_unmanaged_pci_hostdev(xml, len) &&
        !(vh_hook_op_reads_journal(op) && journal_has(domain))) {
        free(xml);
        return 0;
    }
    /* hand the XML to the engine as its stdin */
    fd = memfd_create("vfio-handoff-xml", MFD_CLOEXEC);
    if (fd < 0 || write(fd, xml, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0 ||
        dup2(fd, STDIN_FILENO) < 0) {
        free(xml);
        return vh_hook_op_must_succeed(op) ? 0
                                           : fail(domain, "cannot pass the domain XML to the engine");
    }
    free(xml);
    argv[0] = (char *)engine;
    execv(engine, argv);
    return vh_hook_op_must_succeed(op) ? 0 : fail(domain, "cannot run " VH_HOOK_ENGINE_PATH);
}
