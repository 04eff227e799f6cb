/* vfio-handoff policy: which of libvirt's own devices (managed='yes') vfio-handoff watches
 * over a domain's run, so that one libvirt leaves on vfio-pci still goes home (HACKING.md,
 * "Why libvirt leaves devices on vfio-pci") */
#pragma once

#include <glib.h>

#include "vh-domain.h"
#include "vh-policy.h"
#include "vh-snapshot.h"

G_BEGIN_DECLS

/*
 * The managed='yes' hostdevs of @def to watch (VhPciDevice *, borrowed from @snap): those
 * enabled for passthrough for this domain (domains= honoured), or companions in the IOMMU group
 * of one that is; on their host driver now, or on vfio-pci where a holder that is gone left them
 * (a stale record: it becomes this domain's, so that nothing calls the device an orphan while
 * it runs); and held by no one else (no process has the group open, no record of another
 * domain that runs or starts). Pure.
 */
GPtrArray *vh_policy_libvirt_watch(const VhPolicy *policy, const VhSnapshot *snap,
                                   const VhDomainDef *def);

/*
 * The parked devices (lib/host/vh-parked.h) that libvirt left on vfio-pci and that are
 * vfio-handoff's to give back (VhPciDevice *, borrowed from @snap): with libvirt's
 * driver_override (vfio-pci), and enabled for passthrough, for any domain, themselves or as a
 * companion in the IOMMU group of a device that is. libvirt leaves them so after a managed='yes'
 * hot-unplug or a run the hook did not watch, when its list of detached devices has a stale
 * entry for them (HACKING.md). A device parked by vfio-pci's ID list, or not enabled, is left
 * to `reattach --adopt`. Pure.
 */
GPtrArray *vh_policy_libvirt_left(const VhPolicy *policy, const VhSnapshot *snap);

G_END_DECLS
