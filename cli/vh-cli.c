/* vfio-handoff CLI: what the verbs share */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vh-cli.h"
#include "vh-error.h"
#include "vh-journal.h"
#include "vh-parked.h"
#include "vh-pci-address.h"

char *
vh_cli_unreadable_text(const VhHost *host, const VhJournalUnreadable *u)
{
    g_autofree char *path = NULL;
    g_autofree char *node = NULL;

    if (strchr(u->name, '/') != NULL)
        return g_strdup(u->reason); /* the journal's directory itself, with its fix */
    path = g_build_filename(host->run_dir, "devices", u->name, NULL);
    if (!vh_pci_address_is_valid(u->name))
        return g_strdup_printf("%s: %s (fix: remove the file)", path, u->reason);
    node = g_strdelimit(g_strdup_printf("pci_%s", u->name), ":.", '_');
    return g_strdup_printf("%s: an unreadable journal record: %s; %s may still be on vfio-pci "
                           "(fix: check it with 'vfio-handoff show %s', give it back with "
                           "'virsh nodedev-reattach %s', then remove the file)",
                           path, u->reason, u->name, u->name, node);
}

guint
vh_cli_report_unreadable(const VhHost *host, const GPtrArray *unreadable)
{
    for (guint i = 0; i < unreadable->len; i++) {
        g_autofree char *text =
            vh_cli_unreadable_text(host, g_ptr_array_index((GPtrArray *)unreadable, i));

        vh_cli_error("%s", text);
    }
    return unreadable->len;
}

GOptionContext *
vh_cli_option_context(const char *verb, const char *args, const char *summary,
                      const char *description, const GOptionEntry *entries)
{
    g_autofree char *prgname = g_strdup_printf("vfio-handoff %s", verb);
    GOptionContext *ctx = g_option_context_new(args);

    /* "Usage: vfio-handoff show [OPTION…] DEVICE" */
    g_set_prgname(prgname);

    g_option_context_set_summary(ctx, summary);
    if (description != NULL)
        g_option_context_set_description(ctx, description);
    if (entries != NULL)
        g_option_context_add_main_entries(ctx, entries, NULL);
    return ctx;
}

/* the verb's command line as given, options included (for a fix that repeats it) */
static char **given_argv;

int
vh_cli_parse_options(GOptionContext *ctx, int *argc, char ***argv)
{
    g_autoptr(GError) error = NULL;

    if (given_argv == NULL)
        given_argv = g_strdupv(*argv); /* kept to the exit, as the argv it copies */
    /* every verb's --json is named so: its answer, a refusal included, is then one document */
    for (guint i = 1; given_argv[i] != NULL && strcmp(given_argv[i], "--") != 0; i++) {
        if (strcmp(given_argv[i], "--json") == 0)
            vh_cli_set_json(TRUE);
    }
    if (!g_option_context_parse(ctx, argc, argv, &error)) {
        vh_cli_error("%s: %s (fix: see 'vfio-handoff %s --help')", (*argv)[0], error->message,
                     (*argv)[0]);
        return VH_EXIT_USAGE;
    }
    return -1;
}

int
vh_cli_device_error_exit(const GError *error)
{
    return g_error_matches(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT) ? VH_EXIT_USAGE
                                                                        : VH_EXIT_FAILED;
}

int
vh_cli_device_address(const VhHost *host, const char *arg, VhInventory **inv, char *address)
{
    g_autoptr(GError) error = NULL;
    VhPciAddress addr;
    VhPciDevice *dev;

    if (vh_pci_address_parse(arg, &addr, NULL)) {
        vh_pci_address_format(&addr, address);
        return 0;
    }
    if (*inv == NULL && (*inv = vh_inventory_load(host, VH_INVENTORY_NONE, &error)) == NULL) {
        vh_cli_error("%s", error->message);
        return VH_EXIT_FAILED;
    }
    if ((dev = vh_inventory_resolve(*inv, arg, &error)) == NULL) {
        vh_cli_error("%s", error->message);
        return vh_cli_device_error_exit(error);
    }
    g_strlcpy(address, dev->name, VH_PCI_ADDRESS_BUFSIZE);
    return 0;
}

gboolean
vh_cli_may_write(const char *dir)
{
    char **argv = given_argv;
    int argc = argv != NULL ? (int)g_strv_length(argv) : 0;
    g_autofree char *existing = g_strdup(dir);
    g_autoptr(GString) line = g_string_new("sudo vfio-handoff");

    while (!g_file_test(existing, G_FILE_TEST_EXISTS) && strcmp(existing, "/") != 0) {
        char *parent = g_path_get_dirname(existing);

        g_free(existing);
        existing = parent;
    }
    if (access(existing, W_OK) == 0 || errno == EROFS)
        return TRUE; /* a read-only file system is said, with its fix, when the write fails */
    for (int i = 0; i < argc; i++) {
        g_autofree char *word = vh_error_shell_word(argv[i]);

        g_string_append_printf(line, " %s", word);
    }
    vh_cli_error("%s: must be run as root, '%s' is not writable by this user (fix: run '%s')",
                 argc > 0 ? argv[0] : "vfio-handoff", existing, line->str);
    return FALSE;
}

gboolean
vh_cli_no_arguments(int argc, char **argv, const char *fix)
{
    g_autofree char *help = NULL;

    if (argc <= 1)
        return TRUE;
    help = g_strdup_printf("see 'vfio-handoff %s --help'", argv[0]);
    vh_cli_error("%s: takes no arguments, got '%s' (fix: %s)", argv[0], argv[1],
                 fix != NULL ? fix : help);
    return FALSE;
}

VhCliView *
vh_cli_view_load(VhSnapshotFlags flags, GError **error)
{
    return vh_cli_view_new(vh_host_new_from_environment(), flags, error);
}

VhCliView *
vh_cli_view_new(VhHost *host, VhSnapshotFlags flags, GError **error)
{
    g_autoptr(VhCliView) view = g_new0(VhCliView, 1);

    view->host = host;
    view->policy = vh_policy_load(view->host);
    view->snap = vh_snapshot_load(view->host, flags, error);
    return view->snap != NULL ? g_steal_pointer(&view) : NULL;
}

VhCliView *
vh_cli_view_load_or_report(VhSnapshotFlags flags)
{
    g_autoptr(GError) error = NULL;
    VhCliView *view = vh_cli_view_load(flags, &error);

    if (view == NULL)
        vh_cli_error("%s", error->message);
    return view;
}

void
vh_cli_json_begin_inventory(JsonBuilder *b, const VhCliView *view, const char *member)
{
    vh_cli_json_begin(b);
    vh_cli_json_bool(b, "iommu_groups", view->snap->inventory->has_iommu_groups);
    json_builder_set_member_name(b, member);
    json_builder_begin_array(b);
}

void
vh_cli_json_end_inventory(JsonBuilder *b)
{
    json_builder_end_array(b);
    json_builder_end_object(b);
    vh_cli_print_json(b);
}

VhCliChange *
vh_cli_change_begin(void)
{
    g_autoptr(GError) error = NULL;
    VhCliChange *c = g_new0(VhCliChange, 1);

    c->host = vh_host_new_from_environment();
    if (!vh_cli_may_write(c->host->run_dir)) {
        vh_cli_change_end(c);
        return NULL;
    }
    c->policy = vh_policy_load(c->host);
    c->lock = vh_journal_lock(c->host, 30000, &error);
    if (c->lock == NULL) {
        vh_cli_error("%s", error->message);
        vh_cli_change_end(c);
        return NULL;
    }
    c->writer.timeout_ms = (guint)c->policy->step_timeout_ms;
    return c;
}

void
vh_cli_change_end(VhCliChange *c)
{
    if (c == NULL)
        return;
    vh_journal_unlock(c->lock);
    vh_policy_free(c->policy);
    vh_host_free(c->host);
    g_free(c);
}

void
vh_cli_view_free(VhCliView *view)
{
    if (view == NULL)
        return;
    g_clear_pointer(&view->answers, g_hash_table_unref);
    vh_snapshot_free(view->snap);
    vh_policy_free(view->policy);
    vh_host_free(view->host);
    g_free(view);
}

const VhDeviceAnswer *
vh_cli_view_answer(const VhCliView *view, const VhPciDevice *dev)
{
    VhCliView *v = (VhCliView *)view; /* a cache: the answer itself does not change */
    VhDeviceAnswer *a;

    if (v->answers == NULL)
        v->answers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                           (GDestroyNotify)vh_device_answer_free);
    a = g_hash_table_lookup(v->answers, dev->name);
    if (a == NULL) {
        a = vh_policy_answer(view->policy, view->snap, dev);
        g_hash_table_insert(v->answers, (gpointer)dev->name, a);
    }
    return a;
}

char *
vh_cli_reason_text(const VhPolicyCheck *c, const VhPciDevice *dev)
{
    if (strcmp(c->subject, dev->name) == 0)
        return g_strdup(c->reason);
    return g_strdup_printf("%s: %s", c->subject, c->reason);
}

static void
json_hex(JsonBuilder *b, const char *member, guint value, int width)
{
    char s[16];

    g_snprintf(s, sizeof(s), "%0*x", width, value);
    json_builder_set_member_name(b, member);
    json_builder_add_string_value(b, s);
}

static void
json_string_array(JsonBuilder *b, const char *member, GPtrArray *values)
{
    json_builder_set_member_name(b, member);
    json_builder_begin_array(b);
    for (guint i = 0; values != NULL && i < values->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(values, i));
    json_builder_end_array(b);
}

static void
json_int_or_null(JsonBuilder *b, const char *member, gint64 value, gboolean present)
{
    json_builder_set_member_name(b, member);
    if (present)
        json_builder_add_int_value(b, value);
    else
        json_builder_add_null_value(b);
}

static void
companions_to_json(JsonBuilder *b, const VhCliView *view, const GPtrArray *companions)
{
    json_builder_set_member_name(b, "companions");
    json_builder_begin_array(b);
    for (guint i = 0; i < companions->len; i++) {
        VhPciDevice *c = g_ptr_array_index((GPtrArray *)companions, i);
        json_builder_begin_object(b);
        vh_cli_json_string_or_null(b, "address", c->name);
        vh_cli_json_string_or_null(b, "driver", c->driver);
        vh_cli_json_bool(b, "passable", vh_cli_view_answer(view, c)->passable);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void
uses_to_json(JsonBuilder *b, const GPtrArray *uses)
{
    json_builder_set_member_name(b, "uses");
    json_builder_begin_array(b);
    for (guint i = 0; uses != NULL && i < uses->len; i++) {
        VhUse *use = g_ptr_array_index((GPtrArray *)uses, i);
        g_autofree char *text = vh_use_describe(use);

        json_builder_begin_object(b);
        vh_cli_json_string_or_null(b, "kind", vh_use_kind_to_string(use->kind));
        vh_cli_json_string_or_null(b, "subject", use->subject);
        vh_cli_json_string_or_null(b, "detail", use->detail);
        vh_cli_json_bool(b, "direct", use->direct);
        vh_cli_json_string_or_null(b, "text", text);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

char *
vh_cli_reset_brief(const VhPciDevice *dev)
{
    switch (vh_pci_device_reset_health(dev)) {
    case VH_RESET_CLEAN:
        return g_strdup(dev->reset_methods[0]);
    case VH_RESET_UNCERTAIN:
        return g_strconcat(dev->reset_methods[0], "?", NULL);
    case VH_RESET_NONE:
        break;
    }
    return g_strdup("none");
}

char *
vh_cli_reset_text(const VhPciDevice *dev)
{
    g_autofree char *methods =
        dev->reset_methods != NULL ? g_strjoinv(" ", dev->reset_methods) : NULL;

    switch (vh_pci_device_reset_health(dev)) {
    case VH_RESET_CLEAN:
        return g_strdup_printf("%s (resets cleanly)", methods);
    case VH_RESET_UNCERTAIN:
        return g_strdup_printf("%s (may not reset cleanly: some devices, GPUs above all, do not "
                               "come back from a power-state or bus reset; vfio-handoff gives "
                               "one back only if it answers)",
                               methods);
    case VH_RESET_NONE:
        break;
    }
    return g_strdup("none (it goes to its next user, or back to its driver, as the VM left it)");
}

static void
device_details_to_json(JsonBuilder *b, const VhCliView *view, const VhPciDevice *dev)
{
    VhIommuGroup *group = vh_inventory_group_of(view->snap->inventory, dev);
    g_autoptr(GPtrArray) companions = vh_inventory_companions(view->snap->inventory, dev);
    GPtrArray *uses = vh_host_usage_for(view->snap->usage, dev->name);
    const char *why = NULL;

    json_hex(b, "revision", dev->revision, 2);
    vh_cli_json_string_or_null(b, "subsystem_name", dev->subsys_name);
    json_int_or_null(b, "header_type", dev->header_type, dev->header_type >= 0);
    json_int_or_null(b, "numa_node", dev->numa_node, dev->numa_node >= 0);
    json_builder_set_member_name(b, "boot_vga");
    if (dev->boot_vga >= 0)
        json_builder_add_boolean_value(b, dev->boot_vga == 1);
    else
        json_builder_add_null_value(b);
    vh_cli_json_strv(b, "reset_methods", dev->reset_methods);

    json_builder_set_member_name(b, "sriov");
    if (dev->sriov_totalvfs >= 0 || dev->physfn != NULL) {
        json_builder_begin_object(b);
        vh_cli_json_string_or_null(b, "physfn", dev->physfn);
        json_int_or_null(b, "total_vfs", dev->sriov_totalvfs, dev->sriov_totalvfs >= 0);
        json_int_or_null(b, "num_vfs", dev->sriov_numvfs, dev->sriov_numvfs >= 0);
        json_string_array(b, "virtfns", dev->virtfns);
        json_builder_end_object(b);
    } else {
        json_builder_add_null_value(b);
    }
    vh_cli_json_string_or_null(b, "sysfs_path", dev->sysfs_dir);
    json_string_array(b, "parent_bridges", dev->parents);

    json_builder_set_member_name(b, "group_viable");
    if (group != NULL)
        json_builder_add_boolean_value(b, vh_iommu_group_is_viable(group, NULL));
    else
        json_builder_add_null_value(b);
    vh_cli_json_string_or_null(
        b, "vfio_driver",
        vh_pci_device_is_endpoint(dev) ? vh_policy_vfio_driver(view->policy, view->snap, dev, &why)
                                       : NULL);
    companions_to_json(b, view, companions);
    uses_to_json(b, uses);
}

const char *
vh_cli_policy_state(const VhCliView *view, const VhPciDevice *dev)
{
    const VhPolicyDevice *pd = vh_policy_device_for(view->policy, dev);

    return pd == NULL ? "-" : pd->enabled ? "yes" : "no";
}

static void
policy_to_json(JsonBuilder *b, const VhCliView *view, const VhPciDevice *dev)
{
    const VhPolicyDevice *pd = vh_policy_device_for(view->policy, dev);

    json_builder_set_member_name(b, "policy");
    json_builder_begin_object(b);
    vh_cli_json_bool(b, "enabled", pd != NULL && pd->enabled);
    if (pd == NULL) {
        /* no section names it: every member there, null (JSON v1 has no missing keys) */
        static const char *const members[] = {
            "section", "file", "line", "domains", "identity", "identity_matches", "vf",
            "console_handoff", "vfio_driver", NULL};

        for (guint i = 0; members[i] != NULL; i++)
            vh_cli_json_string_or_null(b, members[i], NULL);
    } else {
        g_autofree char *section = g_strconcat("device ", pd->spec, NULL);

        vh_cli_json_string_or_null(b, "section", section);
        vh_cli_json_string_or_null(b, "file", pd->file);
        json_builder_set_member_name(b, "line");
        json_builder_add_int_value(b, pd->line);
        json_builder_set_member_name(b, "domains");
        if (pd->domains != NULL) {
            json_builder_begin_array(b);
            for (guint i = 0; pd->domains[i] != NULL; i++)
                json_builder_add_string_value(b, pd->domains[i]);
            json_builder_end_array(b);
        } else {
            json_builder_add_null_value(b); /* any domain */
        }
        {
            g_autofree char *id = vh_policy_device_identity(pd);

            vh_cli_json_string_or_null(b, "identity", id);
        }
        {
            g_autofree char *vf = vh_policy_vf_mismatch(pd, dev, view->snap->inventory);
            g_autofree char *pf = vh_policy_device_pf_identity(pd);

            vh_cli_json_bool(b, "identity_matches",
                             vh_policy_identity_matches(pd, dev) && vf == NULL);
            json_builder_set_member_name(b, "vf"); /* an SR-IOV VF's pin, else null */
            if (pd->has_vf) {
                json_builder_begin_object(b);
                vh_cli_json_string_or_null(b, "of", pd->vf_of);
                json_builder_set_member_name(b, "index");
                json_builder_add_int_value(b, pd->vf_index);
                vh_cli_json_string_or_null(b, "pf_identity", pf);
                json_builder_end_object(b);
            } else {
                json_builder_add_null_value(b);
            }
        }
        vh_cli_json_bool(b, "console_handoff", pd->console_handoff);
        /* vfio-driver=, null: auto */
        vh_cli_json_string_or_null(b, "vfio_driver", pd->vfio_driver);
    }
    json_builder_end_object(b);
}

/* the sentence list, show and status print for a parked device */
static char *
parked_sentence(const char *left_by, const char *fix)
{
    return g_strdup_printf("parked on vfio-pci: no one holds it and nothing will give it back; "
                           "probably left by %s (fix: %s)",
                           left_by, fix);
}

void
vh_cli_parked_members(JsonBuilder *b, const char *address, const char *left_by)
{
    g_autofree char *fix = vh_parked_fix(address);
    g_autofree char *text = parked_sentence(left_by, fix);

    vh_cli_json_string_or_null(b, "left_by", left_by);
    vh_cli_json_string_or_null(b, "fix", fix);
    vh_cli_json_string_or_null(b, "message", text);
}

/* "parked": null, or who probably left it and the fix */
static void
parked_to_json(JsonBuilder *b, const VhSnapshot *snap, const VhPciDevice *dev)
{
    const char *left_by = NULL;

    json_builder_set_member_name(b, "parked");
    if (!vh_parked_check(snap, dev, &left_by)) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_object(b);
    vh_cli_parked_members(b, dev->name, left_by);
    json_builder_end_object(b);
}

char *
vh_cli_parked_text(const VhSnapshot *snap, const VhPciDevice *dev)
{
    const char *left_by = NULL;
    g_autofree char *fix = NULL;

    if (!vh_parked_check(snap, dev, &left_by))
        return NULL;
    fix = vh_parked_fix(dev->name);
    return parked_sentence(left_by, fix);
}

void
vh_cli_device_to_json(JsonBuilder *b, const VhCliView *view, const VhPciDevice *dev,
                      gboolean detailed)
{
    const VhVerdict *v = vh_verdicts_get(view->snap->verdicts, dev->name);
    const VhDeviceAnswer *a = vh_cli_view_answer(view, dev);

    json_builder_begin_object(b);
    vh_cli_json_string_or_null(b, "address", dev->name);
    json_hex(b, "vendor_id", dev->vendor_id, 4);
    json_hex(b, "device_id", dev->device_id, 4);
    json_hex(b, "subsystem_vendor_id", dev->subsys_vendor_id, 4);
    json_hex(b, "subsystem_device_id", dev->subsys_device_id, 4);
    json_hex(b, "class", dev->class_code, 6);
    vh_cli_json_string_or_null(b, "class_name", dev->class_name);
    vh_cli_json_string_or_null(b, "vendor_name", dev->vendor_name);
    vh_cli_json_string_or_null(b, "device_name", dev->device_name);
    vh_cli_json_string_or_null(b, "driver", dev->driver);
    vh_cli_json_string_or_null(b, "driver_override", dev->driver_override);
    json_int_or_null(b, "iommu_group", dev->iommu_group, dev->iommu_group >= 0);
    vh_cli_json_bool(b, "endpoint", vh_pci_device_is_endpoint(dev));
    vh_cli_json_bool(b, "passable", a->passable);
    vh_cli_json_bool(b, "enabled", a->enabled);
    vh_cli_json_string_or_null(b, "reset",
                               dev->reset_methods != NULL ? dev->reset_methods[0] : NULL);
    vh_cli_json_string_or_null(b, "reset_health",
                               vh_reset_health_to_string(vh_pci_device_reset_health(dev)));
    vh_cli_json_bool(b, "host_critical", v->host_critical);
    vh_cli_json_bool(b, "in_use", v->in_use);
    json_builder_set_member_name(b, "reasons");
    json_builder_begin_array(b);
    for (guint i = 0; i < a->reasons->len; i++)
        vh_cli_check_to_json(b, g_ptr_array_index(a->reasons, i));
    json_builder_end_array(b);
    json_string_array(b, "notes", a->notes);
    policy_to_json(b, view, dev);
    parked_to_json(b, view->snap, dev);
    if (detailed)
        device_details_to_json(b, view, dev);
    json_builder_end_object(b);
}
