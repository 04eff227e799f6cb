/*
 * Test bed: a fake libvirt client library with the calls vfio-handoff's CLI makes, over a
 * directory, for what libvirt's test driver cannot do: hot-plug (virDomainAttachDeviceFlags
 * and virDomainDetachDeviceFlags are "not supported" there). A test build loads it in place of
 * libvirt.so.0 when VH_LIBVIRT_LIBRARY names it (cli/vh-libvirt.c). The directory,
 * VH_FAKE_LIBVIRT_DIR:
 *   NAME.xml       a domain's persistent definition
 *   NAME.live.xml  its live definition: it runs while this exists
 *   attach-error   when present, every attach fails with its first line as libvirt's reason;
 *                  with attach-error-for too, only an attach whose XML holds its first line
 *                  (as "bus='0x01' slot='0x00' function='0x1'")
 *   guest-keeps    when present, a detach is accepted but the guest never lets go (the device
 *                  stays in the live definition), as a guest that ignores the unplug request
 * Every attach and detach is logged to calls, a line each ("attach NAME XML").
 */
#include "config.h"

#include <errno.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

struct _virConnect {
    char *dir;
};

struct _virDomain {
    virConnectPtr conn;
    char *name;
};

static char last_error[1024] = "no error";

static void
fail(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void
fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
}

static char *
path_of(virDomainPtr dom, const char *suffix)
{
    g_autofree char *name = g_strconcat(dom->name, suffix, NULL);

    return g_build_filename(dom->conn->dir, name, NULL);
}

static void
log_call(virDomainPtr dom, const char *what, const char *xml)
{
    g_autofree char *path = g_build_filename(dom->conn->dir, "calls", NULL);
    FILE *f = fopen(path, "ae");

    if (f != NULL) {
        fprintf(f, "%s %s %s\n", what, dom->name, xml);
        fclose(f);
    }
}

virConnectPtr
virConnectOpen(const char *name)
{
    const char *dir = g_getenv("VH_FAKE_LIBVIRT_DIR");
    virConnectPtr c;

    (void)name;
    if (dir == NULL) {
        fail("the fake libvirt has no VH_FAKE_LIBVIRT_DIR");
        return NULL;
    }
    c = g_new0(struct _virConnect, 1);
    c->dir = g_strdup(dir);
    return c;
}

virConnectPtr
virConnectOpenReadOnly(const char *name)
{
    return virConnectOpen(name);
}

int
virConnectClose(virConnectPtr conn)
{
    if (conn != NULL) {
        g_free(conn->dir);
        g_free(conn);
    }
    return 0;
}

static virDomainPtr
domain_new(virConnectPtr conn, const char *name)
{
    virDomainPtr d = g_new0(struct _virDomain, 1);

    d->conn = conn;
    d->name = g_strdup(name);
    return d;
}

int
virDomainFree(virDomainPtr dom)
{
    if (dom != NULL) {
        g_free(dom->name);
        g_free(dom);
    }
    return 0;
}

virDomainPtr
virDomainLookupByName(virConnectPtr conn, const char *name)
{
    g_autofree char *file = g_strconcat(name, ".xml", NULL);
    g_autofree char *path = g_build_filename(conn->dir, file, NULL);

    if (strchr(name, '/') != NULL || !g_file_test(path, G_FILE_TEST_EXISTS)) {
        fail("Domain not found: no domain with matching name '%s'", name);
        return NULL;
    }
    return domain_new(conn, name);
}

virDomainPtr
virDomainLookupByUUIDString(virConnectPtr conn, const char *uuid)
{
    (void)conn;
    fail("Domain not found: no domain with matching uuid '%s'", uuid);
    return NULL;
}

int
virConnectListAllDomains(virConnectPtr conn, virDomainPtr **domains, unsigned int flags)
{
    g_autoptr(GDir) dir = g_dir_open(conn->dir, 0, NULL);
    g_autoptr(GPtrArray) out = g_ptr_array_new();
    const char *name;

    (void)flags;
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *bare = NULL;

        if (!g_str_has_suffix(name, ".xml") || g_str_has_suffix(name, ".live.xml"))
            continue;
        bare = g_strndup(name, strlen(name) - strlen(".xml"));
        g_ptr_array_add(out, domain_new(conn, bare));
    }
    g_ptr_array_add(out, NULL);
    if (domains != NULL) {
        *domains = calloc(out->len, sizeof(virDomainPtr));
        memcpy(*domains, out->pdata, out->len * sizeof(virDomainPtr));
    }
    return (int)out->len - 1;
}

const char *
virDomainGetName(virDomainPtr dom)
{
    return dom->name;
}

int
virDomainIsActive(virDomainPtr dom)
{
    g_autofree char *live = path_of(dom, ".live.xml");

    return g_file_test(live, G_FILE_TEST_EXISTS) ? 1 : 0;
}

int
virDomainIsPersistent(virDomainPtr dom)
{
    (void)dom;
    return 1;
}

char *
virDomainGetXMLDesc(virDomainPtr dom, unsigned int flags)
{
    g_autofree char *path =
        path_of(dom, virDomainIsActive(dom) && !(flags & VIR_DOMAIN_XML_INACTIVE) ? ".live.xml"
                                                                                   : ".xml");
    g_autofree char *xml = NULL;

    if (!g_file_get_contents(path, &xml, NULL, NULL)) {
        fail("cannot read %s", path);
        return NULL;
    }
    return strdup(xml);
}

virDomainPtr
virDomainDefineXMLFlags(virConnectPtr conn, const char *xml, unsigned int flags)
{
    const char *a = strstr(xml, "<name>");
    const char *b = a != NULL ? strstr(a, "</name>") : NULL;
    g_autofree char *name = NULL;
    g_autofree char *file = NULL;
    g_autofree char *path = NULL;

    (void)flags;
    if (b == NULL) {
        fail("XML error: missing name");
        return NULL;
    }
    name = g_strndup(a + strlen("<name>"), (gsize)(b - a - strlen("<name>")));
    file = g_strconcat(name, ".xml", NULL);
    path = g_build_filename(conn->dir, file, NULL);
    if (!g_file_set_contents(path, xml, -1, NULL)) {
        fail("cannot write %s", path);
        return NULL;
    }
    return domain_new(conn, name);
}

/* "bus='0x03' slot='0x00' function='0x0'" of a hostdev's <source><address>: what libvirt
 * matches a PCI hostdev by */
static char *
source_key(const char *xml)
{
    const char *bus = strstr(xml, "bus='");
    const char *end = bus != NULL ? strstr(bus, "/>") : NULL;

    return end != NULL ? g_strndup(bus, (gsize)(end - bus)) : NULL;
}

int
virDomainAttachDeviceFlags(virDomainPtr dom, const char *xml, unsigned int flags)
{
    g_autofree char *live = path_of(dom, ".live.xml");
    g_autofree char *errfile = g_build_filename(dom->conn->dir, "attach-error", NULL);
    g_autofree char *text = NULL;
    g_autofree char *reason = NULL;
    g_autoptr(GString) out = NULL;
    const char *end;

    (void)flags;
    log_call(dom, "attach", xml);
    if (g_file_get_contents(errfile, &reason, NULL, NULL)) {
        g_autofree char *forfile = g_build_filename(dom->conn->dir, "attach-error-for", NULL);
        g_autofree char *only = NULL;

        if (!g_file_get_contents(forfile, &only, NULL, NULL) ||
            strstr(xml, g_strchomp(only)) != NULL) {
            fail("%s", g_strchomp(reason));
            return -1;
        }
    }
    if (!virDomainIsActive(dom)) {
        fail("Requested operation is not valid: domain is not running");
        return -1;
    }
    if (!g_file_get_contents(live, &text, NULL, NULL) || (end = strstr(text, "</devices>")) == NULL) {
        fail("cannot read %s", live);
        return -1;
    }
    out = g_string_new_len(text, end - text);
    g_string_append(out, xml);
    g_string_append(out, end);
    return g_file_set_contents(live, out->str, -1, NULL) ? 0 : -1;
}

int
virDomainDetachDeviceFlags(virDomainPtr dom, const char *xml, unsigned int flags)
{
    g_autofree char *live = path_of(dom, ".live.xml");
    g_autofree char *keeps = g_build_filename(dom->conn->dir, "guest-keeps", NULL);
    g_autofree char *key = source_key(xml);
    g_autofree char *text = NULL;
    const char *at, *start, *end;
    g_autoptr(GString) out = NULL;

    (void)flags;
    log_call(dom, "detach", xml);
    if (key == NULL || !g_file_get_contents(live, &text, NULL, NULL) ||
        (at = strstr(text, key)) == NULL) {
        fail("operation failed: device not found: host pci device not found");
        return -1;
    }
    if (g_file_test(keeps, G_FILE_TEST_EXISTS))
        return 0; /* asked; the guest never lets go */
    start = g_strrstr_len(text, at - text, "<hostdev");
    end = strstr(at, "</hostdev>");
    if (start == NULL || end == NULL) {
        fail("operation failed: device not found");
        return -1;
    }
    out = g_string_new_len(text, start - text);
    g_string_append(out, end + strlen("</hostdev>"));
    return g_file_set_contents(live, out->str, -1, NULL) ? 0 : -1;
}

const char *
virGetLastErrorMessage(void)
{
    return last_error;
}

void
virSetErrorFunc(void *userData, virErrorFunc handler)
{
    (void)userData;
    (void)handler;
}
