/*
 * core/block/block-export.h - what an exporter (the NBD server in
 * core/nbd/) needs of the block layer: a node found by drive id or node
 * name, used with its own permissions, and requests on it that run on
 * the block layer's workers and complete on the main loop.
 *
 * An export is not a device: it gets no backend that query-block would
 * list, its errors are reported to its client (never stop the VM), and
 * it lets others do everything (as QEMU's exports share all
 * permissions), so only its own write permission can conflict with a
 * device that does not share writes.
 */
#ifndef TESSERA_CORE_BLOCK_EXPORT_H
#define TESSERA_CORE_BLOCK_EXPORT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <tessera/block.h>

typedef struct BlockExportUser BlockExportUser;

/*
 * MAIN.  Use the node behind `device`: a -drive id (its root node) or a
 * node name, in QEMU's words when neither exists ("Cannot find
 * device='x' nor node-name='x'").  writable: take the write permission
 * (refused, with the block layer's message, when a user of the node does
 * not share it, or the node is read-only).
 */
BlockExportUser *block_export_open(const char *device, bool writable,
                                   GError **errp);
/*
 * MAIN, for the tessera-nbd tool: open an image as the emulator's -drive
 * would (format NULL: probe it), with more node options (`extra`, flat
 * keys such as "read-only", "cache.direct", "discard"; may be NULL).
 * image_opts: `filename` is an option string ("driver=qcow2,file..").
 * Errors say "Could not open 'x': ...".  Release with
 * block_export_release_image().
 */
TsBlockNode *block_export_open_image(const char *filename,
                                     const char *format, bool image_opts,
                                     GHashTable *extra, GError **errp);
void block_export_release_image(TsBlockNode *node);
/* MAIN.  Whether `name` is a node's name (block-export-add takes only
 * node names). */
bool block_export_node_exists(const char *name);
/* MAIN.  The ids of the -drive drives that have an image (HMP
 * nbd_server_start -a exports them all); g_strfreev. */
char **block_export_drive_names(void);
/* MAIN.  The same on a node the caller holds (the tessera-nbd tool's
 * image); takes its own reference. */
BlockExportUser *block_export_open_node(TsBlockNode *node, bool writable,
                                        GError **errp);
/* MAIN.  Wait for every submitted request (their done callbacks run
 * first), then drop the permissions and the node.  NULL is ignored. */
void block_export_close(BlockExportUser *u);

const char *block_export_node_name(const BlockExportUser *u);
/* Any thread: the node's current length. */
uint64_t block_export_length(BlockExportUser *u);
bool block_export_writable(const BlockExportUser *u);
/* Whether a discard reaches the image (discard=unmap on the node). */
bool block_export_can_discard(const BlockExportUser *u);
/* Any thread: requests submitted and not yet completed. */
unsigned block_export_inflight(const BlockExportUser *u);

typedef enum BlockExportOp {
    BLOCK_EXPORT_READ,
    BLOCK_EXPORT_WRITE,
    BLOCK_EXPORT_FLUSH,
    BLOCK_EXPORT_DISCARD,
    BLOCK_EXPORT_ZEROES,
    BLOCK_EXPORT_STATUS,        /* only extents, no data */
    BLOCK_EXPORT_READ_MAPPED,   /* extents, then data where not zero */
} BlockExportOp;

/* A run of bytes with one allocation state, through the backing chain. */
typedef struct BlockExportExtent {
    uint64_t length;
    bool data;                  /* stored data (not a hole) */
    bool zero;                  /* reads as zeroes */
} BlockExportExtent;

typedef struct BlockExportReq BlockExportReq;
struct BlockExportReq {
    BlockExportOp op;
    uint64_t offset, bytes;
    void *buf;                  /* READ*, WRITE: `bytes` bytes */
    unsigned flags;             /* TS_BLOCK_REQ_FUA, TS_BLOCK_REQ_MAY_UNMAP */
    /* STATUS, READ_MAPPED: filled with extents (BlockExportExtent) from
     * `offset`, at most max_extents of them (0: no limit) and at most
     * `bytes` in all; READ_MAPPED leaves zero extents' bytes untouched
     * in buf. */
    GArray *extents;
    unsigned max_extents;
    /* MAIN (big lock): ret is 0 or -errno. */
    void (*done)(BlockExportReq *req, int ret);
};

/*
 * MAIN.  Run the request on a worker; req->done runs later on the main
 * loop, never before this returns.  The caller checks the range against
 * the length it announced; a range past the node's current end (it
 * shrank meanwhile) completes with -EIO.  req and buf stay the caller's
 * and must live until done.
 */
void block_export_submit(BlockExportUser *u, BlockExportReq *req);

#endif
