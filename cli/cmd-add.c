/* vfio-handoff add DOMAIN DEVICE...: VMware's "Add PCI device", to a domain's definition or,
 * --live, into the running domain */
#include "config.h"

#include "vh-cli.h"
#include "vh-hostdev-live.h"

static const char ADD_SUMMARY[] =
    "Add PCI devices to a domain's persistent definition, or with --live hot-plug them "
    "into it while it runs (which DirectPath I/O forbids). The definition gets a <hostdev "
    "mode='subsystem' type='pci' managed='no'> for each device and, unless --only, for the "
    "other endpoints of its IOMMU group (a GPU's audio function), the functions of one "
    "physical device sharing one guest slot; and, as lock-memory in the policy asks, "
    "<memoryBacking><locked/> and a <memtune><hard_limit> of guest memory + "
    "memory-overhead. What it changed is recorded in the domain's <metadata>, so `remove` "
    "undoes exactly that.";
static const char ADD_DESCRIPTION[] =
    "DOMAIN is a libvirt domain name or UUID; DEVICE a PCI address (0000:01:00.0) or a "
    "vendor:device ID matching one device. Each device must be enabled for this domain "
    "(vfio-handoff enable), match its pinned identity, not be needed by the host, and fit "
    "the domain's max-devices; else nothing is changed. Adding a device already there "
    "changes nothing. A running domain's definition alone is not changed: --live "
    "hot-plugs, --persistent does both. A hot-plug takes the devices from their drivers "
    "journaled for the domain (its stop gives them back, as the hook's); if libvirt refuses "
    "it, they are given back and libvirt's reason is shown.";

int
vh_cmd_add(int argc, char **argv)
{
    gboolean only = FALSE, dry_run = FALSE, json = FALSE, live = FALSE, config = FALSE,
             persistent = FALSE;
    g_autofree char *uri = NULL;
    const GOptionEntry entries[] = {
        {"only", 0, 0, G_OPTION_ARG_NONE, &only,
         "Add just the devices named, not the other functions of their IOMMU groups (they are "
         "still handed off at start)",
         NULL},
        {"live", 0, 0, G_OPTION_ARG_NONE, &live,
         "Hot-plug the devices into the running domain now: checked and handed off as the hook "
         "does at a start, then attached through libvirt",
         NULL},
        {"config", 0, 0, G_OPTION_ARG_NONE, &config,
         "Add them to the persistent definition, for its next start (the default)", NULL},
        {"persistent", 0, 0, G_OPTION_ARG_NONE, &persistent,
         "Both: --live and --config; of a domain that does not run, its definition alone (as "
         "virsh's)",
         NULL},
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
         "Print the change as a unified diff of the domain's XML (with --live: what would be "
         "hot-plugged); change nothing",
         NULL},
        {"connect", 'c', 0, G_OPTION_ARG_STRING, &uri, "libvirt URI (as virsh -c)", "URI"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json,
         "Print JSON: the changes, and with --dry-run the diff", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx =
        vh_cli_option_context("add", "DOMAIN DEVICE...", ADD_SUMMARY, ADD_DESCRIPTION, entries);
    g_autoptr(VhCliView) view = NULL;
    VhHostdevRequest req = {.only = FALSE};
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (argc < 3) {
        vh_cli_error(
            "add: needs a DOMAIN and at least one DEVICE (fix: see 'vfio-handoff add --help')");
        return VH_EXIT_USAGE;
    }
    if ((view = vh_cli_view_load_or_report(VH_SNAPSHOT_NONE)) == NULL)
        return VH_EXIT_FAILED;
    req.devices = argv + 2;
    req.only = only;
    req.dry_run = dry_run;
    req.live = live || persistent;
    req.config = config || persistent || !live;
    return vh_hostdev_command(vh_hostdev_pick(TRUE, &req), uri, view, argv[1], &req);
}
