/* vfio-handoff list: the host's PCI devices and whether each can be passed */
#include "config.h"

#include <stdio.h>

#include "vh-cli.h"

static void
print_table(const VhCliView *view)
{
    GPtrArray *devices = view->snap->inventory->devices;
    gboolean more = FALSE, uncertain = FALSE;
    const GPtrArray *host_reasons = NULL;

    printf("%-12s  %-9s  %-25s  %-14s  %5s  %-6s  %-4s  %-7s  %s\n", "ADDRESS", "ID", "CLASS",
           "DRIVER", "GROUP", "RESET", "PASS", "ENABLED", "NAME");
    for (guint i = 0; i < devices->len; i++) {
        VhPciDevice *dev = g_ptr_array_index(devices, i);
        const VhDeviceAnswer *a = vh_cli_view_answer(view, dev);
        g_autofree char *ids = vh_pci_device_ids(dev);
        g_autofree char *name = vh_pci_device_display_name(dev);
        g_autofree char *cls = dev->class_name != NULL
                                   ? g_strndup(dev->class_name, 25)
                                   : g_strdup_printf("%04x", vh_pci_device_class(dev));
        g_autofree char *group = dev->iommu_group >= 0 ? g_strdup_printf("%d", dev->iommu_group)
                                                       : g_strdup("-");
        g_autofree char *parked = vh_cli_parked_text(view->snap, dev);
        g_autofree char *reset = vh_cli_reset_brief(dev);

        printf("%-12s  %-9s  %-25s  %-14s  %5s  %-6s  %-4s  %-7s  %s\n", dev->name, ids, cls,
               dev->driver != NULL ? dev->driver : "-", group, reset, a->passable ? "yes" : "no",
               vh_cli_policy_state(view, dev), name);
        uncertain |= a->passable && vh_pci_device_reset_health(dev) != VH_RESET_CLEAN;
        /* why not: the first reason, most serious first; `show` has them all */
        if (!a->passable) {
            const VhPolicyCheck *first = NULL;
            guint n = 0;

            /* the host's own reasons (a broken policy, say) are the same for every device:
             * said once, below the table */
            for (guint j = 0; j < a->reasons->len; j++) {
                const VhPolicyCheck *c = g_ptr_array_index(a->reasons, j);

                if (c->kind == VH_CHECK_HOST) {
                    if (host_reasons == NULL)
                        host_reasons = a->reasons;
                    continue;
                }
                if (n++ == 0)
                    first = c;
            }
            if (first != NULL) {
                printf("%14s└ %s", "", first->reason);
                if (n > 1)
                    printf(" (+%u more)", n - 1);
                printf("\n");
            }
            more |= n > 1;
        }
        if (parked != NULL)
            printf("%14s└ %s\n", "", parked);
    }
    for (guint j = 0; host_reasons != NULL && j < host_reasons->len; j++) {
        const VhPolicyCheck *c = g_ptr_array_index((GPtrArray *)host_reasons, j);
        g_autofree char *line = vh_policy_check_message(c, NULL);

        if (c->kind == VH_CHECK_HOST)
            printf("%sNo device can be passed now: %s\n", j == 0 ? "\n" : "", line);
    }
    if (more)
        printf("\nEvery reason, with its fix: vfio-handoff show DEVICE\n");
    if (uncertain)
        printf("\nRESET is the reset the kernel tries first: '?' may not leave the device clean "
               "(pm, bus), 'none' has no reset. vfio-handoff gives such a device back only if it "
               "answers; what each has: vfio-handoff show DEVICE\n");
    if (!view->snap->inventory->has_iommu_groups)
        printf("\nThe IOMMU is off: no device can be passed (fix: run 'vfio-handoff check').\n");
    if (!view->snap->usage->processes_complete)
        printf("\nNot every process's open files could be read: run as root to see what holds "
               "each device.\n");
}

int
vh_cmd_list(int argc, char **argv)
{
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx =
        vh_cli_option_context("list", NULL,
                              "List the host's PCI devices with their IOMMU "
                              "groups, drivers, the reset each has, and whether "
                              "each can be passed to a VM (and if not, why).",
                              NULL, entries);
    g_autoptr(VhCliView) view = NULL;
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (argc > 1) {
        g_autofree char *fix =
            g_strdup_printf("to see one device, run 'vfio-handoff show %s'", argv[1]);

        vh_cli_no_arguments(argc, argv, fix);
        return VH_EXIT_USAGE;
    }
    view = vh_cli_view_load_or_report(VH_SNAPSHOT_NAMES);
    if (view == NULL)
        return VH_EXIT_FAILED;
    if (json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        vh_cli_json_begin_inventory(b, view, "devices");
        for (guint i = 0; i < view->snap->inventory->devices->len; i++)
            vh_cli_device_to_json(b, view, g_ptr_array_index(view->snap->inventory->devices, i),
                                  FALSE);
        vh_cli_json_end_inventory(b);
    } else {
        print_table(view);
    }
    return VH_EXIT_OK;
}
