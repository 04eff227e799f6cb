/* vfio-handoff: which running VMs hold which devices */
#pragma once

#include <glib.h>

#include "vh-host-usage.h"
#include "vh-host.h"

G_BEGIN_DECLS

typedef struct {
    char *device;      /* the PCI device held */
    char *domain_name; /* the libvirt domain, or NULL for a vfio user that is not one */
    int pid;           /* the QEMU (or other) process */
    gboolean alive;    /* the process runs; a dead holder is stale and may be taken over */
    char *via;         /* how it was seen: "/dev/vfio/7", or the journal (issue: the hook) */
} VhHolding;

void vh_holding_free(VhHolding *holding);

/*
 * The devices whose IOMMU group node (/dev/vfio/N) a process holds open, with the libvirt
 * domain it runs (QEMU's "-name guest=NAME"). Reads /proc/PID/cmdline of those processes only.
 */
GPtrArray *vh_holdings_from_processes(const VhHost *host, const VhHostUsage *usage);

/* libvirt's QEMU argument "guest=NAME,debug-threads=on" (commas in NAME doubled) -> NAME */
char *vh_holdings_guest_name(const char *name_arg);

G_END_DECLS
