/* vfio-handoff: editing a domain definition for `add` and `remove`: the document, its record,
 * the hostdevs (memory in vh-domain-edit-memory.c, what libvirt adds in -libvirt.c). Pure: XML
 * in, XML out.
 * New elements go where libvirt itself would format them, indented as libvirt does (two
 * spaces), so a --dry-run diff shows just the change. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "vh-domain-edit.h"
#include "vh-domain-xml.h"
#include "vh-error.h"
#include "vh-guest-pci.h"
#include "vh-pci-address.h"
#include "vh-xml-layout.h"
#include "vh-xml-writer.h"

#include "vh-domain-edit-private.h"

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
    edit->new_sets = g_ptr_array_new_with_free_func(g_free);
    return edit;
}

void
vh_domain_edit_free(VhDomainEdit *edit)
{
    if (edit == NULL)
        return;
    xmlFreeDoc(edit->doc);
    g_ptr_array_unref(edit->changes);
    g_ptr_array_unref(edit->new_sets);
    g_free(edit);
}

char *
vh_domain_edit_to_xml(const VhDomainEdit *edit)
{
    GString *out = g_string_new(NULL);

    vh_xml_write_libvirt(out, edit->doc);
    return g_string_free(out, FALSE);
}

const GPtrArray *
vh_domain_edit_changes(const VhDomainEdit *edit)
{
    return edit->changes;
}

/* The set that recorded @address, or NULL. */
static xmlNode *
set_of(VhDomainEdit *edit, const char *address)
{
    xmlNode *handoff = vh_edit_record(edit, FALSE);

    for (xmlNode *s = handoff != NULL ? handoff->children : NULL; s != NULL; s = s->next) {
        if (!vh_edit_is_ours(s, "set"))
            continue;
        for (xmlNode *h = s->children; h != NULL; h = h->next) {
            g_autofree char *a =
                vh_edit_is_ours(h, "hostdev") ? vh_domain_xml_attr(h, "address") : NULL;

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
        devices = vh_xml_append(edit->root,
                                xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR("devices"), NULL));
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
    xmlNode *devices = vh_domain_xml_child(edit->root, "devices");
    int counts[3] = {0};

    /* any form: a VF the domain has as an <interface type='hostdev'> is not added again */
    for (xmlNode *n = devices != NULL ? devices->children : NULL; n != NULL; n = n->next) {
        char source[VH_PCI_ADDRESS_BUFSIZE];
        int index = vh_domain_xml_pci_use_index(n, counts);
        gboolean m = FALSE;

        if (index > 0 && vh_domain_xml_pci_use(n, index, source, &m, NULL) &&
            strcmp(source, address) == 0) {
            if (managed != NULL)
                *managed = m;
            return TRUE;
        }
    }
    return FALSE;
}

/*
 * A guest slot for a multifunction device: bus and slot, and the root port made for it (-1:
 * none). PCIe (q35) has one slot per root port, so it gets a new pcie-root-port, indexed above
 * every bus in use. PCI (pc) gets the first free slot of bus 0 from 3 (0: host bridge, 1: PIIX3,
 * 2: video, by QEMU's habit), else of a pci-bridge from 1 (libvirt keeps slot 0 of a bridge).
 */
static gboolean
guest_slot(VhDomainEdit *edit, guint *bus, guint *slot, int *controller, GError **error)
{
    static const char *const after_controllers[] = {"emulator", "disk", "controller", NULL};
    VhGuestPci u;

    vh_guest_pci_usage(edit->root, &u);
    if (vh_guest_pci_is_pcie(edit->root)) {
        xmlNode *c = xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR("controller"), NULL);
        g_autofree char *index = g_strdup_printf("%d", MAX(u.max_index + 1, 1));

        vh_edit_set_prop(c, "type", "pci");
        vh_edit_set_prop(c, "index", index);
        vh_edit_set_prop(c, "model", "pcie-root-port");
        vh_xml_place(devices_of(edit), after_controllers, c);
        *controller = MAX(u.max_index + 1, 1);
        *bus = (guint)*controller;
        *slot = 0;
        vh_edit_changed(edit,
                        "added a pcie-root-port (controller index %d) for a multifunction device",
                        *controller);
        return TRUE;
    }
    *controller = -1;
    for (guint b = 0; b < 256; b++) {
        if (b != 0 && !u.bridge[b])
            continue;
        for (guint s = b == 0 ? 3 : 1; s < 32; s++) {
            if ((u.slots[b] & (1u << s)) == 0) {
                *bus = b;
                *slot = s;
                return TRUE;
            }
        }
    }
    g_set_error(error, VH_ERROR, VH_ERROR_UNSUPPORTED,
                "guest: no free PCI slot for a multifunction device, on bus 0 or a pci-bridge "
                "(fix: add a pci-bridge controller with 'virsh edit', or pass --only)");
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

    vh_edit_set_prop(h, "mode", "subsystem");
    vh_edit_set_prop(h, "type", "pci");
    vh_edit_set_prop(h, "managed", "no"); /* the hook hands it off (DESIGN §4) */
    g_snprintf(v, sizeof v, "0x%04x", host->domain);
    vh_edit_set_prop(a, "domain", v);
    g_snprintf(v, sizeof v, "0x%02x", host->bus);
    vh_edit_set_prop(a, "bus", v);
    g_snprintf(v, sizeof v, "0x%02x", host->slot);
    vh_edit_set_prop(a, "slot", v);
    g_snprintf(v, sizeof v, "0x%x", host->function);
    vh_edit_set_prop(a, "function", v);
    if (guest) {
        a = xmlNewChild(h, NULL, BAD_CAST_STR("address"), NULL);
        vh_edit_set_prop(a, "type", "pci");
        vh_edit_set_prop(a, "domain", "0x0000");
        g_snprintf(v, sizeof v, "0x%02x", bus);
        vh_edit_set_prop(a, "bus", v);
        g_snprintf(v, sizeof v, "0x%02x", slot);
        vh_edit_set_prop(a, "slot", v);
        g_snprintf(v, sizeof v, "0x%x", function);
        vh_edit_set_prop(a, "function", v);
        if (multifunction)
            vh_edit_set_prop(a, "multifunction", "on");
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
        /* already there, in any form: left as is */
        placed[i] = vh_domain_edit_has_hostdev(edit, addresses[i], NULL);
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
            xmlNode *handoff = vh_edit_record(edit, TRUE);

            set = vh_xml_append(handoff, vh_edit_record_child(handoff, "set"));
            vh_edit_set_prop(set, "device", addresses[0]);
            g_ptr_array_add(edit->new_sets, g_strdup(addresses[0]));
        }
        if (controller >= 0) {
            g_autofree char *c = g_strdup_printf("%d", controller);

            vh_edit_set_prop(set, "controller", c); /* one multifunction slot per set: a GPU's */
        }
        /* this function and its siblings, in the order given, as functions 0..n-1 */
        for (guint j = i; j < n; j++) {
            if (placed[j] || !same_slot(&host[i], &host[j]))
                continue;
            vh_pci_address_format(&host[j], canonical);
            vh_xml_place(devices_of(edit), after_hostdevs,
                         new_hostdev(edit->doc, &host[j], functions > 1, bus, slot, function,
                                     functions > 1 && function == 0));
            vh_edit_set_prop(vh_xml_append(set, vh_edit_record_child(set, "hostdev")), "address",
                             canonical);
            if (functions > 1)
                vh_edit_changed(edit,
                                "added <hostdev managed='no'> for %s as guest 0000:%02x:%02x.%u",
                                canonical, bus, slot, function);
            else
                vh_edit_changed(edit, "added <hostdev managed='no'> for %s", canonical);
            placed[j] = TRUE;
            function++;
        }
    }
    return TRUE;
}

/* Drops the record once no set is left in it, undoing the memory settings first. */
static void
settle(VhDomainEdit *edit)
{
    xmlNode *handoff = vh_edit_record(edit, FALSE);
    xmlNode *metadata;

    if (handoff == NULL || vh_edit_our_child(handoff, "set") != NULL)
        return;
    vh_edit_unlock_memory(edit, handoff);
    metadata = handoff->parent;
    vh_xml_drop(handoff);
    vh_xml_drop_if_empty(metadata);
}

/* Removes the pci controller @index of @model unless something has been put on its bus since. */
static void
remove_controller(VhDomainEdit *edit, guint index, const char *model)
{
    xmlNode *devices = vh_domain_xml_child(edit->root, "devices");

    if (devices == NULL || vh_guest_pci_bus_in_use(devices, index))
        return; /* something else has been put on it since: it stays */
    for (xmlNode *c = vh_xml_first_element(devices); c != NULL; c = vh_xml_next_element(c)) {
        g_autofree char *m =
            vh_edit_pci_controller_index(c) == (int)index ? vh_domain_xml_attr(c, "model") : NULL;

        if (m != NULL && g_strcmp0(m, model) == 0) {
            vh_xml_drop(c);
            vh_edit_changed(edit, "removed the %s (controller index %u) added for it", model,
                            index);
            return;
        }
    }
}

static void
remove_set(VhDomainEdit *edit, xmlNode *set)
{
    g_autofree char *controller = vh_domain_xml_attr(set, "controller");

    for (xmlNode *h = set->children; h != NULL; h = h->next) {
        g_autofree char *address =
            vh_edit_is_ours(h, "hostdev") ? vh_domain_xml_attr(h, "address") : NULL;
        xmlNode *hostdev = address != NULL ? find_hostdev(edit, address) : NULL;

        if (hostdev != NULL) {
            vh_xml_drop(hostdev);
            vh_edit_changed(edit, "removed <hostdev> for %s", address);
        }
    }
    /* libvirt's, recorded innermost first, then the root port made for a multifunction device */
    for (xmlNode *c = set->children; c != NULL; c = c->next) {
        g_autofree char *index =
            vh_edit_is_ours(c, "controller") ? vh_domain_xml_attr(c, "index") : NULL;
        g_autofree char *model = index != NULL ? vh_domain_xml_attr(c, "model") : NULL;

        if (index != NULL && model != NULL)
            remove_controller(edit, vh_guest_pci_number(index), model);
    }
    if (controller != NULL)
        remove_controller(edit, vh_guest_pci_number(controller), "pcie-root-port");
    for (xmlNode *c = set->children, *next; c != NULL; c = next) {
        next = c->next; /* it may move to another set */
        if (vh_edit_is_ours(c, "multifunction"))
            vh_edit_take_back_multifunction(edit, set, c);
    }
    vh_xml_drop(set);
}

gboolean
vh_domain_edit_remove_hostdevs(VhDomainEdit *edit, const char *address, GError **error)
{
    xmlNode *set = set_of(edit, address);
    xmlNode *hostdev;

    if (set != NULL) {
        remove_set(edit, set);
    } else if ((hostdev = find_hostdev(edit, address)) != NULL) {
        vh_xml_drop(hostdev);
        vh_edit_changed(edit, "removed <hostdev> for %s (it was not added by vfio-handoff)",
                        address);
    } else if (vh_domain_edit_has_hostdev(edit, address, NULL)) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "%s: the domain has it as an <interface type='hostdev'> or an NVMe <disk>, "
                    "which vfio-handoff does not remove (fix: remove it with 'virsh edit')",
                    address);
        return FALSE;
    } else {
        g_set_error(error, VH_ERROR, VH_ERROR_NOT_FOUND,
                    "%s: the domain has no hostdev for it (fix: 'virsh dumpxml DOMAIN' shows its "
                    "hostdevs)",
                    address);
        return FALSE;
    }
    settle(edit);
    return TRUE;
}

gboolean
vh_domain_edit_remove_all(VhDomainEdit *edit)
{
    xmlNode *handoff = vh_edit_record(edit, FALSE);
    xmlNode *set;

    if (handoff == NULL)
        return FALSE;
    while ((set = vh_edit_our_child(handoff, "set")) != NULL)
        remove_set(edit, set);
    settle(edit);
    return TRUE;
}
