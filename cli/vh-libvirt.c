/* vfio-handoff CLI: libvirt, loaded on demand */
#include "config.h"

#include <dlfcn.h>
#include <gio/gio.h>

#include "vh-error.h"
#include "vh-libvirt.h"

static VhLibvirt table;

static void
quiet(void *data, virErrorPtr error)
{
}
static gboolean loaded;

#ifdef __SANITIZE_ADDRESS__
/* LeakSanitizer (GCC 12) can crash at exit scanning the dynamic TLS of the libvirt loaded here
 * ("Tracer caught signal 11" on a bogus DTLS range, depending on the layout). In sanitizer
 * builds the leak check runs once, before libvirt is loaded (everything allocated so far must be
 * reachable), and not again at exit; ASan's checks of every access stay on. */
void __lsan_do_leak_check(void) __attribute__((weak));
#define check_leaks_before_libvirt()                                                               \
    do {                                                                                           \
        if (__lsan_do_leak_check != NULL)                                                          \
            __lsan_do_leak_check();                                                                \
    } while (0)
#else
#define check_leaks_before_libvirt() ((void)0)
#endif

const VhLibvirt *
vh_libvirt_load(GError **error)
{
    void *lib;

    if (loaded)
        return &table;
    /* lazy: of libvirt's thousands of functions a verb calls ten; binding them all up front
     * costs ~1 ms (callgrind: 6 of 52 million instructions of `add --dry-run`) */
    check_leaks_before_libvirt();
#if VH_TEST_HOOKS
    /* a test build may load the fake of tests/fake/vh-fake-libvirt.c (hot-plug tests) */
    lib = dlopen(g_getenv("VH_LIBVIRT_LIBRARY") != NULL ? g_getenv("VH_LIBVIRT_LIBRARY")
                                                          : "libvirt.so.0",
                 RTLD_LAZY | RTLD_LOCAL);
#else
    lib = dlopen("libvirt.so.0", RTLD_LAZY | RTLD_LOCAL);
#endif
    if (lib == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "libvirt.so.0: cannot be loaded, %s (fix: install libvirt's client library, "
                    "the libvirt0 package on Debian, libvirt-libs on Fedora)",
                    dlerror());
        return NULL;
    }
#define SYM(field, name)                                                                           \
    if ((table.field = (typeof(table.field))dlsym(lib, #name)) == NULL) {                          \
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,                                   \
                    "libvirt.so.0: lacks %s (fix: install libvirt 6.5 or later)", #name);          \
        dlclose(lib);                                                                              \
        return NULL;                                                                               \
    }
    SYM(connect_open, virConnectOpen)
    SYM(connect_open_read_only, virConnectOpenReadOnly)
    SYM(connect_close, virConnectClose)
    SYM(connect_list_all_domains, virConnectListAllDomains)
    SYM(domain_lookup_by_name, virDomainLookupByName)
    SYM(domain_lookup_by_uuid_string, virDomainLookupByUUIDString)
    SYM(domain_get_xml_desc, virDomainGetXMLDesc)
    SYM(domain_free, virDomainFree)
    SYM(domain_is_active, virDomainIsActive)
    SYM(domain_is_persistent, virDomainIsPersistent)
    SYM(domain_get_name, virDomainGetName)
    SYM(domain_define_xml_flags, virDomainDefineXMLFlags)
    SYM(domain_attach_device_flags, virDomainAttachDeviceFlags)
    SYM(domain_detach_device_flags, virDomainDetachDeviceFlags)
    SYM(get_last_error_message, virGetLastErrorMessage)
    SYM(set_error_func, virSetErrorFunc)
#undef SYM
    /* errors are reported once, by the verb, with the fix; not also by libvirt on stderr */
    table.set_error_func(NULL, quiet);
    loaded = TRUE;
    return &table;
}

virConnectPtr
vh_libvirt_open(const VhLibvirt *lv, const char *uri, gboolean read_only, GError **error)
{
    virConnectPtr conn = read_only ? lv->connect_open_read_only(uri) : lv->connect_open(uri);

    if (conn == NULL) {
        const char *env = g_getenv("LIBVIRT_DEFAULT_URI");
        /* libvirt's own text may name a socket of another URI than the one asked for: the URI
         * comes first, and the fix that works for each case after it */
        g_autofree char *which =
            uri != NULL   ? g_strdup_printf("libvirt at %s", uri)
            : env != NULL ? g_strdup_printf("libvirt at %s (LIBVIRT_DEFAULT_URI)", env)
                          : g_strdup("libvirt at its default URI");

        g_set_error(error, VH_ERROR, VH_ERROR_FAILED,
                    "%s: cannot connect, %s (fix: start its daemon, 'systemctl start libvirtd' "
                    "or 'systemctl start virtqemud', or name a running one with -c URI, e.g. -c "
                    "qemu:///system)",
                    which, lv->get_last_error_message());
    }
    return conn;
}

virDomainPtr
vh_libvirt_domain(const VhLibvirt *lv, virConnectPtr conn, const char *name, GError **error)
{
    virDomainPtr dom = lv->domain_lookup_by_name(conn, name);

    if (dom == NULL)
        dom = lv->domain_lookup_by_uuid_string(conn, name);
    if (dom == NULL)
        g_set_error(error, VH_ERROR, VH_ERROR_NOT_FOUND,
                    "%s: no such domain in libvirt (fix: pick one from 'virsh list --all')", name);
    return dom;
}
