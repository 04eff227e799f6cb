/* vfio-handoff: libvirt domain definitions (formatdomain: <memory>, <memoryBacking>,
 * <memtune>, <hostdev mode='subsystem' type='pci'>) */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "vh-domain.h"
#include "vh-error.h"

static void
hostdev_free(VhDomainHostdev *h)
{
    g_free(h);
}

void
vh_domain_def_free(VhDomainDef *def)
{
    if (def == NULL)
        return;
    g_free(def->name);
    g_free(def->uuid);
    if (def->hostdevs != NULL)
        g_ptr_array_unref(def->hostdevs);
    g_free(def);
}

static gboolean
is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNode *
child(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n->children; c != NULL; c = c->next) {
        if (is(c, name))
            return c;
    }
    return NULL;
}

static char *
attr(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    char *s = v != NULL ? g_strdup((const char *)v) : NULL;

    xmlFree(v);
    return s;
}

static char *
text(const xmlNode *n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *s = g_strstrip(g_strdup(v != NULL ? (const char *)v : ""));

    xmlFree(v);
    return s;
}

/* libvirt's scaled integers: <memory unit='GiB'>8</memory>; the default unit is KiB */
static gboolean
scaled_kib(const xmlNode *n, guint64 *kib, GError **error)
{
    static const struct {
        const char *unit;
        guint64 num, den; /* bytes = value * num / den ... expressed per KiB below */
    } units[] = {
        {"b", 1, 1024},       {"bytes", 1, 1024},          {"KB", 1000, 1024},
        {"k", 1, 1},          {"KiB", 1, 1},               {"MB", 1000000, 1024},
        {"M", 1024, 1},       {"MiB", 1024, 1},            {"GB", 1000000000, 1024},
        {"G", 1048576, 1},    {"GiB", 1048576, 1},         {"TB", 1000000000000, 1024},
        {"T", 1073741824, 1}, {"TiB", 1073741824, 1},
    };
    g_autofree char *unit = attr(n, "unit");
    g_autofree char *value = text(n);
    guint64 v;
    char *end = NULL;

    errno = 0;
    v = g_ascii_strtoull(value, &end, 10);
    if (value[0] == '\0' || errno != 0 || *end != '\0' || !g_ascii_isdigit(value[0])) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT, "<%s> holds '%s', not a number",
                    (const char *)n->name, value);
        return FALSE;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
        if (strcmp(unit != NULL ? unit : "KiB", units[i].unit) == 0) {
            if (v > G_MAXUINT64 / units[i].num)
                break;
            *kib = v * units[i].num / units[i].den;
            return TRUE;
        }
    }
    g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT, "<%s> has an unknown or too large "
                "size: '%s %s'", (const char *)n->name, value, unit != NULL ? unit : "KiB");
    return FALSE;
}

/* <address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>: hex or decimal */
static gboolean
source_address(const xmlNode *a, int index, char out[VH_PCI_ADDRESS_BUFSIZE], GError **error)
{
    static const char *const names[] = {"domain", "bus", "slot", "function"};
    static const guint64 max[] = {0xffffffff, 0xff, 0x1f, 0x7};
    guint64 v[4];
    VhPciAddress addr;

    for (int i = 0; i < 4; i++) {
        g_autofree char *s = attr(a, names[i]);
        char *end = NULL;

        errno = 0;
        v[i] = s != NULL ? g_ascii_strtoull(s, &end, 0) : 0;
        if ((s == NULL && i != 0) || (s != NULL && (s[0] == '\0' || *end != '\0' || errno != 0 ||
                                                    s[0] == '-' || v[i] > max[i]))) {
            g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                        "hostdev %d: invalid PCI address %s='%s' (at most 0x%" G_GINT64_MODIFIER
                        "x)",
                        index, names[i], s != NULL ? s : "", max[i]);
            return FALSE;
        }
    }
    addr.domain = (guint32)v[0];
    addr.bus = (guint8)v[1];
    addr.slot = (guint8)v[2];
    addr.function = (guint8)v[3];
    vh_pci_address_format(&addr, out);
    return TRUE;
}

static gboolean
read_hostdevs(VhDomainDef *def, const xmlNode *devices, GError **error)
{
    int index = 0;

    for (xmlNode *h = devices != NULL ? devices->children : NULL; h != NULL; h = h->next) {
        g_autofree char *mode = NULL;
        g_autofree char *type = NULL;
        g_autofree char *managed = NULL;
        xmlNode *source, *address;
        VhDomainHostdev *hd;

        if (!is(h, "hostdev"))
            continue;
        index++;
        mode = attr(h, "mode");
        type = attr(h, "type");
        if (g_strcmp0(mode, "subsystem") != 0 || g_strcmp0(type, "pci") != 0)
            continue;
        source = child(h, "source");
        address = source != NULL ? child(source, "address") : NULL;
        if (address == NULL) {
            g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                        "hostdev %d: a PCI hostdev without <source><address>", index);
            return FALSE;
        }
        hd = g_new0(VhDomainHostdev, 1);
        managed = attr(h, "managed");
        hd->managed = g_strcmp0(managed, "yes") == 0; /* libvirt's default is no */
        if (!source_address(address, index, hd->address, error)) {
            hostdev_free(hd);
            return FALSE;
        }
        g_ptr_array_add(def->hostdevs, hd);
    }
    return TRUE;
}

static gboolean
read_domain(VhDomainDef *def, const xmlNode *root, GError **error)
{
    xmlNode *n;

    if (!is(root, "domain")) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "not a libvirt domain definition (the root element is <%s>, not <domain>)",
                    (const char *)root->name);
        return FALSE;
    }
    if ((n = child(root, "name")) == NULL || (def->name = text(n))[0] == '\0') {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "the domain definition has no <name>");
        return FALSE;
    }
    if ((n = child(root, "uuid")) != NULL)
        def->uuid = text(n);
    if ((n = child(root, "memory")) != NULL && !scaled_kib(n, &def->memory_kib, error))
        return FALSE;
    if ((n = child(root, "memoryBacking")) != NULL) {
        xmlNode *hp = child(n, "hugepages");
        xmlNode *page = hp != NULL ? child(hp, "page") : NULL;

        def->locked = child(n, "locked") != NULL;
        def->hugepages = hp != NULL;
        if (page != NULL) {
            g_autofree char *size = attr(page, "size");
            g_autofree char *unit = attr(page, "unit");

            def->hugepage_kib = size != NULL ? g_ascii_strtoull(size, NULL, 10) : 0;
            if (g_strcmp0(unit, "M") == 0 || g_strcmp0(unit, "MiB") == 0)
                def->hugepage_kib *= 1024;
            else if (g_strcmp0(unit, "G") == 0 || g_strcmp0(unit, "GiB") == 0)
                def->hugepage_kib *= 1024 * 1024;
        }
    }
    if ((n = child(root, "memtune")) != NULL && (n = child(n, "hard_limit")) != NULL &&
        !scaled_kib(n, &def->hard_limit_kib, error))
        return FALSE;
    return read_hostdevs(def, child(root, "devices"), error);
}

VhDomainDef *
vh_domain_def_parse(const char *xml, gsize len, GError **error)
{
    g_autoptr(VhDomainDef) def = g_new0(VhDomainDef, 1);
    xmlDoc *doc;
    gboolean ok;

    def->hostdevs = g_ptr_array_new_with_free_func((GDestroyNotify)hostdev_free);
    if (len > VH_DOMAIN_XML_MAX) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "the domain XML is larger than %d bytes", VH_DOMAIN_XML_MAX);
        return NULL;
    }
    /* no network, no entity substitution (never XML_PARSE_NOENT), quiet */
    doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL || xmlDocGetRootElement(doc) == NULL) {
        const xmlError *e = xmlGetLastError();

        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT, "the domain XML is malformed%s%s",
                    e != NULL && e->message != NULL ? ": " : "",
                    e != NULL && e->message != NULL ? g_strstrip(e->message) : "");
        xmlFreeDoc(doc);
        return NULL;
    }
    ok = read_domain(def, xmlDocGetRootElement(doc), error);
    xmlFreeDoc(doc);
    return ok ? g_steal_pointer(&def) : NULL;
}

VhDomainDef *
vh_domain_def_load_file(const char *path, GError **error)
{
    g_autofree char *xml = NULL;
    gsize len = 0;
    VhDomainDef *def;

    if (!g_file_get_contents(path, &xml, &len, error))
        return NULL;
    def = vh_domain_def_parse(xml, len, error);
    if (def == NULL)
        g_prefix_error(error, "%s: ", path);
    return def;
}

GPtrArray *
vh_domain_def_unmanaged(const VhDomainDef *def)
{
    GPtrArray *out = g_ptr_array_new();

    for (guint i = 0; i < def->hostdevs->len; i++) {
        VhDomainHostdev *h = g_ptr_array_index(def->hostdevs, i);

        if (!h->managed)
            g_ptr_array_add(out, h->address);
    }
    return out;
}
