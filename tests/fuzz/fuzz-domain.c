/* libFuzzer: the domain reader (lib/domain/vh-domain.c) on any bytes */
#include "config.h"

#include "vh-domain.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    VhDomainDef *def = vh_domain_def_parse((const char *)data, size, NULL);

    if (def != NULL) {
        g_autoptr(GPtrArray) unmanaged = vh_domain_def_unmanaged(def);

        g_assert(def->name != NULL && def->name[0] != '\0');
        vh_domain_def_free(def);
    }
    return 0;
}
