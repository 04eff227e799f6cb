/* vfio-handoff: the host's console on a GPU — the framebuffer console (fbcon, a vtconsole) and
 * the firmware framebuffers (efifb, simplefb, simpledrm, vesafb) in its memory — found
 * (released and restored: lib/handoff/vh-console-handoff.h; DESIGN §8) */
#pragma once

#include <glib.h>

#include "vh-host.h"
#include "vh-pci-device.h"

G_BEGIN_DECLS

/* A firmware framebuffer: a platform device and the driver bound to it. */
typedef struct {
    char *name;   /* "efi-framebuffer.0", "simple-framebuffer.0", "vesa-framebuffer.0" */
    char *driver; /* "efi-framebuffer" (efifb), "simple-framebuffer" (simplefb), "simpledrm",
                   * "vesa-framebuffer" (vesafb) */
} VhPlatformFb;

/* What of the host's console is on one GPU. */
typedef struct {
    char *fb;                /* "fb0 (EFI VGA)": the framebuffer the console is on */
    GPtrArray *vtcons;       /* char *: the bound framebuffer consoles ("vtcon1") */
    GPtrArray *platform_fbs; /* VhPlatformFb *: firmware framebuffers bound in its memory */
} VhConsole;

void vh_console_free(VhConsole *console);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhConsole, vh_console_free)

/*
 * The console on @dev: the bound framebuffer console when fb0 is @dev's (its own driver's, or
 * a firmware framebuffer in its memory), and every firmware framebuffer bound in its memory.
 * NULL when none is. Whether a firmware framebuffer lies in @dev's BARs is read from
 * /proc/iomem; where its addresses are hidden (not root) or it names no framebuffer, the
 * firmware's framebuffer is taken to be on the boot VGA device, as the firmware set it up.
 */
VhConsole *vh_console_find(const VhHost *host, const VhPciDevice *dev);

/* The bound framebuffer consoles ("vtcon1", char *), in name order: a vtconsole named "frame
 * buffer device" is fbcon. */
GPtrArray *vh_console_bound_fbcons(const VhHost *host);

/* Whether the firmware framebuffer @platform_name (a platform device) lies in @dev's memory. */
gboolean vh_console_platform_fb_on(const VhHost *host, const VhPciDevice *dev,
                                   const char *platform_name);

/* What a user should know before the console @c (vh_console_find, may be NULL) on @device is
 * released, or NULL: a firmware framebuffer in its memory will not come back (THING: REASON
 * (fix: FIX)). */
char *vh_console_release_note(const VhConsole *c, const char *device);

/* "vtcon1 on fb0 (EFI VGA), efi-framebuffer.0 (efi-framebuffer)": what is released */
char *vh_console_describe(const char *fb, char **vtcons, char **platform_fbs);

G_END_DECLS
