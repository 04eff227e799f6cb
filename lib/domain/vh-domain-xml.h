/* vfio-handoff: libvirt domain XML primitives, shared by reading (vh-domain.c) and editing
 * (vh-domain-edit.c) a definition */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "vh-pci-address.h"

G_BEGIN_DECLS

/* Parses a domain's XML safely: at most VH_DOMAIN_XML_MAX bytes, no network, no entity
 * expansion, no blank-node removal (an edit keeps the document's layout); root <domain>. */
xmlDoc *vh_domain_xml_read(const char *xml, gsize len, GError **error);
/* the same, for a document whose root element is @root_name (libvirt's <domstatus>) */
xmlDoc *vh_domain_xml_read_as(const char *xml, gsize len, const char *root_name, GError **error);

/* Is @n the element @name? */
gboolean vh_domain_xml_is(const xmlNode *n, const char *name);

/* The first child element @name of @n, or NULL. */
xmlNode *vh_domain_xml_child(const xmlNode *n, const char *name);

/* An attribute's value (g_free), or NULL. */
char *vh_domain_xml_attr(const xmlNode *n, const char *name);

/* The element's text as it is, and stripped of surrounding whitespace (g_free). */
char *vh_domain_xml_raw_text(const xmlNode *n);
char *vh_domain_xml_text(const xmlNode *n);

/* @value in @unit (NULL: KiB), as libvirt scales it (virScaleInteger(): units are
 * case-insensitive; "KB" is 1000 bytes, "k" and "KiB" 1024), in KiB rounded up as libvirt
 * does; FALSE when it is no whole number, the unit is unknown, or it overflows. */
gboolean vh_domain_xml_scale_kib(const char *value, const char *unit, guint64 *kib);

/* libvirt's scaled integers (<memory unit='GiB'>8</memory>; default unit KiB), in KiB. */
gboolean vh_domain_xml_scaled_kib(const xmlNode *n, guint64 *kib, GError **error);

/* A PCI <address domain= bus= slot= function=/> as "DDDD:BB:SS.F": each field hex, octal or
 * decimal, 0 when left out (as libvirt reads it). @index numbers the hostdev in errors. */
gboolean vh_domain_xml_pci_address(const xmlNode *a, int index, char out[VH_PCI_ADDRESS_BUFSIZE],
                                   GError **error);

/* The <source><address> of a PCI subsystem <hostdev>, as above; FALSE (no error) for other
 * hostdevs, FALSE with @error for a PCI one without a valid source address. */
gboolean vh_domain_xml_hostdev_source(const xmlNode *hostdev, int index,
                                      char out[VH_PCI_ADDRESS_BUFSIZE], GError **error);

/*
 * An element of <devices> through which a domain asks for a PCI device on vfio-pci, as libvirt
 * reads it: <hostdev type='pci'> (mode defaults to subsystem), <interface type='hostdev'> with
 * a <source><address type='pci'>, <disk type='nvme'> with <source type='pci'>. Sets @out and
 * *@managed (libvirt's default: no for the first two, yes for a disk). FALSE with no error for
 * any other element; with @error for one that is malformed ("interface 2: ...").
 */
gboolean vh_domain_xml_pci_use(const xmlNode *n, int index, char out[VH_PCI_ADDRESS_BUFSIZE],
                               gboolean *managed, GError **error);

/* The 1-based index of @n among the <devices> children of its name that may be such a use
 * (@counts: one counter per name, zeroed by the caller); 0 for any other element. */
int vh_domain_xml_pci_use_index(const xmlNode *n, int counts[3]);

G_END_DECLS
