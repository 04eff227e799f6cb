/* vfio-handoff: the command table */
#include "config.h"

#include <errno.h>
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
    {"domains", "list libvirt's domains with the PCI devices each passes through", vh_cmd_domains,
     FALSE},
    {"status", "show which devices are handed off, to whom and since when", vh_cmd_status, FALSE},
    {"detach", "hand devices to vfio-pci by hand (journaled; reattach gives them back)",
     vh_cmd_detach, FALSE},
    {"reattach", "give devices back to the driver they had", vh_cmd_reattach, FALSE},
    {"recover", "give back every device whose domain is no longer running", vh_cmd_recover, FALSE},
    {"plan", "show every check and sysfs write the hook would make when a domain starts",
     vh_cmd_plan, FALSE},
    {"policy", "policy validate [FILE]: check the policy files, every problem with file:line",
     vh_cmd_policy, FALSE},
    {"export", "export nova: the [pci] lines of nova.conf for the enabled devices", vh_cmd_export,
     FALSE},
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

static const VhCommand *
command_named(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    }
    return NULL;
}

static int
run(int argc, char **argv)
{
    const VhCommand *cmd;

    if (argc < 2) {
        usage(stderr);
        return VH_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        (strcmp(argv[1], "help") == 0 && argc == 2)) {
        usage(stdout);
        return VH_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
        return VH_EXIT_OK;
    }
    if (strcmp(argv[1], "help") == 0) {
        /* help VERB: the verb's own --help, as virsh help VERB */
        char *help_argv[] = {argv[2], (char *)"--help", NULL};

        if (argc > 3) {
            vh_cli_error("help: takes one COMMAND, got '%s' too (fix: run 'vfio-handoff help "
                         "%s')",
                         argv[3], argv[2]);
            return VH_EXIT_USAGE;
        }
        if ((cmd = command_named(argv[2])) == NULL || cmd->hidden) {
            vh_cli_error("%s: unknown command (fix: see 'vfio-handoff --help')", argv[2]);
            return VH_EXIT_USAGE;
        }
        return cmd->run(2, help_argv);
    }
    if ((cmd = command_named(argv[1])) != NULL)
        return cmd->run(argc - 1, argv + 1);
    if (argv[1][0] == '-')
        vh_cli_error("%s: unknown option (fix: see 'vfio-handoff --help')", argv[1]);
    else
        vh_cli_error("%s: unknown command (fix: see 'vfio-handoff --help')", argv[1]);
    return VH_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
    int rc;

    setlocale(LC_ALL, "");
    rc = run(argc, argv);
    vh_cli_json_finish(argc > 1 ? argv[1] : "", rc);
    /* what was printed must have reached its reader: a full disk or a closed pipe is a failure,
     * not a success with a truncated answer */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (errno != EPIPE)
            vh_cli_error("stdout: cannot be written, %s (fix: write to a file system with free "
                         "space, or to a pipe that is read)",
                         g_strerror(errno));
        return rc == VH_EXIT_OK ? VH_EXIT_FAILED : rc;
    }
    return rc;
}
