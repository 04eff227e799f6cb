/* vfio-handoff reattach DEVICE...: give back devices detached by hand (or left by a domain
 * that is gone) to the driver they had */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vh-bind.h"
#include "vh-cli.h"
#include "vh-kernel-abi.h"
#include "vh-holders.h"
#include "vh-prepare.h"
#include "vh-policy.h"

int
vh_cmd_reattach(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = vh_cli_option_context(
        "reattach", "DEVICE...",
        "Give devices back from vfio-pci to the driver they had before vfio-handoff took them "
        "(detached by hand, or left behind by a domain whose QEMU is gone). A device held by a "
        "running domain is refused: stop the domain instead.",
        "DEVICE is a PCI address.", NULL);
    g_autoptr(GError) error = NULL;
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
    if ((change = vh_cli_change_begin()) == NULL)
        return VH_EXIT_FAILED;
    for (int i = 1; i < argc; i++) {
        char name[VH_PCI_ADDRESS_BUFSIZE];
        VhPciAddress addr;
        g_autoptr(VhJournalRecord) h = NULL;
        g_autofree char *driver = NULL;
        VhHolderState holder;

        if (!vh_pci_address_parse(argv[i], &addr, &error)) {
            vh_cli_error("%s", error->message);
            return VH_EXIT_USAGE;
        }
        vh_pci_address_format(&addr, name);
        h = vh_journal_get(change->host, name);
        if (h == NULL) {
            driver = vh_bind_current_driver(change->host, name);
            if (g_strcmp0(driver, VH_DRIVER_VFIO_PCI) == 0) {
                vh_cli_error("%s is on vfio-pci, but not by vfio-handoff: left as it is (virsh "
                             "nodedev-reattach gives it back)",
                             name);
                status = VH_EXIT_FAILED;
            } else {
                printf("%s is not handed off: nothing to do\n", name);
            }
            continue;
        }
        holder = vh_holder_state_of_record(change->host, h);
        if (holder == VH_HOLDER_RUNNING || holder == VH_HOLDER_STARTING) {
            vh_cli_error("%s is held by the domain %s, which is running: stop it instead (virsh "
                         "shutdown %s)",
                         name, h->domain, h->domain);
            status = VH_EXIT_FAILED;
            continue;
        }
        driver = g_strdup(h->driver);
        g_clear_error(&error);
        if (!vh_prepare_give_back(change->host, h, &change->writer, &error)) {
            vh_cli_error("%s (it stays in the journal, stuck)", error->message);
            status = VH_EXIT_FAILED;
            continue;
        }
        printf("gave %s back to %s\n", name, driver != NULL ? driver : "no driver (as it was)");
    }
    return status;
}
