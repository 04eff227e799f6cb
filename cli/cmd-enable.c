/* vfio-handoff enable DEVICE...: the host-level "enable passthrough" switch (writes policy) */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vh-cli.h"
#include "vh-libvirt.h"
#include "vh-policy-write.h"
#include "vh-vfio-driver.h"

/* Why @dev must not be enabled, or NULL. *forcible says whether --force may override it. With
 * @console_handoff, the host's console on it is no reason. */
static const VhReason *
refusal(const VhVerdict *v, gboolean console_handoff, gboolean *forcible)
{
    for (guint i = 0; i < v->reasons->len; i++) {
        const VhReason *r = g_ptr_array_index(v->reasons, i);

        /* not an endpoint or part of the chipset: the kernel would never assign it; a PF
         * whose VFs are enabled: handing it off would take them from whoever uses them */
        if (r->kind == VH_REASON_BRIDGE || r->kind == VH_REASON_CHIPSET ||
            r->kind == VH_REASON_SRIOV_PF) {
            *forcible = FALSE;
            return r;
        }
    }
    for (guint i = 0; i < v->reasons->len; i++) {
        const VhReason *r = g_ptr_array_index(v->reasons, i);

        if ((r->kind == VH_REASON_HOST_CRITICAL || r->kind == VH_REASON_GROUP_CRITICAL) &&
            !(console_handoff && r->console_device != NULL)) {
            *forcible = TRUE;
            return r;
        }
    }
    return NULL;
}

/* Whether @dev may be enabled (with @force); reports why not on stderr. */
static gboolean
may_enable(const VhCliView *view, const VhPciDevice *dev, gboolean force, gboolean console_handoff)
{
    const VhVerdict *v = vh_verdicts_get(view->snap->verdicts, dev->name);
    const VhPolicyDevice *pd;
    gboolean forcible = FALSE;
    const VhReason *r = refusal(v, console_handoff, &forcible);

    if (r != NULL && !forcible) {
        vh_cli_error("%s: %s (fix: %s)", dev->name, r->text,
                     r->fix != NULL ? r->fix : "choose another device");
        return FALSE;
    }
    if (r != NULL && !force && r->console_device != NULL) {
        vh_cli_error("%s: %s (fix: pass --console-handoff to release the host's console from %s "
                     "at each start and restore it at each stop, or choose another device)",
                     dev->name, r->text, r->console_device);
        return FALSE;
    }
    if (r != NULL && !force) {
        vh_cli_error("%s: %s (fix: choose another device: the host needs this one, or pass "
                     "--force to enable it anyway)",
                     dev->name, r->text);
        return FALSE;
    }
    pd = vh_policy_device_for(view->policy, dev);
    if (pd != NULL && pd->has_address) {
        g_autofree char *ours = vh_policy_dropin_path(view->host, dev->name);

        if (strcmp(pd->file, ours) != 0) {
            vh_cli_error("%s: already configured at '%s:%d' (fix: edit it there)", dev->name,
                         pd->file, pd->line);
            return FALSE;
        }
    }
    return TRUE;
}

/* What one device's drop-in will say: merged with the drop-in `enable` wrote before. */
typedef struct {
    VhPciDevice *dev;
    char **domains; /* NULL: any domain */
    gboolean console_handoff;
    char *vfio_driver; /* NULL: auto */
    char *kept;        /* what was kept from the earlier drop-in, said after writing; or NULL */
} Plan;

static void
plan_free(Plan *p)
{
    g_strfreev(p->domains);
    g_free(p->vfio_driver);
    g_free(p->kept);
    g_free(p);
}

/* The earlier drop-in of @dev that `enable` wrote, if it enables it. */
static const VhPolicyDevice *
earlier_dropin(const VhCliView *view, const VhPciDevice *dev)
{
    const VhPolicyDevice *pd = vh_policy_device_for(view->policy, dev);
    g_autofree char *ours = vh_policy_dropin_path(view->host, dev->name);

    return pd != NULL && pd->enabled && pd->has_address && strcmp(pd->file, ours) == 0 ? pd : NULL;
}

/* Adds to what @p keeps from the earlier drop-in: @what, followed by @domains when given. */
static void
keep(Plan *p, const char *what, char **domains)
{
    g_autofree char *list = domains != NULL ? g_strjoinv("', '", domains) : NULL;
    char *kept = g_strconcat(p->kept != NULL ? p->kept : "", p->kept != NULL ? " and " : "", what,
                             list != NULL ? " '" : "", list != NULL ? list : "",
                             list != NULL ? "'" : "", NULL);

    g_free(p->kept);
    p->kept = kept;
}

/* What enable writes, besides the devices: the options given. */
typedef struct {
    char **domains; /* --domain; NULL: none given */
    gboolean replace;
    gboolean console_handoff;
    const char *vfio_driver; /* --vfio-driver; NULL: none given; "auto" */
    gboolean dry_run;        /* say what would be written, write nothing */
} Asked;

/*
 * What enabling @dev again writes: --domain adds to the domains it allowed, never silently
 * narrows or replaces them, and console-handoff and vfio-driver stay set (unless given anew);
 * --replace writes only what is given. NULL (reported) when --domain would narrow a device any
 * domain may use.
 */
static Plan *
plan_for(const VhCliView *view, VhPciDevice *dev, const Asked *a)
{
    const VhPolicyDevice *pd = a->replace ? NULL : earlier_dropin(view, dev);
    char **asked = a->domains;
    Plan *p = g_new0(Plan, 1);
    g_autoptr(GPtrArray) merged = NULL;

    p->dev = dev;
    p->console_handoff = a->console_handoff;
    if (a->vfio_driver != NULL && strcmp(a->vfio_driver, "auto") != 0)
        p->vfio_driver = g_strdup(a->vfio_driver);
    if (pd == NULL) {
        p->domains = g_strdupv(asked);
        return p;
    }
    if (pd->console_handoff && !a->console_handoff) {
        p->console_handoff = TRUE;
        keep(p, "console-handoff=true", NULL);
    }
    if (pd->vfio_driver != NULL && a->vfio_driver == NULL) {
        g_autofree char *what = g_strdup_printf("vfio-driver=%s", pd->vfio_driver);

        p->vfio_driver = g_strdup(pd->vfio_driver);
        keep(p, what, NULL);
    }
    if (asked == NULL) {
        p->domains = g_strdupv(pd->domains);
        if (pd->domains != NULL)
            keep(p, "its domains", pd->domains);
        return p;
    }
    if (pd->domains == NULL) {
        g_autofree char *list = g_strjoinv("' and '", asked);
        g_autofree char *args = g_strjoinv(" --domain ", asked);

        vh_cli_error("%s: already enabled for any domain, and --domain would narrow that to '%s' "
                     "(fix: run 'vfio-handoff enable %s --replace --domain %s' to allow only "
                     "these)",
                     dev->name, list, dev->name, args);
        plan_free(p);
        return NULL;
    }
    merged = g_ptr_array_new();
    for (guint i = 0; pd->domains[i] != NULL; i++)
        g_ptr_array_add(merged, g_strdup(pd->domains[i]));
    for (guint i = 0; asked[i] != NULL; i++) {
        if (!g_strv_contains((const char *const *)pd->domains, asked[i]) &&
            !g_ptr_array_find_with_equal_func(merged, asked[i], g_str_equal, NULL))
            g_ptr_array_add(merged, g_strdup(asked[i]));
    }
    g_ptr_array_add(merged, NULL);
    p->domains = (char **)g_ptr_array_free(g_steal_pointer(&merged), FALSE);
    keep(p, "the domains it allowed,", pd->domains);
    return p;
}

/* The JSON of an enabled device: its drop-in, what it allows, and what goes with it. */
static JsonNode *
enabled_json(const Plan *plan, const char *path, const char *text, const char *identity,
             const VhPciDevice *pf, int vf_index, const GPtrArray *companions)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    vh_cli_json_string_or_null(b, "file", path);
    vh_cli_json_strv(b, "domains", plan->domains); /* [] for any domain */
    vh_cli_json_string_or_null(b, "identity", identity);
    json_builder_set_member_name(b, "vf");
    if (vf_index >= 0) {
        json_builder_begin_object(b);
        vh_cli_json_string_or_null(b, "of", pf->name);
        json_builder_set_member_name(b, "index");
        json_builder_add_int_value(b, vf_index);
        json_builder_end_object(b);
    } else {
        json_builder_add_null_value(b);
    }
    vh_cli_json_bool(b, "console_handoff", plan->console_handoff);
    /* null: auto, the variant libvirt would pick, else vfio-pci */
    vh_cli_json_string_or_null(b, "vfio_driver", plan->vfio_driver);
    json_builder_set_member_name(b, "companions"); /* handed off with it */
    json_builder_begin_array(b);
    for (guint j = 0; j < companions->len; j++) {
        VhPciDevice *c = g_ptr_array_index((GPtrArray *)companions, j);

        if (!vh_pci_device_is_viable_member(c))
            json_builder_add_string_value(b, c->name);
    }
    json_builder_end_array(b);
    vh_cli_json_string_or_null(b, "kept", plan->kept);
    vh_cli_json_string_or_null(b, "text", text); /* the drop-in, as written */
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

/* What enabling @dev does not change: the hook still refuses it while it is in use or the
 * host depends on it (@r), and while the IOMMU is off. */
static void
warn_refused(const VhCliView *view, const VhPciDevice *dev, const VhVerdict *v, const VhReason *r)
{
    for (guint j = 0; j < v->reasons->len; j++) {
        const VhReason *u = g_ptr_array_index(v->reasons, j);

        /* in use now (an interface up with an address, a mounted disk): enabled all the same,
         * as that may end before the VM starts, but said */
        if (u->kind == VH_REASON_IN_USE && strstr(u->text, "/dev/vfio/") == NULL)
            vh_cli_error("warning: %s: %s; it is enabled, but the hook refuses to hand it off "
                         "while it is (fix: %s)",
                         dev->name, u->text,
                         u->fix != NULL ? u->fix : "end that use before the VM starts");
    }
    if (r != NULL)
        vh_cli_error("warning: %s: %s; it is enabled, but the hook refuses to hand it off "
                     "while the host depends on it (fix: end the host's use of it first; "
                     "'vfio-handoff show %s' says what it is)",
                     dev->name, r->text, dev->name);
    if (!view->snap->inventory->has_iommu_groups)
        vh_cli_error("warning: IOMMU: off, so no handoff can work until it is on (fix: run "
                     "'vfio-handoff check')");
}

/* Says the text of a drop-in that would be written, each line indented. */
static void
say_text(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
        vh_cli_say("  | %s\n", lines[i]);
}

/* Writes the drop-in of @dev and says what it did; with @dry_run, what it would write. */
static gboolean
enable_one(const VhCliView *view, const Plan *plan, gboolean dry_run)
{
    VhPciDevice *dev = plan->dev;
    char **domains = plan->domains;
    gboolean console_handoff = plan->console_handoff;
    const VhVerdict *v = vh_verdicts_get(view->snap->verdicts, dev->name);
    g_autofree char *name = vh_pci_device_display_name(dev);
    g_autofree char *path = vh_policy_dropin_path(view->host, dev->name);
    g_autoptr(GPtrArray) companions = vh_inventory_companions(view->snap->inventory, dev);
    VhDropin dropin = {
        .device = dev,
        .pf = dev->physfn != NULL ? vh_inventory_lookup(view->snap->inventory, dev->physfn) : NULL,
        .domains = domains,
        .why = name,
        .console_handoff = console_handoff,
        .vfio_driver = plan->vfio_driver};
    g_autofree char *text = vh_policy_dropin_text(&dropin);
    int vf_index = dropin.pf != NULL ? vh_pci_device_vf_index(dropin.pf, dev->name) : -1;
    g_autofree char *who = domains != NULL ? g_strjoinv(", ", domains) : g_strdup("any domain");
    g_autofree char *identity = vh_pci_device_identity(dev);
    g_autoptr(GError) error = NULL;
    gboolean forcible;
    const VhReason *r = refusal(v, console_handoff, &forcible);
    const char *done = dry_run ? "would enable" : "enabled";
    JsonNode *root;

    if (!dry_run && !vh_policy_write_atomic(path, text, &error)) {
        vh_cli_error("%s: %s", dev->name, error->message);
        return FALSE;
    }
    root = enabled_json(plan, path, text, identity, dropin.pf, vf_index, companions);
    if (vf_index >= 0)
        vh_cli_outcome(dev->name, dry_run ? "would-enable" : "enabled", dev->driver, NULL, root,
                       "%s %s (%s) for %s, identity %s (VF %d of %s) pinned: %s", done, dev->name,
                       name, who, identity, vf_index, dropin.pf->name, path);
    else
        vh_cli_outcome(dev->name, dry_run ? "would-enable" : "enabled", dev->driver, NULL, root,
                       "%s %s (%s) for %s, identity %s pinned: %s", done, dev->name, name, who,
                       identity, path);
    if (dry_run)
        say_text(text);
    for (guint j = 0; j < companions->len; j++) {
        VhPciDevice *c = g_ptr_array_index(companions, j);

        if (!vh_pci_device_is_viable_member(c))
            vh_cli_say("  its IOMMU group companion %s (%s) will be handed off with it\n", c->name,
                       c->driver);
    }
    if (console_handoff)
        vh_cli_say("  console-handoff: the host's console on it is released at each start and "
                   "restored at each stop\n");
    if (plan->vfio_driver != NULL)
        vh_cli_say("  vfio-driver: handed to %s at each start\n", plan->vfio_driver);
    if (plan->kept != NULL)
        vh_cli_say("  kept %s from its earlier drop-in (--replace writes only what is given)\n",
                   plan->kept);
    warn_refused(view, dev, v, r);
    return TRUE;
}

static gboolean
domains_valid(char **domains)
{
    for (guint i = 0; domains != NULL && domains[i] != NULL; i++) {
        /* libvirt refuses '/' and newlines in a name; ';' separates names in a policy file */
        if (domains[i][0] == '\0' || strpbrk(domains[i], ";/\n") != NULL) {
            vh_cli_error("'%s': invalid domain name (fix: give a libvirt domain's name, without "
                         "'/', ';' or newlines)",
                         domains[i]);
            return FALSE;
        }
    }
    return TRUE;
}

/* A warning for each of @domains that libvirt (at @uri) does not know: a typo, or a domain not
 * defined yet. Says nothing when libvirt cannot be asked. */
static void
warn_unknown_domains(const char *uri, char **domains)
{
    const VhLibvirt *lv;
    virConnectPtr conn;

    if (domains == NULL || (lv = vh_libvirt_load(NULL)) == NULL ||
        (conn = vh_libvirt_open(lv, uri, TRUE, NULL)) == NULL)
        return;
    for (guint i = 0; domains[i] != NULL; i++) {
        virDomainPtr dom = lv->domain_lookup_by_name(conn, domains[i]);

        if (dom != NULL)
            lv->domain_free(dom);
        else
            vh_cli_error("warning: %s: libvirt knows no such domain yet; the device is enabled "
                         "for it all the same (fix: check the name with 'virsh list --all')",
                         domains[i]);
    }
    lv->connect_close(conn);
}

/* A plan for each DEVICE of @argv into @plans; -1 when every one can be enabled, else the exit
 * status (each refusal reported). */
static int
plan_all(const VhCliView *view, int argc, char **argv, const Asked *asked, gboolean force,
         GPtrArray *plans)
{
    gboolean refused = FALSE, usage = FALSE;

    for (int i = 1; i < argc; i++) {
        g_autoptr(GError) error = NULL;
        VhPciDevice *dev = vh_inventory_resolve(view->snap->inventory, argv[i], &error);

        const VhPolicyDevice *earlier =
            dev != NULL && !asked->replace ? earlier_dropin(view, dev) : NULL;
        /* a console-handoff drop-in enabled again (to pin it anew, say) keeps it */
        gboolean ch = asked->console_handoff || (earlier != NULL && earlier->console_handoff);
        Plan *plan = NULL;

        if (dev == NULL) {
            vh_cli_error("%s", error->message);
            usage |= vh_cli_device_error_exit(error) == VH_EXIT_USAGE;
        }
        if (dev == NULL || !may_enable(view, dev, force, ch) ||
            (plan = plan_for(view, dev, asked)) == NULL)
            refused = TRUE;
        else
            g_ptr_array_add(plans, plan);
    }
    if (refused)
        return usage ? VH_EXIT_USAGE : VH_EXIT_FAILED;
    return -1;
}

/* Whether the options are valid (each refusal reported). */
static gboolean
asked_valid(const Asked *a)
{
    if (!domains_valid(a->domains))
        return FALSE;
    if (a->vfio_driver != NULL && strcmp(a->vfio_driver, "auto") != 0 &&
        !vh_vfio_driver_name_valid(a->vfio_driver)) {
        vh_cli_error("--vfio-driver: '%s' is no VFIO driver (fix: give auto, vfio-pci, or a VFIO "
                     "variant driver such as mlx5_vfio_pci)",
                     a->vfio_driver);
        return FALSE;
    }
    return TRUE;
}

/* Checks every DEVICE of @argv, then writes their drop-ins; the exit status. */
static int
enable_all(int argc, char **argv, const Asked *asked, gboolean force)
{
    g_autoptr(VhCliView) view = vh_cli_view_load_or_report(VH_SNAPSHOT_NAMES);
    g_autoptr(GPtrArray) plans = g_ptr_array_new_with_free_func((GDestroyNotify)plan_free);
    g_autofree char *dropins = NULL;
    int rc;

    if (view == NULL)
        return VH_EXIT_FAILED;
    dropins = g_build_filename(view->host->config_dir, VH_POLICY_DROPIN_DIR, NULL);
    if (!asked->dry_run && !vh_cli_may_write(dropins))
        return VH_EXIT_FAILED;
    /* every device is checked before anything is written */
    if ((rc = plan_all(view, argc, argv, asked, force, plans)) >= 0)
        return rc;
    for (guint i = 0; i < plans->len; i++) {
        if (!enable_one(view, g_ptr_array_index(plans, i), asked->dry_run))
            return VH_EXIT_FAILED;
    }
    return VH_EXIT_OK;
}

static const char ENABLE_SUMMARY[] =
    "Enable devices for passthrough: writes /etc/vfio-handoff/conf.d/50-ADDRESS.conf for "
    "each, with the identity (vendor, device and subsystem IDs) it has now pinned, so the "
    "hook refuses the address if it later holds other hardware. Refuses bridges, SR-IOV PFs "
    "whose VFs are enabled, and devices "
    "the host depends on (its boot disk's controller, the NIC of its default route, its "
    "console, anything sharing an IOMMU group with them) unless --force.";
static const char ENABLE_DESCRIPTION[] =
    "DEVICE is a PCI address (0000:01:00.0) or a vendor:device ID matching one device. "
    "Nothing is written unless every DEVICE can be enabled.";

int
vh_cmd_enable(int argc, char **argv)
{
    g_auto(GStrv) domains = NULL;
    g_autofree char *uri = NULL;
    g_autofree char *vfio_driver = NULL;
    gboolean force = FALSE, console_handoff = FALSE, replace = FALSE, json = FALSE;
    gboolean dry_run = FALSE;
    const GOptionEntry entries[] = {
        {"console-handoff", 0, 0, G_OPTION_ARG_NONE, &console_handoff,
         "The boot VGA device may be handed off while it shows the host's console "
         "(console-handoff=true): the hook releases the console from it at each start and "
         "restores it at each stop; the host has no local console meanwhile",
         NULL},
        {"connect", 'c', 0, G_OPTION_ARG_STRING, &uri,
         "libvirt URI (as virsh -c), asked whether each --domain exists", "URI"},
        {"domain", 'd', 0, G_OPTION_ARG_STRING_ARRAY, &domains,
         "Allow only this domain (repeat for several; default: any domain). On a device "
         "enabled before for some domains, adds to them",
         "DOMAIN"},
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
         "Say what would be written, each drop-in's text too; write nothing", NULL},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON: what was written, and why not", NULL},
        {"force", 0, 0, G_OPTION_ARG_NONE, &force,
         "Enable a device the host depends on now (the hook still refuses it while it does)", NULL},
        {"replace", 0, 0, G_OPTION_ARG_NONE, &replace,
         "Write only what is given: without it, enabling a device again keeps the domains, "
         "console-handoff and vfio-driver its drop-in had",
         NULL},
        {"vfio-driver", 0, 0, G_OPTION_ARG_STRING, &vfio_driver,
         "Hand the device to this VFIO driver (vfio-driver=): vfio-pci, or a variant driver such "
         "as mlx5_vfio_pci; auto (the default) picks the variant libvirt would, else vfio-pci",
         "DRIVER"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx =
        vh_cli_option_context("enable", "DEVICE...", ENABLE_SUMMARY, ENABLE_DESCRIPTION, entries);
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (argc < 2) {
        vh_cli_error("enable: needs at least one DEVICE (fix: pick them from 'vfio-handoff list')");
        return VH_EXIT_USAGE;
    }
    {
        const Asked asked = {domains, replace, console_handoff, vfio_driver, dry_run};

        if (!asked_valid(&asked))
            return VH_EXIT_USAGE;
        rc = enable_all(argc, argv, &asked, force);
    }
    if (rc == VH_EXIT_OK)
        warn_unknown_domains(uri, domains);
    return rc;
}
