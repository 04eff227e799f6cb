/* vfio-handoff: editing a domain definition for `add` and `remove`. Pure: XML in, XML out.
 * New elements go where libvirt itself would format them, indented as libvirt does (two
 * spaces), so a --dry-run diff shows just the change. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "vh-domain-edit.h"
#include "vh-domain-xml.h"
#include "vh-error.h"
#include "vh-pci-address.h"
#include "vh-units.h"

struct VhDomainEdit {
    xmlDoc *doc;
    xmlNode *root;
    GPtrArray *changes; /* char * */
};

#define BAD_CAST_STR(s) ((const xmlChar *)(s))

VhDomainEdit *
vh_domain_edit_new(const char *xml, GError **error)
{
    VhDomainEdit *edit;
    xmlDoc *doc = vh_domain_xml_read(xml, strlen(xml), error);

    if (doc == NULL)
        return NULL;
    edit = g_new0(VhDomainEdit, 1);
    edit->doc = doc;
    edit->root = xmlDocGetRootElement(doc);
    edit->changes = g_ptr_array_new_with_free_func(g_free);
    return edit;
}

void
vh_domain_edit_free(VhDomainEdit *edit)
{
    if (edit == NULL)
        return;
    xmlFreeDoc(edit->doc);
    g_ptr_array_unref(edit->changes);
    g_free(edit);
}

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

char *
vh_domain_edit_to_xml(const VhDomainEdit *edit)
{
    GString *out = g_string_new(NULL);

    write_node(out, edit->doc, edit->root, FALSE);
    g_string_append_c(out, '\n');
    return g_string_free(out, FALSE);
}

const GPtrArray *
vh_domain_edit_changes(const VhDomainEdit *edit)
{
    return edit->changes;
}

static void G_GNUC_PRINTF(2, 3) changed(VhDomainEdit *edit, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(edit->changes, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

/* ---- layout: libvirt indents each level by two spaces ---- */

static int
depth_of(const xmlNode *n)
{
    int d = 0;

    for (const xmlNode *p = n->parent; p != NULL && p->type == XML_ELEMENT_NODE; p = p->parent)
        d++;
    return d;
}

static xmlNode *
space(xmlDoc *doc, int depth)
{
    g_autofree char *s = g_strdup_printf("\n%*s", depth * 2, "");

    return xmlNewDocText(doc, BAD_CAST_STR(s));
}

static gboolean
is_blank(const xmlNode *n)
{
    return n != NULL && n->type == XML_TEXT_NODE && xmlIsBlankNode((xmlNode *)n);
}

static xmlNode *
first_element(const xmlNode *parent)
{
    for (xmlNode *c = parent->children; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            return c;
    }
    return NULL;
}

static xmlNode *
next_element(const xmlNode *n)
{
    for (xmlNode *c = n->next; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            return c;
    }
    return NULL;
}

/* Indents a subtree built in memory, @node being at @depth. */
static void
lay_out(xmlDoc *doc, xmlNode *node, int depth)
{
    xmlNode *c = first_element(node);

    if (c == NULL)
        return;
    for (; c != NULL; c = next_element(c)) {
        xmlAddPrevSibling(c, space(doc, depth + 1));
        lay_out(doc, c, depth + 1);
    }
    xmlAddChild(node, space(doc, depth));
}

/* Puts @node (built in memory) as the last child element of @parent. */
static xmlNode *
append(xmlNode *parent, xmlNode *node)
{
    int depth = depth_of(parent) + 1;

    /* text next to text merges in libxml2: always add the element first, then its space */
    if (is_blank(parent->last)) {
        xmlAddPrevSibling(parent->last, node);
        xmlAddPrevSibling(node, space(parent->doc, depth));
    } else {
        xmlAddChild(parent, space(parent->doc, depth));
        xmlAddChild(parent, node);
        xmlAddChild(parent, space(parent->doc, depth - 1));
    }
    lay_out(parent->doc, node, depth);
    return node;
}

/* Puts @node right before the element @ref. */
static xmlNode *
insert_before(xmlNode *ref, xmlNode *node)
{
    xmlAddPrevSibling(ref, node);
    xmlAddPrevSibling(ref, space(ref->doc, depth_of(ref)));
    lay_out(ref->doc, node, depth_of(ref));
    return node;
}

/* Puts @node after the last child element of @parent named in @after (libvirt's order), or
 * else before the first child element, or as the only one. */
static xmlNode *
place(xmlNode *parent, const char *const *after, xmlNode *node)
{
    xmlNode *last = NULL, *next;

    for (xmlNode *c = first_element(parent); c != NULL; c = next_element(c)) {
        for (guint i = 0; after[i] != NULL; i++) {
            if (vh_domain_xml_is(c, after[i]))
                last = c;
        }
    }
    next = last != NULL ? next_element(last) : first_element(parent);
    return next != NULL ? insert_before(next, node) : append(parent, node);
}

/* Unlinks and frees @node with the indentation before it. */
static void
drop(xmlNode *node)
{
    if (is_blank(node->prev)) {
        xmlNode *s = node->prev;

        xmlUnlinkNode(s);
        xmlFreeNode(s);
    }
    xmlUnlinkNode(node);
    xmlFreeNode(node);
}

/* Drops @node when no element is left in it (libvirt would not format it either). */
static void
drop_if_empty(xmlNode *node)
{
    if (node != NULL && first_element(node) == NULL)
        drop(node);
}

/* ---- the record in <metadata> ---- */

static gboolean
is_ours(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
           g_strcmp0((const char *)n->ns->href, VH_DOMAIN_EDIT_NAMESPACE) == 0 &&
           strcmp((const char *)n->name, name) == 0;
}

static xmlNode *
our_child(const xmlNode *parent, const char *name)
{
    for (xmlNode *c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next) {
        if (is_ours(c, name))
            return c;
    }
    return NULL;
}

static xmlNode *
record(VhDomainEdit *edit, gboolean create)
{
    static const char *const before_metadata[] = {"name",  "uuid",        "genid",
                                                  "title", "description", NULL};
    xmlNode *metadata = vh_domain_xml_child(edit->root, "metadata");
    xmlNode *handoff = our_child(metadata, "handoff");
    xmlNs *ns;

    if (handoff != NULL || !create)
        return handoff;
    if (metadata == NULL)
        metadata = place(edit->root, before_metadata,
                         xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR("metadata"), NULL));
    handoff = xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR("handoff"), NULL);
    ns = xmlNewNs(handoff, BAD_CAST_STR(VH_DOMAIN_EDIT_NAMESPACE),
                  BAD_CAST_STR(VH_DOMAIN_EDIT_PREFIX));
    xmlSetNs(handoff, ns);
    return append(metadata, handoff);
}

static xmlNode *
record_child(xmlNode *handoff, const char *name)
{
    return xmlNewDocNode(handoff->doc, handoff->ns, BAD_CAST_STR(name), NULL);
}

static void
set_prop(xmlNode *n, const char *name, const char *value)
{
    xmlSetProp(n, BAD_CAST_STR(name), BAD_CAST_STR(value));
}

/* The set that recorded @address, or NULL. */
static xmlNode *
set_of(VhDomainEdit *edit, const char *address)
{
    xmlNode *handoff = record(edit, FALSE);

    for (xmlNode *s = handoff != NULL ? handoff->children : NULL; s != NULL; s = s->next) {
        if (!is_ours(s, "set"))
            continue;
        for (xmlNode *h = s->children; h != NULL; h = h->next) {
            g_autofree char *a = is_ours(h, "hostdev") ? vh_domain_xml_attr(h, "address") : NULL;

            if (g_strcmp0(a, address) == 0)
                return s;
        }
    }
    return NULL;
}

/* ---- hostdevs ---- */

static xmlNode *
devices_of(VhDomainEdit *edit)
{
    xmlNode *devices = vh_domain_xml_child(edit->root, "devices");

    if (devices == NULL)
        devices = append(edit->root, xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR("devices"), NULL));
    return devices;
}

static xmlNode *
find_hostdev(const VhDomainEdit *edit, const char *address)
{
    xmlNode *devices = vh_domain_xml_child(edit->root, "devices");
    int index = 0;

    for (xmlNode *h = devices != NULL ? devices->children : NULL; h != NULL; h = h->next) {
        char source[VH_PCI_ADDRESS_BUFSIZE];

        if (!vh_domain_xml_is(h, "hostdev"))
            continue;
        index++;
        if (vh_domain_xml_hostdev_source(h, index, source, NULL) && strcmp(source, address) == 0)
            return h;
    }
    return NULL;
}

gboolean
vh_domain_edit_has_hostdev(const VhDomainEdit *edit, const char *address, gboolean *managed)
{
    xmlNode *h = find_hostdev(edit, address);
    g_autofree char *m = h != NULL ? vh_domain_xml_attr(h, "managed") : NULL;

    if (managed != NULL)
        *managed = g_strcmp0(m, "yes") == 0;
    return h != NULL;
}

static gboolean
is_pcie(const VhDomainEdit *edit)
{
    xmlNode *devices = vh_domain_xml_child(edit->root, "devices");
    xmlNode *os = vh_domain_xml_child(edit->root, "os");
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

static guint
number(const char *s)
{
    return s != NULL ? (guint)strtoul(s, NULL, 0) : 0;
}

/* Is @n a guest PCI address (<address type='pci'>, not a hostdev's <source> one)? Its bus and
 * slot; a missing attribute is 0, as libvirt reads it. */
static gboolean
guest_pci_address(const xmlNode *n, guint *domain, guint *bus, guint *slot)
{
    g_autofree char *type = NULL;
    g_autofree char *d = NULL;
    g_autofree char *b = NULL;
    g_autofree char *s = NULL;

    if (!vh_domain_xml_is(n, "address") || vh_domain_xml_is(n->parent, "source"))
        return FALSE;
    type = vh_domain_xml_attr(n, "type");
    if (g_strcmp0(type, "pci") != 0)
        return FALSE;
    d = vh_domain_xml_attr(n, "domain");
    b = vh_domain_xml_attr(n, "bus");
    s = vh_domain_xml_attr(n, "slot");
    *domain = number(d);
    *bus = number(b);
    *slot = number(s);
    return TRUE;
}

/* The guest PCI addresses in use, as a bitmap of bus 0's slots, and the highest PCI
 * controller index. */
static void
guest_pci_usage(const xmlNode *n, guint32 *bus0_slots, int *max_index)
{
    for (xmlNode *c = n->children; c != NULL; c = c->next) {
        guint domain, bus, slot;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (guest_pci_address(c, &domain, &bus, &slot) && domain == 0 && bus == 0 && slot < 32)
            *bus0_slots |= 1u << slot;
        if (vh_domain_xml_is(c, "controller")) {
            g_autofree char *type = vh_domain_xml_attr(c, "type");
            g_autofree char *index = vh_domain_xml_attr(c, "index");

            if (g_strcmp0(type, "pci") == 0 && index != NULL && (int)number(index) > *max_index)
                *max_index = (int)number(index);
        }
        guest_pci_usage(c, bus0_slots, max_index);
    }
}

/*
 * A guest slot for a multifunction device: bus and slot, and the root port made for it (-1:
 * none). PCIe (q35) has one slot per root port, so it gets a new pcie-root-port; PCI (pc) gets
 * the first free slot of bus 0 from 3 (0: host bridge, 1: PIIX3, 2: video, by QEMU's habit).
 */
static gboolean
guest_slot(VhDomainEdit *edit, guint *bus, guint *slot, int *controller, GError **error)
{
    static const char *const after_controllers[] = {"emulator", "disk", "controller", NULL};
    guint32 used = 0;
    int max_index = -1;

    guest_pci_usage(edit->root, &used, &max_index);
    if (is_pcie(edit)) {
        xmlNode *c = xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR("controller"), NULL);
        g_autofree char *index = g_strdup_printf("%d", MAX(max_index + 1, 1));

        set_prop(c, "type", "pci");
        set_prop(c, "index", index);
        set_prop(c, "model", "pcie-root-port");
        place(devices_of(edit), after_controllers, c);
        *controller = MAX(max_index + 1, 1);
        *bus = (guint)*controller;
        *slot = 0;
        changed(edit, "added a pcie-root-port (controller index %d) for a multifunction device",
                *controller);
        return TRUE;
    }
    for (guint s = 3; s < 32; s++) {
        if ((used & (1u << s)) == 0) {
            *bus = 0;
            *slot = s;
            *controller = -1;
            return TRUE;
        }
    }
    g_set_error(error, VH_ERROR, VH_ERROR_UNSUPPORTED,
                "no free PCI slot on bus 0 of the guest for a multifunction device (add a "
                "pci-bridge controller, or use --only)");
    return FALSE;
}

static xmlNode *
new_hostdev(xmlDoc *doc, const VhPciAddress *host, gboolean guest, guint bus, guint slot,
            guint function, gboolean multifunction)
{
    xmlNode *h = xmlNewDocNode(doc, NULL, BAD_CAST_STR("hostdev"), NULL);
    xmlNode *source = xmlNewChild(h, NULL, BAD_CAST_STR("source"), NULL);
    xmlNode *a = xmlNewChild(source, NULL, BAD_CAST_STR("address"), NULL);
    char v[16];

    set_prop(h, "mode", "subsystem");
    set_prop(h, "type", "pci");
    set_prop(h, "managed", "no"); /* the hook hands it off (DESIGN §4) */
    g_snprintf(v, sizeof v, "0x%04x", host->domain);
    set_prop(a, "domain", v);
    g_snprintf(v, sizeof v, "0x%02x", host->bus);
    set_prop(a, "bus", v);
    g_snprintf(v, sizeof v, "0x%02x", host->slot);
    set_prop(a, "slot", v);
    g_snprintf(v, sizeof v, "0x%x", host->function);
    set_prop(a, "function", v);
    if (guest) {
        a = xmlNewChild(h, NULL, BAD_CAST_STR("address"), NULL);
        set_prop(a, "type", "pci");
        set_prop(a, "domain", "0x0000");
        g_snprintf(v, sizeof v, "0x%02x", bus);
        set_prop(a, "bus", v);
        g_snprintf(v, sizeof v, "0x%02x", slot);
        set_prop(a, "slot", v);
        g_snprintf(v, sizeof v, "0x%x", function);
        set_prop(a, "function", v);
        if (multifunction)
            set_prop(a, "multifunction", "on");
    }
    return h;
}

/* Same physical device: same domain, bus and slot on the host. */
static gboolean
same_slot(const VhPciAddress *a, const VhPciAddress *b)
{
    return a->domain == b->domain && a->bus == b->bus && a->slot == b->slot;
}

gboolean
vh_domain_edit_add_hostdevs(VhDomainEdit *edit, const char *const *addresses, guint n,
                            GError **error)
{
    /* libvirt formats <hostdev> after these, and before redirdev, watchdog, memballoon... */
    static const char *const after_hostdevs[] = {
        "emulator", "disk",     "controller", "lease",   "filesystem", "interface", "smartcard",
        "serial",   "parallel", "console",    "channel", "input",      "tpm",       "graphics",
        "sound",    "audio",    "video",      "hostdev", NULL};
    g_autofree VhPciAddress *host = g_new0(VhPciAddress, n);
    g_autofree gboolean *placed = g_new0(gboolean, n);
    xmlNode *set = NULL;

    for (guint i = 0; i < n; i++) {
        if (!vh_pci_address_parse(addresses[i], &host[i], error))
            return FALSE;
        placed[i] = find_hostdev(edit, addresses[i]) != NULL; /* already there: left as is */
    }
    for (guint i = 0; i < n; i++) {
        guint functions = 0, bus = 0, slot = 0, function = 0;
        int controller = -1;
        char canonical[VH_PCI_ADDRESS_BUFSIZE];

        if (placed[i])
            continue;
        for (guint j = i; j < n; j++)
            functions += !placed[j] && same_slot(&host[i], &host[j]);
        if (functions > 1 && !guest_slot(edit, &bus, &slot, &controller, error))
            return FALSE;
        if (set == NULL) {
            xmlNode *handoff = record(edit, TRUE);

            set = append(handoff, record_child(handoff, "set"));
            set_prop(set, "device", addresses[0]);
        }
        if (controller >= 0) {
            g_autofree char *c = g_strdup_printf("%d", controller);

            set_prop(set, "controller", c); /* one multifunction slot per set: a GPU's */
        }
        /* this function and its siblings, in the order given, as functions 0..n-1 */
        for (guint j = i; j < n; j++) {
            if (placed[j] || !same_slot(&host[i], &host[j]))
                continue;
            vh_pci_address_format(&host[j], canonical);
            place(devices_of(edit), after_hostdevs,
                  new_hostdev(edit->doc, &host[j], functions > 1, bus, slot, function,
                              functions > 1 && function == 0));
            set_prop(append(set, record_child(set, "hostdev")), "address", canonical);
            if (functions > 1)
                changed(edit, "added <hostdev managed='no'> for %s as guest 0000:%02x:%02x.%u",
                        canonical, bus, slot, function);
            else
                changed(edit, "added <hostdev managed='no'> for %s", canonical);
            placed[j] = TRUE;
            function++;
        }
    }
    return TRUE;
}

/* ---- memory ---- */

static const char *const after_memtune[] = {"name",          "uuid",      "genid",     "title",
                                            "description",   "metadata",  "maxMemory", "memory",
                                            "currentMemory", "blkiotune", NULL};

static xmlNode *
child_or_new(VhDomainEdit *edit, const char *name, const char *const *after)
{
    xmlNode *n = vh_domain_xml_child(edit->root, name);

    return n != NULL
               ? n
               : place(edit->root, after, xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR(name), NULL));
}

static void
set_kib(xmlNode *n, guint64 kib)
{
    g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT, kib);

    xmlNodeSetContent(n, BAD_CAST_STR(text));
    set_prop(n, "unit", "KiB");
}

gboolean
vh_domain_edit_lock_memory(VhDomainEdit *edit, gboolean lock, guint64 overhead, GError **error)
{
    static const char *const after_backing[] = {"name",          "uuid",      "genid",     "title",
                                                "description",   "metadata",  "maxMemory", "memory",
                                                "currentMemory", "blkiotune", "memtune",   NULL};
    static const char *const after_locked[] = {"hugepages", "nosharepages", NULL};
    xmlNode *memory = vh_domain_xml_child(edit->root, "memory");
    xmlNode *backing, *memtune, *limit, *mine, *handoff;
    guint64 memory_kib = 0, limit_kib = 0, need_kib;
    g_autofree char *need_s = NULL;

    if (memory == NULL || !vh_domain_xml_scaled_kib(memory, &memory_kib, error)) {
        if (memory == NULL)
            g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                        "the domain definition has no <memory>");
        return FALSE;
    }
    need_kib = memory_kib + overhead / 1024;
    need_s = vh_format_size(need_kib * 1024);

    if (lock && ((backing = vh_domain_xml_child(edit->root, "memoryBacking")) == NULL ||
                 vh_domain_xml_child(backing, "locked") == NULL)) {
        backing = child_or_new(edit, "memoryBacking", after_backing);
        place(backing, after_locked, xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR("locked"), NULL));
        handoff = record(edit, TRUE);
        if (our_child(handoff, "locked") == NULL)
            append(handoff, record_child(handoff, "locked"));
        changed(edit, "locked the guest's memory (<memoryBacking><locked/>)");
    }

    memtune = vh_domain_xml_child(edit->root, "memtune");
    limit = memtune != NULL ? vh_domain_xml_child(memtune, "hard_limit") : NULL;
    if (limit != NULL && !vh_domain_xml_scaled_kib(limit, &limit_kib, error))
        return FALSE;
    if (limit != NULL && limit_kib >= need_kib)
        return TRUE; /* the user's limit, or ours, already covers memory + overhead */

    handoff = record(edit, TRUE);
    mine = our_child(handoff, "hard-limit");
    {
        g_autofree char *kib = g_strdup_printf("%" G_GUINT64_FORMAT, need_kib);
        g_autofree char *prev = g_strdup_printf("%" G_GUINT64_FORMAT, limit_kib);

        if (mine == NULL) {
            mine = append(handoff, record_child(handoff, "hard-limit"));
            set_prop(mine, "kib", kib);
            if (limit != NULL) /* the user's, restored by remove */
                set_prop(mine, "previous-kib", prev);
        }
        set_prop(mine, "kib", kib);
    }
    if (limit == NULL) {
        memtune = child_or_new(edit, "memtune", after_memtune);
        limit = xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR("hard_limit"), NULL);
        if (first_element(memtune) != NULL)
            insert_before(first_element(memtune), limit); /* libvirt formats it first */
        else
            append(memtune, limit);
        changed(edit, "set <memtune><hard_limit> to %s (guest memory + memory-overhead)", need_s);
    } else {
        g_autofree char *was = vh_format_size(limit_kib * 1024);

        changed(edit,
                "raised <memtune><hard_limit> from %s to %s (guest memory + "
                "memory-overhead)",
                was, need_s);
    }
    set_kib(limit, need_kib);
    return TRUE;
}

/* Undoes the memory settings recorded, each only if it is still as vfio-handoff left it. */
static void
unlock_memory(VhDomainEdit *edit, xmlNode *handoff)
{
    xmlNode *backing = vh_domain_xml_child(edit->root, "memoryBacking");
    xmlNode *memtune = vh_domain_xml_child(edit->root, "memtune");
    xmlNode *limit = memtune != NULL ? vh_domain_xml_child(memtune, "hard_limit") : NULL;
    xmlNode *mine;

    if (our_child(handoff, "locked") != NULL && backing != NULL &&
        vh_domain_xml_child(backing, "locked") != NULL) {
        drop(vh_domain_xml_child(backing, "locked"));
        drop_if_empty(backing);
        changed(edit, "unlocked the guest's memory (vfio-handoff had locked it)");
    }
    if ((mine = our_child(handoff, "hard-limit")) != NULL && limit != NULL) {
        g_autofree char *kib = vh_domain_xml_attr(mine, "kib");
        g_autofree char *previous = vh_domain_xml_attr(mine, "previous-kib");
        guint64 now = 0;

        if (!vh_domain_xml_scaled_kib(limit, &now, NULL) || kib == NULL ||
            now != g_ascii_strtoull(kib, NULL, 10)) {
            g_autofree char *now_s = vh_format_size(now * 1024);

            changed(edit,
                    "left <memtune><hard_limit> at %s: it was changed after vfio-handoff "
                    "set it",
                    now_s);
        } else if (previous != NULL) {
            g_autofree char *was = vh_format_size(g_ascii_strtoull(previous, NULL, 10) * 1024);

            set_kib(limit, g_ascii_strtoull(previous, NULL, 10));
            changed(edit, "restored <memtune><hard_limit> to %s", was);
        } else {
            drop(limit);
            drop_if_empty(memtune);
            changed(edit, "removed <memtune><hard_limit> (vfio-handoff had set it)");
        }
    }
}

/* Drops the record once no set is left in it, undoing the memory settings first. */
static void
settle(VhDomainEdit *edit)
{
    xmlNode *handoff = record(edit, FALSE);
    xmlNode *metadata;

    if (handoff == NULL || our_child(handoff, "set") != NULL)
        return;
    unlock_memory(edit, handoff);
    metadata = handoff->parent;
    drop(handoff);
    drop_if_empty(metadata);
}

/* Is guest bus @bus used by a device's address? */
static gboolean
bus_in_use(const xmlNode *n, guint bus)
{
    for (xmlNode *c = n->children; c != NULL; c = c->next) {
        guint domain, b, slot;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (!vh_domain_xml_is(c->parent, "controller") &&
            guest_pci_address(c, &domain, &b, &slot) && b == bus)
            return TRUE;
        if (bus_in_use(c, bus))
            return TRUE;
    }
    return FALSE;
}

static void
remove_controller(VhDomainEdit *edit, guint index)
{
    xmlNode *devices = vh_domain_xml_child(edit->root, "devices");

    if (devices == NULL || bus_in_use(devices, index))
        return; /* something else has been put on that root port since: it stays */
    for (xmlNode *c = first_element(devices); c != NULL; c = next_element(c)) {
        g_autofree char *type =
            vh_domain_xml_is(c, "controller") ? vh_domain_xml_attr(c, "type") : NULL;
        g_autofree char *i = type != NULL ? vh_domain_xml_attr(c, "index") : NULL;
        g_autofree char *model = type != NULL ? vh_domain_xml_attr(c, "model") : NULL;

        if (g_strcmp0(type, "pci") == 0 && g_strcmp0(model, "pcie-root-port") == 0 && i != NULL &&
            number(i) == index) {
            drop(c);
            changed(edit, "removed the pcie-root-port (controller index %u) added for it", index);
            return;
        }
    }
}

static void
remove_set(VhDomainEdit *edit, xmlNode *set)
{
    g_autofree char *controller = vh_domain_xml_attr(set, "controller");

    for (xmlNode *h = set->children; h != NULL; h = h->next) {
        g_autofree char *address = is_ours(h, "hostdev") ? vh_domain_xml_attr(h, "address") : NULL;
        xmlNode *hostdev = address != NULL ? find_hostdev(edit, address) : NULL;

        if (hostdev != NULL) {
            drop(hostdev);
            changed(edit, "removed <hostdev> for %s", address);
        }
    }
    if (controller != NULL)
        remove_controller(edit, number(controller));
    drop(set);
}

gboolean
vh_domain_edit_remove_hostdevs(VhDomainEdit *edit, const char *address, GError **error)
{
    xmlNode *set = set_of(edit, address);
    xmlNode *hostdev;

    if (set != NULL) {
        remove_set(edit, set);
    } else if ((hostdev = find_hostdev(edit, address)) != NULL) {
        drop(hostdev);
        changed(edit, "removed <hostdev> for %s (it was not added by vfio-handoff)", address);
    } else {
        g_set_error(error, VH_ERROR, VH_ERROR_NOT_FOUND, "the domain has no hostdev for %s",
                    address);
        return FALSE;
    }
    settle(edit);
    return TRUE;
}

gboolean
vh_domain_edit_remove_all(VhDomainEdit *edit)
{
    xmlNode *handoff = record(edit, FALSE);
    xmlNode *set;

    if (handoff == NULL)
        return FALSE;
    while ((set = our_child(handoff, "set")) != NULL)
        remove_set(edit, set);
    settle(edit);
    return TRUE;
}
