/* vfio-handoff policy: what the inventory says of one device — the hook's own evaluation of it
 * (DESIGN §2, §5), so that list, show and groups never contradict a start */
#pragma once

#include <glib.h>

#include "vh-host-check.h"
#include "vh-policy-eval.h"

G_BEGIN_DECLS

typedef struct {
    VhEvaluation *eval;  /* the hook's checks of the device alone, for no particular domain
                          * (as `detach` asks them): owned */
    gboolean enabled;    /* the policy enables it */
    gboolean passable;   /* no check fails but device-enabled: enabling it is all it takes */
    /* VhPolicyCheck * borrowed from eval: the failed checks, the most telling first. The
     * device-enabled check carries its fix ('vfio-handoff enable') only when enabling is all it
     * takes; where something else also fails, that is the fix to follow first. */
    GPtrArray *reasons;
    /* char *: what a handoff of it also does, owned: the boot console released at start and
     * restored at stop (console-handoff=true) */
    GPtrArray *notes;
} VhDeviceAnswer;

VhDeviceAnswer *vh_policy_answer(const VhPolicy *policy, const VhSnapshot *snap,
                                 const VhPciDevice *dev);
void vh_device_answer_free(VhDeviceAnswer *answer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhDeviceAnswer, vh_device_answer_free)

/* The "policy" item of `vfio-handoff check`: fail with the first error's FILE:LINE when the
 * policy has errors (the hook refuses every start then), warn on unknown keys or sections and
 * when passthrough is turned off, pass otherwise. */
VhCheckItem *vh_policy_check_item(const VhPolicy *policy);

G_END_DECLS
