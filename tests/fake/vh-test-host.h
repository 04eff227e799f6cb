/* Test bed: a scenario built into a temporary root, read the way the CLI and the hook read a host
 */
#pragma once

#include <glib.h>

#include "vh-snapshot.h"

G_BEGIN_DECLS

typedef struct {
    char *root;
    VhHost *host;
    VhSnapshot *snap;       /* the host read once, as the hook and the CLI read it */
    VhInventory *inventory; /* the snapshot's, for short */
    VhHostUsage *usage;
    VhVerdicts *verdicts;
} VhTestHost;

/* Builds tests/data/scenarios/NAME.conf and reads it; asserts on any failure. */
VhTestHost *vh_test_host_new(const char *name);

/* Reads the tree again (after the fake kernel changed it). */
void vh_test_host_reload(VhTestHost *t);

void vh_test_host_free(VhTestHost *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhTestHost, vh_test_host_free)

/* The verdict of one device; asserts that it exists. */
const VhVerdict *vh_test_host_verdict(VhTestHost *t, const char *device);

/* Whether the journal's index names @domain: what the hook's front stats (vh-journal-index.h). */
gboolean vh_test_host_domain_indexed(const VhHost *host, const char *domain);

/* The reason texts of a device, joined by " | ", for exact comparisons. */
char *vh_test_host_reasons(VhTestHost *t, const char *device);

G_END_DECLS
