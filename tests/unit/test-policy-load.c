/* Policy files: every key, and each kind of mistake reported with file and line */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "vh-policy.h"

typedef struct {
    char *root; /* a host root with etc/vfio-handoff */
    VhHost *host;
    char *dropins;
} Fixture;

static void
setup(Fixture *f, gconstpointer data)
{
    f->root = g_dir_make_tmp("vh-policy-XXXXXX", NULL);
    f->host = vh_host_new_rooted(f->root);
    f->dropins = g_build_filename(f->host->config_dir, "conf.d", NULL);
    g_assert_cmpint(g_mkdir_with_parents(f->dropins, 0755), ==, 0);
}

static void
remove_tree(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *child = g_build_filename(path, name, NULL);

        if (g_file_test(child, G_FILE_TEST_IS_DIR))
            remove_tree(child);
        else
            g_unlink(child);
    }
    g_rmdir(path);
}

static void
teardown(Fixture *f, gconstpointer data)
{
    remove_tree(f->root);
    g_free(f->root);
    g_free(f->dropins);
    vh_host_free(f->host);
}

/* copies tests/data/policy/NAME into DIR/AS (mode 0644); returns the path */
static char *
install(const char *dir, const char *name, const char *as)
{
    g_autofree char *src = g_test_build_filename(G_TEST_DIST, "data", "policy", name, NULL);
    g_autofree char *text = NULL;
    char *dst = g_build_filename(dir, as, NULL);

    g_assert_true(g_file_get_contents(src, &text, NULL, NULL));
    g_assert_true(g_file_set_contents(dst, text, -1, NULL));
    g_assert_cmpint(g_chmod(dst, 0644), ==, 0);
    return dst;
}

/* every issue as "BASENAME:LINE: message", joined by newlines */
static char *
issues(const VhPolicy *p)
{
    g_autoptr(GString) s = g_string_new(NULL);

    for (guint i = 0; i < p->issues->len; i++) {
        VhPolicyIssue *issue = g_ptr_array_index(p->issues, i);
        g_autofree char *base = g_path_get_basename(issue->file);
        g_autofree char *msg = NULL;

        /* messages carry the full path in their fixes; shorten it for comparison */
        msg = g_strdup(issue->message);
        if (strstr(msg, issue->file) != NULL) {
            g_auto(GStrv) parts = g_strsplit(msg, issue->file, -1);

            g_free(msg);
            msg = g_strjoinv(base, parts);
        }
        if (issue->line > 0)
            g_string_append_printf(s, "%s:%d: %s\n", base, issue->line, msg);
        else
            g_string_append_printf(s, "%s: %s\n", base, msg);
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static void
test_defaults(Fixture *f, gconstpointer data)
{
    g_autoptr(VhPolicy) p = vh_policy_load(f->host);

    g_assert_cmpuint(p->issues->len, ==, 0);
    g_assert_true(p->enabled);
    g_assert_cmpint(p->max_active_devices, ==, 8);
    g_assert_cmpint(p->lock_memory, ==, VH_LOCK_MEMORY_REQUIRED);
    g_assert_cmpuint(p->memory_reserve, ==, G_GUINT64_CONSTANT(1) << 30);
    g_assert_cmpuint(p->memory_overhead, ==, G_GUINT64_CONSTANT(1) << 30);
    g_assert_cmpuint(p->step_timeout_ms, ==, 10000);
    g_assert_true(p->refuse_migration);
    g_assert_cmpint(vh_policy_max_devices_for(p, "anything"), ==, 6);
    g_assert_cmpuint(p->devices->len, ==, 0);
}

static void
test_every_key(Fixture *f, gconstpointer data)
{
    g_autofree char *path = install(f->host->config_dir, "every-key.conf", "vfio-handoff.conf");
    g_autoptr(VhPolicy) p = vh_policy_load(f->host);
    g_autofree char *got = issues(p);
    const VhPolicyDevice *gpu, *audio, *nic;

    g_assert_cmpstr(got, ==, "");
    g_assert_true(p->enabled);
    g_assert_cmpint(p->max_active_devices, ==, 4);
    g_assert_cmpint(p->lock_memory, ==, VH_LOCK_MEMORY_LIMIT);
    g_assert_cmpuint(p->memory_reserve, ==, G_GUINT64_CONSTANT(2) << 30);
    g_assert_cmpuint(p->memory_overhead, ==, G_GUINT64_CONSTANT(512) << 20);
    g_assert_cmpuint(p->step_timeout_ms, ==, 15000);
    g_assert_false(p->refuse_migration);
    g_assert_cmpint(vh_policy_max_devices_for(p, "win11"), ==, 5);
    g_assert_cmpint(vh_policy_max_devices_for(p, "other"), ==, 3);
    g_assert_cmpuint(p->devices->len, ==, 3);
    gpu = g_ptr_array_index(p->devices, 0);
    g_assert_true(gpu->has_address && !gpu->has_ids && gpu->enabled);
    g_assert_cmpstr(gpu->address, ==, "0000:01:00.0");
    g_assert_cmpint(gpu->line, ==, 17);
    g_assert_true(vh_policy_device_allows_domain(gpu, "ml-box"));
    g_assert_false(vh_policy_device_allows_domain(gpu, "other"));
    g_assert_true(gpu->has_identity && gpu->identity_has_subsystem);
    g_assert_cmphex(gpu->identity[3], ==, 0x403b);
    audio = g_ptr_array_index(p->devices, 1);
    g_assert_true(audio->has_ids && !audio->has_address && !audio->enabled);
    nic = g_ptr_array_index(p->devices, 2);
    g_assert_true(nic->has_ids && nic->has_address);
    g_assert_true(nic->has_identity && !nic->identity_has_subsystem);
}

static void
test_mistakes(Fixture *f, gconstpointer data)
{
    static const struct {
        const char *file, *expected;
    } cases[] = {
        {"unknown-key.conf",
         "unknown-key.conf:3: unknown key 'max-active-device' in [host] (known: enabled, "
         "max-active-devices, lock-memory, memory-reserve, memory-overhead, step-timeout, "
         "refuse-migration)\n"
         "unknown-key.conf:6: unknown key 'domain' in [device 0000:01:00.0] (known: enabled, "
         "domains, identity, console-handoff, vfio-driver, vf-of, vf-index, pf-identity)\n"
         "unknown-key.conf:8: unknown section [vm win11] (expected [host], [domain NAME] or "
         "[device ADDRESS])\n"},
        {"bad-unit.conf",
         "bad-unit.conf:2: memory-reserve: invalid size '1X' (expected a whole number with K, M, "
         "G or T, e.g. 1G or 512M)\n"
         "bad-unit.conf:3: memory-overhead: invalid size '1.5G' (expected a whole number with K, "
         "M, G or T, e.g. 1G or 512M)\n"
         "bad-unit.conf:4: step-timeout: invalid duration '10' (expected a whole number with ms, "
         "s, m or h, e.g. 10s)\n"
         "bad-unit.conf:5: lock-memory: invalid value 'maybe' (expected required, limit or off)\n"
         "bad-unit.conf:6: max-active-devices: invalid number 'eight' (expected a whole number "
         "from 1 to 256)\n"},
        {"bad-address.conf",
         "bad-address.conf:1: invalid device '0000:01:00' in [device 0000:01:00] (expected an "
         "address like 0000:01:00.0, an ID like 10de:2204, or both: 10de:2204 0000:01:00.0)\n"
         "bad-address.conf:5: identity: invalid identity '10de-2204' (expected "
         "VVVV:DDDD:SSSS:SSSS or VVVV:DDDD)\n"},
        {"syntax.conf",
         "syntax.conf:2: 'enabled true' is not a [section], a key=value line or a # comment (fix: "
         "write it as key=value, or start it with # to keep it as a comment)\n"
         "syntax.conf:3: '[device 0000:01:00.0' is not a section header (fix: write it as "
         "[NAME])\n"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = install(f->dropins, cases[i].file, cases[i].file);
        g_autoptr(VhPolicy) p = vh_policy_load_file(path, f->host->config_owner);
        g_autofree char *got = issues(p);

        g_assert_cmpstr(got, ==, cases[i].expected);
        g_assert_true(vh_policy_has_errors(p, TRUE));
    }
}

static void
test_unknown_is_warning_for_hook(Fixture *f, gconstpointer data)
{
    g_autofree char *path = install(f->dropins, "unknown-key.conf", "unknown-key.conf");
    g_autoptr(VhPolicy) p = vh_policy_load(f->host);

    /* the hook warns and goes on; `policy validate` (strict) fails */
    g_assert_false(vh_policy_has_errors(p, FALSE));
    g_assert_true(vh_policy_has_errors(p, TRUE));
    g_assert_cmpuint(p->devices->len, ==, 1);
}

static void
test_world_writable(Fixture *f, gconstpointer data)
{
    g_autofree char *path = install(f->dropins, "dup-a.conf", "10-gpu.conf");
    g_autoptr(VhPolicy) p = NULL;
    g_autofree char *got = NULL;

    g_assert_cmpint(g_chmod(path, 0666), ==, 0);
    p = vh_policy_load(f->host);
    got = issues(p);
    g_assert_cmpstr(got, ==,
                    "10-gpu.conf: ignored: writable by group or others (fix: run 'chmod go-w "
                    "10-gpu.conf')\n");
    /* ignored whole: its device is not enabled */
    g_assert_cmpuint(p->devices->len, ==, 0);
}

static void
test_duplicate_device(Fixture *f, gconstpointer data)
{
    g_autofree char *a = install(f->dropins, "dup-a.conf", "10-a.conf");
    g_autofree char *b = install(f->dropins, "dup-b.conf", "20-b.conf");
    g_autoptr(VhPolicy) p = vh_policy_load(f->host);
    g_autofree char *got = issues(p);
    g_autofree char *expected = g_strdup_printf(
        "20-b.conf:2: [device 0000:01:00.0] is already defined at %s:1 (keep one)\n", a);

    g_assert_cmpstr(got, ==, expected);
    g_assert_cmpuint(p->devices->len, ==, 1);
    /* the drop-ins were read in name order */
    g_assert_cmpstr(g_ptr_array_index(p->files, 0), ==, a);
}

static void
test_wrong_owner(Fixture *f, gconstpointer data)
{
    g_autofree char *path = install(f->dropins, "dup-a.conf", "10-gpu.conf");
    g_autoptr(VhPolicy) p = vh_policy_load_file(path, f->host->config_owner + 1);
    g_autofree char *got = issues(p);
    g_autofree char *expected = g_strdup_printf(
        "10-gpu.conf: would be ignored: owned by uid %u, not uid %u (fix: run 'chown %u "
        "10-gpu.conf')\n",
        f->host->config_owner, f->host->config_owner + 1, f->host->config_owner + 1);

    g_assert_cmpstr(got, ==, expected);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/vh/policy/load/defaults", Fixture, NULL, setup, test_defaults, teardown);
    g_test_add("/vh/policy/load/every-key", Fixture, NULL, setup, test_every_key, teardown);
    g_test_add("/vh/policy/load/mistakes", Fixture, NULL, setup, test_mistakes, teardown);
    g_test_add("/vh/policy/load/unknown-is-a-warning-for-the-hook", Fixture, NULL, setup,
               test_unknown_is_warning_for_hook, teardown);
    g_test_add("/vh/policy/load/world-writable-ignored", Fixture, NULL, setup,
               test_world_writable, teardown);
    g_test_add("/vh/policy/load/duplicate-device", Fixture, NULL, setup, test_duplicate_device,
               teardown);
    g_test_add("/vh/policy/load/wrong-owner-ignored", Fixture, NULL, setup, test_wrong_owner,
               teardown);
    return g_test_run();
}
