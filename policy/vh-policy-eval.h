/* vfio-handoff policy: facts in, an ordered list of checks out (DESIGN §3, §5) */
#pragma once

#include <glib.h>

#include "vh-domain.h"
#include "vh-holdings.h"
#include "vh-host-usage.h"
#include "vh-inventory.h"
#include "vh-policy.h"
#include "vh-verdict.h"

G_BEGIN_DECLS

/* Everything the evaluation looks at. The caller gathers it; evaluation does no I/O. */
typedef struct {
    const VhPolicy *policy;
    const VhInventory *inventory;
    const VhVerdicts *verdicts;
    const VhDomainDef *domain;
    const GPtrArray *holdings;  /* VhHolding *: devices held by running VMs (may be NULL) */
    guint64 mem_available_kib;  /* MemAvailable */
    guint64 hugepages_free_kib; /* free huge pages of the domain's backing size */
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

typedef struct {
    GPtrArray *checks;     /* VhPolicyCheck *, in evaluation order */
    GPtrArray *handoff;    /* VhPciDevice * (borrowed): to detach, requested ones first */
    GPtrArray *left_alone; /* VhPciDevice * (borrowed): already on vfio-pci, someone else's */
    gboolean allowed;      /* every check passed */
} VhEvaluation;

VhEvaluation *vh_policy_evaluate(const VhFacts *facts);
void vh_evaluation_free(VhEvaluation *eval);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhEvaluation, vh_evaluation_free)

/* The first failed check, or NULL. */
const VhPolicyCheck *vh_evaluation_first_failure(const VhEvaluation *eval);

G_END_DECLS
