/* vfio-handoff: libvirt domain XML primitives (formatdomain) */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <libxml/parser.h>

#include "vh-domain.h"
#include "vh-domain-xml.h"
#include "vh-error.h"

xmlDoc *
vh_domain_xml_read(const char *xml, gsize len, GError **error)
{
    xmlDoc *doc;
    xmlNode *root;

    if (len > VH_DOMAIN_XML_MAX) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "the domain XML is larger than %d bytes", VH_DOMAIN_XML_MAX);
        return NULL;
    }
    /* no network, no entity substitution (never XML_PARSE_NOENT), quiet */
    /* read as UTF-8 whatever it declares: libvirt writes UTF-8, and the hook's pre-scan reads
     * the bytes as such */
    doc = xmlReadMemory(xml, (int)len, "domain.xml", "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL || (root = xmlDocGetRootElement(doc)) == NULL) {
        const xmlError *e = xmlGetLastError();

        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT, "the domain XML is malformed%s%s",
                    e != NULL && e->message != NULL ? ": " : "",
                    e != NULL && e->message != NULL ? g_strstrip(e->message) : "");
        xmlFreeDoc(doc);
        return NULL;
    }
    if (!vh_domain_xml_is(root, "domain")) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "not a libvirt domain definition (the root element is <%s>, not <domain>)",
                    (const char *)root->name);
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

gboolean
vh_domain_xml_is(const xmlNode *n, const char *name)
{
    /* libvirt's XPath (./devices/hostdev) matches elements in no namespace only */
    return n->type == XML_ELEMENT_NODE && n->ns == NULL && strcmp((const char *)n->name, name) == 0;
}

xmlNode *
vh_domain_xml_child(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n->children; c != NULL; c = c->next) {
        if (vh_domain_xml_is(c, name))
            return c;
    }
    return NULL;
}

char *
vh_domain_xml_attr(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    char *s = v != NULL ? g_strdup((const char *)v) : NULL;

    xmlFree(v);
    return s;
}

char *
vh_domain_xml_raw_text(const xmlNode *n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *s = g_strdup(v != NULL ? (const char *)v : "");

    xmlFree(v);
    return s;
}

char *
vh_domain_xml_text(const xmlNode *n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *s = g_strstrip(g_strdup(v != NULL ? (const char *)v : ""));

    xmlFree(v);
    return s;
}

/* libvirt's scaled integers: <memory unit='GiB'>8</memory>; the default unit is KiB */
gboolean
vh_domain_xml_scaled_kib(const xmlNode *n, guint64 *kib, GError **error)
{
    static const struct {
        const char *unit;
        guint64 num, den; /* bytes = value * num / den ... expressed per KiB below */
    } units[] = {
        {"b", 1, 1024},       {"bytes", 1, 1024},     {"KB", 1000, 1024},
        {"k", 1, 1},          {"KiB", 1, 1},          {"MB", 1000000, 1024},
        {"M", 1024, 1},       {"MiB", 1024, 1},       {"GB", 1000000000, 1024},
        {"G", 1048576, 1},    {"GiB", 1048576, 1},    {"TB", 1000000000000, 1024},
        {"T", 1073741824, 1}, {"TiB", 1073741824, 1},
    };
    g_autofree char *unit = vh_domain_xml_attr(n, "unit");
    g_autofree char *value = vh_domain_xml_text(n);
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
    g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                "<%s> has an unknown or too large "
                "size: '%s %s'",
                (const char *)n->name, value, unit != NULL ? unit : "KiB");
    return FALSE;
}

/* <address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>: hex or decimal */
gboolean
vh_domain_xml_pci_address(const xmlNode *a, int index, char out[VH_PCI_ADDRESS_BUFSIZE],
                          GError **error)
{
    static const char *const names[] = {"domain", "bus", "slot", "function"};
    static const guint64 max[] = {0xffffffff, 0xff, 0x1f, 0x7};
    guint64 v[4];
    VhPciAddress addr;

    for (int i = 0; i < 4; i++) {
        g_autofree char *s = vh_domain_xml_attr(a, names[i]);
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

gboolean
vh_domain_xml_hostdev_source(const xmlNode *hostdev, int index, char out[VH_PCI_ADDRESS_BUFSIZE],
                             GError **error)
{
    g_autofree char *mode = vh_domain_xml_attr(hostdev, "mode");
    g_autofree char *type = vh_domain_xml_attr(hostdev, "type");
    xmlNode *source, *address;

    if (g_strcmp0(mode, "subsystem") != 0 || g_strcmp0(type, "pci") != 0)
        return FALSE;
    source = vh_domain_xml_child(hostdev, "source");
    address = source != NULL ? vh_domain_xml_child(source, "address") : NULL;
    if (address == NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "hostdev %d: a PCI hostdev without <source><address>", index);
        return FALSE;
    }
    return vh_domain_xml_pci_address(address, index, out, error);
}
