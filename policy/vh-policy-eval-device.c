/* vfio-handoff policy: the checks of one device asked for and of its IOMMU group: enabled,
 * allowed for the domain, its identity, what the host needs, held, wedged, the group whole.
 * Pure, as the evaluation is. */
#include "config.h"

#include <string.h>

#include "vh-error.h"
#include "vh-policy-eval-private.h"

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
void
vh_eval_note_consoles(Eval *ev)
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

/* The live holding of @dev by a domain other than this one, else a stale one, else NULL. */
static const VhHolder *
holding_of(Eval *ev, const VhPciDevice *dev, gboolean *other_live)
{
    const VhHolder *stale = NULL;

    *other_live = FALSE;
    for (guint i = 0; i < ev->f->snap->holders->len; i++) {
        const VhHolder *h = g_ptr_array_index(ev->f->snap->holders, i);

        if (strcmp(h->device, dev->name) != 0 || !vh_eval_held_by_other(ev, h))
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
    if (h != NULL && h->state == VH_HOLDER_UNPLUGGED)
        PASS(ev, VH_CHECK_DEVICE, "not-held", dev->name,
             "was unplugged from '%s' (pid %d), which runs on without it: taken over",
             h->domain_name, h->pid);
    else if (h != NULL)
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

    if (g_ptr_array_find(ev->e->handoff, dev, NULL) ||
        g_ptr_array_find(ev->e->left_alone, dev, NULL))
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
        const VhPolicyDevice *pd =
            m != NULL && m != dev ? vh_policy_device_for(ev->f->policy, m) : NULL;

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
void
vh_eval_check_device(Eval *ev, const char *address)
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
