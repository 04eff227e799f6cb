/* vfio-handoff CLI: add and remove, through libvirt's API (DESIGN §1.4, §5). The definition
 * is read inactive and secure (passwords kept, so defining it back loses nothing), edited with
 * libxml2 (lib/domain/vh-domain-edit.c), checked against the policy, and defined with validation. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vh-cli.h"
#include "vh-diff.h"
#include "vh-domain-edit.h"
#include "vh-error.h"
#include "vh-hostdev-change.h"
#include "vh-policy-eval.h"

void
vh_hostdev_result_free(VhHostdevResult *r)
{
    if (r == NULL)
        return;
    g_free(r->domain);
    g_free(r->before);
    g_free(r->after);
    g_ptr_array_unref(r->changes);
    g_ptr_array_unref(r->notes);
    g_ptr_array_unref(r->warnings);
    g_free(r);
}

VhHostdevResult *
vh_hostdev_result_new(const char *verb, const char *domain)
{
    VhHostdevResult *r = g_new0(VhHostdevResult, 1);

    r->verb = verb;
    r->domain = g_strdup(domain);
    r->changes = g_ptr_array_new_with_free_func(g_free);
    r->notes = g_ptr_array_new_with_free_func(g_free);
    r->warnings = g_ptr_array_new_with_free_func(g_free);
    return r;
}

/* A domain's persistent definition, open for a change. */
typedef struct {
    const VhLibvirt *lv;
    virConnectPtr conn;
    virDomainPtr dom;
    gboolean secure;
    VhHostdevResult *r;
} Session;

static void
session_close(Session *s)
{
    if (s->dom != NULL)
        s->lv->domain_free(s->dom);
    vh_hostdev_result_free(s->r);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Session, session_close)

static char *
persistent_xml(Session *s, GError **error)
{
    /* secure: passwords are kept, or defining it back would drop them; a dry run defines
     * nothing, and its diff (pasted into a bug report, say) then shows no password */
    char *xml = s->lv->domain_get_xml_desc(s->dom, VIR_DOMAIN_XML_INACTIVE |
                                                       (s->secure ? VIR_DOMAIN_XML_SECURE : 0));
    char *out;

    if (xml == NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: its definition cannot be read, %s (fix: check that libvirt runs and "
                    "that 'virsh dumpxml --inactive %s' works)",
                    s->r->domain, s->lv->get_last_error_message(), s->r->domain);
        return NULL;
    }
    out = g_strdup(xml);
    free(xml);
    return out;
}

/* Finds the domain and reads its definition; refuses a transient or running one. */
static gboolean
session_open(Session *s, const VhLibvirt *lv, virConnectPtr conn, const char *domain,
             const char *verb, const VhHostdevRequest *req, GError **error)
{
    gboolean dry_run = req->dry_run;
    g_autofree char *word = vh_error_shell_word(domain);
    const char *name;
    int persistent, active;

    s->lv = lv;
    s->conn = conn;
    s->secure = !dry_run;
    s->r = vh_hostdev_result_new(verb, NULL);
    if ((s->dom = vh_libvirt_domain(lv, conn, domain, error)) == NULL)
        return FALSE;
    name = lv->domain_get_name(s->dom);
    s->r->domain = g_strdup(name != NULL ? name : domain);
    persistent = lv->domain_is_persistent(s->dom);
    active = lv->domain_is_active(s->dom);
    if (persistent < 0 || active < 0) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: libvirt cannot say whether it runs, %s (fix: check that 'virsh dominfo "
                    "%s' works)",
                    s->r->domain, lv->get_last_error_message(), word);
        return FALSE;
    }
    if (persistent == 0) {
        g_set_error(error, VH_ERROR, VH_ERROR_UNSUPPORTED,
                    "%s: a transient domain, and vfio-handoff changes persistent definitions "
                    "(fix: make it persistent, run 'virsh dumpxml %s > definition.xml' and "
                    "'virsh define definition.xml')",
                    s->r->domain, word);
        return FALSE;
    }
    if (active == 1 && !req->live) {
        /* the definition alone would say what the running domain does not have */
        g_set_error(error, VH_ERROR, VH_ERROR_UNSUPPORTED,
                    "%s: is running, and its definition alone would not change what it has now "
                    "(fix: pass --persistent to %s now and in its definition, --live for now "
                    "only; or run 'virsh shutdown %s', then %s again)",
                    s->r->domain, strcmp(verb, "add") == 0 ? "hot-plug" : "unplug", word, verb);
        return FALSE;
    }
    s->r->before = persistent_xml(s, error);
    return s->r->before != NULL;
}

/* Takes what @edit changed, and the document it leaves, into the result. */
static void
session_take_edit(Session *s, const VhDomainEdit *edit)
{
    const GPtrArray *changes = vh_domain_edit_changes(edit);

    for (guint i = 0; i < changes->len; i++)
        g_ptr_array_add(s->r->changes, g_strdup(g_ptr_array_index((GPtrArray *)changes, i)));
    /* nothing changed: byte for byte what libvirt gave, nothing to show */
    s->r->after = changes->len > 0 ? vh_domain_edit_to_xml(edit) : g_strdup(s->r->before);
}

/* Defines the result's new document, unless the definition changed since it was read. */
static gboolean
session_define(Session *s, gboolean dry_run, GError **error)
{
    g_autofree char *now = NULL;
    virDomainPtr defined;

    if (dry_run || s->r->changes->len == 0)
        return TRUE;
    /* someone else (virsh edit, virt-manager) may have saved it meanwhile: theirs wins */
    if ((now = persistent_xml(s, error)) == NULL)
        return FALSE;
    if (strcmp(now, s->r->before) != 0) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: its definition changed while vfio-handoff edited it, so nothing was "
                    "changed (fix: run the command again)",
                    s->r->domain);
        return FALSE;
    }
    defined = s->lv->domain_define_xml_flags(s->conn, s->r->after, VIR_DOMAIN_DEFINE_VALIDATE);
    if (defined == NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: libvirt refused the new definition, %s; nothing was changed (fix: "
                    "see what --dry-run would write, and correct what libvirt names)",
                    s->r->domain, s->lv->get_last_error_message());
        return FALSE;
    }
    s->lv->domain_free(defined);
    s->r->defined = TRUE;
    return TRUE;
}

static void G_GNUC_PRINTF(2, 3) note(GPtrArray *list, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(list, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

/*
 * After `add` defined its document, reads back what libvirt made of it and records what libvirt
 * added for the new devices (a root port, multifunction='on'), so that `remove` takes that away
 * too; defines it again with the record. A failure here leaves the devices added, with a warning.
 */
static void
session_adopt_defined(Session *s, VhDomainEdit *edit)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *defined = NULL;
    gboolean recorded = FALSE;
    const GPtrArray *changes = vh_domain_edit_changes(edit);
    guint before = changes->len;
    virDomainPtr again;

    if (!s->r->defined)
        return;
    if ((defined = persistent_xml(s, &local)) == NULL ||
        !vh_domain_edit_adopt_defined(edit, defined, &recorded, &local)) {
        note(s->r->notes, "warning: %s: %s (remove may leave what libvirt added with the devices)",
             s->r->domain, local->message);
        return;
    }
    if (!recorded)
        return;
    g_free(s->r->after);
    s->r->after = vh_domain_edit_to_xml(edit);
    if ((again = s->lv->domain_define_xml_flags(s->conn, s->r->after,
                                                VIR_DOMAIN_DEFINE_VALIDATE)) == NULL) {
        note(s->r->notes,
             "warning: %s: libvirt refused the record of what it added: %s (remove may leave it)",
             s->r->domain, s->lv->get_last_error_message());
        return;
    }
    s->lv->domain_free(again);
    for (guint i = before; i < changes->len; i++)
        g_ptr_array_add(s->r->changes, g_strdup(g_ptr_array_index((GPtrArray *)changes, i)));
}

/* The checks that hold until start whatever happens meanwhile refuse `add`; the others (in use,
 * memory available, held by another domain) may change by then and are only told. */
static gboolean
refuses_add(const char *id)
{
    static const char *const ids[] = {
        "policy-valid", "device-present",    "device-enabled", "domain-allowed",
        "identity",     "not-host-critical", "domain-limit",   NULL};

    return g_strv_contains(ids, id);
}

static gboolean
check_policy(Session *s, const VhCliView *view, GPtrArray *touched, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(VhDomainDef) def = vh_domain_def_parse(s->r->after, strlen(s->r->after), &local);
    g_autoptr(VhEvaluation) eval = NULL;

    if (def == NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_INVALID_ARGUMENT, "%s: its definition: %s",
                    s->r->domain, local->message);
        return FALSE;
    }
    eval = vh_policy_evaluate(&(VhFacts){view->policy, view->snap, def, NULL});
    for (guint i = 0; i < eval->checks->len; i++) {
        const VhPolicyCheck *c = g_ptr_array_index(eval->checks, i);
        /* the host's and the domain's checks, and those of the devices this change names */
        gboolean ours = c->kind != VH_CHECK_DEVICE ||
                        g_ptr_array_find_with_equal_func(touched, c->subject, g_str_equal, NULL);

        g_autofree char *text = NULL;

        if (c->passed)
            continue;
        text = vh_policy_check_message(c, s->r->domain);
        if (ours && refuses_add(c->id)) {
            g_set_error(error, VH_ERROR, VH_ERROR_UNSUPPORTED, "%s: %s", s->r->domain, text);
            return FALSE;
        }
        note(s->r->warnings, "%s: %s", s->r->domain, text);
    }
    return TRUE;
}

VhHostdevResult *
vh_hostdev_add(const VhLibvirt *lv, virConnectPtr conn, const VhCliView *view, const char *domain,
               const VhHostdevRequest *req, GError **error)
{
    g_auto(Session) s = {0};
    g_autoptr(VhDomainEdit) edit = NULL;
    g_autoptr(GPtrArray) touched = g_ptr_array_new_with_free_func(g_free);

    if (!session_open(&s, lv, conn, domain, "add", req, error) ||
        (edit = vh_domain_edit_new(s.r->before, error)) == NULL)
        return NULL;
    for (guint i = 0; req->devices[i] != NULL; i++) {
        VhPciDevice *dev = vh_inventory_resolve(view->snap->inventory, req->devices[i], error);
        g_autoptr(GPtrArray) set = g_ptr_array_new();
        g_autoptr(GPtrArray) companions = NULL;

        if (dev == NULL)
            return NULL;
        if (g_ptr_array_find_with_equal_func(touched, dev->name, g_str_equal, NULL))
            continue; /* named twice, or a companion of one named before */
        g_ptr_array_add(set, dev->name);
        companions = vh_inventory_companions(view->snap->inventory, dev);
        for (guint j = 0; !req->only && j < companions->len; j++)
            g_ptr_array_add(set, ((VhPciDevice *)g_ptr_array_index(companions, j))->name);
        for (guint j = 0; j < set->len; j++) {
            const char *a = g_ptr_array_index(set, j);
            gboolean managed = FALSE;

            g_ptr_array_add(touched, g_strdup(a));
            if (vh_domain_edit_has_hostdev(edit, a, &managed))
                note(s.r->notes, "%s is already in %s%s", a, s.r->domain,
                     managed ? " as managed='yes': libvirt detaches and gives it back itself "
                               "(vfio-handoff gives it back if libvirt leaves it on vfio-pci); "
                               "for vfio-handoff to hand it off, set managed='no' with 'virsh "
                               "edit'"
                             : "");
        }
        if (!vh_domain_edit_add_hostdevs(edit, (const char *const *)set->pdata, set->len, error)) {
            g_prefix_error(error, "%s: ", s.r->domain);
            return NULL;
        }
    }
    if (view->policy->lock_memory != VH_LOCK_MEMORY_OFF &&
        !vh_domain_edit_lock_memory(edit, view->policy->lock_memory == VH_LOCK_MEMORY_REQUIRED,
                                    view->policy->memory_overhead, error)) {
        g_prefix_error(error, "%s: ", s.r->domain);
        return NULL;
    }
    session_take_edit(&s, edit);
    if (!check_policy(&s, view, touched, error) || !session_define(&s, req->dry_run, error))
        return NULL;
    session_adopt_defined(&s, edit);
    return g_steal_pointer(&s.r);
}

VhHostdevResult *
vh_hostdev_remove(const VhLibvirt *lv, virConnectPtr conn, const VhCliView *view,
                  const char *domain, const VhHostdevRequest *req, GError **error)
{
    g_auto(Session) s = {0};
    g_autoptr(VhDomainEdit) edit = NULL;

    if (!session_open(&s, lv, conn, domain, "remove", req, error) ||
        (edit = vh_domain_edit_new(s.r->before, error)) == NULL)
        return NULL;
    if (req->all && !vh_domain_edit_remove_all(edit))
        note(s.r->notes, "vfio-handoff added no devices to %s: nothing to remove", s.r->domain);
    for (guint i = 0; req->devices != NULL && req->devices[i] != NULL; i++) {
        char address[VH_PCI_ADDRESS_BUFSIZE];
        VhPciAddress parsed;

        /* an address needs no host: the hardware may be gone already */
        if (vh_pci_address_parse(req->devices[i], &parsed, NULL)) {
            vh_pci_address_format(&parsed, address);
        } else {
            VhPciDevice *dev =
                view != NULL ? vh_inventory_resolve(view->snap->inventory, req->devices[i], error)
                             : NULL;

            if (dev == NULL) {
                if (view == NULL)
                    vh_pci_address_parse(req->devices[i], &parsed, error);
                return NULL;
            }
            g_strlcpy(address, dev->name, sizeof address);
        }
        if (!vh_domain_edit_has_hostdev(edit, address, NULL))
            note(s.r->notes, "%s is not in %s: nothing to remove", address, s.r->domain);
        else if (!vh_domain_edit_remove_hostdevs(edit, address, error))
            return NULL;
    }
    session_take_edit(&s, edit);
    if (!session_define(&s, req->dry_run, error))
        return NULL;
    return g_steal_pointer(&s.r);
}

/* add/remove --json: {"domain", "dry_run", "changed", "changes", "notes", "diff"} */
static void
print_json(const VhHostdevResult *r, const char *diff, gboolean dry_run)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    vh_cli_json_begin(b);
    vh_cli_json_string_or_null(b, "domain", r->domain);
    vh_cli_json_bool(b, "dry_run", dry_run);
    vh_cli_json_bool(b, "live", r->live);
    vh_cli_json_bool(b, "changed", !dry_run && r->changes->len > 0);
    json_builder_set_member_name(b, "changes");
    json_builder_begin_array(b);
    for (guint i = 0; i < r->changes->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(r->changes, i));
    json_builder_end_array(b);
    json_builder_set_member_name(b, "notes");
    json_builder_begin_array(b);
    for (guint i = 0; i < r->notes->len; i++) {
        const char *n = g_ptr_array_index(r->notes, i);

        if (!g_str_has_prefix(n, "warning: "))
            json_builder_add_string_value(b, n);
    }
    json_builder_end_array(b);
    /* the definition's unified diff, before and after (or null: nothing changed, or live) */
    vh_cli_json_string_or_null(b, "diff", diff);
    json_builder_end_object(b);
    vh_cli_print_json(b);
}

static void
print_result(const VhHostdevResult *r, gboolean dry_run)
{
    g_autofree char *diff = NULL;

    for (guint i = 0; i < r->notes->len; i++) {
        const char *n = g_ptr_array_index(r->notes, i);

        /* a note is no error: a warning is kept as one, the rest said as they are */
        if (g_str_has_prefix(n, "warning: "))
            vh_cli_error("%s", n);
        else if (!vh_cli_is_json())
            fprintf(stderr, "vfio-handoff: %s\n", n);
    }
    for (guint i = 0; i < r->warnings->len; i++)
        vh_cli_error("warning: %s: as the host is now, the hook would refuse its start: %s",
                     r->domain, (const char *)g_ptr_array_index(r->warnings, i));
    /* the definition's diff: what a dry run shows, and in the JSON after a change too */
    if (r->changes->len > 0 && !r->live && r->before != NULL && r->after != NULL) {
        g_autofree char *a = g_strdup_printf("%s (defined)", r->domain);
        g_autofree char *b = g_strdup_printf("%s (after %s)", r->domain, r->verb);

        diff = vh_diff_unified(r->before, r->after, a, b);
    }
    if (vh_cli_is_json()) {
        print_json(r, diff, dry_run);
        return;
    }
    if (r->changes->len == 0) {
        printf("Nothing to change in %s.\n", r->domain);
        return;
    }
    if (dry_run && diff != NULL) {
        fputs(diff, stdout);
        return;
    }
    printf("%s%s:\n", r->domain, r->live ? " (running)" : "");
    for (guint i = 0; i < r->changes->len; i++)
        printf("  %s\n", (const char *)g_ptr_array_index(r->changes, i));
    if (r->defined)
        printf("Defined the new configuration of %s in libvirt.\n", r->domain);
    if (strcmp(r->verb, "add") == 0 && !r->live)
        printf("When %s starts, the hook hands its devices to vfio-pci; when it stops, each goes "
               "back to its driver ('vfio-handoff plan %s' shows how).\n",
               r->domain, r->domain);
}

int
vh_hostdev_command(VhHostdevChange change, const char *uri, const VhCliView *view,
                   const char *domain, const VhHostdevRequest *req)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VhHostdevResult) result = NULL;
    const VhLibvirt *lv = vh_libvirt_load(&error);
    virConnectPtr conn = lv != NULL ? vh_libvirt_open(lv, uri, FALSE, &error) : NULL;

    if (conn == NULL) {
        vh_cli_error("%s", error->message);
        return VH_EXIT_FAILED;
    }
    result = change(lv, conn, view, domain, req, &error);
    lv->connect_close(conn);
    if (result == NULL) {
        vh_cli_error("%s", error->message);
        return VH_EXIT_FAILED;
    }
    print_result(result, req->dry_run);
    return VH_EXIT_OK;
}
