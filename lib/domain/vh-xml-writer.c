/* vfio-handoff: writing XML the way libvirt formats a domain definition */
#include "config.h"

#include "vh-domain-xml.h"
#include "vh-xml-writer.h"

/* Text as libvirt's virBufferEscapeString writes it. */
static void
escape(GString *out, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        switch (*p) {
        case '<':
            g_string_append(out, "&lt;");
            break;
        case '>':
            g_string_append(out, "&gt;");
            break;
        case '&':
            g_string_append(out, "&amp;");
            break;
        case '\'':
            g_string_append(out, "&apos;");
            break;
        case '"':
            g_string_append(out, "&quot;");
            break;
        default:
            g_string_append_c(out, *p);
        }
    }
}

static void
write_name(GString *out, const xmlNs *ns, const xmlChar *name)
{
    if (ns != NULL && ns->prefix != NULL)
        g_string_append_printf(out, "%s:", (const char *)ns->prefix);
    g_string_append(out, (const char *)name);
}

/*
 * Writes a node the way libvirt formats a definition: attributes in single quotes, escaped as
 * virBufferEscapeString does, empty elements closed with "/>". What sits in <metadata> belongs
 * to applications and libvirt dumps it with libxml2 (double quotes): so does this.
 */
static void
write_node(GString *out, xmlDoc *doc, xmlNode *n, gboolean in_metadata)
{
    switch (n->type) {
    case XML_TEXT_NODE:
        escape(out, (const char *)n->content);
        return;
    case XML_ELEMENT_NODE:
        break;
    default: {
        xmlBuffer *buf = xmlBufferCreate(); /* comments, CDATA, entity references: as read */

        xmlNodeDump(buf, doc, n, 0, 0);
        g_string_append_len(out, (const char *)xmlBufferContent(buf), xmlBufferLength(buf));
        xmlBufferFree(buf);
        return;
    }
    }
    if (in_metadata) {
        xmlBuffer *buf = xmlBufferCreate();

        xmlNodeDump(buf, doc, n, 0, 0);
        g_string_append_len(out, (const char *)xmlBufferContent(buf), xmlBufferLength(buf));
        xmlBufferFree(buf);
        return;
    }
    g_string_append_c(out, '<');
    write_name(out, n->ns, n->name);
    for (xmlNs *ns = n->nsDef; ns != NULL; ns = ns->next) {
        g_string_append(out, " xmlns");
        if (ns->prefix != NULL)
            g_string_append_printf(out, ":%s", (const char *)ns->prefix);
        g_string_append(out, "='");
        escape(out, (const char *)ns->href);
        g_string_append_c(out, '\'');
    }
    for (xmlAttr *a = n->properties; a != NULL; a = a->next) {
        xmlChar *value = xmlNodeGetContent((xmlNode *)a);

        g_string_append_c(out, ' ');
        write_name(out, a->ns, a->name);
        g_string_append(out, "='");
        escape(out, value != NULL ? (const char *)value : "");
        g_string_append_c(out, '\'');
        xmlFree(value);
    }
    if (n->children == NULL) {
        g_string_append(out, "/>");
        return;
    }
    g_string_append_c(out, '>');
    for (xmlNode *c = n->children; c != NULL; c = c->next)
        write_node(out, doc, c,
                   n->parent == xmlDocGetRootElement(doc) && vh_domain_xml_is(n, "metadata"));
    g_string_append(out, "</");
    write_name(out, n->ns, n->name);
    g_string_append_c(out, '>');
}

void
vh_xml_write_libvirt(GString *out, xmlDoc *doc)
{
    write_node(out, doc, xmlDocGetRootElement(doc), FALSE);
    g_string_append_c(out, '\n');
}
