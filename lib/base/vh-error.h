/* vfio-handoff: the one error domain */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VH_ERROR (vh_error_quark())

typedef enum {
    VH_ERROR_FAILED,           /* generic failure */
    VH_ERROR_INVALID_ARGUMENT, /* bad input from argv, XML or config */
    VH_ERROR_NOT_FOUND,        /* a named device, file or domain does not exist */
    VH_ERROR_AMBIGUOUS,        /* a vendor:device ID matched several devices */
    VH_ERROR_IO,               /* reading or writing a host file failed */
    VH_ERROR_UNSUPPORTED,      /* the host cannot do what was asked */
    VH_ERROR_TIMED_OUT,        /* a kernel write hung past step-timeout and was abandoned */
    VH_ERROR_BUSY,             /* another vfio-handoff held the lock too long: try again */
    VH_ERROR_WEDGED,           /* a device does not answer (config space reads 0xffff) */
    VH_ERROR_IN_USE,           /* a process holds the device's IOMMU group open now */
} VhError;

GQuark vh_error_quark(void);

/* Sets a VH_ERROR_IO (or NOT_FOUND for ENOENT) error for a failed call on @path, in the message
 * grammar: "PATH: cannot WHAT, STRERROR (fix: ...)"; @what says what with "it" ("create it",
 * "write its journal record"). */
void vh_error_set_errno(GError **error, int errsv, const char *what, const char *path);

/* What to do about a failed system call, by its errno. */
const char *vh_error_errno_fix(int errsv);

/* @word as one argument of a command shown in a message's fix: itself when it holds nothing a
 * shell reads specially, else in double quotes (libvirt allows spaces and quotes in names). */
char *vh_error_shell_word(const char *word);

/* "REASON (fix: FIX)" into its parts: FIX runs from the last " (fix: " to the final ")", as the
 * message grammar makes it exact (tests/lint/messages.py); *@fix is NULL when there is none. */
void vh_error_split_fix(const char *text, char **reason, char **fix);

G_END_DECLS
