/* vfio-handoff policy: evaluation. Pure: every input is in VhFacts. The checks of a device are
 * in vh-policy-eval-device.c, those of the domain in vh-policy-eval-domain.c. */
#include "config.h"

#include <string.h>

#include "vh-policy-eval-private.h"

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
    g_hash_table_unref(eval->vfio_drivers);
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
    ev.e->vfio_drivers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

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
        vh_eval_check_device(&ev, g_ptr_array_index((GPtrArray *)requested, i));
    vh_eval_choose_drivers(&ev);
    if (requested->len > 0)
        vh_eval_check_limits(&ev, requested->len);
    if (requested->len > 0 && f->domain != NULL) {
        vh_eval_check_lock_memory(&ev);
        if (!f->running)
            vh_eval_check_admission(&ev);
    }
    ev.e->allowed = vh_evaluation_first_failure(ev.e) == NULL;
    if (ev.e->allowed)
        vh_eval_note_consoles(&ev);
    return ev.e;
}
