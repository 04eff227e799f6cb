/* vfio-handoff: handing a domain's devices off and back, journaled (DESIGN §4, §6) */
#pragma once

#include <glib.h>

#include "vh-bind.h"
#include "vh-journal.h"
#include "vh-pci-device.h"

G_BEGIN_DECLS

/*
 * Journals, then detaches @devices (VhPciDevice *) for @domain — independent devices in
 * parallel — and verifies each. On any failure, what was taken is given back in reverse order
 * (a device that cannot be given back stays in the journal as stuck) and the first failure is
 * returned, prefixed with its device: "0000:01:00.1: ...".
 */
gboolean vh_handoff_detach(const VhHost *host, const GPtrArray *devices, const char *domain,
                           const char *uuid, const VhBindOptions *opts, GError **error);

/*
 * Gives back every device @domain holds, in reverse order, to its recorded driver and
 * override. A device given back leaves the journal; one that fails stays, marked stuck with
 * the reason. Returns the number that failed (0: all back, or nothing was held).
 */
guint vh_handoff_give_back_domain(const VhHost *host, const char *domain,
                                  const VhBindOptions *opts, GPtrArray *failures);

/* Gives back one journaled device (recover, reattach). */
gboolean vh_handoff_give_back(const VhHost *host, VhHold *hold, const VhBindOptions *opts,
                              GError **error);

/* Records the QEMU pid of @domain's holds (the `started` hook). */
void vh_handoff_record_pid(const VhHost *host, const char *domain, int pid);

G_END_DECLS
