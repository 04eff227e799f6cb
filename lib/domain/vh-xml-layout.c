/* vfio-handoff: placing elements in a document the way libvirt lays it out (two spaces per
 * level), so that an edit shows in a diff as just the change */
#include "config.h"

#include "vh-domain-xml.h"
#include "vh-xml-layout.h"

#define BAD_CAST_STR(s) ((const xmlChar *)(s))

static int
vh_xml_depth_of(const xmlNode *n)
{
    int d = 0;

    for (const xmlNode *p = n->parent; p != NULL && p->type == XML_ELEMENT_NODE; p = p->parent)
        d++;
    return d;
}

static xmlNode *
vh_xml_space(xmlDoc *doc, int depth)
{
    g_autofree char *s = g_strdup_printf("\n%*s", depth * 2, "");

    return xmlNewDocText(doc, BAD_CAST_STR(s));
}

static gboolean
vh_xml_is_blank(const xmlNode *n)
{
    return n != NULL && n->type == XML_TEXT_NODE && xmlIsBlankNode((xmlNode *)n);
}

xmlNode *
vh_xml_first_element(const xmlNode *parent)
{
    for (xmlNode *c = parent->children; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            return c;
    }
    return NULL;
}

xmlNode *
vh_xml_next_element(const xmlNode *n)
{
    for (xmlNode *c = n->next; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            return c;
    }
    return NULL;
}

/* Indents a subtree built in memory, @node being at @depth. */
static void
vh_xml_lay_out(xmlDoc *doc, xmlNode *node, int depth)
{
    xmlNode *c = vh_xml_first_element(node);

    if (c == NULL)
        return;
    for (; c != NULL; c = vh_xml_next_element(c)) {
        xmlAddPrevSibling(c, vh_xml_space(doc, depth + 1));
        vh_xml_lay_out(doc, c, depth + 1);
    }
    xmlAddChild(node, vh_xml_space(doc, depth));
}

/* Puts @node (built in memory) as the last child element of @parent. */
xmlNode *
vh_xml_append(xmlNode *parent, xmlNode *node)
{
    int depth = vh_xml_depth_of(parent) + 1;

    /* text next to text merges in libxml2: always add the element first, then its space */
    if (vh_xml_is_blank(parent->last)) {
        xmlAddPrevSibling(parent->last, node);
        xmlAddPrevSibling(node, vh_xml_space(parent->doc, depth));
    } else {
        xmlAddChild(parent, vh_xml_space(parent->doc, depth));
        xmlAddChild(parent, node);
        xmlAddChild(parent, vh_xml_space(parent->doc, depth - 1));
    }
    vh_xml_lay_out(parent->doc, node, depth);
    return node;
}

/* Puts @node right before the element @ref. */
xmlNode *
vh_xml_insert_before(xmlNode *ref, xmlNode *node)
{
    xmlAddPrevSibling(ref, node);
    xmlAddPrevSibling(ref, vh_xml_space(ref->doc, vh_xml_depth_of(ref)));
    vh_xml_lay_out(ref->doc, node, vh_xml_depth_of(ref));
    return node;
}

/* Puts @node after the last child element of @parent named in @after (libvirt's order), or
 * else before the first child element, or as the only one. */
xmlNode *
vh_xml_place(xmlNode *parent, const char *const *after, xmlNode *node)
{
    xmlNode *last = NULL, *next;

    for (xmlNode *c = vh_xml_first_element(parent); c != NULL; c = vh_xml_next_element(c)) {
        for (guint i = 0; after[i] != NULL; i++) {
            if (vh_domain_xml_is(c, after[i]))
                last = c;
        }
    }
    next = last != NULL ? vh_xml_next_element(last) : vh_xml_first_element(parent);
    return next != NULL ? vh_xml_insert_before(next, node) : vh_xml_append(parent, node);
}

/* Unlinks and frees @node with the indentation before it. */
void
vh_xml_drop(xmlNode *node)
{
    if (vh_xml_is_blank(node->prev)) {
        xmlNode *s = node->prev;

        xmlUnlinkNode(s);
        xmlFreeNode(s);
    }
    xmlUnlinkNode(node);
    xmlFreeNode(node);
}

/* Drops @node when no element is left in it (libvirt would not format it either). */
void
vh_xml_drop_if_empty(xmlNode *node)
{
    if (node != NULL && vh_xml_first_element(node) == NULL)
        vh_xml_drop(node);
}
