/* vfio-handoff disable DEVICE...: undo `enable` (removes its drop-ins) */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "vh-cli.h"
#include "vh-policy-write.h"

int
vh_cmd_disable(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = vh_cli_option_context(
        "disable", "DEVICE...",
        "Disable devices for passthrough: removes the drop-ins `vfio-handoff enable` wrote. A "
        "device enabled in a file written by hand is left alone, and the file is named.",
        "DEVICE is a PCI address (0000:01:00.0), which need not be present any more, or a "
        "vendor:device ID matching one present device.",
        NULL);
    g_autoptr(VhHost) host = NULL;
    g_autoptr(VhPolicy) policy = NULL;
    g_autoptr(VhInventory) inv = NULL;
    int status = VH_EXIT_OK;
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (argc < 2) {
        vh_cli_error("disable needs at least one DEVICE");
        return VH_EXIT_USAGE;
    }
    host = vh_host_new_from_environment();
    policy = vh_policy_load(host);
    for (int i = 1; i < argc; i++) {
        g_autoptr(GError) error = NULL;
        char address[VH_PCI_ADDRESS_BUFSIZE];
        VhPciAddress addr;
        g_autofree char *path = NULL;
        gboolean found_other = FALSE;

        if (vh_pci_address_parse(argv[i], &addr, NULL)) {
            vh_pci_address_format(&addr, address);
        } else {
            VhPciDevice *dev;

            if (inv == NULL && (inv = vh_inventory_load(host, VH_INVENTORY_NONE, &error)) == NULL) {
                vh_cli_error("%s", error->message);
                return VH_EXIT_FAILED;
            }
            if ((dev = vh_inventory_resolve(inv, argv[i], &error)) == NULL) {
                vh_cli_error("%s", error->message);
                status = VH_EXIT_FAILED;
                continue;
            }
            g_strlcpy(address, dev->name, sizeof(address));
        }
        path = vh_policy_dropin_path(host, address);
        if (g_unlink(path) == 0) {
            printf("disabled %s: removed %s\n", address, path);
            continue;
        }
        if (errno != ENOENT) {
            vh_cli_error("cannot remove '%s': %s", path, g_strerror(errno));
            status = VH_EXIT_FAILED;
            continue;
        }
        for (guint j = 0; j < policy->devices->len; j++) {
            const VhPolicyDevice *pd = g_ptr_array_index(policy->devices, j);

            /* (a drop-in of ours read before it was removed above is not "another" file) */
            if (pd->enabled && pd->has_address && strcmp(pd->address, address) == 0 &&
                strcmp(pd->file, path) != 0) {
                vh_cli_error("%s is enabled at %s:%d, which vfio-handoff enable did not write: "
                             "edit it there (enabled=false)",
                             address, pd->file, pd->line);
                found_other = TRUE;
                status = VH_EXIT_FAILED;
            }
        }
        if (!found_other)
            printf("%s was not enabled by vfio-handoff enable: nothing to do\n", address);
    }
    return status;
}
