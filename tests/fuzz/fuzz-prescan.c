/* libFuzzer, differential: the hook front's pre-scan (hook/vh-hook-prescan.c) against the
 * engine's reader (lib/domain/vh-domain.c). Whenever the engine reads an unmanaged PCI hostdev, the
 * front must have said "may be ours": a no there skips every check of the start. Whenever it
 * reads any PCI hostdev, the front's prepare scan must have said yes: a no there skips the
 * watch of libvirt's own devices. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "vh-domain.h"
#include "vh-hook-prescan.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int front = vh_hook_prescan_unmanaged_pci((const char *)data, size);
    int front_any = vh_hook_prescan_any_pci((const char *)data, size);
    VhDomainDef *def = vh_domain_def_parse((const char *)data, size, NULL);

    if (def != NULL) {
        g_autoptr(GPtrArray) unmanaged = vh_domain_def_unmanaged(def);

        if (unmanaged->len > 0 && !front) {
            fprintf(stderr,
                    "differential failure: the engine reads %u unmanaged PCI hostdev(s) "
                    "(first %s), the front's pre-scan says none\n",
                    unmanaged->len, (const char *)g_ptr_array_index(unmanaged, 0));
            abort();
        }
        if (def->hostdevs->len > 0 && !front_any) {
            fprintf(stderr,
                    "differential failure: the engine reads %u PCI hostdev(s), the front's "
                    "prepare pre-scan says none\n",
                    def->hostdevs->len);
            abort();
        }
        vh_domain_def_free(def);
    }
    return 0;
}
