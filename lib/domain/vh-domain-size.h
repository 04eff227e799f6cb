/* vfio-handoff: the bound on a domain's XML, in plain C (no GLib): the hook's libc-only front
 * reads its stdin up to it, and lib/domain/ parses no more. */
#pragma once

/* A domain's XML, on the hook's stdin and wherever vfio-handoff parses one, is at most this
 * many bytes (a definition is tens of KiB). */
#define VH_DOMAIN_XML_MAX (4 * 1024 * 1024)
