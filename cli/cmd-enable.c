/* vfio-handoff enable DEVICE...: the host-level "enable passthrough" switch (writes policy) */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vh-cli.h"
#include "vh-policy-write.h"

/* Why @dev must not be enabled, or NULL. *forcible says whether --force may override it. With
 * @console_handoff, the host's console on it is no reason. */
static const VhReason *
refusal(const VhVerdict *v, gboolean console_handoff, gboolean *forcible)
{
    for (guint i = 0; i < v->reasons->len; i++) {
        const VhReason *r = g_ptr_array_index(v->reasons, i);

        /* not an endpoint or part of the chipset: the kernel would never assign it; a PF
         * whose VFs are enabled: handing it off would take them from whoever uses them */
        if (r->kind == VH_REASON_BRIDGE || r->kind == VH_REASON_CHIPSET ||
            r->kind == VH_REASON_SRIOV_PF) {
            *forcible = FALSE;
            return r;
        }
    }
    for (guint i = 0; i < v->reasons->len; i++) {
        const VhReason *r = g_ptr_array_index(v->reasons, i);

        if ((r->kind == VH_REASON_HOST_CRITICAL || r->kind == VH_REASON_GROUP_CRITICAL) &&
            !(console_handoff && r->console_device != NULL)) {
            *forcible = TRUE;
            return r;
        }
    }
    return NULL;
}

/* Whether @dev may be enabled (with @force); reports why not on stderr. */
static gboolean
may_enable(const VhCliView *view, const VhPciDevice *dev, gboolean force, gboolean console_handoff)
{
    const VhVerdict *v = vh_verdicts_get(view->snap->verdicts, dev->name);
    const VhPolicyDevice *pd;
    gboolean forcible = FALSE;
    const VhReason *r = refusal(v, console_handoff, &forcible);

    if (r != NULL && !forcible) {
        vh_cli_error("%s: %s (fix: %s)", dev->name, r->text,
                     r->fix != NULL ? r->fix : "choose another device");
        return FALSE;
    }
    if (r != NULL && !force && r->console_device != NULL) {
        vh_cli_error("%s: %s (fix: pass --console-handoff to release the host's console from %s "
                     "at each start and restore it at each stop, or choose another device)",
                     dev->name, r->text, r->console_device);
        return FALSE;
    }
    if (r != NULL && !force) {
        vh_cli_error("%s: %s (fix: choose another device: the host needs this one, or pass "
                     "--force to enable it anyway)",
                     dev->name, r->text);
        return FALSE;
    }
    pd = vh_policy_device_for(view->policy, dev);
    if (pd != NULL && pd->has_address) {
        g_autofree char *ours = vh_policy_dropin_path(view->host, dev->name);

        if (strcmp(pd->file, ours) != 0) {
            vh_cli_error("%s: already configured at '%s:%d' (fix: edit it there)", dev->name,
                         pd->file, pd->line);
            return FALSE;
        }
    }
    return TRUE;
}

/* Writes the drop-in of @dev and says what it did. */
static gboolean
enable_one(const VhCliView *view, VhPciDevice *dev, char **domains, gboolean console_handoff)
{
    const VhVerdict *v = vh_verdicts_get(view->snap->verdicts, dev->name);
    g_autofree char *name = vh_pci_device_display_name(dev);
    g_autofree char *path = vh_policy_dropin_path(view->host, dev->name);
    g_autoptr(GPtrArray) companions = vh_inventory_companions(view->snap->inventory, dev);
    VhDropin dropin = {
        .device = dev,
        .pf = dev->physfn != NULL ? vh_inventory_lookup(view->snap->inventory, dev->physfn) : NULL,
        .domains = domains,
        .why = name,
        .console_handoff = console_handoff};
    g_autofree char *text = vh_policy_dropin_text(&dropin);
    int vf_index = dropin.pf != NULL ? vh_pci_device_vf_index(dropin.pf, dev->name) : -1;
    g_autofree char *who = domains != NULL ? g_strjoinv(", ", domains) : g_strdup("any domain");
    g_autofree char *identity = vh_pci_device_identity(dev);
    g_autoptr(GError) error = NULL;
    gboolean forcible;
    const VhReason *r = refusal(v, console_handoff, &forcible);

    if (!vh_policy_write_atomic(path, text, &error)) {
        vh_cli_error("%s: %s", dev->name, error->message);
        return FALSE;
    }
    if (vf_index >= 0)
        printf("enabled %s (%s) for %s, identity %s (VF %d of %s) pinned: %s\n", dev->name, name,
               who, identity, vf_index, dropin.pf->name, path);
    else
        printf("enabled %s (%s) for %s, identity %s pinned: %s\n", dev->name, name, who, identity,
               path);
    for (guint j = 0; j < companions->len; j++) {
        VhPciDevice *c = g_ptr_array_index(companions, j);

        if (!vh_pci_device_is_viable_member(c))
            printf("  its IOMMU group companion %s (%s) will be handed off with it\n", c->name,
                   c->driver);
    }
    if (console_handoff)
        printf("  console-handoff: the host's console on it is released at each start and "
               "restored at each stop\n");
    if (r != NULL)
        vh_cli_error("warning: %s: %s; it is enabled, but the hook refuses to hand it off "
                     "while the host depends on it",
                     dev->name, r->text);
    if (!view->snap->inventory->has_iommu_groups)
        vh_cli_error("warning: the IOMMU is off, no handoff can work until it is on (fix: run "
                     "'vfio-handoff check')");
    return TRUE;
}

static gboolean
domains_valid(char **domains)
{
    for (guint i = 0; domains != NULL && domains[i] != NULL; i++) {
        if (domains[i][0] == '\0' || strchr(domains[i], ';') != NULL ||
            strchr(domains[i], '\n') != NULL) {
            vh_cli_error("'%s': invalid domain name (fix: give a libvirt domain's name, without "
                         "';' or newlines)",
                         domains[i]);
            return FALSE;
        }
    }
    return TRUE;
}

int
vh_cmd_enable(int argc, char **argv)
{
    g_auto(GStrv) domains = NULL;
    gboolean force = FALSE, console_handoff = FALSE;
    const GOptionEntry entries[] = {
        {"console-handoff", 0, 0, G_OPTION_ARG_NONE, &console_handoff,
         "The boot VGA device may be handed off while it shows the host's console "
         "(console-handoff=true): the hook releases the console from it at each start and "
         "restores it at each stop; the host has no local console meanwhile",
         NULL},
        {"domain", 'd', 0, G_OPTION_ARG_STRING_ARRAY, &domains,
         "Allow only this domain (repeat for several; default: any domain)", "DOMAIN"},
        {"force", 0, 0, G_OPTION_ARG_NONE, &force,
         "Enable a device the host depends on now (the hook still refuses it while it does)", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = vh_cli_option_context(
        "enable", "DEVICE...",
        "Enable devices for passthrough: writes /etc/vfio-handoff/conf.d/50-ADDRESS.conf for "
        "each, with the identity (vendor, device and subsystem IDs) it has now pinned, so the "
        "hook refuses the address if it later holds other hardware. Refuses bridges, SR-IOV PFs "
        "whose VFs are enabled, and devices "
        "the host depends on (its boot disk's controller, the NIC of its default route, its "
        "console, anything sharing an IOMMU group with them) unless --force.",
        "DEVICE is a PCI address (0000:01:00.0) or a vendor:device ID matching one device. "
        "Nothing is written unless every DEVICE can be enabled.",
        entries);
    g_autoptr(VhCliView) view = NULL;
    g_autoptr(GPtrArray) devices = g_ptr_array_new();
    gboolean refused = FALSE;
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (argc < 2) {
        vh_cli_error("enable: needs at least one DEVICE (fix: pick them from 'vfio-handoff list')");
        return VH_EXIT_USAGE;
    }
    if (!domains_valid(domains))
        return VH_EXIT_USAGE;
    if ((view = vh_cli_view_load_or_report(VH_SNAPSHOT_NAMES)) == NULL)
        return VH_EXIT_FAILED;
    /* every device is checked before anything is written */
    for (int i = 1; i < argc; i++) {
        g_autoptr(GError) error = NULL;
        VhPciDevice *dev = vh_inventory_resolve(view->snap->inventory, argv[i], &error);

        if (dev == NULL)
            vh_cli_error("%s", error->message);
        if (dev == NULL || !may_enable(view, dev, force, console_handoff))
            refused = TRUE;
        else
            g_ptr_array_add(devices, dev);
    }
    for (guint i = 0; !refused && i < devices->len; i++) {
        if (!enable_one(view, g_ptr_array_index(devices, i), domains, console_handoff))
            return VH_EXIT_FAILED;
    }
    return refused ? VH_EXIT_FAILED : VH_EXIT_OK;
}
