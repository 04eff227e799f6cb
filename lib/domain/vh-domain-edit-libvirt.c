/* vfio-handoff: what libvirt's QEMU driver adds when it defines what `add` made (a root port,
 * multifunction='on'), recorded in the set it was added for, so that `remove` takes it back */
#include "config.h"

#include <string.h>

#include <libxml/tree.h>

#include "vh-domain-edit-private.h"
#include "vh-domain-edit.h"
#include "vh-domain-xml.h"
#include "vh-guest-pci.h"
#include "vh-pci-address.h"
#include "vh-xml-layout.h"

/* The set this edit made for @device. */
static xmlNode *
new_set(VhDomainEdit *edit, const char *device)
{
    xmlNode *handoff = vh_edit_record(edit, FALSE);

    for (xmlNode *s = handoff != NULL ? handoff->children : NULL; s != NULL; s = s->next) {
        g_autofree char *d = vh_edit_is_ours(s, "set") ? vh_domain_xml_attr(s, "device") : NULL;

        if (g_strcmp0(d, device) == 0)
            return s;
    }
    return NULL;
}

/* Does @set hold @n: a hostdev it added, the root port it made, or a controller recorded in it? */
static gboolean
set_holds(const xmlNode *set, const xmlNode *n)
{
    char source[VH_PCI_ADDRESS_BUFSIZE];
    gboolean hostdev =
        vh_domain_xml_is(n, "hostdev") && vh_domain_xml_hostdev_source(n, 1, source, NULL);
    int index = vh_edit_pci_controller_index(n);
    g_autofree char *controller = vh_domain_xml_attr(set, "controller");

    if (index >= 0 && controller != NULL && vh_guest_pci_number(controller) == (guint)index)
        return TRUE;
    for (xmlNode *c = set->children; c != NULL; c = c->next) {
        g_autofree char *a =
            vh_edit_is_ours(c, "hostdev") ? vh_domain_xml_attr(c, "address") : NULL;
        g_autofree char *i =
            vh_edit_is_ours(c, "controller") ? vh_domain_xml_attr(c, "index") : NULL;

        if ((hostdev && g_strcmp0(a, source) == 0) ||
            (index >= 0 && i != NULL && vh_guest_pci_number(i) == (guint)index))
            return TRUE;
    }
    return FALSE;
}

static gboolean
is_new_set(const VhDomainEdit *edit, const xmlNode *set)
{
    g_autofree char *device = vh_domain_xml_attr(set, "device");

    return g_ptr_array_find_with_equal_func(edit->new_sets, device, g_str_equal, NULL);
}

/* The set, other than @except (and of this edit's when @new_only), that holds what sits on guest
 * bus @bus (@slot -1: any slot; else that slot's functions but 0), or NULL. */
static xmlNode *
set_on(VhDomainEdit *edit, guint bus, int slot, const xmlNode *except, gboolean new_only)
{
    xmlNode *devices = vh_domain_xml_child(edit->root, "devices");
    xmlNode *handoff = vh_edit_record(edit, FALSE);

    for (xmlNode *d = vh_xml_first_element(devices); d != NULL; d = vh_xml_next_element(d)) {
        xmlNode *a = vh_domain_xml_child(d, "address");
        guint domain, b, sl, f;

        if (a == NULL || !vh_guest_pci_address(a, &domain, &b, &sl, &f) || domain != 0 ||
            b != bus || (slot >= 0 && (sl != (guint)slot || f == 0)))
            continue;
        for (xmlNode *set = handoff != NULL ? handoff->children : NULL; set != NULL;
             set = set->next) {
            if (vh_edit_is_ours(set, "set") && set != except &&
                (!new_only || is_new_set(edit, set)) && set_holds(set, d))
                return set;
        }
    }
    return NULL;
}

/* The set of this edit's that owns what libvirt added on @bus (@slot as for set_on): the one
 * holding what sits there, else the last one made. */
static xmlNode *
owner_on(VhDomainEdit *edit, guint bus, int slot)
{
    xmlNode *set = set_on(edit, bus, slot, NULL, TRUE);

    return set != NULL ? set
                       : new_set(edit, g_ptr_array_index(edit->new_sets, edit->new_sets->len - 1));
}

/* The PCI controllers' indexes and the slots with multifunction='on' in @devices (a bitmap of
 * slots per bus): what was there before libvirt defined the domain. */
static void
note_before(xmlNode *devices, gboolean had_index[256], guint32 had_multifunction[256])
{
    for (xmlNode *d = vh_xml_first_element(devices); d != NULL; d = vh_xml_next_element(d)) {
        int index = vh_edit_pci_controller_index(d);
        xmlNode *a = vh_domain_xml_child(d, "address");
        g_autofree char *mf = a != NULL ? vh_domain_xml_attr(a, "multifunction") : NULL;
        guint domain, bus, slot, function;

        if (index >= 0 && index < 256)
            had_index[index] = TRUE;
        if (g_strcmp0(mf, "on") == 0 && vh_guest_pci_address(a, &domain, &bus, &slot, &function) &&
            bus < 256 && slot < 32)
            had_multifunction[bus] |= 1u << slot;
    }
}

/* Records the controllers libvirt added (a root port for a device without a guest address, a
 * bridge when a bus is full), the innermost (highest index) first: remove takes a bridge before
 * its root port. TRUE when it recorded one. */
static gboolean
record_controllers(VhDomainEdit *edit, xmlNode *devices, const gboolean had_index[256])
{
    xmlNode *added[256] = {NULL}; /* the pci controllers libvirt added, by index */
    gboolean recorded = FALSE;

    for (xmlNode *d = vh_xml_first_element(devices); d != NULL; d = vh_xml_next_element(d)) {
        int index = vh_edit_pci_controller_index(d);

        if (index > 0 && index < 256 && !had_index[index])
            added[index] = d;
    }
    for (int index = 255; index > 0; index--) {
        xmlNode *set, *mine;
        g_autofree char *index_s = NULL;
        g_autofree char *model = NULL;

        if (added[index] == NULL)
            continue;
        set = owner_on(edit, (guint)index, -1);
        mine = vh_xml_append(set, vh_edit_record_child(set, "controller"));
        index_s = g_strdup_printf("%d", index);
        model = vh_domain_xml_attr(added[index], "model");
        vh_edit_set_prop(mine, "index", index_s);
        if (model != NULL)
            vh_edit_set_prop(mine, "model", model);
        vh_edit_changed(edit,
                        "libvirt added a %s (controller index %d) for it: remove takes it away too",
                        model != NULL ? model : "PCI controller", index);
        recorded = TRUE;
    }
    return recorded;
}

/* Records the multifunction='on' that libvirt set on function 0 of a slot it put more functions
 * in. TRUE when it recorded one. */
static gboolean
record_multifunction(VhDomainEdit *edit, xmlNode *devices, const guint32 had_multifunction[256])
{
    gboolean recorded = FALSE;

    for (xmlNode *d = vh_xml_first_element(devices); d != NULL; d = vh_xml_next_element(d)) {
        xmlNode *a = vh_domain_xml_child(d, "address");
        g_autofree char *mf = a != NULL ? vh_domain_xml_attr(a, "multifunction") : NULL;
        guint domain, bus, slot, function;
        xmlNode *set, *mine;
        char v[8];

        if (g_strcmp0(mf, "on") != 0 || !vh_guest_pci_address(a, &domain, &bus, &slot, &function) ||
            domain != 0 || bus >= 256 || slot >= 32 || (had_multifunction[bus] & (1u << slot)))
            continue;
        set = owner_on(edit, bus, (int)slot);
        mine = vh_xml_append(set, vh_edit_record_child(set, "multifunction"));
        g_snprintf(v, sizeof v, "0x%02x", bus);
        vh_edit_set_prop(mine, "bus", v);
        g_snprintf(v, sizeof v, "0x%02x", slot);
        vh_edit_set_prop(mine, "slot", v);
        vh_edit_changed(
            edit,
            "libvirt set multifunction='on' on guest slot 0000:%02x:%02x: remove takes it "
            "back too",
            bus, slot);
        recorded = TRUE;
    }
    return recorded;
}

gboolean
vh_domain_edit_adopt_defined(VhDomainEdit *edit, const char *defined, gboolean *recorded,
                             GError **error)
{
    xmlDoc *doc = vh_domain_xml_read(defined, strlen(defined), error);
    xmlNode *devices;
    gboolean had_index[256] = {FALSE};
    guint32 had_multifunction[256] = {0};

    *recorded = FALSE;
    if (doc == NULL)
        return FALSE;
    note_before(vh_domain_xml_child(edit->root, "devices"), had_index, had_multifunction);
    xmlFreeDoc(edit->doc);
    edit->doc = doc;
    edit->root = xmlDocGetRootElement(doc);
    if (edit->new_sets->len == 0 || new_set(edit, g_ptr_array_index(edit->new_sets, 0)) == NULL)
        return TRUE; /* no device added (or the record is gone): nothing of libvirt's to own */
    devices = vh_domain_xml_child(edit->root, "devices");
    *recorded = record_controllers(edit, devices, had_index);
    *recorded |= record_multifunction(edit, devices, had_multifunction);
    return TRUE;
}

/* Takes back a multifunction='on' libvirt set on a slot for @set, once function 0 is alone
 * there; while another set's device shares the slot, the record goes to that set. */
void
vh_edit_take_back_multifunction(VhDomainEdit *edit, xmlNode *set, xmlNode *mine)
{
    xmlNode *devices = vh_domain_xml_child(edit->root, "devices");
    g_autofree char *b = vh_domain_xml_attr(mine, "bus");
    g_autofree char *s = vh_domain_xml_attr(mine, "slot");
    guint bus = vh_guest_pci_number(b), slot = vh_guest_pci_number(s);
    xmlNode *first = devices != NULL ? vh_guest_pci_address_at(devices, bus, slot, 0) : NULL;
    xmlNode *other;

    if (first == NULL || !xmlHasProp(first, BAD_CAST_STR("multifunction")))
        return;
    if (vh_guest_pci_address_at(devices, bus, slot, -1) != NULL) {
        if ((other = set_on(edit, bus, (int)slot, set, FALSE)) != NULL) {
            xmlUnlinkNode(mine);
            vh_xml_append(other, mine);
        }
        return;
    }
    xmlUnsetProp(first, BAD_CAST_STR("multifunction"));
    vh_edit_changed(edit, "took back multifunction='on' from guest slot 0000:%02x:%02x", bus, slot);
}
