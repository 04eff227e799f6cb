/* vfio-handoff detach DEVICE...: hand devices to vfio-pci by hand (virsh nodedev-detach,
 * through vfio-handoff's policy and engine, and journaled so reattach restores the driver) */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vh-cli.h"
#include "vh-policy-eval.h"
#include "vh-handoff.h"

/* The devices named on the command line, as addresses; NULL (reported, with its exit code in
 * *@rc) on a bad one. */
static GPtrArray *
resolve(const VhSnapshot *snap, int argc, char **argv, int *rc)
{
    g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;

    for (int i = 1; i < argc; i++) {
        VhPciDevice *dev = vh_inventory_resolve(snap->inventory, argv[i], &error);

        if (dev == NULL) {
            vh_cli_error("%s", error->message);
            *rc = vh_cli_device_error_exit(error);
            return NULL;
        }
        g_ptr_array_add(devices, g_strdup(dev->name));
    }
    return g_steal_pointer(&devices);
}

static void
report(const VhEvaluation *eval, const GPtrArray *done)
{
    for (guint i = 0; i < done->len; i++) {
        const VhHandoff *d = g_ptr_array_index((GPtrArray *)done, i);

        if (d->note != NULL)
            vh_cli_error("warning: %s", d->note);
    }
    for (guint i = 0; i < eval->handoff->len; i++) {
        VhPciDevice *d = g_ptr_array_index(eval->handoff, i);

        vh_cli_outcome(d->name, "detached", d->driver, NULL, NULL,
                       "detached %s from %s to vfio-pci (give it back with: vfio-handoff reattach "
                       "%s)",
                       d->name, d->driver != NULL ? d->driver : "no driver", d->name);
    }
    for (guint i = 0; i < eval->left_alone->len; i++) {
        VhPciDevice *d = g_ptr_array_index(eval->left_alone, i);

        vh_cli_outcome(d->name, "left-alone", d->driver, NULL, NULL,
                       "%s is already on vfio-pci: left as it is", d->name);
    }
}

int
vh_cmd_detach(int argc, char **argv)
{
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON: what was detached, and why not",
         NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = vh_cli_option_context(
        "detach", "DEVICE...",
        "Hand devices (with their IOMMU group companions) to vfio-pci by hand, through the same "
        "policy checks and engine as the hook, journaled: vfio-handoff reattach gives each back "
        "to the driver it had. A domain may then use them with <hostdev managed='no'>.",
        "DEVICE is a PCI address or a vendor:device ID matching one device. Nothing is handed "
        "off unless every DEVICE passes.",
        entries);
    g_autoptr(GError) error = NULL;
    g_autoptr(VhCliChange) change = NULL;
    g_autoptr(VhSnapshot) snap = NULL;
    g_autoptr(GPtrArray) devices = NULL;
    g_autoptr(VhEvaluation) eval = NULL;
    g_autoptr(GPtrArray) done = NULL;
    const VhPolicyCheck *failed;
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (argc < 2) {
        vh_cli_error("detach: needs at least one DEVICE (fix: pick them from 'vfio-handoff list')");
        return VH_EXIT_USAGE;
    }
    if ((change = vh_cli_change_begin()) == NULL)
        return VH_EXIT_FAILED;
    if ((snap = vh_snapshot_load(change->host, VH_SNAPSHOT_NONE, &error)) == NULL) {
        vh_cli_error("%s", error->message);
        return VH_EXIT_FAILED;
    }
    if ((devices = resolve(snap, argc, argv, &rc)) == NULL)
        return rc;
    /* the hook's evaluation and transaction, for no domain */
    eval = vh_policy_evaluate(&(VhFacts){change->policy, snap, NULL, devices});
    if ((failed = vh_evaluation_first_failure(eval)) != NULL) {
        g_autofree char *text = vh_policy_check_message(failed, NULL);

        vh_cli_error("%s", text);
        return VH_EXIT_FAILED;
    }
    if ((done = vh_handoff_prepare(snap, &(VhHandoffOwner){VH_OWNER_BY_HAND, NULL, NULL},
                                   eval->handoff, eval->consoles, eval->vfio_drivers, &change->writer, &error)) ==
        NULL) {
        vh_cli_error("%s", error->message);
        return VH_EXIT_FAILED;
    }
    report(eval, done);
    return VH_EXIT_OK;
}
