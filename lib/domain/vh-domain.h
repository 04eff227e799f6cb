/* vfio-handoff: what a libvirt domain definition says about PCI devices and memory */
#pragma once

#include <glib.h>

#include "vh-domain-size.h"
#include "vh-pci-address.h"

G_BEGIN_DECLS

typedef struct {
    char address[VH_PCI_ADDRESS_BUFSIZE];
    gboolean managed;   /* managed='yes': libvirt's own; vfio-handoff hands off managed='no' */
    char *driver_model; /* <hostdev><driver model='...'/> (libvirt 10.0): the VFIO driver it
                         * asks for, such as mlx5_vfio_pci; NULL: the host's choice */
} VhDomainHostdev;

typedef struct {
    char *name;
    char *uuid;
    guint64 memory_kib;     /* <memory>: the most the guest can have */
    gboolean locked;        /* <memoryBacking><locked/> */
    guint64 hard_limit_kib; /* <memtune><hard_limit>; 0 when absent */
    gboolean hugepages;     /* <memoryBacking><hugepages> */
    guint64 hugepage_kib;   /* its <page size>; 0: the host's default size */
    int status_pid;         /* libvirt's status (vh_domain_def_parse_status): its QEMU's pid,
                             * <domstatus pid='...'>; else 0 */
    GPtrArray *hostdevs;    /* VhDomainHostdev *: the PCI devices it asks for on vfio-pci —
                             * <hostdev>, <interface type='hostdev'>, NVMe <disk> — in document
                             * order */
} VhDomainDef;

/*
 * Parses a domain's XML (at most VH_DOMAIN_XML_MAX bytes; no network, no entity expansion;
 * the root must be <domain>). Errors name what is wrong: the XML, a memory unit, a hostdev
 * address out of range.
 */
VhDomainDef *vh_domain_def_parse(const char *xml, gsize len, GError **error);
/* The definition in a status file libvirt keeps for a running domain (RUN/libvirt/qemu/NAME.xml:
 * <domstatus> around the live <domain>). */
VhDomainDef *vh_domain_def_parse_status(const char *xml, gsize len, GError **error);
VhDomainDef *vh_domain_def_load_file(const char *path, GError **error);
void vh_domain_def_free(VhDomainDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhDomainDef, vh_domain_def_free)

/* The hostdevs vfio-handoff hands off (managed='no'), as addresses. */
GPtrArray *vh_domain_def_unmanaged(const VhDomainDef *def);

/* @address's hostdev in @def (borrowed), or NULL when the domain has none there. */
const VhDomainHostdev *vh_domain_def_hostdev(const VhDomainDef *def, const char *address);

/* The <driver model='...'/> the domain gives @address's hostdev, or NULL. */
const char *vh_domain_def_driver_model(const VhDomainDef *def, const char *address);

/* The hostdevs libvirt detaches and gives back itself (managed='yes'), as addresses. */
GPtrArray *vh_domain_def_managed(const VhDomainDef *def);

G_END_DECLS
