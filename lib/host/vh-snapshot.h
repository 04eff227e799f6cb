/* vfio-handoff: one read of the host — what every verb and the hook decide on */
#pragma once

#include <glib.h>

#include "vh-holders.h"
#include "vh-host-memory.h"
#include "vh-host-usage.h"
#include "vh-host.h"
#include "vh-inventory.h"
#include "vh-journal.h"
#include "vh-verdict.h"
#include "vh-vfio-driver.h"

G_BEGIN_DECLS

typedef enum {
    VH_SNAPSHOT_NONE = 0,
    VH_SNAPSHOT_NAMES = 1 << 0,   /* vendor, device and class names (pci.ids, 1.3 MB: only for
                                   * the verbs that print them) */
    VH_SNAPSHOT_DETAILS = 1 << 1, /* what only `show` prints: the NUMA node */
} VhSnapshotFlags;

/* A snapshot owns everything it points to but the host; what its lookups return (a device, a
 * record, a holder) is borrowed from it, valid while it is. */
typedef struct {
    const VhHost *host;     /* borrowed: outlives the snapshot */
    VhInventory *inventory; /* devices and IOMMU groups */
    VhHostUsage *usage;     /* what the host itself uses them for */
    VhVerdicts *verdicts;   /* whether each can be handed off, and why not */
    GPtrArray *journal;     /* VhJournalRecord *: what vfio-handoff has handed off */
    GPtrArray *unreadable;  /* VhJournalUnreadable *: journal files that are no readable record */
    GPtrArray *holders;     /* VhHolder *: who holds which device (processes, then journal) */
    GPtrArray *vfio_aliases; /* VhVfioAlias *: the VFIO variant drivers' aliases (modules.alias) */
    VhHostMemory memory;
} VhSnapshot;

/* Reads all of it, once. */
VhSnapshot *vh_snapshot_load(const VhHost *host, VhSnapshotFlags flags, GError **error);
void vh_snapshot_free(VhSnapshot *snap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhSnapshot, vh_snapshot_free)

/* The journal record of @address, or NULL (borrowed). */
const VhJournalRecord *vh_snapshot_record(const VhSnapshot *snap, const char *address);

/* The first holder of @address, or NULL (borrowed): any, or with @process_only one that holds
 * its /dev/vfio group open (a QEMU, a DPDK application), not one a journal record names. */
const VhHolder *vh_snapshot_holder(const VhSnapshot *snap, const char *address,
                                   gboolean process_only);

G_END_DECLS
