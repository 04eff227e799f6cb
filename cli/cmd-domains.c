/* vfio-handoff domains: libvirt's domains with their PCI hostdevs, the VM list `add` picks from */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vh-cli.h"
#include "vh-domain.h"
#include "vh-libvirt.h"
#include "vh-table.h"
#include "vh-units.h"

typedef struct {
    char *name;
    char *uuid;
    gboolean running, persistent;
    VhDomainDef *config; /* the persistent definition (the live one of a transient domain) */
    VhDomainDef *live;   /* what runs now; NULL when shut off */
} DomainRow;

static void
domain_row_free(DomainRow *d)
{
    g_free(d->name);
    g_free(d->uuid);
    vh_domain_def_free(d->config);
    vh_domain_def_free(d->live);
    g_free(d);
}

/* @dom's definition as @flags says, parsed; NULL with a warning naming the domain */
static VhDomainDef *
read_def(const VhLibvirt *lv, virDomainPtr dom, const char *name, unsigned int flags)
{
    char *xml = lv->domain_get_xml_desc(dom, flags);
    g_autoptr(GError) error = NULL;
    VhDomainDef *def = NULL;

    if (xml == NULL) {
        vh_cli_error("warning: %s: libvirt gives no XML for this domain, %s (fix: see what 'virsh "
                     "dumpxml %s' says)",
                     name, lv->get_last_error_message(), name);
        return NULL;
    }
    def = vh_domain_def_parse(xml, strlen(xml), &error);
    if (def == NULL)
        vh_cli_error("warning: %s: its PCI devices are not listed, %s", name, error->message);
    free(xml);
    return def;
}

static gint
by_name(gconstpointer a, gconstpointer b)
{
    return g_strcmp0((*(DomainRow *const *)a)->name, (*(DomainRow *const *)b)->name);
}

/* Every domain of @uri, by name; NULL when libvirt cannot be reached (reported). */
static GPtrArray *
read_domains(const char *uri)
{
    g_autoptr(GError) error = NULL;
    const VhLibvirt *lv = vh_libvirt_load(&error);
    virConnectPtr conn = lv != NULL ? vh_libvirt_open(lv, uri, TRUE, &error) : NULL;
    virDomainPtr *domains = NULL;
    GPtrArray *rows;
    int n;

    if (conn == NULL) {
        vh_cli_error("%s", error->message);
        return NULL;
    }
    n = lv->connect_list_all_domains(conn, &domains, 0);
    if (n < 0) {
        vh_cli_error("libvirt: cannot list its domains, %s (fix: check 'virsh list --all')",
                     lv->get_last_error_message());
        lv->connect_close(conn);
        return NULL;
    }
    rows = g_ptr_array_new_with_free_func((GDestroyNotify)domain_row_free);
    for (int i = 0; i < n; i++) {
        DomainRow *d = g_new0(DomainRow, 1);

        d->name = g_strdup(lv->domain_get_name(domains[i]));
        d->running = lv->domain_is_active(domains[i]) == 1;
        d->persistent = lv->domain_is_persistent(domains[i]) == 1;
        d->config = read_def(lv, domains[i], d->name, d->persistent ? VIR_DOMAIN_XML_INACTIVE : 0);
        if (d->running)
            d->live = read_def(lv, domains[i], d->name, 0);
        if (d->config != NULL)
            d->uuid = g_strdup(d->config->uuid);
        lv->domain_free(domains[i]);
        g_ptr_array_add(rows, d);
    }
    free(domains);
    lv->connect_close(conn);
    g_ptr_array_sort(rows, by_name);
    return rows;
}

static void
hostdevs_to_json(JsonBuilder *b, const char *member, const VhDomainDef *def)
{
    json_builder_set_member_name(b, member);
    if (def == NULL) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_array(b);
    for (guint i = 0; i < def->hostdevs->len; i++) {
        const VhDomainHostdev *h = g_ptr_array_index(def->hostdevs, i);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "address");
        json_builder_add_string_value(b, h->address);
        vh_cli_json_bool(b, "managed", h->managed);
        vh_cli_json_string_or_null(b, "driver_model", h->driver_model);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void
print_json(const GPtrArray *rows)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    vh_cli_json_begin(b);
    json_builder_set_member_name(b, "domains");
    json_builder_begin_array(b);
    for (guint i = 0; i < rows->len; i++) {
        const DomainRow *d = g_ptr_array_index(rows, i);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, d->name);
        vh_cli_json_string_or_null(b, "uuid", d->uuid);
        vh_cli_json_bool(b, "running", d->running);
        vh_cli_json_bool(b, "persistent", d->persistent);
        json_builder_set_member_name(b, "memory_kib");
        if (d->config != NULL)
            json_builder_add_int_value(b, (gint64)d->config->memory_kib);
        else
            json_builder_add_null_value(b);
        vh_cli_json_bool(b, "locked", d->config != NULL && d->config->locked);
        json_builder_set_member_name(b, "hard_limit_kib");
        if (d->config != NULL && d->config->hard_limit_kib > 0)
            json_builder_add_int_value(b, (gint64)d->config->hard_limit_kib);
        else
            json_builder_add_null_value(b);
        hostdevs_to_json(b, "hostdevs", d->config);
        hostdevs_to_json(b, "live_hostdevs", d->live);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    vh_cli_print_json(b);
}

/* "0000:01:00.0 0000:01:00.1 (managed) ..." or "-" */
static char *
hostdevs_text(const VhDomainDef *def)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; def != NULL && i < def->hostdevs->len; i++) {
        const VhDomainHostdev *h = g_ptr_array_index(def->hostdevs, i);

        g_string_append_printf(s, "%s%s%s", s->len > 0 ? " " : "", h->address,
                               h->managed ? " (managed)" : "");
    }
    if (s->len == 0)
        g_string_append(s, "-");
    return g_string_free(s, FALSE);
}

static void
print_table(const GPtrArray *rows, gboolean legend)
{
    static const char *const columns[] = {"DOMAIN", "STATE",       "MEMORY",
                                          "LOCKED", "PCI DEVICES", NULL};
    g_autoptr(VhTable) t = vh_table_new(columns);

    for (guint i = 0; i < rows->len; i++) {
        const DomainRow *d = g_ptr_array_index(rows, i);
        g_autofree char *memory =
            d->config != NULL ? vh_format_size(d->config->memory_kib * 1024) : g_strdup("?");
        g_autofree char *devices = hostdevs_text(d->config);
        const char *row[] = {
            d->name, d->running ? (d->persistent ? "running" : "running (transient)") : "shut off",
            memory,  d->config != NULL && d->config->locked ? "yes" : "no",
            devices, NULL};

        vh_table_add(t, row);
    }
    vh_table_print(t, legend);
}

static const char DOMAINS_SUMMARY[] =
    "List libvirt's domains: whether each runs, its memory and whether it is locked, and the "
    "PCI devices its persistent definition passes through (managed='yes' ones are libvirt's "
    "own; vfio-handoff hands off the others). With --json, a running domain's live devices "
    "too.";

int
vh_cmd_domains(int argc, char **argv)
{
    gboolean json = FALSE, no_legend = FALSE;
    g_autofree char *uri = NULL;
    const GOptionEntry entries[] = {
        {"connect", 'c', 0, G_OPTION_ARG_STRING, &uri, "libvirt URI (as virsh -c)", "URI"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL},
        {"no-legend", 0, 0, G_OPTION_ARG_NONE, &no_legend, "Print no header line", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx =
        vh_cli_option_context("domains", NULL, DOMAINS_SUMMARY, NULL, entries);
    g_autoptr(GPtrArray) rows = NULL;
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (!vh_cli_no_arguments(argc, argv, NULL))
        return VH_EXIT_USAGE;
    rows = read_domains(uri);
    if (rows == NULL)
        return VH_EXIT_FAILED;
    if (json)
        print_json(rows);
    else
        print_table(rows, !no_legend);
    return VH_EXIT_OK;
}
