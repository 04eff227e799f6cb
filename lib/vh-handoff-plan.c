/* vfio-handoff: the detach steps — Documentation/ABI/testing/sysfs-bus-pci and
 * ../shared/notes/sysfs-abi.md for what each write does */
#include "config.h"

#include "vh-handoff-plan.h"
#include "vh-sysfs.h"

void
vh_step_free(VhStep *step)
{
    g_free(step->device);
    g_free(step->path);
    g_free(step->value);
    g_free(step);
}

static void
add(GPtrArray *steps, VhStepKind kind, const char *device, char *path, const char *value)
{
    VhStep *s = g_new0(VhStep, 1);

    s->kind = kind;
    s->device = g_strdup(device);
    s->path = path;
    s->value = g_strdup(value);
    g_ptr_array_add(steps, s);
}

GPtrArray *
vh_handoff_plan_detach(const VhHost *host, const GPtrArray *devices)
{
    GPtrArray *steps = g_ptr_array_new_with_free_func((GDestroyNotify)vh_step_free);
    g_autofree char *vfio_driver = vh_host_sysfs_path(host, "bus/pci/drivers/vfio-pci");

    if (devices->len > 0 && !vh_sysfs_exists(vfio_driver))
        add(steps, VH_STEP_LOAD_MODULE, NULL, g_strdup("vfio-pci"), NULL);
    for (guint i = 0; i < devices->len; i++) {
        const VhPciDevice *d = g_ptr_array_index((GPtrArray *)devices, i);
        g_autofree char *dev = g_strconcat("bus/pci/devices/", d->name, NULL);
        g_autofree char *group = g_strdup_printf("vfio/%d", d->iommu_group);

        add(steps, VH_STEP_WRITE, d->name, g_strconcat(host->sysfs, "/", dev, "/driver_override", NULL),
            "vfio-pci");
        if (d->driver != NULL)
            add(steps, VH_STEP_WRITE, d->name,
                g_strdup_printf("%s/bus/pci/drivers/%s/unbind", host->sysfs, d->driver), d->name);
        add(steps, VH_STEP_WRITE, d->name, vh_host_sysfs_path(host, "bus/pci/drivers_probe"),
            d->name);
        add(steps, VH_STEP_VERIFY_LINK, d->name, g_strconcat(host->sysfs, "/", dev, "/driver", NULL),
            "vfio-pci");
        add(steps, VH_STEP_VERIFY_NODE, d->name, vh_host_dev_path(host, group), NULL);
    }
    return steps;
}

char *
vh_step_describe(const VhStep *step)
{
    switch (step->kind) {
    case VH_STEP_LOAD_MODULE:
        return g_strdup_printf("load the %s kernel module", step->path);
    case VH_STEP_WRITE:
        return g_strdup_printf("write '%s' to %s", step->value, step->path);
    case VH_STEP_VERIFY_LINK:
        return g_strdup_printf("verify %s -> %s", step->path, step->value);
    case VH_STEP_VERIFY_NODE:
        return g_strdup_printf("verify %s exists", step->path);
    }
    g_assert_not_reached();
}

const char *
vh_step_kind_to_string(VhStepKind kind)
{
    switch (kind) {
    case VH_STEP_LOAD_MODULE:
        return "load-module";
    case VH_STEP_WRITE:
        return "write";
    case VH_STEP_VERIFY_LINK:
        return "verify-link";
    case VH_STEP_VERIFY_NODE:
        return "verify-node";
    }
    g_assert_not_reached();
}
