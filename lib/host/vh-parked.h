/* vfio-handoff: parked devices — on vfio-pci with no journal record and no holder. Someone
 * left them there (libvirt, a script, vfio-pci.ids= at boot) and no one will give them back:
 * `vfio-handoff reattach --adopt` does. HACKING.md, "Why libvirt leaves devices on vfio-pci",
 * says how libvirt comes to leave them. */
#pragma once

#include <glib.h>

#include "vh-snapshot.h"

G_BEGIN_DECLS

/* Whether @dev is parked; then *@left_by (when not NULL) says who probably left it there. */
gboolean vh_parked_check(const VhSnapshot *snap, const VhPciDevice *dev, const char **left_by);

/* What gives a parked @address back: "run 'vfio-handoff reattach --adopt ADDRESS' (or ...)" */
char *vh_parked_fix(const char *address);

G_END_DECLS
