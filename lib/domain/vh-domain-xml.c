/* vfio-handoff: libvirt domain XML primitives (formatdomain) */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <libxml/parser.h>

#include "vh-domain-size.h"
#include "vh-domain-xml.h"
#include "vh-error.h"

xmlDoc *
vh_domain_xml_read(const char *xml, gsize len, GError **error)
{
    return vh_domain_xml_read_as(xml, len, "domain", error);
}

xmlDoc *
vh_domain_xml_read_as(const char *xml, gsize len, const char *root_name, GError **error)
{
    xmlDoc *doc;
    xmlNode *root;

    if (len > VH_DOMAIN_XML_MAX) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "<domain>: larger than %d bytes (fix: give a libvirt domain definition, "
                    "which is far smaller)",
                    VH_DOMAIN_XML_MAX);
        return NULL;
    }
    /* no network, no entity substitution (never XML_PARSE_NOENT), quiet */
    /* read as UTF-8 whatever it declares: libvirt writes UTF-8, and the hook's pre-scan reads
     * the bytes as such */
    doc = xmlReadMemory(xml, (int)len, "domain.xml", "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL || (root = xmlDocGetRootElement(doc)) == NULL) {
        const xmlError *e = xmlGetLastError();

        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "XML: malformed%s%s (fix: give a libvirt domain definition, e.g. saved with "
                    "'virsh dumpxml DOMAIN > FILE')",
                    e != NULL && e->message != NULL ? ", " : "",
                    e != NULL && e->message != NULL ? g_strstrip(e->message) : "");
        xmlFreeDoc(doc);
        return NULL;
    }
    if (!vh_domain_xml_is(root, root_name)) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "<%2$s>: not a libvirt %1$s, whose root element is <%3$s> (fix: give a "
                    "libvirt domain definition, e.g. saved with 'virsh dumpxml DOMAIN > FILE')",
                    strcmp(root_name, "domain") == 0 ? "domain definition" : "domain status",
                    (const char *)root->name, root_name);
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

/* The bytes in one @unit, as libvirt's virScaleInteger() reads it: case-insensitive, "b",
 * "byte", "bytes", a power-of-two "k"/"KiB" up to "e"/"EiB", or a power-of-ten "KB" up to
 * "EB"; 0 when it is none of these. */
static guint64
unit_bytes(const char *unit)
{
    static const char powers[] = "kmgtpe";
    const char *p;
    guint64 base, scale = 1;

    if (unit == NULL || unit[0] == '\0')
        return 1024; /* libvirt's default: KiB */
    if (g_ascii_strcasecmp(unit, "b") == 0 || g_ascii_strcasecmp(unit, "byte") == 0 ||
        g_ascii_strcasecmp(unit, "bytes") == 0)
        return 1;
    if (unit[1] == '\0' || g_ascii_strcasecmp(unit + 1, "iB") == 0)
        base = 1024;
    else if (g_ascii_tolower(unit[1]) == 'b' && unit[2] == '\0')
        base = 1000;
    else
        return 0;
    if ((p = strchr(powers, g_ascii_tolower(unit[0]))) == NULL)
        return 0;
    for (const char *q = powers; q <= p; q++)
        scale *= base;
    return scale;
}

gboolean
vh_domain_xml_scale_kib(const char *value, const char *unit, guint64 *kib)
{
    guint64 v, scale = unit_bytes(unit);
    char *end = NULL;

    if (value == NULL || !g_ascii_isdigit(value[0]))
        return FALSE;
    errno = 0;
    v = g_ascii_strtoull(value, &end, 10);
    if (errno != 0 || *end != '\0' || scale == 0 || (v != 0 && v > G_MAXUINT64 / scale))
        return FALSE;
    v *= scale;
    *kib = v / 1024 + (v % 1024 != 0);
    return TRUE;
}

/* libvirt's scaled integers: <memory unit='GiB'>8</memory>; the default unit is KiB */
gboolean
vh_domain_xml_scaled_kib(const xmlNode *n, guint64 *kib, GError **error)
{
    g_autofree char *unit = vh_domain_xml_attr(n, "unit");
    g_autofree char *value = vh_domain_xml_text(n);

    if (!g_ascii_isdigit(value[0]) || strspn(value, "0123456789") != strlen(value)) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "<%s>: holds '%s', not a number (fix: correct the domain definition, e.g. with 'virsh edit DOMAIN')",
                    (const char *)n->name, value);
        return FALSE;
    }
    if (!vh_domain_xml_scale_kib(value, unit, kib)) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "<%s>: an unknown or too large size, '%s %s' (fix: correct the domain definition, e.g. with 'virsh edit DOMAIN')",
                    (const char *)n->name, value, unit != NULL ? unit : "KiB");
        return FALSE;
    }
    return TRUE;
}

/* <address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>: hex, octal or decimal */
static gboolean pci_address(const xmlNode *a, const char *element, int index,
                            char out[VH_PCI_ADDRESS_BUFSIZE], GError **error);

gboolean
vh_domain_xml_pci_address(const xmlNode *a, int index, char out[VH_PCI_ADDRESS_BUFSIZE],
                          GError **error)
{
    return pci_address(a, "hostdev", index, out, error);
}

static gboolean
pci_address(const xmlNode *a, const char *element, int index, char out[VH_PCI_ADDRESS_BUFSIZE],
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
        /* as libvirt's virPCIDeviceAddressParseXML(): each field absent is 0, base 0 */
        v[i] = s != NULL ? g_ascii_strtoull(s, &end, 0) : 0;
        if (s != NULL &&
            (s[0] == '\0' || *end != '\0' || errno != 0 || s[0] == '-' || v[i] > max[i])) {
            g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                        "%s[%d]: invalid PCI address %s='%s', at most 0x%" G_GINT64_MODIFIER
                        "x (fix: correct the domain definition, e.g. with 'virsh edit DOMAIN')",
                        element, index, names[i], s != NULL ? s : "", max[i]);
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

    /* libvirt's default mode is subsystem (virDomainHostdevDefParseXML()) */
    if ((mode != NULL && strcmp(mode, "subsystem") != 0) || g_strcmp0(type, "pci") != 0)
        return FALSE;
    source = vh_domain_xml_child(hostdev, "source");
    address = source != NULL ? vh_domain_xml_child(source, "address") : NULL;
    if (address == NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "hostdev[%d]: a PCI hostdev without <source><address> (fix: correct the domain definition, e.g. with 'virsh edit DOMAIN')",
                    index);
        return FALSE;
    }
    return vh_domain_xml_pci_address(address, index, out, error);
}

/* <interface type='hostdev'>: an SR-IOV VF given as a NIC; managed= on the element, libvirt's
 * default no; only a <source><address type='pci'> is a PCI device */
static gboolean
interface_source(const xmlNode *n, int index, char out[VH_PCI_ADDRESS_BUFSIZE], gboolean *managed,
                 GError **error)
{
    g_autofree char *type = vh_domain_xml_attr(n, "type");
    g_autofree char *m = vh_domain_xml_attr(n, "managed");
    xmlNode *source = vh_domain_xml_child(n, "source");
    xmlNode *address = source != NULL ? vh_domain_xml_child(source, "address") : NULL;
    g_autofree char *address_type = address != NULL ? vh_domain_xml_attr(address, "type") : NULL;

    if (g_strcmp0(type, "hostdev") != 0 || g_strcmp0(address_type, "pci") != 0)
        return FALSE;
    *managed = g_strcmp0(m, "yes") == 0;
    return pci_address(address, "interface", index, out, error);
}

/* <disk type='nvme'>: QEMU's userspace NVMe driver on the controller; managed= on <source>,
 * libvirt's default yes (domain_postparse.c) */
static gboolean
nvme_source(const xmlNode *n, int index, char out[VH_PCI_ADDRESS_BUFSIZE], gboolean *managed,
            GError **error)
{
    g_autofree char *type = vh_domain_xml_attr(n, "type");
    xmlNode *source = vh_domain_xml_child(n, "source");
    g_autofree char *source_type = source != NULL ? vh_domain_xml_attr(source, "type") : NULL;
    g_autofree char *m = source != NULL ? vh_domain_xml_attr(source, "managed") : NULL;
    xmlNode *address = source != NULL ? vh_domain_xml_child(source, "address") : NULL;

    if (g_strcmp0(type, "nvme") != 0 || g_strcmp0(source_type, "pci") != 0)
        return FALSE;
    if (address == NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "disk[%d]: an NVMe disk without <source><address> (fix: correct the domain definition, e.g. with 'virsh edit DOMAIN')",
                    index);
        return FALSE;
    }
    *managed = g_strcmp0(m, "no") != 0;
    return pci_address(address, "disk", index, out, error);
}

gboolean
vh_domain_xml_pci_use(const xmlNode *n, int index, char out[VH_PCI_ADDRESS_BUFSIZE],
                      gboolean *managed, GError **error)
{
    if (vh_domain_xml_is(n, "hostdev")) {
        g_autofree char *m = vh_domain_xml_attr(n, "managed");

        *managed = g_strcmp0(m, "yes") == 0; /* libvirt's default is no */
        return vh_domain_xml_hostdev_source(n, index, out, error);
    }
    if (vh_domain_xml_is(n, "interface"))
        return interface_source(n, index, out, managed, error);
    if (vh_domain_xml_is(n, "disk"))
        return nvme_source(n, index, out, managed, error);
    return FALSE;
}

int
vh_domain_xml_pci_use_index(const xmlNode *n, int counts[3])
{
    static const char *const names[] = {"hostdev", "interface", "disk"};

    for (int i = 0; i < 3; i++) {
        if (vh_domain_xml_is(n, names[i]))
            return ++counts[i];
    }
    return 0;
}
