/* libFuzzer: PCI addresses, sizes, durations and kernel numbers (lib/base/vh-pci-address.c,
 * lib/base/vh-units.c). An accepted address formats to a canonical one that reads back the same. */
#include "config.h"

#include <string.h>

#include "vh-pci-address.h"
#include "vh-units.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *)data, size);
    char canon[VH_PCI_ADDRESS_BUFSIZE];
    VhPciAddress a, b;
    guint64 v;

    if (vh_pci_address_parse(text, &a, NULL)) {
        vh_pci_address_format(&a, canon);
        g_assert(vh_pci_address_is_valid(canon));
        g_assert(vh_pci_address_parse(canon, &b, NULL));
        g_assert(vh_pci_address_compare(&a, &b) == 0);
    }
    (void)vh_pci_address_is_valid(text);
    (void)vh_parse_size(text, &v, NULL);
    (void)vh_parse_duration(text, &v, NULL);
    g_assert(vh_parse_kernel_number(text) >= -1);
    g_free(vh_format_size((guint64)size << (size % 48)));
    return 0;
}
