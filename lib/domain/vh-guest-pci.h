/* vfio-handoff: the guest's PCI addresses in a domain definition (where `add` may put a
 * device), read as libvirt reads them: a missing attribute is 0 */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

/* Whether the domain under @root has a PCIe topology (q35, or a pcie-root controller). */
gboolean vh_guest_pci_is_pcie(const xmlNode *root);

/* The guest's PCI buses: the slots in use on each (a bitmap per bus number), which buses are
 * pci-bridges, and the highest bus number in use — by a controller's index or a device's
 * address (libvirt adds the controllers of implicit buses when it defines the domain). */
typedef struct {
    guint32 slots[256];
    gboolean bridge[256]; /* a <controller type='pci' model='pci-bridge' index='N'> */
    int max_index;        /* -1: none */
} VhGuestPci;

/* Reads it below @n (the domain's root). */
void vh_guest_pci_usage(const xmlNode *n, VhGuestPci *usage);

/* Whether @n is a guest PCI address (<address type='pci'>, not a hostdev's <source> one), and
 * its fields; a missing attribute is 0, as libvirt reads it. */
gboolean vh_guest_pci_address(const xmlNode *n, guint *domain, guint *bus, guint *slot,
                              guint *function);

/* Whether an element below @n (a device, or a controller plugged into it) has a guest address
 * on bus @bus. */
gboolean vh_guest_pci_bus_in_use(const xmlNode *n, guint bus);

/* The guest address below @n at 0000:@bus:@slot.@function (@function -1: any function but 0),
 * or NULL. */
xmlNode *vh_guest_pci_address_at(const xmlNode *n, guint bus, guint slot, int function);

/* An address attribute's number ("0x1f", "3"); NULL is 0. */
guint vh_guest_pci_number(const char *s);

G_END_DECLS
