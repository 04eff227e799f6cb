/* vfio-handoff: who holds which device — running VMs, the journal — and whether they still do */
#pragma once

#include <glib.h>

#include "vh-host-usage.h"
#include "vh-host.h"
#include "vh-journal.h"

G_BEGIN_DECLS

/* Whether the holder of a device is still there: the one rule every verb and the hook use. */
typedef enum {
    VH_HOLDER_RUNNING,  /* its process runs */
    VH_HOLDER_STARTING, /* a domain between prepare and `started`: no pid yet, held */
    VH_HOLDER_BY_HAND,  /* detached by hand: held until `reattach`, usable by any domain */
    VH_HOLDER_GONE,     /* its process is gone: stale, to take over or recover */
    VH_HOLDER_UNPLUGGED, /* its domain runs, but without the device: unplugged live (virsh
                          * detach-device --live), its libvirt status no longer lists it;
                          * stale like a gone one */
} VhHolderState;

typedef struct {
    char *device;      /* the PCI device held */
    char *domain_name; /* the libvirt domain, or NULL (a vfio user that is not one, by hand) */
    int pid;           /* the QEMU (or other) process; 0 when not known */
    VhHolderState state;
    char *via; /* how it was seen: "/dev/vfio/7", or VH_HOLDER_VIA_JOURNAL */
    char *comm; /* the process's name, when it was seen by an open node */
} VhHolder;

#define VH_HOLDER_VIA_JOURNAL "journal" /* a journal record names it, not an open node */

void vh_holder_free(VhHolder *holder);

/* Whether the holder is still there: a gone one is stale and may be taken over. */
static inline gboolean
vh_holder_is_alive(const VhHolder *holder)
{
    return holder->state != VH_HOLDER_GONE && holder->state != VH_HOLDER_UNPLUGGED;
}

/* The state of the holder a journal record names (its owner, its QEMU pid in /proc, and, while
 * that runs, whether libvirt's status of the domain still lists the device). */
VhHolderState vh_holder_state_of_record(const VhHost *host, const VhJournalRecord *record);

/* Whether process @pid runs on @host (its /proc entry exists). */
gboolean vh_host_pid_alive(const VhHost *host, int pid);

/* The QEMU pid libvirt wrote for a running @domain (RUN/libvirt/qemu/NAME.pid), or 0. */
int vh_holders_libvirt_pid(const VhHost *host, const char *domain);

/*
 * The devices whose IOMMU group node (/dev/vfio/N) a process holds open, with the libvirt
 * domain it runs (QEMU's "-name guest=NAME"). Reads /proc/PID/cmdline of those processes only.
 */
GPtrArray *vh_holders_from_processes(const VhHost *host, const VhHostUsage *usage);

/*
 * The one rule before any device goes back to a host driver: the processes that hold its IOMMU
 * group open now (the group's /dev/vfio/N, and the device's iommufd node /dev/vfio/devices/vfioN,
 * known by what the open file is, never by its name), each with its name and the domain it runs.
 * Empty when none does; NULL with @error set when the host's processes cannot all be read.
 */
GPtrArray *vh_holders_of_device_now(const VhHost *host, const char *address, GError **error);

/* The domain, other than @exclude, that libvirt runs or starts with @address as a PCI hostdev,
 * by its status files (RUN/libvirt/qemu/NAME.xml, written when its QEMU is spawned and removed
 * before its release hook runs); NULL when none does. */
char *vh_holders_libvirt_status_user(const VhHost *host, const char *address, const char *exclude);

/* "process 4242 (qemu-system-x86) of the domain 'win11', through /dev/vfio/7" */
char *vh_holder_text(const VhHolder *holder);

/* What to do before the device can go back: stop that domain (or process) first, then @then
 * (a command, or NULL). */
char *vh_holder_fix(const VhHolder *holder, const char *then);

/* Adds to @holders (VhHolder *) the holder each journal record names. */
void vh_holders_add_journal(GPtrArray *holders, const VhHost *host, const GPtrArray *records);

/* libvirt's QEMU argument "guest=NAME,debug-threads=on" (commas in NAME doubled) -> NAME */
char *vh_holders_guest_name(const char *name_arg);

G_END_DECLS
