/* vfio-handoff: verdicts — DESIGN §2 */
#include "config.h"

#include <string.h>

#include "vh-verdict.h"

static void
reason_free(VhReason *r)
{
    g_free(r->text);
    g_free(r->fix);
    g_free(r->console_device);
    g_free(r);
}

static void
verdict_free(VhVerdict *v)
{
    g_ptr_array_unref(v->reasons);
    g_free(v);
}

G_GNUC_PRINTF(3, 4)
static void
add_reason(VhVerdict *v, VhReasonKind kind, const char *fmt, ...)
{
    VhReason *r = g_new0(VhReason, 1);
    va_list ap;

    va_start(ap, fmt);
    r->kind = kind;
    r->text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(v->reasons, r);
}

static VhReason *
last_reason(VhVerdict *v)
{
    return g_ptr_array_index(v->reasons, v->reasons->len - 1);
}

static void
set_fix(VhVerdict *v, const char *fix)
{
    last_reason(v)->fix = g_strdup(fix);
}

/* The boot VGA whose console is the only thing that makes @v host-critical, else NULL. */
static const char *
console_only(const VhVerdict *v)
{
    const char *dev = NULL;

    for (guint i = 0; i < v->reasons->len; i++) {
        VhReason *r = g_ptr_array_index(v->reasons, i);

        if (r->kind != VH_REASON_HOST_CRITICAL)
            continue;
        if (r->console_device == NULL)
            return NULL;
        dev = r->console_device;
    }
    return dev;
}

/* The host-critical uses of one device, as reasons. */
static void
add_critical_reasons(VhVerdict *v, GPtrArray *uses)
{
    for (guint i = 0; uses != NULL && i < uses->len; i++) {
        VhUse *use = g_ptr_array_index(uses, i);
        g_autofree char *what = NULL;

        if (!vh_use_is_critical(use))
            continue;
        what = vh_use_describe(use);
        if (use->kind == VH_USE_CONSOLE) {
            add_reason(v, VH_REASON_HOST_CRITICAL, "host-critical: boot VGA; %s", what);
            if (use->direct) /* a bridge above it stays with the host anyway */
                last_reason(v)->console_device = g_strdup(v->device->name);
        } else if (use->direct)
            add_reason(v, VH_REASON_HOST_CRITICAL, "host-critical: %s", what);
        else
            add_reason(v, VH_REASON_HOST_CRITICAL, "host-critical: %s (below this bridge)", what);
        v->host_critical = TRUE;
    }
}

/* A subject the host depends on is said once, as host-critical, not again as in use. */
static gboolean
is_critical_subject(GPtrArray *uses, const char *subject)
{
    for (guint i = 0; i < uses->len; i++) {
        VhUse *use = g_ptr_array_index(uses, i);

        if (vh_use_is_critical(use) && g_strcmp0(use->subject, subject) == 0)
            return TRUE;
    }
    return FALSE;
}

static void
add_in_use_reasons(VhVerdict *v, GPtrArray *uses)
{
    for (guint i = 0; uses != NULL && i < uses->len; i++) {
        VhUse *use = g_ptr_array_index(uses, i);
        g_autofree char *what = NULL;

        if (vh_use_is_critical(use) || is_critical_subject(uses, use->subject))
            continue;
        what = vh_use_describe(use);
        add_reason(v, VH_REASON_IN_USE, "in use: %s", what);
        if (use->kind == VH_USE_NETDEV_UP)
            set_fix(v, "take the interface down or remove its addresses first");
        else
            set_fix(v, "stop the process holding it first");
        v->in_use = TRUE;
    }
}

/* The first critical reason of a group mate, to quote in "shares IOMMU group" */
static const char *
first_critical_text(const VhVerdict *v)
{
    for (guint i = 0; i < v->reasons->len; i++) {
        VhReason *r = g_ptr_array_index(v->reasons, i);

        if (r->kind == VH_REASON_HOST_CRITICAL)
            return r->text + strlen("host-critical: ");
    }
    return "";
}

/* What @dev is by itself, and what the host uses it for (@uses). */
static VhVerdict *
verdict_of(VhPciDevice *dev, GPtrArray *uses)
{
    VhVerdict *v = g_new0(VhVerdict, 1);
    guint16 cls = vh_pci_device_class(dev);

    v->device = dev;
    v->reasons = g_ptr_array_new_with_free_func((GDestroyNotify)reason_free);
    add_critical_reasons(v, uses);
    if (!vh_pci_device_is_endpoint(dev)) {
        add_reason(v, VH_REASON_BRIDGE,
                   "PCI bridge: stays with the host (pass the devices "
                   "below it)");
    } else if (cls == VH_PCI_CLASS_BRIDGE_HOST || cls == VH_PCI_CLASS_BRIDGE_ISA) {
        add_reason(v, VH_REASON_CHIPSET, "%s: part of the chipset",
                   cls == VH_PCI_CLASS_BRIDGE_HOST ? "host bridge" : "ISA bridge");
    }
    add_in_use_reasons(v, uses);
    if (dev->sriov_numvfs > 0) {
        g_autoptr(GString) vfs = g_string_new(NULL);

        for (guint i = 0; i < dev->virtfns->len; i++)
            g_string_append_printf(vfs, "%s%s", i > 0 ? ", " : "",
                                   (const char *)g_ptr_array_index(dev->virtfns, i));
        add_reason(v, VH_REASON_SRIOV_PF,
                   "SR-IOV PF with %d VF%s enabled (%s): handing it off would remove them",
                   dev->sriov_numvfs, dev->sriov_numvfs == 1 ? "" : "s", vfs->str);
        set_fix(v, "pass one of its VFs, or set sriov_numvfs to 0 first");
    }
    if (dev->iommu_group < 0) {
        add_reason(v, VH_REASON_NO_IOMMU, "no IOMMU group: the IOMMU is off");
        set_fix(v, "run 'vfio-handoff check'");
    }
    return v;
}

/* Marks every other endpoint of @group host-critical when one of them is. */
static void
taint_group(VhVerdicts *out, const VhIommuGroup *group)
{
    for (guint j = 0; j < group->members->len; j++) {
        VhPciDevice *crit = g_ptr_array_index(group->members, j);
        VhVerdict *cv = g_hash_table_lookup(out->by_device, crit->name);

        if (!vh_pci_device_is_endpoint(crit) || !cv->host_critical ||
            first_critical_text(cv)[0] == '\0')
            continue;
        for (guint k = 0; k < group->members->len; k++) {
            VhPciDevice *mate = g_ptr_array_index(group->members, k);
            VhVerdict *mv = g_hash_table_lookup(out->by_device, mate->name);

            /* host_critical already set: critical itself, or tainted by another mate */
            if (mate == crit || !vh_pci_device_is_endpoint(mate) || mv->host_critical)
                continue;
            add_reason(mv, VH_REASON_GROUP_CRITICAL,
                       "shares IOMMU group %d with host-critical %s (%s)", group->number,
                       crit->name, first_critical_text(cv));
            last_reason(mv)->console_device = g_strdup(console_only(cv));
            mv->host_critical = TRUE;
        }
    }
}

VhVerdicts *
vh_verdicts_compute(const VhInventory *inv, const VhHostUsage *usage)
{
    VhVerdicts *out = g_new0(VhVerdicts, 1);

    out->by_device = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                           (GDestroyNotify)verdict_free);

    /* pass 1: what each device is by itself */
    for (guint i = 0; i < inv->devices->len; i++) {
        VhPciDevice *dev = g_ptr_array_index(inv->devices, i);

        g_hash_table_insert(
            out->by_device, dev->name,
            verdict_of(dev, usage != NULL ? vh_host_usage_for(usage, dev->name) : NULL));
    }

    /* pass 2: a host-critical endpoint taints every other endpoint of its group, because the
     * kernel hands out whole groups only */
    for (guint i = 0; i < inv->groups->len; i++)
        taint_group(out, g_ptr_array_index(inv->groups, i));

    /* pass 3: passable when nothing speaks against it */
    {
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, out->by_device);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
            VhVerdict *v = value;

            v->passable = v->reasons->len == 0;
        }
    }
    return out;
}

void
vh_verdicts_free(VhVerdicts *verdicts)
{
    if (verdicts == NULL)
        return;
    g_hash_table_unref(verdicts->by_device);
    g_free(verdicts);
}

const VhVerdict *
vh_verdicts_get(const VhVerdicts *verdicts, const char *device)
{
    return g_hash_table_lookup(verdicts->by_device, device);
}

const char *
vh_reason_kind_to_string(VhReasonKind kind)
{
    switch (kind) {
    case VH_REASON_NO_IOMMU:
        return "no-iommu";
    case VH_REASON_BRIDGE:
        return "bridge";
    case VH_REASON_CHIPSET:
        return "chipset";
    case VH_REASON_HOST_CRITICAL:
        return "host-critical";
    case VH_REASON_GROUP_CRITICAL:
        return "group-critical";
    case VH_REASON_IN_USE:
        return "in-use";
    case VH_REASON_SRIOV_PF:
        return "sriov-pf";
    }
    g_assert_not_reached();
}
