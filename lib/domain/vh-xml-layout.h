/* vfio-handoff: placing elements in a document the way libvirt lays it out */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

/* The first child element of @parent, or the next element sibling of @n; NULL when none. */
xmlNode *vh_xml_first_element(const xmlNode *parent);
xmlNode *vh_xml_next_element(const xmlNode *n);

/* Puts @node (built in memory, indented here) as the last child element of @parent. */
xmlNode *vh_xml_append(xmlNode *parent, xmlNode *node);

/* Puts @node right before the element @ref. */
xmlNode *vh_xml_insert_before(xmlNode *ref, xmlNode *node);

/* Puts @node after the last child element of @parent named in @after (libvirt's order), or
 * else before the first child element, or as the only one. */
xmlNode *vh_xml_place(xmlNode *parent, const char *const *after, xmlNode *node);

/* Unlinks and frees @node with the indentation before it. */
void vh_xml_drop(xmlNode *node);

/* Drops @node when no element is left in it (libvirt would not format it either). */
void vh_xml_drop_if_empty(xmlNode *node);

G_END_DECLS
