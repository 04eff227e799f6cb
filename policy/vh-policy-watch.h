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
 * enabled for passthrough (the administrator let vfio-handoff move them), on their host driver
 * now (one already on vfio-pci stays there after the domain: libvirt does not unbind what it
 * did not bind), and not held by another domain that runs. Pure.
 */
GPtrArray *vh_policy_libvirt_watch(const VhPolicy *policy, const VhSnapshot *snap,
                                   const VhDomainDef *def);

G_END_DECLS
