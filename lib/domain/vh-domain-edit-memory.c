/* vfio-handoff: the memory settings `add` makes for passthrough (locked memory, a hard limit
 * and the swap limit kept above it), recorded so that `remove` undoes each if still as left */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "vh-domain-edit-private.h"
#include "vh-domain-edit.h"
#include "vh-domain-xml.h"
#include "vh-error.h"
#include "vh-units.h"
#include "vh-xml-layout.h"

static const char *const after_memtune[] = {"name",          "uuid",      "genid",     "title",
                                            "description",   "metadata",  "maxMemory", "memory",
                                            "currentMemory", "blkiotune", NULL};

static xmlNode *
child_or_new(VhDomainEdit *edit, const char *name, const char *const *after)
{
    xmlNode *n = vh_domain_xml_child(edit->root, name);

    return n != NULL ? n
                     : vh_xml_place(edit->root, after,
                                    xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR(name), NULL));
}

static void
set_kib(xmlNode *n, guint64 kib)
{
    g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT, kib);

    xmlNodeSetContent(n, BAD_CAST_STR(text));
    vh_edit_set_prop(n, "unit", "KiB");
}

/* <memoryBacking><locked/>, recorded so that remove takes it away again. */
static void
lock_backing(VhDomainEdit *edit)
{
    static const char *const after_backing[] = {"name",          "uuid",      "genid",     "title",
                                                "description",   "metadata",  "maxMemory", "memory",
                                                "currentMemory", "blkiotune", "memtune",   NULL};
    static const char *const after_locked[] = {"hugepages", "nosharepages", NULL};
    xmlNode *backing = vh_domain_xml_child(edit->root, "memoryBacking");
    xmlNode *handoff;

    if (backing != NULL && vh_domain_xml_child(backing, "locked") != NULL)
        return;
    backing = child_or_new(edit, "memoryBacking", after_backing);
    vh_xml_place(backing, after_locked,
                 xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR("locked"), NULL));
    handoff = vh_edit_record(edit, TRUE);
    if (vh_edit_our_child(handoff, "locked") == NULL)
        vh_xml_append(handoff, vh_edit_record_child(handoff, "locked"));
    vh_edit_changed(edit, "locked the guest's memory (<memoryBacking><locked/>)");
}

/* Records a limit set, as the record child @name ("hard-limit", "swap-hard-limit"), with the
 * user's, @limit_kib, to restore when @had_limit. */
static void
record_limit(VhDomainEdit *edit, const char *name, guint64 need_kib, gboolean had_limit,
             guint64 limit_kib)
{
    xmlNode *handoff = vh_edit_record(edit, TRUE);
    xmlNode *mine = vh_edit_our_child(handoff, name);
    g_autofree char *kib = g_strdup_printf("%" G_GUINT64_FORMAT, need_kib);
    g_autofree char *prev = g_strdup_printf("%" G_GUINT64_FORMAT, limit_kib);

    if (mine == NULL) {
        mine = vh_xml_append(handoff, vh_edit_record_child(handoff, name));
        vh_edit_set_prop(mine, "kib", kib); /* first: the attributes keep their order */
        if (had_limit)                      /* the user's, restored by remove */
            vh_edit_set_prop(mine, "previous-kib", prev);
    }
    vh_edit_set_prop(mine, "kib", kib);
}

/* libvirt's memtune refuses a hard_limit above swap_hard_limit (memory + swap), and the
 * kernel's memory cgroup a swap limit below the memory limit: a <swap_hard_limit> below the new
 * hard limit is raised to it (the locked guest memory does not swap), recorded for remove. */
static void
keep_swap_limit_above(VhDomainEdit *edit, xmlNode *memtune, guint64 need_kib)
{
    xmlNode *swap = vh_domain_xml_child(memtune, "swap_hard_limit");
    guint64 swap_kib = 0;
    g_autofree char *was = NULL;
    g_autofree char *now = NULL;

    if (swap == NULL || !vh_domain_xml_scaled_kib(swap, &swap_kib, NULL) || swap_kib >= need_kib)
        return;
    record_limit(edit, "swap-hard-limit", need_kib, TRUE, swap_kib);
    set_kib(swap, need_kib);
    was = vh_format_size(swap_kib * 1024);
    now = vh_format_size(need_kib * 1024);
    vh_edit_changed(edit,
                    "raised <memtune><swap_hard_limit> from %s to %s (libvirt refuses it below "
                    "hard_limit)",
                    was, now);
}

gboolean
vh_domain_edit_lock_memory(VhDomainEdit *edit, gboolean lock, guint64 overhead, GError **error)
{
    xmlNode *memory = vh_domain_xml_child(edit->root, "memory");
    xmlNode *memtune, *limit;
    guint64 memory_kib = 0, limit_kib = 0, need_kib;
    g_autofree char *need_s = NULL;

    if (memory == NULL || !vh_domain_xml_scaled_kib(memory, &memory_kib, error)) {
        if (memory == NULL)
            g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT,
                        "<memory>: missing from the domain definition (fix: give the domain its "
                        "memory with 'virsh edit')");
        return FALSE;
    }
    need_kib = memory_kib + overhead / 1024;
    need_s = vh_format_size(need_kib * 1024);
    if (lock)
        lock_backing(edit);

    memtune = vh_domain_xml_child(edit->root, "memtune");
    limit = memtune != NULL ? vh_domain_xml_child(memtune, "hard_limit") : NULL;
    if (limit != NULL && !vh_domain_xml_scaled_kib(limit, &limit_kib, error))
        return FALSE;
    if (limit != NULL && limit_kib >= need_kib)
        return TRUE; /* the user's limit, or ours, already covers memory + overhead */
    record_limit(edit, "hard-limit", need_kib, limit != NULL, limit_kib);
    if (limit == NULL) {
        memtune = child_or_new(edit, "memtune", after_memtune);
        limit = xmlNewDocNode(edit->doc, NULL, BAD_CAST_STR("hard_limit"), NULL);
        if (vh_xml_first_element(memtune) != NULL) /* libvirt formats it first */
            vh_xml_insert_before(vh_xml_first_element(memtune), limit);
        else
            vh_xml_append(memtune, limit);
        vh_edit_changed(edit, "set <memtune><hard_limit> to %s (guest memory + memory-overhead)",
                        need_s);
    } else {
        g_autofree char *was = vh_format_size(limit_kib * 1024);

        vh_edit_changed(
            edit, "raised <memtune><hard_limit> from %s to %s (guest memory + memory-overhead)",
            was, need_s);
    }
    set_kib(limit, need_kib);
    keep_swap_limit_above(edit, memtune, need_kib);
    return TRUE;
}

/* Undoes the limit recorded as @name, set in <memtune><@element>, only if it is still as
 * vfio-handoff left it: restores the user's, or removes it. */
static void
restore_limit(VhDomainEdit *edit, xmlNode *handoff, const char *name, const char *element)
{
    xmlNode *memtune = vh_domain_xml_child(edit->root, "memtune");
    xmlNode *limit = memtune != NULL ? vh_domain_xml_child(memtune, element) : NULL;
    xmlNode *mine = vh_edit_our_child(handoff, name);
    g_autofree char *kib = NULL;
    g_autofree char *previous = NULL;
    guint64 now = 0;

    if (mine == NULL || limit == NULL)
        return;
    kib = vh_domain_xml_attr(mine, "kib");
    previous = vh_domain_xml_attr(mine, "previous-kib");
    if (!vh_domain_xml_scaled_kib(limit, &now, NULL) || kib == NULL ||
        now != g_ascii_strtoull(kib, NULL, 10)) {
        g_autofree char *now_s = vh_format_size(now * 1024);

        vh_edit_changed(edit, "left <memtune><%s> at %s: it was changed after vfio-handoff set it",
                        element, now_s);
    } else if (previous != NULL) {
        g_autofree char *was = vh_format_size(g_ascii_strtoull(previous, NULL, 10) * 1024);

        set_kib(limit, g_ascii_strtoull(previous, NULL, 10));
        vh_edit_changed(edit, "restored <memtune><%s> to %s", element, was);
    } else {
        vh_xml_drop(limit);
        vh_xml_drop_if_empty(memtune);
        vh_edit_changed(edit, "removed <memtune><%s> (vfio-handoff had set it)", element);
    }
}

/* Undoes the memory settings recorded, each only if it is still as vfio-handoff left it. */
void
vh_edit_unlock_memory(VhDomainEdit *edit, xmlNode *handoff)
{
    xmlNode *backing = vh_domain_xml_child(edit->root, "memoryBacking");

    if (vh_edit_our_child(handoff, "locked") != NULL && backing != NULL &&
        vh_domain_xml_child(backing, "locked") != NULL) {
        vh_xml_drop(vh_domain_xml_child(backing, "locked"));
        vh_xml_drop_if_empty(backing);
        vh_edit_changed(edit, "unlocked the guest's memory (vfio-handoff had locked it)");
    }
    /* each looks <memtune> up again: the first may have removed it */
    restore_limit(edit, handoff, "hard-limit", "hard_limit");
    restore_limit(edit, handoff, "swap-hard-limit", "swap_hard_limit");
}
