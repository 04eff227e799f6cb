/*
 * The engine's reader of domain XML (lib/domain/vh-domain.c) against libvirt itself: each form is
 * defined on libvirt's in-process test driver (test:///default, no daemon), and what libvirt
 * writes back — with its defaults filled in — must read the same as what was written, and as
 * expected. Forms: a hostdev without mode, source addresses with fields left out, decimal and
 * octal fields, managed='yes', a USB hostdev, <interface type='hostdev'> and NVMe <disk> with
 * libvirt's managed defaults, and memory sizes in every unit spelling.
 */
#include "config.h"

#include <string.h>

#include "vh-domain.h"
#include "vh-libvirt.h"

typedef struct {
    const char *name;
    const char *devices; /* inside <devices> */
    const char *memory;  /* <memory>, <memtune>, <memoryBacking> */
    const char *expect;  /* "ADDRESS:m ..." (m: managed='yes') "| memory hard_limit hugepage" */
} Form;

static const Form forms[] = {
    {"no-mode",
     "<hostdev type='pci'><source><address domain='0x0000' bus='0x01' slot='0x00' "
     "function='0x0'/></source></hostdev>",
     "<memory>1048576</memory>", "0000:01:00.0 | 1048576 0 0"},
    {"no-domain-no-function",
     "<hostdev mode='subsystem' type='pci'><source><address bus='0x01' slot='0x02'/></source>"
     "</hostdev>",
     "<memory>1048576</memory>", "0000:01:02.0 | 1048576 0 0"},
    {"only-a-slot",
     "<hostdev mode='subsystem' type='pci'><source><address slot='0x1f'/></source></hostdev>",
     "<memory>1048576</memory>", "0000:00:1f.0 | 1048576 0 0"},
    {"decimal-and-octal",
     "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='1' bus='010' "
     "slot='17' function='7'/></source></hostdev>",
     "<memory>1048576</memory>", "0001:08:11.7 | 1048576 0 0"},
    {"managed-yes",
     "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' "
     "bus='0x03' slot='0x00' function='0x1'/></source></hostdev>",
     "<memory>1048576</memory>", "0000:03:00.1:m | 1048576 0 0"},
    {"usb-is-not-pci",
     "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product "
     "id='0xbeef'/></source></hostdev>",
     "<memory>1048576</memory>", "| 1048576 0 0"},
    {"interface-hostdev",
     "<interface type='hostdev' managed='no'><source><address type='pci' domain='0x0000' "
     "bus='0x04' slot='0x10' function='0x1'/></source><mac address='52:54:00:6d:90:02'/>"
     "</interface>",
     "<memory>1048576</memory>", "0000:04:10.1 | 1048576 0 0"},
    {"interface-hostdev-default-managed",
     "<interface type='hostdev'><source><address type='pci' bus='0x04' slot='0x10' "
     "function='0x2'/></source></interface>",
     "<memory>1048576</memory>", "0000:04:10.2 | 1048576 0 0"},
    {"interface-hostdev-managed",
     "<interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0000' "
     "bus='0x04' slot='0x10' function='0x3'/></source></interface>",
     "<memory>1048576</memory>", "0000:04:10.3:m | 1048576 0 0"},
    {"interface-network-is-not-pci",
     "<interface type='network'><source network='default'/></interface>",
     "<memory>1048576</memory>", "| 1048576 0 0"},
    {"nvme-disk-unmanaged",
     "<disk type='nvme' device='disk'><driver name='qemu' type='raw'/><source type='pci' "
     "managed='no' namespace='1'><address domain='0x0000' bus='0x05' slot='0x00' "
     "function='0x0'/></source><target dev='vde' bus='virtio'/></disk>",
     "<memory>1048576</memory>", "0000:05:00.0 | 1048576 0 0"},
    {"nvme-disk-default-managed",
     "<disk type='nvme' device='disk'><driver name='qemu' type='raw'/><source type='pci' "
     "namespace='1'><address domain='0x0000' bus='0x06' slot='0x00' function='0x0'/></source>"
     "<target dev='vdf' bus='virtio'/></disk>",
     "<memory>1048576</memory>", "0000:06:00.0:m | 1048576 0 0"},
    {"file-disk-is-not-pci",
     "<disk type='file' device='disk'><source file='/var/lib/libvirt/images/a.qcow2'/><target "
     "dev='vda' bus='virtio'/></disk>",
     "<memory>1048576</memory>", "| 1048576 0 0"},
    {"lower-case-units", "",
     "<memory unit='mib'>500</memory><memtune><hard_limit unit='gib'>3</hard_limit></memtune>",
     "| 512000 3145728 0"},
    {"si-units-round-up", "",
     "<memory unit='KB'>1000</memory><memtune><hard_limit unit='gb'>2</hard_limit></memtune>",
     "| 977 1953125 0"},
    {"bytes", "", "<memory unit='bytes'>1073741825</memory>", "| 1048577 0 0"},
    {"one-letter-units", "",
     "<memory unit='G'>2</memory><memoryBacking><hugepages><page size='2' unit='m'/>"
     "</hugepages></memoryBacking>",
     "| 2097152 0 2048"},
    {"hugepage-default-unit", "",
     "<memory unit='GiB'>2</memory><memoryBacking><hugepages><page size='1048576'/>"
     "</hugepages></memoryBacking>",
     "| 2097152 0 1048576"},
};

/* "ADDRESS[:m] ... | MEMORY HARD_LIMIT HUGEPAGE", or the parse error */
static char *
reading(const char *xml)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VhDomainDef) def = vh_domain_def_parse(xml, strlen(xml), &error);
    g_autoptr(GString) s = g_string_new(NULL);

    if (def == NULL)
        return g_strdup(error->message);
    for (guint i = 0; i < def->hostdevs->len; i++) {
        const VhDomainHostdev *h = g_ptr_array_index(def->hostdevs, i);

        g_string_append_printf(s, "%s%s ", h->address, h->managed ? ":m" : "");
    }
    g_string_append_printf(s, "| %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                           def->memory_kib, def->hard_limit_kib, def->hugepage_kib);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static void
test_form(gconstpointer data)
{
    const Form *f = data;
    g_autoptr(GError) error = NULL;
    const VhLibvirt *lv = vh_libvirt_load(&error);
    g_autofree char *xml = NULL;
    g_autofree char *ours = NULL;
    g_autofree char *theirs = NULL;
    g_autofree char *written = NULL;
    virConnectPtr conn;
    virDomainPtr dom;

    xml = g_strdup_printf("<domain type='test'><name>%s</name>%s<os><type>hvm</type></os>"
                          "<devices>%s</devices></domain>",
                          f->name, f->memory, f->devices);
    ours = reading(xml);
    g_assert_cmpstr(ours, ==, f->expect);
    if (lv == NULL) {
        g_test_skip(error->message);
        return;
    }
    conn = vh_libvirt_open(lv, "test:///default", FALSE, &error);
    g_assert_no_error(error);
    dom = lv->domain_define_xml_flags(conn, xml, 0);
    if (dom == NULL)
        g_error("libvirt refuses the form %s: %s", f->name, lv->get_last_error_message());
    written = lv->domain_get_xml_desc(dom, 0);
    theirs = reading(written);
    if (g_strcmp0(theirs, f->expect) != 0)
        g_printerr("libvirt wrote:\n%s\n", written);
    g_assert_cmpstr(theirs, ==, f->expect);
    lv->domain_free(dom);
    lv->connect_close(conn);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(forms); i++) {
        g_autofree char *path = g_strdup_printf("/vh/domain/libvirt-reads-it-so/%s", forms[i].name);

        g_test_add_data_func(path, &forms[i], test_form);
    }
    return g_test_run();
}
