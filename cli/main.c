/* vfio-handoff: the command table */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "vh-cli.h"

static const VhCommand commands[] = {
    {"check", "check that this host can do PCI passthrough, with the fix for each failure",
     vh_cmd_check, FALSE},
    {"list", "list PCI devices with their IOMMU groups, drivers and whether they can be passed",
     vh_cmd_list, FALSE},
    {"groups", "list IOMMU groups with their members and viability", vh_cmd_groups, FALSE},
    {"show", "show everything known about one device", vh_cmd_show, FALSE},
    {"enable", "enable devices for passthrough (refuses what the host depends on)", vh_cmd_enable,
     FALSE},
    {"disable", "disable devices for passthrough (undoes enable)", vh_cmd_disable, FALSE},
    {"add", "add devices to a shut-off domain (hostdevs, locked memory)", vh_cmd_add, FALSE},
    {"remove", "remove devices from a shut-off domain (undoes add)", vh_cmd_remove, FALSE},
    {"status", "show which devices are handed off, to whom and since when", vh_cmd_status, FALSE},
    {"detach", "hand devices to vfio-pci by hand (journaled; reattach gives them back)",
     vh_cmd_detach, FALSE},
    {"reattach", "give devices back to the driver they had", vh_cmd_reattach, FALSE},
    {"recover", "give back every device whose domain is no longer running", vh_cmd_recover, FALSE},
    {"plan", "show every check and sysfs write the hook would make when a domain starts",
     vh_cmd_plan, FALSE},
    {"policy", "policy validate [FILE]: check the policy files, every problem with file:line",
     vh_cmd_policy, FALSE},
    {"complete", "bash completion's candidates for a command line", vh_cmd_complete, TRUE},
};

void
vh_cli_list_verbs(const char *prefix)
{
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (!commands[i].hidden && g_str_has_prefix(commands[i].name, prefix))
            printf("%s\n", commands[i].name);
    }
}

static void
usage(FILE *out)
{
    fprintf(out, "Usage: vfio-handoff COMMAND [OPTION...]\n\n"
                 "Hand PCI devices to VMs and back, safely.\n\nCommands:\n");
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (!commands[i].hidden)
            fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(out, "\nRun 'vfio-handoff COMMAND --help' for a command's options.\n"
                 "Options:\n  -h, --help     show this help\n  --version      show the version\n");
}

int
main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    if (argc < 2) {
        usage(stderr);
        return VH_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return VH_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
        return VH_EXIT_OK;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    vh_cli_error("%s: unknown command (fix: see 'vfio-handoff --help')", argv[1]);
    return VH_EXIT_USAGE;
}
