/* vfio-handoff: libvirt domain definitions (formatdomain: <memory>, <memoryBacking>,
 * <memtune>, <hostdev mode='subsystem' type='pci'>) */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <libxml/tree.h>

#include "vh-domain.h"
#include "vh-domain-xml.h"
#include "vh-error.h"
#include "vh-units.h"

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

static void
hostdev_free(VhDomainHostdev *hd)
{
    g_free(hd->driver_model);
    g_free(hd);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhDomainHostdev, hostdev_free)

/* <hostdev><driver model='...'/>: empty counts as none, as libvirt drops it */
static char *
driver_model(const xmlNode *use)
{
    xmlNode *driver = vh_domain_xml_is(use, "hostdev") ? vh_domain_xml_child(use, "driver") : NULL;
    char *model = driver != NULL ? vh_domain_xml_attr(driver, "model") : NULL;

    if (model != NULL && model[0] == '\0')
        g_clear_pointer(&model, g_free);
    return model;
}

static gboolean
read_hostdevs(VhDomainDef *def, const xmlNode *devices, GError **error)
{
    int counts[3] = {0};

    for (xmlNode *h = devices != NULL ? devices->children : NULL; h != NULL; h = h->next) {
        g_autoptr(VhDomainHostdev) hd = NULL;
        int index = vh_domain_xml_pci_use_index(h, counts);
        GError *local = NULL;

        if (index == 0)
            continue;
        hd = g_new0(VhDomainHostdev, 1);
        if (!vh_domain_xml_pci_use(h, index, hd->address, &hd->managed, &local)) {
            if (local == NULL)
                continue; /* not a PCI device */
            g_propagate_error(error, local);
            return FALSE;
        }
        hd->driver_model = driver_model(h);
        g_ptr_array_add(def->hostdevs, g_steal_pointer(&hd));
    }
    return TRUE;
}

static gboolean
read_domain(VhDomainDef *def, const xmlNode *root, GError **error)
{
    xmlNode *n;

    /* as libvirt reads it: not stripped (libvirt accepts ' sp ', and passes it so in argv) */
    if ((n = vh_domain_xml_child(root, "name")) == NULL ||
        (def->name = vh_domain_xml_raw_text(n))[0] == '\0') {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "<name>: missing or empty in the domain definition (fix: correct the domain definition, e.g. with 'virsh edit DOMAIN')");
        return FALSE;
    }
    if ((n = vh_domain_xml_child(root, "uuid")) != NULL)
        def->uuid = vh_domain_xml_text(n);
    if ((n = vh_domain_xml_child(root, "memory")) != NULL &&
        !vh_domain_xml_scaled_kib(n, &def->memory_kib, error))
        return FALSE;
    if ((n = vh_domain_xml_child(root, "memoryBacking")) != NULL) {
        xmlNode *hp = vh_domain_xml_child(n, "hugepages");
        xmlNode *page = hp != NULL ? vh_domain_xml_child(hp, "page") : NULL;

        def->locked = vh_domain_xml_child(n, "locked") != NULL;
        def->hugepages = hp != NULL;
        if (page != NULL) {
            g_autofree char *size = vh_domain_xml_attr(page, "size");
            g_autofree char *unit = vh_domain_xml_attr(page, "unit");

            /* as libvirt scales it; one it would refuse counts as the host's default size */
            if (!vh_domain_xml_scale_kib(size, unit, &def->hugepage_kib))
                def->hugepage_kib = 0;
        }
    }
    if ((n = vh_domain_xml_child(root, "memtune")) != NULL &&
        (n = vh_domain_xml_child(n, "hard_limit")) != NULL &&
        !vh_domain_xml_scaled_kib(n, &def->hard_limit_kib, error))
        return FALSE;
    return read_hostdevs(def, vh_domain_xml_child(root, "devices"), error);
}

VhDomainDef *
vh_domain_def_parse(const char *xml, gsize len, GError **error)
{
    g_autoptr(VhDomainDef) def = g_new0(VhDomainDef, 1);
    xmlDoc *doc = vh_domain_xml_read(xml, len, error);
    gboolean ok;

    if (doc == NULL)
        return NULL;
    def->hostdevs = g_ptr_array_new_with_free_func((GDestroyNotify)hostdev_free);
    ok = read_domain(def, xmlDocGetRootElement(doc), error);
    xmlFreeDoc(doc);
    return ok ? g_steal_pointer(&def) : NULL;
}

VhDomainDef *
vh_domain_def_parse_status(const char *xml, gsize len, GError **error)
{
    g_autoptr(VhDomainDef) def = g_new0(VhDomainDef, 1);
    xmlDoc *doc = vh_domain_xml_read_as(xml, len, "domstatus", error);
    xmlNode *domain = doc != NULL ? vh_domain_xml_child(xmlDocGetRootElement(doc), "domain") : NULL;
    gboolean ok;

    if (doc == NULL)
        return NULL;
    def->hostdevs = g_ptr_array_new_with_free_func((GDestroyNotify)hostdev_free);
    ok = domain != NULL && read_domain(def, domain, error);
    if (ok) {
        g_autofree char *pid = vh_domain_xml_attr(xmlDocGetRootElement(doc), "pid");

        def->status_pid = pid != NULL ? (int)MAX(vh_parse_kernel_number(pid), 0) : 0;
    }
    if (domain == NULL)
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "<domstatus>: holds no <domain> (fix: none: libvirt rewrites it when the "
                    "domain changes state)");
    xmlFreeDoc(doc);
    return ok ? g_steal_pointer(&def) : NULL;
}

VhDomainDef *
vh_domain_def_load_file(const char *path, GError **error)
{
    g_autofree char *xml = NULL;
    gsize len = 0;
    VhDomainDef *def;

    g_autoptr(GError) local = NULL;

    if (!g_file_get_contents(path, &xml, &len, &local)) {
        /* GLib's own text quotes the path in curly quotes and names no fix */
        int errsv = local->code == G_FILE_ERROR_NOENT   ? ENOENT
                    : local->code == G_FILE_ERROR_ACCES ? EACCES
                    : local->code == G_FILE_ERROR_ISDIR ? EISDIR
                                                        : EIO;

        g_set_error(error, VH_ERROR, errsv == ENOENT ? VH_ERROR_NOT_FOUND : VH_ERROR_IO,
                    "%s: cannot be read, %s (fix: give a domain definition saved with 'virsh "
                    "dumpxml DOMAIN > FILE')",
                    path, g_strerror(errsv));
        return NULL;
    }
    def = vh_domain_def_parse(xml, len, error);
    if (def == NULL)
        g_prefix_error(error, "%s: ", path);
    return def;
}

static GPtrArray *
hostdevs_managed(const VhDomainDef *def, gboolean managed)
{
    GPtrArray *out = g_ptr_array_new();

    for (guint i = 0; i < def->hostdevs->len; i++) {
        VhDomainHostdev *h = g_ptr_array_index(def->hostdevs, i);

        if (!h->managed == !managed)
            g_ptr_array_add(out, h->address);
    }
    return out;
}

GPtrArray *
vh_domain_def_unmanaged(const VhDomainDef *def)
{
    return hostdevs_managed(def, FALSE);
}

GPtrArray *
vh_domain_def_managed(const VhDomainDef *def)
{
    return hostdevs_managed(def, TRUE);
}

const VhDomainHostdev *
vh_domain_def_hostdev(const VhDomainDef *def, const char *address)
{
    for (guint i = 0; i < def->hostdevs->len; i++) {
        const VhDomainHostdev *h = g_ptr_array_index(def->hostdevs, i);

        if (strcmp(h->address, address) == 0)
            return h;
    }
    return NULL;
}

const char *
vh_domain_def_driver_model(const VhDomainDef *def, const char *address)
{
    const VhDomainHostdev *h = vh_domain_def_hostdev(def, address);

    return h != NULL ? h->driver_model : NULL;
}
