/* vfio-handoff policy: reading the files, with file:line for every problem */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vh-error.h"
#include "vh-policy-files.h"
#include "vh-policy-load-private.h"
#include "vh-policy.h"
#include "vh-sysfs.h"
#include "vh-units.h"

/* A "[NAME]" line: the group it opens (in *group), once per file. */
static gboolean
scan_section(Loader *l, const char *line, int lineno, char **group, GString *clean)
{
    gsize len = strlen(line);
    int first;
    gboolean ok = TRUE;

    if (line[len - 1] != ']' || len < 3) {
        vh_loader_issue(l, VH_ISSUE_ERROR, lineno,
                        "'%s' is not a section header (fix: write it as [NAME])", line);
        return FALSE;
    }
    g_free(*group);
    *group = g_strndup(line + 1, len - 2);
    if ((first = vh_loader_line_of(l, *group, NULL)) > 0) {
        vh_loader_issue(l, VH_ISSUE_ERROR, lineno, "section [%s] appears twice (first at line %d)",
                        *group, first);
        ok = FALSE;
    }
    g_hash_table_insert(l->lines, g_strdup(*group), GINT_TO_POINTER(lineno));
    g_string_append_printf(clean, "%s\n", line);
    return ok;
}

/* A "key=value" line of @group, its value's trailing " # comment" dropped. */
static gboolean
scan_key(Loader *l, char *line, int lineno, const char *group, GString *clean)
{
    char *eq = strchr(line, '=');
    g_autofree char *key = g_strstrip(g_strndup(line, (gsize)(eq - line)));
    char *value = eq + 1;
    int first;
    gboolean ok = TRUE;

    /* "# ..." after white space is a comment */
    for (char *hash = value; (hash = strchr(hash, '#')) != NULL; hash++) {
        if (hash > value && (hash[-1] == ' ' || hash[-1] == '\t')) {
            *hash = '\0';
            break;
        }
    }
    g_strstrip(value);
    if (group == NULL) {
        vh_loader_issue(l, VH_ISSUE_ERROR, lineno, "'%s' comes before any section", key);
        return FALSE;
    }
    if (key[0] == '\0' || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(key)) {
        vh_loader_issue(l, VH_ISSUE_ERROR, lineno, "'%s' is not a key name", key);
        return FALSE;
    }
    if ((first = vh_loader_line_of(l, group, key)) > 0) {
        vh_loader_issue(l, VH_ISSUE_ERROR, lineno, "'%s' is set twice in [%s] (first at line %d)",
                        key, group, first);
        ok = FALSE;
    }
    g_hash_table_insert(l->lines, g_strconcat(group, "\n", key, NULL), GINT_TO_POINTER(lineno));
    g_string_append_printf(clean, "%s=%s\n", key, value);
    return ok;
}

/*
 * Checks the syntax line by line (GKeyFile reports no line numbers), records where every
 * section and key is, and returns the text with inline comments removed (GKeyFile has none:
 * "enabled=true  # note" would be a value), or NULL when the file cannot be used.
 */
static char *
scan(Loader *l, const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autoptr(GString) clean = g_string_new(NULL);
    g_autofree char *group = NULL;
    gboolean ok = TRUE;

    for (int n = 0; lines[n] != NULL; n++) {
        char *line = g_strstrip(lines[n]);

        if (line[0] == '\0' || line[0] == '#') {
            g_string_append(clean, "\n");
        } else if (line[0] == '[') {
            ok &= scan_section(l, line, n + 1, &group, clean);
        } else if (strchr(line, '=') != NULL) {
            ok &= scan_key(l, line, n + 1, group, clean);
        } else {
            vh_loader_issue(
                l, VH_ISSUE_ERROR, n + 1,
                "'%s' is not a [section], a key=value line or a # comment (fix: write it as "
                "key=value, or start it with # to keep it as a comment)",
                line);
            ok = FALSE;
        }
    }
    return ok ? g_string_free(g_steal_pointer(&clean), FALSE) : NULL;
}

/* ---- typed values ---------------------------------------------------------------------- */

static void
get_size(Loader *l, GKeyFile *kf, const char *g, const char *key, guint64 *out)
{
    g_autofree char *v = g_key_file_get_value(kf, g, key, NULL);
    g_autoptr(GError) error = NULL;

    if (!vh_parse_size(v, out, &error))
        vh_loader_issue(l, VH_ISSUE_ERROR, vh_loader_line_of(l, g, key), "%s: %s", key,
                        error->message);
}

static void
get_duration(Loader *l, GKeyFile *kf, const char *g, const char *key, guint64 *out)
{
    g_autofree char *v = g_key_file_get_value(kf, g, key, NULL);
    g_autoptr(GError) error = NULL;
    guint64 ms;

    if (!vh_parse_duration(v, &ms, &error)) {
        vh_loader_issue(l, VH_ISSUE_ERROR, vh_loader_line_of(l, g, key), "%s: %s", key,
                        error->message);
        return;
    }
    /* a step that may take less than 100 ms fails on a loaded host; one over 10 minutes
     * holds libvirt's start job hostage */
    if (ms < 100 || ms > 10 * 60 * 1000) {
        vh_loader_issue(l, VH_ISSUE_ERROR, vh_loader_line_of(l, g, key),
                        "%s: '%s' is out of range (expected 100ms to 10m)", key, v);
        return;
    }
    *out = ms;
}

/* ---- sections ---------------------------------------------------------------------------- */

static void
load_host(Loader *l, GKeyFile *kf, const char *g)
{
    g_auto(GStrv) keys = g_key_file_get_keys(kf, g, NULL, NULL);
    VhPolicy *p = l->policy;

    for (guint i = 0; keys[i] != NULL; i++) {
        const char *k = keys[i];

        if (strcmp(k, "enabled") == 0) {
            vh_loader_get_bool(l, kf, g, k, &p->enabled);
        } else if (strcmp(k, "max-active-devices") == 0) {
            vh_loader_get_int(l, kf, g, k, 1, 256, &p->max_active_devices);
        } else if (strcmp(k, "lock-memory") == 0) {
            g_autofree char *v = g_key_file_get_value(kf, g, k, NULL);

            if (g_strcmp0(v, "required") == 0)
                p->lock_memory = VH_LOCK_MEMORY_REQUIRED;
            else if (g_strcmp0(v, "limit") == 0)
                p->lock_memory = VH_LOCK_MEMORY_LIMIT;
            else if (g_strcmp0(v, "off") == 0)
                p->lock_memory = VH_LOCK_MEMORY_OFF;
            else
                vh_loader_issue(l, VH_ISSUE_ERROR, vh_loader_line_of(l, g, k),
                                "%s: invalid value '%s' (expected required, limit or off)", k, v);
        } else if (strcmp(k, "memory-reserve") == 0) {
            get_size(l, kf, g, k, &p->memory_reserve);
        } else if (strcmp(k, "memory-overhead") == 0) {
            get_size(l, kf, g, k, &p->memory_overhead);
        } else if (strcmp(k, "step-timeout") == 0) {
            get_duration(l, kf, g, k, &p->step_timeout_ms);
        } else if (strcmp(k, "refuse-migration") == 0) {
            vh_loader_get_bool(l, kf, g, k, &p->refuse_migration);
        } else {
            vh_loader_unknown_key(l, g, k,
                                  "enabled, max-active-devices, lock-memory, memory-reserve, "
                                  "memory-overhead, step-timeout, refuse-migration");
        }
    }
}

static void
load_domain(Loader *l, GKeyFile *kf, const char *g, const char *name)
{
    g_auto(GStrv) keys = g_key_file_get_keys(kf, g, NULL, NULL);
    VhPolicyDomain *d = NULL;

    if (name[0] == '\0') {
        vh_loader_issue(l, VH_ISSUE_ERROR, vh_loader_line_of(l, g, NULL),
                        "section [%s] names no domain (expected [domain NAME] or [domain *])", g);
        return;
    }
    if (strcmp(name, "*") != 0) {
        for (guint i = 0; i < l->policy->domains->len && d == NULL; i++) {
            VhPolicyDomain *x = g_ptr_array_index(l->policy->domains, i);

            if (strcmp(x->name, name) == 0)
                d = x;
        }
        if (d == NULL) {
            d = g_new0(VhPolicyDomain, 1);
            d->name = g_strdup(name);
            d->max_devices = -1;
            g_ptr_array_add(l->policy->domains, d);
        }
    }
    for (guint i = 0; keys[i] != NULL; i++) {
        if (strcmp(keys[i], "max-devices") == 0)
            vh_loader_get_int(l, kf, g, keys[i], 1, 64,
                              d != NULL ? &d->max_devices : &l->policy->default_max_devices);
        else
            vh_loader_unknown_key(l, g, keys[i], "max-devices");
    }
}

/* "10de:2204:1458:403b" or "10de:2204" */
static void
load_one(VhPolicy *policy, int dirfd, const char *name, const char *path, guint owner,
         gboolean draft)
{
    Loader l = {.policy = policy, .file = path};
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    g_autofree char *clean = NULL;
    g_autofree char *untrusted = NULL;
    g_auto(GStrv) groups = NULL;
    int fd;

    g_ptr_array_add(policy->files, g_strdup(path));
    if ((fd = vh_policy_file_open(dirfd, name, path, owner, &untrusted, &error)) < 0) {
        vh_loader_issue(&l, VH_ISSUE_ERROR, 0, "ignored: %s", error->message);
        return;
    }
    /* a draft validated by name is checked all the same; a policy file is not read at all */
    if (untrusted != NULL)
        vh_loader_issue(&l, VH_ISSUE_ERROR, 0, "%s: %s", draft ? "would be ignored" : "ignored",
                        untrusted);
    if (untrusted != NULL && !draft) {
        close(fd);
        return;
    }
    text = vh_policy_file_read(fd, &error);
    close(fd);
    if (text == NULL) {
        vh_loader_issue(&l, VH_ISSUE_ERROR, 0, "ignored: %s", error->message);
        return;
    }
    l.lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    clean = scan(&l, text);
    if (clean == NULL || !g_key_file_load_from_data(kf, clean, -1, G_KEY_FILE_NONE, &error)) {
        if (error != NULL)
            vh_loader_issue(&l, VH_ISSUE_ERROR, 0, "ignored: %s", error->message);
        g_hash_table_unref(l.lines);
        return;
    }
    groups = g_key_file_get_groups(kf, NULL);
    for (guint i = 0; groups[i] != NULL; i++) {
        const char *g = groups[i];

        if (strcmp(g, "host") == 0)
            load_host(&l, kf, g);
        else if (g_str_has_prefix(g, "domain ") || strcmp(g, "domain") == 0)
            load_domain(&l, kf, g, g[6] != '\0' ? g + 7 : "");
        else if (g_str_has_prefix(g, "device ") || strcmp(g, "device") == 0)
            vh_loader_load_device(&l, kf, g, g[6] != '\0' ? g + 7 : "");
        else
            vh_loader_issue(
                &l, VH_ISSUE_UNKNOWN, vh_loader_line_of(&l, g, NULL),
                "unknown section [%s] (expected [host], [domain NAME] or [device ADDRESS])", g);
    }
    g_hash_table_unref(l.lines);
}

VhPolicy *
vh_policy_load_file(const char *path, guint owner)
{
    VhPolicy *policy = vh_policy_new();

    load_one(policy, AT_FDCWD, path, path, owner, TRUE);
    return policy;
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A policy directory, opened and checked (vh_policy_dir_open); -1 with an issue naming it when
 * it is not to be trusted, -1 alone when it does not exist. */
static int
open_dir(VhPolicy *policy, const char *path, guint owner)
{
    Loader l = {.policy = policy, .file = path};
    g_autoptr(GError) error = NULL;
    int fd = vh_policy_dir_open(path, owner, &error);

    if (fd < 0 && error != NULL)
        vh_loader_issue(&l, VH_ISSUE_ERROR, 0, "ignored, and every file in it: %s", error->message);
    return fd;
}

VhPolicy *
vh_policy_load(const VhHost *host)
{
    VhPolicy *policy = vh_policy_new();
    g_autofree char *main_file = g_build_filename(host->config_dir, VH_POLICY_MAIN_FILE, NULL);
    g_autofree char *dropins = g_build_filename(host->config_dir, VH_POLICY_DROPIN_DIR, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    int top = open_dir(policy, host->config_dir, host->config_owner);
    int dir = top >= 0 ? open_dir(policy, dropins, host->config_owner) : -1;
    DIR *d = NULL;
    struct dirent *e;

    if (top < 0)
        return policy; /* nothing trusted: nothing enabled */
    if (faccessat(top, VH_POLICY_MAIN_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        load_one(policy, top, VH_POLICY_MAIN_FILE, main_file, host->config_owner, FALSE);
    /* only *.conf: editors' backups and package managers' .dpkg-old/.rpmsave files are not
     * policy */
    if (dir >= 0 && (d = fdopendir(dup(dir))) != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (g_str_has_suffix(e->d_name, ".conf") && e->d_name[0] != '.')
                g_ptr_array_add(names, g_strdup(e->d_name));
        }
        closedir(d);
    }
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        g_autofree char *path = g_build_filename(dropins, name, NULL);

        load_one(policy, dir, name, path, host->config_owner, FALSE);
    }
    if (dir >= 0)
        close(dir);
    close(top);
    return policy;
}
