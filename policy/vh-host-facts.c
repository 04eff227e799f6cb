/* vfio-handoff policy: the facts of a host */
#include "config.h"

#include "vh-host-facts.h"

VhHostFacts *
vh_host_facts_load(VhHost *host, GError **error)
{
    g_autoptr(VhHostFacts) f = g_new0(VhHostFacts, 1);

    f->host = host;
    f->policy = vh_policy_load(host);
    f->inventory = vh_inventory_load(host, VH_INVENTORY_NAMES, error);
    if (f->inventory == NULL)
        return NULL;
    f->usage = vh_host_usage_collect(host, f->inventory, error);
    if (f->usage == NULL)
        return NULL;
    f->verdicts = vh_verdicts_compute(f->inventory, f->usage);
    f->holdings = vh_holdings_from_processes(host, f->usage);
    if (!vh_host_memory_read(host, &f->memory, error))
        return NULL;
    return g_steal_pointer(&f);
}

void
vh_host_facts_free(VhHostFacts *f)
{
    if (f == NULL)
        return;
    if (f->holdings != NULL)
        g_ptr_array_unref(f->holdings);
    vh_verdicts_free(f->verdicts);
    vh_host_usage_free(f->usage);
    vh_inventory_free(f->inventory);
    vh_policy_free(f->policy);
    vh_host_free(f->host);
    g_free(f);
}

void
vh_host_facts_for_domain(const VhHostFacts *f, const VhDomainDef *domain, VhFacts *out)
{
    out->policy = f->policy;
    out->inventory = f->inventory;
    out->verdicts = f->verdicts;
    out->domain = domain;
    out->holdings = f->holdings;
    out->mem_available_kib = f->memory.available_kib;
    out->hugepages_free_kib =
        domain->hugepages ? vh_host_hugepages_free_kib(f->host, &f->memory, domain->hugepage_kib) : 0;
}
