/* vfio-handoff: the console on a GPU (lib/host/vh-console.h) released before the GPU is handed
 * off, and restored after it is back, through the sysfs writer (DESIGN §8) */
#pragma once

#include <glib.h>

#include "vh-bind.h"
#include "vh-host.h"

G_BEGIN_DECLS

/*
 * Releases, for @device: unbinds each of @vtcons (the console falls back on the dummy device),
 * then unbinds each of @platform_fbs ("NAME:DRIVER") from its driver, each verified. Stops at
 * the first failure; vh_console_restore puts back whatever was released.
 */
gboolean vh_console_release(const VhHost *host, const char *device, char **vtcons,
                            char **platform_fbs, const VhWriter *w, GError **error);

/*
 * Restores what vh_console_release released, in reverse: each firmware framebuffer bound to
 * its driver again, then each console bound. What is already back is left as it is, so it can
 * run after a release cut short at any step. What cannot come back is no failure but a
 * *@warning (may be NULL; THING: REASON (fix: FIX)): a firmware framebuffer the kernel removed
 * when vfio-pci took its GPU (Linux 6.0 and later do: aperture_remove_conflicting_pci_devices),
 * and a console left with no framebuffer to bind to.
 */
gboolean vh_console_restore(const VhHost *host, const char *device, char **vtcons,
                            char **platform_fbs, const VhWriter *w, char **warning, GError **error);

G_END_DECLS
