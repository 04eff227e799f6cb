/* vfio-handoff policy validate [FILE]: check the policy files, every problem with file:line */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vh-cli.h"
#include "vh-error.h"
#include "vh-policy.h"

static void
print_json(const VhPolicy *policy, gboolean valid)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    vh_cli_json_begin(b);
    vh_cli_json_bool(b, "valid", valid);
    json_builder_set_member_name(b, "files");
    json_builder_begin_array(b);
    for (guint i = 0; i < policy->files->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(policy->files, i));
    json_builder_end_array(b);
    json_builder_set_member_name(b, "problems");
    json_builder_begin_array(b);
    for (guint i = 0; i < policy->issues->len; i++) {
        VhPolicyIssue *issue = g_ptr_array_index(policy->issues, i);

        g_autofree char *reason = NULL;
        g_autofree char *fix = NULL;

        /* the issue's reason and fix apart, as every other reason of the documents */
        vh_error_split_fix(issue->message, &reason, &fix);

        json_builder_begin_object(b);
        vh_cli_json_string_or_null(b, "file", issue->file);
        json_builder_set_member_name(b, "line");
        if (issue->line > 0)
            json_builder_add_int_value(b, issue->line);
        else
            json_builder_add_null_value(b); /* the whole file */
        vh_cli_json_string_or_null(b, "severity",
                                   issue->severity == VH_ISSUE_ERROR ? "error" : "unknown");
        vh_cli_json_string_or_null(b, "reason", reason);
        vh_cli_json_string_or_null(b, "fix", fix);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    vh_cli_print_json(b);
}

static int
validate(int argc, char **argv)
{
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = vh_cli_option_context(
        "policy validate", "[FILE]",
        "Check the policy: /etc/vfio-handoff/vfio-handoff.conf and conf.d/*.conf (or FILE "
        "alone). Every problem is printed with its file and line: syntax, unknown sections and "
        "keys, values of the wrong type or unit, invalid device addresses, devices defined "
        "twice, and files that are ignored because they are not owned by root or are writable "
        "by others.",
        "Exit status: 0 when the policy is valid, 1 on any problem (the hook only warns about "
        "unknown keys).",
        entries);
    g_autoptr(VhHost) host = vh_host_new_from_environment();
    g_autoptr(VhPolicy) policy = NULL;
    gboolean valid;
    guint enabled = 0;
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (argc > 2) {
        vh_cli_error("policy: validate takes at most one FILE, got '%s' too (fix: validate one "
                     "file at a time, or none for the installed policy)",
                     argv[2]);
        return VH_EXIT_USAGE;
    }
    policy = argc == 2 ? vh_policy_load_file(argv[1], host->config_owner) : vh_policy_load(host);
    valid = !vh_policy_has_errors(policy, TRUE);
    for (guint i = 0; i < policy->devices->len; i++)
        enabled += ((VhPolicyDevice *)g_ptr_array_index(policy->devices, i))->enabled;

    if (json) {
        print_json(policy, valid);
        return valid ? VH_EXIT_OK : VH_EXIT_FAILED;
    }
    for (guint i = 0; i < policy->issues->len; i++) {
        g_autofree char *line = vh_policy_issue_to_string(g_ptr_array_index(policy->issues, i));

        printf("%s\n", line);
    }
    if (policy->files->len == 0)
        printf("policy: no policy files in %s: the defaults apply and no device is enabled\n",
               host->config_dir);
    else if (valid)
        printf("policy: valid (%u file%s, %u device%s enabled)\n", policy->files->len,
               policy->files->len == 1 ? "" : "s", enabled, enabled == 1 ? "" : "s");
    else
        printf("policy: %u problem%s\n", policy->issues->len, policy->issues->len == 1 ? "" : "s");
    return valid ? VH_EXIT_OK : VH_EXIT_FAILED;
}

int
vh_cmd_policy(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "validate") == 0)
        return validate(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage:\n  vfio-handoff policy validate [FILE] [--json]\n\n"
               "Check the policy files; 'vfio-handoff policy validate --help' says how.\n");
        return VH_EXIT_OK;
    }
    if (argc >= 2)
        vh_cli_error("%s: not a policy subcommand (fix: run 'vfio-handoff policy validate', the "
                     "only one)",
                     argv[1]);
    else
        vh_cli_error("policy: needs a subcommand, validate (fix: run 'vfio-handoff policy "
                     "validate')");
    return VH_EXIT_USAGE;
}
