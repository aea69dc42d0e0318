/*
 * core/nbd/nbd-internal.h - what the files of core/nbd share:
 *
 *   nbd-proto.h      the protocol's numbers and byte order
 *   nbd-conn.c       one client's connection, without the socket: bytes
 *                    in, bytes out, the phase it is in, its lifetime
 *   nbd-negotiate.c  the option phase (fixed newstyle)
 *   nbd-request.c    the transmission phase: requests and their replies
 *   nbd-export.c     the export table (names, ids, removal, events)
 *   nbd-server.c     listening sockets and the clients' sockets
 *   nbd-qmp.c        nbd-server-*, block-export-*, query-block-exports;
 *                    nbd-hmp.c the HMP spellings
 *   nbd-tool.c       tessera-nbd, the counterpart of qemu-nbd
 *
 * The connection is a machine fed bytes (nbd_conn_feed) that queues its
 * output; the server moves those bytes between it and a socket.  So the
 * fuzz target drives the very same parser without sockets or a block
 * layer, through an export whose `submit` it provides.
 */
#ifndef TESSERA_CORE_NBD_INTERNAL_H
#define TESSERA_CORE_NBD_INTERNAL_H

#include "nbd-proto.h"
#include "block/block-export.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct NbdConn NbdConn;
typedef struct NbdExport NbdExport;

/* ---- exports (nbd-export.c) ------------------------------------------ */

struct NbdExport {
    char *id;                   /* block-export id (nbd-server-add: name) */
    char *name;                 /* what clients ask for */
    char *description;          /* NULL: none */
    BlockExportUser *blk;       /* NULL in the fuzz target */
    bool writable;
    uint64_t size;              /* announced to clients */
    bool can_discard;
    bool writethrough;          /* every write is FUA */
    /* NBD_FLAG_CAN_MULTI_CONN: read-only, and more than one client is
     * let in (tessera-nbd --shared=1 would make the others wait). */
    bool multi_conn;
    /* Run a request; req->done runs later (or, in the fuzz target, at
     * once).  nbd_export_submit() for a block node. */
    void (*submit)(NbdExport *exp, BlockExportReq *req);
    GPtrArray *conns;           /* NbdConn * using it */
    bool shutting_down;         /* removal asked, clients still there */
    bool in_table;
};

/* Every export, newest first (query-block-exports' order). */
GPtrArray *nbd_exports(void);
NbdExport *nbd_export_find_name(const char *name);
NbdExport *nbd_export_find_id(const char *id);
/* Add an export of `device` (a drive id or node name), with QEMU's
 * checks and words; the server must run. */
NbdExport *nbd_export_add(const char *id, const char *device,
                          const char *name, const char *description,
                          bool writable, GError **errp);
/* The tool's export: a node it opened itself. */
NbdExport *nbd_export_add_node(TsBlockNode *node, const char *name,
                               const char *description, bool writable,
                               GError **errp);
/* Remove: safe refuses while clients are connected; hard drops them.
 * BLOCK_EXPORT_DELETED is sent when it is gone. */
bool nbd_export_remove(NbdExport *exp, bool hard, GError **errp);
/* Drop every export (nbd-server-stop, exit). */
void nbd_export_remove_all(void);
/* A client stops using the export (its connection ends): a removal that
 * was waiting for it finishes. */
void nbd_export_put_conn(NbdExport *exp, NbdConn *conn);
void nbd_export_add_conn(NbdExport *exp, NbdConn *conn);
/* The transmission flags announced for the export. */
uint16_t nbd_export_flags(const NbdExport *exp, bool structured);
/* The block-layer submit. */
void nbd_export_submit(NbdExport *exp, BlockExportReq *req);

/* ---- a connection (nbd-conn.c) ---------------------------------------- */

typedef struct NbdConnOps {
    /* The export a client names ("" is a name like any other). */
    NbdExport *(*find)(const char *name, void *opaque);
    /* All exports, for NBD_OPT_LIST (a GPtrArray the caller frees). */
    GPtrArray *(*list)(void *opaque);
    /* Output was queued, or the connection wants to read again, or it
     * is ready to close: the socket side looks at it. */
    void (*wake)(void *opaque);
} NbdConnOps;

typedef enum NbdPhase {
    NBD_PHASE_CLIENT_FLAGS,     /* greeting sent, 4 bytes of flags due */
    NBD_PHASE_OPTIONS,
    NBD_PHASE_TRANSMISSION,
    NBD_PHASE_CLOSING,          /* send what is queued, then close */
} NbdPhase;

struct NbdConn {
    const NbdConnOps *ops;
    void *opaque;
    NbdPhase phase;
    GByteArray *in;             /* bytes received, not yet used */
    GByteArray *out;            /* bytes to send, from out_sent on */
    size_t out_sent;
    uint64_t skip;              /* payload bytes to throw away */
    bool no_zeroes;
    bool structured;
    char *meta_export;          /* SET_META_CONTEXT base:allocation for
                                 * this export name, or NULL */
    NbdExport *exp;             /* transmission phase */
    bool meta_alloc;
    unsigned inflight;
    uint64_t inflight_bytes;
    bool disconnecting;         /* NBD_CMD_DISC: finish, then close */
    bool dead;                  /* the socket is gone */
    bool processing;            /* inside process() */
    char *close_reason;         /* for -v */
};

NbdConn *nbd_conn_new(const NbdConnOps *ops, void *opaque);
/* Queue the greeting. */
void nbd_conn_start(NbdConn *c);
/* Bytes from the client, any chunking. */
void nbd_conn_feed(NbdConn *c, const uint8_t *data, size_t len);
/* Whether it takes more input now (not while its in-flight requests or
 * unsent replies are at their limits, nor once closing). */
bool nbd_conn_wants_input(const NbdConn *c);
/* Bytes queued and not sent yet (they start at out->data + out_sent),
 * and what the socket took of them. */
size_t nbd_conn_pending(const NbdConn *c);
void nbd_conn_sent(NbdConn *c, size_t n);
/* Closing and nothing left to send: the socket may go. */
bool nbd_conn_finished(const NbdConn *c);
/* The socket is gone (or the export is removed hard): no more output;
 * the connection frees itself once its requests completed. */
void nbd_conn_close(NbdConn *c);
/* Stop talking: queue nothing more, close once the output is sent. */
void nbd_conn_fail(NbdConn *c, const char *why);
/* Output helpers (nbd-negotiate.c, nbd-request.c). */
void nbd_conn_put(NbdConn *c, const void *data, size_t len);
void nbd_conn_put32(NbdConn *c, uint32_t v);
void nbd_conn_put64(NbdConn *c, uint64_t v);
void nbd_conn_put16(NbdConn *c, uint16_t v);
void nbd_conn_wake(NbdConn *c);
/* A request finished: maybe free a dead connection (true: it is gone). */
bool nbd_conn_request_done(NbdConn *c, uint64_t bytes);

/* ---- phases (nbd-negotiate.c, nbd-request.c) -------------------------- */

/* Use what they can of c->in; return the bytes used (0: need more). */
size_t nbd_negotiate_input(NbdConn *c, const uint8_t *p, size_t len);
size_t nbd_request_input(NbdConn *c, const uint8_t *p, size_t len);

/* ---- the server (nbd-server.c) ----------------------------------------- */

bool nbd_server_running(void);
/* Listen on a QEMU SocketAddress (flat: "type" inet/unix/fd with its
 * members at the top, as block-export.json's SocketAddress; the legacy
 * {"type", "data": {...}} form is unwrapped by the caller). */
typedef struct NbdListenAddr {
    bool is_unix;
    char *path;                 /* unix */
    char *host, *port;          /* inet */
    bool ipv4, ipv6;
} NbdListenAddr;
bool nbd_server_start(const NbdListenAddr *addr, uint32_t max_connections,
                      GError **errp);
void nbd_server_stop(void);
/* The tool: stop after the last client leaves (not --persistent). */
void nbd_server_set_oneshot(bool oneshot, void (*all_gone)(void));
/* Drop every client of `exp` (a hard removal). */
void nbd_server_drop_clients(NbdExport *exp);
/* QEMU's SocketAddress (flat or legacy) from QMP; clear what it set. */
bool nbd_listen_addr_from_json(JsonObject *o, NbdListenAddr *a,
                               GError **errp);
void nbd_listen_addr_clear(NbdListenAddr *a);
/* -v: say what clients do on stderr. */
void nbd_server_set_verbose(bool verbose);
/* The port an inet server got (for -p 0 in tests), or 0. */
unsigned nbd_server_port(void);

/* ---- events (nbd-qmp.c) ------------------------------------------------ */

void nbd_event_export_deleted(const char *id);

#endif
