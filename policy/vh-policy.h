/* vfio-handoff policy: what the administrator allows (DESIGN §3) */
#pragma once

#include <glib.h>

#include "vh-host.h"
#include "vh-inventory.h"
#include "vh-pci-address.h"
#include "vh-pci-device.h"

G_BEGIN_DECLS

#define VH_POLICY_MAIN_FILE "vfio-handoff.conf"
#define VH_POLICY_DROPIN_DIR "conf.d"

typedef enum {
    VH_LOCK_MEMORY_REQUIRED, /* <memoryBacking><locked/> */
    VH_LOCK_MEMORY_LIMIT,    /* <locked/>, or a hard limit >= memory + overhead */
    VH_LOCK_MEMORY_OFF,      /* not checked */
} VhLockMemory;

typedef enum {
    VH_ISSUE_ERROR,   /* a value or file that cannot be used */
    VH_ISSUE_UNKNOWN, /* an unknown section or key: an error for `policy validate`, a warning
                         for the hook */
} VhIssueSeverity;

typedef struct {
    VhIssueSeverity severity;
    char *file;
    int line; /* 0: the whole file */
    char *message;
} VhPolicyIssue;

typedef struct {
    char *spec; /* as written after "device " */
    gboolean has_address;
    char address[VH_PCI_ADDRESS_BUFSIZE];
    gboolean has_ids;
    guint16 vendor_id, device_id;
    gboolean enabled;
    char **domains; /* NULL: any domain */
    gboolean has_identity;
    gboolean identity_has_subsystem;
    guint16 identity[4]; /* vendor, device, subsystem vendor, subsystem device */
    /* an SR-IOV VF, pinned as which VF of which PF it is: VF addresses move when the PF's VF
     * count changes, and all its VFs share one identity (vf-of, vf-index, pf-identity) */
    gboolean has_vf;
    char vf_of[VH_PCI_ADDRESS_BUFSIZE];
    int vf_index;
    gboolean pf_identity_has_subsystem;
    guint16 pf_identity[4];
    /* console-handoff=true: the boot VGA may be handed off while it carries the host's console;
     * its framebuffer console and firmware framebuffer are released at start, restored at stop */
    gboolean console_handoff;
    /* vfio-driver=: the VFIO driver to hand it to (vfio-pci, or a variant such as
     * mlx5_vfio_pci); NULL (auto): the variant libvirt would pick, else vfio-pci */
    char *vfio_driver;
    char *file;
    int line;
} VhPolicyDevice;

typedef struct {
    char *name;
    int max_devices; /* -1: the [domain *] default */
} VhPolicyDomain;

typedef struct {
    gboolean enabled;
    int max_active_devices;
    VhLockMemory lock_memory;
    guint64 memory_reserve;  /* bytes */
    guint64 memory_overhead; /* bytes */
    guint64 step_timeout_ms;
    gboolean refuse_migration;
    int default_max_devices; /* [domain *] max-devices */
    GPtrArray *domains;      /* VhPolicyDomain *, [domain NAME] sections */
    GPtrArray *devices;      /* VhPolicyDevice * */
    GPtrArray *issues;       /* VhPolicyIssue *, in the order found */
    GPtrArray *files;        /* the files read, in order (char *) */
} VhPolicy;

/* The built-in defaults of DESIGN §3, with no device enabled. */
VhPolicy *vh_policy_new(void);
void vh_policy_free(VhPolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhPolicy, vh_policy_free)

/*
 * Reads CONFIG/vfio-handoff.conf, then CONFIG/conf.d/ *.conf in name order; later files
 * override earlier keys. Never fails: a missing main file is fine, and every problem (syntax,
 * type, unknown key, insecure file, duplicate device) becomes an issue with file and line. A
 * file that is not owned by the host's config owner (root) or is writable by group or others is
 * ignored whole.
 */
VhPolicy *vh_policy_load(const VhHost *host);

/* Reads one file alone (for `policy validate FILE`), checked against @owner. */
VhPolicy *vh_policy_load_file(const char *path, guint owner);

/* TRUE when an issue is an error (or, with @strict, any issue). */
gboolean vh_policy_has_errors(const VhPolicy *policy, gboolean strict);

/* "FILE:LINE: message" */
char *vh_policy_issue_to_string(const VhPolicyIssue *issue);

/* An issue as the REASON and FIX of a message: "FILE:LINE: MESSAGE" and @then, after the
 * issue's own fix when its message carries one, so that a message has one "(fix: ...)". */
void vh_policy_issue_split(const VhPolicyIssue *issue, const char *then, char **reason, char **fix);

/*
 * The policy for a device: [device VVVV:DDDD ADDRESS] before [device ADDRESS] before
 * [device VVVV:DDDD]. NULL when none names it.
 */
const VhPolicyDevice *vh_policy_device_for(const VhPolicy *policy, const VhPciDevice *dev);

gboolean vh_policy_device_allows_domain(const VhPolicyDevice *pd, const char *domain);

/* The pinned identity as written ("10de:2204:1458:403b" or "10de:2204"); NULL when none. */
char *vh_policy_device_identity(const VhPolicyDevice *pd);

/* The pinned identity of a VF's PF, as written; NULL when @pd pins no VF. */
char *vh_policy_device_pf_identity(const VhPolicyDevice *pd);

/* For a VF that @pd pins as VF vf-index of the PF at vf-of with pf-identity: why @dev is not that
 * VF now (the VFs were renumbered when their count changed, the PF changed), or NULL when it is
 * (or @pd pins no VF). @inventory finds the PF. */
char *vh_policy_vf_mismatch(const VhPolicyDevice *pd, const VhPciDevice *dev,
                            const VhInventory *inventory);

/* Whether @dev still has the identity @pd pins (TRUE when none is pinned). */
gboolean vh_policy_identity_matches(const VhPolicyDevice *pd, const VhPciDevice *dev);

/* max-devices of [domain NAME], else of [domain *] */
int vh_policy_max_devices_for(const VhPolicy *policy, const char *domain);

const char *vh_lock_memory_to_string(VhLockMemory mode);

G_END_DECLS
