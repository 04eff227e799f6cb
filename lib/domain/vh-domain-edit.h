/* vfio-handoff: editing a domain definition for `add` and `remove` (DESIGN §1.4, §5) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * What `add` changes is recorded in the domain's <metadata> under this namespace, so that
 * `remove` undoes exactly that and leaves what the user had:
 *
 *   <vfio-handoff:handoff xmlns:vfio-handoff="urn:vfio-handoff:domain:1">
 *     <vfio-handoff:set device="0000:01:00.0" controller="7">    one per device added, with
 *       <vfio-handoff:hostdev address="0000:01:00.0"/>             the functions added with it
 *       <vfio-handoff:hostdev address="0000:01:00.1"/>             and the root port it made;
 *       <vfio-handoff:controller index="8" model="pcie-root-port"/> what libvirt added on
 *       <vfio-handoff:multifunction bus="0x00" slot="0x02"/>         define for them
 *     </vfio-handoff:set>
 *     <vfio-handoff:locked/>                                     it added <locked/>
 *     <vfio-handoff:hard-limit kib="5242880" previous-kib="..."/> it set the hard limit
 *   </vfio-handoff:handoff>
 */
#define VH_DOMAIN_EDIT_NAMESPACE "urn:vfio-handoff:domain:1"
#define VH_DOMAIN_EDIT_PREFIX "vfio-handoff"

/* A parsed definition being edited. Edits keep the rest of the document as it was. */
typedef struct VhDomainEdit VhDomainEdit;

VhDomainEdit *vh_domain_edit_new(const char *xml, GError **error);
void vh_domain_edit_free(VhDomainEdit *edit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhDomainEdit, vh_domain_edit_free)

/* The edited document, as text. */
char *vh_domain_edit_to_xml(const VhDomainEdit *edit);

/* What the edits changed so far, one sentence each, in order (empty: nothing). */
const GPtrArray *vh_domain_edit_changes(const VhDomainEdit *edit);

/* Does the definition have a PCI hostdev for @address? *managed: its managed='yes'. */
gboolean vh_domain_edit_has_hostdev(const VhDomainEdit *edit, const char *address,
                                    gboolean *managed);

/*
 * Adds a <hostdev mode='subsystem' type='pci' managed='no'> for each of @addresses (the device
 * named first, then its companions) that the definition lacks, recorded as one set. Functions
 * of one physical device (same host bus and slot) get one guest slot, as functions 0..n of a
 * multifunction device: a new pcie-root-port on PCIe machines (q35), a free slot of bus 0 on
 * PCI ones (pc). A single function gets no guest address: libvirt picks one.
 */
gboolean vh_domain_edit_add_hostdevs(VhDomainEdit *edit, const char *const *addresses,
                                     guint n_addresses, GError **error);

/*
 * Takes @defined, the definition as libvirt wrote it back after defining this edit's document,
 * as the document, and records in the sets this edit made what libvirt added for them: a
 * controller (a pcie-root-port for a device without a guest address, a bridge when a bus is
 * full) and multifunction='on' on function 0 of a slot it put more functions in. Removing the
 * set then takes those away too, so that add and remove leave the definition as it was.
 * *recorded: something was, and the document must be defined again to keep the record.
 */
gboolean vh_domain_edit_adopt_defined(VhDomainEdit *edit, const char *defined, gboolean *recorded,
                                      GError **error);

/*
 * Memory for passthrough (DESIGN §5): <memoryBacking><locked/> when @lock, and a
 * <memtune><hard_limit> of at least the guest's <memory> + @overhead bytes (raised when lower).
 * Records what it changed.
 */
gboolean vh_domain_edit_lock_memory(VhDomainEdit *edit, gboolean lock, guint64 overhead,
                                    GError **error);

/*
 * Removes the hostdevs of the set @address was added with (and the root port made for it), or
 * just @address's hostdev when vfio-handoff did not add it. VH_ERROR_NOT_FOUND when the
 * definition has no hostdev for @address. Once no set is left, the memory settings recorded
 * are undone and the record dropped.
 */
gboolean vh_domain_edit_remove_hostdevs(VhDomainEdit *edit, const char *address, GError **error);

/* Removes every set vfio-handoff added, then undoes its memory settings. FALSE: none. */
gboolean vh_domain_edit_remove_all(VhDomainEdit *edit);

G_END_DECLS
