/* vfio-handoff: can a device be handed off, and if not, why — DESIGN §2 */
#pragma once

#include <glib.h>

#include "vh-host-usage.h"
#include "vh-inventory.h"

G_BEGIN_DECLS

typedef enum {
    VH_REASON_NO_IOMMU,       /* no IOMMU group: the IOMMU is off */
    VH_REASON_BRIDGE,         /* not an endpoint */
    VH_REASON_CHIPSET,        /* host or ISA bridge function */
    VH_REASON_HOST_CRITICAL,  /* the host boots, swaps, routes or shows its console through it */
    VH_REASON_GROUP_CRITICAL, /* shares its IOMMU group with a host-critical endpoint */
    VH_REASON_IN_USE,         /* a host process or netdev uses it */
    VH_REASON_SRIOV_PF,       /* a PF whose VFs are enabled */
} VhReasonKind;

typedef struct {
    VhReasonKind kind;
    char *text; /* "host-critical: /dev/sda1 is mounted at /mnt/usb" */
    char *fix;  /* what a person can do about it, or NULL */
    /* the boot VGA device whose console alone makes this reason (host-critical: it carries the
     * console; group-critical: it shares the group with one that does), else NULL: the policy's
     * console-handoff on that device waives it */
    char *console_device;
} VhReason;

typedef struct {
    const VhPciDevice *device;
    gboolean host_critical; /* directly or through its group */
    gboolean in_use;
    gboolean passable; /* no reason against it */
    GPtrArray *reasons; /* VhReason *, most serious first */
} VhVerdict;

typedef struct {
    GHashTable *by_device; /* address -> VhVerdict * */
} VhVerdicts;

/* Pure: derives every device's verdict from the inventory and the host's uses. */
VhVerdicts *vh_verdicts_compute(const VhInventory *inv, const VhHostUsage *usage);
void vh_verdicts_free(VhVerdicts *verdicts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhVerdicts, vh_verdicts_free)

const VhVerdict *vh_verdicts_get(const VhVerdicts *verdicts, const char *device);

/* "no-iommu", "bridge", "chipset", "host-critical", "group-critical", "in-use", "sriov-pf" */
const char *vh_reason_kind_to_string(VhReasonKind kind);

G_END_DECLS
