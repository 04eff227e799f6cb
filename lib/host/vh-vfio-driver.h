/* vfio-handoff: which VFIO driver a device goes to — vfio-pci, or a variant driver of it
 * (mlx5_vfio_pci, pds-vfio-pci, ...) that adds migration or device-specific features — chosen as
 * libvirt (10.0 and later) chooses one for a managed hostdev: from the running kernel's
 * modules.alias (../shared/notes/review/landscape-2026.md §d) */
#pragma once

#include <glib.h>

#include "vh-host.h"
#include "vh-pci-device.h"

G_BEGIN_DECLS

/* Whether @driver is a VFIO driver: vfio-pci or one of its variants, all of which the kernel
 * names *vfio* (drivers/vfio/pci/). */
gboolean vh_vfio_driver_is_vfio(const char *driver);

/* Whether @name can name a VFIO driver in a policy or on the command line: a module's or a
 * driver's name (letters, digits, '_' and '-') that is a VFIO driver's. */
gboolean vh_vfio_driver_name_valid(const char *name);

/* @dev's modalias, as the kernel's pci_uevent writes it: "pci:v0000VVVVd0000DDDDsv...i.." */
char *vh_vfio_modalias(const VhPciDevice *dev);

/* One "vfio_pci:" alias of a variant driver in modules.alias (vfio_pci's own left out). */
typedef struct {
    char *pattern; /* "vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*" */
    char *module;  /* "mlx5_vfio_pci" */
} VhVfioAlias;

/* The variant drivers' aliases in the running kernel's modules.alias (VhVfioAlias *), in file
 * order; empty when it has none, or there is no such file. */
GPtrArray *vh_vfio_aliases_read(const VhHost *host);

/*
 * The variant driver's module libvirt would bind @dev to: of @aliases (vh_vfio_aliases_read),
 * those that match "vfio_" + @dev's modalias, the most specific (the fewest wildcards, then the
 * longest); borrowed from @aliases. NULL when none matches: then vfio-pci.
 */
const char *vh_vfio_variant_pick(const GPtrArray *aliases, const VhPciDevice *dev);

/* The name under which @module's PCI driver is registered, when it is: its sysfs
 * module/@module/drivers/pci:NAME, else bus/pci/drivers/@module, with "_" or "-" (a module's
 * name has "_" where its driver may have "-": pds_vfio_pci registers pds-vfio-pci). NULL when
 * not registered (not loaded). */
char *vh_vfio_driver_registered(const VhHost *host, const char *module);

G_END_DECLS
