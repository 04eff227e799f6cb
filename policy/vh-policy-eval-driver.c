/* vfio-handoff policy: which VFIO driver each device handed off goes to. The policy's
 * vfio-driver= and the domain's <driver model='...'/> say it, and must agree when both do;
 * else the variant driver libvirt would pick (modules.alias, read into the snapshot), else
 * vfio-pci. Pure, as the evaluation is. */
#include "config.h"

#include <string.h>

#include "vh-error.h"
#include "vh-kernel-abi.h"
#include "vh-policy-eval-private.h"
#include "vh-vfio-driver.h"

/* the domain's <driver model> for @dev: the fix that changes it */
static char *
model_fix(const VhDomainDef *dom)
{
    g_autofree char *word = vh_error_shell_word(dom->name);

    return g_strdup_printf("correct or remove model= of the hostdev's <driver> with 'virsh edit "
                           "%s'",
                           word);
}

static void
choose(Eval *ev, const VhPciDevice *dev)
{
    const VhDomainDef *dom = ev->f->domain;
    const VhPolicyDevice *pd = vh_policy_device_for(ev->f->policy, dev);
    const char *pinned = pd != NULL ? pd->vfio_driver : NULL;
    const char *model = dom != NULL ? vh_domain_def_driver_model(dom, dev->name) : NULL;
    const char *driver, *why = NULL;

    if (model != NULL && !vh_vfio_driver_is_vfio(model)) {
        FAIL(ev, VH_CHECK_DEVICE, "vfio-driver", dev->name, model_fix(dom),
             "the domain asks for <driver model='%s'>, which is no VFIO driver", model);
        return;
    }
    if (model != NULL && pinned != NULL && strcmp(model, pinned) != 0) {
        g_autofree char *fix = model_fix(dom);

        FAIL(ev, VH_CHECK_DEVICE, "vfio-driver", dev->name,
             g_strdup_printf("make them agree: %s, or change vfio-driver= in [device %s] of %s",
                             fix, pd->spec, pd->file),
             "the domain asks for <driver model='%s'>, and the policy pins vfio-driver=%s", model,
             pinned);
        return;
    }
    if (model != NULL && pinned == NULL) {
        g_hash_table_insert(ev->e->vfio_drivers, g_strdup(dev->name), g_strdup(model));
        PASS(ev, VH_CHECK_DEVICE, "vfio-driver", dev->name,
             "handed to %s, as the domain's <driver model> says", model);
        return;
    }
    driver = vh_policy_vfio_driver(ev->f->policy, ev->f->snap, dev, &why);
    g_hash_table_insert(ev->e->vfio_drivers, g_strdup(dev->name), g_strdup(driver));
    PASS(ev, VH_CHECK_DEVICE, "vfio-driver", dev->name, "handed to %s, %s", driver, why);
}

const char *
vh_policy_vfio_driver(const VhPolicy *policy, const VhSnapshot *snap, const VhPciDevice *dev,
                      const char **why)
{
    const VhPolicyDevice *pd = vh_policy_device_for(policy, dev);
    const char *variant;

    if (pd != NULL && pd->vfio_driver != NULL) {
        *why = "as vfio-driver= in the policy says";
        return pd->vfio_driver;
    }
    if ((variant = vh_vfio_variant_pick(snap->vfio_aliases, dev)) != NULL) {
        *why = "the VFIO variant driver the kernel's modules.alias names for it (as libvirt "
               "picks one)";
        return variant;
    }
    *why = "as no VFIO variant driver matches it";
    return VH_MODULE_VFIO_PCI;
}

void
vh_eval_choose_drivers(Eval *ev)
{
    for (guint i = 0; i < ev->e->handoff->len; i++)
        choose(ev, g_ptr_array_index(ev->e->handoff, i));
}
