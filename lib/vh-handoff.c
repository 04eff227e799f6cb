/* vfio-handoff: handoff and give back, journaled before each change */
#include "config.h"

#include <string.h>

#include "vh-error.h"
#include "vh-handoff.h"

typedef struct {
    const VhHost *host;
    const VhPciDevice *dev;
    const VhBindOptions *opts;
    VhHold *hold;
    gboolean ok;
    GError *error;
} Job;

static gpointer
detach_job(gpointer data)
{
    Job *job = data;

    job->ok = vh_bind_detach(job->host, job->dev->name, job->dev->iommu_group, job->opts,
                             &job->error);
    return NULL;
}

gboolean
vh_handoff_give_back(const VhHost *host, VhHold *hold, const VhBindOptions *opts, GError **error)
{
    g_autoptr(GError) local = NULL;

    hold->state = VH_HOLD_RETURNING;
    vh_journal_put(host, hold, NULL);
    if (!vh_bind_give_back(host, hold->address, hold->driver, hold->driver_override, opts,
                           &local)) {
        hold->state = VH_HOLD_STUCK;
        g_free(hold->reason);
        hold->reason = g_strdup(local->message);
        vh_journal_put(host, hold, NULL);
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    return vh_journal_remove(host, hold->address, error);
}

gboolean
vh_handoff_detach(const VhHost *host, const GPtrArray *devices, const char *domain,
                  const char *uuid, const VhBindOptions *opts, GError **error)
{
    g_autofree Job *jobs = g_new0(Job, devices->len ? devices->len : 1);
    g_autoptr(GPtrArray) threads = g_ptr_array_new();
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    Job *failed = NULL;

    if (devices->len > 0 && !vh_bind_ensure_vfio_pci(host, opts, error))
        return FALSE;
    /* journal first: a crash from here on leaves a record that `recover` can act on */
    for (guint i = 0; i < devices->len; i++) {
        const VhPciDevice *dev = g_ptr_array_index((GPtrArray *)devices, i);
        g_autoptr(VhHold) stale = vh_journal_get(host, dev->name);
        VhHold *h = g_new0(VhHold, 1);

        h->address = g_strdup(dev->name);
        h->identity = vh_pci_device_identity(dev);
        h->domain = g_strdup(domain);
        h->uuid = g_strdup(uuid);
        if (stale != NULL && g_strcmp0(stale->domain, domain) != 0) {
            /* taking over from a holder that is gone: the device is still on vfio-pci, and
             * what it goes back to is what that holder recorded */
            h->driver = g_steal_pointer(&stale->driver);
            h->driver_override = g_steal_pointer(&stale->driver_override);
            vh_journal_remove(host, dev->name, NULL);
        } else {
            h->driver = vh_bind_current_driver(host, dev->name);
            h->driver_override = vh_bind_current_override(host, dev->name);
        }
        h->state = VH_HOLD_DETACHING;
        h->since = now;
        jobs[i] = (Job){.host = host, .dev = dev, .opts = opts, .hold = h};
        if (!vh_journal_put(host, h, error)) {
            for (guint j = 0; j <= i; j++) {
                vh_journal_remove(host, jobs[j].hold->address, NULL);
                vh_hold_free(jobs[j].hold);
            }
            return FALSE;
        }
    }
    /* independent devices in parallel: each waits on its own kernel writes */
    for (guint i = 0; i < devices->len; i++)
        g_ptr_array_add(threads, g_thread_new("vh-detach", detach_job, &jobs[i]));
    for (guint i = 0; i < threads->len; i++)
        g_thread_join(g_ptr_array_index(threads, i));

    for (guint i = 0; i < devices->len && failed == NULL; i++) {
        if (!jobs[i].ok)
            failed = &jobs[i];
    }
    if (failed == NULL) {
        for (guint i = 0; i < devices->len; i++) {
            jobs[i].hold->state = VH_HOLD_HELD;
            vh_journal_put(host, jobs[i].hold, NULL);
            vh_hold_free(jobs[i].hold);
        }
        return TRUE;
    }
    /* roll back, last taken first; a device whose write hung is not touched again */
    for (guint i = devices->len; i > 0; i--) {
        Job *job = &jobs[i - 1];

        if (g_error_matches(job->error, VH_ERROR, VH_ERROR_TIMED_OUT)) {
            job->hold->state = VH_HOLD_STUCK;
            job->hold->reason = g_strdup(job->error->message);
            vh_journal_put(host, job->hold, NULL);
        } else {
            vh_handoff_give_back(host, job->hold, opts, NULL);
        }
    }
    g_propagate_prefixed_error(error, g_steal_pointer(&failed->error), "%s: ", failed->dev->name);
    for (guint i = 0; i < devices->len; i++) {
        g_clear_error(&jobs[i].error);
        vh_hold_free(jobs[i].hold);
    }
    return FALSE;
}

guint
vh_handoff_give_back_domain(const VhHost *host, const char *domain, const VhBindOptions *opts,
                            GPtrArray *failures)
{
    g_autoptr(GPtrArray) holds = vh_journal_for_domain(host, domain);
    guint failed = 0;

    for (guint i = holds->len; i > 0; i--) {
        VhHold *h = g_ptr_array_index(holds, i - 1);
        g_autoptr(GError) error = NULL;

        if (!vh_handoff_give_back(host, h, opts, &error)) {
            failed++;
            if (failures != NULL)
                g_ptr_array_add(failures, g_strdup_printf("%s: %s", h->address, error->message));
        }
    }
    return failed;
}

void
vh_handoff_record_pid(const VhHost *host, const char *domain, int pid)
{
    g_autoptr(GPtrArray) holds = vh_journal_for_domain(host, domain);

    for (guint i = 0; i < holds->len; i++) {
        VhHold *h = g_ptr_array_index(holds, i);

        h->qemu_pid = pid;
        vh_journal_put(host, h, NULL);
    }
}
