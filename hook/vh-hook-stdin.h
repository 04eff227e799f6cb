/* vfio-handoff: reading the domain XML from the hook's stdin, in plain C: the front and the
 * engine read it with this one function, so they agree on the bound to the byte. */
#pragma once

#include <stddef.h>

typedef enum {
    VH_STDIN_OK,
    VH_STDIN_TOO_BIG,    /* more than VH_DOMAIN_XML_MAX bytes */
    VH_STDIN_READ_ERROR, /* read(2) failed; errno says why */
    VH_STDIN_NO_MEMORY,
} VhStdinResult;

/* Reads @fd to its end into a NUL-terminated buffer (free() it) of *@len bytes. NULL and the
 * reason in *@result when it cannot; VH_STDIN_TOO_BIG returns the first VH_DOMAIN_XML_MAX + 1
 * bytes, and the rest is still on @fd. */
char *vh_hook_read_all(int fd, size_t *len, VhStdinResult *result);
