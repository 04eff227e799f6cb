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

#include "vh-escape.h"

/* the same bound as the engine's XML parser */
#define MAX_XML (4 * 1024 * 1024)

static int
fail(const char *domain, const char *what)
{
    fprintf(stderr, "vfio-handoff: %s: %s (reinstall vfio-handoff)\n", domain, what);
    return 1;
}

/* Reads stdin whole; NULL when it is larger than MAX_XML or unreadable. */
static char *
read_stdin(size_t *len)
{
    size_t cap = 16384, n = 0;
    char *buf = malloc(cap + 1);

    while (buf != NULL) {
        ssize_t r;

        if (n == cap) {
            char *more;

            if (cap >= MAX_XML) {
                free(buf);
                return NULL;
            }
            cap *= 2;
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

/* RUN/domains/NAME exists: the journal holds devices for this domain */
static int
journal_has(const char *domain)
{
    const char *root = getenv("VH_ROOT");
    char escaped[1024], path[4096];
    struct stat st;

    if (vh_escape_name(domain, escaped, sizeof(escaped)) != 0)
        return 1; /* cannot tell: let the engine decide */
    snprintf(path, sizeof(path), "%s%s/vfio-handoff/domains/%s", root != NULL ? root : "",
             root != NULL ? "/run" : VH_RUNSTATEDIR, escaped);
    return stat(path, &st) == 0;
}

int
main(int argc, char **argv)
{
    const char *engine = getenv("VH_HOOK_ENGINE") ? getenv("VH_HOOK_ENGINE") : VH_HOOK_ENGINE_PATH;
    const char *domain, *op, *sub;
    int needs_xml, needs_journal, fd;
    size_t len = 0;
    char *xml;

    if (argc < 4)
        return 0; /* not called by libvirt */
    domain = argv[1];
    op = argv[2];
    sub = argv[3];
    /* DESIGN §4: the ops vfio-handoff acts on; every other call is none of its business */
    needs_xml = strcmp(op, "prepare") == 0 && strcmp(sub, "begin") == 0;
    needs_journal = (strcmp(op, "release") == 0 && strcmp(sub, "end") == 0) ||
                    ((strcmp(op, "started") == 0 || strcmp(op, "reconnect") == 0 ||
                      strcmp(op, "migrate") == 0 || strcmp(op, "restore") == 0) &&
                     strcmp(sub, "begin") == 0);
    if (!needs_xml && !needs_journal)
        return 0;
    xml = read_stdin(&len);
    if (xml == NULL)
        return strcmp(op, "prepare") == 0 || strcmp(op, "migrate") == 0
                   ? fail(domain, "cannot read the domain XML from stdin, or it exceeds 4 MiB")
                   : 0;
    if (!has_unmanaged_pci_hostdev(xml, len) && !(needs_journal && journal_has(domain))) {
        free(xml);
        return 0;
    }
    /* hand the XML to the engine as its stdin */
    fd = memfd_create("vfio-handoff-xml", MFD_CLOEXEC);
    if (fd < 0 || write(fd, xml, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0 ||
        dup2(fd, STDIN_FILENO) < 0) {
        free(xml);
        return strcmp(op, "release") == 0 || strcmp(op, "reconnect") == 0
                   ? 0
                   : fail(domain, "cannot pass the domain XML to the engine");
    }
    free(xml);
    argv[0] = (char *)engine;
    execv(engine, argv);
    /* release and reconnect must never fail libvirt (reconnect's failure kills the VM) */
    if (strcmp(op, "release") == 0 || strcmp(op, "reconnect") == 0)
        return 0;
    return fail(domain, "cannot run " VH_HOOK_ENGINE_PATH);
}
