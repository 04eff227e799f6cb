/* vfio-handoff: the libvirt qemu hook's contract, in plain C (no GLib) so that the libc-only
 * front and the engine share it: the calls vfio-handoff acts on and which of them must never
 * fail libvirt. libvirt's side: docs/hooks.rst and ../shared/notes/libvirt-internals.md; ours:
 * DESIGN §4. The journal's index the front reads is lib/journal/vh-journal-index.h; the bound
 * on the XML it reads is lib/domain/vh-domain-size.h. */
#pragma once

#include <string.h>

#include "vh-domain-size.h"
#include "vh-journal-index.h"

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
