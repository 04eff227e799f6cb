/* vfio-handoff: PCI addresses, parsed strictly before any path is built from them */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "dddd:bb:ss.f" plus NUL; VMD domains have up to 8 hex digits. */
#define VH_PCI_ADDRESS_BUFSIZE 20

typedef struct {
    guint32 domain;
    guint8 bus;
    guint8 slot;     /* 0..0x1f (PCI Local Bus Spec: 5-bit device number) */
    guint8 function; /* 0..7 */
} VhPciAddress;

/*
 * Parses "DDDD:BB:SS.F" (4 to 8 hex digits of domain) or "BB:SS.F" (domain 0000), with exact
 * hex widths and ranges. Anything else — signs, spaces, short or long fields, slot > 0x1f,
 * function > 7 — is an error naming the input and the expected form.
 */
gboolean vh_pci_address_parse(const char *text, VhPciAddress *out, GError **error);

/* TRUE when @text is a full address as sysfs names devices (no error reported). */
gboolean vh_pci_address_is_valid(const char *text);

/* Writes the canonical form ("0000:01:00.0") into @buf. */
void vh_pci_address_format(const VhPciAddress *addr, char buf[VH_PCI_ADDRESS_BUFSIZE]);

int vh_pci_address_compare(const VhPciAddress *a, const VhPciAddress *b);

G_END_DECLS
