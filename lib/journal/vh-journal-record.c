/* vfio-handoff: one journal record as text, and the strict reading of it. A record is input
 * like any other: the give back writes its driver name into a sysfs path, so nothing in it is
 * trusted until it is checked here. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "vh-error.h"
#include "vh-journal.h"
#include "vh-pci-address.h"

#define GROUP "hold"

void
vh_journal_record_free(VhJournalRecord *h)
{
    if (h == NULL)
        return;
    g_free(h->address);
    g_free(h->identity);
    g_free(h->domain);
    g_free(h->uuid);
    g_free(h->driver);
    g_free(h->driver_override);
    g_free(h->reason);
    g_free(h->console);
    g_strfreev(h->vtcons);
    g_strfreev(h->platform_fbs);
    g_free(h);
}

void
vh_journal_unreadable_free(VhJournalUnreadable *u)
{
    if (u == NULL)
        return;
    g_free(u->name);
    g_free(u->reason);
    g_free(u);
}

const char *
vh_journal_state_to_string(VhJournalState state)
{
    switch (state) {
    case VH_JOURNAL_DETACHING:
        return "detaching";
    case VH_JOURNAL_HELD:
        return "held";
    case VH_JOURNAL_RETURNING:
        return "returning";
    case VH_JOURNAL_STUCK:
        return "stuck";
    case VH_JOURNAL_WEDGED:
        return "wedged";
    }
    g_assert_not_reached();
}

static gboolean
state_from_string(const char *s, VhJournalState *out)
{
    for (int i = VH_JOURNAL_DETACHING; i <= VH_JOURNAL_WEDGED; i++) {
        if (g_strcmp0(s, vh_journal_state_to_string((VhJournalState)i)) == 0) {
            *out = (VhJournalState)i;
            return TRUE;
        }
    }
    return FALSE;
}

gboolean
vh_journal_is_driver_name(const char *name)
{
    gsize n = strlen(name);

    /* a directory below /sys/bus/pci/drivers: no '/', not "." or "..", printable */
    if (n == 0 || n > VH_JOURNAL_DRIVER_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return FALSE;
    for (gsize i = 0; i < n; i++) {
        if (!g_ascii_isalnum(name[i]) && strchr("_-.", name[i]) == NULL)
            return FALSE;
    }
    return TRUE;
}

const char *
vh_owner_to_string(VhOwner owner)
{
    switch (owner) {
    case VH_OWNER_BY_HAND:
        return "by-hand";
    case VH_OWNER_LIBVIRT:
        return "libvirt";
    case VH_OWNER_DOMAIN:
        break;
    }
    return "domain";
}

/* "a;b": names that hold no ';' (checked when read back) */
static void
set_list(GKeyFile *kf, const char *key, char **list)
{
    g_autofree char *joined = g_strjoinv(";", list);

    g_key_file_set_string(kf, GROUP, key, joined);
}

/* A vtconsole's name: "vtcon" and a number. */
static gboolean
is_vtcon_name(const char *s)
{
    if (!g_str_has_prefix(s, "vtcon") || s[5] == '\0' || strlen(s) > 16)
        return FALSE;
    for (const char *p = s + 5; *p != '\0'; p++) {
        if (!g_ascii_isdigit(*p))
            return FALSE;
    }
    return TRUE;
}

/* "NAME:DRIVER", both names a sysfs directory may have. */
static gboolean
is_platform_fb_spec(const char *s)
{
    g_auto(GStrv) nd = g_strsplit(s, ":", -1);

    return g_strv_length(nd) == 2 && vh_journal_is_driver_name(nd[0]) &&
           vh_journal_is_driver_name(nd[1]);
}

char *
vh_journal_record_to_text(const VhJournalRecord *h)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();

    g_key_file_set_string(kf, GROUP, "address", h->address);
    g_key_file_set_string(kf, GROUP, "identity", h->identity != NULL ? h->identity : "");
    g_key_file_set_string(kf, GROUP, "owner", vh_owner_to_string(h->owner));
    g_key_file_set_string(kf, GROUP, "domain", h->domain != NULL ? h->domain : "");
    g_key_file_set_string(kf, GROUP, "uuid", h->uuid != NULL ? h->uuid : "");
    g_key_file_set_integer(kf, GROUP, "qemu-pid", h->qemu_pid);
    g_key_file_set_string(kf, GROUP, "driver", h->driver != NULL ? h->driver : "");
    g_key_file_set_string(kf, GROUP, "driver-override",
                          h->driver_override != NULL ? h->driver_override : "");
    g_key_file_set_string(kf, GROUP, "state", vh_journal_state_to_string(h->state));
    g_key_file_set_string(kf, GROUP, "reason", h->reason != NULL ? h->reason : "");
    if (h->console != NULL)
        g_key_file_set_string(kf, GROUP, "console", h->console);
    if (h->vtcons != NULL)
        set_list(kf, "vtcons", h->vtcons);
    if (h->platform_fbs != NULL)
        set_list(kf, "platform-fbs", h->platform_fbs);
    g_key_file_set_int64(kf, GROUP, "since", h->since);
    g_key_file_set_int64(kf, GROUP, "updated", g_get_real_time() / G_USEC_PER_SEC);
    return g_key_file_to_data(kf, NULL, NULL);
}

/* GKeyFile's string escapes (\s \n \t \r \\, as g_key_file_set_string writes them), undone;
 * FALSE on any other. Read here, not by g_key_file_get_string(), which is lax about them. */
static gboolean
unescape(const char *raw, char **out)
{
    GString *s = g_string_new(NULL);

    for (const char *p = raw; *p != '\0'; p++) {
        char c = *p;

        if (c == '\\') {
            switch (*++p) {
            case 's':
                c = ' ';
                break;
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case '\\':
                c = '\\';
                break;
            default: /* another escape, or a backslash at the end */
                g_string_free(s, TRUE);
                return FALSE;
            }
        }
        g_string_append_c(s, c);
    }
    *out = g_string_free(s, FALSE);
    return TRUE;
}

/* A key's value, or NULL when it is empty or absent; *@ok goes FALSE on a bad escape. */
static char *
get(GKeyFile *kf, gboolean *ok, const char *key)
{
    g_autofree char *raw = g_key_file_get_value(kf, GROUP, key, NULL);
    char *v = NULL;

    if (raw == NULL)
        return NULL;
    if (!unescape(raw, &v) || !g_utf8_validate(v, -1, NULL)) {
        *ok = FALSE;
        g_free(v);
        return NULL;
    }
    if (v[0] == '\0')
        g_clear_pointer(&v, g_free);
    return v;
}

/* A whole number within [0, @max]; an absent key is 0. */
static gboolean
get_number(GKeyFile *kf, const char *key, gint64 max, gint64 *out)
{
    g_autofree char *v = g_key_file_get_value(kf, GROUP, key, NULL);
    char *end = NULL;

    *out = 0;
    if (v == NULL)
        return TRUE;
    errno = 0;
    *out = g_ascii_strtoll(v, &end, 10);
    return g_ascii_isdigit(v[0]) && *end == '\0' && errno == 0 && *out <= max;
}

/* The list under @key, each checked by @valid; NULL when absent or empty. */
static gboolean
get_list(GKeyFile *kf, gboolean *ok, const char *key, gboolean (*valid)(const char *), char ***out)
{
    g_autofree char *v = get(kf, ok, key);
    g_auto(GStrv) items = NULL;

    *out = NULL;
    if (v == NULL)
        return TRUE;
    items = g_strsplit(v, ";", -1);
    for (guint i = 0; items[i] != NULL; i++) {
        if (!valid(items[i]))
            return FALSE;
    }
    *out = g_steal_pointer(&items);
    return TRUE;
}

G_GNUC_PRINTF(2, 3)
static VhJournalRecord *
bad(GError **error, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (error != NULL && *error == NULL)
        *error = g_error_new_valist(VH_ERROR, VH_ERROR_INVALID_ARGUMENT, fmt, ap);
    va_end(ap);
    return NULL;
}

VhJournalRecord *
vh_journal_record_parse(const char *name, const char *text, gsize len, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(VhJournalRecord) h = g_new0(VhJournalRecord, 1);
    g_autofree char *state = NULL;
    g_autofree char *owner = NULL;
    g_autoptr(GError) local = NULL;
    gint64 pid, since, updated;
    gboolean ok = TRUE;

    if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &local))
        return bad(error, "not a journal record: %s", local->message);
    h->address = get(kf, &ok, "address");
    if (h->address == NULL || !vh_pci_address_is_valid(h->address) || strcmp(h->address, name) != 0)
        return bad(error, "names the device '%s', not the one of its file name",
                   h->address != NULL ? h->address : "");
    h->identity = get(kf, &ok, "identity");
    h->domain = get(kf, &ok, "domain");
    h->uuid = get(kf, &ok, "uuid");
    h->driver = get(kf, &ok, "driver");
    h->driver_override = get(kf, &ok, "driver-override");
    h->reason = get(kf, &ok, "reason");
    h->console = get(kf, &ok, "console");
    state = get(kf, &ok, "state");
    owner = get(kf, &ok, "owner");
    if (!ok)
        return bad(error, "holds a value that is not valid text");
    /* records written before the owner key named a device detached by hand "/manual" */
    if (g_strcmp0(owner, "by-hand") == 0 ||
        (owner == NULL && g_strcmp0(h->domain, "/manual") == 0)) {
        h->owner = VH_OWNER_BY_HAND;
        g_clear_pointer(&h->domain, g_free);
    } else if (g_strcmp0(owner, "libvirt") == 0 && h->domain != NULL) {
        h->owner = VH_OWNER_LIBVIRT;
    } else if (owner != NULL && strcmp(owner, "domain") != 0 && strcmp(owner, "libvirt") != 0) {
        return bad(error, "has an unknown owner '%s'", owner);
    } else if (h->domain == NULL) {
        return bad(error, "names no domain");
    }
    if (!state_from_string(state, &h->state))
        return bad(error, "has an unknown state '%s'", state != NULL ? state : "");
    if ((h->driver != NULL && !vh_journal_is_driver_name(h->driver)) ||
        (h->driver_override != NULL && !vh_journal_is_driver_name(h->driver_override)))
        return bad(error, "names a driver that is not a driver name");
    if (!get_number(kf, "qemu-pid", G_MAXINT, &pid) ||
        !get_number(kf, "since", G_MAXINT64, &since) ||
        !get_number(kf, "updated", G_MAXINT64, &updated))
        return bad(error, "has a qemu-pid, since or updated that is not a whole number");
    if (!get_list(kf, &ok, "vtcons", is_vtcon_name, &h->vtcons) ||
        !get_list(kf, &ok, "platform-fbs", is_platform_fb_spec, &h->platform_fbs))
        return bad(error, "names a console that is not a vtconsole, or a framebuffer that is not "
                          "NAME:DRIVER");
    h->qemu_pid = (int)pid;
    h->since = since;
    h->updated = updated;
    return g_steal_pointer(&h);
}
