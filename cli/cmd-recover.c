/* vfio-handoff recover: give back every device whose domain is no longer running */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vh-bind.h"
#include "vh-cli.h"
#include "vh-holders.h"
#include "vh-handoff.h"
#include "vh-snapshot.h"
#include "vh-libvirt.h"
#include "vh-policy.h"
#include "vh-policy-watch.h"

typedef enum { DOMAIN_RUNNING, DOMAIN_GONE, DOMAIN_UNKNOWN } DomainState;

/* A start that was cut short leaves records without a QEMU pid: libvirt runs the prepare hook
 * before it starts QEMU, and `started` records the pid. Offline, such a domain runs only when a
 * process holds the device's /dev/vfio group or libvirt's pid file names a live QEMU; a record
 * written in the last seconds may belong to a start still under way (prepare done, QEMU not yet
 * spawned: milliseconds), so it is left for the next run. */
#define STARTING_GRACE_S 10

static DomainState
offline_without_pid(const VhSnapshot *snap, const VhJournalRecord *h, char **why)
{
    gint64 age = g_get_real_time() / G_USEC_PER_SEC - h->updated;
    int pid = vh_holders_libvirt_pid(snap->host, h->domain);
    const VhHolder *p = vh_snapshot_holder(snap, h->address, TRUE);

    if (p != NULL) {
        *why = g_strdup_printf("process %d holds %s", p->pid, p->via);
        return DOMAIN_RUNNING;
    }
    if (pid > 0 && vh_host_pid_alive(snap->host, pid)) {
        *why = g_strdup_printf("libvirt's pid file names its QEMU (pid %d), which is running", pid);
        return DOMAIN_RUNNING;
    }
    if (age >= 0 && age < STARTING_GRACE_S) {
        *why = g_strdup_printf("its start began %" G_GINT64_FORMAT " s ago and may still be under "
                               "way (run recover again in a minute)",
                               age);
        return DOMAIN_UNKNOWN;
    }
    *why = g_strdup("its start did not finish: no QEMU pid was recorded, no process holds the "
                    "device, and libvirt names no running QEMU for it");
    return DOMAIN_GONE;
}

/* What libvirt said of one domain, asked before the journal lock is taken. */
typedef struct {
    DomainState state;
    char *why;
} Answer;

static void
answer_free(Answer *a)
{
    g_free(a->why);
    g_free(a);
}

/* Asks libvirt whether each domain the journal names runs, before the journal lock is taken:
 * asking can start libvirt's daemon (socket activation), whose first act may be the release
 * hook of a domain that stopped, which waits for that lock (domain name -> Answer *). */
static GHashTable *
ask_libvirt(const GPtrArray *records, const VhLibvirt *lv, virConnectPtr conn)
{
    GHashTable *answers =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)answer_free);

    for (guint i = 0; i < records->len; i++) {
        const VhJournalRecord *h = g_ptr_array_index((GPtrArray *)records, i);
        Answer *a;
        virDomainPtr dom;
        int active;

        if (h->domain == NULL || g_hash_table_contains(answers, h->domain))
            continue;
        a = g_new0(Answer, 1);
        dom = lv->domain_lookup_by_name(conn, h->domain);
        active = dom != NULL ? lv->domain_is_active(dom) : 0;
        if (dom != NULL)
            lv->domain_free(dom);
        a->state = active == 1 ? DOMAIN_RUNNING : DOMAIN_GONE;
        a->why = g_strdup(dom == NULL     ? "libvirt does not know the domain any more"
                          : active == 1 ? "libvirt says it is running"
                                        : "libvirt says it is not running");
        g_hash_table_insert(answers, g_strdup(h->domain), a);
    }
    return answers;
}

#define UNPLUGGED_WHY "it runs on without it: unplugged live"

/* Whether @h's domain runs: libvirt's answer (asked before the lock), or with --offline its
 * QEMU pid's. A record libvirt was not asked about (written since) is left for the next run. */
static DomainState
domain_state(const VhSnapshot *snap, const VhJournalRecord *h, GHashTable *answers,
             gint64 asked_at, char **why)
{
    const Answer *a;

    if (answers == NULL) {
        switch (vh_holder_state_of_record(snap->host, h)) {
        case VH_HOLDER_RUNNING:
        case VH_HOLDER_BY_HAND:
            *why = g_strdup_printf("its QEMU (pid %d) is running", h->qemu_pid);
            return DOMAIN_RUNNING;
        case VH_HOLDER_GONE:
            *why = g_strdup_printf("its QEMU (pid %d) is gone", h->qemu_pid);
            return DOMAIN_GONE;
        case VH_HOLDER_UNPLUGGED:
            *why = g_strdup(UNPLUGGED_WHY);
            return DOMAIN_GONE;
        case VH_HOLDER_STARTING:
            break;
        }
        return offline_without_pid(snap, h, why);
    }
    a = g_hash_table_lookup(answers, h->domain);
    if (a == NULL || h->updated > asked_at) {
        *why = g_strdup("its record changed while libvirt was asked (run recover again)");
        return DOMAIN_UNKNOWN;
    }
    /* a domain that runs on without the device gave it up: unplugged live */
    if (a->state == DOMAIN_RUNNING &&
        vh_holder_state_of_record(snap->host, h) == VH_HOLDER_UNPLUGGED) {
        *why = g_strdup(UNPLUGGED_WHY);
        return DOMAIN_GONE;
    }
    *why = g_strdup(a->why);
    return a->state;
}

typedef struct {
    VhCliChange *change;
    const VhSnapshot *snap;
    GHashTable *answers; /* libvirt's, by domain; NULL: --offline */
    gint64 asked_at;     /* when libvirt was asked (unix seconds) */
    gboolean dry_run;
    guint returned, failed;
} Recovery;

/* What became of @h, given back for recover (@why: why its domain no longer holds it). */
static void
say_return(Recovery *rc, const VhJournalRecord *h, const VhReturn *ret, const char *driver,
           const char *why)
{
    switch (ret->outcome) {
    case VH_RETURN_FAILED:
        vh_cli_outcome(h->address, "failed", h->driver, h->domain, NULL,
                       "failed, it stays in the journal as stuck: %s", ret->detail);
        rc->failed++;
        return;
    case VH_RETURN_WEDGED:
        vh_cli_outcome(h->address, "wedged", h->driver, h->domain, NULL, "wedged %s", ret->detail);
        rc->failed++;
        return;
    case VH_RETURN_BY_LIBVIRT:
        vh_cli_outcome(h->address, "dropped", ret->driver, h->domain, NULL,
                       "dropped %s: libvirt's own (managed='yes') and already off vfio-pci, on %s "
                       "(domain %s: %s)",
                       h->address, ret->driver != NULL ? ret->driver : "no driver", h->domain,
                       why);
        return;
    case VH_RETURN_IN_USE:
        vh_cli_outcome(h->address, "kept", h->driver, h->domain, NULL,
                       "kept %s: held now by %s, so it stays on vfio-pci (fix: %s)", h->address,
                       ret->detail, ret->fix);
        return;
    case VH_RETURN_HANDED_OVER:
        vh_cli_outcome(h->address, "handed-over", h->driver, h->domain, NULL,
                       "kept %s: held now by %s, so it stays on vfio-pci; it goes back when '%s' "
                       "stops",
                       h->address, ret->detail, h->domain);
        return;
    case VH_RETURN_GIVEN_BACK:
    case VH_RETURN_LEFT_BY_LIBVIRT:
        break;
    }
    rc->returned++;
    vh_cli_outcome(h->address, "given-back", h->driver, h->domain, NULL,
                   "gave %s back to %s (domain %s: %s)", h->address, driver, h->domain, why);
    if (ret->warning != NULL)
        vh_cli_error("warning: %s: %s", h->address, ret->warning);
}

/* Gives back @h when its domain no longer runs; says what it did. */
static void
recover_one(Recovery *rc, VhJournalRecord *h)
{
    g_autofree char *why = NULL;
    g_autofree char *driver = g_strdup(h->driver != NULL ? h->driver : "no driver");
    g_autoptr(VhReturn) ret = NULL;
    DomainState state;

    if (h->owner == VH_OWNER_BY_HAND) {
        vh_cli_outcome(h->address, "kept", h->driver, NULL, NULL,
                       "kept %s: detached by hand ('vfio-handoff reattach %s' gives it back)",
                       h->address, h->address);
        return;
    }
    state = domain_state(rc->snap, h, rc->answers, rc->asked_at, &why);
    if (state == DOMAIN_RUNNING) {
        vh_cli_outcome(h->address, "kept", h->driver, h->domain, NULL, "kept %s: held by %s, and %s",
                       h->address, h->domain, why);
        return;
    }
    if (state == DOMAIN_UNKNOWN) {
        vh_cli_outcome(h->address, "kept", h->driver, h->domain, NULL, "kept %s: held by %s: %s",
                       h->address, h->domain, why);
        /* not lost, but not given back: a run that cannot judge it fails; a dry run says so */
        if (!rc->dry_run)
            rc->failed++;
        return;
    }
    if (rc->dry_run) {
        const VhHolder *now = vh_snapshot_holder(rc->snap, h->address, TRUE);

        if (now != NULL)
            vh_cli_outcome(h->address, "would-keep", h->driver, h->domain, NULL,
                           "would keep %s: held now by process %d (%s), so it stays on vfio-pci",
                           h->address, now->pid, now->via);
        else
            vh_cli_outcome(h->address, "would-give-back", h->driver, h->domain, NULL,
                           "would give %s back to %s (domain %s: %s)", h->address, driver,
                           h->domain, why);
        return;
    }
    ret = vh_handoff_release_one(rc->change->host, h, &rc->change->writer);
    say_return(rc, h, ret, driver, why);
}

#define LEFT_WHY                                                                                   \
    "parked: libvirt left it on vfio-pci (after a managed='yes' hot-unplug or run), and it is "    \
    "enabled for passthrough"

/* Gives back a device libvirt left parked (vh_policy_libvirt_left) to the driver the kernel
 * probes for it, as 'reattach --adopt' does, unless a process holds it now. */
static void
recover_left(Recovery *rc, const VhPciDevice *dev)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) holders = NULL;
    g_autofree char *driver = NULL;

    if (rc->dry_run) {
        vh_cli_outcome(dev->name, "would-give-back", dev->driver, NULL, NULL,
                       "would give %s back to the driver the kernel picks (%s)", dev->name,
                       LEFT_WHY);
        return;
    }
    holders = vh_holders_of_device_now(rc->change->host, dev->name, &error);
    if (holders != NULL && holders->len > 0) {
        g_autofree char *text = vh_holder_text(g_ptr_array_index(holders, 0));

        vh_cli_outcome(dev->name, "kept", dev->driver, NULL, NULL,
                       "kept %s: held now by %s, so it stays on vfio-pci", dev->name, text);
        return;
    }
    if (holders == NULL ||
        !vh_bind_reprobe(rc->change->host, dev->name, &rc->change->writer, &driver, &error)) {
        vh_cli_outcome(dev->name, "failed", dev->driver, NULL, NULL, "%s", error->message);
        rc->failed++;
        return;
    }
    rc->returned++;
    vh_cli_outcome(dev->name, "adopted", driver, NULL, NULL, "gave %s back to %s (%s)", dev->name,
                   driver != NULL ? driver : "no driver (none claims it)", LEFT_WHY);
}

/* libvirt's answers for the journal's domains (asked with no lock held); NULL (reported) when
 * it cannot be reached. */
static GHashTable *
answers_of_libvirt(const char *uri)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VhHost) host = vh_host_new_from_environment();
    g_autoptr(GPtrArray) records = vh_journal_list(host, NULL);
    const VhLibvirt *lv = NULL;
    virConnectPtr conn = NULL;
    GHashTable *answers;

    if (records->len == 0) /* nothing to ask about */
        return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify)answer_free);
    lv = vh_libvirt_load(&error);
    conn = lv != NULL ? vh_libvirt_open(lv, uri, TRUE, &error) : NULL;
    if (conn == NULL) {
        g_autofree char *text =
            vh_cli_message_or(error->message, "run 'vfio-handoff recover --offline' to judge by "
                                              "the QEMU pids instead of asking libvirt");

        vh_cli_error("%s", text);
        return NULL;
    }
    answers = ask_libvirt(records, lv, conn);
    lv->connect_close(conn);
    return answers;
}

/* Under the journal lock: gives back what @r's snapshot says should go back, and says what it
 * did; the exit status. */
static int
recover_all(Recovery *r)
{
    const VhSnapshot *snap = r->snap;
    g_autoptr(GPtrArray) left = vh_policy_libvirt_left(r->change->policy, snap);

    r->failed = vh_cli_report_unreadable(r->change->host, snap->unreadable);
    if (snap->journal->len == 0 && r->failed == 0 && left->len == 0) {
        vh_cli_say("The journal is empty: nothing to recover.\n");
        return VH_EXIT_OK;
    }
    /* last taken, first given back */
    for (guint i = snap->journal->len; i > 0; i--)
        recover_one(r, g_ptr_array_index(snap->journal, i - 1));
    for (guint i = 0; i < left->len; i++)
        recover_left(r, g_ptr_array_index(left, i));
    if (!r->dry_run)
        vh_cli_say("\n%u device%s given back, %u could not be.\n", r->returned,
                   r->returned == 1 ? "" : "s", r->failed);
    return r->failed == 0 ? VH_EXIT_OK : VH_EXIT_FAILED;
}

static const char RECOVER_SUMMARY[] =
    "Give back every journaled device whose domain is no longer running — after a hook was "
    "killed, a give back failed, or the libvirt daemon died at the wrong moment — and "
    "report each result, including devices that cannot be returned and why. An enabled "
    "device libvirt left parked on vfio-pci (after a managed='yes' hot-unplug) is given back "
    "to the driver the kernel picks. Devices detached by hand are left to vfio-handoff "
    "reattach.";
static const char RECOVER_DESCRIPTION[] =
    "Exit status: 0 when every device that should go back went back, 1 otherwise.";

int
vh_cmd_recover(int argc, char **argv)
{
    gboolean dry_run = FALSE, offline = FALSE, json = FALSE;
    char *uri = NULL;
    const GOptionEntry entries[] = {
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
         "Say what would be given back; change "
         "nothing",
         NULL},
        {"offline", 0, 0, G_OPTION_ARG_NONE, &offline,
         "Do not ask libvirt: judge by the recorded QEMU pid (without one, by who holds the "
         "device)",
         NULL},
        {"connect", 'c', 0, G_OPTION_ARG_STRING, &uri, "libvirt URI (as virsh -c)", "URI"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json,
         "Print JSON: each device and what was (or, with --dry-run, would be) done", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx =
        vh_cli_option_context("recover", NULL, RECOVER_SUMMARY, RECOVER_DESCRIPTION, entries);
    g_autoptr(GError) error = NULL;
    g_autoptr(VhCliChange) change = NULL;
    g_autoptr(VhSnapshot) snap = NULL;
    g_autofree char *uri_owned = NULL;
    g_autoptr(GHashTable) answers = NULL;
    Recovery r = {0};
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    uri_owned = uri;
    if (rc >= 0)
        return rc;
    if (!vh_cli_no_arguments(argc, argv, NULL))
        return VH_EXIT_USAGE;
    /* libvirt first, then the lock: no lock is held across a call to libvirt */
    r.asked_at = g_get_real_time() / G_USEC_PER_SEC;
    if (!offline && (answers = answers_of_libvirt(uri)) == NULL)
        return VH_EXIT_FAILED;
    if ((change = vh_cli_change_begin()) == NULL)
        return VH_EXIT_FAILED;
    if ((snap = vh_snapshot_load(change->host, VH_SNAPSHOT_NONE, &error)) == NULL) {
        vh_cli_error("%s", error->message);
        return VH_EXIT_FAILED;
    }
    r.change = change;
    r.snap = snap;
    r.dry_run = dry_run;
    r.answers = answers;
    return recover_all(&r);
}
