/* vfio-handoff CLI: what the verbs share */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "vh-bind.h"
#include "vh-policy-answer.h"
#include "vh-policy.h"
#include "vh-snapshot.h"

G_BEGIN_DECLS

/* DESIGN §7: exit 0 ok, 1 failed, 2 usage */
#define VH_EXIT_OK 0
#define VH_EXIT_FAILED 1
#define VH_EXIT_USAGE 2

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the verb */
    gboolean hidden;
} VhCommand;

int vh_cmd_list(int argc, char **argv);
int vh_cmd_groups(int argc, char **argv);
int vh_cmd_show(int argc, char **argv);
int vh_cmd_check(int argc, char **argv);
int vh_cmd_policy(int argc, char **argv);
int vh_cmd_export(int argc, char **argv);
int vh_cmd_plan(int argc, char **argv);
int vh_cmd_enable(int argc, char **argv);
int vh_cmd_disable(int argc, char **argv);
int vh_cmd_add(int argc, char **argv);
int vh_cmd_remove(int argc, char **argv);
int vh_cmd_domains(int argc, char **argv);
int vh_cmd_status(int argc, char **argv);
int vh_cmd_detach(int argc, char **argv);
int vh_cmd_reattach(int argc, char **argv);
int vh_cmd_recover(int argc, char **argv);
int vh_cmd_complete(int argc, char **argv);

/* Prints the visible verbs starting with @prefix, one per line (for completion). */
void vh_cli_list_verbs(const char *prefix);

/* The version of the JSON documents (vfio-handoff(8) JSON; the schemas in
 * /usr/share/vfio-handoff/schema/): every document's "version" member. */
#define VH_JSON_VERSION 1

/* "vfio-handoff: MESSAGE" on stderr, MESSAGE in the grammar "[warning: ]THING: REASON (fix:
 * FIX)"; kept too, for the "warnings" and "errors" of the JSON document. */
void vh_cli_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* @message (in the grammar) with @other as one more way to fix it: "...(fix: FIX; or OTHER)". */
char *vh_cli_message_or(const char *message, const char *other);

/* --json: the verb answers with one JSON document on stdout, and prints nothing else there. */
void vh_cli_set_json(gboolean json);
gboolean vh_cli_is_json(void);

/* A line for a person (printf), said only without --json. */
void vh_cli_say(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/*
 * What a verb that changes the host did to one device: printed as the line @fmt says, or with
 * --json kept as {"address", "outcome", "driver", "domain", "message", "details"} for the
 * document's "devices". @outcome is a word ("enabled", "given-back", "kept", ...); @details is
 * a JSON object (taken) or NULL.
 */
void vh_cli_outcome(const char *address, const char *outcome, const char *driver,
                    const char *domain, JsonNode *details, const char *fmt, ...)
    G_GNUC_PRINTF(6, 7);

/* With --json, when the verb printed no document (it changes the host, or failed first): prints
 * {"version", "command", "ok", "devices", "warnings", "errors"}. Called by main() at the end. */
void vh_cli_json_finish(const char *verb, int exit_code);

/* Opens the object of a JSON v1 document: {"version": 1, ... (vh_cli_print_json() closes it with
 * the warnings and errors). */
void vh_cli_json_begin(JsonBuilder *b);

/* @member: an RFC 3339 time with its zone ("2026-12-05T14:12:07+01:00"), or null for 0 */
void vh_cli_json_time(JsonBuilder *b, const char *member, gint64 unix_time);

/* What `status` and `recover` say of a journal file that is not a readable record. */
char *vh_cli_unreadable_text(const VhHost *host, const VhJournalUnreadable *u);

/* "parked on vfio-pci: ...; left by ... (fix: ...)" for a parked device (lib/host/vh-parked.h), else
 * NULL: the one sentence list, show and status print */
char *vh_cli_parked_text(const VhSnapshot *snap, const VhPciDevice *dev);

/* The reset @dev has: for list, its first method with '?' when it may not reset cleanly
 * ("bus?"), or "none"; for show, every method and what that means. */
char *vh_cli_reset_brief(const VhPciDevice *dev);
char *vh_cli_reset_text(const VhPciDevice *dev);

/* A parked device's JSON members: "left_by" (@left_by, from vh_parked_check), "fix",
 * "message". */
void vh_cli_parked_members(JsonBuilder *b, const char *address, const char *left_by);

/* Says it on stderr for each of @unreadable (VhJournalUnreadable *): never dropped, each may
 * hide a device left on vfio-pci. Returns how many. */
guint vh_cli_report_unreadable(const VhHost *host, const GPtrArray *unreadable);

/*
 * Parses a verb's options with its own --help. Returns -1 to go on, or the exit code to return
 * (0 after --help, 2 on a usage error, which is reported).
 */
int vh_cli_parse_options(GOptionContext *ctx, int *argc, char ***argv);

/* Whether a verb that takes no arguments got none; reports the first one otherwise, with @fix
 * (NULL: its --help). */
gboolean vh_cli_no_arguments(int argc, char **argv, const char *fix);

/*
 * Whether this user may write @dir (or, while it does not exist, its nearest parent that does),
 * the directory a write verb changes: else says "VERB: must be run as root ..." with the
 * command line under sudo as the fix. Called before anything is written.
 */
gboolean vh_cli_may_write(const char *dir);

/* The exit code of a failure to name a device: a malformed DEVICE is a usage error (2) in
 * every verb, a device that is not there or an ambiguous ID a failure (1). */
int vh_cli_device_error_exit(const GError *error);

/* The address @arg names, in @address: itself when it is an address (present or not), else the
 * one present device its vendor:device ID matches (*@inv is loaded on first need, freed by the
 * caller). Reports a failure and returns its exit code (vh_cli_device_error_exit), or 0. */
int vh_cli_device_address(const VhHost *host, const char *arg, VhInventory **inv,
                          char *address);

/* A verb's option context: "vfio-handoff VERB ARGS" with a summary and a description. */
GOptionContext *vh_cli_option_context(const char *verb, const char *args, const char *summary,
                                      const char *description, const GOptionEntry *entries);

/* The host as a verb sees it: its policy and one snapshot, each read once. The view owns all
 * four; the snapshot borrows the host, the answers borrow the snapshot and the policy. */
typedef struct {
    VhHost *host;
    VhPolicy *policy;
    VhSnapshot *snap;
    GHashTable *answers; /* address -> VhDeviceAnswer *, made when first asked */
} VhCliView;

/* The host of the environment (VH_ROOT), or @host (taken, freed on failure too). */
VhCliView *vh_cli_view_load(VhSnapshotFlags flags, GError **error);
VhCliView *vh_cli_view_new(VhHost *host, VhSnapshotFlags flags, GError **error);

/* vh_cli_view_load(), reporting a failure on stderr (the caller exits 1 on NULL). */
VhCliView *vh_cli_view_load_or_report(VhSnapshotFlags flags);

/* Opens the JSON document of an inventory verb: {"iommu_groups": BOOL, "@member": [ ... */
void vh_cli_json_begin_inventory(JsonBuilder *b, const VhCliView *view, const char *member);

/* Closes what vh_cli_json_begin_inventory() opened, and prints the document. */
void vh_cli_json_end_inventory(JsonBuilder *b);
void vh_cli_view_free(VhCliView *view);

/* What the hook's evaluation says of @dev alone (policy/vh-policy-answer.h), made once per
 * view: the one answer list, show and groups give. */
const VhDeviceAnswer *vh_cli_view_answer(const VhCliView *view, const VhPciDevice *dev);

/* A failed check as said of @dev: its reason, after its subject when that is not @dev ("host:
 * the policy has errors ..."); no fix. */
char *vh_cli_reason_text(const VhPolicyCheck *c, const VhPciDevice *dev);

/* A check (JSON v1's one shape for it): {"id", "subject", "status", "reason", "fix"}. */
void vh_cli_check_to_json(JsonBuilder *b, const VhPolicyCheck *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhCliView, vh_cli_view_free)

/* What a verb that moves devices between drivers holds, and owns: the host, its policy, the
 * journal lock, and the writer (bounded by step-timeout). */
typedef struct VhCliChange {
    VhHost *host;
    VhPolicy *policy;
    struct VhJournalLock *lock;
    VhWriter writer;
} VhCliChange;

/* Takes the journal lock (waiting up to 30 s), once vh_cli_may_write() of the journal's directory
 * holds; reports a failure on stderr and returns NULL. */
VhCliChange *vh_cli_change_begin(void);
void vh_cli_change_end(VhCliChange *change);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhCliChange, vh_cli_change_end)

/* Device fields common to list and show; @detailed adds everything show knows. */
void vh_cli_device_to_json(JsonBuilder *b, const VhCliView *view, const VhPciDevice *dev,
                           gboolean detailed);

/* "yes" (enabled), "no" (disabled by a section), "-" (no section names it) */
const char *vh_cli_policy_state(const VhCliView *view, const VhPciDevice *dev);

/* Prints the object @b built as the verb's JSON v1 document on stdout with a final newline:
 * "version" first, then its members, then "warnings" and "errors" (the messages said); indented
 * on a terminal, compact otherwise. */
void vh_cli_print_json(JsonBuilder *b);

/* A member of a JSON object holding a string or null. */
void vh_cli_json_string_or_null(JsonBuilder *b, const char *member, const char *value);

/* A member of a JSON object holding a boolean. */
void vh_cli_json_bool(JsonBuilder *b, const char *member, gboolean value);

/* @member: an array of the strings of @list (NULL-terminated; NULL: empty) */
void vh_cli_json_strv(JsonBuilder *b, const char *member, char **list);

G_END_DECLS
