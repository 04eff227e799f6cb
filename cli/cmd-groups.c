/* vfio-handoff groups: IOMMU groups, their members, and whether vfio would accept them now */
#include "config.h"

#include <stdio.h>

#include "vh-cli.h"
#include "vh-table.h"

static void
print_groups(const VhCliView *view)
{
    static const char *const columns[] = {"", "", "", "", "", "", "", NULL};
    GPtrArray *groups = view->snap->inventory->groups;

    for (guint i = 0; i < groups->len; i++) {
        VhIommuGroup *group = g_ptr_array_index(groups, i);
        g_autoptr(GPtrArray) blockers = NULL;
        gboolean viable = vh_iommu_group_is_viable(group, &blockers);
        g_autoptr(VhTable) t = vh_table_new(columns);

        printf("%sgroup %d: %u device%s, %s\n", i > 0 ? "\n" : "", group->number,
               group->members->len, group->members->len == 1 ? "" : "s",
               viable ? "viable for vfio now" : "not viable for vfio now");
        for (guint j = 0; j < group->members->len; j++) {
            VhPciDevice *dev = g_ptr_array_index(group->members, j);
            const VhDeviceAnswer *a = vh_cli_view_answer(view, dev);
            g_autofree char *name = vh_pci_device_display_name(dev);
            g_autofree char *ids = vh_pci_device_ids(dev);
            /* the first, empty column indents the members under their group */
            const char *row[] = {"", dev->name, ids,
                                 vh_pci_device_is_endpoint(dev) ? "endpoint" : "bridge",
                                 dev->driver, a->passable ? "yes" : "no", name, NULL};

            vh_table_add(t, row);
        }
        vh_table_print(t, FALSE);
    }
}

static const char GROUPS_SUMMARY[] =
    "List IOMMU groups. The kernel hands a group to a VM whole: every endpoint in it must be "
    "on vfio-pci, pci-stub or no driver (viable); bridges stay with the host.";

int
vh_cmd_groups(int argc, char **argv)
{
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx =
        vh_cli_option_context("groups", NULL, GROUPS_SUMMARY, NULL, entries);
    g_autoptr(VhCliView) view = NULL;
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (!vh_cli_no_arguments(argc, argv, NULL))
        return VH_EXIT_USAGE;
    view = vh_cli_view_load_or_report(VH_SNAPSHOT_NAMES);
    if (view == NULL)
        return VH_EXIT_FAILED;
    if (json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        vh_cli_json_begin_inventory(b, view, "groups");
        for (guint i = 0; i < view->snap->inventory->groups->len; i++) {
            VhIommuGroup *group = g_ptr_array_index(view->snap->inventory->groups, i);
            g_autoptr(GPtrArray) blockers = NULL;
            gboolean viable = vh_iommu_group_is_viable(group, &blockers);

            json_builder_begin_object(b);
            json_builder_set_member_name(b, "group");
            json_builder_add_int_value(b, group->number);
            vh_cli_json_bool(b, "viable", viable);
            json_builder_set_member_name(b, "blockers");
            json_builder_begin_array(b);
            for (guint j = 0; j < blockers->len; j++)
                json_builder_add_string_value(b, ((VhPciDevice *)g_ptr_array_index(blockers, j))->name);
            json_builder_end_array(b);
            json_builder_set_member_name(b, "devices");
            json_builder_begin_array(b);
            for (guint j = 0; j < group->members->len; j++)
                vh_cli_device_to_json(b, view, g_ptr_array_index(group->members, j), FALSE);
            json_builder_end_array(b);
            json_builder_end_object(b);
        }
        vh_cli_json_end_inventory(b);
    } else if (view->snap->inventory->has_iommu_groups) {
        print_groups(view);
    }
    if (!view->snap->inventory->has_iommu_groups) {
        g_autofree char *dir = vh_host_sysfs_path(view->host, "kernel/iommu_groups");

        vh_cli_error("%s: the kernel publishes no IOMMU groups, the IOMMU is off (fix: run "
                     "'vfio-handoff check')",
                     dir);
        return VH_EXIT_FAILED;
    }
    return VH_EXIT_OK;
}
