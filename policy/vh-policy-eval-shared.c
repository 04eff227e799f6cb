/* vfio-handoff policy: what the parts of the evaluation share (vh-policy-eval-private.h), in a
 * file that calls none of them: recording a check, and whose a holding is. */
#include "config.h"

#include "vh-policy-eval-private.h"

void
vh_eval_add(Eval *ev, VhCheckKind kind, const char *id, const char *subject, char *reason,
            char *fix)
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

gboolean
vh_eval_held_by_other(Eval *ev, const VhHolder *h)
{
    return h->state != VH_HOLDER_BY_HAND &&
           (ev->f->domain == NULL || g_strcmp0(h->domain_name, ev->f->domain->name) != 0);
}
