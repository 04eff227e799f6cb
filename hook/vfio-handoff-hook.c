/*
 * vfio-handoff-hook: the libvirt qemu hook (installed as
 * /etc/libvirt/hooks/qemu.d/50-vfio-handoff).
 *
 * libvirt runs every qemu hook at every start and stop of every domain, so this front links
 * nothing but libc: it reads the domain XML from stdin, and only when the call may concern
 * vfio-handoff — the pre-scan (vh-hook-prescan.h) cannot rule out a PCI <hostdev> that is not
 * managed='yes' (at prepare, any PCI <hostdev>: the engine watches libvirt's own), or the
 * journal says the domain holds devices — does it exec the engine, which
 * links GLib, libxml2 and libpci. Everything else exits 0 at once (within 1.5x of /bin/true;
 * bench/bench-hook.sh).
 *
 * It never writes stdout (libvirt reads it as replacement XML for migrate and restore).
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vh-hook-contract.h"
#include "vh-hook-prescan.h"
#include "vh-hook-stdin.h"

static int
fail(const char *domain, const char *what, const char *fix)
{
    fprintf(stderr, "vfio-handoff: %s: %s (fix: %s)\n", domain, what, fix);
    return 1;
}

/* the journal holds devices for this domain (its index exists) */
static int
journal_has(const char *domain)
{
#if VH_TEST_HOOKS
    const char *root = getenv("VH_ROOT");
#else
    const char *root = NULL; /* a package's hook reads no VH_* variable */
#endif
    char run[4096], path[4096];
    struct stat st;

    snprintf(run, sizeof(run), "%s%s/vfio-handoff", root != NULL ? root : "",
             root != NULL ? "/run" : VH_RUNSTATEDIR);
    if (vh_journal_domain_index(run, domain, path, sizeof(path)) != 0)
        return 1; /* cannot tell: let the engine decide */
    return stat(path, &st) == 0;
}

/* A domain XML over the bound: the rest of stdin is read in pieces, looking for what could be
 * a <hostdev>, an <interface type='hostdev'> or an NVMe <disk> (or a NUL byte, which hides what
 * the bytes mean). */
static int
oversize_may_name_hostdev(const char *head, size_t len)
{
    char buf[65536 + 8];
    size_t keep = 7;
    ssize_t r;

    if (vh_hook_prescan_unmanaged_pci(head, len) || memmem(head, len, "hostdev", 7) != NULL ||
        memmem(head, len, "nvme", 4) != NULL)
        return 1;
    memcpy(buf, head + len - keep, keep); /* a word cut between two reads */
    while ((r = read(STDIN_FILENO, buf + keep, sizeof(buf) - keep)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || memchr(buf + keep, '\0', (size_t)r) != NULL ||
            memmem(buf, keep + (size_t)r, "hostdev", 7) != NULL ||
            memmem(buf, keep + (size_t)r, "nvme", 4) != NULL)
            return 1;
        memmove(buf, buf + (size_t)r, keep);
    }
    return 0;
}

/* Runs the engine on @fd as its stdin; returns only when that fails. */
static int
exec_engine(const char *engine, char **argv, int fd, VhHookOp op)
{
    const char *domain = argv[1];

    if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
        return vh_hook_op_must_succeed(op)
                   ? 0
                   : fail(domain, "cannot pass the domain XML to the engine",
                          "start the domain again");
    argv[0] = (char *)engine;
    execv(engine, argv);
    return vh_hook_op_must_succeed(op)
               ? 0
               : fail(domain, "cannot run " VH_HOOK_ENGINE_PATH, "reinstall vfio-handoff");
}

/* The domain XML could not be read whole: what the journal says still holds, and a start that
 * may name a hostdev is refused with the reason. */
static int
unreadable_stdin(const char *engine, char **argv, VhHookOp op, VhStdinResult why, const char *head,
                 size_t len)
{
    const char *domain = argv[1];

    if (vh_hook_op_reads_journal(op) && journal_has(domain))
        return exec_engine(engine, argv, open("/dev/null", O_RDONLY | O_CLOEXEC), op);
    if (why == VH_STDIN_TOO_BIG && !oversize_may_name_hostdev(head, len))
        return 0; /* not ours */
    if (op != VH_HOOK_OP_PREPARE && op != VH_HOOK_OP_MIGRATE && op != VH_HOOK_OP_RESTORE)
        return 0;
    if (why == VH_STDIN_TOO_BIG)
        return fail(domain,
                    "the domain XML on stdin: larger than 4 MiB, the most vfio-handoff reads, "
                    "and it may name a <hostdev>",
                    "make the definition smaller: 'virsh edit' it");
    return fail(domain,
                why == VH_STDIN_NO_MEMORY ? "the domain XML on stdin: out of memory reading it"
                                          : "the domain XML on stdin: cannot be read",
                "start the domain again");
}

int
main(int argc, char **argv)
{
#if VH_TEST_HOOKS
    const char *engine = getenv("VH_HOOK_ENGINE") ? getenv("VH_HOOK_ENGINE") : VH_HOOK_ENGINE_PATH;
#else
    const char *engine = VH_HOOK_ENGINE_PATH; /* never what the environment names */
#endif
    VhStdinResult why;
    VhHookOp op;
    int fd, rc;
    size_t len = 0;
    char *xml;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs("Usage: vfio-handoff-hook DOMAIN OPERATION SUB-OPERATION EXTRA < DOMAIN-XML\n\n"
              "libvirt's qemu hook of vfio-handoff: libvirt runs it at each start and stop of a\n"
              "domain, and it hands the domain's PCI devices to vfio-pci and back. It is not\n"
              "meant to be run by hand: 'vfio-handoff plan DOMAIN' shows what it would do, and\n"
              "vfio-handoff-hook(8) says what it does.\n",
              stdout);
        return 0;
    }
    if (argc < 4) {
        /* libvirt always passes four arguments: a person ran it */
        fputs("vfio-handoff-hook: arguments: missing, libvirt passes DOMAIN OPERATION "
              "SUB-OPERATION EXTRA and the domain XML on stdin (fix: run 'vfio-handoff plan "
              "DOMAIN' to see what it would do, or see 'man vfio-handoff-hook')\n",
              stderr);
        return 2;
    }
    op = vh_hook_op(argv[2], argv[3]);
    if (op == VH_HOOK_OP_OTHER)
        return 0;
    xml = vh_hook_read_all(STDIN_FILENO, &len, &why);
    if (why != VH_STDIN_OK) {
        rc = unreadable_stdin(engine, argv, op, why, xml, len);
        free(xml);
        return rc;
    }
    if (!(op == VH_HOOK_OP_PREPARE ? vh_hook_prescan_any_pci
                                   : vh_hook_prescan_unmanaged_pci)(xml, len) &&
        !(vh_hook_op_reads_journal(op) && journal_has(argv[1]))) {
        free(xml);
        return 0;
    }
    /* hand the XML to the engine as its stdin */
    fd = memfd_create("vfio-handoff-xml", MFD_CLOEXEC);
    if (fd >= 0 && (write(fd, xml, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0)) {
        close(fd);
        fd = -1;
    }
    free(xml);
    return exec_engine(engine, argv, fd, op);
}
