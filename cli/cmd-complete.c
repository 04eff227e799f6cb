/*
 * vfio-handoff complete WORD...: bash completion's candidates (hidden verb). The words are the
 * command line after "vfio-handoff", the last one being the word under the cursor (maybe "").
 * Prints one candidate per line; nothing when it has none, and the script then completes file
 * names. Never fails loudly: a completion that cannot reach libvirt just offers no domains.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vh-cli.h"
#include "vh-domain.h"
#include "vh-journal.h"
#include "vh-libvirt.h"
#include "vh-kernel-abi.h"

/* What a positional argument or an option's value is. */
typedef enum {
    ARG_NONE,
    ARG_DEVICE,         /* a PCI device of this host */
    ARG_DETACHED,       /* a device detached by hand (in the journal) */
    ARG_DOMAIN,         /* a libvirt domain */
    ARG_DOMAIN_OFF,     /* a shut-off persistent domain (add and remove change only those) */
    ARG_DOMAIN_HOSTDEV, /* a PCI hostdev of the domain named before it */
    ARG_SUBCOMMAND,     /* policy: validate */
    ARG_FORMAT,         /* export: nova */
    ARG_FILE,           /* left to the shell */
} ArgKind;

typedef struct {
    const char *verb;
    const char *options; /* space-separated; "=" marks one that takes a value */
    ArgKind first, rest; /* the first positional argument, and the ones after it */
} VerbSpec;

/* Kept in step with each verb's GOptionEntry table by tests/cli/test-cli.sh, which compares
 * this with every verb's --help. */
static const VerbSpec specs[] = {
    {"check", "--json --connect= --quiet", ARG_NONE, ARG_NONE},
    {"list", "--json --wide --no-legend", ARG_NONE, ARG_NONE},
    {"groups", "--json", ARG_NONE, ARG_NONE},
    {"show", "--json", ARG_DEVICE, ARG_NONE},
    {"enable",
     "--domain= --force --console-handoff --vfio-driver= --replace --dry-run --connect= --json",
     ARG_DEVICE, ARG_DEVICE},
    {"disable", "--dry-run --json", ARG_DEVICE, ARG_DEVICE},
    {"add", "--only --live --config --persistent --dry-run --connect= --json", ARG_DOMAIN_OFF,
     ARG_DEVICE},
    {"remove", "--all --live --config --persistent --timeout= --dry-run --connect= --json",
     ARG_DOMAIN_OFF, ARG_DOMAIN_HOSTDEV},
    {"domains", "--connect= --json --no-legend", ARG_NONE, ARG_NONE},
    {"status", "--json --brief --no-legend", ARG_NONE, ARG_NONE},
    {"detach", "--json", ARG_DEVICE, ARG_DEVICE},
    {"reattach", "--adopt --force --json", ARG_DETACHED, ARG_DETACHED},
    {"recover", "--dry-run --offline --connect= --json", ARG_NONE, ARG_NONE},
    {"plan", "--xml= --connect= --json", ARG_DOMAIN, ARG_NONE},
    {"policy", "--json", ARG_SUBCOMMAND, ARG_FILE},
    {"export", "--physical-network= --resource-class= --traits= --alias= --json", ARG_FORMAT,
     ARG_DEVICE},
};

static void
offer(const char *candidate, const char *cur)
{
    if (g_str_has_prefix(candidate, cur))
        printf("%s\n", candidate);
}

static const VerbSpec *
spec_of(const char *verb)
{
    for (gsize i = 0; i < G_N_ELEMENTS(specs); i++) {
        if (strcmp(specs[i].verb, verb) == 0)
            return &specs[i];
    }
    return NULL;
}

/* Does @word name an option of @spec that takes a value? */
static gboolean
takes_value(const VerbSpec *spec, const char *word)
{
    g_autofree char *with_value = g_strconcat(word, "=", NULL);
    g_auto(GStrv) options = g_strsplit(spec->options, " ", -1);

    if (strcmp(word, "-c") == 0 && strstr(spec->options, "--connect=") != NULL)
        return TRUE;
    if (strcmp(word, "-d") == 0 && strstr(spec->options, "--domain=") != NULL)
        return TRUE;
    return g_strv_contains((const char *const *)options, with_value);
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
offer_devices(const char *cur)
{
    g_autoptr(VhHost) host = vh_host_new_from_environment();
    g_autofree char *dir = g_build_filename(host->sysfs, VH_SYSFS_PCI_DEVICES, NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        if (vh_pci_address_is_valid(name))
            g_ptr_array_add(names, g_strdup(name));
    }
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++)
        offer(g_ptr_array_index(names, i), cur);
}

static void
offer_detached(const char *cur)
{
    g_autoptr(VhHost) host = vh_host_new_from_environment();
    g_autoptr(GPtrArray) holds = vh_journal_list(host, NULL);

    for (guint i = 0; i < holds->len; i++) {
        const VhJournalRecord *h = g_ptr_array_index(holds, i);

        if (h->owner == VH_OWNER_BY_HAND)
            offer(h->address, cur);
    }
}

static void
offer_domains(const char *uri, unsigned int flags, const char *cur)
{
    const VhLibvirt *lv = vh_libvirt_load(NULL);
    virConnectPtr conn = lv != NULL ? vh_libvirt_open(lv, uri, TRUE, NULL) : NULL;
    virDomainPtr *domains = NULL;
    int n;

    if (conn == NULL)
        return;
    n = lv->connect_list_all_domains(conn, &domains, flags);
    for (int i = 0; i < n; i++) {
        const char *name = lv->domain_get_name(domains[i]);

        if (name != NULL)
            offer(name, cur);
        lv->domain_free(domains[i]);
    }
    free(domains);
    lv->connect_close(conn);
}

static void
offer_hostdevs(const char *uri, const char *domain, const char *cur)
{
    const VhLibvirt *lv = vh_libvirt_load(NULL);
    virConnectPtr conn = lv != NULL ? vh_libvirt_open(lv, uri, TRUE, NULL) : NULL;
    virDomainPtr dom = conn != NULL ? vh_libvirt_domain(lv, conn, domain, NULL) : NULL;
    char *xml = dom != NULL ? lv->domain_get_xml_desc(dom, VIR_DOMAIN_XML_INACTIVE) : NULL;
    g_autoptr(VhDomainDef) def = xml != NULL ? vh_domain_def_parse(xml, strlen(xml), NULL) : NULL;

    for (guint i = 0; def != NULL && i < def->hostdevs->len; i++)
        offer(((VhDomainHostdev *)g_ptr_array_index(def->hostdevs, i))->address, cur);
    free(xml);
    if (dom != NULL)
        lv->domain_free(dom);
    if (conn != NULL)
        lv->connect_close(conn);
}

static void
offer_options(const VerbSpec *spec, const char *cur)
{
    g_auto(GStrv) options = g_strsplit(spec->options, " ", -1);

    for (guint i = 0; options[i] != NULL; i++) {
        char *eq = strchr(options[i], '=');

        if (eq != NULL)
            *eq = '\0';
        if (options[i][0] != '\0')
            offer(options[i], cur);
    }
    offer("--help", cur);
}

/* What may go where an argument of @kind is; @domain is the DOMAIN given before it. */
static void
offer_argument(ArgKind kind, const char *uri, const char *domain, const char *cur)
{
    switch (kind) {
    case ARG_DEVICE:
        offer_devices(cur);
        break;
    case ARG_DETACHED:
        offer_detached(cur);
        break;
    case ARG_DOMAIN:
        offer_domains(uri, 0, cur);
        break;
    case ARG_DOMAIN_OFF:
        offer_domains(uri, VIR_CONNECT_LIST_DOMAINS_INACTIVE | VIR_CONNECT_LIST_DOMAINS_PERSISTENT,
                      cur);
        break;
    case ARG_DOMAIN_HOSTDEV:
        offer_hostdevs(uri, domain, cur);
        break;
    case ARG_SUBCOMMAND:
        offer("validate", cur);
        break;
    case ARG_FORMAT:
        offer("nova", cur);
        break;
    case ARG_NONE:
    case ARG_FILE:
        break;
    }
}

int
vh_cmd_complete(int argc, char **argv)
{
    /* argv[0] is "complete"; then the words, the last under the cursor */
    int n = argc - 1;
    char **words = argv + 1;
    const char *cur = n > 0 ? words[n - 1] : "";
    const char *uri = NULL;
    const char *positional[2] = {NULL, NULL};
    const VerbSpec *spec;
    int npos = 0;

    if (n <= 1) {
        vh_cli_list_verbs(cur);
        offer("--help", cur);
        offer("--version", cur);
        return VH_EXIT_OK;
    }
    if ((spec = spec_of(words[0])) == NULL)
        return VH_EXIT_OK;
    /* what comes before the word under the cursor: the URI, the positionals so far */
    for (int i = 1; i < n - 1; i++) {
        if (g_str_has_prefix(words[i], "--connect="))
            uri = words[i] + strlen("--connect=");
        else if (words[i][0] == '-' && takes_value(spec, words[i])) {
            if (strcmp(words[i], "-c") == 0 || strcmp(words[i], "--connect") == 0)
                uri = words[i + 1];
            i++;
        } else if (words[i][0] != '-') {
            if (npos < 2)
                positional[npos] = words[i];
            npos++;
        }
    }
    if (n >= 3 && words[n - 2][0] == '-' && takes_value(spec, words[n - 2])) {
        if (strcmp(words[n - 2], "--domain") == 0 || strcmp(words[n - 2], "-d") == 0)
            offer_domains(uri, 0, cur);
        return VH_EXIT_OK; /* a URI or a file: the shell's default */
    }
    if (cur[0] == '-') {
        offer_options(spec, cur);
        return VH_EXIT_OK;
    }
    offer_argument(npos == 0 ? spec->first : spec->rest, uri, positional[0], cur);
    return VH_EXIT_OK;
}
