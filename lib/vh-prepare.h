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

/*
 * Hands @devices (VhPciDevice *, from @snap, as the policy decided) to vfio-pci for @owner:
 * journal each (its original driver and override; a device left on vfio-pci by a holder that
 * is gone keeps what that holder recorded), detach independent devices in parallel, verify. On
 * any failure, what was taken is given back in reverse order (a device that cannot be given
 * back stays in the journal as stuck) and the first failure is returned, as
 * "0000:01:00.1: ...". With a recording @w, the steps go to w->steps in order, and nothing is
 * journaled or written.
 */
gboolean vh_prepare(const VhSnapshot *snap, const VhHandoffOwner *owner, const GPtrArray *devices,
                    const VhWriter *w, GError **error);

/*
 * Gives back every device @domain holds, in reverse order, to its recorded driver and
 * override. A device given back leaves the journal; one that fails stays, marked stuck with
 * the reason ("ADDRESS: REASON" added to @failures). Returns the number that failed.
 */
guint vh_prepare_give_back_domain(const VhHost *host, const char *domain, const VhWriter *w,
                                  GPtrArray *failures);

/* Gives back one journaled device (recover, reattach). */
gboolean vh_prepare_give_back(const VhHost *host, VhJournalRecord *record, const VhWriter *w,
                              GError **error);

/* Records the QEMU pid of @domain's devices (the `started` hook). */
void vh_prepare_record_pid(const VhHost *host, const char *domain, int pid);

G_END_DECLS
