/* vfio-handoff policy: the facts of a host, gathered once for evaluation */
#pragma once

#include <glib.h>

#include "vh-host-memory.h"
#include "vh-policy-eval.h"

G_BEGIN_DECLS

typedef struct {
    VhHost *host;
    VhPolicy *policy;
    VhInventory *inventory;
    VhHostUsage *usage;
    VhVerdicts *verdicts;
    GPtrArray *holdings; /* VhHolding * */
    VhHostMemory memory;
} VhHostFacts;

/* Reads the policy, the devices, their uses and verdicts, who holds what, and host memory.
 * Takes @host. */
VhHostFacts *vh_host_facts_load(VhHost *host, GError **error);
void vh_host_facts_free(VhHostFacts *facts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhHostFacts, vh_host_facts_free)

/* The evaluation's input for @domain (huge pages of its backing size included). */
void vh_host_facts_for_domain(const VhHostFacts *facts, const VhDomainDef *domain, VhFacts *out);

G_END_DECLS
