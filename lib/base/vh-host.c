/* vfio-handoff: the host context */
#include "config.h"

#include <unistd.h>

#include "vh-host.h"

VhHost *
vh_host_new_system(void)
{
    VhHost *host = g_new0(VhHost, 1);

    host->sysfs = g_strdup("/sys");
    host->proc = g_strdup("/proc");
    host->dev = g_strdup("/dev");
    host->run_dir = g_strdup(VH_RUNSTATEDIR "/vfio-handoff");
    host->config_dir = g_strdup(VH_SYSCONFDIR "/vfio-handoff");
    host->libvirt_hooks_dir = g_strdup(VH_LIBVIRT_HOOKS_DIR);
    host->modules_dir = g_strdup("/lib/modules");
    host->libvirt_run_dir = g_strdup(VH_RUNSTATEDIR "/libvirt/qemu");
    host->config_owner = 0;
    host->is_system = TRUE;
    return host;
}

VhHost *
vh_host_new_rooted(const char *root)
{
    VhHost *host = g_new0(VhHost, 1);

    host->sysfs = g_build_filename(root, "sys", NULL);
    host->proc = g_build_filename(root, "proc", NULL);
    host->dev = g_build_filename(root, "dev", NULL);
    host->run_dir = g_build_filename(root, "run", "vfio-handoff", NULL);
    host->config_dir = g_build_filename(root, "etc", "vfio-handoff", NULL);
    host->libvirt_hooks_dir = g_build_filename(root, "etc", "libvirt", "hooks", NULL);
    host->modules_dir = g_build_filename(root, "lib", "modules", NULL);
    host->libvirt_run_dir = g_build_filename(root, "run", "libvirt", "qemu", NULL);
    /* a fake root belongs to whoever built it; files there are checked against that user */
    host->config_owner = (guint)geteuid();
    return host;
}

VhHost *
vh_host_new_from_environment(void)
{
#if VH_TEST_HOOKS
    const char *root = g_getenv("VH_ROOT");

    if (root != NULL && root[0] != '\0')
        return vh_host_new_rooted(root);
#endif
    return vh_host_new_system(); /* a package's build reads no VH_ROOT (--disable-test-hooks) */
}

void
vh_host_free(VhHost *host)
{
    if (host == NULL)
        return;
    g_free(host->sysfs);
    g_free(host->proc);
    g_free(host->dev);
    g_free(host->run_dir);
    g_free(host->config_dir);
    g_free(host->libvirt_hooks_dir);
    g_free(host->libvirt_run_dir);
    g_free(host->modules_dir);
    g_free(host);
}

char *
vh_host_sysfs_path(const VhHost *host, const char *rel)
{
    return g_build_filename(host->sysfs, rel, NULL);
}

char *
vh_host_proc_path(const VhHost *host, const char *rel)
{
    return g_build_filename(host->proc, rel, NULL);
}

char *
vh_host_dev_path(const VhHost *host, const char *rel)
{
    return g_build_filename(host->dev, rel, NULL);
}
