/*
 * core/util/fdset.h - file descriptor sets (-add-fd) and opening paths that
 * may name one ("/dev/fdset/N").
 *
 * A management tool that may not let the emulator open files itself
 * passes open descriptors instead: `-add-fd fd=3,set=2` puts a duplicate
 * of inherited fd 3 into set 2, and wherever a file path is accepted,
 * "/dev/fdset/2" then means "a duplicate of the descriptor of set 2 whose
 * access mode (read-only, write-only, read-write) matches the open".
 */
#ifndef TESSERA_CORE_FDSET_H
#define TESSERA_CORE_FDSET_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * -add-fd fd=N,set=S[,opaque=TEXT].  fd must be open, inherited (no
 * close-on-exec flag) and not 0-2; its duplicate (close-on-exec) goes into
 * set S.  The original is closed by fdset_close_inherited(), once the
 * whole command line was read, so one fd may be added to several sets.
 */
bool fdset_add_option(const char *arg, GError **errp);

/* Close the descriptors -add-fd was given (their duplicates stay). */
void fdset_close_inherited(void);

/*
 * open(2) for paths given by the user: "/dev/fdset/N" gives a duplicate
 * of set N's descriptor with the same access mode (O_TRUNC truncates it,
 * O_APPEND and O_NONBLOCK are applied to the duplicate), anything else is
 * opened normally.  Always close-on-exec.  -1 + errp on failure.
 */
int fdset_open(const char *path, int flags, mode_t mode, GError **errp);

/* fn(set id, descriptor, opaque note or NULL, user data) for each
 * descriptor of each set, sets and descriptors in the order added
 * (query-fdsets). */
typedef void (*FdSetEntryFn)(uint64_t set, int fd, const char *note, void *opaque);
void fdset_foreach(FdSetEntryFn fn, void *opaque);

/*
 * Close and forget descriptor `fd` of set `set` (has_fd), or the whole set
 * (remove-fd).  Files opened through /dev/fdset/N before keep their own
 * duplicates.  False with QEMU's "not found" message otherwise.
 */
bool fdset_remove(uint64_t set, bool has_fd, int64_t fd, GError **errp);

/* Close every set's descriptors and forget the sets (tests, exit). */
void fdset_reset(void);

#endif
