/* vfio-handoff CLI: adding and removing devices of a running domain (add/remove --live): the
 * hook's checks and handoff, journaled for that domain, then libvirt's hot-plug */
#pragma once

#include "vh-hostdev-change.h"

G_BEGIN_DECLS

/*
 * `add --live`: for a running domain, the devices (with their IOMMU group's other endpoints
 * unless @req->only) are checked as the hook checks a start (policy, identity, host-critical,
 * held, group, the domain's and the host's limits, locked memory), handed to VFIO journaled for
 * the domain, then hot-plugged with virDomainAttachDeviceFlags (live). All under the journal
 * lock. If libvirt refuses one, what was hot-plugged is unplugged and every device taken is given
 * back; the error carries libvirt's reason. @req->dry_run checks and changes nothing.
 */
VhHostdevResult *vh_hostdev_add_live(const VhLibvirt *lv, virConnectPtr conn, const VhCliView *view,
                                     const char *domain, const VhHostdevRequest *req,
                                     GError **error);

/*
 * `remove --live`: unplugs the devices (and the other endpoints of their IOMMU groups the
 * domain has) with virDomainDetachDeviceFlags (live), waits until libvirt's live definition no
 * longer has them (libvirt drops one when QEMU reports it deleted, the guest having let go; at
 * most @req->timeout_s), then gives each back to its driver. One the guest does not let go of in
 * time stays on VFIO, journaled for the domain: the error says so, and `recover` gives it back
 * once it is gone.
 */
VhHostdevResult *vh_hostdev_remove_live(const VhLibvirt *lv, virConnectPtr conn,
                                        const VhCliView *view, const char *domain,
                                        const VhHostdevRequest *req, GError **error);

/* --persistent: the live change, then the same change of the definition (vh-hostdev-change.h);
 * when the second fails, the error says that the running domain was changed. */
VhHostdevResult *vh_hostdev_add_persistent(const VhLibvirt *lv, virConnectPtr conn,
                                           const VhCliView *view, const char *domain,
                                           const VhHostdevRequest *req, GError **error);
VhHostdevResult *vh_hostdev_remove_persistent(const VhLibvirt *lv, virConnectPtr conn,
                                              const VhCliView *view, const char *domain,
                                              const VhHostdevRequest *req, GError **error);

/* The change `add` (@add) or `remove` makes for @req's --live and --config. */
VhHostdevChange vh_hostdev_pick(gboolean add, const VhHostdevRequest *req);

G_END_DECLS
