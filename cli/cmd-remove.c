/* vfio-handoff remove DOMAIN DEVICE...|--all: undoes what add did, in the definition or,
 * --live, in the running domain */
#include "config.h"

#include "vh-cli.h"
#include "vh-hostdev-live.h"

static const char REMOVE_SUMMARY[] =
    "Remove PCI devices from a domain's persistent definition, or with --live unplug them "
    "from it while it runs and give them back to their drivers. From the definition, each device "
    "goes "
    "with the functions `add` brought along with it (and the root port it made for them). "
    "Once no device added by vfio-handoff is left, the memory settings `add` changed are "
    "put back as they were; settings the domain had before, or that were changed since, "
    "stay.";
static const char REMOVE_DESCRIPTION[] =
    "DOMAIN is a libvirt domain name or UUID; DEVICE a PCI address (0000:01:00.0) or a "
    "vendor:device ID. A <hostdev> written by hand is removed alone. Removing a device "
    "that is not there changes nothing. --live asks libvirt to unplug each device, waits "
    "until the guest has let go of it (libvirt then drops it from the live definition), and "
    "gives it back; one the guest keeps past --timeout stays on VFIO, journaled for the "
    "domain, and `recover` gives it back once it is gone.";

/* FALSE, said, when the options do not go together */
static gboolean
options_agree(gboolean all, gboolean live, int timeout)
{
    if (all && live) {
        vh_cli_error("remove: --all changes the definition only (fix: name the DEVICEs to unplug "
                     "with --live)");
        return FALSE;
    }
    if (timeout < 1 || timeout > 3600) {
        vh_cli_error("remove: --timeout=%d is out of range (fix: give 1 to 3600 seconds)", timeout);
        return FALSE;
    }
    return TRUE;
}

int
vh_cmd_remove(int argc, char **argv)
{
    gboolean all = FALSE, dry_run = FALSE, json = FALSE, live = FALSE, config = FALSE,
             persistent = FALSE;
    int timeout = 10;
    g_autofree char *uri = NULL;
    const GOptionEntry entries[] = {
        {"all", 'a', 0, G_OPTION_ARG_NONE, &all, "Remove every device vfio-handoff added", NULL},
        {"live", 0, 0, G_OPTION_ARG_NONE, &live,
         "Unplug the devices from the running domain now, and give each back to its driver once "
         "the guest has let go of it",
         NULL},
        {"config", 0, 0, G_OPTION_ARG_NONE, &config,
         "Remove them from the persistent definition (the default)", NULL},
        {"persistent", 0, 0, G_OPTION_ARG_NONE, &persistent,
         "Both: --live and --config; of a domain that does not run, its definition alone (as "
         "virsh's)",
         NULL},
        {"timeout", 0, 0, G_OPTION_ARG_INT, &timeout,
         "With --live: how long the guest has to let go of a device (default 10)", "SECONDS"},
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
         "Print the change as a unified diff of the domain's XML (with --live: what would be "
         "unplugged); change nothing",
         NULL},
        {"connect", 'c', 0, G_OPTION_ARG_STRING, &uri, "libvirt URI (as virsh -c)", "URI"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json,
         "Print JSON: the changes, and with --dry-run the diff", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = vh_cli_option_context(
        "remove", "DOMAIN DEVICE...|--all", REMOVE_SUMMARY, REMOVE_DESCRIPTION, entries);
    g_autoptr(VhCliView) view = NULL;
    VhHostdevRequest req = {.all = FALSE};
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (argc > 2 && all) {
        vh_cli_error("remove: --all and DEVICEs exclude each other, and both were given (fix: run "
                     "'vfio-handoff remove %s --all' for every one, or name only the DEVICEs)",
                     argv[1]);
        return VH_EXIT_USAGE;
    }
    if (argc < 2 || (argc < 3 && !all)) {
        vh_cli_error("remove: needs a DOMAIN and either DEVICEs or --all (fix: see 'vfio-handoff "
                     "remove --help')");
        return VH_EXIT_USAGE;
    }
    if (!options_agree(all, live || persistent, timeout))
        return VH_EXIT_USAGE;
    /* the host is read only to resolve vendor:device IDs, and for --live to give back */
    if ((live || persistent) && (view = vh_cli_view_load_or_report(VH_SNAPSHOT_NONE)) == NULL)
        return VH_EXIT_FAILED;
    for (int i = 2; i < argc && view == NULL; i++) {
        if (vh_pci_address_parse(argv[i], &(VhPciAddress){0}, NULL))
            continue;
        if ((view = vh_cli_view_load_or_report(VH_SNAPSHOT_NONE)) == NULL)
            return VH_EXIT_FAILED;
    }
    req.devices = argv + 2;
    req.all = all;
    req.dry_run = dry_run;
    req.live = live || persistent;
    req.config = config || persistent || !live;
    req.timeout_s = (guint)timeout;
    return vh_hostdev_command(vh_hostdev_pick(FALSE, &req), uri, view, argv[1], &req);
}
