/* vfio-handoff check: can this host do PCI passthrough, and what to fix */
#include "config.h"

#include <stdio.h>

#include "vh-cli.h"
#include "vh-host-check.h"
#include "vh-policy-answer.h"

static void
print_json(const GPtrArray *items, gboolean ok)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    vh_cli_json_bool(b, "passthrough_possible", ok);
    json_builder_set_member_name(b, "checks");
    json_builder_begin_array(b);
    for (guint i = 0; i < items->len; i++) {
        VhCheckItem *item = g_ptr_array_index((GPtrArray *)items, i);

        json_builder_begin_object(b);
        vh_cli_json_string_or_null(b, "id", item->id);
        vh_cli_json_string_or_null(b, "status", vh_check_status_to_string(item->status));
        vh_cli_json_string_or_null(b, "summary", item->summary);
        vh_cli_json_string_or_null(b, "fix", item->fix);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    vh_cli_print_json(b);
}

int
vh_cmd_check(int argc, char **argv)
{
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = vh_cli_option_context(
        "check", NULL,
        "Check that this host can do PCI passthrough: the IOMMU in the firmware and the kernel, "
        "the kernel command line, interrupt remapping, the vfio modules, and libvirt's hook and "
        "daemon. Each failure comes with its fix.",
        "Exit status: 0 when passthrough is possible (warnings included), 1 when it is not.",
        entries);
    g_autoptr(VhHost) host = NULL;
    g_autoptr(VhPolicy) policy = NULL;
    g_autoptr(GPtrArray) items = NULL;
    gboolean ok;
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (!vh_cli_no_arguments(argc, argv, NULL))
        return VH_EXIT_USAGE;
    host = vh_host_new_from_environment();
    items = vh_host_check_run(host);
    policy = vh_policy_load(host);
    g_ptr_array_add(items, vh_policy_check_item(policy));
    ok = vh_host_check_passthrough_possible(items);
    if (json) {
        print_json(items, ok);
        return ok ? VH_EXIT_OK : VH_EXIT_FAILED;
    }
    for (guint i = 0; i < items->len; i++) {
        VhCheckItem *item = g_ptr_array_index(items, i);
        g_autofree char *status = g_ascii_strup(vh_check_status_to_string(item->status), -1);

        if (item->fix != NULL)
            printf("%-4s  %-19s  %s (fix: %s)\n", status, item->id, item->summary, item->fix);
        else
            printf("%-4s  %-19s  %s\n", status, item->id, item->summary);
    }
    printf("\n%s\n", ok ? "PCI passthrough is possible on this host."
                        : "PCI passthrough is not possible on this host until the failures "
                          "above are fixed.");
    return ok ? VH_EXIT_OK : VH_EXIT_FAILED;
}
