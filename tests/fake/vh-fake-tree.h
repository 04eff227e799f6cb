/* Test bed: builds a host tree (sys, proc, dev, etc, lib/modules) from a scenario file */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A scenario is a GKeyFile (tests/data/scenarios/ *.conf; the format is documented in
 * tests/data/scenarios/README.md). vh_fake_tree_build() lays it out below @root the way the
 * kernel lays out sysfs and procfs, so libpci, lspci and vfio-handoff read it as a host.
 * State the fake kernel needs (each device's native driver) goes to ROOT/.fake/.
 */
gboolean vh_fake_tree_build(GKeyFile *scenario, const char *root, GError **error);
gboolean vh_fake_tree_build_file(const char *scenario_path, const char *root, GError **error);

/* A scenario of @count endpoints, each in its own group behind its own root port, with a mix
 * of NICs, NVMe drives and GPUs: the scale test for `list`. */
GKeyFile *vh_fake_tree_synthetic(guint count);

/* A temporary root ("/tmp/vh-fake-XXXXXX") holding @scenario's tree; NULL on failure. */
char *vh_fake_tree_new_temp(const char *scenario_path, GError **error);

/* Removes a tree made by vh_fake_tree_new_temp() unless VH_KEEP_TREE is set (for debugging a
 * failed test: the tree stays on disk and its path is printed). */
void vh_fake_tree_remove(const char *root);

G_END_DECLS
