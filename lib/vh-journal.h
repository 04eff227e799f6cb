/* vfio-handoff: the journal of held devices (DESIGN §6) — /run/vfio-handoff, per boot */
#pragma once

#include <glib.h>

#include "vh-host.h"

G_BEGIN_DECLS

/* Who a device was handed off for. A device detached by hand (`vfio-handoff detach`) is for no
 * domain: any domain may use it (prepared by someone else, DESIGN §4), its release does not give
 * it back, `reattach` does. */
typedef enum {
    VH_OWNER_DOMAIN,  /* a libvirt domain: given back when it stops */
    VH_OWNER_BY_HAND, /* vfio-handoff detach: given back by reattach */
} VhOwner;

typedef enum {
    VH_HOLD_DETACHING, /* written before the device is taken from its driver */
    VH_HOLD_HELD,      /* on vfio-pci for its domain */
    VH_HOLD_RETURNING, /* being given back */
    VH_HOLD_STUCK,     /* a step failed or hung: `recover` must finish it */
} VhHoldState;

typedef struct {
    char *address;
    char *identity;        /* vvvv:dddd:ssss:ssss at handoff */
    VhOwner owner;
    char *domain;          /* libvirt domain name; NULL when by hand */
    char *uuid;            /* its UUID, or NULL */
    int qemu_pid;          /* 0 until `started` records it */
    char *driver;          /* the original driver, NULL when it had none */
    char *driver_override; /* the original override, NULL when unset */
    VhHoldState state;
    char *reason;          /* why it is stuck, or NULL */
    gint64 since;          /* when it was taken (unix seconds) */
    gint64 updated;
} VhJournalRecord;

void vh_journal_record_free(VhJournalRecord *hold);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhJournalRecord, vh_journal_record_free)

/* A host-wide lock (flock on RUN/lock) that serialises hooks and the CLI. */
typedef struct VhJournalLock VhJournalLock;

/* Waits up to @timeout_ms for the lock; creates the run directory (mode 0700). */
VhJournalLock *vh_journal_lock(const VhHost *host, guint timeout_ms, GError **error);
void vh_journal_unlock(VhJournalLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhJournalLock, vh_journal_unlock)

/* Writes (temp, fsync, rename) or removes one device's record. Remove a record before writing
 * it for another owner, so that the old owner's index does not name it. */
gboolean vh_journal_put(const VhHost *host, const VhJournalRecord *hold, GError **error);
gboolean vh_journal_remove(const VhHost *host, const char *address, GError **error);

/* The record of one device, or NULL. */
VhJournalRecord *vh_journal_get(const VhHost *host, const char *address);

/* Every record, in address order (unreadable records are skipped with a warning in @error
 * left unset). */
GPtrArray *vh_journal_list(const VhHost *host);

/* The records of one domain, in the order they were taken (by time, then address). */
GPtrArray *vh_journal_for_domain(const VhHost *host, const char *domain);

const char *vh_hold_state_to_string(VhHoldState state);

G_END_DECLS
