/*
 * Test bed: the fake kernel. A FUSE filesystem mounted over ROOT/sys that serves the tree the
 * builder made and behaves like the kernel for the writes vfio-handoff makes — driver_override,
 * unbind, bind, drivers_probe, reset — with the kernel's results and errno values
 * (../shared/notes/sysfs-abi.md is the table it reproduces). libvirt's tests/virpcimock.c does
 * this with LD_PRELOAD inside one process; a filesystem serves every process, so the real CLI
 * and hook binaries can be driven against it as libvirt drives them.
 *
 * Faults, for the failure tests, come from ROOT/.fake/faults (re-read at every write):
 *   [fail]  bind=BDF;...  unbind=BDF;...  probe=BDF;...   the step fails (bind/unbind: EIO;
 *                                                          probe: EINVAL, the device unbound)
 *   [hang]  bind=BDF;...  unbind=BDF;...  probe=BDF;...   the write blocks until the line is
 *                                                          removed from the file
 *   [sysfb] removed-by=BDF;...                             when BDF binds to vfio-pci, the
 *                                                          firmware framebuffers are removed
 *                                                          for good, and fbcon's vtconsole with
 *                                                          them (Linux 6.0+: vfio-pci calls
 *                                                          aperture_remove_conflicting_pci_
 *                                                          devices for a VGA device)
 *   [wedge] reset=BDF;...                                  the device does not come back from
 *                                                          its next reset: from then on its
 *                                                          config space reads all ones (0xff),
 *                                                          as a GPU with a reset bug does
 * The console's writes too: a vtconsole's bind (0/1), a platform framebuffer's driver bind and
 * unbind; [fail] vtcon=vtconN, platform-bind=NAME, platform-unbind=NAME make them fail (EIO).
 * A device bound to a VFIO driver (vfio-pci, or any driver named *vfio*: the variants) gets its
 * group's ROOT/dev/vfio/N and its own cdev, DIR/vfio-dev/vfioN with ROOT/dev/vfio/devices/vfioN
 * (what iommufd users open), both gone with the driver.
 * Every state change is appended to ROOT/.fake/log ("bind 0000:01:00.0 vfio-pci"), every write
 * to ROOT/.fake/writes.
 */
#define FUSE_USE_VERSION 31
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <glib.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vh-fake-kernel.h"

static struct {
    int base;        /* ROOT/sys, opened before the mount hides it */
    char *root;      /* ROOT */
    GMutex lock;     /* the device lock: one state change at a time */
    struct fuse_session *se; /* asked to exit by SIGTERM (libfuse's signal handlers) */
} K;

/* "/bus/pci/drivers_probe" -> "bus/pci/drivers_probe"; "/" -> "." */
static const char *
rel(const char *path)
{
    while (*path == '/')
        path++;
    return *path != '\0' ? path : ".";
}

static void
klog(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void
klog(const char *fmt, ...)
{
    g_autofree char *path = g_build_filename(K.root, ".fake", "log", NULL);
    g_autofree char *line = NULL;
    va_list ap;
    FILE *f;

    va_start(ap, fmt);
    line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    f = fopen(path, "ae");
    if (f != NULL) {
        fprintf(f, "%s\n", line);
        fclose(f);
    }
}

static char *
read_rel(const char *path)
{
    char buf[4096];
    int fd = openat(K.base, path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return NULL;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0)
        return NULL;
    buf[n] = '\0';
    g_strchomp(buf);
    return g_strdup(buf);
}

/* @text into ROOT/sys/@path, opened with @flags (O_CREAT: made when it is not there) */
static gboolean
put_rel(const char *path, const char *text, int flags)
{
    int fd = openat(K.base, path, O_WRONLY | O_TRUNC | O_CLOEXEC | flags, 0644);
    gboolean ok;

    if (fd < 0)
        return FALSE;
    ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    close(fd);
    return ok;
}

static gboolean
write_rel(const char *path, const char *text)
{
    return put_rel(path, text, 0);
}

static char *
link_name(const char *path)
{
    char buf[4096];
    ssize_t n = readlinkat(K.base, path, buf, sizeof(buf) - 1);

    if (n < 0)
        return NULL;
    buf[n] = '\0';
    return g_path_get_basename(buf);
}

/* bus/pci/devices/BDF -> "devices/pci0000:00/.../BDF" */
static char *
device_dir(const char *bdf)
{
    g_autofree char *link = g_strconcat("bus/pci/devices/", bdf, NULL);
    char buf[4096];
    ssize_t n;
    const char *p = buf;

    if (strchr(bdf, '/') != NULL || bdf[0] == '.')
        return NULL;
    n = readlinkat(K.base, link, buf, sizeof(buf) - 1);
    if (n < 0)
        return NULL;
    buf[n] = '\0';
    while (g_str_has_prefix(p, "../"))
        p += 3;
    return g_strdup(p);
}

/* A relative symlink at @link to @target, both below ROOT/sys. */
static int
make_link(const char *link, const char *target)
{
    g_autoptr(GString) t = g_string_new(NULL);

    for (const char *p = link; *p != '\0'; p++) {
        if (*p == '/')
            g_string_append(t, "../");
    }
    g_string_append(t, target);
    return symlinkat(t->str, K.base, link) == 0 ? 0 : -errno;
}

static gboolean
driver_registered(const char *driver)
{
    g_autofree char *d = g_strconcat("bus/pci/drivers/", driver, NULL);
    struct stat st;

    return driver[0] != '\0' && strchr(driver, '/') == NULL &&
           fstatat(K.base, d, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

static char *
native_driver(const char *bdf)
{
    g_autofree char *path = g_build_filename(K.root, ".fake", "native", NULL);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], " ", 2);

        if (f[0] != NULL && f[1] != NULL && strcmp(f[0], bdf) == 0)
            return g_strdup(f[1]);
    }
    return NULL;
}

static gboolean
fault(const char *kind, const char *step, const char *bdf)
{
    g_autofree char *path = g_build_filename(K.root, ".fake", "faults", NULL);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_auto(GStrv) list = NULL;

    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
        return FALSE;
    list = g_key_file_get_string_list(kf, kind, step, NULL, NULL);
    return list != NULL && g_strv_contains((const char *const *)list, bdf);
}

/* A hung kernel write: block (outside the device lock) while the fault stands. */
static void
maybe_hang(const char *step, const char *bdf)
{
    if (!fault("hang", step, bdf))
        return;
    klog("hang %s %s", step, bdf);
    /* until the fault is lifted, or the kernel is told to stop: a stop must never wait on it */
    while (fault("hang", step, bdf) && !fuse_session_exited(K.se))
        g_usleep(20 * 1000);
}

/* ROOT/.fake/wedged: the devices that did not come back from a reset, a line each */
static char *
wedged_file(void)
{
    return g_build_filename(K.root, ".fake", "wedged", NULL);
}

static gboolean
is_wedged(const char *bdf)
{
    g_autofree char *path = wedged_file();
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return FALSE;
    lines = g_strsplit(text, "\n", -1);
    return g_strv_contains((const char *const *)lines, bdf);
}

/* pci_reset_function(): what the `reset` attribute and vfio-pci's release both run */
static void
do_reset(const char *bdf)
{
    klog("reset %s", bdf);
    if (fault("wedge", "reset", bdf) && !is_wedged(bdf)) {
        g_autofree char *path = wedged_file();
        FILE *f = fopen(path, "ae");

        if (f != NULL) {
            fprintf(f, "%s\n", bdf);
            fclose(f);
        }
        klog("wedged %s", bdf);
    }
}

/* vfio-pci and its variant drivers (mlx5_vfio_pci, pds-vfio-pci, ...): every one is named so */
static gboolean
is_vfio_driver(const char *driver)
{
    return driver != NULL && strstr(driver, "vfio") != NULL;
}

/* A VFIO driver's device cdev (Linux 6.6+, CONFIG_VFIO_DEVICE_CDEV): DIR/vfio-dev/vfioN, its
 * /sys/dev/char link, and ROOT/dev/vfio/devices/vfioN, which iommufd users open. N is the
 * lowest free index, as the kernel's IDA gives. */
#define VFIO_CDEV_MAJOR 511

static void
add_vfio_cdev(const char *dir)
{
    g_autofree char *devices = g_build_filename(K.root, "dev", "vfio", "devices", NULL);
    g_autofree char *cdir = g_strconcat(dir, "/vfio-dev", NULL);
    guint n = 0;

    g_mkdir_with_parents(devices, 0755);
    for (;; n++) {
        g_autofree char *node = g_strdup_printf("%s/vfio%u", devices, n);

        if (!g_file_test(node, G_FILE_TEST_EXISTS)) {
            g_autofree char *name = g_strdup_printf("%s/vfio%u", cdir, n);
            g_autofree char *uevent = g_strconcat(name, "/uevent", NULL);
            g_autofree char *devattr = g_strconcat(name, "/dev", NULL);
            g_autofree char *link = g_strdup_printf("dev/char/%d:%u", VFIO_CDEV_MAJOR, n);
            g_autofree char *text = g_strdup_printf(
                "MAJOR=%d\nMINOR=%u\nDEVNAME=vfio/devices/vfio%u\n", VFIO_CDEV_MAJOR, n, n);
            g_autofree char *majmin = g_strdup_printf("%d:%u\n", VFIO_CDEV_MAJOR, n);
            mkdirat(K.base, cdir, 0755);
            mkdirat(K.base, name, 0755);
            mkdirat(K.base, "dev", 0755);
            mkdirat(K.base, "dev/char", 0755);
            if (!put_rel(uevent, text, O_CREAT) || !put_rel(devattr, majmin, O_CREAT) ||
                make_link(link, name) < 0)
                klog("cdev-failed %s", dir);
            g_file_set_contents(node, "", 0, NULL);
            return;
        }
    }
}

/* The cdev of DIR's VFIO driver goes with the driver */
static void
remove_vfio_cdev(const char *dir)
{
    g_autofree char *cdir = g_strconcat(dir, "/vfio-dev", NULL);
    int fd = openat(K.base, cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;

    while (d != NULL && (e = readdir(d)) != NULL) {
        g_autofree char *name = NULL;
        g_autofree char *node = NULL;
        g_autofree char *link = NULL;
        g_autofree char *file = NULL;
        guint n;

        if (sscanf(e->d_name, "vfio%u", &n) != 1)
            continue;
        name = g_strconcat(cdir, "/", e->d_name, NULL);
        node = g_strdup_printf("%s/dev/vfio/devices/vfio%u", K.root, n);
        link = g_strdup_printf("dev/char/%d:%u", VFIO_CDEV_MAJOR, n);
        unlink(node);
        unlinkat(K.base, link, 0);
        file = g_strconcat(name, "/uevent", NULL);
        unlinkat(K.base, file, 0);
        g_free(file);
        file = g_strconcat(name, "/dev", NULL);
        unlinkat(K.base, file, 0);
        unlinkat(K.base, name, AT_REMOVEDIR);
    }
    if (d != NULL)
        closedir(d);
    unlinkat(K.base, cdir, AT_REMOVEDIR);
}

/* vfio: /dev/vfio/GROUP exists while any member of the group is bound to a VFIO driver */
static void
update_vfio_node(const char *dir)
{
    g_autofree char *grp_link = g_strconcat(dir, "/iommu_group", NULL);
    g_autofree char *group = link_name(grp_link);
    g_autofree char *members_dir = NULL;
    g_autofree char *node = NULL;
    DIR *d;
    struct dirent *e;
    gboolean any = FALSE;
    int fd;

    if (group == NULL)
        return;
    members_dir = g_strdup_printf("kernel/iommu_groups/%s/devices", group);
    node = g_build_filename(K.root, "dev", "vfio", group, NULL);
    fd = openat(K.base, members_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    d = fd >= 0 ? fdopendir(fd) : NULL;
    while (d != NULL && (e = readdir(d)) != NULL) {
        g_autofree char *mdir = NULL;
        g_autofree char *drv_link = NULL;
        g_autofree char *drv = NULL;

        if (e->d_name[0] == '.')
            continue;
        mdir = device_dir(e->d_name);
        drv_link = mdir != NULL ? g_strconcat(mdir, "/driver", NULL) : NULL;
        drv = drv_link != NULL ? link_name(drv_link) : NULL;
        if (is_vfio_driver(drv))
            any = TRUE;
    }
    if (d != NULL)
        closedir(d);
    if (any) {
        g_autofree char *vdir = g_path_get_dirname(node);

        g_mkdir_with_parents(vdir, 0755);
        if (!g_file_test(node, G_FILE_TEST_EXISTS))
            g_file_set_contents(node, "", 0, NULL);
    } else {
        unlink(node);
    }
}

/* sysfb_disable(): every firmware framebuffer's platform device unregistered, fbcon's
 * vtconsole with its last framebuffer */
static void
remove_sysfb(void)
{
    static const char *const names[] = {"efi-framebuffer.0", "simple-framebuffer.0",
                                        "vesa-framebuffer.0", NULL};

    for (guint i = 0; names[i] != NULL; i++) {
        g_autofree char *link = g_strconcat("bus/platform/devices/", names[i], NULL);
        g_autofree char *dlink = g_strconcat("devices/platform/", names[i], "/driver", NULL);
        g_autofree char *drv = link_name(dlink);

        if (unlinkat(K.base, link, 0) != 0)
            continue;
        if (drv != NULL) {
            g_autofree char *member = g_strdup_printf("bus/platform/drivers/%s/%s", drv, names[i]);

            unlinkat(K.base, member, 0);
            unlinkat(K.base, dlink, 0);
        }
        unlinkat(K.base, "class/graphics/fb0", 0);
        unlinkat(K.base, "class/vtconsole/vtcon1", 0);
        klog("sysfb-removed %s", names[i]);
    }
}

static int
do_bind(const char *bdf, const char *dir, const char *driver)
{
    g_autofree char *dlink = g_strconcat(dir, "/driver", NULL);
    g_autofree char *blink = g_strdup_printf("bus/pci/drivers/%s/%s", driver, bdf);
    g_autofree char *ddir = g_strconcat("bus/pci/drivers/", driver, NULL);
    int r;

    if (fault("fail", "bind", bdf)) {
        klog("bind-failed %s %s", bdf, driver);
        return -EIO;
    }
    if ((r = make_link(dlink, ddir)) < 0 || (r = make_link(blink, dir)) < 0)
        return r;
    klog("bind %s %s", bdf, driver);
    if (strcmp(driver, "vfio-pci") == 0 && fault("sysfb", "removed-by", bdf))
        remove_sysfb();
    if (is_vfio_driver(driver))
        add_vfio_cdev(dir);
    update_vfio_node(dir);
    return 0;
}

static int
do_unbind(const char *bdf, const char *dir, const char *driver)
{
    g_autofree char *dlink = g_strconcat(dir, "/driver", NULL);
    g_autofree char *blink = g_strdup_printf("bus/pci/drivers/%s/%s", driver, bdf);

    if (fault("fail", "unbind", bdf)) {
        klog("unbind-failed %s %s", bdf, driver);
        return -EIO;
    }
    unlinkat(K.base, dlink, 0);
    unlinkat(K.base, blink, 0);
    klog("unbind %s %s", bdf, driver);
    remove_vfio_cdev(dir);
    update_vfio_node(dir);
    return 0;
}

static char *
current_driver(const char *dir)
{
    g_autofree char *dlink = g_strconcat(dir, "/driver", NULL);

    return link_name(dlink);
}

static char *
current_override(const char *dir)
{
    g_autofree char *path = g_strconcat(dir, "/driver_override", NULL);
    g_autofree char *v = read_rel(path);

    if (v == NULL || strcmp(v, "(null)") == 0)
        return NULL;
    return g_steal_pointer(&v);
}

/* Documentation/ABI/testing/sysfs-bus-pci, drivers_probe: bind the device to the override
 * driver if one is set, else to a driver whose ID table matches; no match leaves it unbound */
static int
k_probe(const char *bdf)
{
    g_autofree char *dir = device_dir(bdf);
    g_autofree char *cur = NULL;
    g_autofree char *ovr = NULL;
    g_autofree char *drv = NULL;

    if (dir == NULL)
        return -ENODEV;
    cur = current_driver(dir);
    if (cur != NULL)
        return 0;
    ovr = current_override(dir);
    drv = ovr != NULL ? g_strdup(ovr) : native_driver(bdf);
    if (drv == NULL || !driver_registered(drv))
        return 0;
    if (fault("fail", "probe", bdf)) {
        /* drivers/base/bus.c drivers_probe_store(): -EINVAL when the rescan fails */
        klog("probe-failed %s %s", bdf, drv);
        return -EINVAL;
    }
    return do_bind(bdf, dir, drv);
}

static int
k_bind(const char *driver, const char *bdf)
{
    g_autofree char *dir = device_dir(bdf);
    g_autofree char *cur = NULL;
    g_autofree char *ovr = NULL;
    g_autofree char *native = NULL;

    if (dir == NULL)
        return -ENODEV;
    cur = current_driver(dir);
    if (cur != NULL)
        return -EBUSY;
    ovr = current_override(dir);
    /* an override lets only that driver bind; without one, the driver's ID table must match
     * (new_id is not modelled: vfio-handoff binds by override only) */
    if (ovr != NULL ? strcmp(ovr, driver) != 0
                    : g_strcmp0((native = native_driver(bdf)), driver) != 0)
        return -ENODEV;
    return do_bind(bdf, dir, driver);
}

static int
k_unbind(const char *driver, const char *bdf)
{
    g_autofree char *dir = device_dir(bdf);
    g_autofree char *cur = NULL;

    if (dir == NULL)
        return -ENODEV;
    cur = current_driver(dir);
    if (g_strcmp0(cur, driver) != 0)
        return -ENODEV;
    return do_unbind(bdf, dir, driver);
}

/* driver_override: the value up to the first newline; "\n" clears it to "(null)" */
static int
k_set_override(const char *path, const char *value)
{
    g_autofree char *v = g_strndup(value, strcspn(value, "\n"));
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *bdf = g_path_get_basename(dir);

    g_autofree char *stored = g_strconcat(v[0] != '\0' ? v : "(null)", "\n", NULL);

    if (!write_rel(path, stored))
        return -EIO;
    klog("override %s %s", bdf, v[0] != '\0' ? v : "(null)");
    return 0;
}

/* One binding step as the kernel runs it: a hang fault first (outside the lock, so other
 * devices are still served), then the step under the device lock. */
static int
kernel_step(const char *step, const char *driver, const char *bdf)
{
    int r;

    maybe_hang(step, bdf);
    g_mutex_lock(&K.lock);
    if (strcmp(step, "probe") == 0)
        r = k_probe(bdf);
    else if (strcmp(step, "bind") == 0)
        r = k_bind(driver, bdf);
    else
        r = k_unbind(driver, bdf);
    g_mutex_unlock(&K.lock);
    return r;
}

typedef enum {
    CTL_NONE,
    CTL_PROBE,
    CTL_BIND,
    CTL_UNBIND,
    CTL_OVERRIDE,
    CTL_RESET,
    CTL_VTCON,           /* class/vtconsole/vtconN/bind */
    CTL_PLATFORM_BIND,   /* bus/platform/drivers/NAME/bind */
    CTL_PLATFORM_UNBIND, /* bus/platform/drivers/NAME/unbind */
} Control;

/* Which kernel action a write to @path is, and the driver it names. */
static Control
control_of(const char *path, char **driver)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    guint n = g_strv_length(parts);

    *driver = NULL;
    if (strcmp(path, "bus/pci/drivers_probe") == 0)
        return CTL_PROBE;
    if (n == 5 && strcmp(parts[0], "bus") == 0 && strcmp(parts[1], "pci") == 0 &&
        strcmp(parts[2], "drivers") == 0 &&
        (strcmp(parts[4], "bind") == 0 || strcmp(parts[4], "unbind") == 0)) {
        *driver = g_strdup(parts[3]);
        return strcmp(parts[4], "bind") == 0 ? CTL_BIND : CTL_UNBIND;
    }
    if (n == 5 && strcmp(parts[0], "bus") == 0 && strcmp(parts[1], "platform") == 0 &&
        strcmp(parts[2], "drivers") == 0 &&
        (strcmp(parts[4], "bind") == 0 || strcmp(parts[4], "unbind") == 0)) {
        *driver = g_strdup(parts[3]);
        return strcmp(parts[4], "bind") == 0 ? CTL_PLATFORM_BIND : CTL_PLATFORM_UNBIND;
    }
    /* the class/vtconsole link resolves to devices/virtual/vtconsole/vtconN */
    if (n >= 3 && strcmp(parts[n - 1], "bind") == 0 && g_str_has_prefix(parts[n - 2], "vtcon") &&
        strcmp(parts[n - 3], "vtconsole") == 0) {
        *driver = g_strdup(parts[n - 2]);
        return CTL_VTCON;
    }
    if (n >= 2 && strcmp(parts[n - 1], "driver_override") == 0)
        return CTL_OVERRIDE;
    if (n >= 2 && strcmp(parts[n - 1], "reset") == 0)
        return CTL_RESET;
    return CTL_NONE;
}

/* A vtconsole's bind (drivers/tty/vt/vt.c store_bind): 1 binds, 0 unbinds onto the dummy
 * console, both returning at once; anything else is EINVAL. */
static int
k_vtcon(const char *path, const char *vtcon, const char *value)
{
    if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0)
        return -EINVAL;
    if (fault("fail", "vtcon", vtcon)) {
        klog("vtcon-failed %s %s", vtcon, value);
        return -EIO;
    }
    if (!write_rel(path, value[0] == '1' ? "1\n" : "0\n"))
        return -EIO;
    klog("vtcon %s %s", vtcon, value);
    return 0;
}

/* A platform device bound to (@bind) or released by @driver (drivers/base/bus.c): bind of a
 * bound device is EBUSY, unbind of another driver's ENODEV. */
static int
k_platform(const char *driver, const char *name, gboolean bind)
{
    g_autofree char *pdir = g_strconcat("devices/platform/", name, NULL);
    g_autofree char *dlink = g_strconcat(pdir, "/driver", NULL);
    g_autofree char *member = g_strdup_printf("bus/platform/drivers/%s/%s", driver, name);
    g_autofree char *ddir = g_strconcat("bus/platform/drivers/", driver, NULL);
    g_autofree char *cur = NULL;
    struct stat st;
    int r;

    if (strchr(name, '/') != NULL || name[0] == '.' || fstatat(K.base, pdir, &st, 0) != 0)
        return -ENODEV;
    cur = link_name(dlink);
    if (bind ? cur != NULL : g_strcmp0(cur, driver) != 0)
        return bind ? -EBUSY : -ENODEV;
    if (fault("fail", bind ? "platform-bind" : "platform-unbind", name)) {
        klog("platform-%s-failed %s %s", bind ? "bind" : "unbind", name, driver);
        return -EIO;
    }
    if (bind) {
        if ((r = make_link(dlink, ddir)) < 0 || (r = make_link(member, pdir)) < 0)
            return r;
    } else {
        unlinkat(K.base, dlink, 0);
        unlinkat(K.base, member, 0);
    }
    klog("platform-%s %s %s", bind ? "bind" : "unbind", name, driver);
    return 0;
}

static int
k_write_control(const char *path, const char *buf, size_t size)
{
    g_autofree char *driver = NULL;
    g_autofree char *value = g_strndup(buf, size);
    g_autofree char *bdf = g_strstrip(g_strdup(value));
    Control c = control_of(path, &driver);
    int r = 0;

    switch (c) {
    case CTL_PROBE:
        r = kernel_step("probe", NULL, bdf);
        break;
    case CTL_BIND:
        r = kernel_step("bind", driver, bdf);
        break;
    case CTL_UNBIND:
        r = kernel_step("unbind", driver, bdf);
        break;
    case CTL_OVERRIDE:
        g_mutex_lock(&K.lock);
        r = k_set_override(path, value);
        g_mutex_unlock(&K.lock);
        break;
    case CTL_RESET: {
        g_autofree char *dir = g_path_get_dirname(path);
        g_autofree char *name = g_path_get_basename(dir);

        /* reset_store(): anything but 1 is EINVAL (drivers/pci/pci-sysfs.c); the attribute
         * exists only where the device has a reset method, which the tree models */
        if (strcmp(bdf, "1") != 0)
            return -EINVAL;
        g_mutex_lock(&K.lock);
        do_reset(name);
        g_mutex_unlock(&K.lock);
        break;
    }
    case CTL_VTCON:
        g_mutex_lock(&K.lock);
        r = k_vtcon(path, driver, bdf);
        g_mutex_unlock(&K.lock);
        break;
    case CTL_PLATFORM_BIND:
    case CTL_PLATFORM_UNBIND:
        g_mutex_lock(&K.lock);
        r = k_platform(driver, bdf, c == CTL_PLATFORM_BIND);
        g_mutex_unlock(&K.lock);
        break;
    case CTL_NONE:
        return -EACCES;
    }
    return r < 0 ? r : (int)size;
}

/* ---- FUSE operations ------------------------------------------------------------------- */

static void *
k_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
    /* no caching: the kernel's view must change the moment a write changes it */
    cfg->entry_timeout = 0;
    cfg->attr_timeout = 0;
    cfg->negative_timeout = 0;
    cfg->direct_io = 1;
    cfg->kernel_cache = 0;
    return NULL;
}

static int
k_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    return fstatat(K.base, rel(path), st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

static int
k_readlink(const char *path, char *buf, size_t size)
{
    ssize_t n = readlinkat(K.base, rel(path), buf, size - 1);

    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return 0;
}

static int
k_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
          enum fuse_readdir_flags flags)
{
    int fd = openat(K.base, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    struct dirent *e;

    if (fd < 0)
        return -errno;
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return -errno;
    }
    while ((e = readdir(d)) != NULL)
        fill(buf, e->d_name, NULL, 0, 0);
    closedir(d);
    return 0;
}

static int
k_open(const char *path, struct fuse_file_info *fi)
{
    g_autofree char *driver = NULL;
    int fd;

    /* sysfs attributes are read-only unless they are a kernel control */
    if ((fi->flags & O_ACCMODE) != O_RDONLY && control_of(rel(path), &driver) == CTL_NONE)
        return -EACCES;
    fd = openat(K.base, rel(path), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    fi->fh = (uint64_t)fd;
    fi->direct_io = 1;
    return 0;
}

/* "devices/.../BDF/config" -> BDF, else NULL */
static char *
config_owner(const char *path)
{
    g_autofree char *dir = NULL;

    if (!g_str_has_suffix(path, "/config"))
        return NULL;
    dir = g_path_get_dirname(path);
    return g_path_get_basename(dir);
}

static int
k_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
    g_autofree char *bdf = config_owner(rel(path));
    ssize_t n = pread((int)fi->fh, buf, size, off);

    if (n < 0)
        return -errno;
    /* a device that does not answer: every config read completes with all ones */
    if (bdf != NULL && is_wedged(bdf))
        memset(buf, 0xff, (size_t)n);
    return (int)n;
}

/* Every write as it arrived, one line each ("sys/PATH VALUE", the value's newline dropped), in
 * ROOT/.fake/writes: what tests compare against the writer's own record of its steps. */
static void
log_write(const char *path, const char *buf, size_t size)
{
    g_autofree char *file = g_build_filename(K.root, ".fake", "writes", NULL);
    g_autofree char *value = g_strndup(buf, size);
    FILE *f = fopen(file, "ae");

    if (f != NULL) {
        fprintf(f, "sys/%s %s\n", path, g_strchomp(value));
        fclose(f);
    }
}

static int
k_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
    log_write(rel(path), buf, size);
    return k_write_control(rel(path), buf, size);
}

static int
k_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    g_autofree char *driver = NULL;

    /* "echo x > attr" truncates first; sysfs ignores that for control files */
    return control_of(rel(path), &driver) != CTL_NONE ? 0 : -EACCES;
}

static int
k_release(const char *path, struct fuse_file_info *fi)
{
    close((int)fi->fh);
    return 0;
}

static int
k_refuse(void)
{
    return -EPERM;
}

static int
k_mkdir(const char *path, mode_t mode)
{
    return k_refuse();
}

static int
k_unlink(const char *path)
{
    return k_refuse();
}

static int
k_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    return k_refuse();
}

static const struct fuse_operations k_ops = {
    .init = k_init,
    .getattr = k_getattr,
    .readlink = k_readlink,
    .readdir = k_readdir,
    .open = k_open,
    .read = k_read,
    .write = k_write,
    .truncate = k_truncate,
    .release = k_release,
    .mkdir = k_mkdir,
    .unlink = k_unlink,
    .rmdir = k_unlink,
    .create = k_create,
};

int
vh_fake_kernel_serve(const char *root)
{
    g_autofree char *sys = g_build_filename(root, "sys", NULL);
    g_autofree char *state = g_build_filename(root, ".fake", NULL);
    g_autofree char *ready = g_build_filename(state, "kernel.ready", NULL);
    g_autofree char *pid = g_strdup_printf("%d\n", (int)getpid());
    char *argv[] = {(char *)"vh-fake-kernel", (char *)"-o",
                    (char *)"fsname=vh-fake-sysfs,subtype=vhsysfs", NULL};
    struct fuse_args args = FUSE_ARGS_INIT(3, argv);
    struct fuse *fuse;
    int rc;

    /* a test that dies (an assertion, a kill) takes its fake kernel with it: no mount and no
     * process is left behind, and no writer stays hung on a fault */
    pid_t parent = getppid();

    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        return 1; /* it died before the request took */
    K.root = g_strdup(root);
    K.base = open(sys, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (K.base < 0) {
        g_printerr("vh-fake kernel: cannot open %s: %s\n", sys, g_strerror(errno));
        return 1;
    }
    fuse = fuse_new(&args, &k_ops, sizeof(k_ops), NULL);
    fuse_opt_free_args(&args); /* parsed into the session, which keeps no pointer to them */
    if (fuse == NULL)
        return 1;
    if (fuse_mount(fuse, sys) != 0) {
        fuse_destroy(fuse);
        g_printerr("vh-fake kernel: cannot mount FUSE on %s (is /dev/fuse usable?)\n", sys);
        return 77;
    }
    K.se = fuse_get_session(fuse);
    if (fuse_set_signal_handlers(K.se) != 0) {
        fuse_unmount(fuse);
        fuse_destroy(fuse);
        return 1;
    }
    if (g_mkdir_with_parents(state, 0755) != 0 || !g_file_set_contents(ready, pid, -1, NULL)) {
        g_printerr("vh-fake kernel: cannot write %s\n", ready);
        fuse_unmount(fuse);
        fuse_destroy(fuse);
        return 1;
    }
    rc = fuse_loop_mt(fuse, 0);
    fuse_remove_signal_handlers(fuse_get_session(fuse));
    fuse_unmount(fuse);
    fuse_destroy(fuse);
    unlink(ready);
    return rc == 0 ? 0 : 1;
}
