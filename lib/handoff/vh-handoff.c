/* vfio-handoff: the handoff transactions, both ways — prepare (to vfio-pci) and give-back —
 * journaled before each change (DESIGN §4, §6).
 *
 * Three kinds of thing go by a device here, and each keeps its name (as libvirt's virhostdev.c
 * names its pci and actual devices):
 *   address  a PCI address, "0000:01:00.0": a key, owned by whoever holds the string;
 *   dev      a VhPciDevice *, borrowed from the snapshot the caller loaded: the device as it
 *            was read, never changed here;
 *   record   a VhJournalRecord *: what the journal says (or will say) of a device — its original
 *            driver, override and console, its owner and state. A Job owns the record it
 *            writes; `before` borrows the snapshot's record of the same device, if any.
 * A write changes the host, a record the journal; the record is written first, always. */
#include "config.h"

#include <string.h>

#include "vh-console.h"
#include "vh-console-handoff.h"
#include "vh-driver-load.h"
#include "vh-error.h"
#include "vh-kernel-abi.h"
#include "vh-handoff.h"

/* One device of a prepare: it owns its record, its note and its error; the rest is borrowed. */
typedef struct {
    const VhHost *host;
    const VhPciDevice *dev;
    const VhWriter *w;
    const VhJournalRecord *before; /* the device's record in the snapshot, if any */
    VhJournalRecord *record;
    char *vfio_driver; /* the VFIO driver it goes to, as registered (vfio-pci, a variant) */
    gboolean releases; /* its console is released now (not by a holder before) */
    char *note;        /* what of that console will not come back, or NULL */
    gboolean ok;
    GError *error;
} Job;

static gpointer
detach_job(gpointer data)
{
    Job *job = data;

    job->ok = vh_bind_detach(job->host, job->dev->name, job->dev->iommu_group, job->vfio_driver,
                             job->w, &job->error);
    return NULL;
}

/* The console released from @r's device, back: after the device (DESIGN §8). */
static gboolean
restore_console(const VhHost *host, const VhJournalRecord *r, const VhWriter *w, char **warning,
                GError **error)
{
    g_autoptr(GError) local = NULL;

    if (r->vtcons == NULL && r->platform_fbs == NULL)
        return TRUE;
    if (vh_console_restore(host, r->address, r->vtcons, r->platform_fbs, w, warning, &local))
        return TRUE;
    g_set_error(error, VH_ERROR, VH_ERROR_FAILED, "%s: back on its driver, but not its console: %s",
                r->address, local->message);
    return FALSE;
}

/* FALSE (VH_ERROR_IN_USE, naming it) when a process holds @address's group now, or (another
 * error) when who does cannot be told */
static gboolean
check_unheld(const VhHost *host, const char *address, GError **error)
{
    g_autoptr(GPtrArray) holders = vh_holders_of_device_now(host, address, error);
    g_autofree char *text = NULL;

    if (holders == NULL)
        return FALSE;
    if (holders->len == 0)
        return TRUE;
    text = vh_holder_text(g_ptr_array_index(holders, 0));
    g_set_error(error, VH_ERROR, VH_ERROR_IN_USE,
                "%s: held now by %s, so it is kept on vfio-pci (fix: stop that process first)",
                address, text);
    return FALSE;
}

gboolean
vh_handoff_give_back(const VhHost *host, VhJournalRecord *r, const VhWriter *w,
                     VhGiveBackFlags flags, char **warning, GError **error)
{
    g_autoptr(GError) local = NULL;

    /* the one rule: nothing goes back to a host driver while a process holds its group */
    if (!check_unheld(host, r->address, error))
        return FALSE;
    r->state = VH_JOURNAL_RETURNING;
    vh_journal_put(host, r, NULL);
    /* a device that did not come back from its reset is never rebound: its driver's probe
     * of a device that does not answer can hang the host (the well-known GPU reset bugs) */
    if ((!(flags & VH_GIVE_BACK_FORCE) && !vh_bind_check_answers(host, r->address, w, &local)) ||
        !vh_bind_give_back(host, r->address, r->driver, r->driver_override, w, &local) ||
        !restore_console(host, r, w, warning, &local)) {
        r->state = g_error_matches(local, VH_ERROR, VH_ERROR_WEDGED) ? VH_JOURNAL_WEDGED
                                                                     : VH_JOURNAL_STUCK;
        g_free(r->reason);
        r->reason = g_strdup(local->message);
        vh_journal_put(host, r, NULL);
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    return vh_journal_remove(host, r->address, error);
}

char *
vh_handoff_wedged_text(const VhJournalRecord *r)
{
    return g_strdup_printf("%s: does not answer after its reset, its config space reads 0xffff; "
                           "kept on vfio-pci, as giving it back to %s could hang the host "
                           "(fix: reboot the host to reset it, or run 'vfio-handoff reattach "
                           "--force %s' to give it back anyway)",
                           r->address, r->driver != NULL ? r->driver : "no driver", r->address);
}

/* The record written before @dev is taken. A device already journaled (left on vfio-pci by a
 * holder that is gone, or by an earlier try of this owner) goes back to what was recorded
 * then: its driver now is vfio-pci. */
static VhJournalRecord *
new_record(const VhJournalRecord *before, const VhHandoffOwner *owner, const VhPciDevice *dev)
{
    VhJournalRecord *r = g_new0(VhJournalRecord, 1);

    if (before != NULL) { /* its console, if one was released, is still released */
        r->console = g_strdup(before->console);
        r->vtcons = g_strdupv(before->vtcons);
        r->platform_fbs = g_strdupv(before->platform_fbs);
    }

    r->address = g_strdup(dev->name);
    r->identity = vh_pci_device_identity(dev);
    r->owner = owner->owner;
    r->domain = g_strdup(owner->domain);
    r->uuid = g_strdup(owner->uuid);
    r->driver = g_strdup(before != NULL ? before->driver : dev->driver);
    r->driver_override = g_strdup(before != NULL ? before->driver_override : dev->driver_override);
    r->state = VH_JOURNAL_DETACHING;
    r->since = g_get_real_time() / G_USEC_PER_SEC;
    return r;
}

/* What of the host's console is on @dev now, into its record: released before it is taken;
 * what of it will not come back, into *@note (read now: the release changes it). */
static gboolean
note_console(const VhHost *host, const VhPciDevice *dev, VhJournalRecord *r, char **note)
{
    g_autoptr(VhConsole) c = vh_console_find(host, dev);
    g_autoptr(GPtrArray) vtcons = g_ptr_array_new();
    g_autoptr(GPtrArray) fbs = g_ptr_array_new();

    if (c == NULL || r->vtcons != NULL || r->platform_fbs != NULL)
        return FALSE; /* nothing on it, or already released by its last holder */
    *note = vh_console_release_note(c, dev->name);
    for (guint i = 0; i < c->vtcons->len; i++)
        g_ptr_array_add(vtcons, g_strdup(g_ptr_array_index(c->vtcons, i)));
    for (guint i = 0; i < c->platform_fbs->len; i++) {
        const VhPlatformFb *p = g_ptr_array_index(c->platform_fbs, i);

        g_ptr_array_add(fbs, g_strconcat(p->name, ":", p->driver, NULL));
    }
    g_ptr_array_add(vtcons, NULL);
    g_ptr_array_add(fbs, NULL);
    g_free(r->console);
    r->console = g_strdup(c->fb);
    if (vtcons->len > 1)
        r->vtcons = (char **)g_ptr_array_steal(vtcons, NULL);
    if (fbs->len > 1)
        r->platform_fbs = (char **)g_ptr_array_steal(fbs, NULL);
    return r->vtcons != NULL || r->platform_fbs != NULL;
}

/* Releases the consoles journaled with the jobs, in order; on a failure puts back what was
 * released, so the caller can drop the records. */
static gboolean
release_consoles(const VhHost *host, Job *jobs, guint n, const VhWriter *w, GError **error)
{
    for (guint i = 0; i < n; i++) {
        VhJournalRecord *r = jobs[i].record;

        if ((r->vtcons == NULL && r->platform_fbs == NULL) ||
            vh_console_release(host, r->address, r->vtcons, r->platform_fbs, w, error))
            continue;
        g_prefix_error(error, "%s: its console cannot be released: ", r->address);
        for (guint j = i + 1; j > 0; j--) {
            VhJournalRecord *back = jobs[j - 1].record;

            /* never onto a GPU that stays on vfio-pci (taken over from a holder that is gone):
             * its console comes back when it goes back to its driver */
            if (!vh_pci_device_is_on_vfio(jobs[j - 1].dev))
                vh_console_restore(host, back->address, back->vtcons, back->platform_fbs, w, NULL,
                                   NULL);
        }
        return FALSE;
    }
    return TRUE;
}

/* Drops the records journal_all wrote (or puts back the ones they replaced). */
static void
unjournal(const VhSnapshot *snap, Job *jobs, guint n)
{
    for (guint j = 0; j < n; j++) {
        if (jobs[j].w->steps != NULL)
            continue;
        if (jobs[j].before != NULL)
            vh_journal_put(snap->host, jobs[j].before, NULL);
        else
            vh_journal_remove(snap->host, jobs[j].record->address, NULL);
    }
}

static void
jobs_free(Job *jobs, guint n)
{
    for (guint i = 0; i < n; i++) {
        g_clear_error(&jobs[i].error);
        vh_journal_record_free(jobs[i].record);
        g_free(jobs[i].vfio_driver);
        g_free(jobs[i].note);
    }
    g_free(jobs);
}

/* Journals every device first: a crash from here on leaves a record that `recover` acts on. */
static gboolean
journal_all(const VhSnapshot *snap, Job *jobs, guint n, GError **error)
{
    for (guint i = 0; i < n; i++) {
        if (jobs[i].w->steps != NULL)
            continue; /* recording: the journal is not touched */
        /* a takeover replaces the old owner's record in one rename (vh_journal_put) */
        if (!vh_journal_put(snap->host, jobs[i].record, error)) {
            unjournal(snap, jobs, i + 1);
            return FALSE;
        }
    }
    return TRUE;
}

/* Independent devices in parallel: each waits on its own kernel writes. A recording runs them
 * one after the other, so the steps come out in order. */
static void
detach_all(Job *jobs, guint n, const VhWriter *w)
{
    g_autoptr(GPtrArray) threads = g_ptr_array_new();

    for (guint i = 0; i < n; i++) {
        if (w->steps != NULL)
            detach_job(&jobs[i]);
        else
            g_ptr_array_add(threads, g_thread_new("vh-detach", detach_job, &jobs[i]));
    }
    for (guint i = 0; i < threads->len; i++)
        g_thread_join(g_ptr_array_index(threads, i));
}

/* Gives back what was taken, last taken first; a device whose write hung is not touched again. */
static void
roll_back(const VhHost *host, Job *jobs, guint n, const VhWriter *w)
{
    if (w->steps != NULL)
        return; /* recording: nothing was taken */
    for (guint i = n; i > 0; i--) {
        Job *job = &jobs[i - 1];

        if (g_error_matches(job->error, VH_ERROR, VH_ERROR_TIMED_OUT)) {
            job->record->state = VH_JOURNAL_STUCK;
            job->record->reason = g_strdup(job->error->message);
            vh_journal_put(host, job->record, NULL);
        } else {
            vh_handoff_give_back(host, job->record, w, VH_GIVE_BACK_CHECKED, NULL, NULL);
        }
    }
}

void
vh_handoff_free(VhHandoff *done)
{
    if (done == NULL)
        return;
    g_free(done->address);
    g_free(done->driver);
    g_free(done->vfio_driver);
    g_free(done->console);
    g_free(done->note);
    g_free(done);
}

/* What the transaction did to each device: from its record, as journaled */
static GPtrArray *
report(Job *jobs, guint n)
{
    GPtrArray *done = g_ptr_array_new_with_free_func((GDestroyNotify)vh_handoff_free);

    for (guint i = 0; i < n; i++) {
        const VhJournalRecord *r = jobs[i].record;
        VhHandoff *d = g_new0(VhHandoff, 1);

        d->address = g_strdup(r->address);
        d->driver = g_strdup(r->driver);
        d->vfio_driver = g_strdup(jobs[i].vfio_driver);
        d->taken_over = jobs[i].before != NULL;
        if (jobs[i].releases)
            d->console = vh_console_describe(r->console, r->vtcons, r->platform_fbs);
        d->note = g_steal_pointer(&jobs[i].note);
        g_ptr_array_add(done, d);
    }
    return done;
}

/* The VFIO driver of each job, registered (its module loaded) before anything is taken: one
 * that cannot be had fails the whole handoff, with no fallback that loses its features. */
static gboolean
ensure_drivers(const VhHost *host, Job *jobs, guint n, GHashTable *vfio_drivers,
               const VhWriter *w, GError **error)
{
    g_autoptr(GHashTable) registered = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);

    for (guint i = 0; i < n; i++) {
        const char *module =
            vfio_drivers != NULL ? g_hash_table_lookup(vfio_drivers, jobs[i].dev->name) : NULL;
        char *name;

        if (module == NULL)
            module = VH_MODULE_VFIO_PCI;
        if ((name = g_hash_table_lookup(registered, module)) == NULL) {
            if (!vh_driver_ensure(host, module, w, &name, error)) {
                g_prefix_error(error, "%s: ", jobs[i].dev->name);
                return FALSE;
            }
            g_hash_table_insert(registered, (gpointer)module, name);
        }
        jobs[i].vfio_driver = g_strdup(name);
    }
    return TRUE;
}

GPtrArray *
vh_handoff_prepare(const VhSnapshot *snap, const VhHandoffOwner *owner, const GPtrArray *devices,
                   const GPtrArray *consoles, GHashTable *vfio_drivers, const VhWriter *w,
                   GError **error)
{
    guint n = devices->len;
    Job *jobs = g_new0(Job, n ? n : 1);
    Job *failed = NULL;
    GPtrArray *done = NULL;

    for (guint i = 0; i < n; i++) {
        const VhPciDevice *dev = g_ptr_array_index((GPtrArray *)devices, i);
        const VhJournalRecord *before = vh_snapshot_record(snap, dev->name);

        jobs[i] = (Job){.host = snap->host,
                        .dev = dev,
                        .w = w,
                        .before = before,
                        .record = new_record(before, owner, dev)};
        if (consoles != NULL && g_ptr_array_find((GPtrArray *)consoles, dev, NULL))
            jobs[i].releases = note_console(snap->host, dev, jobs[i].record, &jobs[i].note);
    }
    if (!ensure_drivers(snap->host, jobs, n, vfio_drivers, w, error) ||
        !journal_all(snap, jobs, n, error)) {
        jobs_free(jobs, n);
        return NULL;
    }
    /* the console before any device: a GPU's driver must not go while fbcon draws on it */
    if (!release_consoles(snap->host, jobs, n, w, error)) {
        unjournal(snap, jobs, n);
        jobs_free(jobs, n);
        return NULL;
    }
    detach_all(jobs, n, w);
    for (guint i = 0; i < n && failed == NULL; i++) {
        if (!jobs[i].ok)
            failed = &jobs[i];
    }
    if (failed != NULL) {
        roll_back(snap->host, jobs, n, w);
        g_propagate_prefixed_error(error, g_steal_pointer(&failed->error),
                                   "%s: ", failed->dev->name);
    }
    for (guint i = 0; failed == NULL && w->steps == NULL && i < n; i++) {
        jobs[i].record->state = VH_JOURNAL_HELD;
        vh_journal_put(snap->host, jobs[i].record, NULL);
    }
    if (failed == NULL)
        done = report(jobs, n);
    jobs_free(jobs, n);
    return done;
}

void
vh_return_free(VhReturn *ret)
{
    if (ret == NULL)
        return;
    g_free(ret->address);
    g_free(ret->driver);
    g_free(ret->detail);
    g_free(ret->fix);
    g_free(ret->warning);
    g_free(ret);
}

/* @r was not given back: wedged (with what to do) or failed. */
static void
set_failure(VhReturn *ret, const VhJournalRecord *r, const GError *error)
{
    if (r->state == VH_JOURNAL_WEDGED) {
        ret->outcome = VH_RETURN_WEDGED;
        ret->detail = vh_handoff_wedged_text(r);
    } else {
        ret->outcome = VH_RETURN_FAILED;
        ret->detail = g_strdup(error->message);
    }
}

/* @r's device stays on vfio-pci for @domain, which runs (or starts) with it: its record goes to
 * that domain, as libvirt's, so that nothing calls it an orphan and that domain's stop gives it
 * back (its driver, override and console as they were recorded). */
static void
hand_over(const VhHost *host, VhJournalRecord *r, const char *domain, int pid, VhReturn *ret)
{
    ret->outcome = VH_RETURN_HANDED_OVER;
    r->owner = VH_OWNER_LIBVIRT;
    g_free(r->domain);
    r->domain = g_strdup(domain);
    g_clear_pointer(&r->uuid, g_free);
    r->qemu_pid = pid;
    r->state = VH_JOURNAL_HELD;
    g_clear_pointer(&r->reason, g_free);
    vh_journal_put(host, r, NULL);
}

/* A process holds @r's group now (@error says so): the device stays; its record follows the
 * holder when that is another domain's QEMU. */
static void
keep_for_holder(const VhHost *host, VhJournalRecord *r, VhReturn *ret, const GError *error)
{
    g_autoptr(GPtrArray) holders = vh_holders_of_device_now(host, r->address, NULL);
    const VhHolder *h = holders != NULL && holders->len > 0 ? g_ptr_array_index(holders, 0) : NULL;

    ret->outcome = VH_RETURN_IN_USE;
    ret->detail = h != NULL ? vh_holder_text(h) : g_strdup(error->message);
    ret->fix = h != NULL ? vh_holder_fix(h, "vfio-handoff recover")
                         : g_strdup("run 'vfio-handoff recover' later");
    if (h != NULL && h->domain_name != NULL && g_strcmp0(h->domain_name, r->domain) != 0)
        hand_over(host, r, h->domain_name, h->pid, ret);
}

/* Gives back @r (after its checks), saying what became of it in @ret. */
static void
give_back(const VhHost *host, VhJournalRecord *r, const VhWriter *w, VhReturnOutcome done,
          VhReturn *ret)
{
    g_autoptr(GError) error = NULL;

    if (vh_handoff_give_back(host, r, w, VH_GIVE_BACK_CHECKED, &ret->warning, &error)) {
        ret->outcome = done;
        g_free(ret->driver);
        ret->driver = g_strdup(r->driver);
    } else if (g_error_matches(error, VH_ERROR, VH_ERROR_IN_USE)) {
        keep_for_holder(host, r, ret, error);
    } else {
        set_failure(ret, r, error);
    }
}

/* A device of libvirt's: libvirt gave it back before the release hook runs, unless it lost
 * track of it (HACKING.md, "Why libvirt leaves devices on vfio-pci"), or another domain runs or
 * starts with it now: libvirt detached it again for that one. */
static void
return_libvirts(const VhHost *host, VhJournalRecord *r, const VhWriter *w, VhReturn *ret)
{
    g_autofree char *other = NULL;

    ret->driver = vh_bind_current_driver(host, r->address);
    if (g_strcmp0(ret->driver, VH_DRIVER_VFIO_PCI) != 0) {
        ret->outcome = VH_RETURN_BY_LIBVIRT;
        vh_journal_remove(host, r->address, NULL);
        return;
    }
    if ((other = vh_holders_libvirt_status_user(host, r->address, r->domain)) != NULL ||
        (other = vh_journal_starting_user(host, r->address, r->domain)) != NULL) {
        ret->detail =
            g_strdup_printf("the domain '%s', which libvirt runs or starts with it", other);
        ret->fix = g_strdup("nothing: it goes back when that domain stops");
        hand_over(host, r, other, vh_holders_libvirt_pid(host, other), ret);
        return;
    }
    give_back(host, r, w, VH_RETURN_LEFT_BY_LIBVIRT, ret);
}

VhReturn *
vh_handoff_release_one(const VhHost *host, VhJournalRecord *r, const VhWriter *w)
{
    VhReturn *ret = g_new0(VhReturn, 1);

    ret->address = g_strdup(r->address);
    if (r->owner == VH_OWNER_LIBVIRT) {
        return_libvirts(host, r, w, ret);
        return ret;
    }
    ret->driver = g_strdup(r->driver);
    give_back(host, r, w, VH_RETURN_GIVEN_BACK, ret);
    return ret;
}

GPtrArray *
vh_handoff_give_back_domain(const VhHost *host, const char *domain, const VhWriter *w)
{
    g_autoptr(GPtrArray) records = vh_journal_for_domain(host, domain);
    GPtrArray *returns = g_ptr_array_new_with_free_func((GDestroyNotify)vh_return_free);

    for (guint i = records->len; i > 0; i--)
        g_ptr_array_add(returns,
                        vh_handoff_release_one(host, g_ptr_array_index(records, i - 1), w));
    return returns;
}

guint
vh_returns_failed(const GPtrArray *returns)
{
    guint n = 0;

    for (guint i = 0; i < returns->len; i++) {
        VhReturnOutcome o = ((VhReturn *)g_ptr_array_index((GPtrArray *)returns, i))->outcome;

        n += o == VH_RETURN_FAILED || o == VH_RETURN_WEDGED;
    }
    return n;
}

gboolean
vh_handoff_watch(const VhSnapshot *snap, const char *domain, const char *uuid,
                 const GPtrArray *devices, GError **error)
{
    const VhHandoffOwner owner = {VH_OWNER_LIBVIRT, domain, uuid};

    for (guint i = 0; i < devices->len; i++) {
        const VhPciDevice *dev = g_ptr_array_index((GPtrArray *)devices, i);
        /* a stale record's device goes back where that record says, not to vfio-pci */
        g_autoptr(VhJournalRecord) r = new_record(vh_snapshot_record(snap, dev->name), &owner, dev);

        r->state = VH_JOURNAL_HELD;
        if (!vh_journal_put(snap->host, r, error))
            return FALSE;
    }
    return TRUE;
}

void
vh_handoff_record_pid(const VhHost *host, const char *domain, int pid)
{
    g_autoptr(GPtrArray) records = vh_journal_for_domain(host, domain);

    for (guint i = 0; i < records->len; i++) {
        VhJournalRecord *r = g_ptr_array_index(records, i);

        r->qemu_pid = pid;
        vh_journal_put(host, r, NULL);
    }
}
