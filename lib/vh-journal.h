/* vfio-handoff: the journal of held devices (DESIGN §6) — /run/vfio-handoff, per boot */
#pragma once

#include <glib.h>

#include "vh-host.h"

G_BEGIN_DECLS

/* The owner of devices detached by hand (`vfio-handoff detach`): libvirt forbids '/' in domain
 * names, so no domain can be called this. A domain may use such a device (prepared by someone
 * else, DESIGN §4) and its release does not give it back; `reattach` does. */
#define VH_JOURNAL_MANUAL "/manual"

static inline gboolean
vh_journal_is_manual(const char *domain)
{
    return domain != NULL && domain[0] == '/';
}

typedef enum {
    VH_HOLD_DETACHING, /* written before the device is taken from its driver */
    VH_HOLD_HELD,      /* on vfio-pci for its domain */
    VH_HOLD_RETURNING, /* being given back */
    VH_HOLD_STUCK,     /* a step failed or hung: `recover` must finish it */
} VhHoldState;

typedef struct {
    char *address;
    char *identity;        /* vvvv:dddd:ssss:ssss at handoff */
    char *domain;          /* libvirt domain name */
    char *uuid;            /* its UUID, or NULL */
    int qemu_pid;          /* 0 until `started` records it */
    char *driver;          /* the original driver, NULL when it had none */
    char *driver_override; /* the original override, NULL when unset */
    VhHoldState state;
    char *reason;          /* why it is stuck, or NULL */
    gint64 since;          /* when it was taken (unix seconds) */
    gint64 updated;
} VhHold;

void vh_hold_free(VhHold *hold);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhHold, vh_hold_free)

/* A host-wide lock (flock on RUN/lock) that serialises hooks and the CLI. */
typedef struct VhJournalLock VhJournalLock;

/* Waits up to @timeout_ms for the lock; creates the run directory (mode 0700). */
VhJournalLock *vh_journal_lock(const VhHost *host, guint timeout_ms, GError **error);
void vh_journal_unlock(VhJournalLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhJournalLock, vh_journal_unlock)

/* The lock's fd, to close in a forked child so a child left behind does not keep the lock. */
int vh_journal_lock_fd(const VhJournalLock *lock);

/* Writes (temp, fsync, rename) or removes one device's record. */
gboolean vh_journal_put(const VhHost *host, const VhHold *hold, GError **error);
gboolean vh_journal_remove(const VhHost *host, const char *address, GError **error);

/* The record of one device, or NULL. */
VhHold *vh_journal_get(const VhHost *host, const char *address);

/* Every record, in address order (unreadable records are skipped with a warning in @error
 * left unset). */
GPtrArray *vh_journal_list(const VhHost *host);

/* The records of one domain, in the order they were taken (by time, then address). */
GPtrArray *vh_journal_for_domain(const VhHost *host, const char *domain);

/* Whether any record names @domain: one stat, no lock (the hook's fast path). */
gboolean vh_journal_domain_has_holds(const VhHost *host, const char *domain);

const char *vh_hold_state_to_string(VhHoldState state);

/* Whether process @pid runs on @host (its /proc entry exists). */
gboolean vh_host_pid_alive(const VhHost *host, int pid);

G_END_DECLS
