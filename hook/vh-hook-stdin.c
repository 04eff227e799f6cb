/* vfio-handoff: the hook's stdin (see vh-hook-stdin.h) */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "vh-hook-contract.h"
#include "vh-hook-stdin.h"

char *
vh_hook_read_all(int fd, size_t *len, VhStdinResult *result)
{
    size_t cap = 16384, n = 0;
    char *buf = malloc(cap + 2);

    *result = VH_STDIN_NO_MEMORY;
    while (buf != NULL) {
        ssize_t r;

        if (n == cap) {
            char *more;

            if (cap >= VH_DOMAIN_XML_MAX) {
                char extra;

                /* exactly at the bound is allowed: one byte more is too big */
                while ((r = read(fd, &extra, 1)) < 0 && errno == EINTR)
                    ;
                if (r == 0)
                    break;
                if (r < 0) {
                    free(buf);
                    *result = VH_STDIN_READ_ERROR;
                    return NULL;
                }
                /* too big: the caller gets what was read, to look at */
                buf[n] = extra;
                buf[n + 1] = '\0';
                *len = n + 1;
                *result = VH_STDIN_TOO_BIG;
                return buf;
            }
            cap = cap * 2 > VH_DOMAIN_XML_MAX ? VH_DOMAIN_XML_MAX : cap * 2;
            if ((more = realloc(buf, cap + 2)) == NULL) {
                free(buf);
                return NULL;
            }
            buf = more;
        }
        r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            *result = VH_STDIN_READ_ERROR;
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (buf == NULL)
        return NULL;
    buf[n] = '\0';
    *len = n;
    *result = VH_STDIN_OK;
    return buf;
}
