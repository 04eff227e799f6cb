/* vfio-handoff: what the parts of the domain editor share (lib/domain/vh-domain-edit*.c): the
 * document and its record in <metadata>, whose helpers are in vh-domain-edit-record.c. Not for
 * use outside them. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "vh-domain-edit.h"

G_BEGIN_DECLS

struct VhDomainEdit {
    xmlDoc *doc;
    xmlNode *root;
    GPtrArray *changes;  /* char * */
    GPtrArray *new_sets; /* char *: the device of each set this edit made */
};

#define BAD_CAST_STR(s) ((const xmlChar *)(s))

/* Notes a change, one sentence, for the edit's list. */
void vh_edit_changed(VhDomainEdit *edit, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Is @n our element @name (in VH_DOMAIN_EDIT_NAMESPACE)? */
gboolean vh_edit_is_ours(const xmlNode *n, const char *name);

/* @parent's first child that is our element @name, or NULL. */
xmlNode *vh_edit_our_child(const xmlNode *parent, const char *name);

/* The record (<vfio-handoff:handoff> in <metadata>), made when @create; NULL when none. */
xmlNode *vh_edit_record(VhDomainEdit *edit, gboolean create);

/* A new element @name of the record's namespace (not yet placed). */
xmlNode *vh_edit_record_child(xmlNode *handoff, const char *name);

void vh_edit_set_prop(xmlNode *n, const char *name, const char *value);

/* The index of a <controller type='pci'>, or -1 for any other element. */
int vh_edit_pci_controller_index(const xmlNode *n);

/* Undoes the memory settings recorded in @handoff, each only if still as vfio-handoff left it. */
void vh_edit_unlock_memory(VhDomainEdit *edit, xmlNode *handoff);

/* Takes back the multifunction='on' that @mine (in @set) records, once function 0 is alone in
 * its slot; while another set's device shares the slot, the record goes to that set. */
void vh_edit_take_back_multifunction(VhDomainEdit *edit, xmlNode *set, xmlNode *mine);

G_END_DECLS
