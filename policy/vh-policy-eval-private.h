/* vfio-handoff policy: what the parts of the evaluation share (policy/vh-policy-eval*.c): the
 * evaluation under way and how a check is recorded (vh-policy-eval-shared.c). Not for use
 * outside them. */
#pragma once

#include <glib.h>

#include "vh-policy-eval.h"

G_BEGIN_DECLS

typedef struct {
    const VhFacts *f;
    VhEvaluation *e;
} Eval;

/* Records a check; @fix NULL means it passed. Takes ownership of @reason and @fix. */
void vh_eval_add(Eval *ev, VhCheckKind kind, const char *id, const char *subject, char *reason,
                 char *fix);

#define PASS(ev, kind, id, subject, ...)                                                           \
    do {                                                                                           \
        if (!(ev)->f->failures_only)                                                               \
            vh_eval_add(ev, kind, id, subject, g_strdup_printf(__VA_ARGS__), NULL);                \
    } while (0)
#define FAIL(ev, kind, id, subject, fix, ...)                                                      \
    vh_eval_add(ev, kind, id, subject, g_strdup_printf(__VA_ARGS__), fix)

/* Whether @h holds for someone other than the domain evaluated. A device detached by hand is
 * prepared for any domain to use: it is nobody's hold. */
gboolean vh_eval_held_by_other(Eval *ev, const VhHolder *h);

/* Every check of one device asked for, and of its IOMMU group (vh-policy-eval-device.c). */
void vh_eval_check_device(Eval *ev, const char *address);

/* The VFIO driver of each device to hand off, into VhEvaluation.vfio_drivers, with a check
 * (vh-policy-eval-driver.c). */
void vh_eval_choose_drivers(Eval *ev);

/* Of the devices to hand off, the boot VGA devices whose console is released first. */
void vh_eval_note_consoles(Eval *ev);

/* The domain's checks (vh-policy-eval-domain.c): the per-VM and per-host limits, locked
 * memory, and whether its memory fits the host's. */
void vh_eval_check_limits(Eval *ev, guint requested);
void vh_eval_check_lock_memory(Eval *ev);
void vh_eval_check_admission(Eval *ev);

G_END_DECLS
