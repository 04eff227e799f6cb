/* vfio-handoff policy: the model and its questions */
#include "config.h"

#include <string.h>

#include "vh-error.h"
#include "vh-inventory.h"
#include "vh-policy.h"

static void
device_free(VhPolicyDevice *pd)
{
    g_free(pd->spec);
    g_free(pd->vfio_driver);
    g_strfreev(pd->domains);
    g_free(pd->file);
    g_free(pd);
}

static void
domain_free(VhPolicyDomain *d)
{
    g_free(d->name);
    g_free(d);
}

static void
issue_free(VhPolicyIssue *issue)
{
    g_free(issue->file);
    g_free(issue->message);
    g_free(issue);
}

VhPolicy *
vh_policy_new(void)
{
    VhPolicy *p = g_new0(VhPolicy, 1);

    /* DESIGN §3 defaults (VMware: 8 devices per host, 6 per VM) */
    p->enabled = TRUE;
    p->max_active_devices = 8;
    p->lock_memory = VH_LOCK_MEMORY_REQUIRED;
    p->memory_reserve = G_GUINT64_CONSTANT(1) << 30;
    p->memory_overhead = G_GUINT64_CONSTANT(1) << 30;
    p->step_timeout_ms = 10 * 1000;
    p->refuse_migration = TRUE;
    p->default_max_devices = 6;
    p->domains = g_ptr_array_new_with_free_func((GDestroyNotify)domain_free);
    p->devices = g_ptr_array_new_with_free_func((GDestroyNotify)device_free);
    p->issues = g_ptr_array_new_with_free_func((GDestroyNotify)issue_free);
    p->files = g_ptr_array_new_with_free_func(g_free);
    return p;
}

void
vh_policy_free(VhPolicy *policy)
{
    if (policy == NULL)
        return;
    g_ptr_array_unref(policy->domains);
    g_ptr_array_unref(policy->devices);
    g_ptr_array_unref(policy->issues);
    g_ptr_array_unref(policy->files);
    g_free(policy);
}

gboolean
vh_policy_has_errors(const VhPolicy *policy, gboolean strict)
{
    for (guint i = 0; i < policy->issues->len; i++) {
        const VhPolicyIssue *issue = g_ptr_array_index(policy->issues, i);

        if (strict || issue->severity == VH_ISSUE_ERROR)
            return TRUE;
    }
    return FALSE;
}

char *
vh_policy_issue_to_string(const VhPolicyIssue *issue)
{
    if (issue->line > 0)
        return g_strdup_printf("%s:%d: %s", issue->file, issue->line, issue->message);
    return g_strdup_printf("%s: %s", issue->file, issue->message);
}

void
vh_policy_issue_split(const VhPolicyIssue *issue, const char *then, char **reason, char **fix)
{
    g_autofree char *text = vh_policy_issue_to_string(issue);
    g_autofree char *own = NULL;

    vh_error_split_fix(text, reason, &own);
    /* the issue's own fix first, then @then */
    *fix = own != NULL ? g_strdup_printf("%s, then %s", own, then) : g_strdup(then);
}

const VhPolicyDevice *
vh_policy_device_for(const VhPolicy *policy, const VhPciDevice *dev)
{
    const VhPolicyDevice *by_address = NULL, *by_ids = NULL;

    for (guint i = 0; i < policy->devices->len; i++) {
        const VhPolicyDevice *pd = g_ptr_array_index(policy->devices, i);
        gboolean address_ok = !pd->has_address || strcmp(pd->address, dev->name) == 0;
        gboolean ids_ok =
            !pd->has_ids || (pd->vendor_id == dev->vendor_id && pd->device_id == dev->device_id);

        if (!address_ok || !ids_ok)
            continue;
        if (pd->has_address && pd->has_ids)
            return pd; /* the most specific */
        if (pd->has_address)
            by_address = pd;
        else
            by_ids = pd;
    }
    return by_address != NULL ? by_address : by_ids;
}

gboolean
vh_policy_device_allows_domain(const VhPolicyDevice *pd, const char *domain)
{
    if (pd->domains == NULL || pd->domains[0] == NULL)
        return TRUE;
    return g_strv_contains((const char *const *)pd->domains, domain);
}

static char *
identity_text(const guint16 id[4], gboolean has_subsystem)
{
    if (has_subsystem)
        return g_strdup_printf("%04x:%04x:%04x:%04x", id[0], id[1], id[2], id[3]);
    return g_strdup_printf("%04x:%04x", id[0], id[1]);
}

char *
vh_policy_device_identity(const VhPolicyDevice *pd)
{
    return pd->has_identity ? identity_text(pd->identity, pd->identity_has_subsystem) : NULL;
}

char *
vh_policy_device_pf_identity(const VhPolicyDevice *pd)
{
    return pd->has_vf ? identity_text(pd->pf_identity, pd->pf_identity_has_subsystem) : NULL;
}

gboolean
vh_policy_identity_matches(const VhPolicyDevice *pd, const VhPciDevice *dev)
{
    if (!pd->has_identity)
        return TRUE;
    return pd->identity[0] == dev->vendor_id && pd->identity[1] == dev->device_id &&
           (!pd->identity_has_subsystem || (pd->identity[2] == dev->subsys_vendor_id &&
                                            pd->identity[3] == dev->subsys_device_id));
}

int
vh_policy_max_devices_for(const VhPolicy *policy, const char *domain)
{
    for (guint i = 0; i < policy->domains->len; i++) {
        const VhPolicyDomain *d = g_ptr_array_index(policy->domains, i);

        if (strcmp(d->name, domain) == 0 && d->max_devices >= 0)
            return d->max_devices;
    }
    return policy->default_max_devices;
}

const char *
vh_lock_memory_to_string(VhLockMemory mode)
{
    switch (mode) {
    case VH_LOCK_MEMORY_REQUIRED:
        return "required";
    case VH_LOCK_MEMORY_LIMIT:
        return "limit";
    case VH_LOCK_MEMORY_OFF:
        return "off";
    }
    g_assert_not_reached();
}

char *
vh_policy_vf_mismatch(const VhPolicyDevice *pd, const VhPciDevice *dev,
                      const VhInventory *inventory)
{
    const VhPciDevice *pf =
        dev->physfn != NULL ? vh_inventory_lookup(inventory, dev->physfn) : NULL;
    g_autofree char *pinned = vh_policy_device_pf_identity(pd);
    g_autofree char *now = NULL;
    int index;

    if (!pd->has_vf)
        return NULL;
    if (pf == NULL)
        return g_strdup_printf("is no longer an SR-IOV VF, pinned as VF %d of %s", pd->vf_index,
                               pd->vf_of);
    now = pd->pf_identity_has_subsystem ? vh_pci_device_identity(pf) : vh_pci_device_ids(pf);
    index = vh_pci_device_vf_index(pf, dev->name);
    if (strcmp(pf->name, pd->vf_of) != 0 || index != pd->vf_index)
        return g_strdup_printf("is now VF %d of %s, pinned as VF %d of %s: the VFs were "
                               "renumbered (their count changed)",
                               index, pf->name, pd->vf_index, pd->vf_of);
    if (strcmp(now, pinned) != 0)
        return g_strdup_printf("its PF %s now holds %s, not the pinned %s: the hardware changed",
                               pf->name, now, pinned);
    return NULL;
}
