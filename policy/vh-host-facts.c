/* vfio-handoff policy: the facts of a host */
#include "config.h"

#include "vh-host-facts.h"
#include "vh-journal.h"

/* What the journal says is held: alive until its QEMU pid is known to be gone (a hold taken at
 * prepare has no pid until `started`). */
static void
add_journal_holdings(VhHostFacts *f)
{
    g_autoptr(GPtrArray) holds = vh_journal_list(f->host);

    for (guint i = 0; i < holds->len; i++) {
        VhHold *j = g_ptr_array_index(holds, i);
        VhHolding *h = g_new0(VhHolding, 1);

        h->device = g_strdup(j->address);
        h->domain_name = g_strdup(j->domain);
        h->pid = j->qemu_pid;
        h->alive = j->qemu_pid == 0 || vh_host_pid_alive(f->host, j->qemu_pid);
        h->via = g_strdup("journal");
        g_ptr_array_add(f->holdings, h);
    }
}

VhHostFacts *
vh_host_facts_load(VhHost *host, GError **error)
{
    g_autoptr(VhHostFacts) f = g_new0(VhHostFacts, 1);

    f->host = host;
    f->policy = vh_policy_load(host);
    /* decisions need no names: pci.ids (1.3 MB) is parsed only by the verbs that print them */
    f->inventory = vh_inventory_load(host, VH_INVENTORY_NONE, error);
    if (f->inventory == NULL)
        return NULL;
    f->usage = vh_host_usage_collect(host, f->inventory, error);
    if (f->usage == NULL)
        return NULL;
    f->verdicts = vh_verdicts_compute(f->inventory, f->usage);
    f->holdings = vh_holdings_from_processes(host, f->usage);
    add_journal_holdings(f);
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
