/* vfio-handoff reattach DEVICE...: give back devices detached by hand (or left by a domain
 * that is gone) to the driver they had */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vh-bind.h"
#include "vh-cli.h"
#include "vh-error.h"
#include "vh-kernel-abi.h"
#include "vh-holders.h"
#include "vh-prepare.h"
#include "vh-policy.h"

/* Gives @name back; FALSE (reported) when it cannot or may not be. */
static gboolean
reattach_one(VhCliChange *change, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VhJournalRecord) h = vh_journal_get(change->host, name, &error);
    g_autofree char *driver = NULL;
    VhHolderState holder;

    if (error != NULL) {
        vh_cli_error("%s: its journal record %s: left as it is (fix: see 'vfio-handoff status')",
                     name, error->message);
        return FALSE;
    }
    if (h == NULL) {
        driver = vh_bind_current_driver(change->host, name);
        if (g_strcmp0(driver, VH_DRIVER_VFIO_PCI) != 0) {
            printf("%s is not handed off: nothing to do\n", name);
            return TRUE;
        }
        vh_cli_error("%s: on vfio-pci, but not by vfio-handoff: left as it is (fix: run 'virsh "
                     "nodedev-reattach' to give it back)",
                     name);
        return FALSE;
    }
    holder = vh_holder_state_of_record(change->host, h);
    if (holder == VH_HOLDER_RUNNING || holder == VH_HOLDER_STARTING) {
        g_autofree char *word = vh_error_shell_word(h->domain);

        vh_cli_error("%s: held by the domain '%s', which is running (fix: stop it instead, run "
                     "'virsh shutdown %s')",
                     name, h->domain, word);
        return FALSE;
    }
    driver = g_strdup(h->driver);
    if (!vh_prepare_give_back(change->host, h, &change->writer, &error)) {
        vh_cli_error("%s, it stays in the journal as stuck (fix: run 'vfio-handoff recover' once "
                     "the cause is gone)",
                     error->message);
        return FALSE;
    }
    printf("gave %s back to %s\n", name, driver != NULL ? driver : "no driver (as it was)");
    return TRUE;
}

int
vh_cmd_reattach(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = vh_cli_option_context(
        "reattach", "DEVICE...",
        "Give devices back from vfio-pci to the driver they had before vfio-handoff took them "
        "(detached by hand, or left behind by a domain whose QEMU is gone). A device held by a "
        "running domain is refused: stop the domain instead.",
        "DEVICE is a PCI address.", NULL);
    g_autoptr(VhCliChange) change = NULL;
    int status = VH_EXIT_OK;
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (argc < 2) {
        vh_cli_error(
            "reattach: needs at least one DEVICE (fix: pick them from 'vfio-handoff status')");
        return VH_EXIT_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        g_autoptr(GError) error = NULL;

        if (!vh_pci_address_parse(argv[i], &(VhPciAddress){0}, &error)) {
            vh_cli_error("%s", error->message);
            return VH_EXIT_USAGE;
        }
    }
    if ((change = vh_cli_change_begin()) == NULL)
        return VH_EXIT_FAILED;
    for (int i = 1; i < argc; i++) {
        char name[VH_PCI_ADDRESS_BUFSIZE];
        VhPciAddress addr;

        vh_pci_address_parse(argv[i], &addr, NULL);
        vh_pci_address_format(&addr, name);
        if (!reattach_one(change, name))
            status = VH_EXIT_FAILED;
    }
    return status;
}
