/* vfio-handoff status: which devices are handed off, to whom, since when, and orphans */
#include "config.h"

#include <stdio.h>

#include "vh-cli.h"
#include "vh-console.h"
#include "vh-holders.h"
#include "vh-parked.h"
#include "vh-table.h"
#include "vh-vfio-driver.h"

static char *
since_text(gint64 since)
{
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(since);

    return t != NULL ? g_date_time_format(t, "%Y-%m-%d %H:%M:%S") : g_strdup("?");
}

/* "running", "gone" (an orphan), "unplugged" (its domain runs on without it), or "" when no pid
 * is known yet or it was detached by hand */
static const char *
qemu_state(const VhHost *host, const VhJournalRecord *h)
{
    switch (vh_holder_state_of_record(host, h)) {
    case VH_HOLDER_RUNNING:
        return "running";
    case VH_HOLDER_GONE:
        return "gone";
    case VH_HOLDER_UNPLUGGED:
        return "unplugged";
    case VH_HOLDER_STARTING:
    case VH_HOLDER_BY_HAND:
        break;
    }
    return "";
}

/* The process that holds @h's device now, when the record's own QEMU does not (it is gone, or
 * the record's start never got that far and another domain's QEMU has it): the device was taken
 * over, and is no orphan. */
static const VhHolder *
taken_over_by(const VhSnapshot *snap, const VhJournalRecord *h)
{
    const VhHolder *now = vh_snapshot_holder(snap, h->address, TRUE);

    if (now == NULL || now->pid == h->qemu_pid || h->owner == VH_OWNER_BY_HAND)
        return NULL;
    switch (vh_holder_state_of_record(snap->host, h)) {
    case VH_HOLDER_GONE:
    case VH_HOLDER_UNPLUGGED:
        return now;
    case VH_HOLDER_STARTING:
        return g_strcmp0(now->domain_name, h->domain) != 0 ? now : NULL;
    default:
        return NULL;
    }
}

/* "taken over by 4242 (win11)", "taken over by 5555 (dpdk)" */
static char *
taken_over_text(const VhHolder *now)
{
    return g_strdup_printf("taken over by %d (%s)", now->pid,
                           now->domain_name != NULL ? now->domain_name
                           : now->comm != NULL      ? now->comm
                                                    : "?");
}

/* the devices on vfio-pci that no one holds and vfio-handoff did not hand off */
static GPtrArray *
parked_devices(const VhSnapshot *snap)
{
    GPtrArray *parked = g_ptr_array_new();

    for (guint i = 0; i < snap->inventory->devices->len; i++) {
        VhPciDevice *dev = g_ptr_array_index(snap->inventory->devices, i);

        if (vh_parked_check(snap, dev, NULL))
            g_ptr_array_add(parked, dev);
    }
    return parked;
}

static void
parked_to_json(JsonBuilder *b, const VhSnapshot *snap, const GPtrArray *parked)
{
    json_builder_set_member_name(b, "parked");
    json_builder_begin_array(b);
    for (guint i = 0; i < parked->len; i++) {
        const VhPciDevice *dev = g_ptr_array_index((GPtrArray *)parked, i);
        const char *left_by = NULL;

        vh_parked_check(snap, dev, &left_by);
        json_builder_begin_object(b);
        vh_cli_json_string_or_null(b, "address", dev->name);
        vh_cli_json_string_or_null(b, "driver_override", dev->driver_override);
        vh_cli_parked_members(b, dev->name, left_by);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

/* "console": what was released from the device (restored after it), or null */
static void
console_to_json(JsonBuilder *b, const VhJournalRecord *h)
{
    json_builder_set_member_name(b, "console");
    if (h->vtcons == NULL && h->platform_fbs == NULL) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_object(b);
    vh_cli_json_string_or_null(b, "framebuffer", h->console);
    vh_cli_json_strv(b, "vtconsoles", h->vtcons);
    vh_cli_json_strv(b, "platform_framebuffers", h->platform_fbs);
    json_builder_end_object(b);
}

/* the VFIO driver (vfio-pci, a variant) @address is on now, or NULL */
static const char *
vfio_driver_now(const VhSnapshot *snap, const char *address)
{
    const VhPciDevice *dev = vh_inventory_lookup(snap->inventory, address);

    return dev != NULL && vh_vfio_driver_is_vfio(dev->driver) ? dev->driver : NULL;
}

/* "taken_over_by": the process that holds the device now, or null */
static void
taken_over_to_json(JsonBuilder *b, const VhHolder *now)
{
    json_builder_set_member_name(b, "taken_over_by");
    if (now == NULL) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "pid");
    json_builder_add_int_value(b, now->pid);
    vh_cli_json_string_or_null(b, "comm", now->comm);
    vh_cli_json_string_or_null(b, "domain", now->domain_name);
    vh_cli_json_string_or_null(b, "via", now->via);
    json_builder_end_object(b);
}

static void
print_json(const VhSnapshot *snap, const GPtrArray *parked)
{
    const VhHost *host = snap->host;
    const GPtrArray *holds = snap->journal, *unreadable = snap->unreadable;
    g_autoptr(JsonBuilder) b = json_builder_new();

    vh_cli_json_begin(b);
    json_builder_set_member_name(b, "devices");
    json_builder_begin_array(b);
    for (guint i = 0; i < holds->len; i++) {
        VhJournalRecord *h = g_ptr_array_index((GPtrArray *)holds, i);
        const char *q = qemu_state(host, h);
        const VhHolder *now = taken_over_by(snap, h);
        json_builder_begin_object(b);
        vh_cli_json_string_or_null(b, "address", h->address);
        vh_cli_json_string_or_null(b, "domain", h->domain);
        vh_cli_json_bool(b, "by_hand", h->owner == VH_OWNER_BY_HAND);
        vh_cli_json_string_or_null(b, "owner", vh_owner_to_string(h->owner));
        vh_cli_json_string_or_null(b, "state", vh_journal_state_to_string(h->state));
        vh_cli_json_string_or_null(b, "reason", h->reason);
        vh_cli_json_time(b, "since", h->since);
        vh_cli_json_string_or_null(b, "driver", h->driver);
        vh_cli_json_string_or_null(b, "driver_override", h->driver_override);
        vh_cli_json_string_or_null(b, "vfio_driver", vfio_driver_now(snap, h->address));
        vh_cli_json_string_or_null(b, "identity", h->identity);
        json_builder_set_member_name(b, "qemu_pid");
        if (h->qemu_pid > 0)
            json_builder_add_int_value(b, h->qemu_pid);
        else
            json_builder_add_null_value(b);
        vh_cli_json_bool(b, "orphan", g_strcmp0(q, "gone") == 0 && now == NULL);
        vh_cli_json_bool(b, "unplugged", g_strcmp0(q, "unplugged") == 0 && now == NULL);
        taken_over_to_json(b, now);
        console_to_json(b, h);
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
    parked_to_json(b, snap, parked);
    json_builder_end_object(b);
    vh_cli_print_json(b);
}

static void
print_parked(const VhSnapshot *snap, const GPtrArray *parked, gboolean after_table)
{
    if (parked->len == 0)
        return;
    printf("%sParked: on vfio-pci, but neither held nor handed off by vfio-handoff\n",
           after_table ? "\n" : "");
    for (guint i = 0; i < parked->len; i++) {
        const VhPciDevice *dev = g_ptr_array_index((GPtrArray *)parked, i);
        g_autofree char *text = vh_cli_parked_text(snap, dev);

        printf("%s: %s\n", dev->name, text);
    }
}

static void
print_table(const VhSnapshot *snap, gboolean legend)
{
    const VhHost *host = snap->host;
    const GPtrArray *holds = snap->journal;
    guint orphans = 0, unplugged = 0, stuck = 0, wedged = 0;
    static const char *const headers[] = {"DEVICE", "DOMAIN", "STATE", "SINCE", "GOES BACK TO",
                                          "QEMU", NULL};
    g_autoptr(VhTable) t = vh_table_new(headers);
    for (guint i = 0; i < holds->len; i++) {
        VhJournalRecord *h = g_ptr_array_index((GPtrArray *)holds, i);
        const char *q = qemu_state(host, h);
        const VhHolder *now = taken_over_by(snap, h);
        g_autofree char *since = since_text(h->since);
        g_autofree char *qemu = now != NULL                  ? taken_over_text(now)
                                : h->owner == VH_OWNER_BY_HAND ? g_strdup("-")
                                : h->qemu_pid > 0 ? g_strdup_printf("%d (%s)", h->qemu_pid, q)
                                                  : g_strdup("starting");

        g_autofree char *who = h->owner == VH_OWNER_LIBVIRT
                                   ? g_strdup_printf("%s (libvirt's)", h->domain)
                               : h->owner == VH_OWNER_BY_HAND ? g_strdup("(by hand)")
                                                              : g_strdup(h->domain);

        const char *row[] = {h->address, who, vh_journal_state_to_string(h->state), since,
                             h->driver != NULL ? h->driver : "no driver", qemu, NULL};

        vh_table_add(t, row);
        if (h->reason != NULL)
            vh_table_note(t, "%s", h->reason);
        if (h->vtcons != NULL || h->platform_fbs != NULL) {
            g_autofree char *what = vh_console_describe(h->console, h->vtcons, h->platform_fbs);

            vh_table_note(t, "console: %s, released; bound again once it is back on %s", what,
                          h->driver != NULL ? h->driver : "no driver");
        }
        if (g_strcmp0(q, "unplugged") == 0 && now == NULL) {
            vh_table_note(t, "unplugged from %s, still on vfio-pci: the domain runs on without it",
                          h->domain);
            unplugged++;
        }
        orphans += g_strcmp0(q, "gone") == 0 && now == NULL;
        stuck += h->state == VH_JOURNAL_STUCK;
        wedged += h->state == VH_JOURNAL_WEDGED;
    }
    vh_table_print(t, legend);
    if (!legend)
        return;
    if (orphans > 0 || stuck > 0)
        printf("\n%u orphan%s and %u stuck: run vfio-handoff recover to give them back.\n",
               orphans, orphans == 1 ? "" : "s", stuck);
    if (unplugged > 0)
        printf("\n%u unplugged from a running domain: run vfio-handoff recover to give %s back, "
               "or start a domain that uses %s.\n",
               unplugged, unplugged == 1 ? "it" : "them", unplugged == 1 ? "it" : "them");
    if (wedged > 0)
        printf("\n%u wedged: not back from the reset, so kept on vfio-pci, as rebinding the "
               "driver could hang the host (fix: reboot the host, or run 'vfio-handoff reattach "
               "--force DEVICE' to give one back anyway).\n",
               wedged);
}

/* --brief: ADDRESS and DOMAIN ("-" when by hand), a line per device, for scripts */
static void
print_brief(const GPtrArray *holds)
{
    for (guint i = 0; i < holds->len; i++) {
        const VhJournalRecord *h = g_ptr_array_index((GPtrArray *)holds, i);

        printf("%s %s\n", h->address, h->domain != NULL ? h->domain : "-");
    }
}

static const char STATUS_SUMMARY[] =
    "Show the devices vfio-handoff has handed off: to which domain (or by hand), since when, "
    "the driver each goes back to, its state (held; stuck when a step failed; wedged when "
    "it did not come back from its reset, so it stays on vfio-pci), and the "
    "domain's QEMU process. A device whose QEMU is gone is an orphan: vfio-handoff recover "
    "gives it back. A device on vfio-pci that no one holds and vfio-handoff did not hand off "
    "is parked: someone left it there and nothing will give it back; vfio-handoff reattach "
    "--adopt does.";
static const char STATUS_DESCRIPTION[] =
    "Exit status: 0, or 1 when a file in the journal cannot be read (each is named, with "
    "what to do).";

int
vh_cmd_status(int argc, char **argv)
{
    gboolean json = FALSE, brief = FALSE, no_legend = FALSE;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL},
        {"no-legend", 0, 0, G_OPTION_ARG_NONE, &no_legend,
         "Print no header line and no notes below the table", NULL},
        {"brief", 0, 0, G_OPTION_ARG_NONE, &brief,
         "Print only the devices handed off, a line each: ADDRESS DOMAIN ('-' when detached by "
         "hand); nothing when none is",
         NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx =
        vh_cli_option_context("status", NULL, STATUS_SUMMARY, STATUS_DESCRIPTION, entries);
    g_autoptr(GError) error = NULL;
    g_autoptr(VhHost) host = NULL;
    g_autoptr(VhSnapshot) snap = NULL;
    g_autoptr(GPtrArray) parked = NULL;
    GPtrArray *holds, *unreadable;
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (!vh_cli_no_arguments(argc, argv, NULL))
        return VH_EXIT_USAGE;
    if (json && brief) {
        vh_cli_error("status: --json and --brief exclude each other (fix: give one of them)");
        return VH_EXIT_USAGE;
    }
    host = vh_host_new_from_environment();
    if ((snap = vh_snapshot_load(host, VH_SNAPSHOT_NONE, &error)) == NULL) {
        vh_cli_error("%s", error->message);
        return VH_EXIT_FAILED;
    }
    holds = snap->journal;
    unreadable = snap->unreadable;
    parked = parked_devices(snap);
    if (json)
        print_json(snap, parked);
    else if (brief)
        print_brief(holds);
    else if (holds->len == 0 && unreadable->len == 0 && parked->len == 0)
        printf("No device is handed off.\n");
    else if (holds->len > 0)
        print_table(snap, !no_legend);
    if (brief)
        vh_cli_report_unreadable(host, unreadable);
    else if (!json) {
        print_parked(snap, parked, holds->len > 0);
        vh_cli_report_unreadable(host, unreadable);
    }
    /* an unreadable record may hide a device left on vfio-pci: not a clean state */
    return unreadable->len == 0 ? VH_EXIT_OK : VH_EXIT_FAILED;
}
