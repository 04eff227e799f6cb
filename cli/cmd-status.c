/* vfio-handoff status: which devices are handed off, to whom, since when, and orphans */
#include "config.h"

#include <stdio.h>

#include "vh-cli.h"
#include "vh-holders.h"

static char *
since_text(gint64 since)
{
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(since);

    return t != NULL ? g_date_time_format(t, "%Y-%m-%d %H:%M:%S") : g_strdup("?");
}

/* "running", "gone" (an orphan), or "" when no pid is known yet or it was detached by hand */
static const char *
qemu_state(const VhHost *host, const VhJournalRecord *h)
{
    switch (vh_holder_state_of_record(host, h)) {
    case VH_HOLDER_RUNNING:
        return "running";
    case VH_HOLDER_GONE:
        return "gone";
    case VH_HOLDER_STARTING:
    case VH_HOLDER_BY_HAND:
        break;
    }
    return "";
}

static void
print_json(const VhHost *host, const GPtrArray *holds, const GPtrArray *unreadable)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "devices");
    json_builder_begin_array(b);
    for (guint i = 0; i < holds->len; i++) {
        VhJournalRecord *h = g_ptr_array_index((GPtrArray *)holds, i);
        const char *q = qemu_state(host, h);
        g_autofree char *since = since_text(h->since);

        json_builder_begin_object(b);
        vh_cli_json_string_or_null(b, "address", h->address);
        vh_cli_json_string_or_null(b, "domain", h->domain);
        vh_cli_json_bool(b, "by_hand", h->owner == VH_OWNER_BY_HAND);
        vh_cli_json_string_or_null(b, "state", vh_hold_state_to_string(h->state));
        vh_cli_json_string_or_null(b, "reason", h->reason);
        vh_cli_json_string_or_null(b, "since", since);
        vh_cli_json_string_or_null(b, "driver", h->driver);
        vh_cli_json_string_or_null(b, "driver_override", h->driver_override);
        vh_cli_json_string_or_null(b, "identity", h->identity);
        json_builder_set_member_name(b, "qemu_pid");
        if (h->qemu_pid > 0)
            json_builder_add_int_value(b, h->qemu_pid);
        else
            json_builder_add_null_value(b);
        vh_cli_json_bool(b, "orphan", g_strcmp0(q, "gone") == 0);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "unreadable");
    json_builder_begin_array(b);
    for (guint i = 0; i < unreadable->len; i++) {
        const VhJournalUnreadable *u = g_ptr_array_index((GPtrArray *)unreadable, i);
        g_autofree char *text = vh_cli_unreadable_text(host, u);

        json_builder_begin_object(b);
        vh_cli_json_string_or_null(b, "name", u->name);
        vh_cli_json_string_or_null(b, "reason", u->reason);
        vh_cli_json_string_or_null(b, "message", text);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    vh_cli_print_json(b);
}

static void
print_table(const VhHost *host, const GPtrArray *holds)
{
    guint orphans = 0, stuck = 0;

    printf("%-12s  %-16s  %-7s  %-19s  %-14s  %s\n", "DEVICE", "DOMAIN", "STATE", "SINCE",
           "GOES BACK TO", "QEMU");
    for (guint i = 0; i < holds->len; i++) {
        VhJournalRecord *h = g_ptr_array_index((GPtrArray *)holds, i);
        const char *q = qemu_state(host, h);
        g_autofree char *since = since_text(h->since);
        g_autofree char *qemu = h->owner == VH_OWNER_BY_HAND ? g_strdup("-")
                                : h->qemu_pid > 0 ? g_strdup_printf("%d (%s)", h->qemu_pid, q)
                                                  : g_strdup("starting");

        printf("%-12s  %-16s  %-7s  %-19s  %-14s  %s\n", h->address,
               h->owner == VH_OWNER_BY_HAND ? "(by hand)" : h->domain,
               vh_hold_state_to_string(h->state), since,
               h->driver != NULL ? h->driver : "no driver", qemu);
        if (h->reason != NULL)
            printf("%14s└ %s\n", "", h->reason);
        orphans += g_strcmp0(q, "gone") == 0;
        stuck += h->state == VH_HOLD_STUCK;
    }
    if (orphans > 0 || stuck > 0)
        printf("\n%u orphan%s and %u stuck: run vfio-handoff recover to give them back.\n",
               orphans, orphans == 1 ? "" : "s", stuck);
}

int
vh_cmd_status(int argc, char **argv)
{
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = vh_cli_option_context(
        "status", NULL,
        "Show the devices vfio-handoff has handed off: to which domain (or by hand), since when, "
        "the driver each goes back to, its state (held, or stuck when a step failed), and the "
        "domain's QEMU process. A device whose QEMU is gone is an orphan: vfio-handoff recover "
        "gives it back.",
        "Exit status: 0, or 1 when a file in the journal cannot be read (each is named, with "
        "what to do).",
        entries);
    g_autoptr(VhHost) host = NULL;
    g_autoptr(GPtrArray) holds = NULL;
    g_autoptr(GPtrArray) unreadable =
        g_ptr_array_new_with_free_func((GDestroyNotify)vh_journal_unreadable_free);
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (!vh_cli_no_arguments(argc, argv, NULL))
        return VH_EXIT_USAGE;
    host = vh_host_new_from_environment();
    holds = vh_journal_list(host, unreadable);
    if (json)
        print_json(host, holds, unreadable);
    else if (holds->len == 0 && unreadable->len == 0)
        printf("No device is handed off.\n");
    else if (holds->len > 0)
        print_table(host, holds);
    if (!json)
        vh_cli_report_unreadable(host, unreadable);
    /* an unreadable record may hide a device left on vfio-pci: not a clean state */
    return unreadable->len == 0 ? VH_EXIT_OK : VH_EXIT_FAILED;
}
