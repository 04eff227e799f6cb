/*
 * Policy evaluation, table-driven: for every check at least one passing and one failing case,
 * each asserting the exact reason. Facts come from fake hosts (tests/data/scenarios), a policy
 * written as text, a domain written as XML, and holdings given directly.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vh-policy-eval.h"
#include "vh-test-host.h"

#define GIB_KIB (G_GUINT64_CONSTANT(1024) * 1024)

typedef struct {
    const char *name;      /* the case, for the failure message */
    const char *scenario;  /* tests/data/scenarios/NAME.conf */
    const char *policy;    /* the text of vfio-handoff.conf */
    const char *hostdevs;  /* the domain's managed='no' hostdevs, ';'-separated */
    const char *backing;   /* inside <memoryBacking> */
    const char *memtune;   /* inside <memtune> */
    const char *holdings;  /* "DEVICE DOMAIN PID alive|gone;..." */
    guint64 available_gib; /* MemAvailable; 0: 16 */
    guint64 hugepages_kib; /* free huge pages */
    const char *check;     /* the check's id ... */
    const char *subject;   /* ... and subject */
    gboolean passed;
    const char *reason; /* "%ROOT%" stands for the fake host's root */
    gboolean running;   /* the domain runs already: a hot-plug (VhFacts.running) */
} Case;

#define GPU_POLICY "[device 0000:01:00.0]\n"
#define LOCKED "<locked/>"

static const Case cases[] = {
    /* policy-valid */
    {"valid policy", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED, "", "", 0, 0, "policy-valid",
     "host", TRUE, "the policy has no errors"},
    {"invalid policy", "gpu-audio", "[host]\nmemory-reserve=1X\n" GPU_POLICY, "0000:01:00.0",
     LOCKED, "", "", 0, 0, "policy-valid", "host", FALSE,
     "the policy has errors, the first: %ROOT%/etc/vfio-handoff/vfio-handoff.conf:2: "
     "memory-reserve: "
     "invalid size '1X' (expected a whole number with K, M, G or T, e.g. 1G or 512M)"},
    /* host-enabled */
    {"host enabled", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED, "", "", 0, 0, "host-enabled",
     "host", TRUE, "passthrough is enabled on this host"},
    {"host disabled", "gpu-audio", "[host]\nenabled=false\n" GPU_POLICY, "0000:01:00.0", LOCKED, "",
     "", 0, 0, "host-enabled", "host", FALSE,
     "passthrough is turned off on this host ([host] enabled=false)"},
    /* device-present */
    {"missing device", "gpu-audio", GPU_POLICY, "0000:09:00.0", LOCKED, "", "", 0, 0,
     "device-present", "0000:09:00.0", FALSE, "no PCI device at this address on this host"},
    /* device-enabled */
    {"enabled by address", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED, "", "", 0, 0,
     "device-enabled", "0000:01:00.0", TRUE,
     "enabled by [device 0000:01:00.0] at '%ROOT%/etc/vfio-handoff/vfio-handoff.conf:1'"},
    {"enabled by ID", "gpu-audio", "[device 10de:2204]\n", "0000:01:00.0", LOCKED, "", "", 0, 0,
     "device-enabled", "0000:01:00.0", TRUE,
     "enabled by [device 10de:2204] at '%ROOT%/etc/vfio-handoff/vfio-handoff.conf:1'"},
    {"not enabled", "gpu-audio", "", "0000:01:00.0", LOCKED, "", "", 0, 0, "device-enabled",
     "0000:01:00.0", FALSE, "not enabled for passthrough"},
    {"disabled", "gpu-audio", "[device 10de:2204]\nenabled=false\n", "0000:01:00.0", LOCKED, "", "",
     0, 0, "device-enabled", "0000:01:00.0", FALSE,
     "disabled by [device 10de:2204] at '%ROOT%/etc/vfio-handoff/vfio-handoff.conf:1'"},
    {"companion goes with its enabled GPU", "gpu-audio", GPU_POLICY, "0000:01:00.0;0000:01:00.1",
     LOCKED, "", "", 0, 0, "device-enabled", "0000:01:00.1", TRUE,
     "goes with 0000:01:00.0, enabled by [device 0000:01:00.0] at "
     "'%ROOT%/etc/vfio-handoff/vfio-handoff.conf:1'"},
    {"companion asked for alone", "gpu-audio", GPU_POLICY, "0000:01:00.1", LOCKED, "", "", 0, 0,
     "device-enabled", "0000:01:00.1", FALSE, "not enabled for passthrough"},
    {"companion disabled by its own section", "gpu-audio",
     GPU_POLICY "[device 0000:01:00.1]\nenabled=false\n", "0000:01:00.0;0000:01:00.1", LOCKED, "",
     "", 0, 0, "device-enabled", "0000:01:00.1", FALSE,
     "disabled by [device 0000:01:00.1] at '%ROOT%/etc/vfio-handoff/vfio-handoff.conf:2'"},
    {"companion follows its GPU's domains", "gpu-audio", GPU_POLICY "domains=win11\n",
     "0000:01:00.0;0000:01:00.1", LOCKED, "", "", 0, 0, "domain-allowed", "0000:01:00.1", FALSE,
     "may be used only by 'win11', not by 'gpu-vm'"},
    /* domain-allowed */
    {"any domain", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED, "", "", 0, 0, "domain-allowed",
     "0000:01:00.0", TRUE, "any domain may use it"},
    {"listed domain", "gpu-audio", GPU_POLICY "domains=win11;gpu-vm\n", "0000:01:00.0", LOCKED, "",
     "", 0, 0, "domain-allowed", "0000:01:00.0", TRUE, "'gpu-vm' is one of its domains"},
    {"other domains only", "gpu-audio", GPU_POLICY "domains=win11;ml-box\n", "0000:01:00.0", LOCKED,
     "", "", 0, 0, "domain-allowed", "0000:01:00.0", FALSE,
     "may be used only by 'win11', 'ml-box', not by 'gpu-vm'"},
    /* identity */
    {"identity matches", "gpu-audio", GPU_POLICY "identity=10de:2204:1458:403b\n", "0000:01:00.0",
     LOCKED, "", "", 0, 0, "identity", "0000:01:00.0", TRUE,
     "holds 10de:2204:1458:403b, as pinned"},
    {"identity changed", "gpu-audio", GPU_POLICY "identity=10de:2206:1458:403b\n", "0000:01:00.0",
     LOCKED, "", "", 0, 0, "identity", "0000:01:00.0", FALSE,
     "now holds 10de:2204:1458:403b, not the pinned 10de:2206:1458:403b: the hardware changed"},
    {"no identity", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED, "", "", 0, 0, "identity",
     "0000:01:00.0", TRUE, "no identity pinned"},
    /* not-host-critical */
    {"not critical", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED, "", "", 0, 0,
     "not-host-critical", "0000:01:00.0", TRUE, "the host does not depend on it"},
    {"boot NVMe", "boot-nvme", "[device 0000:02:00.0]\n", "0000:02:00.0", LOCKED, "", "", 0, 0,
     "not-host-critical", "0000:02:00.0", FALSE,
     "host-critical: /dev/mapper/vg0-root is mounted at /"},
    {"group of the boot NVMe", "boot-nvme", "[device 0000:03:00.0]\n", "0000:03:00.0", LOCKED, "",
     "", 0, 0, "not-host-critical", "0000:03:00.0", FALSE,
     "shares IOMMU group 2 with host-critical 0000:02:00.0 (/dev/mapper/vg0-root is mounted at /)"},
    {"a bridge", "gpu-audio", "[device 0000:00:01.0]\n", "0000:00:01.0", LOCKED, "", "", 0, 0,
     "not-host-critical", "0000:00:01.0", FALSE,
     "PCI bridge: stays with the host (pass the devices below it)"},
    /* not-in-use */
    {"free", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED, "", "", 0, 0, "not-in-use",
     "0000:01:00.0", TRUE, "no host process or interface uses it"},
    {"open by Xorg", "console", "[device 0000:01:00.0]\n", "0000:01:00.0", LOCKED, "", "", 0, 0,
     "not-in-use", "0000:01:00.0", FALSE, "in use: /dev/dri/card1 is open by Xorg (pid 1234)"},
    {"interface up", "default-route", "[device 0000:05:00.0]\n", "0000:05:00.0", LOCKED, "", "", 0,
     0, "not-in-use", "0000:05:00.0", FALSE, "in use: enp5s0 is up with an address"},
    /* not-held */
    {"not held", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED, "", "", 0, 0, "not-held",
     "0000:01:00.0", TRUE, "no other domain holds it"},
    {"held by a live domain", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED, "",
     "0000:01:00.0 other-vm 4321 alive", 0, 0, "not-held", "0000:01:00.0", FALSE,
     "held by the running domain 'other-vm' (pid 4321, /dev/vfio/1)"},
    {"stale holder", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED, "",
     "0000:01:00.0 other-vm 4321 gone", 0, 0, "not-held", "0000:01:00.0", TRUE,
     "was held by 'other-vm' (pid 4321), which is gone: taken over"},
    {"held by itself", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED, "",
     "0000:01:00.0 gpu-vm 4321 alive", 0, 0, "not-held", "0000:01:00.0", TRUE,
     "no other domain holds it"},
    /* group-integrity */
    {"companion goes along", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED, "", "", 0, 0,
     "group-integrity", "0000:01:00.0", TRUE,
     "IOMMU group 1: its companion 0000:01:00.1 (snd_hda_intel) will be handed off too"},
    {"behind a bridge", "bridge-group", "[device 0000:06:01.0]\n", "0000:06:01.0", LOCKED, "", "",
     0, 0, "group-integrity", "0000:06:01.0", TRUE,
     "IOMMU group 5: its companion 0000:06:02.0 (e1000) will be handed off too"},
    {"alone in its group", "sriov", "[device 0000:03:10.0]\n", "0000:03:10.0", LOCKED, "", "", 0, 0,
     "group-integrity", "0000:03:10.0", TRUE, "IOMMU group 10: no other endpoint needs moving"},
    {"companion is the boot disk", "boot-nvme", "[device 0000:03:00.0]\n", "0000:03:00.0", LOCKED,
     "", "", 0, 0, "group-integrity", "0000:03:00.0", FALSE,
     "companion 0000:02:00.0 (nvme) in IOMMU group 2 cannot be handed off: host-critical: "
     "/dev/mapper/vg0-root is mounted at /"},
    {"no IOMMU", "no-iommu", "[device 0000:00:1f.6]\n", "0000:00:1f.6", LOCKED, "", "", 0, 0,
     "group-integrity", "0000:00:1f.6", FALSE, "no IOMMU group: the IOMMU is off"},
    /* domain-limit */
    {"within the domain limit", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED, "", "", 0, 0,
     "domain-limit", "gpu-vm", TRUE, "1 of at most 6 devices"},
    {"over the domain limit", "gpu-audio",
     "[domain gpu-vm]\nmax-devices=1\n" GPU_POLICY "[device 0000:01:00.1]\n",
     "0000:01:00.0;0000:01:00.1", LOCKED, "", "", 0, 0, "domain-limit", "gpu-vm", FALSE,
     "asks for 2 devices, more than max-devices=1"},
    /* host-limit */
    {"within the host limit", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED, "", "", 0, 0,
     "host-limit", "host", TRUE, "2 of at most 8 devices handed off on this host"},
    {"over the host limit", "gpu-audio", "[host]\nmax-active-devices=4\n" GPU_POLICY,
     "0000:01:00.0", LOCKED, "",
     "0000:09:00.0 a 1 alive;0000:09:00.1 a 1 alive;0000:0a:00.0 b 2 alive;0000:0b:00.0 c 3 gone",
     0, 0, "host-limit", "host", FALSE,
     "handing off 2 more devices would make 5 on this host, more than max-active-devices=4"},
    {"a hot-plug counts what the domain holds already", "gpu-audio",
     "[host]\nmax-active-devices=4\n" GPU_POLICY, "0000:01:00.0", LOCKED, "",
     "0000:09:00.0 gpu-vm 1 alive;0000:09:00.1 gpu-vm 1 alive;0000:0a:00.0 b 2 alive", 0, 0,
     "host-limit", "host", FALSE,
     "handing off 2 more devices would make 5 on this host, more than max-active-devices=4", TRUE},
    /* lock-memory */
    {"locked", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED, "", "", 0, 0, "lock-memory",
     "gpu-vm", TRUE, "its memory is locked (<memoryBacking><locked/>)"},
    {"not locked", "gpu-audio", GPU_POLICY, "0000:01:00.0", "", "", "", 0, 0, "lock-memory",
     "gpu-vm", FALSE, "does not lock its memory, and lock-memory=required"},
    {"hard limit enough", "gpu-audio", "[host]\nlock-memory=limit\n" GPU_POLICY, "0000:01:00.0", "",
     "<hard_limit unit='GiB'>9</hard_limit>", "", 0, 0, "lock-memory", "gpu-vm", TRUE,
     "its hard limit 9 GiB covers 8 GiB of memory and the overhead"},
    {"hard limit short", "gpu-audio", "[host]\nlock-memory=limit\n" GPU_POLICY, "0000:01:00.0", "",
     "<hard_limit unit='GiB'>8</hard_limit>", "", 0, 0, "lock-memory", "gpu-vm", FALSE,
     "has no <locked/> memory, and its hard limit (8 GiB) is below memory + memory-overhead (9 "
     "GiB)"},
    {"not checked", "gpu-audio", "[host]\nlock-memory=off\n" GPU_POLICY, "0000:01:00.0", "", "", "",
     0, 0, "lock-memory", "gpu-vm", TRUE, "not checked (lock-memory=off)"},
    /* memory-admission */
    {"memory fits", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED, "", "", 0, 0,
     "memory-admission", "gpu-vm", TRUE, "8 GiB fits in 16 GiB available less the 1 GiB reserve"},
    {"memory short", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED, "", "", 8, 0,
     "memory-admission", "gpu-vm", FALSE,
     "8 GiB of guest memory does not fit: 8 GiB available less the 1 GiB reserve leaves 7 GiB"},
    {"huge pages fit", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED "<hugepages/>", "", "", 0,
     10 * GIB_KIB, "memory-admission", "gpu-vm", TRUE, "8 GiB fits in 10 GiB of free huge pages"},
    {"huge pages short", "gpu-audio", GPU_POLICY, "0000:01:00.0", LOCKED "<hugepages/>", "", "", 0,
     4 * GIB_KIB, "memory-admission", "gpu-vm", FALSE,
     "8 GiB of guest memory does not fit in 4 GiB of free huge pages"},
};

static char *
domain_xml(const Case *c)
{
    g_autoptr(GString) xml = g_string_new("<domain type='kvm'><name>gpu-vm</name>"
                                          "<memory unit='GiB'>8</memory>");
    g_auto(GStrv) devs = g_strsplit(c->hostdevs, ";", -1);

    g_string_append_printf(xml, "<memoryBacking>%s</memoryBacking><memtune>%s</memtune><devices>",
                           c->backing, c->memtune);
    for (guint i = 0; devs[i] != NULL; i++) {
        unsigned d, b, s, f;

        g_assert_cmpint(sscanf(devs[i], "%x:%x:%x.%x", &d, &b, &s, &f), ==, 4);
        g_string_append_printf(xml, "<hostdev mode='subsystem' type='pci' managed='no'><source>"
                                    "<address domain='0x%04x' bus='0x%02x' slot='0x%02x' "
                                    "function='0x%x'/></source></hostdev>",
                               d, b, s, f);
    }
    g_string_append(xml, "</devices></domain>");
    return g_string_free(g_steal_pointer(&xml), FALSE);
}

static GPtrArray *
holdings(const Case *c)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)vh_holder_free);
    g_auto(GStrv) items = g_strsplit(c->holdings, ";", -1);

    for (guint i = 0; items[i] != NULL && items[i][0] != '\0'; i++) {
        g_auto(GStrv) f = g_strsplit(items[i], " ", -1);
        VhHolder *h = g_new0(VhHolder, 1);

        g_assert_cmpuint(g_strv_length(f), ==, 4);
        h->device = g_strdup(f[0]);
        h->domain_name = g_strdup(f[1]);
        h->pid = atoi(f[2]);
        h->state = strcmp(f[3], "alive") != 0 ? VH_HOLDER_GONE
                   : h->pid == 0                ? VH_HOLDER_STARTING
                                                : VH_HOLDER_RUNNING;
        h->via = g_strdup("/dev/vfio/1");
        g_ptr_array_add(out, h);
    }
    return out;
}

/* Everything one evaluation borrows, kept alive together. */
typedef struct {
    VhTestHost *t;
    VhDomainDef *def;
    VhPolicy *policy;
    GPtrArray *held;
    GPtrArray *requested;
    VhEvaluation *eval;
} Run;

static void
run_free(Run *r)
{
    vh_evaluation_free(r->eval);
    if (r->held != NULL)
        g_ptr_array_unref(r->held);
    g_ptr_array_unref(r->requested);
    vh_policy_free(r->policy);
    vh_domain_def_free(r->def);
    vh_test_host_free(r->t);
    g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Run, run_free)

static Run *
evaluate(const Case *c)
{
    Run *r = g_new0(Run, 1);
    g_autofree char *conf = NULL;
    g_autofree char *xml = domain_xml(c);
    g_autoptr(GError) error = NULL;
    VhFacts facts = {0};

    r->t = vh_test_host_new(c->scenario);
    conf = g_build_filename(r->t->host->config_dir, "vfio-handoff.conf", NULL);
    r->def = vh_domain_def_parse(xml, strlen(xml), &error);
    g_assert_no_error(error);
    r->held = holdings(c);
    g_assert_true(g_file_set_contents(conf, c->policy, -1, NULL));
    g_assert_cmpint(g_chmod(conf, 0644), ==, 0);
    r->policy = vh_policy_load(r->t->host);
    /* the snapshot's holders and memory, as the case gives them */
    g_ptr_array_unref(r->t->snap->holders);
    r->t->snap->holders = g_steal_pointer(&r->held);
    r->t->snap->memory.available_kib = (c->available_gib ? c->available_gib : 16) * GIB_KIB;
    r->t->snap->memory.hugepage_default_kib = 2048;
    r->t->snap->memory.n_hugepages = 1;
    r->t->snap->memory.hugepages[0].page_kib = 2048;
    r->t->snap->memory.hugepages[0].free_kib = c->hugepages_kib;
    r->requested = vh_domain_def_unmanaged(r->def);
    facts = (VhFacts){r->policy, r->t->snap, r->def, r->requested};
    facts.running = c->running;
    r->eval = vh_policy_evaluate(&facts);
    return r;
}

/* every check id that can fail, and whether a case has seen it fail (rendered and checked) */
static const char *const failing_ids[] = {
    "policy-valid", "host-enabled",      "device-present", "device-enabled",   "domain-allowed",
    "identity",     "not-host-critical", "not-in-use",     "not-held",         "group-integrity",
    "domain-limit", "host-limit",        "lock-memory",    "memory-admission", NULL};
static GHashTable *failed_seen;

/*
 * The message grammar (HACKING.md): THING: REASON (fix: FIX), on one line. FIX is one
 * parenthesis-free imperative; every command, in the reason or the fix, is quoted; the domain's
 * name appears only quoted, in a quoted command, or in [domain NAME].
 */
static void
assert_grammar(const char *message, const char *domain)
{
    g_autoptr(GRegex) shape =
        g_regex_new("^(\\S+: )?[a-z0-9'<\\[].*[^ .] \\(fix: [a-z'][^()]*[^ .]\\)$", 0, 0, NULL);
    g_autoptr(GRegex) bare_command =
        g_regex_new("(?<!')\\b(vfio-handoff|virsh|modprobe|chown|chmod) [a-z-]", 0, 0, NULL);
    g_autoptr(GRegex) quoted = g_regex_new("'[^']*'|\\[domain [^]]*\\]", 0, 0, NULL);
    g_autofree char *unquoted = g_regex_replace_literal(quoted, message, -1, 0, "", 0, NULL);

    if (!g_regex_match(shape, message, 0, NULL))
        g_error("not THING: REASON (fix: FIX): %s", message);
    if (g_regex_match(bare_command, unquoted, 0, NULL))
        g_error("a command is not quoted: %s", message);
    if (strstr(message, "(see:") != NULL || strstr(message, "(run:") != NULL ||
        strchr(message, '\n') != NULL)
        g_error("another fix prefix, or more than one line: %s", message);
    if (domain != NULL && strstr(unquoted, domain) != NULL)
        g_error("the domain's name is not quoted: %s", message);
}

/* Every failed check of @r, as the hook and the CLI print it. */
static void
assert_failures_grammar(const Run *r)
{
    for (guint i = 0; i < r->eval->checks->len; i++) {
        const VhPolicyCheck *k = g_ptr_array_index(r->eval->checks, i);
        g_autofree char *hook = NULL;
        g_autofree char *alone = NULL;

        if (k->passed)
            continue;
        hook = vh_policy_check_message(k, r->def->name); /* the hook, plan, add */
        alone = vh_policy_check_message(k, NULL);        /* detach, for no domain */
        assert_grammar(hook, r->def->name);
        assert_grammar(alone, NULL);
        g_hash_table_add(failed_seen, (gpointer)k->id);
    }
}

static void
test_every_failure_seen(void)
{
    /* runs last: the cases above rendered each check that can fail */
    for (guint i = 0; failing_ids[i] != NULL; i++) {
        if (!g_hash_table_contains(failed_seen, failing_ids[i]))
            g_error("no case makes the check '%s' fail: its message was never checked",
                    failing_ids[i]);
    }
}

static void
run_case(gconstpointer data)
{
    const Case *c = data;
    g_autoptr(Run) r = evaluate(c);
    g_auto(GStrv) parts = NULL;
    g_autofree char *expected = NULL;
    const VhPolicyCheck *found = NULL;

    for (guint i = 0; i < r->eval->checks->len && found == NULL; i++) {
        const VhPolicyCheck *k = g_ptr_array_index(r->eval->checks, i);

        if (strcmp(k->id, c->check) == 0 && strcmp(k->subject, c->subject) == 0)
            found = k;
    }
    if (found == NULL)
        g_error("case '%s': no check %s for %s", c->name, c->check, c->subject);
    parts = g_strsplit(c->reason, "%ROOT%", -1);
    expected = g_strjoinv(r->t->root, parts);
    g_assert_cmpstr(found->reason, ==, expected);
    g_assert_cmpint(found->passed, ==, c->passed);
    /* a failure always says what to do, and the evaluation as a whole fails with it */
    assert_failures_grammar(r);
    if (!c->passed) {
        g_assert_nonnull(found->fix);
        g_assert_false(r->eval->allowed);
    } else {
        g_assert_null(found->fix);
    }
}

static void
test_allowed_plan(void)
{
    const Case c = {.scenario = "gpu-audio", .policy = GPU_POLICY, .hostdevs = "0000:01:00.0",
                    .backing = LOCKED, .memtune = "", .holdings = ""};
    g_autoptr(Run) r = evaluate(&c);

    g_assert_true(r->eval->allowed);
    g_assert_null(vh_evaluation_first_failure(r->eval));
    /* the requested GPU first, then its companion */
    g_assert_cmpuint(r->eval->handoff->len, ==, 2);
    g_assert_cmpstr(((VhPciDevice *)g_ptr_array_index(r->eval->handoff, 0))->name, ==,
                    "0000:01:00.0");
    g_assert_cmpstr(((VhPciDevice *)g_ptr_array_index(r->eval->handoff, 1))->name, ==,
                    "0000:01:00.1");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/vh/policy/evaluate/%s/%s", cases[i].check,
                                                cases[i].name);

        g_strdelimit(path + strlen("/vh/policy/evaluate/"), " ", '-');
        g_test_add_data_func(path, &cases[i], run_case);
    }
    g_test_add_func("/vh/policy/evaluate/allowed-with-companion", test_allowed_plan);
    /* registered last, in a suite of its own: it runs when every case has */
    g_test_add_func("/vh/policy/zz-last/every-failure-has-the-grammar", test_every_failure_seen);
    failed_seen = g_hash_table_new(g_str_hash, g_str_equal);
    return g_test_run();
}
