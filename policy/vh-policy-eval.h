/* vfio-handoff policy: facts in, an ordered list of checks out (DESIGN §3, §5) */
#pragma once

#include <glib.h>

#include "vh-domain.h"
#include "vh-policy.h"
#include "vh-snapshot.h"

G_BEGIN_DECLS

/* Everything the evaluation looks at. The caller gathers it; evaluation does no I/O. */
typedef struct {
    const VhPolicy *policy;
    const VhSnapshot *snap;    /* devices, verdicts, holders, memory */
    const VhDomainDef *domain; /* the domain that starts; NULL for devices detached by hand
                                * (`detach`), which are for no domain: no domain check applies */
    const GPtrArray *devices;  /* char *: the addresses asked for, in order; NULL: the
                                * domain's own, its managed='no' PCI hostdevs */
    gboolean running;          /* the domain runs already (a hot-plug): its memory is the
                                * host's already, so no admission check */
    gboolean failures_only;    /* keep the failed checks alone (the inventory's answer for each
                                * of a host's devices needs no more, and formats less) */
} VhFacts;

/* what a check is about, and so whom its subject names */
typedef enum {
    VH_CHECK_HOST,   /* the host as a whole: subject "host" */
    VH_CHECK_DOMAIN, /* the domain: subject its name */
    VH_CHECK_DEVICE, /* one device: subject its address */
} VhCheckKind;

typedef struct {
    VhCheckKind kind;
    const char *id;  /* "host-enabled", "device-enabled", ... */
    char *subject;   /* "host", the domain's name, or a device address */
    gboolean passed;
    char *reason;    /* what was found, in a sentence */
    char *fix;       /* what to do; NULL when passed */
} VhPolicyCheck;

/* An evaluation owns its checks and the list of addresses it evaluated; the devices in the
 * other lists are the snapshot's (VhFacts.snap), valid while it is. */
typedef struct {
    GPtrArray *requested;  /* char *: the addresses evaluated (VhFacts.devices, or the domain's) */
    GPtrArray *checks;     /* VhPolicyCheck *, in evaluation order */
    GPtrArray *handoff;    /* VhPciDevice * (borrowed): to detach, requested ones first */
    GPtrArray *left_alone; /* VhPciDevice * (borrowed): already on vfio-pci, someone else's */
    GPtrArray *consoles;   /* VhPciDevice * (borrowed), of handoff: the boot VGA devices whose
                            * console is released first (console-handoff=true) */
    GHashTable *vfio_drivers; /* address -> the module of the VFIO driver each of handoff goes
                               * to: vfio-pci, or a variant (mlx5_vfio_pci); for
                               * vh_handoff_prepare */
    gboolean allowed;      /* every check passed */
} VhEvaluation;

VhEvaluation *vh_policy_evaluate(const VhFacts *facts);
void vh_evaluation_free(VhEvaluation *eval);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhEvaluation, vh_evaluation_free)

/*
 * A check as one line of the message grammar, THING: REASON (fix: FIX): THING is its subject
 * (a device address, "host", a domain's name), left out for a check of the domain @context,
 * which the caller's own prefix names ("vfio-handoff: DOMAIN: ...").
 */
char *vh_policy_check_message(const VhPolicyCheck *c, const char *context);

/* The VFIO driver (its module) @dev goes to outside any domain's say (<driver model>):
 * vfio-driver= of its policy section, else the variant driver modules.alias names for it, else
 * vfio-pci; *@why says which, as "as vfio-driver= in the policy says". */
const char *vh_policy_vfio_driver(const VhPolicy *policy, const VhSnapshot *snap,
                                  const VhPciDevice *dev, const char **why);

/* The first failed check, or NULL. */
const VhPolicyCheck *vh_evaluation_first_failure(const VhEvaluation *eval);

G_END_DECLS
