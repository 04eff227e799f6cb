/* vfio-handoff: what the host itself depends on, traced to PCI devices */
#pragma once

#include <glib.h>

#include "vh-host.h"
#include "vh-inventory.h"

G_BEGIN_DECLS

typedef enum {
    VH_USE_MOUNT,         /* a filesystem on it is mounted */
    VH_USE_SWAP,          /* swap on it is active */
    VH_USE_DEFAULT_ROUTE, /* a default route leaves through it */
    VH_USE_CONSOLE,       /* it is the boot VGA and a framebuffer console is bound */
    VH_USE_OPEN_NODE,     /* a process holds one of its device nodes open */
    VH_USE_NETDEV_UP,     /* one of its netdevs is up with an address */
} VhUseKind;

typedef struct {
    VhUseKind kind;
    char *device;    /* the PCI device it is traced to */
    gboolean direct; /* the device nearest the resource; FALSE for a bridge above it */
    char *subject;   /* "/dev/sda1", "enp3s0", "fb0", "/dev/dri/card0" */
    char *detail;    /* "/mnt/usb", "br0", "Xorg (pid 1234)" */
    int pid;         /* the process holding an open node; 0 otherwise */
} VhUse;

typedef struct {
    GPtrArray *uses;             /* VhUse *, owned */
    GHashTable *by_device;       /* address -> GPtrArray of VhUse * (borrowed) */
    gboolean processes_complete; /* FALSE when some process's files could not be read */
} VhHostUsage;

/* Host-critical uses make a device and its group unsafe to hand off. */
static inline gboolean
vh_use_is_critical(const VhUse *use)
{
    return use->kind == VH_USE_MOUNT || use->kind == VH_USE_SWAP ||
           use->kind == VH_USE_DEFAULT_ROUTE || use->kind == VH_USE_CONSOLE;
}

/*
 * Reads mounts and swaps (through dm/md slaves and partitions to their controllers), default
 * routes (through bridges, bonds and VLANs to their NICs), the framebuffer console, up netdevs
 * with addresses, and every process's open device nodes. Best effort: a fact that cannot be
 * read is left out, and processes_complete says when process files were unreadable.
 */
VhHostUsage *vh_host_usage_collect(const VhHost *host, const VhInventory *inv, GError **error);
void vh_host_usage_free(VhHostUsage *usage);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhHostUsage, vh_host_usage_free)

/* The uses traced to @device; NULL when none. */
GPtrArray *vh_host_usage_for(const VhHostUsage *usage, const char *device);

/* A sentence for people: "/dev/sda1 is mounted at /mnt/usb". */
char *vh_use_describe(const VhUse *use);

const char *vh_use_kind_to_string(VhUseKind kind);

G_END_DECLS
