/*
 * add and remove through libvirt's API, on libvirt's in-process test driver
 * (tests/data/libvirt/node.xml: no daemon; each connection has its own copy of the domains)
 * and a fake host (tests/data/scenarios/gpu-audio.conf: a GPU and its audio function in
 * IOMMU group 1).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "vh-error.h"
#include "vh-hostdev-change.h"
#include "vh-test-host.h"

#ifdef __SANITIZE_ADDRESS__
/* LeakSanitizer (GCC 12) can crash at exit scanning the dynamic TLS of the libvirt this test
 * dlopens ("Tracer caught signal 11" on a bogus DTLS range, depending on the layout): the leak
 * check is off for this binary alone; ASan's checks of every access stay on. */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
    return "detect_leaks=0";
}
#endif

typedef struct {
    VhTestHost *t;
    VhCliView *view;
    const VhLibvirt *lv;
    virConnectPtr conn;
} Fixture;

static void
write_policy(Fixture *f, const char *text)
{
    g_autofree char *dir = g_build_filename(f->t->root, "etc", "vfio-handoff", NULL);
    g_autofree char *path = g_build_filename(dir, "vfio-handoff.conf", NULL);
    GError *error = NULL;

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_file_set_contents(path, text, -1, &error);
    g_assert_no_error(error);
    g_assert_cmpint(g_chmod(path, 0644), ==, 0);
    vh_cli_view_free(f->view);
    f->view = vh_cli_view_new(vh_host_new_rooted(f->t->root), VH_SNAPSHOT_NONE, &error);
    g_assert_no_error(error);
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    g_autofree char *node = g_test_build_filename(G_TEST_DIST, "data", "libvirt", "node.xml", NULL);
    g_autofree char *abs = g_canonicalize_filename(node, NULL);
    g_autofree char *uri = g_strconcat("test://", abs, NULL);
    GError *error = NULL;

    f->t = vh_test_host_new("gpu-audio");
    write_policy(f, "[device 0000:01:00.0]\n");
    f->lv = vh_libvirt_load(&error);
    if (f->lv == NULL) {
        g_test_skip(error->message);
        g_clear_error(&error);
        return;
    }
    f->conn = vh_libvirt_open(f->lv, uri, FALSE, &error);
    g_assert_no_error(error);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    if (f->conn != NULL)
        f->lv->connect_close(f->conn);
    vh_cli_view_free(f->view);
    vh_test_host_free(f->t);
}

/* The persistent definition, as libvirt formats it (the canonical form to compare). */
static char *
definition(Fixture *f, const char *name)
{
    virDomainPtr dom = f->lv->domain_lookup_by_name(f->conn, name);
    char *xml;
    char *out;

    g_assert_nonnull(dom);
    xml = f->lv->domain_get_xml_desc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    g_assert_nonnull(xml);
    out = g_strdup(xml);
    free(xml);
    f->lv->domain_free(dom);
    return out;
}

static VhHostdevResult *
add(Fixture *f, const char *domain, const char *device, gboolean only, gboolean dry_run,
    GError **error)
{
    char *devices[] = {(char *)device, NULL};
    VhHostdevRequest req = {.devices = devices, .only = only, .dry_run = dry_run};

    return vh_hostdev_add(f->lv, f->conn, f->view, domain, &req, error);
}

static VhHostdevResult *
remove_devices(Fixture *f, const char *domain, const char *device, GError **error)
{
    char *devices[] = {(char *)device, NULL};
    VhHostdevRequest req = {.devices = device != NULL ? devices : NULL, .all = device == NULL};

    return vh_hostdev_remove(f->lv, f->conn, f->view, domain, &req, error);
}

static void
assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        g_error("expected to find\n%s\nin\n%s", needle, haystack);
}

static void
test_add_then_remove(Fixture *f, gconstpointer data)
{
    g_autofree char *original = NULL;
    g_autofree char *added = NULL;
    g_autofree char *restored = NULL;
    g_autoptr(VhHostdevResult) r = NULL;
    g_autoptr(VhHostdevResult) back = NULL;
    GError *error = NULL;

    if (f->conn == NULL)
        return;
    original = definition(f, "win11");
    r = add(f, "win11", "0000:01:00.0", FALSE, FALSE, &error);
    g_assert_no_error(error);
    g_assert_true(r->defined);
    added = definition(f, "win11");
    /* libvirt kept what add wrote: the GPU and its audio function in one guest slot (a new
     * root port, index 2), locked memory with its limit, the record, and the VNC password */
    assert_contains(added, "<controller type='pci' index='2' model='pcie-root-port'/>");
    assert_contains(added, "        <address domain='0x0000' bus='0x01' slot='0x00' "
                           "function='0x0'/>\n      </source>\n      <address type='pci' "
                           "domain='0x0000' bus='0x02' slot='0x00' function='0x0' "
                           "multifunction='on'/>");
    assert_contains(added, "        <address domain='0x0000' bus='0x01' slot='0x00' "
                           "function='0x1'/>\n      </source>\n      <address type='pci' "
                           "domain='0x0000' bus='0x02' slot='0x00' function='0x1'/>");
    assert_contains(added, "<hostdev mode='subsystem' type='pci' managed='no'>");
    assert_contains(added, "<locked/>");
    assert_contains(added, "<hard_limit unit='KiB'>9437184</hard_limit>");
    assert_contains(added, "<vfio-handoff:set device=\"0000:01:00.0\" controller=\"2\">");
    assert_contains(added, "passwd='s3cret'");

    back = remove_devices(f, "win11", "0000:01:00.0", &error);
    g_assert_no_error(error);
    g_assert_true(back->defined);
    restored = definition(f, "win11");
    g_assert_cmpstr(restored, ==, original);
}

static void
test_add_is_idempotent(Fixture *f, gconstpointer data)
{
    g_autoptr(VhHostdevResult) first = NULL;
    g_autoptr(VhHostdevResult) again = NULL;
    g_autofree char *once = NULL;
    g_autofree char *twice = NULL;
    GError *error = NULL;

    if (f->conn == NULL)
        return;
    first = add(f, "win11", "0000:01:00.0", FALSE, FALSE, &error);
    g_assert_no_error(error);
    once = definition(f, "win11");
    again = add(f, "win11", "10de:2204", FALSE, FALSE, &error);
    g_assert_no_error(error);
    twice = definition(f, "win11");
    g_assert_false(again->defined);
    g_assert_cmpuint(again->changes->len, ==, 0);
    g_assert_cmpuint(again->notes->len, ==, 2);
    g_assert_cmpstr(again->notes->pdata[0], ==, "0000:01:00.0 is already in win11");
    g_assert_cmpstr(again->notes->pdata[1], ==, "0000:01:00.1 is already in win11");
    g_assert_cmpstr(twice, ==, once);
}

/* a device the domain already has as libvirt's own (managed='yes') is left as it is, saying so */
static void
test_add_keeps_libvirts_hostdev(Fixture *f, gconstpointer data)
{
    g_autoptr(VhHostdevResult) r = NULL;
    g_autofree char *after = NULL;
    GError *error = NULL;
    virDomainPtr dom;

    if (f->conn == NULL)
        return;
    dom = f->lv->domain_define_xml_flags(
        f->conn,
        "<domain type='test'><name>lv</name><memory unit='GiB'>1</memory><os><type "
        "arch='x86_64' machine='pc-q35-7.2'>hvm</type></os><memoryBacking><locked/>"
        "</memoryBacking><devices><hostdev mode='subsystem' type='pci' managed='yes'><source>"
        "<address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>"
        "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' "
        "bus='0x01' slot='0x00' function='0x1'/></source></hostdev></devices></domain>",
        0);
    g_assert_nonnull(dom);
    f->lv->domain_free(dom);
    r = add(f, "lv", "0000:01:00.0", FALSE, FALSE, &error);
    g_assert_no_error(error);
    after = definition(f, "lv");
    g_assert_null(strstr(after, "managed='no'"));
    g_assert_nonnull(
        strstr(after, "function='0x1'/>\n      </source>\n    </hostdev>\n  </devices>"));
    g_assert_cmpstr(r->notes->pdata[0], ==,
                    "0000:01:00.0 is already in lv as managed='yes': libvirt detaches and gives "
                    "it back itself (vfio-handoff gives it back if libvirt leaves it on "
                    "vfio-pci); for vfio-handoff to hand it off, set managed='no' with 'virsh "
                    "edit'");
}

static void
test_only(Fixture *f, gconstpointer data)
{
    g_autoptr(VhHostdevResult) r = NULL;
    g_autofree char *added = NULL;
    GError *error = NULL;

    if (f->conn == NULL)
        return;
    r = add(f, "nas", "0000:01:00.0", TRUE, FALSE, &error);
    g_assert_no_error(error);
    added = definition(f, "nas");
    g_assert_null(strstr(added, "function='0x1'"));
    g_assert_null(strstr(added, "multifunction"));
    /* nas locks its memory already: add leaves that, and sets only the limit */
    g_assert_cmpuint(r->changes->len, ==, 2);
    g_assert_cmpstr(r->changes->pdata[0], ==, "added <hostdev managed='no'> for 0000:01:00.0");
    g_assert_cmpstr(r->changes->pdata[1], ==,
                    "set <memtune><hard_limit> to 5 GiB (guest memory + memory-overhead)");
}

static void
test_dry_run(Fixture *f, gconstpointer data)
{
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autoptr(VhHostdevResult) r = NULL;
    GError *error = NULL;

    if (f->conn == NULL)
        return;
    before = definition(f, "win11");
    r = add(f, "win11", "0000:01:00.0", FALSE, TRUE, &error);
    g_assert_no_error(error);
    after = definition(f, "win11");
    g_assert_false(r->defined);
    g_assert_cmpstr(after, ==, before);
    assert_contains(r->after, "multifunction='on'");
    /* what a dry run shows has no password in it */
    g_assert_null(strstr(r->before, "s3cret"));
    g_assert_null(strstr(r->after, "s3cret"));
}

/* Each refusal: its own message, and the definition as it was. */
static void
assert_refused(Fixture *f, const char *domain, const char *device, const char *message)
{
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autoptr(VhHostdevResult) r = NULL;
    GError *error = NULL;
    virDomainPtr dom = f->lv->domain_lookup_by_name(f->conn, domain);

    if (dom != NULL) {
        f->lv->domain_free(dom);
        before = definition(f, domain);
    }
    r = add(f, domain, device, FALSE, FALSE, &error);
    g_assert_null(r);
    g_assert_nonnull(error);
    g_assert_cmpstr(error->message, ==, message);
    g_clear_error(&error);
    if (before != NULL) {
        after = definition(f, domain);
        g_assert_cmpstr(after, ==, before);
    }
}

static void
test_refusals(Fixture *f, gconstpointer data)
{
    if (f->conn == NULL)
        return;
    assert_refused(f, "running", "0000:01:00.0",
                   "running: is running, and its definition alone would not change what it has "
                   "now (fix: pass --persistent to hot-plug now and in its definition, --live for "
                   "now only; or run 'virsh shutdown running', then add again)");
    assert_refused(f, "no-such-vm", "0000:01:00.0",
                   "no-such-vm: no such domain in libvirt (fix: pick one from 'virsh list --all')");
    assert_refused(
        f, "win11", "0000:09:00.0",
        "0000:09:00.0: no PCI device at this address (fix: pick one from 'vfio-handoff list')");
    write_policy(f, "");
    assert_refused(f, "win11", "0000:01:00.0",
                   "win11: 0000:01:00.0: not enabled for passthrough (fix: run 'vfio-handoff "
                   "enable 0000:01:00.0')");
    write_policy(f, "[device 0000:01:00.0]\nenabled=false\n");
    {
        g_autofree char *message = g_strdup_printf(
            "win11: 0000:01:00.0: disabled by [device 0000:01:00.0] at "
            "'%s/etc/vfio-handoff/vfio-handoff.conf:1' (fix: run 'vfio-handoff enable "
            "0000:01:00.0')",
            f->t->root);

        assert_refused(f, "win11", "0000:01:00.0", message);
    }
    write_policy(f, "[device 0000:01:00.0]\ndomains=nas\n");
    assert_refused(f, "win11", "0000:01:00.0",
                   "win11: 0000:01:00.0: may be used only by 'nas', not by 'win11' (fix: run "
                   "'vfio-handoff enable 0000:01:00.0 --domain win11')");
    write_policy(f, "[domain win11]\nmax-devices=1\n[device 0000:01:00.0]\n");
    assert_refused(f, "win11", "0000:01:00.0",
                   "win11: asks for 2 devices, more than max-devices=1 (fix: remove hostdevs "
                   "from 'win11', or raise max-devices in [domain win11])");
    write_policy(f, "[device 0000:01:00.0]\nidentity=10de:2206\n");
    assert_refused(f, "win11", "0000:01:00.0",
                   "win11: 0000:01:00.0: now holds 10de:2204, not the pinned 10de:2206: the "
                   "hardware changed (fix: check the hardware, then pin it again: run "
                   "'vfio-handoff enable 0000:01:00.0')");
}

static void
test_remove_all_and_absent(Fixture *f, gconstpointer data)
{
    g_autofree char *original = NULL;
    g_autofree char *restored = NULL;
    g_autoptr(VhHostdevResult) r = NULL;
    g_autoptr(VhHostdevResult) all = NULL;
    g_autoptr(VhHostdevResult) none = NULL;
    GError *error = NULL;

    if (f->conn == NULL)
        return;
    original = definition(f, "win11");
    r = add(f, "win11", "0000:01:00.0", FALSE, FALSE, &error);
    g_assert_no_error(error);
    all = remove_devices(f, "win11", NULL, &error);
    g_assert_no_error(error);
    restored = definition(f, "win11");
    g_assert_cmpstr(restored, ==, original);

    none = remove_devices(f, "win11", "0000:01:00.1", &error);
    g_assert_no_error(error);
    g_assert_false(none->defined);
    g_assert_cmpstr(none->notes->pdata[0], ==, "0000:01:00.1 is not in win11: nothing to remove");
    g_clear_pointer(&none, vh_hostdev_result_free);
    none = remove_devices(f, "running", "0000:01:00.1", &error);
    g_assert_null(none);
    g_assert_cmpstr(error->message, ==,
                    "running: is running, and its definition alone would not change what it has "
                    "now (fix: pass --persistent to unplug now and in its definition, --live for "
                    "now only; or run 'virsh shutdown running', then remove again)");
    g_clear_error(&error);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn)                                                                              \
    g_test_add("/vh/hostdev-change/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
    ADD("add-then-remove-gives-back-the-definition", test_add_then_remove);
    ADD("add-twice-changes-nothing", test_add_is_idempotent);
    ADD("add-keeps-a-managed-yes-hostdev", test_add_keeps_libvirts_hostdev);
    ADD("only-adds-the-named-function", test_only);
    ADD("dry-run-defines-nothing", test_dry_run);
    ADD("refusals-change-nothing", test_refusals);
    ADD("remove-all-and-what-is-not-there", test_remove_all_and_absent);
    return g_test_run();
}
