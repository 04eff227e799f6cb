/* vfio-handoff: the guest's PCI addresses in a domain definition, read as libvirt reads them */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vh-domain-xml.h"
#include "vh-guest-pci.h"

gboolean
vh_guest_pci_is_pcie(const xmlNode *root)
{
    xmlNode *devices = vh_domain_xml_child(root, "devices");
    xmlNode *os = vh_domain_xml_child(root, "os");
    xmlNode *type = os != NULL ? vh_domain_xml_child(os, "type") : NULL;
    g_autofree char *machine = type != NULL ? vh_domain_xml_attr(type, "machine") : NULL;

    for (xmlNode *c = devices != NULL ? devices->children : NULL; c != NULL; c = c->next) {
        g_autofree char *model =
            vh_domain_xml_is(c, "controller") ? vh_domain_xml_attr(c, "model") : NULL;

        if (g_strcmp0(model, "pcie-root") == 0)
            return TRUE;
    }
    return machine != NULL && strstr(machine, "q35") != NULL;
}

guint
vh_guest_pci_number(const char *s)
{
    return s != NULL ? (guint)strtoul(s, NULL, 0) : 0;
}

gboolean
vh_guest_pci_address(const xmlNode *n, guint *domain, guint *bus, guint *slot, guint *function)
{
    g_autofree char *type = NULL;
    g_autofree char *d = NULL;
    g_autofree char *b = NULL;
    g_autofree char *s = NULL;
    g_autofree char *f = NULL;

    if (!vh_domain_xml_is(n, "address") || vh_domain_xml_is(n->parent, "source"))
        return FALSE;
    type = vh_domain_xml_attr(n, "type");
    if (g_strcmp0(type, "pci") != 0)
        return FALSE;
    d = vh_domain_xml_attr(n, "domain");
    b = vh_domain_xml_attr(n, "bus");
    s = vh_domain_xml_attr(n, "slot");
    f = vh_domain_xml_attr(n, "function");
    *domain = vh_guest_pci_number(d);
    *bus = vh_guest_pci_number(b);
    *slot = vh_guest_pci_number(s);
    *function = vh_guest_pci_number(f);
    return TRUE;
}

static void
usage_below(const xmlNode *n, VhGuestPci *u)
{
    for (xmlNode *c = n->children; c != NULL; c = c->next) {
        guint domain, bus, slot, function;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (vh_guest_pci_address(c, &domain, &bus, &slot, &function) && domain == 0 && bus < 256 &&
            slot < 32) {
            u->slots[bus] |= 1u << slot;
            u->max_index = MAX(u->max_index, (int)bus);
        }
        if (vh_domain_xml_is(c, "controller")) {
            g_autofree char *type = vh_domain_xml_attr(c, "type");
            g_autofree char *index = vh_domain_xml_attr(c, "index");
            g_autofree char *model = vh_domain_xml_attr(c, "model");
            guint i = vh_guest_pci_number(index);

            if (g_strcmp0(type, "pci") == 0 && index != NULL && i < 256) {
                u->max_index = MAX(u->max_index, (int)i);
                u->bridge[i] = g_strcmp0(model, "pci-bridge") == 0;
            }
        }
        usage_below(c, u);
    }
}

void
vh_guest_pci_usage(const xmlNode *n, VhGuestPci *u)
{
    memset(u, 0, sizeof(*u));
    u->max_index = -1;
    usage_below(n, u);
}

/* Is guest bus @bus used by a device's address, or a controller's (a bridge plugged into it)? */
gboolean
vh_guest_pci_bus_in_use(const xmlNode *n, guint bus)
{
    for (xmlNode *c = n->children; c != NULL; c = c->next) {
        guint domain, b, slot, function;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (vh_guest_pci_address(c, &domain, &b, &slot, &function) && domain == 0 && b == bus)
            return TRUE;
        if (vh_guest_pci_bus_in_use(c, bus))
            return TRUE;
    }
    return FALSE;
}

xmlNode *
vh_guest_pci_address_at(const xmlNode *n, guint bus, guint slot, int function)
{
    for (xmlNode *c = n->children; c != NULL; c = c->next) {
        guint domain, b, s, f;
        xmlNode *found;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (vh_guest_pci_address(c, &domain, &b, &s, &f) && domain == 0 && b == bus && s == slot &&
            (function < 0 ? f != 0 : f == (guint)function))
            return c;
        if ((found = vh_guest_pci_address_at(c, bus, slot, function)) != NULL)
            return found;
    }
    return NULL;
}
