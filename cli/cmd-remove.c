/* vfio-handoff remove DOMAIN DEVICE...|--all: undoes what add did */
#include "config.h"

#include "vh-cli.h"
#include "vh-hostdev-change.h"

int
vh_cmd_remove(int argc, char **argv)
{
    gboolean all = FALSE, dry_run = FALSE, json = FALSE;
    g_autofree char *uri = NULL;
    const GOptionEntry entries[] = {
        {"all", 'a', 0, G_OPTION_ARG_NONE, &all, "Remove every device vfio-handoff added", NULL},
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
         "Print the change as a unified diff of the domain's XML; define nothing", NULL},
        {"connect", 'c', 0, G_OPTION_ARG_STRING, &uri, "libvirt URI (as virsh -c)", "URI"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json,
         "Print JSON: the changes, and with --dry-run the diff", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = vh_cli_option_context(
        "remove", "DOMAIN DEVICE...|--all",
        "Remove PCI devices from a shut-off domain's persistent definition: each device goes "
        "with the functions `add` brought along with it (and the root port it made for them). "
        "Once no device added by vfio-handoff is left, the memory settings `add` changed are "
        "put back as they were; settings the domain had before, or that were changed since, "
        "stay.",
        "DOMAIN is a libvirt domain name or UUID; DEVICE a PCI address (0000:01:00.0) or a "
        "vendor:device ID. A <hostdev> written by hand is removed alone. Removing a device "
        "that is not there changes nothing.",
        entries);
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
    /* the host is read only to resolve vendor:device IDs */
    for (int i = 2; i < argc && view == NULL; i++) {
        if (vh_pci_address_parse(argv[i], &(VhPciAddress){0}, NULL))
            continue;
        if ((view = vh_cli_view_load_or_report(VH_SNAPSHOT_NONE)) == NULL)
            return VH_EXIT_FAILED;
    }
    req.devices = argv + 2;
    req.all = all;
    req.dry_run = dry_run;
    return vh_hostdev_command(vh_hostdev_remove, uri, view, argv[1], &req);
}
