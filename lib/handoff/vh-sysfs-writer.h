/* vfio-handoff: the only code that writes kernel files — in a child process, so that a write
 * the kernel never finishes cannot hang the hook — or records what it would write */
#pragma once

#include <glib.h>

#include "vh-bind.h"

G_BEGIN_DECLS

/* Records a step in w->steps (a recording writer). */
void vh_step_record(const VhWriter *w, VhStepKind kind, const char *device, const char *path,
                    const char *value);

/*
 * The writes of one device, made one after the other by one child process (forked at the
 * first write, so a device's whole sequence costs one fork). After a write hangs, the child is
 * left behind and every later write of the session fails at once.
 */
typedef struct VhWriteSession VhWriteSession;

VhWriteSession *vh_write_session_new(const VhHost *host, const VhWriter *w);
gboolean vh_write_session_write(VhWriteSession *s, const char *device, const char *path,
                                const char *value, GError **error);
void vh_write_session_free(VhWriteSession *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhWriteSession, vh_write_session_free)

G_END_DECLS
