/*
 * tessera/chardev.h - character devices: byte streams between a device
 * model (a "frontend": a UART, a virtio console, a monitor) and the host
 * (a "backend": stdio, a file, a pty, a socket, ...).
 *
 * The user creates backends on the command line
 * (`-chardev socket,id=ser0,path=/tmp/s,server=on,wait=off`); a device
 * finds one by id with ts_chardev_find() and attaches to it with
 * ts_chardev_attach().  From then on the backend calls the frontend's
 * handlers when bytes arrive or the connection changes, and the frontend
 * sends bytes with ts_chardev_write().
 *
 * Threading: every call here must be made with the big lock held
 * (ts_bql_lock()).  The main loop holds it while it runs callbacks, and a
 * vCPU thread that emulates a device register access holds it too, so
 * device code normally has nothing to do.  Handlers are called from the
 * main loop with the lock held.
 *
 * Flow control: before delivering input the backend asks can_receive();
 * while it answers 0 the backend stops reading its host file descriptor
 * (so a slow guest back-pressures a socket peer instead of making the core
 * buffer without bound).  When the frontend has room again (the guest read
 * its receive FIFO) it must call ts_chardev_accept_input(), or no more
 * input will ever arrive.
 *
 * Multiplexing: a backend created with mux=on can be attached by several
 * frontends (e.g. a serial port and the monitor with -nographic).  Input
 * goes to one frontend at a time, switched with Ctrl-a c; output from all
 * frontends is merged.
 */
#ifndef TESSERA_CHARDEV_H
#define TESSERA_CHARDEV_H

#include <tessera/types.h>

TS_BEGIN_DECLS

/* A backend instance.  Opaque; owned by the core. */
typedef struct TsChardev TsChardev;

typedef enum TsChardevEvent {
    /* The backend has a peer: a client connected to a socket, a program
     * opened the pty, or (for files, stdio, ...) the backend exists.  A
     * frontend that attaches to an already open backend gets OPENED from
     * inside ts_chardev_attach(). */
    TS_CHARDEV_EVENT_OPENED,
    /* The peer went away (socket client disconnected, stdin reached EOF,
     * pty closed).  Output written now is discarded until OPENED. */
    TS_CHARDEV_EVENT_CLOSED,
    /* A break condition (telnet BREAK, Ctrl-a b on a mux). */
    TS_CHARDEV_EVENT_BREAK,
    /* Mux only: this frontend now receives the input (Ctrl-a c). A monitor
     * uses it to print its prompt again. */
    TS_CHARDEV_EVENT_MUX_IN,
    /* Mux only: this frontend no longer receives the input. */
    TS_CHARDEV_EVENT_MUX_OUT,
} TsChardevEvent;

/* What a frontend provides.  Any handler may be NULL: a NULL can_receive
 * or receive means the frontend takes no input; a NULL event ignores
 * events.  The struct must stay valid while attached (make it static
 * const). */
typedef struct TsChardevHandlers {
    /* How many bytes the frontend can take right now (e.g. free space in
     * the UART's receive FIFO).  0 pauses input until the frontend calls
     * ts_chardev_accept_input(). */
    size_t (*can_receive)(void *opaque);
    /* Input bytes; len is never more than the last can_receive() said. */
    void (*receive)(void *opaque, const uint8_t *buf, size_t len);
    /* A connection or mux event, see TsChardevEvent. */
    void (*event)(void *opaque, TsChardevEvent event);
    void *reserved[4];
} TsChardevHandlers;

/* The backend with this id (the `id=` of -chardev), or NULL. */
TsChardev *ts_chardev_find(const char *id);

/* The backend's id. */
const char *ts_chardev_id(const TsChardev *chr);

/*
 * Attach a frontend.  opaque is passed to every handler and identifies the
 * frontend in ts_chardev_detach().  Fails (false + errp) when the backend
 * already has a frontend and was not created with mux=on, or when a mux
 * has no room for another frontend.  If the backend is open, h->event gets
 * TS_CHARDEV_EVENT_OPENED before this returns.  On a mux the frontend
 * attached last receives the input first.
 */
bool ts_chardev_attach(TsChardev *chr, const TsChardevHandlers *h,
                       void *opaque, GError **errp);

/* Detach the frontend attached with this opaque.  No handler is called
 * after this returns.  Does nothing if it is not attached. */
void ts_chardev_detach(TsChardev *chr, void *opaque);

/*
 * Send bytes to the host.  Never blocks the main loop: what the host side
 * cannot take now is buffered (up to 1 MiB per backend) and written when it
 * can.  Returns the number of bytes accepted: len, unless the buffer was
 * full and the rest was dropped (counted; see the chardev's statistics).
 * Bytes written while the backend has no peer (a socket without client) are
 * discarded and count as accepted, as on a real serial line nobody listens
 * to.
 */
size_t ts_chardev_write(TsChardev *chr, const void *buf, size_t len);

/* The frontend can take input again after its can_receive() returned 0
 * (or less than what was pending): the backend delivers what it holds and
 * resumes reading.  Cheap; safe to call when nothing was paused. */
void ts_chardev_accept_input(TsChardev *chr);

/* Whether the backend currently has a peer (between OPENED and CLOSED). */
bool ts_chardev_is_open(const TsChardev *chr);

/* Bytes of output dropped so far because the output buffer was full. */
uint64_t ts_chardev_dropped_bytes(const TsChardev *chr);

TS_END_DECLS

#endif
