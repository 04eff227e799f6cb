/* vfio-handoff: the VFIO driver a handoff binds to, registered first — vfio-pci or a variant
 * (lib/host/vh-vfio-driver.h) — loading its module with libkmod when it is not */
#pragma once

#include <glib.h>

#include "vh-host.h"
#include "vh-sysfs-writer.h"

G_BEGIN_DECLS

/*
 * Makes sure the PCI driver of @module ("vfio-pci", "mlx5_vfio_pci") is registered, loading
 * the module (libkmod, on the real system only) when it is not; *@driver gets the name it is
 * registered under (pds_vfio_pci registers pds-vfio-pci). A recording @w records the load and
 * gives @module back as the name. Fails, naming the driver and how to do without it, when it
 * cannot be loaded or registers no driver.
 */
gboolean vh_driver_ensure(const VhHost *host, const char *module, const VhWriter *w, char **driver,
                          GError **error);

G_END_DECLS
