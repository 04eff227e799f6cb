/* vfio-handoff: handing a set of devices to vfio-pci and back, as transactions (DESIGN §4, §6),
 * in the manner of libvirt's virHostdevPreparePCIDevices */
#pragma once

#include <glib.h>

#include "vh-bind.h"
#include "vh-journal.h"
#include "vh-snapshot.h"

G_BEGIN_DECLS

/* Whom the devices are handed off for. */
typedef struct {
    VhOwner owner;
    const char *domain; /* the domain's name (VH_OWNER_DOMAIN), else NULL */
    const char *uuid;   /* its UUID, or NULL */
} VhHandoffOwner;

/* What the handoff did to one device (a recording: what it would do). */
typedef struct {
    char *address;
    char *driver;  /* the driver it goes back to: the one it was taken from, or, taken over, the
                    * one its earlier record names; NULL: none */
    char *vfio_driver;   /* the VFIO driver it is on now: vfio-pci, or a variant */
    gboolean taken_over; /* it was journaled already (on vfio-pci where a holder that is gone, or
                          * an earlier try, left it), and is not taken from a driver now */
    char *console; /* what of the host's console was released from it first ("vtcon1 on fb0
                    * (EFI VGA), efi-framebuffer.0 (efi-framebuffer)"), or NULL */
    char *note;    /* what of that console will not come back, THING: REASON (fix: FIX), or
                    * NULL */
} VhHandoff;

void vh_handoff_free(VhHandoff *done);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhHandoff, vh_handoff_free)

/*
 * Hands @devices (VhPciDevice *, from @snap, as the policy decided) to VFIO for @owner, each
 * to the driver module @vfio_drivers names for its address (may be NULL; a device it does not
 * name goes to vfio-pci), registered first (vh-driver-load.h):
 * journal each (its original driver and override; a device left on vfio-pci by a holder that
 * is gone keeps what that holder recorded), detach independent devices in parallel, verify.
 * Returns what was done to each (VhHandoff *, in the order of @devices). On any failure, what
 * was taken is given back in reverse order (a device that cannot be given back stays in the
 * journal as stuck) and the first failure is returned, as "0000:01:00.1: ...". With a
 * recording @w, the steps go to w->steps in order, nothing is journaled or written, and what
 * would be done is returned.
 * Of @consoles (VhPciDevice *, of @devices, may be NULL: boot VGA devices with
 * console-handoff), the console is released first (lib/handoff/vh-console-handoff.h),
 * journaled with the device before the first console step; given back after the device, last.
 */
GPtrArray *vh_handoff_prepare(const VhSnapshot *snap, const VhHandoffOwner *owner,
                              const GPtrArray *devices, const GPtrArray *consoles,
                              GHashTable *vfio_drivers, const VhWriter *w, GError **error);

/* What became of one device when its domain stopped. */
typedef enum {
    VH_RETURN_GIVEN_BACK,      /* vfio-handoff's: back on its recorded driver */
    VH_RETURN_BY_LIBVIRT,      /* libvirt's (managed='yes'): off vfio-pci, libvirt gave it back */
    VH_RETURN_LEFT_BY_LIBVIRT, /* libvirt's: left on vfio-pci; vfio-handoff gave it back */
    VH_RETURN_IN_USE,          /* a process holds its group now: kept on vfio-pci for it, the
                                * record as it was (the holder's name in detail) */
    VH_RETURN_HANDED_OVER,     /* another domain holds it now: kept on vfio-pci, its record
                                * handed over to that domain as libvirt's, so that its stop
                                * gives the device back */
    VH_RETURN_FAILED,          /* not given back: stays in the journal, marked stuck */
    VH_RETURN_WEDGED,          /* does not answer after its reset: kept on vfio-pci, marked
                                * wedged (rebinding its driver could hang the host) */
} VhReturnOutcome;

typedef struct {
    char *address;
    VhReturnOutcome outcome;
    char *driver;  /* the driver it is on now (or was to go back to, when it failed) */
    char *detail;  /* why it failed (for a wedged one, with what a user can do), or who holds
                    * it; else NULL */
    char *fix;     /* for one kept for a holder: what to do to have it back now */
    char *warning; /* given back, but its console could not come back: why, and the fix */
} VhReturn;

void vh_return_free(VhReturn *ret);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhReturn, vh_return_free)

/* Gives back one record: a device of vfio-handoff's to its recorded driver and override; a
 * device of libvirt's only when libvirt left it on vfio-pci. Either way the record leaves the
 * journal, unless the give back fails (then it stays, stuck), or a process holds the device's
 * group now: then it is kept, and its record handed over when that process is another domain's
 * QEMU (VH_RETURN_HANDED_OVER). A device of libvirt's that another domain's libvirt status names
 * is handed over to that domain the same way. */
VhReturn *vh_handoff_release_one(const VhHost *host, VhJournalRecord *record, const VhWriter *w);

/* vh_handoff_release_one for every device @domain holds or watches, in reverse order (VhReturn *).
 */
GPtrArray *vh_handoff_give_back_domain(const VhHost *host, const char *domain, const VhWriter *w);

/* How many of @returns were not given back (failed or wedged). */
guint vh_returns_failed(const GPtrArray *returns);

/* Records, for @domain, the driver of each of @devices (VhPciDevice *: managed='yes' hostdevs
 * that libvirt is about to detach), as libvirt's (VH_OWNER_LIBVIRT); a device a stale record
 * names keeps that record's driver, override and console (a takeover). */
gboolean vh_handoff_watch(const VhSnapshot *snap, const char *domain, const char *uuid,
                          const GPtrArray *devices, GError **error);

typedef enum {
    VH_GIVE_BACK_CHECKED = 0,    /* only a device that answers (vh_bind_check_answers) */
    VH_GIVE_BACK_FORCE = 1 << 0, /* even one that does not (reattach --force) */
} VhGiveBackFlags;

/* Gives back one journaled device (recover, reattach), then the console released from it. A
 * device whose IOMMU group a process holds open now is not touched, whatever the flags, and
 * neither is its record (VH_ERROR_IN_USE, naming the holder: vh_holders_of_device_now); nor is
 * one when who holds it cannot be told. A device that does not answer is not touched: its record is
 * marked wedged (VH_ERROR_WEDGED); any other failure marks it stuck. A device that is not back
 * leaves its console released (on the dummy console) and in its record. What of its console cannot
 * come back goes to *@warning (may be NULL; see vh_console_restore). */
gboolean vh_handoff_give_back(const VhHost *host, VhJournalRecord *record, const VhWriter *w,
                              VhGiveBackFlags flags, char **warning, GError **error);

/* What a wedged @record means and what a user can do: "<its reason>; kept on vfio-pci, as
 * giving it back to DRIVER could hang the host (fix: ...)". */
char *vh_handoff_wedged_text(const VhJournalRecord *record);

/* Records the QEMU pid of @domain's devices (the `started` hook). */
void vh_handoff_record_pid(const VhHost *host, const char *domain, int pid);

G_END_DECLS
