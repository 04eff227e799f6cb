/* vfio-handoff disable DEVICE...: undo `enable` (removes its drop-ins) */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "vh-cli.h"
#include "vh-error.h"
#include "vh-holders.h"
#include "vh-policy-write.h"

/* A domain that holds @address now keeps it until it stops, but its next start is refused:
 * said, with how to allow it again. */
static void
warn_if_held(const VhHost *host, const char *address)
{
    g_autoptr(VhJournalRecord) r = vh_journal_get(host, address, NULL);
    g_autofree char *word = NULL;

    if (r == NULL || r->domain == NULL ||
        !vh_holder_is_alive(&(VhHolder){.state = vh_holder_state_of_record(host, r)}))
        return;
    word = vh_error_shell_word(r->domain);
    vh_cli_error("warning: %s: the domain '%s' holds it now and keeps it until it stops, but "
                     "its next start is refused (fix: run 'vfio-handoff enable %s --domain %s' "
                     "to allow it again)",
                 address, r->domain, address, word);
}

/* @address has no drop-in of ours: a section elsewhere that enables it is named, not edited
 * (FALSE); otherwise there is nothing to do. */
static gboolean
not_ours(const VhPolicy *policy, const char *address, const char *path)
{
    gboolean found_other = FALSE;

    for (guint j = 0; j < policy->devices->len; j++) {
        const VhPolicyDevice *pd = g_ptr_array_index(policy->devices, j);

        /* (a drop-in of ours read before it was removed is not "another" file) */
        if (pd->enabled && pd->has_address && strcmp(pd->address, address) == 0 &&
            strcmp(pd->file, path) != 0) {
            vh_cli_error("%s: enabled at '%s:%d', which vfio-handoff enable did not write (fix: "
                         "set enabled=false there)",
                         address, pd->file, pd->line);
            found_other = TRUE;
        }
    }
    if (!found_other)
        vh_cli_outcome(address, "unchanged", NULL, NULL, NULL,
                       "%s was not enabled by vfio-handoff enable: nothing to do", address);
    return !found_other;
}

/* Removes the drop-in of @address (with @dry_run, says it would). */
static gboolean
disable_one(const VhHost *host, const VhPolicy *policy, const char *address, gboolean dry_run)
{
    g_autofree char *path = vh_policy_dropin_path(host, address);
    g_autofree char *text = NULL; /* what is removed, for the JSON (a diff's "before") */
    g_autoptr(JsonBuilder) b = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return not_ours(policy, address, path);
    if (!dry_run && g_unlink(path) != 0) {
        vh_cli_error("%s: cannot be removed, %s (fix: %s)", path, g_strerror(errno),
                     vh_error_errno_fix(errno));
        return FALSE;
    }
    b = json_builder_new();
    json_builder_begin_object(b);
    vh_cli_json_string_or_null(b, "file", path);
    vh_cli_json_string_or_null(b, "text", text);
    json_builder_end_object(b);
    vh_cli_outcome(address, dry_run ? "would-disable" : "disabled", NULL, NULL,
                   json_builder_get_root(b), "%s %s: %s %s", dry_run ? "would disable" : "disabled",
                   address, dry_run ? "would remove" : "removed", path);
    if (!dry_run)
        warn_if_held(host, address);
    return TRUE;
}

int
vh_cmd_disable(int argc, char **argv)
{
    gboolean json = FALSE, dry_run = FALSE;
    const GOptionEntry entries[] = {
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
         "Say which drop-ins would be removed, and their text; remove nothing", NULL},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON: what was removed, and why not",
         NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = vh_cli_option_context(
        "disable", "DEVICE...",
        "Disable devices for passthrough: removes the drop-ins `vfio-handoff enable` wrote. A "
        "device enabled in a file written by hand is left alone, and the file is named.",
        "DEVICE is a PCI address (0000:01:00.0), which need not be present any more, or a "
        "vendor:device ID matching one present device.",
        entries);
    g_autoptr(VhHost) host = NULL;
    g_autoptr(VhPolicy) policy = NULL;
    g_autoptr(VhInventory) inv = NULL;
    int status = VH_EXIT_OK;
    int rc = vh_cli_parse_options(ctx, &argc, &argv);
    char (*addresses)[VH_PCI_ADDRESS_BUFSIZE] = NULL;

    if (rc >= 0)
        return rc;
    if (argc < 2) {
        vh_cli_error("disable: needs at least one DEVICE (fix: pick them from 'vfio-handoff "
                     "list')");
        return VH_EXIT_USAGE;
    }
    host = vh_host_new_from_environment();
    {
        g_autofree char *dropins = g_build_filename(host->config_dir, VH_POLICY_DROPIN_DIR, NULL);

        if (!dry_run && !vh_cli_may_write(dropins))
            return VH_EXIT_FAILED;
    }
    /* every DEVICE is understood before anything is removed */
    addresses = g_malloc0(sizeof(*addresses) * (gsize)argc);
    for (int i = 1; i < argc; i++) {
        if ((rc = vh_cli_device_address(host, argv[i], &inv, addresses[i])) != 0) {
            g_free(addresses);
            return rc;
        }
    }
    policy = vh_policy_load(host);
    for (int i = 1; i < argc; i++) {
        if (!disable_one(host, policy, addresses[i], dry_run))
            status = VH_EXIT_FAILED;
    }
    g_free(addresses);
    return status;
}
