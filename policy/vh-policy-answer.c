/* vfio-handoff policy: the inventory's answer for one device, from the hook's evaluation */
#include "config.h"

#include <string.h>

#include "vh-policy-answer.h"

void
vh_device_answer_free(VhDeviceAnswer *a)
{
    if (a == NULL)
        return;
    g_ptr_array_unref(a->reasons);
    g_ptr_array_unref(a->notes);
    vh_evaluation_free(a->eval);
    g_free(a);
}

static gboolean
is_enabled_check(const VhPolicyCheck *c)
{
    return strcmp(c->id, "device-enabled") == 0;
}

VhDeviceAnswer *
vh_policy_answer(const VhPolicy *policy, const VhSnapshot *snap, const VhPciDevice *dev)
{
    VhDeviceAnswer *a = g_new0(VhDeviceAnswer, 1);
    g_autoptr(GPtrArray) one = g_ptr_array_new();
    const VhPolicyDevice *pd = vh_policy_device_for(policy, dev);
    const VhVerdict *v = vh_verdicts_get(snap->verdicts, dev->name);
    VhPolicyCheck *not_enabled = NULL;

    g_ptr_array_add(one, (gpointer)dev->name);
    a->eval = vh_policy_evaluate(&(VhFacts){policy, snap, NULL, one, .failures_only = TRUE});
    a->enabled = pd != NULL && pd->enabled;
    a->reasons = g_ptr_array_new();
    a->notes = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < a->eval->checks->len; i++) {
        VhPolicyCheck *c = g_ptr_array_index(a->eval->checks, i);

        if (c->passed)
            continue;
        if (is_enabled_check(c) && strcmp(c->subject, dev->name) == 0)
            not_enabled = c;
        else
            g_ptr_array_add(a->reasons, c);
    }
    a->passable = a->reasons->len == 0;
    if (not_enabled != NULL) {
        /* its fix works only when nothing else stands in the way: then it comes first */
        if (!a->passable)
            g_clear_pointer(&not_enabled->fix, g_free);
        g_ptr_array_insert(a->reasons, a->passable ? 0 : (gint)a->reasons->len, not_enabled);
    }
    /* a console the policy lets go: said, since the host loses it while a VM runs */
    for (guint i = 0; pd != NULL && pd->console_handoff && i < v->reasons->len; i++) {
        const VhReason *r = g_ptr_array_index(v->reasons, i);

        if (r->console_device != NULL && strcmp(r->console_device, dev->name) == 0)
            g_ptr_array_add(a->notes,
                            g_strdup_printf("console-handoff: released at each start and restored "
                                            "at each stop (%s)",
                                            r->text));
    }
    return a;
}

VhCheckItem *
vh_policy_check_item(const VhPolicy *policy)
{
    const VhPolicyIssue *first = NULL;
    guint errors = 0, unknown = 0;
    VhCheckStatus status = VH_CHECK_PASS;
    char *summary, *fix = NULL;

    for (guint i = 0; i < policy->issues->len; i++) {
        const VhPolicyIssue *x = g_ptr_array_index(policy->issues, i);

        if (x->severity == VH_ISSUE_ERROR && errors++ == 0)
            first = x;
        else if (x->severity == VH_ISSUE_UNKNOWN)
            unknown++;
    }
    if (first != NULL) {
        g_autofree char *where = NULL;

        vh_policy_issue_split(first, "correct it, then run 'vfio-handoff policy validate'", &where,
                              &fix);
        status = VH_CHECK_FAIL;
        summary = g_strdup_printf("%u error%s, so the hook refuses every start; the first: %s",
                                     errors, errors == 1 ? "" : "s", where);
    } else if (unknown > 0) {
        status = VH_CHECK_WARN;
        summary = g_strdup_printf("%u unknown key%s or section%s, which the hook ignores",
                                     unknown, unknown == 1 ? "" : "s", unknown == 1 ? "" : "s");
        fix = g_strdup("run 'vfio-handoff policy validate' to see them");
    } else if (!policy->enabled) {
        status = VH_CHECK_WARN;
        summary = g_strdup("passthrough is turned off ([host] enabled=false): the hook hands "
                              "off nothing");
        fix = g_strdup("set enabled=true in [host] of the policy");
    } else {
        guint n = 0;

        for (guint i = 0; i < policy->devices->len; i++)
            n += ((const VhPolicyDevice *)g_ptr_array_index(policy->devices, i))->enabled;
        summary = g_strdup_printf("%u file%s read, no errors; %u device section%s enabled",
                                     policy->files->len, policy->files->len == 1 ? "" : "s", n,
                                     n == 1 ? "" : "s");
    }
    return vh_check_item_new("policy", status, summary, fix);
}
