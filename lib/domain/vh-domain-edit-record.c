/* vfio-handoff: what the parts of the domain editor share (vh-domain-edit-private.h): the list
 * of changes, the record in <metadata> and the PCI controllers' indexes. */
#include "config.h"

#include <string.h>

#include <libxml/tree.h>

#include "vh-domain-xml.h"
#include "vh-guest-pci.h"
#include "vh-xml-layout.h"

#include "vh-domain-edit-private.h"

void
vh_edit_changed(VhDomainEdit *edit, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(edit->changes, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

gboolean
vh_edit_is_ours(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
           g_strcmp0((const char *)n->ns->href, VH_DOMAIN_EDIT_NAMESPACE) == 0 &&
           strcmp((const char *)n->name, name) == 0;
}

xmlNode *
vh_edit_our_child(const xmlNode *parent, const char *name)
{
    for (xmlNode *c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next) {
        if (vh_edit_is_ours(c, name))
            return c;
    }
    return NULL;
}

xmlNode *
vh_edit_record(VhDomainEdit *edit, gboolean create)
{
    static const char *const before_metadata[] = {"name",  "uuid",        "genid",
                                                  "title", "description", NULL};
    xmlNode *metadata = vh_domain_xml_child(edit->root, "metadata");
    xmlNode *handoff = vh_edit_our_child(metadata, "handoff");
    xmlNs *ns;

    if (handoff != NULL || !create)
        return handoff;
    if (metadata == NULL)
        metadata = vh_xml_place(edit->root, before_metadata,
                                xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR("metadata"), NULL));
    handoff = xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR("handoff"), NULL);
    ns = xmlNewNs(handoff, BAD_CAST_STR(VH_DOMAIN_EDIT_NAMESPACE),
                  BAD_CAST_STR(VH_DOMAIN_EDIT_PREFIX));
    xmlSetNs(handoff, ns);
    return vh_xml_append(metadata, handoff);
}

xmlNode *
vh_edit_record_child(xmlNode *handoff, const char *name)
{
    return xmlNewDocNode(handoff->doc, handoff->ns, BAD_CAST_STR(name), NULL);
}

void
vh_edit_set_prop(xmlNode *n, const char *name, const char *value)
{
    xmlSetProp(n, BAD_CAST_STR(name), BAD_CAST_STR(value));
}

/* The index of a <controller type='pci'>, or -1 for any other element. */
int
vh_edit_pci_controller_index(const xmlNode *n)
{
    g_autofree char *type =
        vh_domain_xml_is(n, "controller") ? vh_domain_xml_attr(n, "type") : NULL;
    g_autofree char *index = type != NULL ? vh_domain_xml_attr(n, "index") : NULL;

    return g_strcmp0(type, "pci") == 0 && index != NULL ? (int)vh_guest_pci_number(index) : -1;
}
