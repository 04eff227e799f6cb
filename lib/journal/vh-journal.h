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
    VH_OWNER_LIBVIRT, /* a managed='yes' device of a domain: libvirt detaches it and should give
                       * it back when the domain stops; vfio-handoff records the driver it had,
                       * to give it back when libvirt leaves it on vfio-pci (HACKING.md, "Why
                       * libvirt leaves devices on vfio-pci") */
} VhOwner;

/* Whether records of @owner belong to a domain (are indexed under its name). */
static inline gboolean
vh_owner_has_domain(VhOwner owner)
{
    return owner != VH_OWNER_BY_HAND;
}

/* "domain", "by-hand", "libvirt": the record's owner key */
const char *vh_owner_to_string(VhOwner owner);

typedef enum {
    VH_JOURNAL_DETACHING, /* written before the device is taken from its driver */
    VH_JOURNAL_HELD,      /* on vfio-pci for its domain */
    VH_JOURNAL_RETURNING, /* being given back */
    VH_JOURNAL_STUCK,     /* a step failed or hung: `recover` must finish it */
    VH_JOURNAL_WEDGED,    /* it does not answer after its reset: kept on vfio-pci, never rebound
                        * to its driver (that can hang the host) unless forced */
} VhJournalState;

/* One device's record; it owns its strings. The journal hands out copies: changing one changes
 * nothing on disk until vh_journal_put(). */
typedef struct {
    char *address;
    char *identity;        /* vvvv:dddd:ssss:ssss at handoff */
    VhOwner owner;
    char *domain;          /* libvirt domain name; NULL when by hand */
    char *uuid;            /* its UUID, or NULL */
    int qemu_pid;          /* 0 until `started` records it */
    char *driver;          /* the original driver, NULL when it had none */
    char *driver_override; /* the original override, NULL when unset */
    VhJournalState state;
    char *reason;          /* why it is stuck, or NULL */
    /* the host's console, released from this GPU before it was taken (console-handoff) and
     * restored after it is back: journaled before the first console step */
    char *console;         /* the framebuffer it was on ("fb0 (EFI VGA)"), or NULL */
    char **vtcons;         /* the framebuffer consoles unbound ("vtcon1"), or NULL */
    char **platform_fbs;   /* the firmware framebuffers unbound ("efi-framebuffer.0:DRIVER") */
    gint64 since;          /* when it was taken (unix seconds) */
    gint64 updated;
} VhJournalRecord;

void vh_journal_record_free(VhJournalRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhJournalRecord, vh_journal_record_free)

/* A file in the journal that is not a readable record: reported by `status` and `recover`,
 * never dropped (its device may still be on vfio-pci). */
typedef struct {
    char *name;   /* its file name: the device's address when it is one */
    char *reason; /* why it cannot be read */
} VhJournalUnreadable;

void vh_journal_unreadable_free(VhJournalUnreadable *u);

/* lib/journal/vh-journal-record.c: one record as text, and the strict reading of it (the address must
 * be the file's @name, the state and owner known, the drivers driver names, the numbers whole).
 * The reason a text is refused goes to @error. */
#define VH_JOURNAL_DRIVER_MAX 64
char *vh_journal_record_to_text(const VhJournalRecord *record);
VhJournalRecord *vh_journal_record_parse(const char *name, const char *text, gsize len,
                                         GError **error);
gboolean vh_journal_is_driver_name(const char *name);

/* A host-wide lock (flock on RUN/lock) that serialises hooks and the CLI. */
typedef struct VhJournalLock VhJournalLock;

/* Waits up to @timeout_ms for the lock. Creates the run directory (mode 0700) and refuses one
 * that is a symbolic link, writable by group or others, or owned by another user; removes the
 * temporaries and the stale index marks a killed writer left. */
VhJournalLock *vh_journal_lock(const VhHost *host, guint timeout_ms, GError **error);
void vh_journal_unlock(VhJournalLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhJournalLock, vh_journal_unlock)

/* Writes one device's record (a temporary, fsync, rename over the old one: a crash leaves
 * either record whole) and indexes it under its domain; a record of another owner is replaced
 * in that one rename, then the old owner's index is cleared. */
gboolean vh_journal_put(const VhHost *host, const VhJournalRecord *record, GError **error);
gboolean vh_journal_remove(const VhHost *host, const char *address, GError **error);

/* The record of one device; NULL with @error unset when there is none, NULL with @error set
 * when it cannot be read. */
VhJournalRecord *vh_journal_get(const VhHost *host, const char *address, GError **error);

/* Every readable record, in the order they were taken; what cannot be read is added to
 * @unreadable (VhJournalUnreadable *, may be NULL). */
GPtrArray *vh_journal_list(const VhHost *host, GPtrArray *unreadable);

/* The records of one domain, in the order they were taken (by time, then address). */
GPtrArray *vh_journal_for_domain(const VhHost *host, const char *domain);

const char *vh_journal_state_to_string(VhJournalState state);

/*
 * Starting marks: a domain's managed='yes' PCI devices, from its prepare hook until `started`
 * (libvirt's status file names them from then on) or its release, in its index directory
 * (RUN/domains/NAME/starting, so that the hook's front runs the engine for its started and
 * release). Another domain's release does not give back a device libvirt has just detached for
 * a domain that is starting with it. A mark older than VH_JOURNAL_STARTING_MAX_S is stale (a
 * daemon that died mid-start) and no longer counts. Under the lock.
 */
#define VH_JOURNAL_STARTING_MAX_S 300
gboolean vh_journal_mark_starting(const VhHost *host, const char *domain,
                                  const GPtrArray *addresses, GError **error);
void vh_journal_unmark_starting(const VhHost *host, const char *domain);
/* The domain, other than @exclude, whose fresh starting mark names @address, or NULL. */
char *vh_journal_starting_user(const VhHost *host, const char *address, const char *exclude);

G_END_DECLS
