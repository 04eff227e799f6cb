/* Test bed: built without FUSE — the fake kernel is unavailable and its tests skip */
#include "config.h"

#include <glib.h>

#include "vh-fake-kernel.h"

int
vh_fake_kernel_serve(const char *root)
{
    g_printerr("vh-fake kernel: built without FUSE (install libfuse3-dev and reconfigure)\n");
    return 77;
}
