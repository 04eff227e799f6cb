/* vfio-handoff reattach DEVICE...: give back devices detached by hand (or left by a domain
 * that is gone) to the driver they had; --adopt: parked devices, to the driver the kernel picks */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vh-bind.h"
#include "vh-cli.h"
#include "vh-error.h"
#include "vh-kernel-abi.h"
#include "vh-holders.h"
#include "vh-parked.h"
#include "vh-handoff.h"
#include "vh-policy.h"

/* Gives back @name, which has no journal record: only when it is parked (on vfio-pci, no
 * process holds it), to whatever driver the kernel probes for it. */
static gboolean
adopt_one(VhCliChange *change, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VhSnapshot) snap = vh_snapshot_load(change->host, VH_SNAPSHOT_NONE, &error);
    const VhPciDevice *dev = snap != NULL ? vh_inventory_lookup(snap->inventory, name) : NULL;
    g_autofree char *driver = NULL;

    if (snap == NULL) {
        vh_cli_error("%s", error->message);
        return FALSE;
    }
    if (dev == NULL) {
        vh_cli_error("%s: no such PCI device (fix: 'vfio-handoff list' shows the devices)", name);
        return FALSE;
    }
    if (!vh_parked_check(snap, dev, NULL)) {
        const VhHolder *h = vh_snapshot_holder(snap, name, FALSE);

        if (h != NULL && h->domain_name != NULL)
            vh_cli_error("%s: held by the domain '%s' (pid %d, %s): left as it is (fix: stop the "
                         "domain first)",
                         name, h->domain_name, h->pid, h->via);
        else if (h != NULL)
            vh_cli_error("%s: held by process %d (%s): left as it is (fix: stop the process "
                         "first)",
                         name, h->pid, h->via);
        else
            vh_cli_error("%s: on vfio-pci but not parked: left as it is (fix: see 'vfio-handoff "
                         "show %s')",
                         name, name);
        return FALSE;
    }
    if (!vh_bind_reprobe(change->host, name, &change->writer, &driver, &error)) {
        vh_cli_error("%s", error->message);
        return FALSE;
    }
    vh_cli_outcome(name, "adopted", driver, NULL, NULL, "adopted %s: gave it back to %s", name,
                   driver != NULL ? driver : "no driver (none claims it)");
    return TRUE;
}

/* FALSE (reported) when a process holds @name's IOMMU group now, or who does cannot be told:
 * no flag gives back a device a live process holds. */
static gboolean
check_unheld(VhCliChange *change, const char *name, const char *then)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) holders = vh_holders_of_device_now(change->host, name, &error);
    g_autofree char *text = NULL;
    g_autofree char *fix = NULL;

    if (holders == NULL) {
        vh_cli_error("%s", error->message); /* names the device, and root as the fix */
        return FALSE;
    }
    if (holders->len == 0)
        return TRUE;
    text = vh_holder_text(g_ptr_array_index(holders, 0));
    fix = vh_holder_fix(g_ptr_array_index(holders, 0), then);
    vh_cli_error("%s: held now by %s: left on vfio-pci (fix: %s)", name, text, fix);
    return FALSE;
}

/* @name, which the journal does not name: nothing to do unless it is on vfio-pci, and then
 * given back only with --adopt; FALSE (reported) when it is not given back. */
static gboolean
reattach_unjournaled(VhCliChange *change, const char *name, gboolean adopt)
{
    g_autofree char *driver = vh_bind_current_driver(change->host, name);

    if (g_strcmp0(driver, VH_DRIVER_VFIO_PCI) != 0) {
        vh_cli_outcome(name, "unchanged", driver, NULL, NULL, "%s is not handed off: nothing to do",
                       name);
        return TRUE;
    }
    if (!check_unheld(change, name, NULL))
        return FALSE;
    if (adopt)
        return adopt_one(change, name);
    vh_cli_error("%s: on vfio-pci, but not by vfio-handoff: left as it is (fix: run "
                 "'vfio-handoff reattach --adopt %s' to give it back)",
                 name, name);
    return FALSE;
}

/* Refuses @name, which the domain of @h holds (running or starting): its stop gives it back. */
static void
refuse_held(const char *name, const VhJournalRecord *h, VhHolderState holder)
{
    g_autofree char *word = vh_error_shell_word(h->domain);

    if (holder == VH_HOLDER_STARTING)
        vh_cli_error("%s: held by the domain '%s', whose start is under way (fix: wait until "
                     "it has started, then run 'virsh shutdown %s')",
                     name, h->domain, word);
    else
        vh_cli_error("%s: held by the domain '%s', which is running (fix: stop it instead, "
                     "run 'virsh shutdown %s')",
                     name, h->domain, word);
}

/* Gives @name back; FALSE (reported) when it cannot or may not be. */
static gboolean
reattach_one(VhCliChange *change, const char *name, gboolean adopt, gboolean force)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VhJournalRecord) h = vh_journal_get(change->host, name, &error);
    g_autofree char *driver = NULL;
    g_autofree char *warning = NULL;
    g_autofree char *again = NULL;
    VhHolderState holder;

    if (error != NULL) {
        vh_cli_error("%s: its journal record %s: left as it is (fix: see 'vfio-handoff status')",
                     name, error->message);
        return FALSE;
    }
    if (h == NULL)
        return reattach_unjournaled(change, name, adopt);
    holder = vh_holder_state_of_record(change->host, h);
    if (holder == VH_HOLDER_RUNNING || holder == VH_HOLDER_STARTING) {
        refuse_held(name, h, holder);
        return FALSE;
    }
    driver = g_strdup(h->driver);
    /* the give back asks who holds it now (whatever the flags): only when someone does, again,
     * for the holder's fix */
    if (!vh_handoff_give_back(change->host, h, &change->writer,
                              force ? VH_GIVE_BACK_FORCE : VH_GIVE_BACK_CHECKED, &warning,
                              &error)) {
        g_autofree char *wedged = h->state == VH_JOURNAL_WEDGED ? vh_handoff_wedged_text(h) : NULL;

        again = g_strdup_printf("vfio-handoff reattach %s", name);
        if (g_error_matches(error, VH_ERROR, VH_ERROR_IN_USE)) {
            if (check_unheld(change, name, again)) /* let go meanwhile */
                vh_cli_error("%s: held a moment ago, and no longer, so it stayed on vfio-pci (fix: "
                             "run '%s' again)",
                             name, again);
            return FALSE;
        }
        if (wedged != NULL)
            vh_cli_error("%s", wedged);
        else
            vh_cli_error("%s: stays in the journal as stuck, then 'vfio-handoff recover' gives it "
                         "back: %s",
                         name, error->message);
        return FALSE;
    }
    vh_cli_outcome(name, "given-back", driver, h->domain, NULL, "gave %s back to %s", name,
                   driver != NULL ? driver : "no driver (as it was)");
    if (warning != NULL)
        vh_cli_error("warning: %s", warning);
    return TRUE;
}

static const char REATTACH_SUMMARY[] =
    "Give devices back from vfio-pci to the driver they had before vfio-handoff took them "
    "(detached by hand, or left behind by a domain whose QEMU is gone). A device held by a "
    "running domain is refused: stop the domain instead. With --adopt, a parked device "
    "(left on vfio-pci by libvirt, a script or vfio-pci.ids=, see vfio-handoff status) is "
    "given back too: its driver_override is cleared and the kernel probes it. A wedged "
    "device (it did not come back from its reset) stays on vfio-pci unless --force.";
static const char REATTACH_DESCRIPTION[] =
    "DEVICE is a PCI address (0000:01:00.0 or 01:00.0) or a vendor:device ID (10de:2204) "
    "that matches exactly one device.";

int
vh_cmd_reattach(int argc, char **argv)
{
    gboolean adopt = FALSE, force = FALSE, json = FALSE;
    const GOptionEntry entries[] = {
        {"force", 0, 0, G_OPTION_ARG_NONE, &force,
         "Give back even a wedged device (one that does not answer after its reset: its config "
         "space reads 0xffff). Its driver's probe can hang the host: a reboot is the safe way",
         NULL},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON: what was given back, and why not",
         NULL},
        {"adopt", 0, 0, G_OPTION_ARG_NONE, &adopt,
         "Also give back parked devices (on vfio-pci, held by no one, not handed off by "
         "vfio-handoff) to the driver the kernel picks, as virsh nodedev-reattach does",
         NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx =
        vh_cli_option_context("reattach", "DEVICE...", REATTACH_SUMMARY, REATTACH_DESCRIPTION,
                              entries);
    g_autoptr(VhCliChange) change = NULL;
    int status = VH_EXIT_OK;
    int rc = vh_cli_parse_options(ctx, &argc, &argv);
    char (*names)[VH_PCI_ADDRESS_BUFSIZE] = NULL;

    if (rc >= 0)
        return rc;
    if (argc < 2) {
        vh_cli_error(
            "reattach: needs at least one DEVICE (fix: pick them from 'vfio-handoff status')");
        return VH_EXIT_USAGE;
    }
    /* an address, or an ID (the one present device it matches), as every verb takes */
    {
        g_autoptr(VhHost) host = vh_host_new_from_environment();
        g_autoptr(VhInventory) inv = NULL;

        names = g_malloc0(sizeof(*names) * (gsize)argc);
        for (int i = 1; i < argc; i++) {
            if ((rc = vh_cli_device_address(host, argv[i], &inv, names[i])) != 0) {
                g_free(names);
                return rc;
            }
        }
    }
    if ((change = vh_cli_change_begin()) == NULL) {
        g_free(names);
        return VH_EXIT_FAILED;
    }
    for (int i = 1; i < argc; i++) {
        if (!reattach_one(change, names[i], adopt, force))
            status = VH_EXIT_FAILED;
    }
    g_free(names);
    return status;
}
