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
#include "vh-guest-pci.h"
#include "vh-pci-address.h"
#include "vh-units.h"
#include "vh-xml-layout.h"
#include "vh-xml-writer.h"

struct VhDomainEdit {
    xmlDoc *doc;
    xmlNode *root;
    GPtrArray *changes;  /* char * */
    GPtrArray *new_sets; /* char *: the device of each set this edit made */
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

static void G_GNUC_PRINTF(2, 3) changed(VhDomainEdit *edit, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(edit->changes, g_strdup_vprintf(fmt, ap));
    va_end(ap);
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
        metadata = vh_xml_place(edit->root, before_metadata,
                                xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR("metadata"), NULL));
    handoff = xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR("handoff"), NULL);
    ns = xmlNewNs(handoff, BAD_CAST_STR(VH_DOMAIN_EDIT_NAMESPACE),
                  BAD_CAST_STR(VH_DOMAIN_EDIT_PREFIX));
    xmlSetNs(handoff, ns);
    return vh_xml_append(metadata, handoff);
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

        set_prop(c, "type", "pci");
        set_prop(c, "index", index);
        set_prop(c, "model", "pcie-root-port");
        vh_xml_place(devices_of(edit), after_controllers, c);
        *controller = MAX(u.max_index + 1, 1);
        *bus = (guint)*controller;
        *slot = 0;
        changed(edit, "added a pcie-root-port (controller index %d) for a multifunction device",
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
                "no free PCI slot in the guest for a multifunction device, on bus 0 or a "
                "pci-bridge (add a pci-bridge controller, or use --only)");
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
            xmlNode *handoff = record(edit, TRUE);

            set = vh_xml_append(handoff, record_child(handoff, "set"));
            set_prop(set, "device", addresses[0]);
            g_ptr_array_add(edit->new_sets, g_strdup(addresses[0]));
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
            vh_xml_place(devices_of(edit), after_hostdevs,
                         new_hostdev(edit->doc, &host[j], functions > 1, bus, slot, function,
                                     functions > 1 && function == 0));
            set_prop(vh_xml_append(set, record_child(set, "hostdev")), "address", canonical);
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

/* ---- what libvirt adds when it defines the result ---- */

/* The set this edit made for @device. */
static xmlNode *
new_set(VhDomainEdit *edit, const char *device)
{
    xmlNode *handoff = record(edit, FALSE);

    for (xmlNode *s = handoff != NULL ? handoff->children : NULL; s != NULL; s = s->next) {
        g_autofree char *d = is_ours(s, "set") ? vh_domain_xml_attr(s, "device") : NULL;

        if (g_strcmp0(d, device) == 0)
            return s;
    }
    return NULL;
}

/* The index of a <controller type='pci'>, or -1 for any other element. */
static int
pci_controller_index(const xmlNode *n)
{
    g_autofree char *type =
        vh_domain_xml_is(n, "controller") ? vh_domain_xml_attr(n, "type") : NULL;
    g_autofree char *index = type != NULL ? vh_domain_xml_attr(n, "index") : NULL;

    return g_strcmp0(type, "pci") == 0 && index != NULL ? (int)vh_guest_pci_number(index) : -1;
}

/* Does @set hold @n: a hostdev it added, the root port it made, or a controller recorded in it? */
static gboolean
set_holds(const xmlNode *set, const xmlNode *n)
{
    char source[VH_PCI_ADDRESS_BUFSIZE];
    gboolean hostdev =
        vh_domain_xml_is(n, "hostdev") && vh_domain_xml_hostdev_source(n, 1, source, NULL);
    int index = pci_controller_index(n);
    g_autofree char *controller = vh_domain_xml_attr(set, "controller");

    if (index >= 0 && controller != NULL && vh_guest_pci_number(controller) == (guint)index)
        return TRUE;
    for (xmlNode *c = set->children; c != NULL; c = c->next) {
        g_autofree char *a = is_ours(c, "hostdev") ? vh_domain_xml_attr(c, "address") : NULL;
        g_autofree char *i = is_ours(c, "controller") ? vh_domain_xml_attr(c, "index") : NULL;

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
    xmlNode *handoff = record(edit, FALSE);

    for (xmlNode *d = vh_xml_first_element(devices); d != NULL; d = vh_xml_next_element(d)) {
        xmlNode *a = vh_domain_xml_child(d, "address");
        guint domain, b, sl, f;

        if (a == NULL || !vh_guest_pci_address(a, &domain, &b, &sl, &f) || domain != 0 ||
            b != bus || (slot >= 0 && (sl != (guint)slot || f == 0)))
            continue;
        for (xmlNode *set = handoff != NULL ? handoff->children : NULL; set != NULL;
             set = set->next) {
            if (is_ours(set, "set") && set != except && (!new_only || is_new_set(edit, set)) &&
                set_holds(set, d))
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

static int
compare_desc(gconstpointer a, gconstpointer b)
{
    return *(const int *)b - *(const int *)a;
}

gboolean
vh_domain_edit_adopt_defined(VhDomainEdit *edit, const char *defined, gboolean *recorded,
                             GError **error)
{
    xmlDoc *doc = vh_domain_xml_read(defined, strlen(defined), error);
    xmlNode *devices;
    gboolean had_index[256] = {FALSE};
    guint32 had_multifunction[256] = {0}; /* a bitmap of slots per bus */
    g_autoptr(GArray) added = g_array_new(FALSE, FALSE, sizeof(int));

    *recorded = FALSE;
    if (doc == NULL)
        return FALSE;
    devices = vh_domain_xml_child(edit->root, "devices");
    for (xmlNode *d = vh_xml_first_element(devices); d != NULL; d = vh_xml_next_element(d)) {
        int index = pci_controller_index(d);
        xmlNode *a = vh_domain_xml_child(d, "address");
        g_autofree char *mf = a != NULL ? vh_domain_xml_attr(a, "multifunction") : NULL;
        guint domain, bus, slot, function;

        if (index >= 0 && index < 256)
            had_index[index] = TRUE;
        if (g_strcmp0(mf, "on") == 0 && vh_guest_pci_address(a, &domain, &bus, &slot, &function) &&
            bus < 256 && slot < 32)
            had_multifunction[bus] |= 1u << slot;
    }
    xmlFreeDoc(edit->doc);
    edit->doc = doc;
    edit->root = xmlDocGetRootElement(doc);
    if (edit->new_sets->len == 0 || new_set(edit, g_ptr_array_index(edit->new_sets, 0)) == NULL)
        return TRUE; /* no device added (or the record is gone): nothing of libvirt's to own */

    /* controllers libvirt added (a root port for a device without a guest address, a bridge
     * when a bus is full), the innermost first: remove takes a bridge before its root port */
    devices = vh_domain_xml_child(edit->root, "devices");
    for (xmlNode *d = vh_xml_first_element(devices); d != NULL; d = vh_xml_next_element(d)) {
        int index = pci_controller_index(d);

        if (index > 0 && index < 256 && !had_index[index])
            g_array_append_val(added, index);
    }
    g_array_sort(added, compare_desc);
    for (guint i = 0; i < added->len; i++) {
        int index = g_array_index(added, int, i);
        xmlNode *set = owner_on(edit, (guint)index, -1);
        xmlNode *mine = vh_xml_append(set, record_child(set, "controller"));
        g_autofree char *index_s = g_strdup_printf("%d", index);
        g_autofree char *model = NULL;

        for (xmlNode *d = vh_xml_first_element(devices); d != NULL; d = vh_xml_next_element(d)) {
            if (pci_controller_index(d) == index)
                model = vh_domain_xml_attr(d, "model");
        }
        set_prop(mine, "index", index_s);
        if (model != NULL)
            set_prop(mine, "model", model);
        changed(edit, "libvirt added a %s (controller index %d) for it: remove takes it away too",
                model != NULL ? model : "PCI controller", index);
        *recorded = TRUE;
    }
    /* multifunction='on' that libvirt set on function 0 of a slot it put more functions in */
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
        mine = vh_xml_append(set, record_child(set, "multifunction"));
        g_snprintf(v, sizeof v, "0x%02x", bus);
        set_prop(mine, "bus", v);
        g_snprintf(v, sizeof v, "0x%02x", slot);
        set_prop(mine, "slot", v);
        changed(edit,
                "libvirt set multifunction='on' on guest slot 0000:%02x:%02x: remove takes it "
                "back too",
                bus, slot);
        *recorded = TRUE;
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

    return n != NULL ? n
                     : vh_xml_place(edit->root, after,
                                    xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR(name), NULL));
}

static void
set_kib(xmlNode *n, guint64 kib)
{
    g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT, kib);

    xmlNodeSetContent(n, BAD_CAST_STR(text));
    set_prop(n, "unit", "KiB");
}

/* <memoryBacking><locked/>, recorded so that remove takes it away again. */
static void
lock_backing(VhDomainEdit *edit)
{
    static const char *const after_backing[] = {"name",          "uuid",      "genid",     "title",
                                                "description",   "metadata",  "maxMemory", "memory",
                                                "currentMemory", "blkiotune", "memtune",   NULL};
    static const char *const after_locked[] = {"hugepages", "nosharepages", NULL};
    xmlNode *backing = vh_domain_xml_child(edit->root, "memoryBacking");
    xmlNode *handoff;

    if (backing != NULL && vh_domain_xml_child(backing, "locked") != NULL)
        return;
    backing = child_or_new(edit, "memoryBacking", after_backing);
    vh_xml_place(backing, after_locked,
                 xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR("locked"), NULL));
    handoff = record(edit, TRUE);
    if (our_child(handoff, "locked") == NULL)
        vh_xml_append(handoff, record_child(handoff, "locked"));
    changed(edit, "locked the guest's memory (<memoryBacking><locked/>)");
}

/* Records a limit set, as the record child @name ("hard-limit", "swap-hard-limit"), with the
 * user's, @limit_kib, to restore when @had_limit. */
static void
record_limit(VhDomainEdit *edit, const char *name, guint64 need_kib, gboolean had_limit,
             guint64 limit_kib)
{
    xmlNode *handoff = record(edit, TRUE);
    xmlNode *mine = our_child(handoff, name);
    g_autofree char *kib = g_strdup_printf("%" G_GUINT64_FORMAT, need_kib);
    g_autofree char *prev = g_strdup_printf("%" G_GUINT64_FORMAT, limit_kib);

    if (mine == NULL) {
        mine = vh_xml_append(handoff, record_child(handoff, name));
        set_prop(mine, "kib", kib); /* first: the attributes keep their order */
        if (had_limit)              /* the user's, restored by remove */
            set_prop(mine, "previous-kib", prev);
    }
    set_prop(mine, "kib", kib);
}

/* libvirt's memtune refuses a hard_limit above swap_hard_limit (memory + swap), and the
 * kernel's memory cgroup a swap limit below the memory limit: a <swap_hard_limit> below the new
 * hard limit is raised to it (the locked guest memory does not swap), recorded for remove. */
static void
keep_swap_limit_above(VhDomainEdit *edit, xmlNode *memtune, guint64 need_kib)
{
    xmlNode *swap = vh_domain_xml_child(memtune, "swap_hard_limit");
    guint64 swap_kib = 0;
    g_autofree char *was = NULL;
    g_autofree char *now = NULL;

    if (swap == NULL || !vh_domain_xml_scaled_kib(swap, &swap_kib, NULL) || swap_kib >= need_kib)
        return;
    record_limit(edit, "swap-hard-limit", need_kib, TRUE, swap_kib);
    set_kib(swap, need_kib);
    was = vh_format_size(swap_kib * 1024);
    now = vh_format_size(need_kib * 1024);
    changed(edit,
            "raised <memtune><swap_hard_limit> from %s to %s (libvirt refuses it below "
            "hard_limit)",
            was, now);
}

gboolean
vh_domain_edit_lock_memory(VhDomainEdit *edit, gboolean lock, guint64 overhead, GError **error)
{
    xmlNode *memory = vh_domain_xml_child(edit->root, "memory");
    xmlNode *memtune, *limit;
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
    if (lock)
        lock_backing(edit);

    memtune = vh_domain_xml_child(edit->root, "memtune");
    limit = memtune != NULL ? vh_domain_xml_child(memtune, "hard_limit") : NULL;
    if (limit != NULL && !vh_domain_xml_scaled_kib(limit, &limit_kib, error))
        return FALSE;
    if (limit != NULL && limit_kib >= need_kib)
        return TRUE; /* the user's limit, or ours, already covers memory + overhead */
    record_limit(edit, "hard-limit", need_kib, limit != NULL, limit_kib);
    if (limit == NULL) {
        memtune = child_or_new(edit, "memtune", after_memtune);
        limit = xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR("hard_limit"), NULL);
        if (vh_xml_first_element(memtune) != NULL) /* libvirt formats it first */
            vh_xml_insert_before(vh_xml_first_element(memtune), limit);
        else
            vh_xml_append(memtune, limit);
        changed(edit, "set <memtune><hard_limit> to %s (guest memory + memory-overhead)", need_s);
    } else {
        g_autofree char *was = vh_format_size(limit_kib * 1024);

        changed(edit, "raised <memtune><hard_limit> from %s to %s (guest memory + memory-overhead)",
                was, need_s);
    }
    set_kib(limit, need_kib);
    keep_swap_limit_above(edit, memtune, need_kib);
    return TRUE;
}

/* Undoes the limit recorded as @name, set in <memtune><@element>, only if it is still as
 * vfio-handoff left it: restores the user's, or removes it. */
static void
restore_limit(VhDomainEdit *edit, xmlNode *handoff, const char *name, const char *element)
{
    xmlNode *memtune = vh_domain_xml_child(edit->root, "memtune");
    xmlNode *limit = memtune != NULL ? vh_domain_xml_child(memtune, element) : NULL;
    xmlNode *mine = our_child(handoff, name);
    g_autofree char *kib = NULL;
    g_autofree char *previous = NULL;
    guint64 now = 0;

    if (mine == NULL || limit == NULL)
        return;
    kib = vh_domain_xml_attr(mine, "kib");
    previous = vh_domain_xml_attr(mine, "previous-kib");
    if (!vh_domain_xml_scaled_kib(limit, &now, NULL) || kib == NULL ||
        now != g_ascii_strtoull(kib, NULL, 10)) {
        g_autofree char *now_s = vh_format_size(now * 1024);

        changed(edit, "left <memtune><%s> at %s: it was changed after vfio-handoff set it", element,
                now_s);
    } else if (previous != NULL) {
        g_autofree char *was = vh_format_size(g_ascii_strtoull(previous, NULL, 10) * 1024);

        set_kib(limit, g_ascii_strtoull(previous, NULL, 10));
        changed(edit, "restored <memtune><%s> to %s", element, was);
    } else {
        vh_xml_drop(limit);
        vh_xml_drop_if_empty(memtune);
        changed(edit, "removed <memtune><%s> (vfio-handoff had set it)", element);
    }
}

/* Undoes the memory settings recorded, each only if it is still as vfio-handoff left it. */
static void
unlock_memory(VhDomainEdit *edit, xmlNode *handoff)
{
    xmlNode *backing = vh_domain_xml_child(edit->root, "memoryBacking");

    if (our_child(handoff, "locked") != NULL && backing != NULL &&
        vh_domain_xml_child(backing, "locked") != NULL) {
        vh_xml_drop(vh_domain_xml_child(backing, "locked"));
        vh_xml_drop_if_empty(backing);
        changed(edit, "unlocked the guest's memory (vfio-handoff had locked it)");
    }
    /* each looks <memtune> up again: the first may have removed it */
    restore_limit(edit, handoff, "hard-limit", "hard_limit");
    restore_limit(edit, handoff, "swap-hard-limit", "swap_hard_limit");
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
            pci_controller_index(c) == (int)index ? vh_domain_xml_attr(c, "model") : NULL;

        if (m != NULL && g_strcmp0(m, model) == 0) {
            vh_xml_drop(c);
            changed(edit, "removed the %s (controller index %u) added for it", model, index);
            return;
        }
    }
}

/* Takes back a multifunction='on' libvirt set on a slot for @set, once function 0 is alone
 * there; while another set's device shares the slot, the record goes to that set. */
static void
remove_multifunction(VhDomainEdit *edit, xmlNode *set, xmlNode *mine)
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
    changed(edit, "took back multifunction='on' from guest slot 0000:%02x:%02x", bus, slot);
}

static void
remove_set(VhDomainEdit *edit, xmlNode *set)
{
    g_autofree char *controller = vh_domain_xml_attr(set, "controller");

    for (xmlNode *h = set->children; h != NULL; h = h->next) {
        g_autofree char *address = is_ours(h, "hostdev") ? vh_domain_xml_attr(h, "address") : NULL;
        xmlNode *hostdev = address != NULL ? find_hostdev(edit, address) : NULL;

        if (hostdev != NULL) {
            vh_xml_drop(hostdev);
            changed(edit, "removed <hostdev> for %s", address);
        }
    }
    /* libvirt's, recorded innermost first, then the root port made for a multifunction device */
    for (xmlNode *c = set->children; c != NULL; c = c->next) {
        g_autofree char *index = is_ours(c, "controller") ? vh_domain_xml_attr(c, "index") : NULL;
        g_autofree char *model = index != NULL ? vh_domain_xml_attr(c, "model") : NULL;

        if (index != NULL && model != NULL)
            remove_controller(edit, vh_guest_pci_number(index), model);
    }
    if (controller != NULL)
        remove_controller(edit, vh_guest_pci_number(controller), "pcie-root-port");
    for (xmlNode *c = set->children, *next; c != NULL; c = next) {
        next = c->next; /* it may move to another set */
        if (is_ours(c, "multifunction"))
            remove_multifunction(edit, set, c);
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
        changed(edit, "removed <hostdev> for %s (it was not added by vfio-handoff)", address);
    } else if (vh_domain_edit_has_hostdev(edit, address, NULL)) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "%s: the domain has it as an <interface type='hostdev'> or an NVMe <disk>, "
                    "which vfio-handoff does not remove (fix: remove it with 'virsh edit')",
                    address);
        return FALSE;
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
