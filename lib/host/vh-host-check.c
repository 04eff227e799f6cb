/* vfio-handoff: host readiness checks */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vh-host-check.h"
#include "vh-sysfs.h"
#include "vh-kernel-abi.h"

typedef enum { VENDOR_UNKNOWN, VENDOR_INTEL, VENDOR_AMD } IommuVendor;

typedef struct {
    const VhHost *host;
    GPtrArray *items;
    IommuVendor vendor;
    char **cmdline; /* kernel command line, split */
    int n_groups;
    char *guest; /* this host is a virtual machine: what says so, else NULL */
} Checker;

/* the fix for an IOMMU a virtual machine lacks: its hypervisor, not a firmware setup, has it */
#define GUEST_IOMMU_FIX                                                                            \
    "this host is a virtual machine: give it a virtual IOMMU with interrupt remapping from its "   \
    "hypervisor (libvirt: <iommu model='intel'><driver intremap='on'/></iommu> and <ioapic "       \
    "driver='qemu'/> in its domain; QEMU: -device intel-iommu,intremap=on), add intel_iommu=on "   \
    "to its kernel command line, then restart it"

VhCheckItem *
vh_check_item_new(const char *id, VhCheckStatus status, char *summary, char *fix)
{
    VhCheckItem *item = g_new0(VhCheckItem, 1);

    item->id = id;
    item->status = status;
    item->summary = summary;
    item->fix = fix;
    return item;
}

void
vh_check_item_free(VhCheckItem *item)
{
    if (item == NULL)
        return;
    g_free(item->summary);
    g_free(item->fix);
    g_free(item);
}

static void
add(Checker *c, const char *id, VhCheckStatus status, char *summary, const char *fix)
{
    g_ptr_array_add(c->items, vh_check_item_new(id, status, summary, g_strdup(fix)));
}

static gboolean
sysfs_exists(Checker *c, const char *rel)
{
    g_autofree char *path = vh_host_sysfs_path(c->host, rel);

    return vh_sysfs_exists(path);
}

static int
count_entries(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    int n = 0;

    while (dir != NULL && g_dir_read_name(dir) != NULL)
        n++;
    return n;
}

static const char *
cmdline_value(Checker *c, const char *key)
{
    gsize len = strlen(key);
    const char *found = NULL;

    /* the kernel honours the last occurrence */
    for (guint i = 0; c->cmdline[i] != NULL; i++) {
        if (strncmp(c->cmdline[i], key, len) == 0 && c->cmdline[i][len] == '=')
            found = c->cmdline[i] + len + 1;
    }
    return found;
}

static void
check_firmware(Checker *c)
{
    g_autofree char *iommu_class = vh_host_sysfs_path(c->host, "class/iommu");

    /* ACPI spec: DMAR (Intel VT-d) and IVRS (AMD-Vi) describe the IOMMUs */
    if (sysfs_exists(c, "firmware/acpi/tables/DMAR")) {
        c->vendor = VENDOR_INTEL;
        add(c, "iommu-firmware", VH_CHECK_PASS,
            g_strdup("the firmware describes an Intel VT-d IOMMU (ACPI DMAR table)"), NULL);
    } else if (sysfs_exists(c, "firmware/acpi/tables/IVRS")) {
        c->vendor = VENDOR_AMD;
        add(c, "iommu-firmware", VH_CHECK_PASS,
            g_strdup("the firmware describes an AMD-Vi IOMMU (ACPI IVRS table)"), NULL);
    } else if (count_entries(iommu_class) > 0) {
        add(c, "iommu-firmware", VH_CHECK_PASS, g_strdup("the kernel registered an IOMMU"), NULL);
    } else {
        g_autofree char *cpuinfo = vh_host_proc_path(c->host, "cpuinfo");
        g_autofree char *text = vh_sysfs_read_big(cpuinfo, 4 * 1024 * 1024, NULL);

        if (text != NULL && strstr(text, "GenuineIntel") != NULL)
            c->vendor = VENDOR_INTEL;
        else if (text != NULL && strstr(text, "AuthenticAMD") != NULL)
            c->vendor = VENDOR_AMD;
        add(c, "iommu-firmware", VH_CHECK_FAIL,
            g_strdup("the firmware describes no IOMMU (no ACPI DMAR or IVRS table)"),
            c->guest != NULL            ? GUEST_IOMMU_FIX
            : c->vendor == VENDOR_AMD     ? "enable AMD-Vi (IOMMU) in the firmware setup"
            : c->vendor == VENDOR_INTEL ? "enable VT-d in the firmware setup"
                                        : "enable VT-d or AMD-Vi (IOMMU) in the firmware setup");
    }
}

static void
check_groups(Checker *c)
{
    g_autofree char *groups = vh_host_sysfs_path(c->host, VH_SYSFS_IOMMU_GROUPS);
    const char *intel = cmdline_value(c, "intel_iommu");
    const char *amd = cmdline_value(c, "amd_iommu");
    const char *fix;

    c->n_groups = count_entries(groups);
    if (c->n_groups > 0) {
        add(c, "iommu-enabled", VH_CHECK_PASS,
            g_strdup_printf("the IOMMU is on: %d IOMMU groups", c->n_groups), NULL);
        return;
    }
    if (g_strcmp0(intel, "off") == 0)
        fix = "remove intel_iommu=off from the kernel command line and reboot";
    else if (g_strcmp0(amd, "off") == 0)
        fix = "remove amd_iommu=off from the kernel command line and reboot";
    else if (c->guest != NULL)
        fix = GUEST_IOMMU_FIX;
    else if (c->vendor == VENDOR_AMD)
        fix = "enable the IOMMU in the firmware setup, then reboot; amd_iommu is on by default";
    else if (c->vendor == VENDOR_INTEL)
        fix = "add intel_iommu=on to the kernel command line and reboot";
    else
        fix = "enable the IOMMU in the firmware setup, add intel_iommu=on to the kernel "
              "command line on Intel, then reboot";
    add(c, "iommu-enabled", VH_CHECK_FAIL,
        g_strdup("the IOMMU is off: the kernel publishes no IOMMU groups"), fix);
}

static void
check_cmdline(Checker *c)
{
    static const char *const keys[] = {"intel_iommu", "amd_iommu", "iommu", NULL};
    g_autoptr(GString) seen = g_string_new(NULL);

    for (guint i = 0; keys[i] != NULL; i++) {
        const char *v = cmdline_value(c, keys[i]);

        if (v == NULL)
            continue;
        if (g_strcmp0(v, "off") == 0) {
            g_autofree char *fix = g_strdup_printf("remove %s=off from the kernel command line "
                                                   "and reboot", keys[i]);

            add(c, "kernel-cmdline", VH_CHECK_FAIL,
                g_strdup_printf("the kernel command line turns the IOMMU off (%s=off)", keys[i]),
                fix);
            return;
        }
        g_string_append_printf(seen, "%s%s=%s", seen->len > 0 ? " " : "", keys[i], v);
    }
    if (cmdline_value(c, "vfio-pci.ids") != NULL || cmdline_value(c, "vfio_pci.ids") != NULL) {
        add(c, "kernel-cmdline", VH_CHECK_WARN,
            g_strdup("vfio-pci.ids= on the kernel command line takes devices from the host at "
                     "boot, by ID (every identical card)"),
            "remove it: vfio-handoff hands each device over by address when its VM starts");
        return;
    }
    add(c, "kernel-cmdline", VH_CHECK_PASS,
        seen->len > 0 ? g_strdup_printf("IOMMU options on the kernel command line: %s", seen->str)
                      : g_strdup("no IOMMU options on the kernel command line (defaults apply)"),
        NULL);
}

static void
check_interrupt_remapping(Checker *c)
{
    g_autofree char *interrupts = vh_host_proc_path(c->host, "interrupts");
    g_autofree char *text = vh_sysfs_read_big(interrupts, 4 * 1024 * 1024, NULL);
    g_autofree char *param =
        vh_host_sysfs_path(c->host, "module/vfio_iommu_type1/parameters/allow_unsafe_interrupts");
    g_autofree char *unsafe = vh_sysfs_read(param, NULL);

    /* remapped interrupt chips are named IR-IO-APIC, IR-PCI-MSI, ... */
    if (text != NULL && strstr(text, " IR-") != NULL) {
        add(c, "interrupt-remapping", VH_CHECK_PASS, g_strdup("interrupt remapping is on"), NULL);
    } else if (g_strcmp0(unsafe, "Y") == 0) {
        add(c, "interrupt-remapping", VH_CHECK_WARN,
            g_strdup("interrupt remapping is off, and vfio allows unsafe interrupts "
                     "(allow_unsafe_interrupts=Y): a guest can inject interrupts into the host"),
            c->guest != NULL ? GUEST_IOMMU_FIX
                             : "enable interrupt remapping, x2APIC, in the firmware setup");
    } else {
        add(c, "interrupt-remapping", VH_CHECK_FAIL,
            g_strdup("interrupt remapping is off: vfio refuses to assign devices"),
            c->n_groups == 0 ? "turn the IOMMU on first; interrupt remapping comes with it"
            : c->guest != NULL ? GUEST_IOMMU_FIX
                               : "enable interrupt remapping, x2APIC, in the firmware setup");
    }
}

/* "kernel/drivers/vfio/pci/vfio-pci.ko.xz:" -> "vfio_pci" */
static char *
module_name_of(const char *path)
{
    g_autofree char *base = g_path_get_basename(path);
    char *dot = strstr(base, ".ko");

    if (dot == NULL)
        return NULL;
    *dot = '\0';
    g_strdelimit(base, "-", '_');
    return g_steal_pointer(&base);
}

static void
read_module_list(const char *path, GHashTable *into)
{
    g_autofree char *text = vh_sysfs_read_big(path, 16 * 1024 * 1024, NULL);
    g_auto(GStrv) lines = g_strsplit(text != NULL ? text : "", "\n", -1);

    for (guint i = 0; lines[i] != NULL; i++) {
        char *colon = strchr(lines[i], ':');
        char *name;

        if (colon != NULL)
            *colon = '\0';
        name = module_name_of(lines[i]);
        if (name != NULL)
            g_hash_table_add(into, name);
    }
}

/* iommufd (/dev/iommu, a device's /dev/vfio/devices/vfioN), which QEMU opens devices through
 * when libvirt (12.1 and later) asks it to: never needed, as the group's /dev/vfio/N serves as
 * well, so only told. A process holding either node holds the device (vh-holders.c). */
static void
check_iommufd(Checker *c, GHashTable *modules)
{
    g_autofree char *dev_iommu = vh_host_dev_path(c->host, "iommu");

    if (vh_sysfs_exists(dev_iommu))
        add(c, "iommufd", VH_CHECK_PASS,
            g_strdup("iommufd is on, /dev/iommu exists: QEMU may open devices through it "
                     "(libvirt 12.1 and later), and vfio-handoff sees who holds them either way"),
            NULL);
    else if (g_hash_table_contains(modules, "iommufd") || sysfs_exists(c, "module/iommufd"))
        add(c, "iommufd", VH_CHECK_PASS,
            g_strdup("iommufd is available as a module, not loaded: devices are opened through "
                     "their group's /dev/vfio/N"),
            NULL);
    else
        add(c, "iommufd", VH_CHECK_PASS,
            g_strdup("this kernel has no iommufd (CONFIG_IOMMUFD): devices are opened through "
                     "their group's /dev/vfio/N, as libvirt before 12.1 always does"),
            NULL);
}

static void
check_modules(Checker *c)
{
    static const char *const needed[] = {"vfio", "vfio_iommu_type1", "vfio_pci", NULL};
    g_autofree char *osrelease = vh_host_proc_path(c->host, "sys/kernel/osrelease");
    g_autofree char *release = vh_sysfs_read(osrelease, NULL);
    g_autofree char *dir = g_build_filename(c->host->modules_dir, release ? release : "", NULL);
    g_autofree char *dep = g_build_filename(dir, "modules.dep", NULL);
    g_autofree char *builtin = g_build_filename(dir, "modules.builtin", NULL);
    g_autoptr(GHashTable) known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GString) missing = g_string_new(NULL);
    g_autoptr(GString) loaded = g_string_new(NULL);
    g_autofree char *dev_vfio = vh_host_dev_path(c->host, "vfio/vfio");

    read_module_list(dep, known);
    read_module_list(builtin, known);
    for (guint i = 0; needed[i] != NULL; i++) {
        g_autofree char *rel = g_strconcat("module/", needed[i], NULL);

        if (sysfs_exists(c, rel))
            g_string_append_printf(loaded, "%s%s", loaded->len > 0 ? ", " : "", needed[i]);
        else if (!g_hash_table_contains(known, needed[i]))
            g_string_append_printf(missing, "%s%s", missing->len > 0 ? ", " : "", needed[i]);
    }
    if (missing->len > 0) {
        add(c, "vfio-modules", VH_CHECK_FAIL,
            g_strdup_printf("kernel modules not found for kernel %s: %s (looked in %s)",
                            release != NULL ? release : "?", missing->str, dir),
            "install the running kernel's modules package, or a kernel built with CONFIG_VFIO_PCI");
        check_iommufd(c, known);
        return;
    }
    add(c, "vfio-modules", VH_CHECK_PASS,
        vh_sysfs_exists(dev_vfio)
            ? g_strdup_printf("vfio is loaded (%s) and /dev/vfio/vfio exists", loaded->str)
            : g_strdup("vfio, vfio_iommu_type1 and vfio_pci are available (loaded at the first "
                       "handoff)"),
        NULL);
    check_iommufd(c, known);
}

typedef struct {
    char *name;
    char *pid;
    guint64 start_ticks; /* proc(5) /proc/PID/stat field 22 */
} Daemon;

static gboolean
find_daemon(Checker *c, Daemon *out)
{
    static const char *const names[] = {"libvirtd", "virtqemud", NULL};
    g_autoptr(GDir) dir = g_dir_open(c->host->proc, 0, NULL);
    const char *pid;

    while (dir != NULL && (pid = g_dir_read_name(dir)) != NULL) {
        g_autofree char *comm_path = NULL;
        g_autofree char *comm = NULL;
        g_autofree char *stat_path = NULL;
        g_autofree char *stat = NULL;
        const char *p;

        if (!g_ascii_isdigit(pid[0]))
            continue;
        comm_path = g_build_filename(c->host->proc, pid, "comm", NULL);
        comm = vh_sysfs_read(comm_path, NULL);
        if (comm == NULL || !g_strv_contains(names, comm))
            continue;
        out->name = g_steal_pointer(&comm);
        out->pid = g_strdup(pid);
        stat_path = g_build_filename(c->host->proc, pid, "stat", NULL);
        stat = vh_sysfs_read(stat_path, NULL);
        /* fields after the ")" that closes comm start at field 3 */
        p = stat != NULL ? strrchr(stat, ')') : NULL;
        if (p != NULL) {
            g_auto(GStrv) f = g_strsplit(p + 2, " ", -1);

            if (g_strv_length(f) > 19)
                out->start_ticks = g_ascii_strtoull(f[19], NULL, 10);
        }
        return TRUE;
    }
    return FALSE;
}

/* how much earlier than the truth daemon_start_time() may be */
#define VH_START_TIME_SLACK_S 2

/* Wall-clock seconds of a process start: boot time (btime in /proc/stat) + ticks / HZ. */
static gint64
daemon_start_time(Checker *c, const Daemon *d)
{
    g_autofree char *path = vh_host_proc_path(c->host, "stat");
    g_autofree char *text = vh_sysfs_read_big(path, 1024 * 1024, NULL);
    const char *p = text != NULL ? strstr(text, "\nbtime ") : NULL;
    long hz = sysconf(_SC_CLK_TCK);

    if (p == NULL || d->start_ticks == 0 || hz <= 0)
        return -1;
    return g_ascii_strtoll(p + strlen("\nbtime "), NULL, 10) + (gint64)(d->start_ticks / (guint64)hz);
}

static void
check_libvirt(Checker *c)
{
    const char *hooks = c->host->libvirt_hooks_dir;
    g_autofree char *hook = g_build_filename(hooks, "qemu.d", VH_HOOK_NAME, NULL);
    Daemon d = {0};
    struct stat st;
    gboolean hook_ok = FALSE;

    if (!g_file_test(hooks, G_FILE_TEST_IS_DIR)) {
        add(c, "libvirt-hook", VH_CHECK_WARN,
            g_strdup_printf("libvirt's hooks directory %s does not exist", hooks),
            "install libvirt's daemon, the libvirt-daemon-system package, then vfio-handoff's "
            "hook");
    } else if (stat(hook, &st) != 0 || !(st.st_mode & S_IXUSR)) {
        add(c, "libvirt-hook", VH_CHECK_WARN,
            g_strdup_printf("the hook %s is not installed: devices are not handed off when a "
                            "VM starts",
                            hook),
            "install the vfio-handoff package, or run 'make install'");
    } else {
        hook_ok = TRUE;
        add(c, "libvirt-hook", VH_CHECK_PASS, g_strdup_printf("the hook %s is installed", hook),
            NULL);
    }

    if (!find_daemon(c, &d)) {
        add(c, "libvirt-daemon", VH_CHECK_WARN,
            g_strdup("no libvirt daemon (libvirtd or virtqemud) is running"),
            "run 'systemctl start libvirtd', or 'systemctl start virtqemud' on modular-daemon "
            "systems");
        return;
    }
    /* libvirt lists its hooks when it starts (notes/libvirt-internals.md §1): a hook newer
     * than the daemon may not be called until it restarts */
    /* ctime: when the hook was installed here (an install may keep the file's mtime). The
     * daemon's start is known to the second at best, and up to 2 s early (btime and the clock
     * ticks are each truncated): a daemon the package restarted right after installing the hook
     * must not be taken for one that started before it. */
    if (hook_ok && daemon_start_time(c, &d) >= 0 &&
        st.st_ctime > daemon_start_time(c, &d) + VH_START_TIME_SLACK_S) {
        g_autofree char *fix = g_strdup_printf("run 'systemctl restart %s'", d.name);

        add(c, "libvirt-daemon", VH_CHECK_WARN,
            g_strdup_printf("%s (pid %s) started before the hook was installed and may not run it",
                            d.name, d.pid),
            fix);
    } else {
        add(c, "libvirt-daemon", VH_CHECK_PASS, g_strdup_printf("%s is running (pid %s)", d.name,
                                                                d.pid),
            NULL);
    }
    g_free(d.name);
    g_free(d.pid);
}

/* Whether the host is a virtual machine: the CPU's hypervisor flag (x86: CPUID leaf 1, ECX bit
 * 31, which every hypervisor sets), then DMI's system vendor. Says what it found. */
static void
check_virtual(Checker *c)
{
    static const char *const vendors[] = {"QEMU", "KVM", "VMware", "innotek", "Xen",
                                          "Microsoft Corporation", "Amazon EC2", "Google", NULL};
    g_autofree char *cpuinfo = vh_host_proc_path(c->host, "cpuinfo");
    g_autofree char *text = vh_sysfs_read_big(cpuinfo, 4 * 1024 * 1024, NULL);
    g_autofree char *dmi_path = vh_host_sysfs_path(c->host, "class/dmi/id/sys_vendor");
    g_autofree char *dmi = vh_sysfs_read(dmi_path, NULL);
    const char *flags = text != NULL ? strstr(text, "\nflags") : NULL;
    g_autofree char *line = flags != NULL ? g_strndup(flags + 1, strcspn(flags + 1, "\n")) : NULL;
    g_autofree char *padded = line != NULL ? g_strconcat(line, " ", NULL) : NULL;
    gboolean dmi_virtual = FALSE;

    for (guint i = 0; dmi != NULL && vendors[i] != NULL; i++)
        dmi_virtual |= g_str_has_prefix(dmi, vendors[i]);
    if (padded != NULL && strstr(padded, " hypervisor ") != NULL)
        c->guest = dmi != NULL ? g_strdup_printf("the CPU's hypervisor flag; DMI system vendor %s",
                                                 dmi)
                               : g_strdup("the CPU's hypervisor flag");
    else if (dmi_virtual)
        c->guest = g_strdup_printf("DMI system vendor %s", dmi);
    if (c->guest != NULL)
        add(c, "host-kind", VH_CHECK_PASS,
            g_strdup_printf("a virtual machine (%s): passthrough in it needs a virtual IOMMU "
                            "from its hypervisor",
                            c->guest),
            NULL);
    else
        add(c, "host-kind", VH_CHECK_PASS, g_strdup("a physical machine, as far as it shows"),
            NULL);
}

GPtrArray *
vh_host_check_run(const VhHost *host)
{
    Checker c = {.host = host};
    g_autofree char *cmdline_path = vh_host_proc_path(host, "cmdline");
    g_autofree char *cmdline = vh_sysfs_read(cmdline_path, NULL);

    c.items = g_ptr_array_new_with_free_func((GDestroyNotify)vh_check_item_free);
    c.cmdline = g_strsplit_set(cmdline != NULL ? cmdline : "", " \t\n", -1);
    check_virtual(&c);
    check_firmware(&c);
    check_groups(&c);
    check_cmdline(&c);
    check_interrupt_remapping(&c);
    check_modules(&c);
    check_libvirt(&c);
    g_strfreev(c.cmdline);
    g_free(c.guest);
    return c.items;
}

gboolean
vh_host_check_passthrough_possible(const GPtrArray *items)
{
    for (guint i = 0; i < items->len; i++) {
        const VhCheckItem *item = g_ptr_array_index((GPtrArray *)items, i);

        if (item->status == VH_CHECK_FAIL)
            return FALSE;
    }
    return TRUE;
}

const char *
vh_check_status_to_string(VhCheckStatus status)
{
    switch (status) {
    case VH_CHECK_PASS:
        return "pass";
    case VH_CHECK_WARN:
        return "warn";
    case VH_CHECK_FAIL:
        return "fail";
    }
    g_assert_not_reached();
}
