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

/* vh_fake_kernel_start() for a GTest case: NULL after g_test_skip() where FUSE is not usable
 * or the fake kernel was built without it; asserts on any other failure. */
VhFakeKernel *vh_fake_kernel_start_or_skip(const char *root);

/* The state changes the fake kernel made (ROOT/.fake/log), one per line, from @from_line on
 * (0: all), joined by "|": what tests compare sequences with. */
char *vh_fake_kernel_log(const char *root, guint from_line);

/* The number of lines in ROOT/.fake/log now, to pass as @from_line later. */
guint vh_fake_kernel_log_lines(const char *root);

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
