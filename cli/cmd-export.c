/* vfio-handoff export nova: the [pci] device_spec and alias lines of nova.conf for the devices
 * the policy enables, so that Nova's list of devices and vfio-handoff's cannot drift apart.
 * Nova writes <hostdev managed='no'> for a device_spec that says "managed": "no" (2025.1 and
 * later), and leaves binding to someone else: the hook. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vh-cli.h"

/* What the options add to each device_spec and alias (owned: the options' values). */
typedef struct {
    char *physical_network;
    char *resource_class;
    char *traits;
    char *alias; /* every alias's name; NULL: pci-VVVV-PPPP */
} Tags;

static void
tags_clear(Tags *t)
{
    g_free(t->physical_network);
    g_free(t->resource_class);
    g_free(t->traits);
    g_free(t->alias);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Tags, tags_clear)

/* Nova's device_type of @dev: a VF, a PF (it can have VFs), or a plain PCI device. */
static const char *
device_type(const VhPciDevice *dev)
{
    if (dev->physfn != NULL)
        return "type-VF";
    return dev->sriov_totalvfs > 0 ? "type-PF" : "type-PCI";
}

/* Why @dev, enabled, is left out of Nova's list, with the fix (both owned, in *@reason and
 * *@fix); FALSE when it goes in. */
static gboolean
left_out(const VhCliView *view, const VhPciDevice *dev, char **reason, char **fix)
{
    const VhPolicyDevice *pd = vh_policy_device_for(view->policy, dev);
    const VhDeviceAnswer *a = vh_cli_view_answer(view, dev);

    if (pd != NULL && pd->domains != NULL) {
        g_autofree char *list = g_strjoinv("', '", pd->domains);

        *reason = g_strdup_printf("enabled only for '%s', and Nova names its domains "
                                  "instance-XXXXXXXX, so the hook would refuse them",
                                  list);
        *fix = g_strdup_printf("run 'vfio-handoff enable %s --replace' to enable it for any "
                               "domain",
                               dev->name);
        return TRUE;
    }
    /* held or used now is no reason: it is for any instance once free */
    for (guint i = 0; i < a->reasons->len; i++) {
        const VhPolicyCheck *c = g_ptr_array_index(a->reasons, i);

        if (strcmp(c->id, "not-held") == 0 || strcmp(c->id, "not-in-use") == 0)
            continue;
        *reason = g_strdup_printf("the hook refuses it: %s", c->reason);
        *fix = g_strdup(c->fix != NULL ? c->fix : "see 'vfio-handoff show'");
        return TRUE;
    }
    return FALSE;
}

/* The devices to export (VhPciDevice *, borrowed): @names (each enabled, else reported and
 * NULL), or every enabled device; those left out are said as warnings and added to
 * @left (JSON). */
static GPtrArray *
devices_to_export(const VhCliView *view, char **names, JsonBuilder *left)
{
    g_autoptr(GPtrArray) asked = g_ptr_array_new();
    GPtrArray *out = g_ptr_array_new();

    for (guint i = 0; names != NULL && names[i] != NULL; i++) {
        g_autoptr(GError) error = NULL;
        VhPciDevice *dev = vh_inventory_resolve(view->snap->inventory, names[i], &error);

        if (dev == NULL || !vh_cli_view_answer(view, dev)->enabled) {
            if (dev == NULL)
                vh_cli_error("%s", error->message);
            else
                vh_cli_error("%s: not enabled for passthrough, so Nova may not have it (fix: run "
                             "'vfio-handoff enable %s' first)",
                             dev->name, dev->name);
            g_ptr_array_unref(out);
            return NULL;
        }
        g_ptr_array_add(asked, dev);
    }
    for (guint i = 0; i < view->snap->inventory->devices->len; i++) {
        VhPciDevice *dev = g_ptr_array_index(view->snap->inventory->devices, i);
        g_autofree char *reason = NULL;
        g_autofree char *fix = NULL;

        if (names != NULL ? !g_ptr_array_find(asked, dev, NULL)
                          : !vh_cli_view_answer(view, dev)->enabled)
            continue;
        if (!left_out(view, dev, &reason, &fix)) {
            g_ptr_array_add(out, dev);
            continue;
        }
        vh_cli_error("warning: %s: left out: %s (fix: %s)", dev->name, reason, fix);
        json_builder_begin_object(left);
        vh_cli_json_string_or_null(left, "address", dev->name);
        vh_cli_json_string_or_null(left, "reason", reason);
        vh_cli_json_string_or_null(left, "fix", fix);
        json_builder_end_object(left);
    }
    return out;
}

/* A warning for each two exported devices of one IOMMU group: the hook hands off the whole
 * group with either, so Nova must not give them to two instances. */
static void
warn_shared_groups(const GPtrArray *devices)
{
    for (guint i = 0; i < devices->len; i++) {
        const VhPciDevice *a = g_ptr_array_index((GPtrArray *)devices, i);

        for (guint j = i + 1; j < devices->len; j++) {
            const VhPciDevice *b = g_ptr_array_index((GPtrArray *)devices, j);

            if (a->iommu_group >= 0 && a->iommu_group == b->iommu_group)
                vh_cli_error("warning: %s: shares IOMMU group %d with %s, and the hook hands off "
                             "the group whole: an instance given one holds both (fix: ask for "
                             "both in one flavor, or export one of them)",
                             a->name, a->iommu_group, b->name);
        }
    }
}

static void
set_string(JsonObject *o, const char *member, const char *value)
{
    if (value != NULL)
        json_object_set_string_member(o, member, value);
}

/* @dev's device_spec object (new). */
static JsonObject *
device_spec(const VhPciDevice *dev, const Tags *tags)
{
    JsonObject *o = json_object_new();
    g_autofree char *vendor = g_strdup_printf("%04x", dev->vendor_id);
    g_autofree char *product = g_strdup_printf("%04x", dev->device_id);

    json_object_set_string_member(o, "address", dev->name);
    json_object_set_string_member(o, "vendor_id", vendor);
    json_object_set_string_member(o, "product_id", product);
    /* libvirt must not detach it: the hook hands it off, and gives it back */
    json_object_set_string_member(o, "managed", "no");
    set_string(o, "physical_network", tags->physical_network);
    set_string(o, "resource_class", tags->resource_class);
    set_string(o, "traits", tags->traits);
    return o;
}

/* The alias objects (JsonObject *): one for each vendor, product and device type. */
static GPtrArray *
aliases(const GPtrArray *devices, const Tags *tags)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < devices->len; i++) {
        const VhPciDevice *dev = g_ptr_array_index((GPtrArray *)devices, i);
        g_autofree char *vendor = g_strdup_printf("%04x", dev->vendor_id);
        g_autofree char *product = g_strdup_printf("%04x", dev->device_id);
        g_autofree char *name = g_strdup_printf("pci-%s-%s", vendor, product);
        char *key = g_strdup_printf("%s %s", name, device_type(dev));
        JsonObject *o;

        if (!g_hash_table_add(seen, key))
            continue;
        o = json_object_new();
        json_object_set_string_member(o, "name", tags->alias != NULL ? tags->alias : name);
        json_object_set_string_member(o, "vendor_id", vendor);
        json_object_set_string_member(o, "product_id", product);
        json_object_set_string_member(o, "device_type", device_type(dev));
        set_string(o, "resource_class", tags->resource_class);
        set_string(o, "traits", tags->traits);
        g_ptr_array_add(out, o);
    }
    return out;
}

/* FALSE (reported) when two aliases of one name ask for different device types: Nova refuses
 * that ("Device type mismatch for alias"). */
static gboolean
aliases_agree(const GPtrArray *list, const Tags *tags)
{
    for (guint i = 1; tags->alias != NULL && i < list->len; i++) {
        const char *first =
            json_object_get_string_member(g_ptr_array_index(list, 0), "device_type");
        const char *this = json_object_get_string_member(g_ptr_array_index(list, i), "device_type");

        if (strcmp(first, this) != 0) {
            vh_cli_error("--alias: the devices are of two kinds, %s and %s, and Nova refuses one "
                         "alias '%s' for both (fix: export each kind with an alias of its own: "
                         "'vfio-handoff export nova DEVICE... --alias NAME')",
                         first, this, tags->alias);
            return FALSE;
        }
    }
    return TRUE;
}

static char *
compact(JsonObject *o)
{
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
    g_autoptr(JsonGenerator) gen = json_generator_new();

    json_node_set_object(node, o);
    json_generator_set_root(gen, node);
    return json_generator_to_data(gen, NULL);
}

static void
print_text(const GPtrArray *specs, const GPtrArray *alias_list)
{
    printf("# [pci] of nova.conf for this host, from vfio-handoff's policy ('vfio-handoff export\n"
           "# nova'). Nova gives an instance <hostdev managed='no'> for these devices; the hook\n"
           "# hands each to VFIO when the instance starts and gives it back when it stops.\n"
           "[pci]\n");
    if (specs->len == 0)
        printf("# no device is enabled for any domain: none for Nova (vfio-handoff enable "
               "DEVICE)\n");
    for (guint i = 0; i < specs->len; i++) {
        g_autofree char *line = compact(g_ptr_array_index((GPtrArray *)specs, i));

        printf("device_spec = %s\n", line);
    }
    for (guint i = 0; i < alias_list->len; i++) {
        g_autofree char *line = compact(g_ptr_array_index((GPtrArray *)alias_list, i));

        printf("alias = %s\n", line);
    }
}

static void json_objects(JsonBuilder *b, const char *member, const GPtrArray *objects);

/* Prints the export, as text or JSON (@left: the JSON array of the devices left out). */
static void
print_export(const GPtrArray *specs, const GPtrArray *alias_list, JsonBuilder *left, gboolean json)
{
    g_autoptr(JsonBuilder) b = NULL;

    if (!json) {
        print_text(specs, alias_list);
        return;
    }
    b = json_builder_new();
    vh_cli_json_begin(b);
    json_builder_set_member_name(b, "format");
    json_builder_add_string_value(b, "nova");
    json_objects(b, "device_spec", specs);
    json_objects(b, "alias", alias_list);
    json_builder_set_member_name(b, "left_out");
    json_builder_add_value(b, json_builder_get_root(left));
    json_builder_end_object(b);
    vh_cli_print_json(b);
}

static void
json_objects(JsonBuilder *b, const char *member, const GPtrArray *objects)
{
    json_builder_set_member_name(b, member);
    json_builder_begin_array(b);
    for (guint i = 0; i < objects->len; i++) {
        JsonNode *node = json_node_new(JSON_NODE_OBJECT);

        json_node_set_object(node, g_ptr_array_index((GPtrArray *)objects, i));
        json_builder_add_value(b, node);
    }
    json_builder_end_array(b);
}

/* FALSE (reported) when a value given is one Nova refuses or would not match. */
static gboolean
tags_valid(const Tags *t)
{
    const struct {
        const char *option, *value;
        gsize max;
    } given[] = {
        {"--physical-network", t->physical_network, 255},
        {"--resource-class", t->resource_class, 255},
        {"--traits", t->traits, 4096},
        {"--alias", t->alias, 256},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(given); i++) {
        const char *v = given[i].value;

        if (v == NULL)
            continue;
        if (v[0] == '\0' || strlen(v) > given[i].max || strpbrk(v, "\n\r") != NULL) {
            vh_cli_error("%s: '%s' is empty, too long or has a newline (fix: give a name of at "
                         "most %" G_GSIZE_FORMAT " characters on one line)",
                         given[i].option, v, given[i].max);
            return FALSE;
        }
    }
    if (t->traits != NULL && (strstr(t->traits, ",,") != NULL || t->traits[0] == ',' ||
                              g_str_has_suffix(t->traits, ","))) {
        vh_cli_error("--traits: '%s' has an empty trait (fix: separate trait names by single "
                     "commas, as HW_GPU_API_VULKAN,CUSTOM_FAST)",
                     t->traits);
        return FALSE;
    }
    return TRUE;
}

/* FALSE (reported) unless the first argument is a format export knows: nova. */
static gboolean
format_valid(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "nova") == 0)
        return TRUE;
    if (argc < 2)
        vh_cli_error("export: needs a format (fix: run 'vfio-handoff export nova', the only one)");
    else
        vh_cli_error("export: '%s' is no format it knows (fix: run 'vfio-handoff export nova', "
                     "the only one)",
                     argv[1]);
    return FALSE;
}

static const char EXPORT_SUMMARY[] =
    "Print what another tool needs to know of this host's policy. 'export nova' prints the "
    "[pci] section of OpenStack Nova's nova.conf: a device_spec line for each device enabled "
    "for any domain (its address, vendor and product IDs, and \"managed\": \"no\", so that "
    "libvirt leaves binding to the hook), and an alias line for each kind of device. Devices "
    "enabled only for some domains, or that the hook refuses, are left out with a warning.";
static const char EXPORT_DESCRIPTION[] =
    "DEVICE (an address or a vendor:device ID) exports only those devices, each of which must "
    "be enabled. The tags apply to every device exported.";

int
vh_cmd_export(int argc, char **argv)
{
    gboolean json = FALSE;
    g_auto(Tags) tags = {0};
    const GOptionEntry entries[] = {
        {"physical-network", 0, 0, G_OPTION_ARG_STRING, &tags.physical_network,
         "Tag the devices with this Neutron physical network (SR-IOV NICs)", "NET"},
        {"resource-class", 0, 0, G_OPTION_ARG_STRING, &tags.resource_class,
         "Track the devices in Placement under this resource class ([pci] "
         "report_in_placement; the aliases ask for it too, which Nova takes from 2023.1 on)",
         "CLASS"},
        {"traits", 0, 0, G_OPTION_ARG_STRING, &tags.traits,
         "Report these Placement traits for the devices (comma-separated)", "TRAITS"},
        {"alias", 0, 0, G_OPTION_ARG_STRING, &tags.alias,
         "The name of every alias (default: pci-VENDOR-PRODUCT), for a flavor's "
         "pci_passthrough:alias",
         "NAME"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = vh_cli_option_context(
        "export", "nova [DEVICE...]", EXPORT_SUMMARY, EXPORT_DESCRIPTION, entries);
    g_autoptr(VhCliView) view = NULL;
    g_autoptr(JsonBuilder) left = json_builder_new();
    g_autoptr(GPtrArray) devices = NULL;
    g_autoptr(GPtrArray) specs = NULL;
    g_autoptr(GPtrArray) alias_list = NULL;
    int rc = vh_cli_parse_options(ctx, &argc, &argv);

    if (rc >= 0)
        return rc;
    if (!format_valid(argc, argv) || !tags_valid(&tags))
        return VH_EXIT_USAGE;
    if ((view = vh_cli_view_load_or_report(VH_SNAPSHOT_NAMES)) == NULL)
        return VH_EXIT_FAILED;
    json_builder_begin_array(left);
    devices = devices_to_export(view, argc > 2 ? argv + 2 : NULL, left);
    json_builder_end_array(left);
    if (devices == NULL)
        return VH_EXIT_FAILED;
    warn_shared_groups(devices);
    specs = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    for (guint i = 0; i < devices->len; i++)
        g_ptr_array_add(specs, device_spec(g_ptr_array_index(devices, i), &tags));
    alias_list = aliases(devices, &tags);
    if (!aliases_agree(alias_list, &tags))
        return VH_EXIT_FAILED;
    print_export(specs, alias_list, left, json);
    return VH_EXIT_OK;
}
