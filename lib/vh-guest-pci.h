/* vfio-handoff: the guest's PCI addresses in a domain definition (where `add` may put a
 * device), read as libvirt reads them: a missing attribute is 0 */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

/* Whether the domain under @root has a PCIe topology (q35, or a pcie-root controller). */
gboolean vh_guest_pci_is_pcie(const xmlNode *root);

/* Below @n: the slots of guest bus 0 in use (a bitmap), and the highest PCI controller index. */
void vh_guest_pci_usage(const xmlNode *n, guint32 *bus0_slots, int *max_index);

/* Whether a device below @n (not a controller) has a guest address on bus @bus. */
gboolean vh_guest_pci_bus_in_use(const xmlNode *n, guint bus);

/* An address attribute's number ("0x1f", "3"); NULL is 0. */
guint vh_guest_pci_number(const char *s);

G_END_DECLS
