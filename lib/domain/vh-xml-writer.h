/* vfio-handoff: writing XML the way libvirt formats a domain definition, so that an edited
 * definition differs from libvirt's own output only where it was edited */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

/* Appends @doc to @out, with a final newline: attributes in single quotes, text escaped as
 * libvirt's virBufferEscapeString does, empty elements closed with "/>", and what sits in
 * <metadata> as libxml2 dumps it (libvirt does the same). */
void vh_xml_write_libvirt(GString *out, xmlDoc *doc);

G_END_DECLS
