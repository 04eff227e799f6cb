/* vfio-handoff show DEVICE: everything known about one device */
#include "config.h"

#include <stdio.h>

#include "vh-cli.h"
#include "vh-policy-eval.h"

static void
print_list_field(const char *label, GPtrArray *values)
{
    printf("  %-13s", label);
    for (guint i = 0; values != NULL && i < values->len; i++)
        printf("%s%s", i > 0 ? " " : "", (char *)g_ptr_array_index(values, i));
    printf("%s\n", values == NULL || values->len == 0 ? "-" : "");
}

static void
print_policy(const VhCliView *view, const VhPciDevice *dev)
{
    const VhPolicyDevice *pd = vh_policy_device_for(view->policy, dev);

    if (pd == NULL) {
        /* `enable` is the fix only where enabling is all it takes (else see passable:) */
        if (vh_cli_view_answer(view, dev)->passable)
            printf("  %-13snot enabled for passthrough (fix: run 'vfio-handoff enable %s')\n",
                   "policy:", dev->name);
        else
            printf("  %-13snot enabled for passthrough\n", "policy:");
        return;
    }
    printf("  %-13s%s by [device %s] at %s:%d\n", "policy:", pd->enabled ? "enabled" : "disabled",
           pd->spec, pd->file, pd->line);
    if (!pd->enabled)
        return;
    if (pd->domains != NULL) {
        g_autofree char *list = g_strjoinv(", ", pd->domains);

        printf("  %-13sonly %s\n", "domains:", list);
    } else {
        printf("  %-13sany\n", "domains:");
    }
    if (!pd->has_identity) {
        printf("  %-13snone pinned\n", "identity:");
    } else {
        g_autofree char *pinned = vh_policy_device_identity(pd);
        g_autofree char *now = vh_pci_device_identity(dev);
        g_autofree char *vf = vh_policy_vf_mismatch(pd, dev, view->snap->inventory);
        g_autofree char *as_vf =
            pd->has_vf ? g_strdup_printf(" as VF %d of %s", pd->vf_index, pd->vf_of) : g_strdup("");

        if (!vh_policy_identity_matches(pd, dev))
            printf("  %-13spinned %s, but the device is %s: the hook refuses it until it is "
                   "enabled again\n",
                   "identity:", pinned, now);
        else if (vf != NULL)
            printf("  %-13s%s pinned%s, but it %s: the hook refuses it until it is enabled "
                   "again\n",
                   "identity:", pinned, as_vf, vf);
        else
            printf("  %-13s%s pinned%s, and the device matches\n", "identity:", pinned, as_vf);
    }
}

static void
print_group(VhIommuGroup *group)
{
    if (group != NULL) {
        g_autoptr(GPtrArray) blockers = NULL;
        gboolean viable = vh_iommu_group_is_viable(group, &blockers);

        printf("  %-13s%d, %u device%s, %s", "IOMMU group:", group->number, group->members->len,
               group->members->len == 1 ? "" : "s", viable ? "viable now" : "not viable now");
        for (guint i = 0; i < blockers->len; i++) {
            VhPciDevice *b = g_ptr_array_index(blockers, i);

            printf("%s%s on %s", i == 0 ? " (" : ", ", b->name, b->driver);
        }
        printf("%s\n", blockers->len > 0 ? ")" : "");
    } else {
        printf("  %-13snone (the IOMMU is off)\n", "IOMMU group:");
    }
}

static void
print_companions(const GPtrArray *companions)
{
    printf("  %-13s", "companions:");
    for (guint i = 0; i < companions->len; i++) {
        VhPciDevice *c = g_ptr_array_index((GPtrArray *)companions, i);
        g_autofree char *cname = vh_pci_device_display_name(c);

        printf("%s%s (%s) %s\n", i > 0 ? "               " : "", c->name,
               c->driver != NULL ? c->driver : "no driver", cname);
    }
    if (companions->len == 0)
        printf("none\n");
}

/* the VFIO driver an endpoint goes to, and why */
static void
print_vfio_driver(const VhCliView *view, const VhPciDevice *dev)
{
    const char *why = NULL;
    const char *driver;

    if (!vh_pci_device_is_endpoint(dev))
        return;
    driver = vh_policy_vfio_driver(view->policy, view->snap, dev, &why);
    printf("  %-13s%s, %s\n", "VFIO driver:", driver, why);
}

static void
print_device(const VhCliView *view, const VhPciDevice *dev)
{
    const VhDeviceAnswer *a = vh_cli_view_answer(view, dev);
    VhIommuGroup *group = vh_inventory_group_of(view->snap->inventory, dev);
    g_autoptr(GPtrArray) companions = vh_inventory_companions(view->snap->inventory, dev);
    g_autofree char *name = vh_pci_device_display_name(dev);
    g_autofree char *ids = vh_pci_device_ids(dev);
    g_autofree char *parked = vh_cli_parked_text(view->snap, dev);
    g_autofree char *resets = vh_cli_reset_text(dev);
    printf("%s  %s (rev %02x)\n", dev->name, name, dev->revision);
    printf("  %-13s%s", "ID:", ids);
    if (dev->subsys_vendor_id != 0)
        printf("  subsystem %04x:%04x%s%s", dev->subsys_vendor_id, dev->subsys_device_id,
               dev->subsys_name != NULL ? " " : "",
               dev->subsys_name != NULL ? dev->subsys_name : "");
    printf("\n  %-13s%06x %s\n", "class:", dev->class_code,
           dev->class_name != NULL ? dev->class_name : "");
    printf("  %-13s%s (%s)\n", "kind:", vh_pci_device_is_endpoint(dev) ? "endpoint" : "bridge",
           dev->header_type >= 0 ? (dev->header_type == 0 ? "type-0 header" : "type-1/2 header")
                                 : "config space unreadable");
    printf("  %-13s%s\n", "driver:", dev->driver != NULL ? dev->driver : "none");
    printf("  %-13s%s\n",
           "override:", dev->driver_override != NULL ? dev->driver_override : "none");
    print_vfio_driver(view, dev);
    if (parked != NULL)
        printf("  %-13s%s\n", "", parked);
    print_group(group);
    print_companions(companions);
    print_list_field("bridges:", dev->parents);
    printf("  %-13s%s\n", "reset:", resets);
    if (dev->boot_vga >= 0)
        printf("  %-13s%s\n", "boot VGA:", dev->boot_vga ? "yes" : "no");
    if (dev->numa_node >= 0)
        printf("  %-13s%d\n", "NUMA node:", dev->numa_node);
    if (dev->physfn != NULL)
        printf("  %-13sVF of %s\n", "SR-IOV:", dev->physfn);
    else if (dev->sriov_totalvfs >= 0)
        printf("  %-13sPF, %d of %d VFs enabled\n", "SR-IOV:", dev->sriov_numvfs,
               dev->sriov_totalvfs);
    print_policy(view, dev);
    printf("  %-13s%s\n", "passable:",
           !a->passable ? "no: the hook refuses it"
           : a->enabled ? "yes: the hook hands it off when a domain that has it starts"
                        : "once enabled");
    for (guint i = 0; i < a->reasons->len; i++) {
        const VhPolicyCheck *c = g_ptr_array_index(a->reasons, i);
        g_autofree char *why = vh_cli_reason_text(c, dev);

        if (a->passable)
            continue; /* not enabled: the policy line says it, with its fix */
        printf("    %s\n", why);
        if (c->fix != NULL)
            printf("      fix: %s\n", c->fix);
    }
    for (guint i = 0; i < a->notes->len; i++)
        printf("    %s\n", (char *)g_ptr_array_index(a->notes, i));
}

int
vh_cmd_show(int argc, char **argv)
{
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = vh_cli_option_context(
        "show", "DEVICE",
        "Show everything known about one PCI device: IDs, driver, IOMMU group and companions, "
        "reset methods, SR-IOV, what the host uses it for, and whether it can be passed.",
        "DEVICE is a PCI address (0000:01:00.0 or 01:00.0) or a vendor:device ID (10de:2204) "
        "that matches exactly one device.",
        entries);
    g_autoptr(GError) error = NULL;
    g_autoptr(VhCliView) view = NULL;
    VhPciDevice *dev;
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (argc < 2) {
        vh_cli_error("show: needs one DEVICE (fix: give a PCI address like 0000:01:00.0 or an ID "
                     "like 10de:2204, as 'vfio-handoff list' shows them)");
        return VH_EXIT_USAGE;
    }
    if (argc > 2) {
        vh_cli_error("show: takes one DEVICE, got %d (fix: run 'vfio-handoff show %s', then "
                     "'vfio-handoff show %s')",
                     argc - 1, argv[1], argv[2]);
        return VH_EXIT_USAGE;
    }
    view = vh_cli_view_load_or_report(VH_SNAPSHOT_NAMES | VH_SNAPSHOT_DETAILS);
    if (view == NULL)
        return VH_EXIT_FAILED;
    dev = vh_inventory_resolve(view->snap->inventory, argv[1], &error);
    if (dev == NULL) {
        vh_cli_error("%s", error->message);
        return vh_cli_device_error_exit(error);
    }
    if (json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        vh_cli_json_begin(b);
        json_builder_set_member_name(b, "device");
        vh_cli_device_to_json(b, view, dev, TRUE);
        json_builder_end_object(b);
        vh_cli_print_json(b);
    } else {
        print_device(view, dev);
    }
    return VH_EXIT_OK;
}
