/* vfio-handoff enable DEVICE...: the host-level "enable passthrough" switch (writes policy) */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vh-cli.h"
#include "vh-policy-write.h"

/* Why @dev must not be enabled, or NULL. *forcible says whether --force may override it. */
static const VhReason *
refusal(const VhVerdict *v, gboolean *forcible)
{
    for (guint i = 0; i < v->reasons->len; i++) {
        const VhReason *r = g_ptr_array_index(v->reasons, i);

        /* not an endpoint or part of the chipset: the kernel would never assign it */
        if (r->kind == VH_REASON_BRIDGE || r->kind == VH_REASON_CHIPSET) {
            *forcible = FALSE;
            return r;
        }
    }
    for (guint i = 0; i < v->reasons->len; i++) {
        const VhReason *r = g_ptr_array_index(v->reasons, i);

        if (r->kind == VH_REASON_HOST_CRITICAL || r->kind == VH_REASON_GROUP_CRITICAL) {
            *forcible = TRUE;
            return r;
        }
    }
    return NULL;
}

int
vh_cmd_enable(int argc, char **argv)
{
    g_auto(GStrv) domains = NULL;
    gboolean force = FALSE;
    const GOptionEntry entries[] = {
        {"domain", 'd', 0, G_OPTION_ARG_STRING_ARRAY, &domains,
         "Allow only this domain (repeat for several; default: any domain)", "DOMAIN"},
        {"force", 0, 0, G_OPTION_ARG_NONE, &force,
         "Enable a device the host depends on now (the hook still refuses it while it does)",
         NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = vh_cli_option_context(
        "enable", "DEVICE...",
        "Enable devices for passthrough: writes /etc/vfio-handoff/conf.d/50-ADDRESS.conf for "
        "each, with the identity (vendor, device and subsystem IDs) it has now pinned, so the "
        "hook refuses the address if it later holds other hardware. Refuses bridges, and devices "
        "the host depends on (its boot disk's controller, the NIC of its default route, its "
        "console, anything sharing an IOMMU group with them) unless --force.",
        "DEVICE is a PCI address (0000:01:00.0) or a vendor:device ID matching one device. "
        "Nothing is written unless every DEVICE can be enabled.",
        entries);
    g_autoptr(VhCliView) view = NULL;
    g_autoptr(VhPolicy) policy = NULL;
    g_autoptr(GPtrArray) devices = g_ptr_array_new();
    gboolean refused = FALSE;
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (argc < 2) {
        vh_cli_error("enable: needs at least one DEVICE (fix: pick them from 'vfio-handoff list')");
        return VH_EXIT_USAGE;
    }
    for (guint i = 0; domains != NULL && domains[i] != NULL; i++) {
        if (domains[i][0] == '\0' || strchr(domains[i], ';') != NULL ||
            strchr(domains[i], '\n') != NULL) {
            vh_cli_error("invalid domain name '%s'", domains[i]);
            return VH_EXIT_USAGE;
        }
    }
    view = vh_cli_view_load_or_report(VH_SNAPSHOT_NAMES);
    if (view == NULL)
        return VH_EXIT_FAILED;
    policy = vh_policy_load(view->host);

    /* every device is checked before anything is written */
    for (int i = 1; i < argc; i++) {
        g_autoptr(GError) error = NULL;
        VhPciDevice *dev = vh_inventory_resolve(view->snap->inventory, argv[i], &error);
        const VhVerdict *v;
        const VhReason *r;
        const VhPolicyDevice *pd;
        gboolean forcible = FALSE;

        if (dev == NULL) {
            vh_cli_error("%s", error->message);
            refused = TRUE;
            continue;
        }
        v = vh_verdicts_get(view->snap->verdicts, dev->name);
        r = refusal(v, &forcible);
        if (r != NULL && !forcible) {
            vh_cli_error("%s: %s", dev->name, r->text);
            refused = TRUE;
            continue;
        }
        if (r != NULL && !force) {
            vh_cli_error("%s: %s (the host needs it; --force enables it anyway)", dev->name,
                         r->text);
            refused = TRUE;
            continue;
        }
        pd = vh_policy_device_for(policy, dev);
        if (pd != NULL && pd->has_address) {
            g_autofree char *ours = vh_policy_dropin_path(view->host, dev->name);

            if (strcmp(pd->file, ours) != 0) {
                vh_cli_error("%s is already configured at %s:%d (edit it there)", dev->name,
                             pd->file, pd->line);
                refused = TRUE;
                continue;
            }
        }
        g_ptr_array_add(devices, dev);
    }
    if (refused)
        return VH_EXIT_FAILED;

    for (guint i = 0; i < devices->len; i++) {
        VhPciDevice *dev = g_ptr_array_index(devices, i);
        const VhVerdict *v = vh_verdicts_get(view->snap->verdicts, dev->name);
        g_autofree char *name = vh_pci_device_display_name(dev);
        g_autofree char *path = vh_policy_dropin_path(view->host, dev->name);
        g_autoptr(GPtrArray) companions = vh_inventory_companions(view->snap->inventory, dev);
        VhDropin dropin = {.device = dev, .domains = domains, .why = name};
        g_autofree char *text = vh_policy_dropin_text(&dropin);
        g_autofree char *who = domains != NULL ? g_strjoinv(", ", domains) : g_strdup("any domain");
        g_autofree char *identity = vh_pci_device_identity(dev);
        g_autoptr(GError) error = NULL;
        gboolean forcible;
        const VhReason *r = refusal(v, &forcible);

        if (!vh_policy_write_atomic(path, text, &error)) {
            vh_cli_error("%s: %s", dev->name, error->message);
            return VH_EXIT_FAILED;
        }
        printf("enabled %s (%s) for %s, identity %s pinned: %s\n", dev->name, name, who, identity,
               path);
        for (guint j = 0; j < companions->len; j++) {
            VhPciDevice *c = g_ptr_array_index(companions, j);

            if (!vh_pci_device_is_viable_member(c))
                printf("  its IOMMU group companion %s (%s) will be handed off with it\n",
                       c->name, c->driver);
        }
        if (r != NULL)
            vh_cli_error("warning: %s: %s; it is enabled, but the hook refuses to hand it off "
                         "while the host depends on it",
                         dev->name, r->text);
        if (!view->snap->inventory->has_iommu_groups)
            vh_cli_error("warning: the IOMMU is off, no handoff can work until it is on (fix: run "
                         "'vfio-handoff check')");
    }
    return VH_EXIT_OK;
}
