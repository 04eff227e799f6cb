/* vfio-handoff: the hook front's pre-scan (see vh-hook-prescan.h) */
#define _GNU_SOURCE
#include <string.h>

#include "vh-hook-prescan.h"

static int
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
is_name_char(char c)
{
    return c != '\0' && !is_space(c) && strchr("=/>'\"<", c) == NULL;
}

/* the local part of an attribute or element name (after its prefix) is @want */
static int
local_name_is(const char *name, size_t len, const char *want)
{
    const char *colon = memrchr(name, ':', len);
    size_t wlen = strlen(want);

    if (colon != NULL) {
        len -= (size_t)(colon + 1 - name);
        name = colon + 1;
    }
    return len == wlen && memcmp(name, want, wlen) == 0;
}

static int
value_is(const char *v, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(v, want, len) == 0;
}

/* The start tag whose name ends at @p: -1 when it cannot be tokenised, else 1 when its type is
 * @type and libvirt may not manage it, 2 when it is and libvirt manages it (managed='yes' on
 * the tag, read only when @managed_on_tag), 0 when its type is another. */
static int
scan_tag(const char *p, const char *end, const char *type, int managed_on_tag)
{
    int typed = 0, managed_yes = 0, managed_other = 0;

    for (;;) {
        const char *name, *value;
        size_t name_len;
        char quote;

        while (p < end && is_space(*p))
            p++;
        if (p >= end)
            return -1;
        if (*p == '>' || *p == '/')
            break;
        for (name = p; p < end && is_name_char(*p); p++)
            ;
        name_len = (size_t)(p - name);
        while (p < end && is_space(*p))
            p++;
        if (name_len == 0 || p >= end || *p++ != '=')
            return -1;
        while (p < end && is_space(*p))
            p++;
        if (p >= end || (*p != '\'' && *p != '"'))
            return -1;
        quote = *p++;
        value = p;
        while (p < end && *p != quote)
            p++;
        if (p >= end)
            return -1;
        if (memchr(value, '&', (size_t)(p - value)) != NULL)
            return -1; /* a reference: its value is not the bytes */
        if (local_name_is(name, name_len, "type") && value_is(value, (size_t)(p - value), type))
            typed = 1;
        if (local_name_is(name, name_len, "managed")) {
            if (value_is(value, (size_t)(p - value), "yes"))
                managed_yes = 1;
            else
                managed_other = 1;
        }
        p++; /* the closing quote */
    }
    return !typed ? 0 : managed_on_tag && managed_yes && !managed_other ? 2 : 1;
}

/* The elements through which a domain asks for a PCI device on vfio-pci, and the type that
 * says so: <hostdev type='pci'>, <interface type='hostdev'> (an SR-IOV VF as a NIC), <disk
 * type='nvme'> (QEMU's userspace NVMe driver; its managed= is on <source>, so it counts as
 * may-be-ours). */
static const struct {
    const char *element, *type;
    int managed_on_tag;
} pci_users[] = {{"hostdev", "pci", 1}, {"interface", "hostdev", 1}, {"disk", "nvme", 0}};

/* Whether an element @u of pci_users in @xml may ask for a device (managed_too: also one
 * libvirt manages); a tag that cannot be read counts as one that may */
static int
scan_element(const char *xml, const char *end, int u, int managed_too)
{
    const char *p = xml, *name = pci_users[u].element;
    size_t name_len = strlen(name);

    while ((p = memmem(p, (size_t)(end - p), name, name_len)) != NULL) {
        const char *start = p, *after = p + name_len;
        int r;

        /* "<NAME" or "<prefix:NAME", then the end of the name */
        if (start > xml && start[-1] == ':') {
            start--;
            while (start > xml && is_name_char(start[-1]))
                start--;
        }
        p = after;
        if (start == xml || start[-1] != '<' || after >= end ||
            !(is_space(*after) || *after == '>' || *after == '/'))
            continue;
        r = scan_tag(after, end, pci_users[u].type, pci_users[u].managed_on_tag);
        if (r != 0 && (r != 2 || managed_too))
            return 1;
    }
    return 0;
}

static int
prescan(const char *xml, size_t len, int managed_too)
{
    const char *end = xml + len;

    if (memchr(xml, '\0', len) != NULL || memmem(xml, len, "<!DOCTYPE", 9) != NULL)
        return 1;
    for (size_t u = 0; u < sizeof(pci_users) / sizeof(pci_users[0]); u++) {
        if (scan_element(xml, end, (int)u, managed_too))
            return 1;
    }
    return 0;
}

int
vh_hook_prescan_unmanaged_pci(const char *xml, size_t len)
{
    return prescan(xml, len, 0);
}

int
vh_hook_prescan_any_pci(const char *xml, size_t len)
{
    return prescan(xml, len, 1);
}
