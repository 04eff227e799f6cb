/* vfio-handoff: the hook front's pre-scan of the domain XML, in plain C (the front links libc
 * only). It answers "may this XML name a PCI <hostdev> that libvirt does not manage?" without
 * parsing XML: a yes only costs an exec of the engine, which parses it properly, but a no skips
 * every check, so a no must be certain. Whatever it cannot read with certainty (a NUL byte, a
 * DOCTYPE that could define entities or default attributes, a tag it cannot tokenise, a
 * character reference in a value) is a yes. tests/fuzz/fuzz-prescan.c checks it against the
 * engine's reader. */
#pragma once

#include <stddef.h>

int vh_hook_prescan_unmanaged_pci(const char *xml, size_t len);

/* The same question for any PCI <hostdev>, managed='yes' included (a start: the engine records
 * the driver of the enabled devices libvirt detaches, to give them back if libvirt does not). */
int vh_hook_prescan_any_pci(const char *xml, size_t len);
