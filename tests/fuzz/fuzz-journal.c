/* libFuzzer: one journal record (lib/journal/vh-journal-record.c). What is accepted is a valid record
 * (an address that is its file name, a known state, driver names that stay in their directory)
 * and writes back to the same record. */
#include "config.h"

#include <string.h>

#include "vh-journal.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define NAME "0000:01:00.0"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    g_autoptr(VhJournalRecord) r = vh_journal_record_parse(NAME, (const char *)data, size, NULL);
    g_autoptr(VhJournalRecord) again = NULL;
    g_autofree char *text = NULL;

    if (r == NULL)
        return 0;
    g_assert_cmpstr(r->address, ==, NAME);
    g_assert(r->driver == NULL || vh_journal_is_driver_name(r->driver));
    g_assert(r->driver_override == NULL || vh_journal_is_driver_name(r->driver_override));
    g_assert(r->owner == VH_OWNER_BY_HAND || r->domain != NULL);
    g_assert(r->qemu_pid >= 0);
    text = vh_journal_record_to_text(r);
    again = vh_journal_record_parse(NAME, text, strlen(text), NULL);
    g_assert(again != NULL);
    g_assert_cmpstr(again->domain, ==, r->domain);
    g_assert_cmpstr(again->driver, ==, r->driver);
    g_assert_cmpstr(again->driver_override, ==, r->driver_override);
    g_assert_cmpint(again->state, ==, r->state);
    g_assert_cmpint(again->owner, ==, r->owner);
    g_assert_cmpint(again->qemu_pid, ==, r->qemu_pid);
    return 0;
}
