/*
 * Editing domain definitions for add/remove (lib/domain/vh-domain-edit.c), on definitions as libvirt
 * formats them (tests/data/domain). Every add is followed by the remove that must give back
 * the original document byte for byte.
 */
#include "config.h"

#include <string.h>

#include "vh-domain-edit.h"
#include "vh-domain.h"
#include "vh-error.h"

#define GIB (G_GUINT64_CONSTANT(1) << 30)

static char *
fixture(const char *name)
{
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "domain", name, NULL);
    GError *error = NULL;
    char *xml = NULL;

    g_file_get_contents(path, &xml, NULL, &error);
    g_assert_no_error(error);
    return xml;
}

static VhDomainEdit *
edit_of(const char *xml)
{
    GError *error = NULL;
    VhDomainEdit *edit = vh_domain_edit_new(xml, &error);

    g_assert_no_error(error);
    return edit;
}

static void
add(VhDomainEdit *edit, const char *const *addresses, guint n)
{
    GError *error = NULL;

    g_assert_true(vh_domain_edit_add_hostdevs(edit, addresses, n, &error));
    g_assert_no_error(error);
}

static void
lock(VhDomainEdit *edit, gboolean locked)
{
    GError *error = NULL;

    g_assert_true(vh_domain_edit_lock_memory(edit, locked, GIB, &error));
    g_assert_no_error(error);
}

static void
remove_device(VhDomainEdit *edit, const char *address)
{
    GError *error = NULL;

    g_assert_true(vh_domain_edit_remove_hostdevs(edit, address, &error));
    g_assert_no_error(error);
}

/* The changes made so far, one per line. */
static char *
changes(const VhDomainEdit *edit)
{
    const GPtrArray *c = vh_domain_edit_changes(edit);
    g_autoptr(GString) s = g_string_new(NULL);

    for (guint i = 0; i < c->len; i++)
        g_string_append_printf(s, "%s\n", (const char *)g_ptr_array_index((GPtrArray *)c, i));
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/* Parses the edited XML as the hook would. */
static VhDomainDef *
def_of(const VhDomainEdit *edit)
{
    g_autofree char *xml = vh_domain_edit_to_xml(edit);
    GError *error = NULL;
    VhDomainDef *def = vh_domain_def_parse(xml, strlen(xml), &error);

    g_assert_no_error(error);
    return def;
}

static void
assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        g_error("expected to find\n%s\nin\n%s", needle, haystack);
}

static void
assert_lacks(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) != NULL)
        g_error("did not expect\n%s\nin\n%s", needle, haystack);
}

static const char *const gpu[] = {"0000:01:00.0", "0000:01:00.1"};

/* Removing @device from @xml (what add made of @orig) gives back @orig, byte for byte. */
static void
assert_remove_restores(const char *xml, const char *device, const char *orig)
{
    g_autoptr(VhDomainEdit) back = edit_of(xml);
    g_autofree char *restored = NULL;

    remove_device(back, device);
    restored = vh_domain_edit_to_xml(back);
    g_assert_cmpstr(restored, ==, orig);
}

static void
test_q35_gpu_one_slot(void)
{
    g_autofree char *orig = fixture("q35.xml");
    g_autoptr(VhDomainEdit) edit = edit_of(orig);
    g_autofree char *xml = NULL;
    g_autofree char *log = NULL;
    g_autoptr(VhDomainDef) def = NULL;
    g_autoptr(VhDomainEdit) back = NULL;
    g_autofree char *restored = NULL;

    add(edit, gpu, 2);
    lock(edit, TRUE);
    xml = vh_domain_edit_to_xml(edit);
    log = changes(edit);
    g_assert_cmpstr(log, ==,
                    "added a pcie-root-port (controller index 4) for a multifunction device\n"
                    "added <hostdev managed='no'> for 0000:01:00.0 as guest 0000:04:00.0\n"
                    "added <hostdev managed='no'> for 0000:01:00.1 as guest 0000:04:00.1\n"
                    "locked the guest's memory (<memoryBacking><locked/>)\n"
                    "set <memtune><hard_limit> to 9 GiB (guest memory + memory-overhead)\n");
    /* the two functions share one new root port: functions 0 and 1, multifunction on 0 */
    assert_contains(xml, "    <controller type='pci' index='4' model='pcie-root-port'/>\n");
    assert_contains(xml,
                    "        <address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n"
                    "      </source>\n"
                    "      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' "
                    "function='0x0' multifunction='on'/>\n");
    assert_contains(xml, "      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' "
                         "function='0x1'/>\n");
    /* hostdevs go where libvirt formats them: after <video>, before <memballoon> */
    g_assert_true(strstr(xml, "</video>") < strstr(xml, "<hostdev"));
    g_assert_true(strstr(xml, "</hostdev>") < strstr(xml, "<memballoon"));
    /* the other application's metadata stays, ours is added next to it */
    assert_contains(xml, "<libosinfo:os id=\"http://microsoft.com/win/11\"/>");
    assert_contains(xml, "<vfio-handoff:set device=\"0000:01:00.0\" controller=\"4\">");

    def = def_of(edit);
    g_assert_cmpuint(def->hostdevs->len, ==, 2);
    g_assert_false(((VhDomainHostdev *)def->hostdevs->pdata[0])->managed);
    g_assert_true(def->locked);
    g_assert_cmpuint(def->hard_limit_kib, ==, 9 * 1024 * 1024);

    back = edit_of(xml);
    remove_device(back, "0000:01:00.1"); /* a companion names its whole set */
    restored = vh_domain_edit_to_xml(back);
    g_assert_cmpstr(restored, ==, orig);
    g_free(log);
    log = changes(back);
    g_assert_cmpstr(log, ==,
                    "removed <hostdev> for 0000:01:00.0\n"
                    "removed <hostdev> for 0000:01:00.1\n"
                    "removed the pcie-root-port (controller index 4) added for it\n"
                    "unlocked the guest's memory (vfio-handoff had locked it)\n"
                    "removed <memtune><hard_limit> (vfio-handoff had set it)\n");
}

static void
test_pc_free_slot(void)
{
    g_autofree char *orig = fixture("pc.xml");
    g_autoptr(VhDomainEdit) edit = edit_of(orig);
    g_autofree char *xml = NULL;

    add(edit, gpu, 2);
    lock(edit, TRUE);
    xml = vh_domain_edit_to_xml(edit);
    /* slots 1-5 of bus 0 are taken: 6, no new controller on a PCI machine */
    assert_contains(xml, "bus='0x00' slot='0x06' function='0x0' multifunction='on'/>");
    assert_contains(xml, "bus='0x00' slot='0x06' function='0x1'/>");
    assert_lacks(xml, "pcie-root-port");
    /* the user's lower hard limit is raised, and remembered */
    assert_contains(xml, "    <hard_limit unit='KiB'>5242880</hard_limit>\n"
                         "    <soft_limit unit='KiB'>2097152</soft_limit>\n");
    assert_contains(xml, "<vfio-handoff:hard-limit kib=\"5242880\" previous-kib=\"4194304\"/>");
    assert_contains(xml, "    <hugepages/>\n    <locked/>\n");

    assert_remove_restores(xml, "0000:01:00.0", orig);
}

static void
test_single_function(void)
{
    g_autofree char *orig = fixture("q35.xml");
    g_autoptr(VhDomainEdit) edit = edit_of(orig);
    const char *nic[] = {"0000:05:00.0"};
    g_autofree char *xml = NULL;
    g_autofree char *log = NULL;

    add(edit, nic, 1);
    xml = vh_domain_edit_to_xml(edit);
    log = changes(edit);
    g_assert_cmpstr(log, ==, "added <hostdev managed='no'> for 0000:05:00.0\n");
    /* no guest address: libvirt picks one; no root port made */
    assert_contains(xml,
                    "      <source>\n"
                    "        <address domain='0x0000' bus='0x05' slot='0x00' function='0x0'/>\n"
                    "      </source>\n"
                    "    </hostdev>\n");
    assert_lacks(xml, "index='4'");
}

/* What libvirt's QEMU driver adds when it defines the result (here: a root port for a device
 * without a guest address, and multifunction='on' on the slot it shares) is recorded, and
 * remove takes it away too (tests/cli/test-libvirt-qemu.sh does this on the real driver). */
static void
test_libvirt_additions_undone(void)
{
    g_autofree char *orig = fixture("q35.xml");
    g_autoptr(GString) before = g_string_new(orig);
    g_autoptr(VhDomainEdit) edit = NULL;
    g_autoptr(GString) defined = NULL;
    const char *nic[] = {"0000:05:00.0"};
    g_autofree char *submitted = NULL;
    g_autofree char *kept = NULL;
    g_autofree char *log = NULL;
    gboolean recorded = FALSE;
    GError *error = NULL;

    /* a domain whose root port at 00:02.0 is alone in its slot */
    g_string_replace(before, " function='0x0' multifunction='on'/>", " function='0x0'/>", 1);
    g_string_replace(before, "slot='0x02' function='0x1'/>", "slot='0x03' function='0x0'/>", 1);
    g_string_replace(before, "slot='0x02' function='0x2'/>", "slot='0x04' function='0x0'/>", 1);
    edit = edit_of(before->str);
    add(edit, nic, 1);
    submitted = vh_domain_edit_to_xml(edit);
    defined = g_string_new(submitted);
    g_string_replace(defined, " slot='0x02' function='0x0'/>",
                     " slot='0x02' function='0x0' multifunction='on'/>", 1);
    g_string_replace(defined, "    <controller type='sata' index='0'>\n",
                     "    <controller type='pci' index='4' model='pcie-root-port'>\n"
                     "      <model name='pcie-root-port'/>\n"
                     "      <target chassis='4' port='0x11'/>\n"
                     "      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' "
                     "function='0x1'/>\n"
                     "    </controller>\n"
                     "    <controller type='sata' index='0'>\n",
                     1);
    g_string_replace(defined, "bus='0x05' slot='0x00' function='0x0'/>\n      </source>\n",
                     "bus='0x05' slot='0x00' function='0x0'/>\n      </source>\n"
                     "      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' "
                     "function='0x0'/>\n",
                     1);
    g_assert_true(vh_domain_edit_adopt_defined(edit, defined->str, &recorded, &error));
    g_assert_no_error(error);
    g_assert_true(recorded);
    log = changes(edit);
    assert_contains(log, "libvirt added a pcie-root-port (controller index 4) for it: remove "
                         "takes it away too\n"
                         "libvirt set multifunction='on' on guest slot 0000:00:02: remove takes "
                         "it back too\n");
    kept = vh_domain_edit_to_xml(edit);
    assert_contains(kept, "<vfio-handoff:controller index=\"4\" model=\"pcie-root-port\"/>");
    assert_remove_restores(kept, "0000:05:00.0", before->str);
}

static void
test_already_there(void)
{
    g_autofree char *orig = fixture("q35.xml");
    g_autoptr(VhDomainEdit) edit = edit_of(orig);
    g_autofree char *once = NULL;
    g_autoptr(VhDomainEdit) again = NULL;
    g_autofree char *twice = NULL;
    gboolean managed = TRUE;

    add(edit, gpu, 2);
    lock(edit, TRUE);
    once = vh_domain_edit_to_xml(edit);
    g_assert_true(vh_domain_edit_has_hostdev(edit, "0000:01:00.1", &managed));
    g_assert_false(managed);
    g_assert_false(vh_domain_edit_has_hostdev(edit, "0000:02:00.0", NULL));

    again = edit_of(once);
    add(again, gpu, 2);
    lock(again, TRUE);
    twice = vh_domain_edit_to_xml(again);
    g_assert_cmpuint(vh_domain_edit_changes(again)->len, ==, 0);
    g_assert_cmpstr(twice, ==, once);
}

/* a VF the domain has as an <interface type='hostdev'> is not added again as a <hostdev>
 * (libvirt refuses the definition: "Hostdev already exists") */
static void
test_vf_as_interface_not_added(void)
{
    const char *xml_in = "<domain type='kvm'>\n"
                         "  <name>router</name>\n"
                         "  <memory unit='KiB'>2097152</memory>\n"
                         "  <memoryBacking>\n"
                         "    <locked/>\n"
                         "  </memoryBacking>\n"
                         "  <memtune>\n"
                         "    <hard_limit unit='KiB'>8388608</hard_limit>\n"
                         "  </memtune>\n"
                         "  <devices>\n"
                         "    <interface type='hostdev'>\n"
                         "      <source>\n"
                         "        <address type='pci' domain='0x0000' bus='0x05' slot='0x10' "
                         "function='0x1'/>\n"
                         "      </source>\n"
                         "    </interface>\n"
                         "  </devices>\n"
                         "</domain>\n";
    const char *vf[] = {"0000:05:10.1"};
    g_autoptr(VhDomainEdit) edit = edit_of(xml_in);
    g_autofree char *xml = NULL;
    gboolean managed = TRUE;

    g_assert_true(vh_domain_edit_has_hostdev(edit, "0000:05:10.1", &managed));
    g_assert_false(managed);
    add(edit, vf, 1);
    xml = vh_domain_edit_to_xml(edit);
    g_assert_cmpuint(vh_domain_edit_changes(edit)->len, ==, 0);
    assert_lacks(xml, "<hostdev");
}

static void
test_users_memory_settings_stay(void)
{
    const char *xml_in = "<domain type='kvm'>\n"
                         "  <name>db</name>\n"
                         "  <memory unit='KiB'>2097152</memory>\n"
                         "  <memtune>\n"
                         "    <hard_limit unit='KiB'>8388608</hard_limit>\n"
                         "  </memtune>\n"
                         "  <memoryBacking>\n"
                         "    <locked/>\n"
                         "  </memoryBacking>\n"
                         "  <devices>\n"
                         "  </devices>\n"
                         "</domain>\n";
    const char *nic[] = {"0000:05:00.0"};
    g_autoptr(VhDomainEdit) edit = edit_of(xml_in);
    g_autofree char *xml = NULL;

    add(edit, nic, 1);
    lock(edit, TRUE);
    xml = vh_domain_edit_to_xml(edit);
    /* locked already, and 8 GiB covers 2 GiB + 1 GiB: nothing recorded but the hostdev */
    g_assert_cmpuint(vh_domain_edit_changes(edit)->len, ==, 1);
    assert_lacks(xml, "vfio-handoff:locked");
    assert_lacks(xml, "vfio-handoff:hard-limit");

    assert_remove_restores(xml, "0000:05:00.0", xml_in);
}

/* libvirt refuses a hard_limit above swap_hard_limit: the swap limit is raised with it, and
 * remove puts both back */
static void
test_swap_limit_kept_above(void)
{
    const char *xml_in = "<domain type='kvm'>\n"
                         "  <name>db</name>\n"
                         "  <memory unit='KiB'>2097152</memory>\n"
                         "  <memtune>\n"
                         "    <hard_limit unit='KiB'>2097152</hard_limit>\n"
                         "    <swap_hard_limit unit='KiB'>2621440</swap_hard_limit>\n"
                         "  </memtune>\n"
                         "  <memoryBacking>\n"
                         "    <locked/>\n"
                         "  </memoryBacking>\n"
                         "  <devices>\n"
                         "  </devices>\n"
                         "</domain>\n";
    const char *nic[] = {"0000:05:00.0"};
    g_autoptr(VhDomainEdit) edit = edit_of(xml_in);
    g_autofree char *xml = NULL;
    const GPtrArray *changes;

    add(edit, nic, 1);
    lock(edit, TRUE);
    xml = vh_domain_edit_to_xml(edit);
    changes = vh_domain_edit_changes(edit);
    g_assert_cmpuint(changes->len, ==, 3);
    g_assert_cmpstr(((GPtrArray *)changes)->pdata[1], ==,
                    "raised <memtune><hard_limit> from 2 GiB to 3 GiB (guest memory + "
                    "memory-overhead)");
    g_assert_cmpstr(((GPtrArray *)changes)->pdata[2], ==,
                    "raised <memtune><swap_hard_limit> from 2.5 GiB to 3 GiB (libvirt refuses it "
                    "below hard_limit)");
    assert_contains(xml, "<hard_limit unit='KiB'>3145728</hard_limit>");
    assert_contains(xml, "<swap_hard_limit unit='KiB'>3145728</swap_hard_limit>");

    assert_remove_restores(xml, "0000:05:00.0", xml_in);
}

static void
test_limit_changed_since(void)
{
    g_autofree char *orig = fixture("q35.xml");
    g_autoptr(VhDomainEdit) edit = edit_of(orig);
    g_autofree char *xml = NULL;
    g_autoptr(GString) edited = NULL;
    g_autoptr(VhDomainEdit) back = NULL;
    g_autofree char *restored = NULL;
    g_autofree char *log = NULL;

    add(edit, gpu, 2);
    lock(edit, TRUE);
    xml = vh_domain_edit_to_xml(edit);
    /* the user sets another limit by hand afterwards */
    edited = g_string_new(xml);
    g_assert_cmpint(g_string_replace(edited, "<hard_limit unit='KiB'>9437184<",
                                     "<hard_limit unit='KiB'>12582912<", 1),
                    ==, 1);
    back = edit_of(edited->str);
    g_assert_true(vh_domain_edit_remove_all(back));
    restored = vh_domain_edit_to_xml(back);
    log = changes(back);
    assert_contains(log, "left <memtune><hard_limit> at 12 GiB: it was changed after "
                         "vfio-handoff set it\n");
    assert_contains(restored, "<hard_limit unit='KiB'>12582912</hard_limit>");
    assert_lacks(restored, "vfio-handoff");
    assert_lacks(restored, "<locked/>");
}

static void
test_sets(void)
{
    g_autofree char *orig = fixture("q35.xml");
    g_autoptr(VhDomainEdit) edit = edit_of(orig);
    const char *nic[] = {"0000:05:00.0"};
    g_autofree char *xml = NULL;
    g_autofree char *after_one = NULL;
    g_autofree char *after_all = NULL;
    g_autoptr(VhDomainEdit) one = NULL;
    g_autoptr(VhDomainEdit) all = NULL;

    add(edit, gpu, 2);
    lock(edit, TRUE);
    add(edit, nic, 1);
    xml = vh_domain_edit_to_xml(edit);

    /* removing one set keeps the memory settings the other still needs */
    one = edit_of(xml);
    remove_device(one, "0000:05:00.0");
    after_one = vh_domain_edit_to_xml(one);
    assert_contains(after_one, "<locked/>");
    assert_contains(after_one, "bus='0x01' slot='0x00' function='0x1'");
    assert_lacks(after_one, "bus='0x05'");

    all = edit_of(xml);
    g_assert_true(vh_domain_edit_remove_all(all));
    after_all = vh_domain_edit_to_xml(all);
    g_assert_cmpstr(after_all, ==, orig);
}

static void
test_remove_by_hand(void)
{
    g_autofree char *orig = fixture("q35.xml");
    g_autoptr(GString) xml = g_string_new(orig);
    g_autoptr(VhDomainEdit) edit = NULL;
    g_autofree char *log = NULL;
    g_autofree char *after = NULL;
    GError *error = NULL;

    /* a hostdev the user wrote, managed='yes' */
    g_string_replace(xml, "    <memballoon",
                     "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
                     "      <source>\n"
                     "        <address domain='0x0000' bus='0x07' slot='0x00' function='0x0'/>\n"
                     "      </source>\n"
                     "    </hostdev>\n"
                     "    <memballoon",
                     1);
    edit = edit_of(xml->str);
    g_assert_false(vh_domain_edit_remove_all(edit)); /* vfio-handoff added nothing */
    g_assert_false(vh_domain_edit_remove_hostdevs(edit, "0000:09:00.0", &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_NOT_FOUND);
    g_assert_cmpstr(error->message, ==,
                    "0000:09:00.0: the domain has no hostdev for it (fix: 'virsh dumpxml DOMAIN' "
                    "shows its hostdevs)");
    g_clear_error(&error);
    remove_device(edit, "0000:07:00.0");
    log = changes(edit);
    g_assert_cmpstr(log, ==,
                    "removed <hostdev> for 0000:07:00.0 (it was not added by vfio-handoff)\n");
    after = vh_domain_edit_to_xml(edit);
    g_assert_cmpstr(after, ==, orig);
}

static void
test_no_memory(void)
{
    g_autoptr(VhDomainEdit) edit = edit_of("<domain><name>x</name></domain>");
    GError *error = NULL;

    g_assert_false(vh_domain_edit_lock_memory(edit, TRUE, GIB, &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT);
    g_assert_cmpstr(error->message, ==,
                    "<memory>: missing from the domain definition (fix: give the domain its "
                    "memory with 'virsh edit')");
    g_clear_error(&error);
    g_assert_null(vh_domain_edit_new("<network/>", &error));
    g_assert_cmpstr(error->message, ==,
                    "<network>: not a libvirt domain definition, whose root element is <domain> "
                    "(fix: give a libvirt domain definition, e.g. saved with 'virsh dumpxml "
                    "DOMAIN > FILE')");
    g_clear_error(&error);
}

static void
test_pc_full(void)
{
    g_autoptr(GString) xml = g_string_new("<domain type='kvm'>\n  <name>full</name>\n"
                                          "  <os>\n    <type machine='pc'>hvm</type>\n  </os>\n"
                                          "  <devices>\n");
    g_autoptr(VhDomainEdit) edit = NULL;
    GError *error = NULL;

    for (int s = 1; s < 32; s++)
        g_string_append_printf(xml,
                               "    <interface type='user'>\n      <address type='pci' "
                               "domain='0x0000' bus='0x00' slot='0x%02x' function='0x0'/>\n"
                               "    </interface>\n",
                               s);
    g_string_append(xml, "  </devices>\n</domain>\n");
    edit = edit_of(xml->str);
    g_assert_false(vh_domain_edit_add_hostdevs(edit, gpu, 2, &error));
    g_assert_error(error, VH_ERROR, VH_ERROR_UNSUPPORTED);
    g_assert_cmpstr(error->message, ==,
                    "guest: no free PCI slot for a multifunction device, on bus 0 or a pci-bridge "
                    "(fix: add a pci-bridge controller with 'virsh edit', or pass --only)");
    g_clear_error(&error);
}

/* bus 0 full, a pci-bridge with room: the device goes behind the bridge */
static void
test_pc_bridge_slot(void)
{
    g_autoptr(GString) xml =
        g_string_new("<domain type='kvm'>\n  <name>bridged</name>\n"
                     "  <os>\n    <type machine='pc'>hvm</type>\n  </os>\n"
                     "  <devices>\n"
                     "    <controller type='pci' index='0' model='pci-root'/>\n"
                     "    <controller type='pci' index='1' model='pci-bridge'>\n"
                     "      <address type='pci' domain='0x0000' bus='0x00' "
                     "slot='0x1f' function='0x0'/>\n"
                     "    </controller>\n"
                     "    <interface type='user'>\n      <address type='pci' "
                     "domain='0x0000' bus='0x01' slot='0x01' function='0x0'/>\n"
                     "    </interface>\n");
    g_autoptr(VhDomainEdit) edit = NULL;
    g_autofree char *out = NULL;
    GError *error = NULL;

    for (int s = 1; s < 31; s++)
        g_string_append_printf(xml,
                               "    <interface type='user'>\n      <address type='pci' "
                               "domain='0x0000' bus='0x00' slot='0x%02x' function='0x0'/>\n"
                               "    </interface>\n",
                               s);
    g_string_append(xml, "  </devices>\n</domain>\n");
    edit = edit_of(xml->str);
    g_assert_true(vh_domain_edit_add_hostdevs(edit, gpu, 2, &error));
    g_assert_no_error(error);
    out = vh_domain_edit_to_xml(edit);
    assert_contains(out, "bus='0x01' slot='0x02' function='0x0' multifunction='on'/>");
    assert_contains(out, "bus='0x01' slot='0x02' function='0x1'/>");
}

/* a device on bus 5 with no controller of that index (libvirt adds it on define): the new root
 * port takes index 6, not 5 */
static void
test_q35_implicit_bus(void)
{
    const char *xml_in = "<domain type='kvm'>\n  <name>implicit</name>\n"
                         "  <os>\n    <type machine='q35'>hvm</type>\n  </os>\n"
                         "  <devices>\n"
                         "    <interface type='user'>\n      <address type='pci' domain='0x0000' "
                         "bus='0x05' slot='0x00' function='0x0'/>\n    </interface>\n"
                         "  </devices>\n</domain>\n";
    g_autoptr(VhDomainEdit) edit = edit_of(xml_in);
    g_autofree char *out = NULL;
    GError *error = NULL;

    g_assert_true(vh_domain_edit_add_hostdevs(edit, gpu, 2, &error));
    g_assert_no_error(error);
    out = vh_domain_edit_to_xml(edit);
    assert_contains(out, "<controller type='pci' index='6' model='pcie-root-port'/>");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vh/domain-edit/add/q35-gpu-and-audio-share-a-root-port",
                    test_q35_gpu_one_slot);
    g_test_add_func("/vh/domain-edit/add/pc-first-free-slot", test_pc_free_slot);
    g_test_add_func("/vh/domain-edit/add/single-function-no-guest-address", test_single_function);
    g_test_add_func("/vh/domain-edit/add/already-there-changes-nothing", test_already_there);
    g_test_add_func("/vh/domain-edit/add/pc-without-a-free-slot", test_pc_full);
    g_test_add_func("/vh/domain-edit/add/pc-behind-a-pci-bridge", test_pc_bridge_slot);
    g_test_add_func("/vh/domain-edit/add/q35-above-an-implicit-bus", test_q35_implicit_bus);
    g_test_add_func("/vh/domain-edit/add/vf-as-interface-not-added",
                    test_vf_as_interface_not_added);
    g_test_add_func("/vh/domain-edit/memory/users-settings-stay", test_users_memory_settings_stay);
    g_test_add_func("/vh/domain-edit/memory/limit-changed-since-is-left", test_limit_changed_since);
    g_test_add_func("/vh/domain-edit/memory/swap-limit-kept-above", test_swap_limit_kept_above);
    g_test_add_func("/vh/domain-edit/memory/no-memory-element", test_no_memory);
    g_test_add_func("/vh/domain-edit/remove/sets", test_sets);
    g_test_add_func("/vh/domain-edit/remove/hostdev-added-by-hand", test_remove_by_hand);
    g_test_add_func("/vh/domain-edit/remove/what-libvirt-added-on-define",
                    test_libvirt_additions_undone);
    return g_test_run();
}
