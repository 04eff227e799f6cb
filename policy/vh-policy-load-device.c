/* vfio-handoff policy: reading a [device SPEC] section — which device, its identity, its
 * domains, its VF pinning, its console and its VFIO driver */
#include "config.h"

#include <string.h>

#include "vh-policy-load-private.h"
#include "vh-vfio-driver.h"

static gboolean
parse_identity(const char *s, guint16 id[4], gboolean *has_subsystem)
{
    g_auto(GStrv) f = g_strsplit(s, ":", -1);
    guint n = g_strv_length(f);

    if (n != 2 && n != 4)
        return FALSE;
    for (guint i = 0; i < n; i++) {
        if (strlen(f[i]) != 4 || strspn(f[i], "0123456789abcdefABCDEF") != 4)
            return FALSE;
        id[i] = (guint16)g_ascii_strtoull(f[i], NULL, 16);
    }
    *has_subsystem = n == 4;
    return TRUE;
}

/* "0000:01:00.0", "10de:2204" or "10de:2204 0000:01:00.0" */
static gboolean
parse_device_spec(const char *spec, VhPolicyDevice *pd)
{
    g_auto(GStrv) parts = g_strsplit(spec, " ", -1);
    guint n = g_strv_length(parts);
    VhPciAddress addr;

    if (n == 1 && vh_pci_ids_parse(parts[0], &pd->vendor_id, &pd->device_id)) {
        pd->has_ids = TRUE;
        return TRUE;
    }
    if (n == 2 && !vh_pci_ids_parse(parts[0], &pd->vendor_id, &pd->device_id))
        return FALSE;
    if ((n != 1 && n != 2) || !vh_pci_address_parse(parts[n - 1], &addr, NULL))
        return FALSE;
    pd->has_ids = n == 2;
    pd->has_address = TRUE;
    vh_pci_address_format(&addr, pd->address);
    return TRUE;
}

static const VhPolicyDevice *
find_device(VhPolicy *p, const VhPolicyDevice *like)
{
    for (guint i = 0; i < p->devices->len; i++) {
        const VhPolicyDevice *pd = g_ptr_array_index(p->devices, i);

        if (pd->has_address == like->has_address && pd->has_ids == like->has_ids &&
            (!pd->has_address || strcmp(pd->address, like->address) == 0) &&
            (!pd->has_ids ||
             (pd->vendor_id == like->vendor_id && pd->device_id == like->device_id)))
            return pd;
    }
    return NULL;
}

/* vf-of=PF address, vf-index=N, pf-identity=IDS: which VF of which PF an SR-IOV VF was when it
 * was enabled; the three go together (@n of them are there). */
static void
load_vf(Loader *l, GKeyFile *kf, const char *g, VhPolicyDevice *pd, int n)
{
    g_autofree char *of = g_key_file_get_value(kf, g, "vf-of", NULL);
    g_autofree char *index = g_key_file_get_value(kf, g, "vf-index", NULL);
    g_autofree char *pf = g_key_file_get_value(kf, g, "pf-identity", NULL);
    VhPciAddress addr;
    char *end = NULL;
    guint64 i = index != NULL ? g_ascii_strtoull(index, &end, 10) : 0;

    if (n != 3) {
        vh_loader_issue(
            l, VH_ISSUE_ERROR,
            vh_loader_line_of(l, g,
                              of != NULL      ? "vf-of"
                              : index != NULL ? "vf-index"
                                              : "pf-identity"),
            "vf-of, vf-index and pf-identity go together (fix: 'vfio-handoff enable' writes "
            "the three for a VF)");
        return;
    }
    if (!vh_pci_address_parse(of, &addr, NULL)) {
        vh_loader_issue(l, VH_ISSUE_ERROR, vh_loader_line_of(l, g, "vf-of"),
                        "vf-of: invalid PF address '%s' (expected 0000:03:00.0)", of);
        return;
    }
    if (index[0] == '\0' || *end != '\0' || i >= VH_PCI_SRIOV_MAX_VFS) {
        vh_loader_issue(l, VH_ISSUE_ERROR, vh_loader_line_of(l, g, "vf-index"),
                        "vf-index: invalid VF index '%s' (expected 0 to %d)", index,
                        VH_PCI_SRIOV_MAX_VFS - 1);
        return;
    }
    if (!parse_identity(pf, pd->pf_identity, &pd->pf_identity_has_subsystem)) {
        vh_loader_issue(
            l, VH_ISSUE_ERROR, vh_loader_line_of(l, g, "pf-identity"),
            "pf-identity: invalid identity '%s' (expected VVVV:DDDD:SSSS:SSSS or VVVV:DDDD)", pf);
        return;
    }
    vh_pci_address_format(&addr, pd->vf_of);
    pd->vf_index = (int)i;
    pd->has_vf = TRUE;
}

/* domains=: the names listed, or NULL (any domain) when none is */
static char **
get_domains(GKeyFile *kf, const char *g, const char *k)
{
    g_auto(GStrv) list = g_key_file_get_string_list(kf, g, k, NULL, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

    for (guint j = 0; list != NULL && list[j] != NULL; j++) {
        g_strstrip(list[j]);
        if (list[j][0] != '\0')
            g_ptr_array_add(names, g_strdup(list[j]));
    }
    if (names->len == 0)
        return NULL;
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

/* vfio-driver=: auto (the variant libvirt would pick, else vfio-pci), or a VFIO driver's name */
static void
get_vfio_driver(Loader *l, GKeyFile *kf, const char *g, const char *k, VhPolicyDevice *pd)
{
    g_autofree char *v = g_key_file_get_value(kf, g, k, NULL);

    g_strstrip(v);
    g_clear_pointer(&pd->vfio_driver, g_free);
    if (strcmp(v, "auto") == 0)
        return;
    if (!vh_vfio_driver_name_valid(v)) {
        vh_loader_issue(
            l, VH_ISSUE_ERROR, vh_loader_line_of(l, g, k),
            "%s: '%s' is no VFIO driver (expected auto, vfio-pci, or a VFIO variant driver such "
            "as mlx5_vfio_pci)",
            k, v);
        return;
    }
    pd->vfio_driver = g_steal_pointer(&v);
}

void
vh_loader_load_device(Loader *l, GKeyFile *kf, const char *g, const char *spec)
{
    g_auto(GStrv) keys = g_key_file_get_keys(kf, g, NULL, NULL);
    int vf_keys = 0;
    g_autofree VhPolicyDevice *pd = g_new0(VhPolicyDevice, 1);
    const VhPolicyDevice *twin;
    int line = vh_loader_line_of(l, g, NULL);

    if (!parse_device_spec(spec, pd)) {
        vh_loader_issue(
            l, VH_ISSUE_ERROR, line,
            "invalid device '%s' in [%s] (expected an address like 0000:01:00.0, an ID like "
            "10de:2204, or both: 10de:2204 0000:01:00.0)",
            spec, g);
        return;
    }
    if ((twin = find_device(l->policy, pd)) != NULL) {
        vh_loader_issue(l, VH_ISSUE_ERROR, line, "[%s] is already defined at %s:%d (keep one)", g,
                        twin->file, twin->line);
        return;
    }
    pd->spec = g_strdup(spec);
    pd->enabled = TRUE;
    pd->vf_index = -1;
    pd->file = g_strdup(l->file);
    pd->line = line;
    for (guint i = 0; keys[i] != NULL; i++) {
        const char *k = keys[i];

        if (strcmp(k, "enabled") == 0) {
            vh_loader_get_bool(l, kf, g, k, &pd->enabled);
        } else if (strcmp(k, "domains") == 0) {
            g_strfreev(pd->domains);
            pd->domains = get_domains(kf, g, k);
        } else if (strcmp(k, "vfio-driver") == 0) {
            get_vfio_driver(l, kf, g, k, pd);
        } else if (strcmp(k, "identity") == 0) {
            g_autofree char *v = g_key_file_get_value(kf, g, k, NULL);

            if (parse_identity(v, pd->identity, &pd->identity_has_subsystem))
                pd->has_identity = TRUE;
            else
                vh_loader_issue(
                    l, VH_ISSUE_ERROR, vh_loader_line_of(l, g, k),
                    "%s: invalid identity '%s' (expected VVVV:DDDD:SSSS:SSSS or VVVV:DDDD)", k, v);
        } else if (strcmp(k, "console-handoff") == 0) {
            vh_loader_get_bool(l, kf, g, k, &pd->console_handoff);
        } else if (strcmp(k, "vf-of") == 0 || strcmp(k, "vf-index") == 0 ||
                   strcmp(k, "pf-identity") == 0) {
            vf_keys++; /* read together below */
        } else {
            vh_loader_unknown_key(
                l, g, k,
                "enabled, domains, identity, console-handoff, vfio-driver, vf-of, vf-index, "
                "pf-identity");
        }
    }
    if (vf_keys > 0)
        load_vf(l, kf, g, pd, vf_keys);
    g_ptr_array_add(l->policy->devices, g_steal_pointer(&pd));
}
