/* Test bed: a scenario built into a temporary root, read the way the CLI and the hook read a host
 * (one snapshot) */
#include "config.h"

#include "vh-fake-tree.h"
#include "vh-journal-index.h"
#include "vh-test-host.h"

static void
read_host(VhTestHost *t)
{
    g_autoptr(GError) error = NULL;

    t->snap = vh_snapshot_load(t->host, VH_SNAPSHOT_NAMES | VH_SNAPSHOT_DETAILS, &error);
    g_assert_no_error(error);
    t->inventory = t->snap->inventory;
    t->usage = t->snap->usage;
    t->verdicts = t->snap->verdicts;
}

VhTestHost *
vh_test_host_new(const char *name)
{
    g_autofree char *file = g_strconcat(name, ".conf", NULL);
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "scenarios", file, NULL);
    g_autoptr(GError) error = NULL;
    VhTestHost *t = g_new0(VhTestHost, 1);

    t->root = vh_fake_tree_new_temp(path, &error);
    g_assert_no_error(error);
    t->host = vh_host_new_rooted(t->root);
    read_host(t);
    return t;
}

void
vh_test_host_reload(VhTestHost *t)
{
    g_clear_pointer(&t->snap, vh_snapshot_free);
    read_host(t);
}

void
vh_test_host_free(VhTestHost *t)
{
    if (t == NULL)
        return;
    vh_snapshot_free(t->snap);
    vh_host_free(t->host);
    vh_fake_tree_remove(t->root);
    g_free(t->root);
    g_free(t);
}

const VhVerdict *
vh_test_host_verdict(VhTestHost *t, const char *device)
{
    const VhVerdict *v = vh_verdicts_get(t->verdicts, device);

    if (v == NULL)
        g_error("no device %s in the scenario", device);
    return v;
}

char *
vh_test_host_reasons(VhTestHost *t, const char *device)
{
    const VhVerdict *v = vh_test_host_verdict(t, device);
    g_autoptr(GString) s = g_string_new(NULL);

    for (guint i = 0; i < v->reasons->len; i++) {
        VhReason *r = g_ptr_array_index(v->reasons, i);

        g_string_append_printf(s, "%s%s", i > 0 ? " | " : "", r->text);
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

gboolean
vh_test_host_domain_indexed(const VhHost *host, const char *domain)
{
    char path[4096];

    return vh_journal_domain_index(host->run_dir, domain, path, sizeof(path)) == 0 &&
           g_file_test(path, G_FILE_TEST_IS_DIR);
}
