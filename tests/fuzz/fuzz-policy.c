/* libFuzzer: the policy loader (policy/vh-policy-load.c) on any file content. The loader reads
 * files only (opened without following links), so each input is written to one file first. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "vh-policy.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static char *path;

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    VhPolicy *policy;
    int fd;

    if (path == NULL)
        path = g_strdup_printf("%s/vh-fuzz-policy-%d.conf", g_get_tmp_dir(), (int)getpid());
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    g_assert(fd >= 0);
    g_assert(write(fd, data, size) == (ssize_t)size);
    close(fd);
    policy = vh_policy_load_file(path, (guint)geteuid());
    for (guint i = 0; i < policy->issues->len; i++)
        g_free(vh_policy_issue_to_string(g_ptr_array_index(policy->issues, i)));
    vh_policy_free(policy);
    unlink(path);
    return 0;
}
