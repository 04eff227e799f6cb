/* vfio-handoff list: the host's PCI devices and whether each can be passed */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vh-cli.h"
#include "vh-table.h"

/* The first reason @dev cannot be passed that is its own (the host's are said once, below the
 * table), with how many more there are; NULL when there is none. *@host_reasons: the host's. */
static char *
first_reason(const VhDeviceAnswer *a, const GPtrArray **host_reasons)
{
    const VhPolicyCheck *first = NULL;
    guint n = 0;

    for (guint j = 0; j < a->reasons->len; j++) {
        const VhPolicyCheck *c = g_ptr_array_index(a->reasons, j);

        if (c->kind == VH_CHECK_HOST) {
            if (*host_reasons == NULL)
                *host_reasons = a->reasons;
            continue;
        }
        if (strcmp(c->id, "device-enabled") == 0)
            continue; /* not passable: something else comes first, enabling is no fix */
        if (n++ == 0)
            first = c;
    }
    if (first == NULL)
        return NULL;
    return n > 1 ? g_strdup_printf("%s (+%u more)", first->reason, n - 1) : g_strdup(first->reason);
}

static void
print_table(const VhCliView *view, gboolean wide, gboolean legend)
{
    static const char *const headers[] = {"ADDRESS", "ID", "CLASS", "DRIVER", "GROUP", "RESET",
                                          "PASS", "ENABLED", "NAME", "WHY", NULL};
    g_autofree char **cols = g_memdup2(headers, sizeof(headers));
    GPtrArray *devices = view->snap->inventory->devices;
    gboolean more = FALSE, uncertain = FALSE;
    const GPtrArray *host_reasons = NULL;
    g_autoptr(VhTable) t = NULL;

    if (!wide)
        cols[9] = NULL; /* the reason goes under the row */
    t = vh_table_new((const char *const *)cols);
    for (guint i = 0; i < devices->len; i++) {
        VhPciDevice *dev = g_ptr_array_index(devices, i);
        const VhDeviceAnswer *a = vh_cli_view_answer(view, dev);
        g_autofree char *ids = vh_pci_device_ids(dev);
        g_autofree char *name = vh_pci_device_display_name(dev);
        g_autofree char *cls = dev->class_name != NULL
                                   ? g_strdup(dev->class_name)
                                   : g_strdup_printf("%04x", vh_pci_device_class(dev));
        g_autofree char *group = dev->iommu_group >= 0 ? g_strdup_printf("%d", dev->iommu_group)
                                                       : g_strdup("-");
        g_autofree char *parked = vh_cli_parked_text(view->snap, dev);
        g_autofree char *reset = vh_cli_reset_brief(dev);
        /* why not: the first reason, most serious first; `show` has them all */
        g_autofree char *why = a->passable ? NULL : first_reason(a, &host_reasons);
        const char *row[] = {dev->name, ids, cls, dev->driver, group, reset,
                             a->passable ? "yes" : "no", vh_cli_policy_state(view, dev), name,
                             parked != NULL && why == NULL ? parked : why, NULL};

        vh_table_add(t, row);
        uncertain |= a->passable && vh_pci_device_reset_health(dev) != VH_RESET_CLEAN;
        more |= why != NULL && g_str_has_suffix(why, "more)");
        if (!wide && why != NULL)
            vh_table_note(t, "%s", why);
        if (parked != NULL && (!wide || why != NULL))
            vh_table_note(t, "%s", parked);
    }
    vh_table_print(t, legend);
    for (guint j = 0; host_reasons != NULL && j < host_reasons->len; j++) {
        const VhPolicyCheck *c = g_ptr_array_index((GPtrArray *)host_reasons, j);
        g_autofree char *line = vh_policy_check_message(c, NULL);

        if (c->kind == VH_CHECK_HOST)
            printf("%sNo device can be passed now: %s\n", j == 0 ? "\n" : "", line);
    }
    if (!legend)
        return;
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
    gboolean json = FALSE, wide = FALSE, no_legend = FALSE;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL},
        {"wide", 'w', 0, G_OPTION_ARG_NONE, &wide,
         "One line per device: the first reason it cannot be passed in a last column, WHY", NULL},
        {"no-legend", 0, 0, G_OPTION_ARG_NONE, &no_legend,
         "Print no header line and no notes below the table", NULL},
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
        print_table(view, wide, !no_legend);
    }
    return VH_EXIT_OK;
}
