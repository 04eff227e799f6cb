/*
 * vfio-handoff-hook-engine: the hook's work, exec'd by vfio-handoff-hook when a call concerns
 * vfio-handoff. argv is libvirt's (DOMAIN OP SUBOP EXTRA), the domain XML is on stdin. It never
 * writes stdout and never calls libvirt (the daemon is waiting on it). Its stderr, on failure,
 * is one line: "vfio-handoff: DOMAIN: DEVICE: REASON (FIX)" — libvirt shows it to the user.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vh-console.h"
#include "vh-error.h"
#include "vh-holders.h"
#include "vh-hook-contract.h"
#include "vh-hook-log.h"
#include "vh-hook-stdin.h"
#include "vh-parked.h"
#include "vh-policy-eval.h"
#include "vh-policy-watch.h"
#include "vh-handoff.h"

typedef struct {
    const char *domain; /* libvirt's argv name: the journal is keyed by it */
    VhHost *host;
    VhDomainDef *def; /* NULL when stdin held no usable XML (release may still act) */
    char *def_error;  /* then why */
    VhPolicy *policy;
    VhWriter writer;
    const char *reason; /* release: why QEMU stopped, as libvirt ≥ 10.5 says it; else NULL */
} Hook;

/* Refuses the call with one line on stderr, "vfio-handoff: DOMAIN: THING: REASON (fix: FIX)",
 * which libvirt shows to the user; @device (or NULL) names the device in the log. */
G_GNUC_PRINTF(3, 4)
static int
refuse(Hook *h, const char *device, const char *fmt, ...)
{
    g_autofree char *text = NULL;
    va_list ap;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "vfio-handoff: %s: %s\n", h->domain, text);
#if VH_TEST_HOOKS
    /* a message passed in with its own fix, inside one that adds another: a test build stops */
    if (strstr(text, " (fix: ") != NULL && strstr(strstr(text, " (fix: ") + 1, " (fix: ") != NULL)
        g_error("a refusal with two fixes: %s", text);
#endif
    vh_hook_log(device, "refuse", "failed", 0, "%s", text);
    return 1;
}

/* the lock is held for at most a few steps by another hook */
static guint
lock_timeout(const Hook *h)
{
    return h->writer.timeout_ms * 4;
}

/* Logs each device of the domain that someone else left parked on vfio-pci: it is used as it
 * is, and nothing gives it back when the domain stops. */
static void
log_parked(const VhSnapshot *snap, const GPtrArray *left_alone)
{
    for (guint i = 0; i < left_alone->len; i++) {
        const VhPciDevice *dev = g_ptr_array_index((GPtrArray *)left_alone, i);
        const char *left_by = NULL;
        g_autofree char *fix = NULL;

        if (!vh_parked_check(snap, dev, &left_by))
            continue;
        fix = vh_parked_fix(dev->name);
        vh_hook_log(dev->name, "parked", "warning", 0,
                    "%s: already on vfio-pci, parked by someone else (probably %s): used as it "
                    "is, and not given back when the domain stops (fix: after it stops, %s)",
                    dev->name, left_by, fix);
    }
}

/* The enabled devices libvirt itself detaches (managed='yes'): their drivers are recorded, so
 * that release gives back one libvirt leaves on vfio-pci. A failure here never fails the start:
 * libvirt may well give them back itself. */
static void
watch_libvirts(Hook *h, const VhSnapshot *snap)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) watch = vh_policy_libvirt_watch(h->policy, snap, h->def);

    if (!vh_handoff_watch(snap, h->domain, h->def->uuid, watch, &error)) {
        vh_hook_log(NULL, "watch", "failed", 0,
                    "%s: libvirt's own devices are not watched this time (fix: see 'vfio-handoff "
                    "status')",
                    error->message);
        return;
    }
    for (guint i = 0; i < watch->len; i++) {
        const VhPciDevice *dev = g_ptr_array_index(watch, i);

        const VhJournalRecord *stale = vh_snapshot_record(snap, dev->name);

        if (stale != NULL && g_strcmp0(stale->domain, h->domain) != 0)
            vh_hook_log(dev->name, "watch", "ok", 0,
                        "managed='yes', on vfio-pci where '%s' (gone) left it: taken over, and "
                        "given back to %s if libvirt leaves it on vfio-pci",
                        stale->domain != NULL ? stale->domain : "a holder",
                        stale->driver != NULL ? stale->driver : "no driver");
        else
            vh_hook_log(dev->name, "watch", "ok", 0,
                        "managed='yes': libvirt detaches it; its driver %s is recorded, to give "
                        "it back if libvirt leaves it on vfio-pci",
                        dev->driver);
    }
}

/* The managed='yes' devices libvirt is about to detach for this domain, marked as starting
 * until `started` or release: another domain's release leaves them (vh_journal_mark_starting).
 * A failure costs only that protection: logged, never a refusal. */
static void
mark_starting(Hook *h, const GPtrArray *managed)
{
    g_autoptr(GError) error = NULL;

    if (!vh_journal_mark_starting(h->host, h->domain, managed, &error))
        vh_hook_log(NULL, "watch", "warning", 0,
                    "%s: another domain's release may give back a device libvirt detaches for "
                    "this one (fix: see 'vfio-handoff status')",
                    error->message);
}

/* what the transaction did to each device: its console first, as it was released first */
static void
log_handoffs(const GPtrArray *done, gint64 t0)
{
    for (guint i = 0; i < done->len; i++) {
        const VhHandoff *d = g_ptr_array_index((GPtrArray *)done, i);

        if (d->note != NULL)
            vh_hook_log(d->address, "console", "warning", 0, "%s", d->note);
        else if (d->console != NULL)
            vh_hook_log(d->address, "console", "ok", 0, "the host's console released from it: %s",
                        d->console);
    }
    for (guint i = 0; i < done->len; i++) {
        const VhHandoff *d = g_ptr_array_index((GPtrArray *)done, i);

        if (d->taken_over)
            vh_hook_log(d->address, "detach", "ok", g_get_monotonic_time() - t0,
                        "taken over on %s from its earlier record; it goes back to %s",
                        d->vfio_driver, d->driver != NULL ? d->driver : "no driver");
        else
            vh_hook_log(d->address, "detach", "ok", g_get_monotonic_time() - t0,
                        "handed to %s from %s", d->vfio_driver,
                        d->driver != NULL ? d->driver : "no driver");
    }
}

/* one snapshot of the host, one policy, one evaluation, one transaction */
static int
op_prepare(Hook *h)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VhJournalLock) lock = NULL;
    g_autoptr(VhSnapshot) snap = NULL;
    g_autoptr(VhEvaluation) eval = NULL;
    g_autoptr(GPtrArray) requested = NULL;
    g_autoptr(GPtrArray) managed = NULL;
    g_autoptr(GPtrArray) done = NULL;
    const VhPolicyCheck *failed;
    VhHandoffOwner owner = {VH_OWNER_DOMAIN, h->domain, NULL};
    gint64 t0 = g_get_monotonic_time();
    g_autofree char *word = vh_error_shell_word(h->domain);

    if (h->def == NULL)
        return refuse(h, NULL, "stdin: the domain XML libvirt passed cannot be read: %s",
                      h->def_error);
    requested = vh_domain_def_unmanaged(h->def);
    managed = vh_domain_def_managed(h->def);
    if (requested->len == 0 && (managed->len == 0 || h->policy->devices->len == 0))
        return 0;
    lock = vh_journal_lock(h->host, lock_timeout(h), &error);
    if (lock == NULL && g_error_matches(error, VH_ERROR, VH_ERROR_BUSY))
        return refuse(h, NULL, "%s", error->message);
    if (lock == NULL)
        return refuse(h, NULL, "%s", error->message);
    snap = vh_snapshot_load(h->host, VH_SNAPSHOT_NONE, &error);
    if (snap == NULL)
        return refuse(h, NULL, "%s", error->message);
    mark_starting(h, managed);
    if (requested->len == 0) {
        watch_libvirts(h, snap);
        return 0;
    }
    eval = vh_policy_evaluate(&(VhFacts){h->policy, snap, h->def, requested});
    if ((failed = vh_evaluation_first_failure(eval)) != NULL) {
        g_autofree char *text = vh_policy_check_message(failed, h->domain);

        return refuse(h, failed->kind == VH_CHECK_DEVICE ? failed->subject : NULL, "%s", text);
    }
    owner.uuid = h->def->uuid;
    if ((done = vh_handoff_prepare(snap, &owner, eval->handoff, eval->consoles, eval->vfio_drivers,
                                   &h->writer, &error)) == NULL)
        return refuse(h, NULL, "%s", error->message); /* rolled back: nothing handed off */
    log_handoffs(done, t0);
    log_parked(snap, eval->left_alone);
    watch_libvirts(h, snap);
    return 0;
}

static int
op_started(Hook *h)
{
    g_autoptr(VhJournalLock) lock = vh_journal_lock(h->host, lock_timeout(h), NULL);
    int pid = vh_holders_libvirt_pid(h->host, h->domain);

    if (lock != NULL && pid > 0) {
        vh_handoff_record_pid(h->host, h->domain, pid);
        vh_hook_log(NULL, "started", "ok", 0, "QEMU pid %d recorded", pid);
    }
    if (lock != NULL) /* libvirt's status file names its devices from now on */
        vh_journal_unmark_starting(h->host, h->domain);
    return 0;
}

/* libvirt's shutoff reason (the release call's last argument since 10.5), as "the domain ..." */
static char *
stop_reason_text(const char *reason)
{
    static const char *const words[][2] = {
        {"shutdown", "shut down"},
        {"destroyed", "was destroyed ('virsh destroy')"},
        {"crashed", "crashed"},
        {"migrated", "migrated away"},
        {"saved", "was saved"},
        {"failed", "failed to start"},
        {"from snapshot", "was reverted to a snapshot"},
        {"daemon", "was stopped by libvirt's daemon"},
        {"unknown", "stopped, libvirt does not know why"},
    };

    if (reason == NULL)
        return g_strdup("");
    for (gsize i = 0; i < G_N_ELEMENTS(words); i++)
        if (strcmp(reason, words[i][0]) == 0)
            return g_strdup_printf("; the domain %s", words[i][1]);
    return g_strdup_printf("; the domain stopped (libvirt says '%s')", reason); /* a later one */
}

/* One log line per device, saying what became of it; then one line for the whole release that
 * claims only what happened, and says why the domain stopped when libvirt told. */
static void
log_returns(const char *domain, const char *reason, const GPtrArray *returns, gint64 t0)
{
    g_autofree char *tail = stop_reason_text(reason);
    guint given = 0, failed = vh_returns_failed(returns);

    for (guint i = 0; i < returns->len; i++) {
        const VhReturn *r = g_ptr_array_index((GPtrArray *)returns, i);
        const char *driver = r->driver != NULL ? r->driver : "no driver";

        if (r->warning != NULL)
            vh_hook_log(r->address, "console", "warning", 0, "%s", r->warning);
        switch (r->outcome) {
        case VH_RETURN_GIVEN_BACK:
            given++;
            break;
        case VH_RETURN_BY_LIBVIRT:
            vh_hook_log(r->address, "give-back", "ok", 0,
                        "managed='yes': libvirt gave it back itself (on %s)", driver);
            break;
        case VH_RETURN_LEFT_BY_LIBVIRT:
            given++;
            vh_hook_log(r->address, "give-back", "ok", 0,
                        "managed='yes', but libvirt left it on vfio-pci: given back to %s", driver);
            break;
        case VH_RETURN_IN_USE:
            vh_hook_log(r->address, "give-back", "warning", 0,
                        "%s: held now by %s, so it is kept on vfio-pci, not given back (fix: %s)",
                        r->address, r->detail, r->fix);
            break;
        case VH_RETURN_HANDED_OVER:
            vh_hook_log(r->address, "give-back", "ok", 0,
                        "held now by %s: kept on vfio-pci for it, and given back when it stops",
                        r->detail);
            break;
        case VH_RETURN_FAILED:
            vh_hook_log(r->address, "give-back", "failed", 0,
                        "%s: stays in the journal, and 'vfio-handoff recover' gives it back once "
                        "this is mended: %s",
                        r->address, r->detail);
            break;
        case VH_RETURN_WEDGED:
            vh_hook_log(r->address, "give-back", "wedged", 0, "%s", r->detail);
            break;
        }
    }
    if (returns->len == 0)
        vh_hook_log(NULL, "give-back", "ok", 0,
                    "vfio-handoff held no device for this domain: nothing to give back%s", tail);
    else if (failed == 0 && given > 0)
        vh_hook_log(NULL, "give-back", "ok", g_get_monotonic_time() - t0,
                    "%u device%s back on %s driver%s%s", given, given == 1 ? "" : "s",
                    given == 1 ? "its" : "their", given == 1 ? "" : "s", tail);
    else if (failed > 0)
        vh_hook_log(NULL, "give-back", "failed", g_get_monotonic_time() - t0,
                    "%s: %u of %u device%s not given back%s (fix: see each above; 'vfio-handoff "
                    "status' shows them and 'vfio-handoff recover' gives them back)",
                    domain, failed, returns->len, returns->len == 1 ? "" : "s", tail);
}

static int
op_release(Hook *h)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VhJournalLock) lock = vh_journal_lock(h->host, lock_timeout(h), &error);
    g_autoptr(GPtrArray) returns = NULL;
    gint64 t0 = g_get_monotonic_time();

    if (lock == NULL) {
        vh_hook_log(NULL, "release", "failed", 0,
                    "%s: nothing given back now, 'vfio-handoff recover' does it later: %s",
                    h->domain, error->message);
        return 0; /* libvirt ignores it; recover finishes the job */
    }
    returns = vh_handoff_give_back_domain(h->host, h->domain, &h->writer);
    vh_journal_unmark_starting(h->host, h->domain);
    log_returns(h->domain, h->reason, returns, t0);
    return 0;
}

/* A restore moves the domain's saved state here; a migration the domain. Either is refused
 * while the domain holds devices; a restore also when its XML names devices vfio-handoff would
 * hand off (none are handed off yet, and its saved state cannot have them back). A migration
 * whose definition merely names devices is let in: an offline one copies only the definition,
 * and nothing moves; a live one starts the domain here, and its `prepare` hands the devices off
 * by this host's policy, as any start (libvirt's source refuses first a device whose QEMU cannot
 * migrate it). The call cannot tell the two apart: its argv says "-" for both. */
static int
refuse_move(Hook *h, const char *what, gboolean names_count)
{
    g_autoptr(GPtrArray) requested = h->def != NULL ? vh_domain_def_unmanaged(h->def) : NULL;
    g_autoptr(GPtrArray) holds = vh_journal_for_domain(h->host, h->domain);
    guint held = 0, named = requested != NULL ? requested->len : 0;

    for (guint i = 0; i < holds->len; i++) /* libvirt's own devices are libvirt's to refuse */
        held += ((VhJournalRecord *)g_ptr_array_index(holds, i))->owner != VH_OWNER_LIBVIRT;
    if (held > 0 && h->policy->refuse_migration)
        return refuse(h, NULL,
                      "%s: refused, the %u PCI device%s handed off to it cannot move with it "
                      "(fix: set refuse-migration=false in [host] to allow it)",
                      what, held, held == 1 ? "" : "s");
    if (named == 0 || held > 0)
        return 0;
    if (names_count && h->policy->refuse_migration)
        return refuse(h, NULL,
                      "%s: refused, it names %u PCI device%s that vfio-handoff hands off "
                      "(managed='no'), which cannot move with it (fix: set refuse-migration=false "
                      "in [host] to allow it)",
                      what, named, named == 1 ? "" : "s");
    vh_hook_log(NULL, "check", "ok", 0,
                "%s: its definition names %u PCI device%s that vfio-handoff hands off: none is "
                "handed off now, and a start here hands %s off by this host's policy",
                what, named, named == 1 ? "" : "s", named == 1 ? "it" : "them");
    return 0;
}

static int
op_migrate(Hook *h)
{
    return refuse_move(h, "migration", FALSE);
}

static int
op_restore(Hook *h)
{
    return refuse_move(h, "restoring a saved state", TRUE);
}

/* the daemon restarted: bring the journal's pid up to date; never fail (libvirt would kill
 * the running VM) */
static int
op_reconnect(Hook *h)
{
    return op_started(h);
}

/* what each call of the contract does (vh-hook-contract.h) */
static int (*const ops[])(Hook *h) = {
    [VH_HOOK_OP_PREPARE] = op_prepare, [VH_HOOK_OP_STARTED] = op_started,
    [VH_HOOK_OP_RELEASE] = op_release, [VH_HOOK_OP_MIGRATE] = op_migrate,
    [VH_HOOK_OP_RESTORE] = op_restore, [VH_HOOK_OP_RECONNECT] = op_reconnect,
};

/* the domain XML on stdin, parsed; else the reason in h->def_error */
static void
read_domain(Hook *h)
{
    g_autoptr(GError) error = NULL;
    VhStdinResult why;
    size_t len = 0;
    char *xml = vh_hook_read_all(STDIN_FILENO, &len, &why);

    if (why == VH_STDIN_OK && (h->def = vh_domain_def_parse(xml, len, &error)) != NULL) {
        /* libvirt names the domain in argv as in <name>; the journal is keyed by argv */
        g_free(h->def->name);
        h->def->name = g_strdup(h->domain);
    } else if (why == VH_STDIN_OK) {
        h->def_error = g_strdup(error->message);
    } else {
        h->def_error =
            g_strdup(why == VH_STDIN_TOO_BIG ? "larger than 4 MiB, the most vfio-handoff reads"
                                             : "cannot be read");
    }
    free(xml);
}

int
main(int argc, char **argv)
{
    Hook h = {0};
    VhHookOp op;
    int rc = 0;

    if (argc < 4 || (op = vh_hook_op(argv[2], argv[3])) == VH_HOOK_OP_OTHER)
        return 0;
    h.domain = argv[1];
    if (op == VH_HOOK_OP_RELEASE && argc > 4 && strcmp(argv[4], "-") != 0)
        h.reason = argv[4];
    h.host = vh_host_new_from_environment();
    h.policy = vh_policy_load(h.host);
    h.writer.timeout_ms = (guint)h.policy->step_timeout_ms;
    vh_hook_log_open(h.host, h.domain, argv[2]);
    /* DESIGN §3: what `policy validate` reports as a problem, the hook logs and goes on with
     * the rest of the policy (an ignored file, an unknown key) */
    for (guint i = 0; i < h.policy->issues->len; i++) {
        const VhPolicyIssue *issue = g_ptr_array_index(h.policy->issues, i);
        g_autofree char *text = NULL;
        g_autofree char *fix = NULL;

        vh_policy_issue_split(issue, "run 'vfio-handoff policy validate'", &text, &fix);
        vh_hook_log(NULL, "policy", issue->severity == VH_ISSUE_UNKNOWN ? "warning" : "error", 0,
                    "%s (fix: %s)", text, fix);
    }
    read_domain(&h);
    /* the switch stops new handoffs only: what was handed off still goes back at release */
    if (!h.policy->enabled && op == VH_HOOK_OP_PREPARE) {
        vh_hook_log(NULL, argv[2], "skipped", 0,
                    "passthrough is turned off ([host] enabled=false)");
    } else {
        rc = ops[op](&h);
    }
    vh_hook_log_close(rc == 0);
    vh_domain_def_free(h.def);
    g_free(h.def_error);
    vh_policy_free(h.policy);
    vh_host_free(h.host);
    return vh_hook_op_must_succeed(op) ? 0 : rc;
}
