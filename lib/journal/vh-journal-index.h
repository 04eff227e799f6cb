/* vfio-handoff: the journal's index of the domains that hold devices, in plain C (no GLib), so
 * that the hook's libc-only front finds with one stat() whether a call concerns it; the journal
 * (vh-journal.c) writes the index with the same functions. */
#pragma once

#include <stdio.h>
#include <string.h>

#include "vh-escape.h"

/* The journal's index of a domain's holds: RUN/domains/NAME exists while the journal holds
 * devices for that domain, so that the front can tell with one stat. NAME is the domain name
 * escaped by vh_escape_name(); a name whose escape would not fit a file name (libvirt allows
 * any length) is its first 32 bytes escaped, '~' and a 64-bit FNV-1a hash of the whole name. Two
 * names may share a directory: that only makes the front exec the engine, which reads the
 * records, and they carry the whole name. */
#define VH_JOURNAL_DOMAINS_DIR "domains"
#define VH_JOURNAL_INDEX_NAME_MAX 256

static inline int
vh_journal_index_name(const char *domain, char *out, size_t size)
{
    char head[33];
    unsigned long long hash = 0xcbf29ce484222325ULL;
    size_t n = strlen(domain);

    if (n == 0)
        return -1;
    if (n <= 64 && vh_escape_name(domain, out, size) == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        hash = (hash ^ (unsigned char)domain[i]) * 0x100000001b3ULL;
    memcpy(head, domain, 32);
    head[32] = '\0';
    if (vh_escape_name(head, out, size) != 0)
        return -1;
    n = strlen(out);
    return snprintf(out + n, size - n, "~%016llx", hash) >= (int)(size - n) ? -1 : 0;
}

/* Writes RUN/domains/NAME to @out; -1 when it does not fit. */
static inline int
vh_journal_domain_index(const char *run_dir, const char *domain, char *out, size_t size)
{
    char name[VH_JOURNAL_INDEX_NAME_MAX];
    int n;

    if (vh_journal_index_name(domain, name, sizeof(name)) != 0)
        return -1;
    n = snprintf(out, size, "%s/" VH_JOURNAL_DOMAINS_DIR "/%s", run_dir, name);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}
