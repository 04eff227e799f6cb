/* vfio-handoff check: can this host do PCI passthrough, and what to fix */
#include "config.h"

#include <stdio.h>

#include "vh-cli.h"
#include "vh-host-check.h"
#include "vh-libvirt.h"
#include "vh-policy-answer.h"

static void
print_json(const GPtrArray *items, gboolean ok)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    vh_cli_json_begin(b);
    vh_cli_json_bool(b, "passthrough_possible", ok);
    json_builder_set_member_name(b, "checks");
    json_builder_begin_array(b);
    for (guint i = 0; i < items->len; i++) {
        VhCheckItem *item = g_ptr_array_index((GPtrArray *)items, i);

        json_builder_begin_object(b);
        vh_cli_json_string_or_null(b, "id", item->id);
        vh_cli_json_string_or_null(b, "subject", "host");
        vh_cli_json_string_or_null(b, "status", vh_check_status_to_string(item->status));
        vh_cli_json_string_or_null(b, "reason", item->summary);
        vh_cli_json_string_or_null(b, "fix", item->fix);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    vh_cli_print_json(b);
}

/* The "policy-domains" item: whether libvirt (at @uri) knows every domain a domains= pin names
 * (a renamed or undefined one makes its device refused to the domain meant). NULL when no
 * section pins domains. */
static VhCheckItem *
pinned_domains_item(const VhPolicy *policy, const char *uri)
{
    g_autoptr(GError) error = NULL;
    const VhLibvirt *lv;
    virConnectPtr conn;
    guint pins = 0;
    VhCheckItem *item = NULL;

    for (guint i = 0; i < policy->devices->len; i++) {
        const VhPolicyDevice *pd = g_ptr_array_index(policy->devices, i);

        pins += pd->enabled && pd->domains != NULL;
    }
    if (pins == 0)
        return NULL;
    if ((lv = vh_libvirt_load(&error)) == NULL ||
        (conn = vh_libvirt_open(lv, uri, TRUE, &error)) == NULL)
        return vh_check_item_new("policy-domains", VH_CHECK_WARN,
                        g_strdup("the domains the policy names cannot be checked: libvirt cannot "
                                 "be asked"),
                        g_strdup("start libvirt's daemon, or name it with -c URI"));
    for (guint i = 0; i < policy->devices->len && item == NULL; i++) {
        const VhPolicyDevice *pd = g_ptr_array_index(policy->devices, i);

        for (guint j = 0; pd->enabled && pd->domains != NULL && pd->domains[j] != NULL; j++) {
            virDomainPtr dom = lv->domain_lookup_by_name(conn, pd->domains[j]);

            if (dom != NULL) {
                lv->domain_free(dom);
                continue;
            }
            item = vh_check_item_new("policy-domains", VH_CHECK_WARN,
                            g_strdup_printf("[device %s] at %s:%d allows '%s', which libvirt "
                                            "does not know: renamed or not defined yet",
                                            pd->spec, pd->file, pd->line, pd->domains[j]),
                            g_strdup_printf("correct the name there, or run 'vfio-handoff "
                                            "enable %s --replace --domain NAME'",
                                            pd->has_address ? pd->address : pd->spec));
            break;
        }
    }
    lv->connect_close(conn);
    return item != NULL ? item
                        : vh_check_item_new("policy-domains", VH_CHECK_PASS,
                                   g_strdup("libvirt knows every domain the policy names"), NULL);
}

int
vh_cmd_check(int argc, char **argv)
{
    gboolean json = FALSE, quiet = FALSE;
    g_autofree char *uri = NULL;
    const GOptionEntry entries[] = {
        {"connect", 'c', 0, G_OPTION_ARG_STRING, &uri,
         "libvirt URI (as virsh -c), asked whether the domains the policy names exist", "URI"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
         "Print nothing: the exit status says whether passthrough is possible", NULL},
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
    {
        VhCheckItem *pins = pinned_domains_item(policy, uri);

        if (pins != NULL)
            g_ptr_array_add(items, pins);
    }
    ok = vh_host_check_passthrough_possible(items);
    if (json) {
        print_json(items, ok);
        return ok ? VH_EXIT_OK : VH_EXIT_FAILED;
    }
    if (quiet)
        return ok ? VH_EXIT_OK : VH_EXIT_FAILED;
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
