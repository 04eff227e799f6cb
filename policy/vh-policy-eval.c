/* vfio-handoff policy: evaluation. Pure: every input is in VhFacts. */
#include "config.h"

#include <string.h>

#include "vh-error.h"
#include "vh-policy-eval.h"
#include "vh-units.h"

typedef struct {
    const VhFacts *f;
    VhEvaluation *e;
} Eval;

static void
check_free(VhPolicyCheck *c)
{
    g_free(c->subject);
    g_free(c->reason);
    g_free(c->fix);
    g_free(c);
}

void
vh_evaluation_free(VhEvaluation *eval)
{
    if (eval == NULL)
        return;
    g_ptr_array_unref(eval->requested);
    g_ptr_array_unref(eval->checks);
    g_ptr_array_unref(eval->handoff);
    g_ptr_array_unref(eval->left_alone);
    g_ptr_array_unref(eval->consoles);
    g_free(eval);
}

const VhPolicyCheck *
vh_evaluation_first_failure(const VhEvaluation *eval)
{
    for (guint i = 0; i < eval->checks->len; i++) {
        const VhPolicyCheck *c = g_ptr_array_index(eval->checks, i);

        if (!c->passed)
            return c;
    }
    return NULL;
}

char *
vh_policy_check_message(const VhPolicyCheck *c, const char *context)
{
    GString *m = g_string_new(NULL);

    /* the domain's own checks need no THING where the caller already names the domain */
    if (c->kind != VH_CHECK_DOMAIN || g_strcmp0(c->subject, context) != 0)
        g_string_append_printf(m, "%s: ", c->subject);
    g_string_append(m, c->reason);
    if (c->fix != NULL)
        g_string_append_printf(m, " (fix: %s)", c->fix);
    return g_string_free(m, FALSE);
}

/* Records a check; @fix NULL means it passed. Takes ownership of @reason and @fix. */
static void
add(Eval *ev, VhCheckKind kind, const char *id, const char *subject, char *reason, char *fix)
{
    VhPolicyCheck *c = g_new0(VhPolicyCheck, 1);

    c->kind = kind;
    c->id = id;
    c->subject = g_strdup(subject);
    c->passed = fix == NULL;
    c->reason = reason;
    c->fix = fix;
    g_ptr_array_add(ev->e->checks, c);
}

#define PASS(ev, kind, id, subject, ...)                                                           \
    do {                                                                                           \
        if (!(ev)->f->failures_only)                                                               \
            add(ev, kind, id, subject, g_strdup_printf(__VA_ARGS__), NULL);                        \
    } while (0)
#define FAIL(ev, kind, id, subject, fix, ...)                                                      \
    add(ev, kind, id, subject, g_strdup_printf(__VA_ARGS__), fix)

/* the first reason of @kind in a verdict, or NULL */
static const VhReason *
reason_of(const VhVerdict *v, VhReasonKind kind)
{
    for (guint i = 0; i < v->reasons->len; i++) {
        const VhReason *r = g_ptr_array_index(v->reasons, i);

        if (r->kind == kind)
            return r;
    }
    return NULL;
}

/* A reason of host use other than a VM holding the group node (that is "held", below). */
static const VhReason *
in_use_reason(const VhVerdict *v)
{
    for (guint i = 0; i < v->reasons->len; i++) {
        const VhReason *r = g_ptr_array_index(v->reasons, i);

        if (r->kind == VH_REASON_IN_USE && strstr(r->text, "/dev/vfio/") == NULL)
            return r;
    }
    return NULL;
}

/* Whether the policy lets @r go: a reason made by a boot VGA's console alone, on a device
 * whose section says console-handoff=true. */
static gboolean
console_waived(Eval *ev, const VhReason *r)
{
    const VhPciDevice *gpu = r->console_device != NULL
                                 ? vh_inventory_lookup(ev->f->snap->inventory, r->console_device)
                                 : NULL;
    const VhPolicyDevice *pd = gpu != NULL ? vh_policy_device_for(ev->f->policy, gpu) : NULL;

    return pd != NULL && pd->console_handoff;
}

/* The first host-critical or group-critical reason of @v the policy does not waive, or NULL;
 * *@waived: whether it waived one. */
static const VhReason *
critical_reason(Eval *ev, const VhVerdict *v, gboolean *waived)
{
    *waived = FALSE;
    for (guint i = 0; i < v->reasons->len; i++) {
        const VhReason *r = g_ptr_array_index(v->reasons, i);

        if (r->kind != VH_REASON_HOST_CRITICAL && r->kind != VH_REASON_GROUP_CRITICAL)
            continue;
        if (!console_waived(ev, r))
            return r;
        *waived = TRUE;
    }
    return NULL;
}

/* The fix of a critical reason: for the console alone, the setting that hands it off too. */
static char *
critical_fix(const VhReason *r)
{
    if (r->console_device != NULL)
        return g_strdup_printf(
            "run 'vfio-handoff enable --console-handoff %s' to set console-handoff=true: the "
            "host's console is then released from it at start and restored at stop, and the "
            "host has no local console while the VM runs; or choose another device",
            r->console_device);
    return g_strdup("choose another device: the host needs this one");
}

/* The boot VGA devices whose console this handoff releases: those a waived reason names. */
static void
note_consoles(Eval *ev)
{
    for (guint i = 0; i < ev->e->handoff->len; i++) {
        const VhPciDevice *dev = g_ptr_array_index(ev->e->handoff, i);
        const VhVerdict *v = vh_verdicts_get(ev->f->snap->verdicts, dev->name);

        for (guint j = 0; j < v->reasons->len; j++) {
            const VhReason *r = g_ptr_array_index(v->reasons, j);
            const VhPciDevice *gpu =
                r->console_device != NULL
                    ? vh_inventory_lookup(ev->f->snap->inventory, r->console_device)
                    : NULL;

            if (gpu != NULL && console_waived(ev, r) &&
                g_ptr_array_find(ev->e->handoff, gpu, NULL) &&
                !g_ptr_array_find(ev->e->consoles, gpu, NULL))
                g_ptr_array_add(ev->e->consoles, (gpointer)gpu);
        }
    }
}

/* Whether @h holds for someone other than the domain evaluated. A device detached by hand is
 * prepared for any domain to use: it is nobody's hold. */
static gboolean
held_by_other(Eval *ev, const VhHolder *h)
{
    return h->state != VH_HOLDER_BY_HAND &&
           (ev->f->domain == NULL || g_strcmp0(h->domain_name, ev->f->domain->name) != 0);
}

/* The live holding of @dev by a domain other than this one, else a stale one, else NULL. */
static const VhHolder *
holding_of(Eval *ev, const VhPciDevice *dev, gboolean *other_live)
{
    const VhHolder *stale = NULL;

    *other_live = FALSE;
    for (guint i = 0; i < ev->f->snap->holders->len; i++) {
        const VhHolder *h = g_ptr_array_index(ev->f->snap->holders, i);

        if (strcmp(h->device, dev->name) != 0 || !held_by_other(ev, h))
            continue;
        if (vh_holder_is_alive(h)) {
            *other_live = TRUE;
            return h;
        }
        stale = h;
    }
    return stale;
}

static gboolean
check_held(Eval *ev, const VhPciDevice *dev)
{
    gboolean live;
    const VhHolder *h = holding_of(ev, dev, &live);

    if (h != NULL && live) {
        g_autofree char *word = h->domain_name != NULL ? vh_error_shell_word(h->domain_name) : NULL;

        if (h->domain_name != NULL && h->state == VH_HOLDER_STARTING)
            FAIL(ev, VH_CHECK_DEVICE, "not-held", dev->name,
                 g_strdup_printf("wait until '%s' has started, then run 'virsh shutdown %s'",
                                 h->domain_name, word),
                 "held by the domain '%s', which is starting (%s)", h->domain_name, h->via);
        else if (h->domain_name != NULL)
            FAIL(ev, VH_CHECK_DEVICE, "not-held", dev->name,
                 g_strdup_printf("run 'virsh shutdown %s' first", word),
                 "held by the running domain '%s' (pid %d, %s)", h->domain_name, h->pid, h->via);
        else
            FAIL(ev, VH_CHECK_DEVICE, "not-held", dev->name,
                 g_strdup_printf("stop process %d first", h->pid),
                 "held by process %d, not a libvirt domain (%s)", h->pid, h->via);
        return FALSE;
    }
    if (h != NULL)
        PASS(ev, VH_CHECK_DEVICE, "not-held", dev->name,
             "was held by '%s' (pid %d), which is gone: taken over",
             h->domain_name != NULL ? h->domain_name : "a process", h->pid);
    else
        PASS(ev, VH_CHECK_DEVICE, "not-held", dev->name, "no other domain holds it");
    return TRUE;
}

/* The journal's record of @dev when it is wedged (it did not come back from its reset when its
 * last domain stopped), else NULL. */
static const VhJournalRecord *
wedged_record(Eval *ev, const VhPciDevice *dev)
{
    const VhJournalRecord *r = vh_snapshot_record(ev->f->snap, dev->name);

    return r != NULL && r->state == VH_JOURNAL_WEDGED ? r : NULL;
}

/* A wedged device goes to no domain: it needs a reset only a reboot gives it. */
static gboolean
check_not_wedged(Eval *ev, const VhPciDevice *dev)
{
    const VhJournalRecord *r = wedged_record(ev, dev);

    if (r == NULL) {
        PASS(ev, VH_CHECK_DEVICE, "not-wedged", dev->name, "it answers, as far as is known");
        return TRUE;
    }
    FAIL(ev, VH_CHECK_DEVICE, "not-wedged", dev->name,
         g_strdup("reboot the host to reset it; 'vfio-handoff status' shows it"),
         "wedged: it did not answer after its reset when '%s' stopped (its config space read "
         "0xffff), so it stays on vfio-pci",
         r->domain != NULL ? r->domain : "its holder");
    return FALSE;
}

/* Puts @dev on the hand-off list, or the left-alone list. A device already on vfio-pci is
 * taken over when a holder that is gone left it there, and left alone when someone else
 * prepared it (nodedev-detach, a boot option): its group must still be complete. */
static void
take(Eval *ev, const VhPciDevice *dev)
{
    gboolean live;
    const VhHolder *h;

    if (g_ptr_array_find(ev->e->handoff, dev, NULL) || g_ptr_array_find(ev->e->left_alone, dev, NULL))
        return;
    if (!vh_pci_device_is_on_vfio(dev)) {
        g_ptr_array_add(ev->e->handoff, (gpointer)dev);
        return;
    }
    h = holding_of(ev, dev, &live);
    if (h != NULL && !live)
        g_ptr_array_add(ev->e->handoff, (gpointer)dev);
    else if (h == NULL)
        g_ptr_array_add(ev->e->left_alone, (gpointer)dev);
}

/* The companions of @dev: which are handed off with it, which are fine as they are, which block */
static void
check_group(Eval *ev, const VhPciDevice *dev)
{
    VhIommuGroup *group = vh_inventory_group_of(ev->f->snap->inventory, dev);
    g_autoptr(GPtrArray) companions = NULL;
    g_autoptr(GString) along = g_string_new(NULL);

    if (group == NULL) {
        FAIL(ev, VH_CHECK_DEVICE, "group-integrity", dev->name,
             g_strdup("run 'vfio-handoff check'"), "no IOMMU group: the IOMMU is off");
        return;
    }
    companions = vh_inventory_companions(ev->f->snap->inventory, dev);
    for (guint i = 0; i < companions->len; i++) {
        VhPciDevice *c = g_ptr_array_index(companions, i);
        const VhVerdict *cv = vh_verdicts_get(ev->f->snap->verdicts, c->name);
        const VhReason *r;
        gboolean live, waived;

        if (wedged_record(ev, c) != NULL) {
            FAIL(ev, VH_CHECK_DEVICE, "group-integrity", dev->name,
                 g_strdup("reboot the host to reset it; 'vfio-handoff status' shows it"),
                 "companion %s in IOMMU group %d is wedged: it did not come back from its reset",
                 c->name, group->number);
            return;
        }
        if (vh_pci_device_is_on_vfio(c) && holding_of(ev, c, &live) != NULL && !live) {
            take(ev, c); /* left on vfio-pci by a holder that is gone */
            continue;
        }
        /* vfio-pci, pci-stub or no driver: acceptable as it is, unless its console goes too */
        if (vh_pci_device_is_viable_member(c) &&
            (critical_reason(ev, cv, &waived) != NULL || !waived))
            continue;
        if ((r = critical_reason(ev, cv, &waived)) != NULL || (r = in_use_reason(cv)) != NULL) {
            FAIL(ev, VH_CHECK_DEVICE, "group-integrity", dev->name,
                 r->console_device != NULL
                     ? critical_fix(r)
                     : g_strdup("choose another device: the whole group goes to the VM, and the "
                                "host needs that companion"),
                 "companion %s (%s) in IOMMU group %d cannot be handed off: %s", c->name,
                 c->driver != NULL ? c->driver : "no driver", group->number, r->text);
            return;
        }
        if (holding_of(ev, c, &live) != NULL && live) {
            FAIL(ev, VH_CHECK_DEVICE, "group-integrity", dev->name,
                 g_strdup("stop the domain holding it first"),
                 "companion %s in IOMMU group %d is held by another domain", c->name,
                 group->number);
            return;
        }
        g_string_append_printf(along, "%s%s (%s)", along->len > 0 ? ", " : "", c->name, c->driver);
        take(ev, c);
    }
    if (along->len > 0)
        PASS(ev, VH_CHECK_DEVICE, "group-integrity", dev->name,
             "IOMMU group %d: its companion %s will be handed off too", group->number, along->str);
    else
        PASS(ev, VH_CHECK_DEVICE, "group-integrity", dev->name,
             "IOMMU group %d: no other endpoint needs moving", group->number);
}

/*
 * The enabled section of another device this domain asks for in @dev's IOMMU group, or NULL.
 * The whole group goes to the VM with an enabled device anyway, so a companion the policy does
 * not name (the GPU's audio function, which `add` lists next to the GPU) goes with it.
 */
static const VhPolicyDevice *
enabled_mate(Eval *ev, const VhPciDevice *dev, const VhPciDevice **mate)
{
    const GPtrArray *requested = ev->e->requested;
    VhIommuGroup *group = vh_inventory_group_of(ev->f->snap->inventory, dev);

    for (guint i = 0; group != NULL && i < requested->len; i++) {
        const VhPciDevice *m = vh_inventory_lookup(ev->f->snap->inventory,
                                                   g_ptr_array_index((GPtrArray *)requested, i));
        const VhPolicyDevice *pd = m != NULL && m != dev ? vh_policy_device_for(ev->f->policy, m) : NULL;

        if (pd != NULL && pd->enabled &&
            vh_inventory_group_of(ev->f->snap->inventory, m) == group) {
            *mate = m;
            return pd;
        }
    }
    return NULL;
}

/* Whether the policy enables @dev, itself or as the companion @mate of an enabled device. */
static const VhPolicyDevice *
check_enabled(Eval *ev, const VhPciDevice *dev, const VhPciDevice **mate)
{
    const char *address = dev->name;
    const VhPolicyDevice *pd = vh_policy_device_for(ev->f->policy, dev);

    if (pd == NULL && (pd = enabled_mate(ev, dev, mate)) != NULL)
        PASS(ev, VH_CHECK_DEVICE, "device-enabled", address,
             "goes with %s, enabled by [device %s] at '%s:%d'", (*mate)->name, pd->spec, pd->file,
             pd->line);
    else if (pd == NULL)
        FAIL(ev, VH_CHECK_DEVICE, "device-enabled", address,
             g_strdup_printf("run 'vfio-handoff enable %s'", address),
             "not enabled for passthrough");
    else if (!pd->enabled)
        FAIL(ev, VH_CHECK_DEVICE, "device-enabled", address,
             g_strdup_printf("run 'vfio-handoff enable %s'", address),
             "disabled by [device %s] at '%s:%d'", pd->spec, pd->file, pd->line);
    else
        PASS(ev, VH_CHECK_DEVICE, "device-enabled", address, "enabled by [device %s] at '%s:%d'",
             pd->spec, pd->file, pd->line);
    return pd != NULL && pd->enabled ? pd : NULL;
}

/* Whether the enabled section @pd lets this domain have @dev. */
static void
check_allowed(Eval *ev, const VhPciDevice *dev, const VhPolicyDevice *pd)
{
    const VhDomainDef *dom = ev->f->domain;
    g_autofree char *list = NULL;

    if (dom == NULL)
        return; /* by hand: for no domain */
    if (vh_policy_device_allows_domain(pd, dom->name)) {
        if (pd->domains == NULL)
            PASS(ev, VH_CHECK_DEVICE, "domain-allowed", dev->name, "any domain may use it");
        else
            PASS(ev, VH_CHECK_DEVICE, "domain-allowed", dev->name, "'%s' is one of its domains",
                 dom->name);
        return;
    }
    list = g_strjoinv("', '", pd->domains);
    FAIL(ev, VH_CHECK_DEVICE, "domain-allowed", dev->name,
         g_strdup_printf("run 'vfio-handoff enable %s --domain %s'", dev->name, dom->name),
         "may be used only by '%s', not by '%s'", list, dom->name);
}

/* Whether @dev still holds the identity @pd pinned (a companion, @mate set, has none). */
static void
check_identity(Eval *ev, const VhPciDevice *dev, const VhPolicyDevice *pd, const VhPciDevice *mate)
{
    g_autofree char *pinned = NULL;
    g_autofree char *now = NULL;
    g_autofree char *vf = NULL;

    if (!pd->has_identity || mate != NULL) {
        PASS(ev, VH_CHECK_DEVICE, "identity", dev->name, "no identity pinned");
        return;
    }
    pinned = vh_policy_device_identity(pd);
    now = pd->identity_has_subsystem ? vh_pci_device_identity(dev) : vh_pci_device_ids(dev);
    if (!vh_policy_identity_matches(pd, dev))
        FAIL(ev, VH_CHECK_DEVICE, "identity", dev->name,
             g_strdup_printf("check the hardware, then pin it again: run 'vfio-handoff enable "
                             "%s'",
                             dev->name),
             "now holds %s, not the pinned %s: the hardware changed", now, pinned);
    else if (pd->has_vf && (vf = vh_policy_vf_mismatch(pd, dev, ev->f->snap->inventory)) != NULL)
        FAIL(ev, VH_CHECK_DEVICE, "identity", dev->name,
             g_strdup_printf("check which VF the domain should have, then pin it again: run "
                             "'vfio-handoff enable %s'",
                             dev->name),
             "%s", vf);
    else if (pd->has_vf)
        PASS(ev, VH_CHECK_DEVICE, "identity", dev->name, "holds %s, VF %d of %s, as pinned", now,
             pd->vf_index, pd->vf_of);
    else
        PASS(ev, VH_CHECK_DEVICE, "identity", dev->name, "holds %s, as pinned", now);
}

/* Whether the host needs @dev, or uses it now. */
static void
check_host_needs(Eval *ev, const VhPciDevice *dev)
{
    const VhVerdict *v = vh_verdicts_get(ev->f->snap->verdicts, dev->name);
    const VhReason *r;
    gboolean waived;

    if ((r = critical_reason(ev, v, &waived)) != NULL)
        FAIL(ev, VH_CHECK_DEVICE, "not-host-critical", dev->name, critical_fix(r), "%s", r->text);
    else if (waived)
        PASS(ev, VH_CHECK_DEVICE, "not-host-critical", dev->name,
             "the host needs it only for its console, and console-handoff=true: the console is "
             "released at start and restored at stop");
    else if ((r = reason_of(v, VH_REASON_BRIDGE)) != NULL ||
             (r = reason_of(v, VH_REASON_CHIPSET)) != NULL ||
             (r = reason_of(v, VH_REASON_SRIOV_PF)) != NULL)
        FAIL(ev, VH_CHECK_DEVICE, "not-host-critical", dev->name,
             g_strdup(r->fix != NULL ? r->fix : "choose another device"), "%s", r->text);
    else
        PASS(ev, VH_CHECK_DEVICE, "not-host-critical", dev->name, "the host does not depend on it");

    if ((r = in_use_reason(v)) != NULL)
        FAIL(ev, VH_CHECK_DEVICE, "not-in-use", dev->name, g_strdup(r->fix), "%s", r->text);
    else
        PASS(ev, VH_CHECK_DEVICE, "not-in-use", dev->name, "no host process or interface uses it");
}

/* Every check of one device asked for; what may go is put on the hand-off list. */
static void
check_device(Eval *ev, const char *address)
{
    const VhDomainDef *dom = ev->f->domain;
    const VhPciDevice *dev = vh_inventory_lookup(ev->f->snap->inventory, address);
    const VhPciDevice *mate = NULL;
    const VhPolicyDevice *pd;

    if (dev == NULL) {
        FAIL(ev, VH_CHECK_DEVICE, "device-present", address,
             dom != NULL ? g_strdup_printf("correct the <hostdev> address in '%s'; 'vfio-handoff "
                                           "list' shows the devices",
                                           dom->name)
                         : g_strdup("'vfio-handoff list' shows the devices"),
             "no PCI device at this address on this host");
        return;
    }
    /* first: a device that does not answer reads as no device at all (its config space is all
     * ones), so every other check of it would mislead */
    if (!check_not_wedged(ev, dev))
        return;
    if ((pd = check_enabled(ev, dev, &mate)) != NULL) {
        check_allowed(ev, dev, pd);
        check_identity(ev, dev, pd, mate);
    }
    check_host_needs(ev, dev);
    check_held(ev, dev);
    take(ev, dev);
    check_group(ev, dev);
}

static guint
held_by_others(Eval *ev)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < ev->f->snap->holders->len; i++) {
        const VhHolder *h = g_ptr_array_index(ev->f->snap->holders, i);

        if (vh_holder_is_alive(h) && held_by_other(ev, h))
            g_hash_table_add(seen, h->device);
    }
    return g_hash_table_size(seen);
}

static void
check_limits(Eval *ev, guint requested)
{
    const VhDomainDef *dom = ev->f->domain;
    int max = dom != NULL ? vh_policy_max_devices_for(ev->f->policy, dom->name) : 0;
    guint others = held_by_others(ev), total = others + ev->e->handoff->len;

    if (dom == NULL)
        ; /* by hand: for no domain */
    else if ((int)requested <= max)
        PASS(ev, VH_CHECK_DOMAIN, "domain-limit", dom->name, "%u of at most %d devices", requested,
             max);
    else
        FAIL(ev, VH_CHECK_DOMAIN, "domain-limit", dom->name,
             g_strdup_printf("remove hostdevs from '%s', or raise max-devices in [domain %s]",
                             dom->name, dom->name),
             "asks for %u devices, more than max-devices=%d", requested, max);
    if ((int)total <= ev->f->policy->max_active_devices)
        PASS(ev, VH_CHECK_HOST, "host-limit", "host",
             "%u of at most %d devices handed off on this host", total,
             ev->f->policy->max_active_devices);
    else
        FAIL(ev, VH_CHECK_HOST, "host-limit", "host",
             g_strdup("stop a VM that holds devices, or raise max-active-devices in [host]"),
             "handing off %u more devices would make %u on this host, more than "
             "max-active-devices=%d",
             ev->e->handoff->len, total, ev->f->policy->max_active_devices);
}

/* Whether the domain locks its memory as lock-memory asks (libvirt's VFIO memlock rule). */
static void
check_lock_memory(Eval *ev)
{
    const VhDomainDef *dom = ev->f->domain;
    const VhPolicy *p = ev->f->policy;
    guint64 mem = dom->memory_kib * 1024, need = mem + p->memory_overhead;
    g_autofree char *mem_s = vh_format_size(mem);

    switch (p->lock_memory) {
    case VH_LOCK_MEMORY_OFF:
        PASS(ev, VH_CHECK_DOMAIN, "lock-memory", dom->name, "not checked (lock-memory=off)");
        break;
    case VH_LOCK_MEMORY_REQUIRED:
    case VH_LOCK_MEMORY_LIMIT:
        if (dom->locked) {
            PASS(ev, VH_CHECK_DOMAIN, "lock-memory", dom->name,
                 "its memory is locked (<memoryBacking><locked/>)");
        } else if (p->lock_memory == VH_LOCK_MEMORY_LIMIT && dom->hard_limit_kib * 1024 >= need) {
            g_autofree char *limit = vh_format_size(dom->hard_limit_kib * 1024);

            PASS(ev, VH_CHECK_DOMAIN, "lock-memory", dom->name,
                 "its hard limit %s covers %s of memory and the "
                 "overhead",
                 limit, mem_s);
        } else if (p->lock_memory == VH_LOCK_MEMORY_LIMIT) {
            g_autofree char *limit = vh_format_size(dom->hard_limit_kib * 1024);
            g_autofree char *need_s = vh_format_size(need);

            g_autofree char *word = vh_error_shell_word(dom->name);

            FAIL(ev, VH_CHECK_DOMAIN, "lock-memory", dom->name,
                 g_strdup_printf("raise its hard limit to at least %s with 'virsh memtune %s "
                                 "--hard-limit %" G_GUINT64_FORMAT " --config', or lock its "
                                 "memory: 'vfio-handoff add %s DEVICE' does it, as does "
                                 "<memoryBacking><locked/></memoryBacking> added with 'virsh "
                                 "edit %s', or --memorybacking locked=on given to virt-install",
                                 need_s, word, (need + 1023) / 1024, word, word),
                 "has no <locked/> memory, and its hard limit (%s) is below memory + "
                 "memory-overhead (%s)",
                 dom->hard_limit_kib > 0 ? limit : "none", need_s);
        } else {
            g_autofree char *word = vh_error_shell_word(dom->name);

            FAIL(ev, VH_CHECK_DOMAIN, "lock-memory", dom->name,
                 g_strdup_printf("lock its memory: 'vfio-handoff add %s DEVICE' does it, as does "
                                 "<memoryBacking><locked/></memoryBacking> added with 'virsh "
                                 "edit %s', or --memorybacking locked=on given to virt-install; "
                                 "or set lock-memory=off in [host] of the policy, which leaves "
                                 "it to libvirt",
                                 word, word),
                 "does not lock its memory, and lock-memory=required");
        }
        break;
    }
}

/* Whether the guest's memory fits: in free huge pages of its size, or in MemAvailable less
 * memory-reserve. */
static void
check_admission(Eval *ev)
{
    const VhDomainDef *dom = ev->f->domain;
    const VhPolicy *p = ev->f->policy;
    guint64 mem = dom->memory_kib * 1024;
    g_autofree char *mem_s = vh_format_size(mem);

    if (dom->hugepages) {
        guint64 free_kib =
            vh_host_memory_hugepages_free_kib(&ev->f->snap->memory, dom->hugepage_kib);
        g_autofree char *free_s = vh_format_size(free_kib * 1024);

        if (free_kib * 1024 >= mem)
            PASS(ev, VH_CHECK_DOMAIN, "memory-admission", dom->name,
                 "%s fits in %s of free huge pages", mem_s, free_s);
        else
            FAIL(ev, VH_CHECK_DOMAIN, "memory-admission", dom->name,
                 g_strdup(
                     "reserve more huge pages with vm.nr_hugepages, or give the guest less memory"),
                 "%s of guest memory does not fit in %s of free huge pages", mem_s, free_s);
        return;
    }
    {
        guint64 avail = ev->f->snap->memory.available_kib * 1024;
        guint64 usable = avail > p->memory_reserve ? avail - p->memory_reserve : 0;
        g_autofree char *avail_s = vh_format_size(avail);
        g_autofree char *reserve_s = vh_format_size(p->memory_reserve);
        g_autofree char *usable_s = vh_format_size(usable);

        if (mem <= usable)
            PASS(ev, VH_CHECK_DOMAIN, "memory-admission", dom->name,
                 "%s fits in %s available less the %s reserve", mem_s, avail_s, reserve_s);
        else
            FAIL(ev, VH_CHECK_DOMAIN, "memory-admission", dom->name,
                 g_strdup("free host memory, give the guest less, or lower memory-reserve in "
                          "[host]"),
                 "%s of guest memory does not fit: %s available less the %s reserve leaves %s",
                 mem_s, avail_s, reserve_s, usable_s);
    }
}

VhEvaluation *
vh_policy_evaluate(const VhFacts *f)
{
    Eval ev = {.f = f};
    const GPtrArray *requested;
    g_autoptr(GPtrArray) own = f->devices == NULL ? vh_domain_def_unmanaged(f->domain) : NULL;
    const GPtrArray *asked = own != NULL ? own : f->devices;

    ev.e = g_new0(VhEvaluation, 1);
    ev.e->requested = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < asked->len; i++)
        g_ptr_array_add(ev.e->requested, g_strdup(g_ptr_array_index((GPtrArray *)asked, i)));
    requested = ev.e->requested;
    ev.e->checks = g_ptr_array_new_with_free_func((GDestroyNotify)check_free);
    ev.e->handoff = g_ptr_array_new();
    ev.e->left_alone = g_ptr_array_new();
    ev.e->consoles = g_ptr_array_new();

    if (vh_policy_has_errors(f->policy, FALSE)) {
        const VhPolicyIssue *first = NULL;
        g_autofree char *where = NULL;
        char *fix = NULL;

        for (guint i = 0; i < f->policy->issues->len && first == NULL; i++) {
            const VhPolicyIssue *x = g_ptr_array_index(f->policy->issues, i);

            if (x->severity == VH_ISSUE_ERROR)
                first = x;
        }
        vh_policy_issue_split(first, "run 'vfio-handoff policy validate'", &where, &fix);
        FAIL(&ev, VH_CHECK_HOST, "policy-valid", "host", fix,
             "the policy has errors, the first: %s", where);
    } else {
        PASS(&ev, VH_CHECK_HOST, "policy-valid", "host", "the policy has no errors");
    }
    if (f->policy->enabled)
        PASS(&ev, VH_CHECK_HOST, "host-enabled", "host", "passthrough is enabled on this host");
    else
        FAIL(&ev, VH_CHECK_HOST, "host-enabled", "host",
             g_strdup("set enabled=true in [host] of the policy"),
             "passthrough is turned off on this host ([host] enabled=false)");

    for (guint i = 0; i < requested->len; i++)
        check_device(&ev, g_ptr_array_index((GPtrArray *)requested, i));
    if (requested->len > 0)
        check_limits(&ev, requested->len);
    if (requested->len > 0 && f->domain != NULL) {
        check_lock_memory(&ev);
        check_admission(&ev);
    }
    ev.e->allowed = vh_evaluation_first_failure(ev.e) == NULL;
    if (ev.e->allowed)
        note_consoles(&ev);
    return ev.e;
}
