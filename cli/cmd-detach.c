/* vfio-handoff detach DEVICE...: hand devices to vfio-pci by hand (virsh nodedev-detach,
 * through vfio-handoff's policy and engine, and journaled so reattach restores the driver) */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vh-cli.h"
#include "vh-handoff.h"
#include "vh-host-facts.h"

/* the checks about the device itself; a manual detach is for no domain in particular */
static gboolean
applies(const VhPolicyCheck *c)
{
    static const char *const skip[] = {"domain-allowed", "domain-limit", "lock-memory",
                                       "memory-admission", NULL};

    return !g_strv_contains(skip, c->id);
}

int
vh_cmd_detach(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = vh_cli_option_context(
        "detach", "DEVICE...",
        "Hand devices (with their IOMMU group companions) to vfio-pci by hand, through the same "
        "policy checks and engine as the hook, journaled: vfio-handoff reattach gives each back "
        "to the driver it had. A domain may then use them with <hostdev managed='no'>.",
        "DEVICE is a PCI address or a vendor:device ID matching one device. Nothing is handed "
        "off unless every DEVICE passes.",
        NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(VhCliChange) change = NULL;
    g_autoptr(VhHostFacts) facts = NULL;
    g_autoptr(VhDomainDef) def = NULL;
    g_autoptr(VhEvaluation) eval = NULL;
    VhFacts input;
    gboolean refused = FALSE;
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (argc < 2) {
        vh_cli_error("detach needs at least one DEVICE (see: vfio-handoff list)");
        return VH_EXIT_USAGE;
    }
    if ((change = vh_cli_change_begin()) == NULL)
        return VH_EXIT_FAILED;
    if ((facts = vh_host_facts_load(vh_host_new_from_environment(), &error)) == NULL) {
        vh_cli_error("%s", error->message);
        return VH_EXIT_FAILED;
    }
    /* the devices as a domain of their own, to run the same evaluation as the hook */
    def = g_new0(VhDomainDef, 1);
    def->name = g_strdup(VH_JOURNAL_MANUAL);
    def->locked = TRUE;
    def->hostdevs = g_ptr_array_new_with_free_func(g_free);
    for (int i = 1; i < argc; i++) {
        VhPciDevice *dev = vh_inventory_resolve(facts->inventory, argv[i], &error);
        VhDomainHostdev *hd;

        if (dev == NULL) {
            vh_cli_error("%s", error->message);
            return VH_EXIT_FAILED;
        }
        hd = g_new0(VhDomainHostdev, 1);
        g_strlcpy(hd->address, dev->name, sizeof(hd->address));
        g_ptr_array_add(def->hostdevs, hd);
    }
    vh_host_facts_for_domain(facts, def, &input);
    eval = vh_policy_evaluate(&input);
    /* the first failure, in one line, as the hook reports it */
    for (guint i = 0; i < eval->checks->len && !refused; i++) {
        VhPolicyCheck *c = g_ptr_array_index(eval->checks, i);

        if (!c->passed && applies(c)) {
            vh_cli_error("%s: %s (%s)", c->subject, c->reason, c->fix);
            refused = TRUE;
        }
    }
    if (refused)
        return VH_EXIT_FAILED;
    if (!vh_handoff_detach(change->host, eval->handoff, VH_JOURNAL_MANUAL, NULL, &change->opts,
                           &error)) {
        vh_cli_error("%s", error->message);
        return VH_EXIT_FAILED;
    }
    for (guint i = 0; i < eval->handoff->len; i++) {
        VhPciDevice *d = g_ptr_array_index(eval->handoff, i);

        printf("detached %s from %s to vfio-pci (give it back with: vfio-handoff reattach %s)\n",
               d->name, d->driver != NULL ? d->driver : "no driver", d->name);
    }
    for (guint i = 0; i < eval->left_alone->len; i++)
        printf("%s is already on vfio-pci: left as it is\n",
               ((VhPciDevice *)g_ptr_array_index(eval->left_alone, i))->name);
    return VH_EXIT_OK;
}
