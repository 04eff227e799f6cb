/* vfio-handoff: the host context — every path outside the program starts here */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * One VhHost carries every external root the program reads or writes. Production uses the
 * compiled defaults (/sys, /proc, /dev, ...); tests build a fake tree in a temporary directory
 * and point a VhHost at it. No other code builds a host path from a literal.
 */
typedef struct {
    char *sysfs;       /* /sys */
    char *proc;        /* /proc */
    char *dev;         /* /dev */
    char *run_dir;     /* /run/vfio-handoff: the journal */
    char *config_dir;  /* /etc/vfio-handoff: the policy */
    char *libvirt_hooks_dir; /* /etc/libvirt/hooks */
    char *modules_dir; /* /lib/modules */
    char *libvirt_run_dir; /* /run/libvirt/qemu: QEMU pid files */
    guint config_owner; /* the uid policy files must belong to: root, or whoever owns a fake root */
    gboolean is_system;  /* the running system's roots (modules may be loaded) */
} VhHost;

/* The running system's own roots. */
VhHost *vh_host_new_system(void);

/* Every root below @root (ROOT/sys, ROOT/proc, ROOT/dev, ROOT/run/vfio-handoff, ...). */
VhHost *vh_host_new_rooted(const char *root);

/* vh_host_new_rooted($VH_ROOT) when that test variable is set, else the system's roots. */
VhHost *vh_host_new_from_environment(void);

void vh_host_free(VhHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhHost, vh_host_free)

/* Paths below a root; @rel is relative ("bus/pci/devices"). */
char *vh_host_sysfs_path(const VhHost *host, const char *rel);
char *vh_host_proc_path(const VhHost *host, const char *rel);
char *vh_host_dev_path(const VhHost *host, const char *rel);

G_END_DECLS
