/* PCI address parsing: strict widths and ranges before any path is built */
#include "config.h"

#include "vh-error.h"
#include "vh-pci-address.h"

static void
test_valid(void)
{
    static const struct {
        const char *in, *canonical;
    } cases[] = {
        {"0000:01:00.0", "0000:01:00.0"},
        {"01:00.0", "0000:01:00.0"},
        {"0000:ff:1f.7", "0000:ff:1f.7"},
        {"ABCD:0A:1B.3", "abcd:0a:1b.3"},
        {"10000:e0:00.0", "10000:e0:00.0"}, /* Intel VMD domains are wider than 4 digits */
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        VhPciAddress a;
        char buf[VH_PCI_ADDRESS_BUFSIZE];

        g_assert_true(vh_pci_address_parse(cases[i].in, &a, &error));
        g_assert_no_error(error);
        vh_pci_address_format(&a, buf);
        g_assert_cmpstr(buf, ==, cases[i].canonical);
    }
}

static void
test_invalid(void)
{
    static const char *const cases[] = {
        "",           "0000:01:00",   "0000:01:00.8", "0000:01:20.0", "000:01:00.0",
        "0000:1:00.0", "0000:001:00.0", "0000:01:0.0", "0000:01:00.00", " 0000:01:00.0",
        "0000:01:00.0 ", "0000:01:00.0/../..", "+000:01:00.0", "0000:0g:00.0", "01:00",
        "123456789:00:00.0", "0000-01-00.0", "0000:01:00.-1",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        VhPciAddress a;
        g_autofree char *expected = g_strdup_printf("%s: not a PCI address (fix: give one as "
                                                    "DDDD:BB:SS.F, e.g. 0000:01:00.0)",
                                                    cases[i]);

        g_assert_false(vh_pci_address_parse(cases[i], &a, &error));
        g_assert_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT);
        g_assert_cmpstr(error->message, ==, expected);
        g_assert_false(vh_pci_address_is_valid(cases[i]));
    }
}

static void
test_is_valid_needs_domain(void)
{
    /* sysfs names always carry the domain; path components without it are not devices */
    g_assert_true(vh_pci_address_is_valid("0000:00:1f.6"));
    g_assert_false(vh_pci_address_is_valid("00:1f.6"));
    g_assert_false(vh_pci_address_is_valid("pci0000:00"));
    g_assert_false(vh_pci_address_is_valid("usb2"));
}

static void
test_compare(void)
{
    VhPciAddress a, b;

    g_assert_true(vh_pci_address_parse("0000:01:00.1", &a, NULL));
    g_assert_true(vh_pci_address_parse("0000:01:01.0", &b, NULL));
    g_assert_cmpint(vh_pci_address_compare(&a, &b), <, 0);
    g_assert_cmpint(vh_pci_address_compare(&b, &a), >, 0);
    g_assert_cmpint(vh_pci_address_compare(&a, &a), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vh/pci-address/parse/valid", test_valid);
    g_test_add_func("/vh/pci-address/parse/invalid", test_invalid);
    g_test_add_func("/vh/pci-address/is-valid/needs-domain", test_is_valid_needs_domain);
    g_test_add_func("/vh/pci-address/compare", test_compare);
    return g_test_run();
}
