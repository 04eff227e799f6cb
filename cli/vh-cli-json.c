/* vfio-handoff CLI: what a verb says — its messages on stderr, and with --json its one JSON v1
 * document on stdout (vfio-handoff(8) JSON) */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vh-cli.h"
#include "vh-error.h"

/* one message said on stderr, kept for the JSON document */
typedef struct {
    gboolean warning;
    char *subject;
    char *reason;
    char *fix;
} Message;

static struct {
    gboolean json;       /* --json: the verb's answer is one JSON document */
    gboolean printed;    /* that document is out */
    GPtrArray *messages; /* Message *, in the order said */
    GPtrArray *outcomes; /* JsonNode * objects of vh_cli_outcome() */
} said;

static void
message_free(Message *m)
{
    g_free(m->subject);
    g_free(m->reason);
    g_free(m->fix);
    g_free(m);
}

/* "[warning: ]THING: REASON (fix: FIX)" into its parts; the message grammar makes it exact
 * (tests/lint/messages.py): FIX runs from the last " (fix: " to the final ")" */
static Message *
message_parse(const char *text)
{
    Message *m = g_new0(Message, 1);
    const char *colon;

    if (g_str_has_prefix(text, "warning: ")) {
        m->warning = TRUE;
        text += strlen("warning: ");
    }
    colon = strstr(text, ": ");
    if (colon != NULL) {
        m->subject = g_strndup(text, (gsize)(colon - text));
        text = colon + 2;
    }
    vh_error_split_fix(text, &m->reason, &m->fix);
    return m;
}

void
vh_cli_error(const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "vfio-handoff: %s\n", msg);
#if VH_TEST_HOOKS
    /* the lint checks each format; a message passed in with its own fix, inside one that adds
     * another, only shows when it is said: a test build stops there (vh_cli_message_or()) */
    {
        const char *fix = strstr(msg, " (fix: ");

        if (fix != NULL && strstr(fix + 1, " (fix: ") != NULL)
            g_error("a message with two fixes: %s", msg);
    }
#endif
    if (said.messages == NULL)
        said.messages = g_ptr_array_new_with_free_func((GDestroyNotify)message_free);
    g_ptr_array_add(said.messages, message_parse(msg));
}

char *
vh_cli_message_or(const char *message, const char *other)
{
    g_autoptr(GString) s = g_string_new(message);
    const char *fix = g_strrstr(message, " (fix: ");

    if (fix == NULL || !g_str_has_suffix(message, ")")) {
        g_string_append_printf(s, " (fix: %s)", other);
        return g_string_free(g_steal_pointer(&s), FALSE);
    }
    g_string_truncate(s, s->len - 1); /* the fix's ")" */
    g_string_append_printf(s, "; or %s)", other);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

void
vh_cli_set_json(gboolean json)
{
    said.json = json;
}

gboolean
vh_cli_is_json(void)
{
    return said.json;
}

void
vh_cli_json_string_or_null(JsonBuilder *b, const char *member, const char *value)
{
    json_builder_set_member_name(b, member);
    if (value != NULL)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

void
vh_cli_json_bool(JsonBuilder *b, const char *member, gboolean value)
{
    json_builder_set_member_name(b, member);
    json_builder_add_boolean_value(b, value);
}

void
vh_cli_json_strv(JsonBuilder *b, const char *member, char **list)
{
    json_builder_set_member_name(b, member);
    json_builder_begin_array(b);
    for (guint i = 0; list != NULL && list[i] != NULL; i++)
        json_builder_add_string_value(b, list[i]);
    json_builder_end_array(b);
}

void
vh_cli_check_to_json(JsonBuilder *b, const VhPolicyCheck *c)
{
    json_builder_begin_object(b);
    vh_cli_json_string_or_null(b, "id", c->id);
    vh_cli_json_string_or_null(b, "subject", c->subject);
    vh_cli_json_string_or_null(b, "status", c->passed ? "pass" : "fail");
    vh_cli_json_string_or_null(b, "reason", c->reason);
    vh_cli_json_string_or_null(b, "fix", c->fix);
    json_builder_end_object(b);
}

void
vh_cli_json_time(JsonBuilder *b, const char *member, gint64 unix_time)
{
    g_autoptr(GDateTime) t = unix_time > 0 ? g_date_time_new_from_unix_local(unix_time) : NULL;
    g_autofree char *text = t != NULL ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%S%:z") : NULL;

    vh_cli_json_string_or_null(b, member, text);
}

void
vh_cli_outcome(const char *address, const char *outcome, const char *driver, const char *domain,
               JsonNode *details, const char *fmt, ...)
{
    g_autofree char *text = NULL;
    g_autoptr(JsonBuilder) b = NULL;
    va_list ap;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (!said.json) {
        printf("%s\n", text);
        if (details != NULL)
            json_node_unref(details);
        return;
    }
    b = json_builder_new();
    json_builder_begin_object(b);
    vh_cli_json_string_or_null(b, "address", address);
    vh_cli_json_string_or_null(b, "outcome", outcome);
    vh_cli_json_string_or_null(b, "driver", driver);
    vh_cli_json_string_or_null(b, "domain", domain);
    vh_cli_json_string_or_null(b, "message", text);
    json_builder_set_member_name(b, "details");
    if (details != NULL)
        json_builder_add_value(b, details); /* taken */
    else
        json_builder_add_null_value(b);
    json_builder_end_object(b);
    if (said.outcomes == NULL)
        said.outcomes = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
    g_ptr_array_add(said.outcomes, json_builder_get_root(b));
}

void
vh_cli_say(const char *fmt, ...)
{
    va_list ap;

    if (said.json)
        return;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

/* @member: the messages said so far that are (not) warnings, each {"subject", "reason", "fix"} */
static JsonNode *
messages_node(gboolean warnings)
{
    JsonArray *a = json_array_new();
    JsonNode *node = json_node_new(JSON_NODE_ARRAY);

    for (guint i = 0; said.messages != NULL && i < said.messages->len; i++) {
        const Message *m = g_ptr_array_index(said.messages, i);
        JsonObject *o;

        if (m->warning != warnings)
            continue;
        o = json_object_new();
        if (m->subject != NULL)
            json_object_set_string_member(o, "subject", m->subject);
        else
            json_object_set_null_member(o, "subject");
        json_object_set_string_member(o, "reason", m->reason);
        if (m->fix != NULL)
            json_object_set_string_member(o, "fix", m->fix);
        else
            json_object_set_null_member(o, "fix");
        json_array_add_object_element(a, o);
    }
    json_node_take_array(node, a);
    return node;
}

/*
 * The printed document is the last thing a verb makes before it exits. Freeing a tree of
 * thousands of nodes node by node cost a fifth of `list --json`'s time on a large host, so it
 * is left, still referenced here, for the exit to reclaim (as git's UNLEAK does; leak checkers
 * see it as reachable).
 */
static JsonNode *printed_document;

void
vh_cli_json_begin(JsonBuilder *b)
{
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "version");
    json_builder_add_int_value(b, VH_JSON_VERSION);
}

/* Prints @root, an object that vh_cli_json_begin() opened (taken), as the JSON v1 document,
 * "warnings" and "errors" added at its end (not a copy: a large host's list is big). */
static void
print_document(JsonNode *root)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    JsonObject *doc = json_node_get_object(root);
    g_autofree char *text = NULL;

    json_object_set_member(doc, "warnings", messages_node(TRUE));
    json_object_set_member(doc, "errors", messages_node(FALSE));
    /* indented for a person at a terminal; compact (and cheaper) for a script's pipe */
    if (isatty(STDOUT_FILENO)) {
        json_generator_set_pretty(gen, TRUE);
        json_generator_set_indent(gen, 2);
    }
    json_generator_set_root(gen, root);
    text = json_generator_to_data(gen, NULL);
    fputs(text, stdout);
    fputc('\n', stdout);
    if (printed_document != NULL)
        json_node_unref(printed_document);
    printed_document = root;
    said.printed = TRUE;
}

void
vh_cli_print_json(JsonBuilder *b)
{
    print_document(json_builder_get_root(b));
}

void
vh_cli_json_finish(const char *verb, int exit_code)
{
    g_autoptr(JsonBuilder) b = NULL;

    if (!said.json || said.printed)
        return;
    /* a verb that changes the host, or one that failed before it had an answer */
    b = json_builder_new();
    vh_cli_json_begin(b);
    vh_cli_json_string_or_null(b, "command", verb);
    vh_cli_json_bool(b, "ok", exit_code == VH_EXIT_OK);
    json_builder_set_member_name(b, "devices");
    json_builder_begin_array(b);
    for (guint i = 0; said.outcomes != NULL && i < said.outcomes->len; i++)
        json_builder_add_value(b, json_node_ref(g_ptr_array_index(said.outcomes, i)));
    json_builder_end_array(b);
    json_builder_end_object(b);
    print_document(json_builder_get_root(b));
}
