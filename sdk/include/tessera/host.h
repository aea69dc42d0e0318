/*
 * tessera/host.h - host resources a plugin opens on the user's behalf.
 */
#ifndef TESSERA_HOST_H
#define TESSERA_HOST_H

#include <sys/types.h>
#include <tessera/types.h>

TS_BEGIN_DECLS

/*
 * open(2) for a path the user gave (an image's filename=, a wav file's
 * path=): "/dev/fdset/N" is a duplicate of a descriptor the user passed
 * with -add-fd set=N (or QMP add-fd) whose access mode matches `flags`
 * (O_TRUNC truncates it, O_APPEND and O_NONBLOCK apply to the duplicate),
 * as QEMU does for management tools that open files for the emulator;
 * any other path is opened normally, retrying on EINTR.  The result is
 * always close-on-exec.  -1 with errno set and errp filled (a message
 * naming the path) on failure.  Main thread (where block drivers
 * open their nodes).
 */
int ts_host_open(const char *path, int flags, mode_t mode, GError **errp);

TS_END_DECLS

#endif
