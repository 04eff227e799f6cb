/* Test bed: the fake kernel (a FUSE filesystem over ROOT/sys) and its handle for tests */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Mounts the fake kernel over ROOT/sys and serves until SIGTERM; returns the exit code
 * (77 when FUSE cannot be mounted here). Used by `vh-fake kernel ROOT`. */
int vh_fake_kernel_serve(const char *root);

typedef struct VhFakeKernel VhFakeKernel;

/*
 * Starts `vh-fake kernel ROOT` and waits until its filesystem is mounted. Returns NULL with
 * G_IO_ERROR_NOT_SUPPORTED when FUSE is not usable on this machine (the caller skips).
 */
VhFakeKernel *vh_fake_kernel_start(const char *root, GError **error);

/* Unmounts and waits for the daemon. */
void vh_fake_kernel_stop(VhFakeKernel *kernel);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhFakeKernel, vh_fake_kernel_stop)

/* One write() of @len bytes to SYSROOT/REL, as the kernel's interface is written (a whole value
 * in one call, no O_TRUNC): 0, or the errno of open() or write(). */
int vh_fake_kernel_write(const char *sysroot, const char *rel, const void *data, gsize len);

/* Adds (or, with @on FALSE, removes) BDF to the [kind] step= list of ROOT/.fake/faults. */
void vh_fake_kernel_set_fault(const char *root, const char *kind, const char *step,
                              const char *bdf, gboolean on);

G_END_DECLS
