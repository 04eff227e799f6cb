/* vfio-handoff: a domain name as a file name. Plain C (no GLib): the hook's libc-only fast path
 * uses it too, and must agree with the journal byte for byte. */
#pragma once

#include <stddef.h>

/* Every byte outside [A-Za-z0-9._-] becomes %XX; a leading '.' too. Returns 0, or -1 when
 * @out (of @size bytes) is too small. */
static inline int
vh_escape_name(const char *name, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (size_t i = 0; name[i] != '\0'; i++) {
        unsigned char c = (unsigned char)name[i];
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || (c == '.' && i > 0);

        if (o + (plain ? 1 : 3) >= size)
            return -1;
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (o == 0 || o >= size)
        return -1;
    out[o] = '\0';
    return 0;
}
