/*
 * core/block/block-internal.h - what the files of core/block share:
 *
 *   block-driver.c   drivers as types ("<name>-blockdriver")
 *   block-opts.c     flat "a.b=c" option dictionaries (from -blockdev,
 *                    -drive and QMP JSON)
 *   block-node.c     opening and closing nodes, names, children, the
 *                    permissions that become image locks
 *   block-io.c       synchronous I/O on nodes and children
 *   block-pool.c     the worker threads and the completions they hand
 *                    back to the main loop
 *   block-backend.c  what a device attaches to: async requests, write
 *                    cache, detect-zeroes, rerror/werror, statistics
 *   block-probe.c    guessing an image's format from its first bytes
 *   block-legacy.c   -drive, -hda.., -snapshot and the boards' claims
 *   block-cli.c      -blockdev
 *   block-qmp.c      QMP commands and events; block-hmp.c the HMP ones
 *   block-commit.c   HMP commit: a top image's data into its backing file
 */
#ifndef TESSERA_CORE_BLOCK_INTERNAL_H
#define TESSERA_CORE_BLOCK_INTERNAL_H

#include <tessera/block.h>
#include <tessera/loop.h>
#include <json-glib/json-glib.h>
#include "block-graph.h"

/* The class of every "<name>-blockdriver" type. */
typedef struct BlockDriverClass {
    TsObjectClass parent;
    const TsBlockDriver *drv;
} BlockDriverClass;



/* ---- nodes (block-node.c) ------------------------------------------ */


typedef enum ChildRole { CHILD_FILE, CHILD_BACKING } ChildRole;

struct TsBlockChild {
    BlockUser user;
    char *name;                 /* "file", "backing" */
    ChildRole role;
    TsBlockNode *parent;        /* NULL for ts_block_create_file's */
    TsBlockNode *node;
};

typedef enum DetectZeroes {
    DETECT_ZEROES_OFF, DETECT_ZEROES_ON, DETECT_ZEROES_UNMAP,
} DetectZeroes;

/* The core's part of a node (TsBlockNode.core). */
typedef struct NodeCore {
    char *name;
    bool user_named;            /* node-name= given */
    bool monitor_owned;         /* -blockdev/blockdev-add: only
                                 * blockdev-del removes it */
    unsigned open_flags;        /* TS_BLOCK_OPEN_* */
    bool read_only;
    gint corrupt;               /* writes refused (fatal corruption) */
    bool discard_unmap;
    bool probed_raw;            /* raw by guess: block 0 is guarded */
    DetectZeroes detect_zeroes;
    int64_t length;             /* __atomic */
    char *filename;
    char *format_hint;          /* backing_fmt as opened */
    uint32_t align, logical, physical;
    GPtrArray *children;        /* TsBlockChild *, owned */
    GPtrArray *users;           /* BlockUser * (edges, backends) */
    uint64_t applied_perm, applied_shared;  /* protocol nodes */
    BlockOpts *child_opts;      /* what open_child takes from */
    BlockOpts *leftover;        /* during open only */
    gint inflight;              /* driver calls running */
    GMutex lock;
    GCond idle;
    uint64_t write_threshold;   /* 0: none */
    /* Made by the core for a -drive option (copy-on-read=on), not by
     * the user: query-block and query-blockstats look through it to
     * the node below, as QEMU skips its implicit filters. */
    bool implicit;
    /* Node-level statistics (query-blockstats "parent"), __atomic. */
    uint64_t wr_highest;        /* end of the highest write */
    uint64_t discard_ok, discard_failed, discard_bytes_ok;
} NodeCore;

static inline NodeCore *node_core(const TsBlockNode *n)
{
    return n->core;
}



/* ---- worker pool (block-pool.c) ------------------------------------ */

typedef struct BlockJob BlockJob;
struct BlockJob {
    int (*work)(BlockJob *job);         /* worker thread */
    void (*done)(BlockJob *job);        /* main thread, big lock */
    int ret;
    uint64_t bytes;                     /* what throttling counts */
    /* done may run on the worker itself, with the big lock, when work
     * succeeded and the lock is free (block-pool.c). */
    bool done_on_worker;
};
/* Run job->work on a worker, then job->done on the main loop (or, for
 * done_on_worker jobs, possibly on the worker). */
void block_pool_submit(BlockJob *job);
/* Run the completions that are ready (main thread); true if any ran. */
bool block_pool_run_completions(void);
/* Wait (main thread) until a completion is ready or a job finishes. */
void block_pool_wait(void);
/* A worker starts (true) or ends (false) a long wait of its own (for a
 * throttle group): the pool may run another worker meanwhile. */
void block_pool_worker_blocks(bool begin);

/* ---- throttling (block-throttle.c) --------------------------------- */

/* The SDK's TsBlockThrottleGroup (blk-throttle holds one). */
typedef struct TsBlockThrottleGroup ThrottleGroup;
/* From the "throttling." options (prefix removed); NULL and no error
 * when no limit is set.  Drives naming the same group= share it, with
 * an -object throttle-group too; the last limits given are the group's. */
ThrottleGroup *block_throttle_new(GHashTable *opts, const char *drive_id,
                                  const char *format, GError **errp);
/* -object throttle-group,id=ID: a group from its limits (flat keys as
 * "iops-total"; `prefix` is how the user spelled them, for messages). */
bool block_throttle_object_add(const char *id, GHashTable *limits,
                               const char *prefix, GError **errp);
/* Whether an -object throttle-group (or object-add) made group `id`;
 * object-del of it (refused while a drive or filter uses it). */
bool block_throttle_object_exists(const char *id);
bool block_throttle_object_del(const char *id, GError **errp);
ThrottleGroup *block_throttle_find(const char *name);
ThrottleGroup *block_throttle_ref(ThrottleGroup *g);
void block_throttle_unref(ThrottleGroup *g);
const char *block_throttle_name(ThrottleGroup *g);
/* Start the job when the limits allow (main thread). */
void block_throttle_submit(ThrottleGroup *g, BlockJob *job, bool write);
/* Any thread: return when the limits allow a request of `bytes`. */
void block_throttle_wait(ThrottleGroup *g, bool write, uint64_t bytes);
/* Start every waiting job now (draining cannot wait for the timer). */
void block_throttle_flush(ThrottleGroup *g);
/* The same for every group: a drain also releases the workers waiting in
 * "throttle" filters below the drained backend or node. */
void block_throttle_flush_all(void);
/* query-block's bps, iops, ..._max, group of a backend (g may be NULL). */
void block_throttle_info(ThrottleGroup *g, JsonObject *o);

/* ---- backends (block-backend.c) ------------------------------------ */

typedef enum ErrorAction {
    ERROR_ACTION_REPORT, ERROR_ACTION_IGNORE, ERROR_ACTION_STOP,
    ERROR_ACTION_ENOSPC,
} ErrorAction;

typedef struct BlockStats {
    uint64_t rd_bytes, wr_bytes, unmap_bytes;
    uint64_t rd_ops, wr_ops, flush_ops, unmap_ops;
    uint64_t failed_rd, failed_wr, failed_flush, failed_unmap;
    uint64_t rd_ns, wr_ns, flush_ns, unmap_ns;
    uint64_t wr_highest;
    int64_t last_ns;
} BlockStats;

/* What a -drive (or drive_add) asks of its backend. */
typedef struct BackendConf {
    ErrorAction rerror, werror;
    bool write_cache;           /* cache=writeback/none/unsafe */
    bool read_only;
} BackendConf;

struct TsBlockBackend {
    char *name;                 /* drive id; NULL for an anonymous one */
    TsBlockNode *root;
    BlockUser user;
    BackendConf conf;
    bool legacy;                /* made by -drive: lives until drive_del */
    TsObject *dev;              /* attached device, or NULL */
    const TsBlockDevOps *ops;
    void *opaque;
    unsigned inflight;
    bool draining;              /* errors are reported, not held */
    GQueue held;                /* requests waiting for `cont` */
    const char *iostatus;       /* "ok", "failed", "nospace" */
    BlockStats stats;
    ThrottleGroup *throttle;    /* throttling.*, or NULL */
    char *legacy_iface;         /* if= of a -drive */
    char *legacy_option;        /* "-drive ARG", for messages */
    unsigned legacy_index;
    bool claimed;
};

/* Every backend with a name (-drive), in creation order. */
GPtrArray *block_backends(void);
TsBlockBackend *block_backend_find(const char *name);
/* A named backend on root (legacy -drive). */
TsBlockBackend *block_backend_new(const char *name, TsBlockNode *root,
                                  const BackendConf *conf, GError **errp);
void block_backend_delete(TsBlockBackend *blk);
/* Every node's device name for events ("" if none). */
const char *block_backend_device_name(TsBlockNode *root);
TsBlockBackend *block_backend_of_node(TsBlockNode *root);
bool block_error_action_parse(const char *text, bool for_read,
                              ErrorAction *out, GError **errp);
const char *block_error_action_name(ErrorAction a);
/* Length changed (block_resize): tell the device. */
void block_backend_resized(TsBlockBackend *blk);


/* ---- legacy drives (block-legacy.c) --------------------------------- */

bool block_drives_open(GError **errp);
/* -blockdev / blockdev-add: a root node the monitor owns (opts consumed). */
TsBlockNode *block_blockdev_open(BlockOpts *o, GError **errp);

/* ---- -snapshot (block-create.c) ------------------------------------ */

/* Replace *node by a temporary qcow2 overlay over it. */
bool block_snapshot_overlay(TsBlockNode **node, GError **errp);


/* ---- monitors (block-qmp.c, block-hmp.c) ----------------------------- */

/* Every backend, named or attached anonymously. */
GPtrArray *block_all_backends(void);
/* What query-block shows, in order (g_ptr_array_unref the list). */
GPtrArray *block_query_backends(void);
JsonObject *block_device_info(TsBlockNode *n, TsBlockBackend *blk);
bool block_blockdev_del(const char *name, GError **errp);
bool block_resize(const char *device, const char *node_name, int64_t size,
                  GError **errp);

/* ---- events ---------------------------------------------------------- */

void block_event_io_error(TsBlockBackend *blk, bool write,
                          const char *action, int err);
void block_event_write_threshold(TsBlockNode *node, uint64_t offset,
                                 uint64_t bytes);
void block_event_corrupt(TsBlockNode *node, const char *msg, bool fatal,
                         uint64_t offset, uint64_t size);

#endif
