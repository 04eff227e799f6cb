/* vfio-handoff plan DOMAIN: what the hook would check and write when DOMAIN starts */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <gio/gio.h>
#include <stdlib.h>

#include "vh-cli.h"
#include "vh-console.h"
#include "vh-error.h"
#include "vh-libvirt.h"
#include "vh-policy-eval.h"
#include "vh-handoff.h"
#include "vh-kernel-abi.h"

/* The domain's definition from libvirt, read-only (the live one if it runs). */
static char *
domain_xml_from_libvirt(const char *uri, const char *name, GError **error)
{
    const VhLibvirt *lv = vh_libvirt_load(error);
    g_autoptr(GError) local = NULL;
    virConnectPtr conn;
    virDomainPtr dom;
    char *xml = NULL;
    char *out = NULL;

    if (lv == NULL)
        return NULL;
    if ((conn = vh_libvirt_open(lv, uri, TRUE, &local)) == NULL) {
        g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    if ((dom = vh_libvirt_domain(lv, conn, name, error)) != NULL) {
        if ((xml = lv->domain_get_xml_desc(dom, 0)) == NULL)
            g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                        "%s: its definition cannot be read, %s (fix: check that 'virsh dumpxml "
                        "%s' works, or give the domain with --xml FILE)",
                        name, lv->get_last_error_message(), name);
        out = g_strdup(xml);
        free(xml);
        lv->domain_free(dom);
    }
    lv->connect_close(conn);
    return out;
}

static void
print_json(const VhDomainDef *def, const VhEvaluation *eval, const GPtrArray *steps)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    vh_cli_json_begin(b);
    vh_cli_json_string_or_null(b, "domain", def->name);
    vh_cli_json_bool(b, "allowed", eval->allowed);
    json_builder_set_member_name(b, "checks");
    json_builder_begin_array(b);
    for (guint i = 0; i < eval->checks->len; i++) {
        vh_cli_check_to_json(b, g_ptr_array_index(eval->checks, i));
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "handoff");
    json_builder_begin_array(b);
    for (guint i = 0; i < eval->handoff->len; i++)
        json_builder_add_string_value(b,
                                      ((VhPciDevice *)g_ptr_array_index(eval->handoff, i))->name);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "vfio_drivers");
    json_builder_begin_object(b);
    for (guint i = 0; i < eval->handoff->len; i++) {
        const char *a = ((VhPciDevice *)g_ptr_array_index(eval->handoff, i))->name;

        vh_cli_json_string_or_null(b, a, g_hash_table_lookup(eval->vfio_drivers, a));
    }
    json_builder_end_object(b);
    json_builder_set_member_name(b, "left_alone");
    json_builder_begin_array(b);
    for (guint i = 0; i < eval->left_alone->len; i++)
        json_builder_add_string_value(
            b, ((VhPciDevice *)g_ptr_array_index(eval->left_alone, i))->name);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "steps");
    json_builder_begin_array(b);
    for (guint i = 0; steps != NULL && i < steps->len; i++) {
        VhStep *s = g_ptr_array_index((GPtrArray *)steps, i);

        json_builder_begin_object(b);
        vh_cli_json_string_or_null(b, "action", vh_step_kind_to_string(s->kind));
        vh_cli_json_string_or_null(b, "device", s->device);
        vh_cli_json_string_or_null(b, "path", s->path);
        vh_cli_json_string_or_null(b, "value", s->value);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    vh_cli_print_json(b);
}

/* "vfio-pci", or "its VFIO driver (0000:05:00.0 to mlx5_vfio_pci, the rest to vfio-pci)" */
static char *
vfio_drivers_text(const GPtrArray *done)
{
    g_autoptr(GString) variants = g_string_new(NULL);
    guint n = 0;

    for (guint i = 0; done != NULL && i < done->len; i++) {
        const VhHandoff *d = g_ptr_array_index((GPtrArray *)done, i);

        if (g_strcmp0(d->vfio_driver, VH_DRIVER_VFIO_PCI) != 0)
            g_string_append_printf(variants, "%s%s to %s", n++ > 0 ? ", " : "", d->address,
                                   d->vfio_driver);
    }
    if (n == 0)
        return g_strdup(VH_DRIVER_VFIO_PCI);
    return g_strdup_printf("VFIO (%s%s)", variants->str,
                           n < done->len ? ", the rest to vfio-pci" : "");
}

static void
print_text(const VhDomainDef *def, const VhEvaluation *eval, const GPtrArray *steps,
           const GPtrArray *done)
{
    g_autofree char *to = vfio_drivers_text(done);
    const VhPolicyCheck *failed = vh_evaluation_first_failure(eval);
    const GPtrArray *requested = eval->requested;

    printf("checks for domain '%s' at start:\n", def->name);
    for (guint i = 0; i < eval->checks->len; i++) {
        VhPolicyCheck *c = g_ptr_array_index(eval->checks, i);

        printf("  %s  %-18s %-13s %s", c->passed ? "PASS" : "FAIL", c->id, c->subject, c->reason);
        if (c->fix != NULL)
            printf(" (fix: %s)", c->fix);
        printf("\n");
    }
    for (guint i = 0; i < eval->left_alone->len; i++)
        printf("  note: %s is already on vfio-pci and not handed off by vfio-handoff: left as it "
               "is\n",
               ((VhPciDevice *)g_ptr_array_index(eval->left_alone, i))->name);
    if (failed != NULL) {
        g_autofree char *text = vh_policy_check_message(failed, def->name);

        printf("\nThe hook would refuse to start %s, saying:\n  vfio-handoff: %s: %s\n", def->name,
               def->name, text);
        return;
    }
    if (requested->len == 0) {
        printf("\n%s has no PCI <hostdev managed='no'>: the hook leaves its start alone.\n",
               def->name);
        return;
    }
    printf("\nsysfs steps at start (prepare):\n");
    for (guint i = 0; i < steps->len; i++) {
        g_autofree char *text = vh_step_describe(g_ptr_array_index((GPtrArray *)steps, i));

        printf("  %2u. %s\n", i + 1, text);
    }
    if (steps->len == 0)
        printf("  none: nothing to hand off\n");
    printf("\nThe hook would hand %u device%s to %s and let %s start; when it stops, each "
           "goes back to the driver it had.\n",
           eval->handoff->len, eval->handoff->len == 1 ? "" : "s", to, def->name);
    for (guint i = 0; done != NULL && i < done->len; i++) {
        const VhHandoff *d = g_ptr_array_index((GPtrArray *)done, i);

        if (d->note != NULL)
            printf("\nnote: %s\n", d->note);
    }
}

/* The domain from @xml_file (checked against @name when given), or from libvirt; NULL
 * (reported) on failure. */
static VhDomainDef *
load_domain(const char *xml_file, const char *uri, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VhDomainDef) def = NULL;

    if (xml_file != NULL) {
        def = vh_domain_def_load_file(xml_file, &error);
    } else {
        g_autofree char *xml = domain_xml_from_libvirt(uri, name, &error);

        if (xml != NULL)
            def = vh_domain_def_parse(xml, strlen(xml), &error);
    }
    if (def == NULL) {
        vh_cli_error("%s", error->message);
        return NULL;
    }
    if (xml_file != NULL && name != NULL && strcmp(name, def->name) != 0) {
        vh_cli_error("%s: defines domain '%s', not '%s' (fix: name the domain the file defines)",
                     xml_file, def->name, name);
        return NULL;
    }
    return g_steal_pointer(&def);
}

static const char PLAN_SUMMARY[] =
    "Show what the hook would do when DOMAIN starts: every policy check with its result, "
    "reason and fix, then every sysfs write, in order. Changes nothing.";
static const char PLAN_DESCRIPTION[] =
    "DOMAIN is a libvirt domain name or UUID, read from libvirt; with --xml FILE the "
    "definition comes from FILE and libvirt is not needed.\n"
    "Exit status: 0 when the start would be allowed, 1 when it would be refused.";

int
vh_cmd_plan(int argc, char **argv)
{
    gboolean json = FALSE;
    char *xml_file = NULL;
    char *uri = NULL;
    const GOptionEntry entries[] = {
        {"xml", 0, 0, G_OPTION_ARG_FILENAME, &xml_file,
         "Read the domain definition from FILE instead of libvirt", "FILE"},
        {"connect", 'c', 0, G_OPTION_ARG_STRING, &uri, "libvirt URI (as virsh -c)", "URI"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx =
        vh_cli_option_context("plan", "[DOMAIN]", PLAN_SUMMARY, PLAN_DESCRIPTION, entries);
    g_autoptr(GError) error = NULL;
    g_autoptr(VhDomainDef) def = NULL;
    g_autoptr(VhCliView) view = NULL;
    g_autoptr(VhEvaluation) eval = NULL;
    g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func((GDestroyNotify)vh_step_free);
    g_autoptr(GPtrArray) done = NULL;
    g_autofree char *xml_owned = NULL;
    g_autofree char *uri_owned = NULL;
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    /* GOption allocated these */
    xml_owned = xml_file;
    uri_owned = uri;
    if (rc >= 0)
        return rc;
    if (xml_file != NULL && uri != NULL) {
        vh_cli_error("plan: --xml and -c exclude each other, as a domain from a FILE needs no "
                     "libvirt (fix: give one of them)");
        return VH_EXIT_USAGE;
    }
    if ((xml_file == NULL && argc != 2) || argc > 2) {
        vh_cli_error("plan: takes one DOMAIN, or --xml FILE (fix: see 'vfio-handoff plan --help')");
        return VH_EXIT_USAGE;
    }
    if ((def = load_domain(xml_file, uri, argc == 2 ? argv[1] : NULL)) == NULL)
        return VH_EXIT_FAILED;
    if ((view = vh_cli_view_load_or_report(VH_SNAPSHOT_NONE)) == NULL)
        return VH_EXIT_FAILED;
    eval = vh_policy_evaluate(&(VhFacts){view->policy, view->snap, def, NULL});
    /* the hook's own transaction, recording its steps instead of writing them */
    if (eval->allowed &&
        (done = vh_handoff_prepare(
             view->snap, &(VhHandoffOwner){VH_OWNER_DOMAIN, def->name, def->uuid}, eval->handoff,
             eval->consoles, eval->vfio_drivers, &(VhWriter){.steps = steps}, &error)) == NULL) {
        vh_cli_error("%s", error->message);
        return VH_EXIT_FAILED;
    }
    if (json)
        print_json(def, eval, eval->allowed ? steps : NULL);
    else
        print_text(def, eval, steps, done);
    return eval->allowed ? VH_EXIT_OK : VH_EXIT_FAILED;
}
