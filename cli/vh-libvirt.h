/* vfio-handoff CLI: libvirt, loaded only by the verbs that talk to it */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

G_BEGIN_DECLS

/*
 * libvirt and what it links pull ~40 shared objects into a process: 7 ms of dynamic loading
 * that `list`, `check` and bash completion should not pay. The verbs that need libvirt call
 * vh_libvirt_load() and then go through this table (same prototypes as libvirt's headers).
 */
typedef struct {
    typeof(virConnectOpen) *connect_open;
    typeof(virConnectOpenReadOnly) *connect_open_read_only;
    typeof(virConnectClose) *connect_close;
    typeof(virConnectListAllDomains) *connect_list_all_domains;
    typeof(virDomainLookupByName) *domain_lookup_by_name;
    typeof(virDomainLookupByUUIDString) *domain_lookup_by_uuid_string;
    typeof(virDomainGetXMLDesc) *domain_get_xml_desc;
    typeof(virDomainFree) *domain_free;
    typeof(virDomainIsActive) *domain_is_active;
    typeof(virDomainIsPersistent) *domain_is_persistent;
    typeof(virDomainGetName) *domain_get_name;
    typeof(virDomainDefineXMLFlags) *domain_define_xml_flags;
    typeof(virDomainAttachDeviceFlags) *domain_attach_device_flags;
    typeof(virDomainDetachDeviceFlags) *domain_detach_device_flags;
    typeof(virGetLastErrorMessage) *get_last_error_message;
    typeof(virSetErrorFunc) *set_error_func;
} VhLibvirt;

/* Loads libvirt.so.0 once; NULL with an error naming the package when it is missing. */
const VhLibvirt *vh_libvirt_load(GError **error);

/* Connects to @uri (NULL: libvirt's default), read-only or not; the error names the URI and
 * libvirt's reason. */
virConnectPtr vh_libvirt_open(const VhLibvirt *lv, const char *uri, gboolean read_only,
                              GError **error);

/* A domain by name, else by UUID; VH_ERROR_NOT_FOUND naming how to list them. */
virDomainPtr vh_libvirt_domain(const VhLibvirt *lv, virConnectPtr conn, const char *name,
                               GError **error);

G_END_DECLS
