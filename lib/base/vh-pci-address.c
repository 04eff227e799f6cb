/* vfio-handoff: PCI addresses */
#include "config.h"

#include <string.h>

#include "vh-error.h"
#include "vh-pci-address.h"

/* Reads exactly @min..@max hex digits from *p; advances *p. */
static gboolean
read_hex(const char **p, guint min, guint max, guint32 *out)
{
    guint32 v = 0;
    guint n = 0;

    while (g_ascii_isxdigit((*p)[n]) && n < max) {
        v = (v << 4) | (guint32)g_ascii_xdigit_value((*p)[n]);
        n++;
    }
    if (n < min || g_ascii_isxdigit((*p)[n]))
        return FALSE;
    *p += n;
    *out = v;
    return TRUE;
}

static gboolean
parse(const char *text, VhPciAddress *out)
{
    const char *p = text;
    guint32 first, bus, slot, fn, domain = 0;
    const char *colon = strchr(text, ':');
    gboolean has_domain = colon != NULL && strchr(colon + 1, ':') != NULL;

    if (has_domain) {
        if (!read_hex(&p, 4, 8, &first) || *p++ != ':')
            return FALSE;
        domain = first;
    }
    if (!read_hex(&p, 2, 2, &bus) || *p++ != ':')
        return FALSE;
    if (!read_hex(&p, 2, 2, &slot) || *p++ != '.')
        return FALSE;
    if (!read_hex(&p, 1, 1, &fn) || *p != '\0')
        return FALSE;
    if (slot > 0x1f || fn > 7)
        return FALSE;
    out->domain = domain;
    out->bus = (guint8)bus;
    out->slot = (guint8)slot;
    out->function = (guint8)fn;
    return TRUE;
}

gboolean
vh_pci_address_parse(const char *text, VhPciAddress *out, GError **error)
{
    VhPciAddress tmp;

    if (text == NULL || !parse(text, &tmp)) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                    "%s: not a PCI address (fix: give one as DDDD:BB:SS.F, e.g. 0000:01:00.0)",
                    text != NULL ? text : "");
        return FALSE;
    }
    *out = tmp;
    return TRUE;
}

gboolean
vh_pci_address_is_valid(const char *text)
{
    VhPciAddress tmp;
    const char *colon = strchr(text, ':');

    /* sysfs always writes the domain */
    if (colon == NULL || strchr(colon + 1, ':') == NULL)
        return FALSE;
    return parse(text, &tmp);
}

void
vh_pci_address_format(const VhPciAddress *addr, char buf[VH_PCI_ADDRESS_BUFSIZE])
{
    g_snprintf(buf, VH_PCI_ADDRESS_BUFSIZE, "%04x:%02x:%02x.%x", addr->domain, addr->bus,
               addr->slot, addr->function);
}

int
vh_pci_address_compare(const VhPciAddress *a, const VhPciAddress *b)
{
    if (a->domain != b->domain)
        return a->domain < b->domain ? -1 : 1;
    if (a->bus != b->bus)
        return a->bus < b->bus ? -1 : 1;
    if (a->slot != b->slot)
        return a->slot < b->slot ? -1 : 1;
    if (a->function != b->function)
        return a->function < b->function ? -1 : 1;
    return 0;
}
