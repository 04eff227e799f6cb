/* vfio-handoff policy: the checks of the domain: the limits on devices handed off, locked
 * memory, and admission (whether its memory fits the host's). Pure, as the evaluation is. */
#include "config.h"

#include <string.h>

#include "vh-error.h"
#include "vh-policy-eval-private.h"
#include "vh-units.h"

/* Whether @address is one of the devices handed off now. */
static gboolean
in_handoff(Eval *ev, const char *address)
{
    for (guint i = 0; i < ev->e->handoff->len; i++) {
        if (strcmp(((VhPciDevice *)g_ptr_array_index(ev->e->handoff, i))->name, address) == 0)
            return TRUE;
    }
    return FALSE;
}

/* The devices held on this host now, besides those handed off now: other domains' and
 * processes'; for a running domain (a hot-plug), its own too, which count as much. */
static guint
held_now(Eval *ev)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < ev->f->snap->holders->len; i++) {
        const VhHolder *h = g_ptr_array_index(ev->f->snap->holders, i);

        if (!vh_holder_is_alive(h) || in_handoff(ev, h->device))
            continue;
        if (vh_eval_held_by_other(ev, h) || (ev->f->running && h->state != VH_HOLDER_BY_HAND))
            g_hash_table_add(seen, h->device);
    }
    return g_hash_table_size(seen);
}

void
vh_eval_check_limits(Eval *ev, guint requested)
{
    const VhDomainDef *dom = ev->f->domain;
    int max = dom != NULL ? vh_policy_max_devices_for(ev->f->policy, dom->name) : 0;
    guint total = held_now(ev) + ev->e->handoff->len;

    if (dom == NULL)
        ; /* by hand: for no domain */
    else if ((int)requested <= max)
        PASS(ev, VH_CHECK_DOMAIN, "domain-limit", dom->name, "%u of at most %d devices", requested,
             max);
    else
        FAIL(ev, VH_CHECK_DOMAIN, "domain-limit", dom->name,
             g_strdup_printf("remove hostdevs from '%s', or raise max-devices in [domain %s]",
                             dom->name, dom->name),
             "asks for %u devices, more than max-devices=%d", requested, max);
    if ((int)total <= ev->f->policy->max_active_devices)
        PASS(ev, VH_CHECK_HOST, "host-limit", "host",
             "%u of at most %d devices handed off on this host", total,
             ev->f->policy->max_active_devices);
    else
        FAIL(ev, VH_CHECK_HOST, "host-limit", "host",
             g_strdup("stop a VM that holds devices, or raise max-active-devices in [host]"),
             "handing off %u more devices would make %u on this host, more than "
             "max-active-devices=%d",
             ev->e->handoff->len, total, ev->f->policy->max_active_devices);
}

/* Whether the domain locks its memory as lock-memory asks (libvirt's VFIO memlock rule). */
void
vh_eval_check_lock_memory(Eval *ev)
{
    const VhDomainDef *dom = ev->f->domain;
    const VhPolicy *p = ev->f->policy;
    guint64 mem = dom->memory_kib * 1024, need = mem + p->memory_overhead;
    g_autofree char *mem_s = vh_format_size(mem);

    switch (p->lock_memory) {
    case VH_LOCK_MEMORY_OFF:
        PASS(ev, VH_CHECK_DOMAIN, "lock-memory", dom->name, "not checked (lock-memory=off)");
        break;
    case VH_LOCK_MEMORY_REQUIRED:
    case VH_LOCK_MEMORY_LIMIT:
        if (dom->locked) {
            PASS(ev, VH_CHECK_DOMAIN, "lock-memory", dom->name,
                 "its memory is locked (<memoryBacking><locked/>)");
        } else if (p->lock_memory == VH_LOCK_MEMORY_LIMIT && dom->hard_limit_kib * 1024 >= need) {
            g_autofree char *limit = vh_format_size(dom->hard_limit_kib * 1024);

            PASS(ev, VH_CHECK_DOMAIN, "lock-memory", dom->name,
                 "its hard limit %s covers %s of memory and the "
                 "overhead",
                 limit, mem_s);
        } else if (p->lock_memory == VH_LOCK_MEMORY_LIMIT) {
            g_autofree char *limit = vh_format_size(dom->hard_limit_kib * 1024);
            g_autofree char *need_s = vh_format_size(need);

            g_autofree char *word = vh_error_shell_word(dom->name);

            FAIL(ev, VH_CHECK_DOMAIN, "lock-memory", dom->name,
                 g_strdup_printf("raise its hard limit to at least %s with 'virsh memtune %s "
                                 "--hard-limit %" G_GUINT64_FORMAT " --config', or lock its "
                                 "memory: 'vfio-handoff add %s DEVICE' does it, as does "
                                 "<memoryBacking><locked/></memoryBacking> added with 'virsh "
                                 "edit %s', or --memorybacking locked=on given to virt-install",
                                 need_s, word, (need + 1023) / 1024, word, word),
                 "has no <locked/> memory, and its hard limit (%s) is below memory + "
                 "memory-overhead (%s)",
                 dom->hard_limit_kib > 0 ? limit : "none", need_s);
        } else {
            g_autofree char *word = vh_error_shell_word(dom->name);

            FAIL(ev, VH_CHECK_DOMAIN, "lock-memory", dom->name,
                 g_strdup_printf("lock its memory: 'vfio-handoff add %s DEVICE' does it, as does "
                                 "<memoryBacking><locked/></memoryBacking> added with 'virsh "
                                 "edit %s', or --memorybacking locked=on given to virt-install; "
                                 "or set lock-memory=off in [host] of the policy, which leaves "
                                 "it to libvirt",
                                 word, word),
                 "does not lock its memory, and lock-memory=required");
        }
        break;
    }
}

/* Whether the guest's memory fits: in free huge pages of its size, or in MemAvailable less
 * memory-reserve. */
void
vh_eval_check_admission(Eval *ev)
{
    const VhDomainDef *dom = ev->f->domain;
    const VhPolicy *p = ev->f->policy;
    guint64 mem = dom->memory_kib * 1024;
    g_autofree char *mem_s = vh_format_size(mem);

    if (dom->hugepages) {
        guint64 free_kib =
            vh_host_memory_hugepages_free_kib(&ev->f->snap->memory, dom->hugepage_kib);
        g_autofree char *free_s = vh_format_size(free_kib * 1024);

        if (free_kib * 1024 >= mem)
            PASS(ev, VH_CHECK_DOMAIN, "memory-admission", dom->name,
                 "%s fits in %s of free huge pages", mem_s, free_s);
        else
            FAIL(ev, VH_CHECK_DOMAIN, "memory-admission", dom->name,
                 g_strdup(
                     "reserve more huge pages with vm.nr_hugepages, or give the guest less memory"),
                 "%s of guest memory does not fit in %s of free huge pages", mem_s, free_s);
        return;
    }
    {
        guint64 avail = ev->f->snap->memory.available_kib * 1024;
        guint64 usable = avail > p->memory_reserve ? avail - p->memory_reserve : 0;
        g_autofree char *avail_s = vh_format_size(avail);
        g_autofree char *reserve_s = vh_format_size(p->memory_reserve);
        g_autofree char *usable_s = vh_format_size(usable);

        if (mem <= usable)
            PASS(ev, VH_CHECK_DOMAIN, "memory-admission", dom->name,
                 "%s fits in %s available less the %s reserve", mem_s, avail_s, reserve_s);
        else
            FAIL(ev, VH_CHECK_DOMAIN, "memory-admission", dom->name,
                 g_strdup("free host memory, give the guest less, or lower memory-reserve in "
                          "[host]"),
                 "%s of guest memory does not fit: %s available less the %s reserve leaves %s",
                 mem_s, avail_s, reserve_s, usable_s);
    }
}
