/* vfio-handoff: the libvirt qemu hook's contract, in plain C (no GLib) so that the libc-only
 * front and the engine share it: the calls vfio-handoff acts on, which must never fail
 * libvirt, the bound on the domain XML, and where the journal says that a domain holds devices.
 * (The journal, lib/vh-journal.c, writes that index with the same function.)
 * libvirt's side: docs/hooks.rst and ../shared/notes/libvirt-internals.md; ours: DESIGN §4. */
#pragma once

#include <stdio.h>
#include <string.h>

#include "vh-escape.h"

/* A domain's XML, on the hook's stdin and wherever vfio-handoff parses one, is at most this
 * many bytes (a definition is tens of KiB). */
#define VH_DOMAIN_XML_MAX (4 * 1024 * 1024)

/* The calls vfio-handoff acts on (libvirt's OP SUBOP); every other call is none of its business. */
typedef enum {
    VH_HOOK_OP_OTHER,
    VH_HOOK_OP_PREPARE,   /* prepare begin: check, then hand the devices off */
    VH_HOOK_OP_STARTED,   /* started begin: record the QEMU pid */
    VH_HOOK_OP_RELEASE,   /* release end: give every device back */
    VH_HOOK_OP_MIGRATE,   /* migrate begin: refuse while devices are handed off */
    VH_HOOK_OP_RESTORE,   /* restore begin: likewise */
    VH_HOOK_OP_RECONNECT, /* reconnect begin: the daemon restarted; bring the journal up to date */
} VhHookOp;

static inline VhHookOp
vh_hook_op(const char *op, const char *sub)
{
    static const struct {
        const char *op, *sub;
        VhHookOp value;
    } calls[] = {
        {"prepare", "begin", VH_HOOK_OP_PREPARE}, {"started", "begin", VH_HOOK_OP_STARTED},
        {"release", "end", VH_HOOK_OP_RELEASE},   {"migrate", "begin", VH_HOOK_OP_MIGRATE},
        {"restore", "begin", VH_HOOK_OP_RESTORE}, {"reconnect", "begin", VH_HOOK_OP_RECONNECT},
    };

    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        if (strcmp(op, calls[i].op) == 0 && strcmp(sub, calls[i].sub) == 0)
            return calls[i].value;
    }
    return VH_HOOK_OP_OTHER;
}

/* Whether the journal can make a call ours although the XML names no device of ours: every
 * call after prepare acts on what the domain holds. */
static inline int
vh_hook_op_reads_journal(VhHookOp op)
{
    return op != VH_HOOK_OP_OTHER && op != VH_HOOK_OP_PREPARE;
}

/* Calls whose exit status must be 0 whatever happens to vfio-handoff's own work: a failed
 * started tears down a VM that runs fine (libvirt fails the start), a failed reconnect kills
 * the running VM, and a failed release is ignored by libvirt anyway (what it left is logged
 * and kept for `vfio-handoff recover`). (../shared/notes/libvirt-internals.md, hook table) */
static inline int
vh_hook_op_must_succeed(VhHookOp op)
{
    return op == VH_HOOK_OP_STARTED || op == VH_HOOK_OP_RELEASE || op == VH_HOOK_OP_RECONNECT;
}

/* The journal's index of a domain's holds: RUN/domains/NAME exists while the journal holds
 * devices for that domain, so that the front can tell with one stat. NAME is the domain name
 * escaped by vh_escape_name(); a name whose escape would not fit a file name (libvirt allows
 * any length) is its first 32 bytes escaped, '~' and a 64-bit FNV-1a hash of the whole name. Two
 * names may share a directory: that only makes the front exec the engine, which reads the
 * records, and they carry the whole name. */
#define VH_JOURNAL_DOMAINS_DIR "domains"
#define VH_JOURNAL_INDEX_NAME_MAX 256

static inline int
vh_hook_index_name(const char *domain, char *out, size_t size)
{
    char head[33];
    unsigned long long hash = 0xcbf29ce484222325ULL;
    size_t n = strlen(domain);

    if (n == 0)
        return -1;
    if (n <= 64 && vh_escape_name(domain, out, size) == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        hash = (hash ^ (unsigned char)domain[i]) * 0x100000001b3ULL;
    memcpy(head, domain, 32);
    head[32] = '\0';
    if (vh_escape_name(head, out, size) != 0)
        return -1;
    n = strlen(out);
    return snprintf(out + n, size - n, "~%016llx", hash) >= (int)(size - n) ? -1 : 0;
}

/* Writes RUN/domains/NAME to @out; -1 when it does not fit. */
static inline int
vh_hook_domain_index(const char *run_dir, const char *domain, char *out, size_t size)
{
    char name[VH_JOURNAL_INDEX_NAME_MAX];
    int n;

    if (vh_hook_index_name(domain, name, sizeof(name)) != 0)
        return -1;
    n = snprintf(out, size, "%s/" VH_JOURNAL_DOMAINS_DIR "/%s", run_dir, name);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}
