/* vfio-handoff: the sysfs steps that hand devices to vfio-pci (DESIGN §4), as data */
#pragma once

#include <glib.h>

#include "vh-host.h"
#include "vh-pci-device.h"

G_BEGIN_DECLS

typedef enum {
    VH_STEP_LOAD_MODULE, /* load vfio-pci (libkmod) */
    VH_STEP_WRITE,       /* write VALUE to PATH */
    VH_STEP_VERIFY_LINK, /* PATH is a link to .../VALUE */
    VH_STEP_VERIFY_NODE, /* PATH exists */
} VhStepKind;

typedef struct {
    VhStepKind kind;
    char *device; /* NULL for host-wide steps */
    char *path;
    char *value;
} VhStep;

void vh_step_free(VhStep *step);

/* The detach steps for @devices (VhPciDevice *), in order: load vfio-pci if its driver is not
 * registered, then per device: override, unbind from its driver, probe, verify. */
GPtrArray *vh_handoff_plan_detach(const VhHost *host, const GPtrArray *devices);

/* "write 'vfio-pci' to /sys/bus/pci/devices/0000:01:00.0/driver_override" */
char *vh_step_describe(const VhStep *step);

const char *vh_step_kind_to_string(VhStepKind kind);

G_END_DECLS
