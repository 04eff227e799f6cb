/* vfio-handoff recover: give back every device whose domain is no longer running */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vh-cli.h"
#include "vh-holders.h"
#include "vh-prepare.h"
#include "vh-libvirt.h"
#include "vh-policy.h"

typedef enum { DOMAIN_RUNNING, DOMAIN_GONE, DOMAIN_UNKNOWN } DomainState;

/* Whether @h's domain runs: libvirt's answer, or with --offline its QEMU pid's. */
static DomainState
domain_state(const VhHost *host, const VhJournalRecord *h, const VhLibvirt *lv, virConnectPtr conn,
             char **why)
{
    virDomainPtr dom;
    int active;

    if (conn == NULL) {
        switch (vh_holder_state_of_record(host, h)) {
        case VH_HOLDER_RUNNING:
        case VH_HOLDER_BY_HAND:
            *why = g_strdup_printf("its QEMU (pid %d) is running", h->qemu_pid);
            return DOMAIN_RUNNING;
        case VH_HOLDER_GONE:
            *why = g_strdup_printf("its QEMU (pid %d) is gone", h->qemu_pid);
            return DOMAIN_GONE;
        case VH_HOLDER_STARTING:
            break;
        }
        *why = g_strdup("no QEMU pid was recorded, so --offline cannot tell whether it runs "
                        "(drop --offline to ask libvirt)");
        return DOMAIN_UNKNOWN;
    }
    dom = lv->domain_lookup_by_name(conn, h->domain);
    if (dom == NULL) {
        *why = g_strdup("libvirt does not know the domain any more");
        return DOMAIN_GONE;
    }
    active = lv->domain_is_active(dom);
    lv->domain_free(dom);
    if (active == 1) {
        *why = g_strdup("libvirt says it is running");
        return DOMAIN_RUNNING;
    }
    *why = g_strdup("libvirt says it is not running");
    return DOMAIN_GONE;
}

typedef struct {
    VhCliChange *change;
    const VhLibvirt *lv;
    virConnectPtr conn; /* NULL: --offline */
    gboolean dry_run;
    guint returned, failed;
} Recovery;

/* Gives back @h when its domain no longer runs; says what it did. */
static void
recover_one(Recovery *rc, VhJournalRecord *h)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *why = NULL;
    g_autofree char *driver = g_strdup(h->driver != NULL ? h->driver : "no driver");
    DomainState state;

    if (h->owner == VH_OWNER_BY_HAND) {
        printf("kept %s: detached by hand ('vfio-handoff reattach %s' gives it back)\n", h->address,
               h->address);
        return;
    }
    state = domain_state(rc->change->host, h, rc->lv, rc->conn, &why);
    if (state == DOMAIN_RUNNING) {
        printf("kept %s: held by %s, and %s\n", h->address, h->domain, why);
        return;
    }
    if (state == DOMAIN_UNKNOWN) {
        printf("kept %s: held by %s: %s\n", h->address, h->domain, why);
        rc->failed++;
        return;
    }
    if (rc->dry_run) {
        printf("would give %s back to %s (domain %s: %s)\n", h->address, driver, h->domain, why);
        return;
    }
    if (!vh_prepare_give_back(rc->change->host, h, &rc->change->writer, &error)) {
        printf("failed %s: %s (it stays in the journal, stuck)\n", h->address, error->message);
        rc->failed++;
        return;
    }
    rc->returned++;
    printf("gave %s back to %s (domain %s: %s)\n", h->address, driver, h->domain, why);
}

/* libvirt, to ask which domains run; FALSE (reported) when it cannot be reached. */
static gboolean
connect_libvirt(Recovery *r, const char *uri)
{
    g_autoptr(GError) error = NULL;

    if ((r->lv = vh_libvirt_load(&error)) == NULL ||
        (r->conn = vh_libvirt_open(r->lv, uri, TRUE, &error)) == NULL) {
        vh_cli_error("libvirt: cannot tell which domains run, %s (fix: trust the QEMU pids "
                     "instead, run 'vfio-handoff recover --offline')",
                     error->message);
        return FALSE;
    }
    return TRUE;
}

int
vh_cmd_recover(int argc, char **argv)
{
    gboolean dry_run = FALSE, offline = FALSE;
    char *uri = NULL;
    const GOptionEntry entries[] = {
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
         "Say what would be given back; change "
         "nothing",
         NULL},
        {"offline", 0, 0, G_OPTION_ARG_NONE, &offline,
         "Do not ask libvirt: trust the recorded QEMU pid alone", NULL},
        {"connect", 'c', 0, G_OPTION_ARG_STRING, &uri, "libvirt URI (as virsh -c)", "URI"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = vh_cli_option_context(
        "recover", NULL,
        "Give back every journaled device whose domain is no longer running — after a hook was "
        "killed, a give back failed, or the libvirt daemon died at the wrong moment — and "
        "report each result, including devices that cannot be returned and why. Devices "
        "detached by hand are left to vfio-handoff reattach.",
        "Exit status: 0 when every device that should go back went back, 1 otherwise.", entries);
    g_autoptr(GError) error = NULL;
    g_autoptr(VhCliChange) change = NULL;
    g_autoptr(GPtrArray) holds = NULL;
    g_autofree char *uri_owned = NULL;
    Recovery r = {0};
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    uri_owned = uri;
    if (rc >= 0)
        return rc;
    if (!vh_cli_no_arguments(argc, argv, NULL))
        return VH_EXIT_USAGE;
    if ((change = vh_cli_change_begin()) == NULL)
        return VH_EXIT_FAILED;
    holds = vh_journal_list(change->host);
    if (holds->len == 0) {
        printf("The journal is empty: nothing to recover.\n");
        return VH_EXIT_OK;
    }
    r.change = change;
    r.dry_run = dry_run;
    if (!offline && !connect_libvirt(&r, uri))
        return VH_EXIT_FAILED;
    /* last taken, first given back */
    for (guint i = holds->len; i > 0; i--)
        recover_one(&r, g_ptr_array_index(holds, i - 1));
    if (r.conn != NULL)
        r.lv->connect_close(r.conn);
    if (!dry_run)
        printf("\n%u device%s given back, %u could not be.\n", r.returned,
               r.returned == 1 ? "" : "s", r.failed);
    return r.failed == 0 ? VH_EXIT_OK : VH_EXIT_FAILED;
}
