/* vfio-handoff CLI: add and remove --live, a running domain's devices hot-plugged through
 * libvirt (vh-hostdev-live.h). What the hook does at a start, for the devices added: the same
 * evaluation, the same transaction, journaled for the domain; then libvirt's hot-plug. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vh-error.h"
#include "vh-handoff.h"
#include "vh-holders.h"
#include "vh-hostdev-live.h"
#include "vh-policy-eval.h"

/* A running domain, open for a live change; its live definition parsed. */
typedef struct {
    const VhLibvirt *lv;
    virDomainPtr dom;
    char *word; /* its name, quoted for a shell */
    char *xml;  /* its live definition, as libvirt gave it */
    VhDomainDef *def;
    VhHostdevResult *r;
} Live;

static void
live_close(Live *l)
{
    if (l->dom != NULL)
        l->lv->domain_free(l->dom);
    g_free(l->word);
    g_free(l->xml);
    vh_domain_def_free(l->def);
    vh_hostdev_result_free(l->r);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Live, live_close)

/* Reads the live definition again, into @l. */
static gboolean
live_read(Live *l, GError **error)
{
    char *xml = l->lv->domain_get_xml_desc(l->dom, 0);

    if (xml == NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: its live definition cannot be read, %s (fix: check that 'virsh dumpxml "
                    "%s' works)",
                    l->r->domain, l->lv->get_last_error_message(), l->word);
        return FALSE;
    }
    g_free(l->xml);
    l->xml = g_strdup(xml);
    free(xml);
    vh_domain_def_free(l->def);
    if ((l->def = vh_domain_def_parse(l->xml, strlen(l->xml), error)) == NULL) {
        g_prefix_error(error, "%s: ", l->r->domain);
        return FALSE;
    }
    return TRUE;
}

/* Finds the domain; refuses one that does not run. */
static gboolean
live_open(Live *l, const VhLibvirt *lv, virConnectPtr conn, const char *domain, const char *verb,
          GError **error)
{
    const char *name;

    l->lv = lv;
    if ((l->dom = vh_libvirt_domain(lv, conn, domain, error)) == NULL)
        return FALSE;
    name = lv->domain_get_name(l->dom);
    l->r = vh_hostdev_result_new(verb, name != NULL ? name : domain);
    l->r->live = TRUE;
    l->word = vh_error_shell_word(l->r->domain);
    if (lv->domain_is_active(l->dom) != 1) {
        g_set_error(error, VH_ERROR, VH_ERROR_UNSUPPORTED,
                    "%s: is not running, and --live changes a running domain (fix: leave out "
                    "--live to %s its definition, for its next start)",
                    l->r->domain, strcmp(verb, "add") == 0 ? "add to" : "remove from");
        return FALSE;
    }
    return live_read(l, error);
}

static gboolean
has_hostdev(const VhDomainDef *def, const char *address)
{
    return vh_domain_def_hostdev(def, address) != NULL;
}

/* "<hostdev mode='subsystem' type='pci' managed='no'>" for @address: what libvirt matches a
 * hostdev by, to attach or to detach */
static char *
hostdev_xml(const char *address)
{
    VhPciAddress a;

    vh_pci_address_parse(address, &a, NULL);
    return g_strdup_printf("<hostdev mode='subsystem' type='pci' managed='no'><source><address "
                           "domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>"
                           "</source></hostdev>",
                           a.domain, a.bus, a.slot, a.function);
}

/* The devices named (addresses or IDs) with, unless @only, the other endpoints of their IOMMU
 * groups: the addresses, in order, each once. */
static GPtrArray *
resolve(const VhCliView *view, char **devices, gboolean only, GError **error)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; devices[i] != NULL; i++) {
        VhPciDevice *dev = vh_inventory_resolve(view->snap->inventory, devices[i], error);
        g_autoptr(GPtrArray) companions = NULL;

        if (dev == NULL)
            return NULL;
        companions = only ? g_ptr_array_new() : vh_inventory_companions(view->snap->inventory, dev);
        g_ptr_array_insert(companions, 0, dev);
        for (guint j = 0; j < companions->len; j++) {
            const char *a = ((VhPciDevice *)g_ptr_array_index(companions, j))->name;

            if (!g_ptr_array_find_with_equal_func(out, a, g_str_equal, NULL))
                g_ptr_array_add(out, g_strdup(a));
        }
    }
    return g_steal_pointer(&out);
}

static void G_GNUC_PRINTF(2, 3) say(GPtrArray *list, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(list, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

/* "VERB ADDRESS, on VFIO-DRIVER (from DRIVER)" for each of @done (VhHandoff *) */
static void
say_handoffs(GPtrArray *list, const char *verb, const GPtrArray *done)
{
    for (guint i = 0; i < done->len; i++) {
        const VhHandoff *d = g_ptr_array_index((GPtrArray *)done, i);

        say(list, "%s %s, on %s (from %s)", verb, d->address, d->vfio_driver,
            d->driver != NULL ? d->driver : "no driver");
    }
}

/* Gives back, in reverse order, the devices of @done (VhHandoff *) that the domain does not
 * hold: a rollback. What cannot go back (the guest has not let go of it yet) stays journaled
 * for the domain; returns how many. */
static guint
give_back_taken(Live *l, const VhHost *host, const GPtrArray *done, const VhWriter *w)
{
    g_autoptr(GPtrArray) records = vh_journal_for_domain(host, l->r->domain);
    guint kept = 0;

    for (guint i = done->len; i > 0; i--) {
        const VhHandoff *d = g_ptr_array_index((GPtrArray *)done, i - 1);

        for (guint j = 0; j < records->len; j++) {
            VhJournalRecord *rec = g_ptr_array_index(records, j);
            g_autoptr(VhReturn) ret = NULL;

            if (strcmp(rec->address, d->address) != 0)
                continue;
            ret = vh_handoff_release_one(host, rec, w);
            kept += ret->outcome != VH_RETURN_GIVEN_BACK;
        }
    }
    return kept;
}

/* Hot-plugs @done's devices one by one; on a refusal, unplugs those plugged (libvirt removes
 * them when the guest lets go) and gives back what it can. */
static gboolean
attach_all(Live *l, const VhHost *host, const GPtrArray *done, const VhWriter *w, GError **error)
{
    for (guint i = 0; i < done->len; i++) {
        const VhHandoff *d = g_ptr_array_index((GPtrArray *)done, i);
        g_autofree char *xml = hostdev_xml(d->address);
        g_autofree char *reason = NULL;
        guint kept;

        if (l->lv->domain_attach_device_flags(l->dom, xml, VIR_DOMAIN_AFFECT_LIVE) == 0)
            continue;
        reason = g_strdup(l->lv->get_last_error_message());
        for (guint j = i; j > 0; j--) {
            g_autofree char *back = hostdev_xml(
                ((const VhHandoff *)g_ptr_array_index((GPtrArray *)done, j - 1))->address);

            l->lv->domain_detach_device_flags(l->dom, back, VIR_DOMAIN_AFFECT_LIVE);
        }
        if ((kept = give_back_taken(l, host, done, w)) == 0)
            g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                        "%s: libvirt refused to hot-plug %s, %s; what was taken is given back "
                        "(fix: correct what libvirt names, e.g. give a q35 domain a free "
                        "<controller type='pci' model='pcie-root-port'/> per device, then add "
                        "again)",
                        l->r->domain, d->address, reason);
        else
            g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                        "%s: libvirt refused to hot-plug %s, %s; the rest was given back, but "
                        "%u device%s stay%s on VFIO, journaled for %s, until the guest lets go "
                        "of what was hot-plugged before it (fix: run 'vfio-handoff recover' "
                        "once 'virsh dumpxml %s' no longer lists any, or 'virsh shutdown %s')",
                        l->r->domain, d->address, reason, kept, kept == 1 ? "" : "s",
                        kept == 1 ? "s" : "", l->r->domain, l->word, l->word);
        return FALSE;
    }
    return TRUE;
}

/* The devices to add that the domain does not have yet, each said when it has; NULL on error */
static GPtrArray *
devices_to_add(Live *l, const VhCliView *view, const VhHostdevRequest *req, GError **error)
{
    g_autoptr(GPtrArray) asked = resolve(view, req->devices, req->only, error);
    GPtrArray *todo;

    if (asked == NULL)
        return NULL;
    todo = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < asked->len; i++) {
        const char *a = g_ptr_array_index(asked, i);

        if (has_hostdev(l->def, a))
            say(l->r->notes, "%s is in %s already", a, l->r->domain);
        else
            g_ptr_array_add(todo, g_strdup(a));
    }
    return todo;
}

/* The live definition with @todo added as managed='no' hostdevs, as the hook would see it at a
 * start: what the evaluation checks (the domain's limit counts every device it then has). */
static void
add_to_def(VhDomainDef *def, const GPtrArray *todo)
{
    for (guint i = 0; i < todo->len; i++) {
        VhDomainHostdev *hd = g_new0(VhDomainHostdev, 1);

        g_strlcpy(hd->address, g_ptr_array_index((GPtrArray *)todo, i), sizeof hd->address);
        g_ptr_array_add(def->hostdevs, hd);
    }
}

VhHostdevResult *
vh_hostdev_add_live(const VhLibvirt *lv, virConnectPtr conn, const VhCliView *view,
                    const char *domain, const VhHostdevRequest *req, GError **error)
{
    g_auto(Live) l = {0};
    g_autoptr(GPtrArray) todo = NULL;
    g_autoptr(VhJournalLock) lock = NULL;
    g_autoptr(VhSnapshot) snap = NULL;
    g_autoptr(VhEvaluation) eval = NULL;
    g_autoptr(GPtrArray) done = NULL;
    g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func((GDestroyNotify)vh_step_free);
    VhWriter w = {.timeout_ms = (guint)view->policy->step_timeout_ms};
    const VhPolicyCheck *failed;
    gboolean ok;
    int pid;

    if (!live_open(&l, lv, conn, domain, "add", error) ||
        (todo = devices_to_add(&l, view, req, error)) == NULL)
        return NULL;
    l.r->before = g_strdup(l.xml);
    l.r->after = g_strdup(l.xml);
    if (todo->len == 0)
        return g_steal_pointer(&l.r);
    /* from the snapshot on, nothing else hands off or gives back until libvirt has them */
    if (!req->dry_run && (lock = vh_journal_lock(view->host, 30000, error)) == NULL)
        return NULL;
    if ((snap = vh_snapshot_load(view->host, VH_SNAPSHOT_NONE, error)) == NULL)
        return NULL;
    add_to_def(l.def, todo);
    eval = vh_policy_evaluate(&(VhFacts){view->policy, snap, l.def, NULL, .running = TRUE});
    if ((failed = vh_evaluation_first_failure(eval)) != NULL) {
        g_autofree char *text = vh_policy_check_message(failed, l.r->domain);

        g_set_error(error, VH_ERROR, VH_ERROR_UNSUPPORTED, "%s: %s", l.r->domain, text);
        return NULL;
    }
    if (req->dry_run)
        w.steps = steps;
    if ((done = vh_handoff_prepare(
             snap, &(VhHandoffOwner){VH_OWNER_DOMAIN, l.r->domain, l.def->uuid}, eval->handoff,
             eval->consoles, eval->vfio_drivers, &w, error)) == NULL) {
        g_prefix_error(error, "%s: ", l.r->domain);
        return NULL; /* rolled back: nothing handed off */
    }
    if (req->dry_run) {
        say_handoffs(l.r->changes, "would hot-plug", done);
        return g_steal_pointer(&l.r);
    }
    ok = attach_all(&l, view->host, done, &w, error);
    /* its QEMU holds them now (or, refused, what it has not let go of yet): the records say
     * which process, as `started` does at a start, so that an unplug is seen for what it is */
    if ((pid = vh_holders_libvirt_pid(view->host, l.r->domain)) > 0)
        vh_handoff_record_pid(view->host, l.r->domain, pid);
    if (!ok)
        return NULL;
    say_handoffs(l.r->changes, "hot-plugged", done);
    if (live_read(&l, NULL)) {
        g_free(l.r->after);
        l.r->after = g_strdup(l.xml);
    }
    return g_steal_pointer(&l.r);
}

/* Waits until none of @wanted is in the live definition, or @timeout_s passes; leaves in
 * @wanted those still there. */
static void
wait_removed(Live *l, GPtrArray *wanted, guint timeout_s)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;

    for (;;) {
        for (guint i = wanted->len; i > 0; i--)
            if (!has_hostdev(l->def, g_ptr_array_index(wanted, i - 1)))
                g_ptr_array_remove_index(wanted, i - 1);
        if (wanted->len == 0 || g_get_monotonic_time() >= deadline)
            return;
        g_usleep(100 * 1000);
        if (!live_read(l, NULL))
            return;
    }
}

/* The devices to remove the domain has: each named, with its group's other endpoints there */
static GPtrArray *
devices_to_remove(Live *l, const VhCliView *view, const VhHostdevRequest *req, GError **error)
{
    g_autoptr(GPtrArray) named = resolve(view, req->devices, TRUE, error);
    g_autoptr(GPtrArray) asked = named != NULL ? resolve(view, req->devices, FALSE, error) : NULL;
    GPtrArray *todo;

    if (asked == NULL)
        return NULL;
    todo = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < asked->len; i++) {
        const char *a = g_ptr_array_index(asked, i);

        if (has_hostdev(l->def, a))
            g_ptr_array_add(todo, g_strdup(a));
        else if (g_ptr_array_find_with_equal_func(named, a, g_str_equal, NULL))
            say(l->r->notes, "%s is not in %s (live): nothing to remove", a, l->r->domain);
    }
    return todo;
}

/* Gives back each of @gone the journal holds for @l's domain */
static gboolean
give_back_gone(Live *l, const VhCliView *view, const GPtrArray *gone, GError **error)
{
    g_autoptr(VhJournalLock) lock = vh_journal_lock(view->host, 30000, error);
    g_autoptr(GPtrArray) records = NULL;
    VhWriter w = {.timeout_ms = (guint)view->policy->step_timeout_ms};

    if (lock == NULL)
        return FALSE;
    records = vh_journal_for_domain(view->host, l->r->domain);
    for (guint i = records->len; i > 0; i--) {
        VhJournalRecord *rec = g_ptr_array_index(records, i - 1);
        g_autoptr(VhReturn) ret = NULL;

        if (!g_ptr_array_find_with_equal_func((GPtrArray *)gone, rec->address, g_str_equal, NULL))
            continue;
        ret = vh_handoff_release_one(view->host, rec, &w);
        if (ret->outcome == VH_RETURN_GIVEN_BACK || ret->outcome == VH_RETURN_LEFT_BY_LIBVIRT ||
            ret->outcome == VH_RETURN_BY_LIBVIRT)
            say(l->r->changes, "unplugged %s, back on %s", rec->address,
                ret->driver != NULL ? ret->driver : "no driver");
        else
            say(l->r->notes, "warning: %s: unplugged, but not given back: %s (fix: %s)",
                rec->address, ret->detail != NULL ? ret->detail : "kept on VFIO",
                ret->fix != NULL ? ret->fix : "run 'vfio-handoff recover'");
    }
    return TRUE;
}

VhHostdevResult *
vh_hostdev_remove_live(const VhLibvirt *lv, virConnectPtr conn, const VhCliView *view,
                       const char *domain, const VhHostdevRequest *req, GError **error)
{
    g_auto(Live) l = {0};
    g_autoptr(GPtrArray) todo = NULL;
    g_autoptr(GPtrArray) waiting = g_ptr_array_new_with_free_func(g_free);

    if (!live_open(&l, lv, conn, domain, "remove", error) ||
        (todo = devices_to_remove(&l, view, req, error)) == NULL)
        return NULL;
    l.r->before = g_strdup(l.xml);
    l.r->after = g_strdup(l.xml);
    for (guint i = 0; i < todo->len; i++) {
        const char *a = g_ptr_array_index(todo, i);
        g_autofree char *xml = hostdev_xml(a);

        if (req->dry_run) {
            say(l.r->changes, "would unplug %s, and give it back", a);
            continue;
        }
        if (lv->domain_detach_device_flags(l.dom, xml, VIR_DOMAIN_AFFECT_LIVE) != 0) {
            g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                        "%s: libvirt refused to unplug %s, %s (fix: correct what libvirt names, "
                        "or run 'virsh shutdown %s': its stop gives every device back)",
                        l.r->domain, a, lv->get_last_error_message(), l.word);
            return NULL;
        }
        g_ptr_array_add(waiting, g_strdup(a));
    }
    if (req->dry_run || todo->len == 0)
        return g_steal_pointer(&l.r);
    if (!live_read(&l, error))
        return NULL;
    wait_removed(&l, waiting, req->timeout_s);
    for (guint i = todo->len; i > 0; i--)
        if (g_ptr_array_find_with_equal_func(waiting, g_ptr_array_index(todo, i - 1), g_str_equal,
                                             NULL))
            g_ptr_array_remove_index(todo, i - 1);
    if (!give_back_gone(&l, view, todo, error))
        return NULL;
    if (waiting->len > 0) {
        g_set_error(error, VH_ERROR, VH_ERROR_TIMED_OUT,
                    "%s: %s: the guest has not let go of it in %u s, so it stays on VFIO, "
                    "journaled for %s (fix: run 'vfio-handoff recover' once 'virsh dumpxml %s' "
                    "no longer lists it, or 'virsh shutdown %s': its stop gives it back)",
                    l.r->domain, (const char *)g_ptr_array_index(waiting, 0), req->timeout_s,
                    l.r->domain, l.word, l.word);
        return NULL;
    }
    g_free(l.r->after);
    l.r->after = g_strdup(l.xml);
    return g_steal_pointer(&l.r);
}

/* Whether @domain runs: 1, 0, or -1 when libvirt does not know it (then the change that
 * follows says so). */
static int
domain_active(const VhLibvirt *lv, virConnectPtr conn, const char *domain)
{
    virDomainPtr dom = vh_libvirt_domain(lv, conn, domain, NULL);
    int active;

    if (dom == NULL)
        return -1;
    active = lv->domain_is_active(dom);
    lv->domain_free(dom);
    return active;
}

/* --persistent: the running domain first, then its definition; one result. A domain that
 * does not run has its definition changed alone, as virsh's --persistent does. */
static VhHostdevResult *
both(VhHostdevChange live, VhHostdevChange config, const VhLibvirt *lv, virConnectPtr conn,
     const VhCliView *view, const char *domain, const VhHostdevRequest *req, GError **error)
{
    g_autoptr(VhHostdevResult) r = NULL;
    g_autoptr(VhHostdevResult) c = NULL;
    g_autoptr(GError) local = NULL;

    if (domain_active(lv, conn, domain) == 0)
        return config(lv, conn, view, domain, req, error);
    if ((r = live(lv, conn, view, domain, req, error)) == NULL)
        return NULL;
    if ((c = config(lv, conn, view, domain, req, &local)) == NULL) {
        g_autofree char *prefix = g_strconcat(r->domain, ": ", NULL);
        const char *why = g_str_has_prefix(local->message, prefix) ? local->message + strlen(prefix)
                                                                   : local->message;

        /* the running domain was changed: said, not undone */
        g_set_error(error, local->domain, local->code, "%s: %s now, but not in its definition: %s",
                    r->domain,
                    req->live && strcmp(r->verb, "add") == 0 ? "hot-plugged" : "unplugged", why);
        return NULL;
    }
    for (guint i = 0; i < c->changes->len; i++)
        g_ptr_array_add(r->changes, g_strdup(g_ptr_array_index(c->changes, i)));
    for (guint i = 0; i < c->notes->len; i++)
        g_ptr_array_add(r->notes, g_strdup(g_ptr_array_index(c->notes, i)));
    for (guint i = 0; i < c->warnings->len; i++)
        g_ptr_array_add(r->warnings, g_strdup(g_ptr_array_index(c->warnings, i)));
    r->defined = c->defined;
    return g_steal_pointer(&r);
}

VhHostdevResult *
vh_hostdev_add_persistent(const VhLibvirt *lv, virConnectPtr conn, const VhCliView *view,
                          const char *domain, const VhHostdevRequest *req, GError **error)
{
    return both(vh_hostdev_add_live, vh_hostdev_add, lv, conn, view, domain, req, error);
}

VhHostdevResult *
vh_hostdev_remove_persistent(const VhLibvirt *lv, virConnectPtr conn, const VhCliView *view,
                             const char *domain, const VhHostdevRequest *req, GError **error)
{
    return both(vh_hostdev_remove_live, vh_hostdev_remove, lv, conn, view, domain, req, error);
}

VhHostdevChange
vh_hostdev_pick(gboolean add, const VhHostdevRequest *req)
{
    if (req->live && req->config)
        return add ? vh_hostdev_add_persistent : vh_hostdev_remove_persistent;
    if (req->live)
        return add ? vh_hostdev_add_live : vh_hostdev_remove_live;
    return add ? vh_hostdev_add : vh_hostdev_remove;
}
