/*
 * chardev/chardevs.h - what the rest of the core asks of the character
 * device layer: creating backends from option text, listing and destroying
 * them, and the accessors the monitors' chardev commands need.
 *
 * Plugins see <tessera/chardev.h> (the frontend API) only; the backend
 * machinery the chardev-*.c files share is chardev-internal.h.
 */
#ifndef TESSERA_CORE_CHARDEVS_H
#define TESSERA_CORE_CHARDEVS_H

#include <tessera/chardev.h>

/* ---- Creating, finding and destroying backends (for the CLI, monitor) */

/*
 * Create a backend from -chardev option text, e.g.
 * "socket,id=mon0,host=127.0.0.1,port=4444,server=on,wait=off" (the first
 * key is the backend name; "backend=NAME" works too).  With mux=on it
 * creates the backend as "<id>-base" and a mux named id on top of it.
 * Returns NULL with a message in errp on any bad input.
 */
TsChardev *chardev_new_from_opts(const char *opts_text, GError **errp);

/*
 * Translate QEMU's legacy -serial/-monitor/-parallel spelling ("stdio",
 * "mon:stdio", "pty", "null", "file:PATH", "pipe:PATH", "tcp:HOST:PORT[,..]",
 * "telnet:HOST:PORT[,..]", "unix:PATH[,..]", "udp:[RHOST]:RPORT[@[LHOST]:LPORT]",
 * "/dev/...", "ringbuf", "msmouse" is refused) into -chardev option text with
 * the given id.  *mux_out is set when the spec starts with "mon:" (the
 * caller attaches both a monitor and the device); "mon:stdio" also turns
 * signal=off so that Ctrl-c reaches the guest, as in QEMU.  Returns a new string or
 * NULL + errp.  "none" and "chardev:ID" are the caller's business (no new
 * backend): they are refused here.
 */
char *chardev_legacy_to_opts(const char *id, const char *spec,
                             bool *mux_out, GError **errp);

/* Destroy a backend (its frontends must be detached).  Removes it from the
 * id table; a mux also destroys its base. */
void chardev_free(TsChardev *chr);

/* Destroy every backend; restores the terminal if stdio changed it.  For
 * the end of main() and for tests. */
void chardev_free_all(void);

/* Call fn for every backend, in creation order (for "info chardev" and
 * query-chardev). */
void chardev_foreach(void (*fn)(TsChardev *chr, void *opaque), void *opaque);

/* What "info chardev" prints after the id, e.g. "unix:/tmp/s,server=on",
 * "pty:/dev/pts/3", "tcp:127.0.0.1:4444,server=on <-> 127.0.0.1:51234". */
const char *chardev_filename(const TsChardev *chr);

/* Whether a frontend is attached (query-chardev's frontend-open). */
bool chardev_has_frontend(const TsChardev *chr);

/* NULL-terminated list of backend names, sorted, for `-chardev help`. */
const char *const *chardev_backend_names(void);

/* One-line description of a backend, or NULL if there is no such backend. */
const char *chardev_backend_description(const char *name);

/* Called on Ctrl-a x in a mux.  The default calls ts_loop_quit(0); the
 * machine code may install one that requests a clean shutdown instead.
 * NULL restores the default. */
void chardev_set_quit_handler(void (*fn)(void *opaque), void *opaque);

/* ---- Output that must not be lost (the monitors) */

/*
 * Write all of buf to chr: what the host cannot take now is buffered with
 * no bound, where ts_chardev_write() drops output beyond 1 MiB.  Closing
 * the chardev waits a moment (CHARDEV_CLOSE_FLUSH_MS) for the peer to take
 * such output.  The caller bounds memory itself: it stops producing (stops
 * reading commands) while chardev_output_pending() is high, and resumes
 * when the chardev offers input again, which it does each time its
 * buffered output has drained (ts_chardev_accept_input() from a bottom
 * half).  Returns len.
 */
size_t chardev_write_all(TsChardev *chr, const void *buf, size_t len);

/* Bytes written to chr (for a mux: to its base) that the host has not
 * taken yet. */
size_t chardev_output_pending(const TsChardev *chr);

/* ---- Backend-specific accessors */

/* Ringbuf: take up to max bytes of the buffered output (oldest first),
 * removing them.  Returns a new GBytes, or NULL + errp if chr is not a
 * ringbuf. */
GBytes *chardev_ringbuf_read(TsChardev *chr, size_t max, GError **errp);
/* Ringbuf: feed input to the frontend as if it came from the host (QMP
 * ringbuf-write).  What the frontend cannot take now is kept. */
bool chardev_ringbuf_write(TsChardev *chr, const void *buf, size_t len,
                           GError **errp);

/* Socket server: the local TCP port actually bound (useful with port=0),
 * or -1 if chr is not a TCP server. */
int chardev_socket_local_port(const TsChardev *chr);

/* Mux: the index of the frontend that receives input (attach order), or
 * -1 if chr is not a mux.  chardev_mux_set_focus() selects one. */
int chardev_mux_focus(const TsChardev *chr);
bool chardev_mux_set_focus(TsChardev *chr, int index, GError **errp);

/* Refuse the stdio backend from now on, with `reason` as the message
 * (-daemonize: "cannot use stdio with -daemonize"); NULL allows it. */
void chardev_stdio_refuse(const char *reason);

/* Whether chr is a mux (several frontends take turns at its input). */
bool chardev_is_mux(const TsChardev *chr);

/* Whether the frontend attached with `opaque` receives chr's input now:
 * always on a plain backend, on a mux only while it has the focus. */
bool chardev_frontend_has_focus(const TsChardev *chr, const void *opaque);

#endif
