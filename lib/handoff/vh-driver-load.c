/* vfio-handoff: registering the VFIO driver a handoff binds to (vh-driver-load.h) */
#include "config.h"

#include <string.h>

#include <dlfcn.h>
#include <libkmod.h>

#include "vh-driver-load.h"
#include "vh-error.h"
#include "vh-kernel-abi.h"
#include "vh-sysfs.h"
#include "vh-vfio-driver.h"

/*
 * libkmod, loaded when a VFIO driver must be: it links libcrypto, whose relocation every run of
 * the CLI and the hook engine would otherwise pay (~1 ms) to load a module once per boot.
 */
typedef struct {
    typeof(kmod_new) *new_ctx;
    typeof(kmod_unref) *unref_ctx;
    typeof(kmod_module_new_from_name) *module_new_from_name;
    typeof(kmod_module_probe_insert_module) *module_probe_insert_module;
    typeof(kmod_module_unref) *module_unref;
} Kmod;

/* FALSE, with why in *@why, when libkmod cannot be had */
static gboolean
kmod_load(Kmod *k, char **why)
{
    void *lib = dlopen("libkmod.so.2", RTLD_NOW | RTLD_LOCAL);

    if (lib == NULL || (k->new_ctx = (typeof(k->new_ctx))dlsym(lib, "kmod_new")) == NULL ||
        (k->unref_ctx = (typeof(k->unref_ctx))dlsym(lib, "kmod_unref")) == NULL ||
        (k->module_new_from_name =
             (typeof(k->module_new_from_name))dlsym(lib, "kmod_module_new_from_name")) == NULL ||
        (k->module_probe_insert_module = (typeof(k->module_probe_insert_module))dlsym(
             lib, "kmod_module_probe_insert_module")) == NULL ||
        (k->module_unref = (typeof(k->module_unref))dlsym(lib, "kmod_module_unref")) == NULL) {
        *why = g_strdup_printf("libkmod, which loads it, cannot be loaded, %s", dlerror());
        return FALSE;
    }
    return TRUE; /* the library stays loaded */
}

/* modprobe @module, through libkmod: NULL, or why it cannot be loaded */
static char *
load_module(const char *module)
{
    char *why = NULL;
    struct kmod_ctx *ctx;
    struct kmod_module *mod = NULL;
    Kmod k;
    int r;

    if (!kmod_load(&k, &why))
        return why;
    if ((ctx = k.new_ctx(NULL, NULL)) == NULL)
        return g_strdup("libkmod found no module directory");
    r = k.module_new_from_name(ctx, module, &mod);
    if (r == 0)
        r = k.module_probe_insert_module(mod, 0, NULL, NULL, NULL, NULL);
    if (mod != NULL)
        k.module_unref(mod);
    k.unref_ctx(ctx);
    return r < 0 ? g_strdup_printf("the kernel module cannot be loaded, %s", g_strerror(-r)) : NULL;
}

/* the fix for a variant driver that cannot be had: plain vfio-pci, knowingly */
static const char *
without(const char *module)
{
    return strcmp(module, VH_MODULE_VFIO_PCI) == 0
               ? "run 'modprobe vfio-pci' to see why, and 'vfio-handoff check'"
               : "install the module, or set vfio-driver=vfio-pci in the device's [device] "
                 "section to use plain vfio-pci without the variant's features";
}

gboolean
vh_driver_ensure(const VhHost *host, const char *module, const VhWriter *w, char **driver,
                 GError **error)
{
    g_autofree char *why = NULL;
    gint64 deadline;

    if ((*driver = vh_vfio_driver_registered(host, module)) != NULL)
        return TRUE;
    if (w->steps != NULL) {
        vh_step_record(w, VH_STEP_LOAD_MODULE, NULL, module, NULL);
        *driver = g_strdup(module);
        return TRUE;
    }
    if (!host->is_system) {
        g_set_error(error, VH_ERROR, VH_ERROR_UNSUPPORTED,
                    "%s: not registered in '%s', and a test host loads no modules (fix: list %s "
                    "in drivers= of the fake host's [host])",
                    module, host->sysfs, module);
        return FALSE;
    }
    if ((why = load_module(module)) != NULL) {
        g_set_error(error, VH_ERROR, VH_ERROR_UNSUPPORTED, "%s: %s (fix: %s)", module, why,
                    without(module));
        return FALSE;
    }
    /* the driver registers during module init */
    deadline = g_get_monotonic_time() + (gint64)w->timeout_ms * 1000;
    while ((*driver = vh_vfio_driver_registered(host, module)) == NULL &&
           g_get_monotonic_time() < deadline)
        g_usleep(2000);
    if (*driver != NULL)
        return TRUE;
    g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                "%s: the module was loaded but registered no PCI driver in '%s' (fix: %s)", module,
                host->sysfs, without(module));
    return FALSE;
}
