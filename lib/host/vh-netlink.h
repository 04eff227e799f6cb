/* vfio-handoff: the host's routes and addresses, as rtnetlink tells them (rtnetlink(7)): every
 * routing table, IPv4 and IPv6 */
#pragma once

#include <glib.h>

#include "vh-host.h"

G_BEGIN_DECLS

typedef enum { VH_NET_ROUTE, VH_NET_ADDRESS } VhNetKind;

/* One route or address of the host, as much of it as vfio-handoff decides on. */
typedef struct {
    VhNetKind kind;
    int family;       /* AF_INET, AF_INET6 */
    guint32 table;    /* a route's table (RT_TABLE_MAIN 254, or a policy routing one) */
    guint8 type;      /* a route's type: RTN_UNICAST, RTN_UNREACHABLE, ... */
    guint8 dst_len;   /* a route's prefix length: 0 for a default route */
    guint8 scope;     /* an address's scope: RT_SCOPE_UNIVERSE (0) for a global one */
    char **ifnames;   /* a route's output interfaces (several for a multipath one); an
                       * address's interface */
} VhNetEntry;

void vh_net_entry_free(VhNetEntry *e);

/*
 * Every route of every table and every address of the host (VhNetEntry *). On the running
 * system, an rtnetlink dump of the caller's network namespace; on a test host (VH_ROOT), its
 * PROC/self/net/vh-rtnetlink, lines of "route FAMILY TABLE TYPE DST_LEN IF[,IF...]" and
 * "addr FAMILY SCOPE IF" (FAMILY inet or inet6, TYPE unicast, unreachable, ...). NULL on error.
 */
GPtrArray *vh_netlink_dump(const VhHost *host, GError **error);

/* The interfaces of default routes (any table, IPv4 and IPv6, unicast ones) into @defaults, and
 * of global addresses into @addressed (a set of names), from @entries. */
void vh_netlink_defaults_and_addressed(const GPtrArray *entries, GPtrArray *defaults,
                                       GHashTable *addressed);

G_END_DECLS
