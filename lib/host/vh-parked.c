/* vfio-handoff: parked devices */
#include "config.h"

#include <string.h>

#include "vh-kernel-abi.h"
#include "vh-parked.h"

/* a journal file by this name that cannot be read is reported as such, not as parked */
static gboolean
has_unreadable_record(const VhSnapshot *snap, const char *address)
{
    for (guint i = 0; i < snap->unreadable->len; i++) {
        const VhJournalUnreadable *u = g_ptr_array_index(snap->unreadable, i);

        if (strcmp(u->name, address) == 0)
            return TRUE;
    }
    return FALSE;
}

gboolean
vh_parked_check(const VhSnapshot *snap, const VhPciDevice *dev, const char **left_by)
{
    if (g_strcmp0(dev->driver, VH_DRIVER_VFIO_PCI) != 0 ||
        vh_snapshot_record(snap, dev->name) != NULL || has_unreadable_record(snap, dev->name) ||
        vh_snapshot_holder(snap, dev->name, FALSE) != NULL)
        return FALSE;
    /* libvirt (its managed detach, virsh nodedev-detach) binds by driver_override, as scripts
     * do; vfio-pci's own ID table (vfio-pci.ids=, new_id) needs none */
    if (left_by != NULL)
        *left_by = g_strcmp0(dev->driver_override, VH_DRIVER_VFIO_PCI) == 0
                       ? "libvirt (a managed='yes' domain, virsh nodedev-detach) or a script: "
                         "its driver_override is vfio-pci"
                       : "vfio-pci's ID list (vfio-pci.ids= at boot, or new_id by hand): it has "
                         "no driver_override";
    return TRUE;
}

char *
vh_parked_fix(const char *address)
{
    g_autofree char *node = g_strdelimit(g_strdup_printf("pci_%s", address), ":.", '_');

    return g_strdup_printf("run 'vfio-handoff reattach --adopt %s', or 'virsh nodedev-reattach %s'",
                           address, node);
}
