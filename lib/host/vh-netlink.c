/* vfio-handoff: routes and addresses over rtnetlink */
#include "config.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vh-error.h"
#include "vh-netlink.h"
#include "vh-sysfs.h"

void
vh_net_entry_free(VhNetEntry *e)
{
    if (e == NULL)
        return;
    g_strfreev(e->ifnames);
    g_free(e);
}

static char *
ifname_of(int index)
{
    char name[IF_NAMESIZE];

    return if_indextoname((unsigned)index, name) != NULL ? g_strdup(name)
                                                         : g_strdup_printf("if%d", index);
}

static void
add_route(GPtrArray *out, const struct nlmsghdr *h)
{
    const struct rtmsg *rt = NLMSG_DATA(h);
    int len = (int)RTM_PAYLOAD(h);
    g_autoptr(GPtrArray) ifs = g_ptr_array_new_with_free_func(g_free);
    VhNetEntry *e = g_new0(VhNetEntry, 1);

    e->kind = VH_NET_ROUTE;
    e->family = rt->rtm_family;
    e->table = rt->rtm_table;
    e->type = rt->rtm_type;
    e->dst_len = rt->rtm_dst_len;
    for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == RTA_TABLE && RTA_PAYLOAD(a) >= sizeof(guint32))
            memcpy(&e->table, RTA_DATA(a), sizeof(guint32));
        else if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) >= sizeof(int))
            g_ptr_array_add(ifs, ifname_of(*(const int *)RTA_DATA(a)));
        else if (a->rta_type == RTA_MULTIPATH) {
            /* an ECMP route: each next hop has its own interface */
            const struct rtnexthop *nh = RTA_DATA(a);
            int left = (int)RTA_PAYLOAD(a);

            while (left >= (int)sizeof(*nh) && nh->rtnh_len >= sizeof(*nh) &&
                   nh->rtnh_len <= left) {
                g_ptr_array_add(ifs, ifname_of(nh->rtnh_ifindex));
                left -= NLMSG_ALIGN(nh->rtnh_len);
                nh = (const struct rtnexthop *)((const char *)nh + NLMSG_ALIGN(nh->rtnh_len));
            }
        }
    }
    g_ptr_array_add(ifs, NULL);
    e->ifnames = (char **)g_ptr_array_steal(ifs, NULL);
    g_ptr_array_add(out, e);
}

static void
add_address(GPtrArray *out, const struct nlmsghdr *h)
{
    const struct ifaddrmsg *ifa = NLMSG_DATA(h);
    VhNetEntry *e = g_new0(VhNetEntry, 1);

    e->kind = VH_NET_ADDRESS;
    e->family = ifa->ifa_family;
    e->scope = ifa->ifa_scope;
    e->ifnames = g_new0(char *, 2);
    e->ifnames[0] = ifname_of((int)ifa->ifa_index);
    g_ptr_array_add(out, e);
}

/* One dump request (RTM_GETROUTE or RTM_GETADDR, every family) and its answer into @out. */
static gboolean
dump(int fd, guint16 type, guint32 seq, GPtrArray *out, GError **error)
{
    struct {
        struct nlmsghdr h;
        struct rtgenmsg g;
    } req = {.h = {.nlmsg_len = sizeof(req), .nlmsg_type = type,
                   .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = seq},
             .g = {.rtgen_family = AF_UNSPEC}};
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    g_autofree char *buf = g_malloc(32768);

    if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
        vh_error_set_errno(error, errno, "send a dump request to it", "rtnetlink");
        return FALSE;
    }
    for (;;) {
        ssize_t n = recv(fd, buf, 32768, 0);
        int left;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            vh_error_set_errno(error, errno, "read its answer", "rtnetlink");
            return FALSE;
        }
        left = (int)n;
        for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; NLMSG_OK(h, left);
             h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_seq != seq)
                continue;
            if (h->nlmsg_type == NLMSG_DONE)
                return TRUE;
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *err = NLMSG_DATA(h);

                vh_error_set_errno(error, -err->error, "dump it", "rtnetlink");
                return FALSE;
            }
            if (h->nlmsg_type == RTM_NEWROUTE)
                add_route(out, h);
            else if (h->nlmsg_type == RTM_NEWADDR)
                add_address(out, h);
        }
    }
}

static int
family_of(const char *word)
{
    return g_strcmp0(word, "inet6") == 0 ? AF_INET6 : AF_INET;
}

/* the test host's dump, in words (vh_netlink_dump()) */
static GPtrArray *
read_fake(const VhHost *host, GError **error)
{
    g_autofree char *path = vh_host_proc_path(host, "self/net/vh-rtnetlink");
    g_autofree char *text = vh_sysfs_read_big(path, 4 * 1024 * 1024, NULL);
    g_auto(GStrv) lines = g_strsplit(text != NULL ? text : "", "\n", -1);
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)vh_net_entry_free);

    (void)error; /* none: a test host without it has no routes */
    for (guint i = 0; lines[i] != NULL; i++) {
        g_auto(GStrv) w = g_strsplit(lines[i], " ", -1);
        guint n = g_strv_length(w);
        VhNetEntry *e;

        if (n == 6 && strcmp(w[0], "route") == 0) {
            e = g_new0(VhNetEntry, 1);
            e->kind = VH_NET_ROUTE;
            e->family = family_of(w[1]);
            e->table = (guint32)g_ascii_strtoull(w[2], NULL, 10);
            e->type = strcmp(w[3], "unicast") == 0 ? RTN_UNICAST : RTN_UNREACHABLE;
            e->dst_len = (guint8)g_ascii_strtoull(w[4], NULL, 10);
            e->ifnames = g_strsplit(w[5], ",", -1);
            g_ptr_array_add(out, e);
        } else if (n == 4 && strcmp(w[0], "addr") == 0) {
            e = g_new0(VhNetEntry, 1);
            e->kind = VH_NET_ADDRESS;
            e->family = family_of(w[1]);
            e->scope = (guint8)g_ascii_strtoull(w[2], NULL, 10);
            e->ifnames = g_strsplit(w[3], ",", 2);
            g_ptr_array_add(out, e);
        }
    }
    return out;
}

GPtrArray *
vh_netlink_dump(const VhHost *host, GError **error)
{
    g_autoptr(GPtrArray) out = NULL;
    struct sockaddr_nl local = {.nl_family = AF_NETLINK};
    int fd;

    if (!host->is_system)
        return read_fake(host, error);
    out = g_ptr_array_new_with_free_func((GDestroyNotify)vh_net_entry_free);
    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) {
        vh_error_set_errno(error, errno, "open a socket to it", "rtnetlink");
        return NULL;
    }
    if (bind(fd, (struct sockaddr *)&local, sizeof(local)) != 0) {
        vh_error_set_errno(error, errno, "bind a socket to it", "rtnetlink");
        close(fd);
        return NULL;
    }
    if (!dump(fd, RTM_GETROUTE, 1, out, error) || !dump(fd, RTM_GETADDR, 2, out, error)) {
        close(fd);
        return NULL;
    }
    close(fd);
    return g_steal_pointer(&out);
}

void
vh_netlink_defaults_and_addressed(const GPtrArray *entries, GPtrArray *defaults,
                                  GHashTable *addressed)
{
    for (guint i = 0; i < entries->len; i++) {
        const VhNetEntry *e = g_ptr_array_index((GPtrArray *)entries, i);

        if (e->family != AF_INET && e->family != AF_INET6)
            continue;
        for (guint j = 0; e->ifnames[j] != NULL; j++) {
            const char *ifname = e->ifnames[j];

            if (strcmp(ifname, "lo") == 0)
                continue;
            /* a default route of any table, policy routing and VRFs included; an unreachable
             * or blackhole default goes out of no interface */
            if (e->kind == VH_NET_ROUTE && e->dst_len == 0 && e->type == RTN_UNICAST &&
                !g_ptr_array_find_with_equal_func(defaults, ifname, g_str_equal, NULL))
                g_ptr_array_add(defaults, g_strdup(ifname));
            else if (e->kind == VH_NET_ADDRESS && e->scope == RT_SCOPE_UNIVERSE)
                g_hash_table_add(addressed, g_strdup(ifname));
        }
    }
}
