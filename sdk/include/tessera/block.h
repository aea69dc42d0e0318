/*
 * tessera/block.h - the block layer: disk image drivers (blk-* plugins)
 * and the devices that show disks to a guest.
 *
 * Part of the Tessera plugin SDK.
 *
 * THE GRAPH
 *
 * The core keeps a graph of block nodes.  Each node is one driver at work:
 * a protocol driver reaches host storage ("file": a POSIX file or host
 * block device, "null-co"), a format driver interprets the bytes of a
 * child node ("raw", "qcow2"), a filter passes requests on to one child,
 * changing when or how ("throttle", "copy-on-read").  The usual stack is
 * a format node over a protocol node (its "file" child), optionally over
 * a backing chain (a "backing" child, itself a format node over a file).
 * Nodes have names (node-name=, or "#blockN" when the user gave none).
 *
 * A device never sees nodes: it attaches to a BACKEND (TsBlockBackend)
 * named by its `drive=` property: the id of a -drive, or the node-name of
 * a -blockdev.  The backend is where the core does what QEMU does for a
 * guest disk: request accounting (query-blockstats), the write cache
 * setting, detect-zeroes, discard=ignore|unmap, the rerror/werror actions
 * (the VM stops with a BLOCK_IO_ERROR event; `cont` retries), write
 * thresholds, throttling, and moving requests to worker threads so that
 * neither a vCPU nor the monitor ever waits for the disk.
 *
 * THREADS (read this before writing a driver)
 *
 *  Main thread, big lock held ("MAIN" below): the driver hooks open,
 *  close, truncate, get_info, set_perm, create; and every backend call a
 *  device makes (it may make them from a vCPU thread that holds the big
 *  lock, as MMIO handlers do).  The core drains the node (waits until no
 *  request is in flight on it or on any parent) before it calls open's
 *  partners close and truncate, so these never run concurrently with I/O
 *  on the same node.
 *
 *  Worker threads, big lock NOT held ("WORKER" below): the I/O hooks
 *  preadv, pwritev, flush, discard, write_zeroes and block_status.  The
 *  core runs requests on a pool of worker threads, so the same node's I/O
 *  hooks run CONCURRENTLY with each other (several requests in flight at
 *  once, as a guest's queue depth allows).  A driver that keeps metadata
 *  (qcow2) protects it with its own GMutex.  These hooks must not take
 *  the big lock (the main thread may be draining, waiting for them) and
 *  may use only the thread-safe calls of <tessera/loop.h>.  They may also
 *  be called on the main thread while a parent node is being opened or
 *  created (a format driver reads its header from open).
 *
 *  Child I/O (ts_block_child_*) is SYNCHRONOUS and runs in the calling
 *  thread: call it from your I/O hooks, or from open/close/create/truncate.
 *  Results come back as 0 or a negative errno, never an exception.
 *
 *  Completions of device requests run with the big lock held, never
 *  inside the call that submitted it: on the main thread from a bottom
 *  half, or (a request that succeeded, when the lock was free) on the
 *  worker thread that served it, which saves waking the main loop.
 *
 * ERRORS
 *
 * I/O hooks return 0 (or a non-negative value where said) or -errno:
 * -EIO for a failure of the medium, -ENOSPC when the host is full (what
 * werror=enospc looks for), -EINVAL for a request the driver cannot
 * serve, -ENOMEDIUM/-EROFS/-EPERM as the host said.  Hooks that run on
 * the main thread take a GError **errp as the rest of the SDK: the
 * message is shown to the user as is (no "tessera:" prefix, no newline).
 */
#ifndef TESSERA_BLOCK_H
#define TESSERA_BLOCK_H

#include <tessera/object.h>
#include <sys/uio.h>

TS_BEGIN_DECLS

/* Every driver type derives from this abstract type; its type name is
 * "<driver>-blockdriver" ("file-blockdriver" for driver=file), which is
 * what the plugin's sidecar records, so `-blockdev driver=help` lists
 * drivers and `driver=qcow2` loads blk-qcow2 without running other code. */
#define TS_TYPE_BLOCK_DRIVER "blockdriver"
#define TS_BLOCK_DRIVER_SUFFIX "-blockdriver"

/* Sectors, as the guest-facing world counts them. */
#define TS_BLOCK_SECTOR_SIZE 512

typedef struct TsBlockNode TsBlockNode;
typedef struct TsBlockChild TsBlockChild;
typedef struct TsBlockThrottleGroup TsBlockThrottleGroup;
typedef struct TsBlockBackend TsBlockBackend;
typedef struct TsBlockCheckResult TsBlockCheckResult;   /* ABI 1.5 */
typedef struct TsBlockMeasure TsBlockMeasure;           /* ABI 1.5 */

/* ================================================================== */
/* Part 1: drivers                                                    */
/* ================================================================== */

typedef enum TsBlockDriverKind {
    /* Reaches host storage itself ("file", "null-co"); has no children.
     * Its options name the storage (filename=). */
    TS_BLOCK_PROTOCOL,
    /* Interprets a child's bytes as an image ("raw", "qcow2"): its data
     * lives in the child it opens as "file", and it may have a backing
     * child. */
    TS_BLOCK_FORMAT,
    /* Passes every request to its one "file" child, changing when or how
     * ("throttle", "copy-on-read").  Transparent for query-block: the
     * image shown is the child's. */
    TS_BLOCK_FILTER,
} TsBlockDriverKind;

/* Request flags. */
enum {
    /* pwritev: the data is on stable storage when the hook returns
     * (forced unit access).  Only given to drivers that list it in
     * supported_write_flags; for the others the core follows the write
     * with a flush. */
    TS_BLOCK_REQ_FUA = 1u << 0,
    /* write_zeroes: the range may be deallocated (discarded) as long as
     * it then reads as zeroes. */
    TS_BLOCK_REQ_MAY_UNMAP = 1u << 1,
    /* write_zeroes: fail with -ENOTSUP rather than write zero buffers
     * when there is no cheap way (the core then decides). */
    TS_BLOCK_REQ_NO_FALLBACK = 1u << 2,
    /* pwritev (since ABI 1.5): store the data compressed (`convert -c`).
     * Only for drivers that list it in supported_write_flags, and only
     * whole clusters at cluster-aligned offsets (get_info's
     * cluster_size), except a last partial cluster that ends at the end
     * of the image; the driver refuses other writes with -EINVAL.  To a
     * driver that does not list it the core answers -ENOTSUP. */
    TS_BLOCK_REQ_WRITE_COMPRESSED = 1u << 3,
};

/* What block_status says about a range (bits, or-ed). */
enum {
    /* Reading the range returns data stored at *map of the returned child
     * (or, without OFFSET_VALID, stored somewhere in this node). */
    TS_BLOCK_STATUS_DATA = 1u << 0,
    /* The range reads as zeroes. */
    TS_BLOCK_STATUS_ZERO = 1u << 1,
    /* *map holds the offset of the data in the child returned in *file. */
    TS_BLOCK_STATUS_OFFSET_VALID = 1u << 2,
    /* This node itself defines the range's contents (as opposed to
     * "read it from my backing child"): what `qemu-img map` and commit
     * need to walk a backing chain. */
    TS_BLOCK_STATUS_ALLOCATED = 1u << 3,
    /* The range lies past the end of the node (only with ZERO). */
    TS_BLOCK_STATUS_EOF = 1u << 4,
};

/*
 * Permissions, for image locking.  A node's users (devices, parents,
 * jobs) each say what they need to do (perm) and what they let others do
 * (shared).  The core combines them along the graph and hands the
 * protocol node the result in set_perm; blk-file turns it into byte-range
 * locks on the image exactly where QEMU puts them, so that a QEMU and a
 * Tessera exclude each other.  The values are QEMU's.
 */
enum {
    TS_BLOCK_PERM_CONSISTENT_READ = 1u << 0, /* reads see consistent data */
    TS_BLOCK_PERM_WRITE = 1u << 1,           /* writes that change data */
    TS_BLOCK_PERM_WRITE_UNCHANGED = 1u << 2, /* writes of unchanged data */
    TS_BLOCK_PERM_RESIZE = 1u << 3,          /* changing the length */
    TS_BLOCK_PERM_ALL = (1u << 4) - 1,
};

/* Preallocation of truncate and create (QEMU's preallocation=). */
typedef enum TsBlockPrealloc {
    TS_BLOCK_PREALLOC_OFF,      /* sparse */
    TS_BLOCK_PREALLOC_METADATA, /* format metadata only */
    TS_BLOCK_PREALLOC_FALLOC,   /* fallocate(2) */
    TS_BLOCK_PREALLOC_FULL,     /* write zeroes */
} TsBlockPrealloc;

/* How the node was opened: see ts_block_node_open_flags(). */
enum {
    TS_BLOCK_OPEN_RDWR = 1u << 0,       /* not read-only */
    /* cache.direct=on: bypass the host page cache (O_DIRECT). */
    TS_BLOCK_OPEN_DIRECT = 1u << 1,
    /* cache.no-flush=on (cache=unsafe): the core drops flushes before
     * they reach the driver; a driver needs no test of its own. */
    TS_BLOCK_OPEN_NO_FLUSH = 1u << 2,
    /* auto-read-only=on: a protocol driver that cannot open its storage
     * for writing opens it read-only instead of failing (the node then is
     * read-only: call ts_block_node_set_read_only()). */
    TS_BLOCK_OPEN_AUTO_READ_ONLY = 1u << 3,
    /* force-share=on: take no locks that exclude other users; only with
     * read-only (the core refuses force-share on a writable node). */
    TS_BLOCK_OPEN_FORCE_SHARE = 1u << 4,
    /* (since ABI 1.5) Opened for `tessera-img check`: a format driver
     * opens a damaged image as it is, without repairing it on open (a
     * dirty image's refcounts) or refusing to write it (a corrupt one),
     * because its check hook reports and repairs those itself. */
    TS_BLOCK_OPEN_CHECK = 1u << 5,
};

/*
 * What get_info adds to query-block / query-named-block-nodes / `qemu-img
 * info`-style output.  The core fills the generic parts (virtual size,
 * actual size of a protocol file, format name, backing file names it
 * opened) before the hook and owns the strings after it (g_free'd).
 */
typedef struct TsBlockInfo {
    uint32_t cluster_size;      /* 0: no clusters */
    bool dirty;                 /* the image's dirty flag is set */
    bool corrupt;               /* the image is marked corrupt */
    bool encrypted;
    /* Backing file name and format as recorded in the image (as the
     * user wrote them), or NULL. */
    char *backing_filename;
    char *backing_format;
    /* QMP "format-specific" data: a JSON object text (g_strdup'd by the
     * driver), e.g. qcow2's {"compat": "1.1", "lazy-refcounts": false,
     * "refcount-bits": 16, "corrupt": false, "extended-l2": false}.
     * The core wraps it as {"type": <driver name>, "data": <this>}. */
    char *format_specific_json;
    void *reserved[8];
} TsBlockInfo;

/* One internal snapshot of an image, as QEMU's SnapshotInfo. */
typedef struct TsBlockSnapshotInfo {
    char *id;                   /* "1", "2", ...  (g_strdup'd) */
    char *name;                 /* the tag (g_strdup'd, may be "") */
    uint64_t vm_state_size;     /* bytes of VM state saved with it */
    uint32_t date_sec;          /* when it was taken (Unix time) */
    uint32_t date_nsec;
    uint64_t vm_clock_nsec;     /* the guest's clock at that time */
    uint64_t icount;            /* instructions; UINT64_MAX: not known */
    void *reserved[4];
} TsBlockSnapshotInfo;

/*
 * The driver's model, static const in the plugin and registered from its
 * init with ts_block_driver_register().  Hooks marked optional may be
 * NULL; the core then does what is said next to them.  The node state is
 * the driver's struct of instance_size bytes with TsBlockNode as its first
 * member; options land in its fields before open is called.
 */
typedef struct TsBlockDriver {
    const char *name;           /* driver=: "file", "raw", "qcow2" */
    const char *description;    /* one line, for driver=help */
    TsBlockDriverKind kind;
    size_t instance_size;       /* the node struct, TsBlockNode first */
    /*
     * The driver's own options (TS_PROP_END terminated, offsets into the
     * node struct) or NULL: `-blockdev driver=file,filename=x,aio=threads`
     * sets `filename` and `aio` here, with the object model's parsing and
     * error messages, and `-blockdev driver=NAME,help` lists them.  The
     * common options (node-name, read-only, cache.*, discard,
     * detect-zeroes, force-share, auto-read-only) are the core's and never
     * appear here; nor do children's options ("file.filename=x" goes to
     * the child "file" opens).  Strings are freed by the core after
     * close.
     */
    const TsProperty *options;

    /* MAIN.  Open the node: options are set; format drivers and filters
     * open their children now with ts_block_open_child() and
     * ts_block_open_backing().  Check the image, set the length
     * (ts_block_node_set_length) or provide get_length.  false + errp: the
     * core calls nothing else (not close) and frees the node and the
     * children opened so far. */
    bool (*open)(TsBlockNode *node, GError **errp);
    /* MAIN, optional.  Flush nothing here (the core flushed), just
     * release what open took.  Children are released by the core after
     * this returns. */
    void (*close)(TsBlockNode *node);

    /* WORKER.  Read `bytes` at `offset` into the vector (which holds
     * exactly `bytes`).  The core checks the range against the length;
     * a format driver reads unallocated ranges from its backing child
     * itself (or zeroes without one). */
    int (*preadv)(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                  const struct iovec *iov, int niov, unsigned flags);
    /* WORKER.  Write; flags may hold TS_BLOCK_REQ_FUA if listed in
     * supported_write_flags.  Never called on a read-only node. */
    int (*pwritev)(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                   const struct iovec *iov, int niov, unsigned flags);
    /* WORKER, optional.  Make every completed write stable (fdatasync;
     * a format driver writes its cached metadata and flushes its "file"
     * child).  NULL: the core flushes the children. */
    int (*flush)(TsBlockNode *node);
    /* WORKER, optional.  The range's data is no longer needed; may do
     * nothing.  Only called when the user allowed it (discard=unmap).
     * NULL: discards are dropped (success). */
    int (*discard)(TsBlockNode *node, uint64_t offset, uint64_t bytes);
    /* WORKER, optional.  Make the range read as zeroes (flags:
     * MAY_UNMAP, NO_FALLBACK).  -ENOTSUP or NULL: the core writes zero
     * buffers instead (unless NO_FALLBACK). */
    int (*write_zeroes)(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                        unsigned flags);
    /*
     * WORKER, optional.  Describe the start of [offset, offset + bytes):
     * return TS_BLOCK_STATUS_* bits (>= 0) for the first *pnum bytes
     * (0 < *pnum <= bytes) or -errno.  With OFFSET_VALID set *map and
     * *file (the child holding the data).  NULL: the whole range is
     * DATA | ALLOCATED (a format or filter: what its file child says).
     */
    int (*block_status)(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                        uint64_t *pnum, uint64_t *map, TsBlockChild **file);
    /* Any thread, optional: the current length in bytes (or -errno).
     * NULL: the value last given to ts_block_node_set_length(). */
    int64_t (*get_length)(TsBlockNode *node);

    /* MAIN, optional.  Change the length (block_resize, image tools).
     * exact: the result must be exactly `length` (else a protocol driver
     * may leave a host device larger).  NULL: "Cannot resize this image"
     * style refusal.  On success also call ts_block_node_set_length(). */
    bool (*truncate)(TsBlockNode *node, uint64_t length, bool exact,
                     TsBlockPrealloc prealloc, GError **errp);
    /* MAIN, optional.  Add what the generic code cannot know (see
     * TsBlockInfo).  NULL: nothing to add. */
    bool (*get_info)(TsBlockNode *node, TsBlockInfo *info, GError **errp);
    /*
     * MAIN, protocol drivers, optional: the combined permissions of
     * everyone using this node changed (after open, when a device
     * attaches or detaches, on blockdev-del of a parent).  `perm` is what
     * users do, `shared` what they allow others.  Take or release host
     * locks; false + errp (e.g. QEMU's 'Failed to get "write" lock') when
     * another process holds a conflicting one: the core then keeps the
     * old permissions and refuses what asked for the new ones.
     */
    bool (*set_perm)(TsBlockNode *node, uint64_t perm, uint64_t shared,
                     GError **errp);

    /*
     * MAIN, optional: make a new image at `filename` (a path for a
     * protocol driver; a format driver creates and opens the underlying
     * file with ts_block_create_file()).  `opts` points at a zeroed
     * struct of create_opts_size bytes filled from create_options
     * (defaults first, then what the user gave), e.g. qcow2's size,
     * backing_file, backing_fmt, cluster_size, compat, lazy_refcounts.
     * Option names are QEMU's (qemu-img create -o): -snapshot's temporary
 * overlay asks the qcow2 driver for size, backing_file and backing_fmt
 * (the core's block-create.c), so a format that can be an overlay
 * declares at least those.  Used by -snapshot and the image tool.  NULL:
     * the format cannot be created ("Driver 'x' does not support image
     * creation").  Strings in *opts are freed by the core.
     */
    bool (*create)(const char *filename, const void *opts, GError **errp);
    size_t create_opts_size;
    const TsProperty *create_options;   /* TS_PROP_END terminated */

    /* TS_BLOCK_REQ_FUA if pwritev honours it. */
    unsigned supported_write_flags;
    /* A format that can have a backing file (the core then accepts the
     * backing= option for it and query-block shows backing images). */
    bool supports_backing;
    /* A new image of this format reads as zeroes (qemu-img convert
     * may then skip zero ranges). */
    bool has_zero_init;
    /*
     * MAIN, optional, formats with supports_backing: forget everything
     * this image holds so that every range reads from the backing file
     * again (what HMP `commit` does to the top image once its data is in
     * the backing file: qcow2 unallocates its clusters).  Called with the
     * node drained and writable.  0 or -errno.  NULL: the image keeps its
     * data (still correct: it equals what the backing file now holds).
     */
    int (*make_empty)(TsBlockNode *node);
    /*
     * MAIN, optional: switch the node between read-only and read-write
     * (commit writes into a backing file opened read-only, as QEMU
     * reopens it for the time of the commit).  Called with the node
     * drained; the core changes TS_BLOCK_OPEN_RDWR itself and calls
     * set_perm again afterwards (a protocol driver that reopens its
     * storage forgets the locks it held on the old handle).  Protocol
     * drivers need it for their node to be reopened; a format or filter
     * that keeps no state of its own about the mode may leave it NULL,
     * except a format with supports_backing (its metadata handling
     * depends on the mode): without the hook its node stays read-only.
     */
    bool (*reopen)(TsBlockNode *node, bool read_write, GError **errp);

    /*
     * Internal snapshots (qcow2's): what `info snapshots`, savevm/loadvm/
     * delvm and `qemu-img snapshot` reach.  All MAIN and optional (NULL:
     * the format has none; the core then says so as QEMU does).
     *
     * snapshot_list: a g_new'd array of *count entries in the image's
     * order (the core g_frees each entry's id and name, then the array;
     * NULL when there are none); false + errp if the table cannot be
     * read.
     */
    bool (*snapshot_list)(TsBlockNode *node, TsBlockSnapshotInfo **list,
                          int *count, GError **errp);
    /* Take a snapshot of the disk as it is now: `id` NULL picks the next
     * free number (as QEMU), `name` is the tag; vm_clock_nsec is the
     * guest's clock to record.  The node is drained and writable. */
    bool (*snapshot_create)(TsBlockNode *node, const char *id,
                            const char *name, uint64_t vm_clock_nsec,
                            GError **errp);
    /* Make the disk what snapshot `id_or_name` holds (id matched first,
     * then name, as QEMU).  Drained and writable. */
    bool (*snapshot_goto)(TsBlockNode *node, const char *id_or_name,
                          GError **errp);
    /* Delete snapshot `id_or_name` (id first, then name).  Drained and
     * writable. */
    bool (*snapshot_delete)(TsBlockNode *node, const char *id_or_name,
                            GError **errp);

    /* ---- since ABI 1.5: what the image tool (tessera-img) needs ---- */

    /*
     * MAIN, optional: check the image's metadata (`tessera-img check`,
     * qemu-img's semantics).  Fill *result (zeroed by the core; the core
     * fills filename and format).  `fix` is TS_BLOCK_FIX_* bits: repair
     * what they name (the node is then writable) and count it in the
     * *_fixed fields; without them, change nothing.  Returns 0 when the
     * check ran to the end, whatever it found, or -errno when it could
     * not (then check_errors says how many parts could not be read).
     * NULL: "This image format does not support checks".
     */
    int (*check)(TsBlockNode *node, TsBlockCheckResult *result,
                 unsigned fix);
    /*
     * MAIN, optional: change options of an existing image (`tessera-img
     * amend -o`).  `opts` is a create_options struct as for create, with
     * the image's current values where the user gave nothing; `given`
     * NULL-terminated lists the option names the user did give.  Refuse
     * (false + errp, image unchanged) what cannot be changed, in QEMU's
     * words ("Cannot change cluster size" style).  The node is drained
     * and writable.  NULL: "Format driver 'x' does not support option
     * amendment".
     */
    bool (*amend)(TsBlockNode *node, const void *opts,
                  const char *const *given, GError **errp);
    /*
     * Any thread, optional: how large a new image of this format would
     * be on the host (`tessera-img measure`).  `opts` is a create_options
     * struct (its size field is the virtual size when `source` is NULL).
     * With `source`, the new image would hold a copy of that node's
     * data: walk its allocation with ts_block_node_block_status() (ranges
     * that are not DATA need no cluster).  Set out->required (bytes the
     * file needs for that content) and out->fully_allocated (every
     * cluster allocated); out->bitmaps is 0 unless the format stores
     * dirty bitmaps.  NULL: "Format driver 'x' does not support size
     * measurement".
     */
    bool (*measure)(const void *opts, TsBlockNode *source,
                    TsBlockMeasure *out, GError **errp);
    /*
     * MAIN, protocol drivers, optional (since ABI 1.5): the driver opens
     * URL-style filenames, as QEMU's protocols: a filename
     * "SCHEME:rest" whose SCHEME up to its first '+' is this driver's
     * name ("nbd://host:10809/exp", "nbd+unix:///exp?socket=/s") is
     * opened with this driver wherever a filename is taken (-drive
     * file=, -hda, backing files, the image tool).  Turn it into the
     * driver's own options: add string values to `opts` with
     * g_hash_table_replace(opts, g_strdup(key), g_strdup(value)) under
     * the driver's option names ("server.type", "server.host",
     * "export"...).  false + errp: a malformed filename, in QEMU's words.
     */
    bool (*parse_filename)(const char *filename, GHashTable *opts,
                           GError **errp);
    void *reserved[6];
} TsBlockDriver;

/* check's fix bits (`-r leaks`, `-r all`). */
enum {
    TS_BLOCK_FIX_LEAKS = 1u << 0,   /* free clusters nothing refers to */
    TS_BLOCK_FIX_ERRORS = 1u << 1,  /* repair refcounts that are wrong */
};

/* What check found, with qemu-img check's fields and meanings. */
struct TsBlockCheckResult {
    int corruptions;            /* metadata errors (refcount too low...) */
    int leaks;                  /* clusters allocated but not referenced */
    int check_errors;           /* parts that could not be checked (I/O) */
    int corruptions_fixed;
    int leaks_fixed;
    /* Where the image's data ends in the file; 0: unknown. */
    int64_t image_end_offset;
    /* Cluster statistics ("allocated-clusters" ...); total_clusters 0:
     * the format has no clusters and none of them is printed. */
    int64_t total_clusters;
    int64_t allocated_clusters;
    int64_t fragmented_clusters;
    int64_t compressed_clusters;
    void *reserved[4];
};

/* What measure answers (qemu-img measure's "required", "fully-allocated",
 * "bitmaps"). */
struct TsBlockMeasure {
    uint64_t required;
    uint64_t fully_allocated;
    uint64_t bitmaps;
    void *reserved[2];
};

/* The head of every node struct.  Fields are the core's. */
struct TsBlockNode {
    TsObject parent;
    const TsBlockDriver *driver;
    void *core;                 /* private: graph and request state */
    void *reserved[4];
};

/* Register driver `drv` as type "<name>-blockdriver".  From the plugin's
 * init only; `drv` must stay valid forever (static const). */
bool ts_block_driver_register(const TsBlockDriver *drv, GError **errp);

/* ---- node accessors (any thread unless said) --------------------- */

/* The node's name (node-name= or the core's "#blockN"). */
const char *ts_block_node_name(const TsBlockNode *node);
/* TS_BLOCK_OPEN_* bits the node was opened with. */
unsigned ts_block_node_open_flags(const TsBlockNode *node);
/* Whether writes are refused (read-only=on, or the driver made it so). */
bool ts_block_node_is_read_only(const TsBlockNode *node);
/* MAIN, from open: the storage turned out read-only (auto-read-only). */
void ts_block_node_set_read_only(TsBlockNode *node);
/* The node's length in bytes.  Set it from open (and truncate) unless
 * the driver has get_length.  Any thread. */
void ts_block_node_set_length(TsBlockNode *node, uint64_t length);
int64_t ts_block_node_length(TsBlockNode *node);
/* The file name query-block shows ("filename" of the image): protocol
 * drivers set it from open (the core copies it); format nodes and
 * filters show their file child's unless they set one.  MAIN. */
void ts_block_node_set_filename(TsBlockNode *node, const char *filename);
const char *ts_block_node_filename(const TsBlockNode *node);
/* Smallest offset/length alignment the node serves (default 1; blk-file
 * with O_DIRECT sets the device's logical block size); the core rounds
 * device requests or bounces for it.  MAIN, from open. */
void ts_block_node_set_request_alignment(TsBlockNode *node, uint32_t align);
/* Logical and physical block size of the host storage, for the device's
 * defaults (blk-file on a host block device; others leave 512/4096).
 * MAIN, from open. */
void ts_block_node_set_block_sizes(TsBlockNode *node, uint32_t logical,
                                   uint32_t physical);

/* A warning about the node on stderr (and in the monitor's log), as
 * "tessera-system-riscv64: warning: <node-name>: <text>".  Any thread. */
void ts_block_node_warn(TsBlockNode *node, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
/*
 * The driver found the image's metadata corrupt at [offset, offset+size)
 * (size 0: not known).  The core emits QEMU's BLOCK_IMAGE_CORRUPTED event
 * and prints the message; with fatal, the node stops taking writes (they
 * fail with -EIO; query-block shows it read-only) so that nothing is
 * written through broken metadata.  A format driver also sets its
 * image's corrupt bit if it has one.  Any thread.
 */
void ts_block_node_report_corrupt(TsBlockNode *node, bool fatal,
                                  uint64_t offset, uint64_t size,
                                  const char *fmt, ...) G_GNUC_PRINTF(5, 6);

/* ---- children ---------------------------------------------------- */

/*
 * MAIN, from open.  Open the child `name` ("file", or another name a
 * driver defines) from what the user gave: a nested set of options
 * ("file.driver=file,file.filename=x" / QMP {"file": {...}}) or the name
 * of an existing node ("file=node0").  The child gets the permissions the
 * parent is given (plus what it needs itself).  NULL + errp if the user
 * gave nothing and !optional ("A block device must be specified for
 * \"file\""), or if the child fails to open; NULL without an error if
 * optional and absent.
 */
TsBlockChild *ts_block_open_child(TsBlockNode *parent, const char *name,
                                  bool optional, GError **errp);
/*
 * MAIN, from open of a driver with supports_backing.  Open the backing
 * child: the user's backing= (a node name, nested options, or null for
 * none) wins; otherwise `filename`, of `format` (NULL: probe), opened as
 * given.  A name the image records relative to its own directory is the
 * driver's to resolve first, as QEMU's drivers do: join it with the
 * directory part of the file child's ts_block_node_filename() ("base" in
 * "dir/ov.qcow2" is "dir/base", in "ov.qcow2" stays "base"; the format
 * node's own filename is not known yet during open).  Returns NULL
 * without an error when there is no backing file (filename NULL or
 * backing=null).  Backing nodes are opened read-only.
 */
TsBlockChild *ts_block_open_backing(TsBlockNode *parent,
                                    const char *filename, const char *format,
                                    GError **errp);
/* The node a child edge points to. */
TsBlockNode *ts_block_child_node(TsBlockChild *child);

/*
 * Synchronous I/O on a child, in the calling thread (see THREADS).  Same
 * conventions as the driver hooks: 0 or -errno.  Reads past the child's
 * end are an error (-EIO), except that pread of a format driver's backing
 * child is zero-filled past its end (a backing file may be shorter).
 */
int ts_block_child_preadv(TsBlockChild *child, uint64_t offset,
                          uint64_t bytes, const struct iovec *iov, int niov,
                          unsigned flags);
int ts_block_child_pwritev(TsBlockChild *child, uint64_t offset,
                           uint64_t bytes, const struct iovec *iov, int niov,
                           unsigned flags);
/* Flat-buffer forms. */
int ts_block_child_pread(TsBlockChild *child, uint64_t offset, void *buf,
                         uint64_t bytes);
int ts_block_child_pwrite(TsBlockChild *child, uint64_t offset,
                          const void *buf, uint64_t bytes, unsigned flags);
int ts_block_child_flush(TsBlockChild *child);
int ts_block_child_discard(TsBlockChild *child, uint64_t offset,
                           uint64_t bytes);
int ts_block_child_write_zeroes(TsBlockChild *child, uint64_t offset,
                                uint64_t bytes, unsigned flags);
int ts_block_child_block_status(TsBlockChild *child, uint64_t offset,
                                uint64_t bytes, uint64_t *pnum,
                                uint64_t *map, TsBlockChild **file);
/* block_status of any node (since ABI 1.5), as the child form: for a
 * driver's measure hook walking its source, and tools. */
int ts_block_node_block_status(TsBlockNode *node, uint64_t offset,
                               uint64_t bytes, uint64_t *pnum,
                               uint64_t *map, TsBlockChild **file);
/*
 * What reading `node` returns at `offset` (since ABI 1.5), down its
 * backing chain: the first layer from `node` down that allocates the
 * range answers (its bits, ALLOCATED set); a range that no layer
 * allocates has that of the last layer (reads as zeroes: ZERO), and a
 * range past the end of a shorter backing file is ZERO at the depth of
 * the layer above it.  *depth
 * (may be NULL) is how many backing links down the answer came from.
 * For a driver's measure hook and the image tool (qemu-img map's walk);
 * any thread.
 */
int ts_block_node_block_status_above(TsBlockNode *node, uint64_t offset,
                                     uint64_t bytes, uint64_t *pnum,
                                     uint64_t *map, TsBlockChild **file,
                                     int *depth);
int64_t ts_block_child_length(TsBlockChild *child);
/* MAIN: grow or shrink the child (a format driver growing its file). */
bool ts_block_child_truncate(TsBlockChild *child, uint64_t length,
                             bool exact, TsBlockPrealloc prealloc,
                             GError **errp);

/*
 * MAIN, from a format driver's create: create `filename` with the
 * protocol driver (a file, truncated to 0 bytes) and open it read-write
 * and locked; the returned child is the driver's to write the new image
 * into, released with ts_block_child_release().
 */
TsBlockChild *ts_block_create_file(const char *filename, GError **errp);
void ts_block_child_release(TsBlockChild *child);

/* ---- throttle groups (for the "throttle" filter) ----------------- */

/*
 * A throttle group is a set of I/O limits shared by its members: the
 * drives that name it (-drive throttling.group=) and the filter nodes
 * over it (-blockdev driver=throttle,throttle-group=NAME), so that they
 * together stay within the limits.  Groups are made by `-object
 * throttle-group,id=NAME,...` (or by a -drive's throttling.* options).
 *
 * MAIN, from a filter's open: take a reference on the group `name`;
 * NULL + errp ("Throttle group 'x' does not exist") if there is none.
 */
TsBlockThrottleGroup *ts_block_throttle_group_ref(const char *name,
                                                  GError **errp);
/* MAIN, from close: drop the reference. */
void ts_block_throttle_group_unref(TsBlockThrottleGroup *group);
/* The group's name (its -object id).  Any thread. */
const char *ts_block_throttle_group_name(const TsBlockThrottleGroup *group);
/*
 * WORKER (any thread): return once the group's limits let a request of
 * `bytes` bytes in direction `write` start, and count it against them.
 * Blocks the calling thread meanwhile (the core lets the worker pool
 * grow so that other nodes' requests are not held up); requests of one
 * direction start in the order they called.  Draining a backend over
 * the group lets waiting requests go at once.
 */
void ts_block_throttle_group_wait(TsBlockThrottleGroup *group, bool write,
                                  uint64_t bytes);

/* ================================================================== */
/* Part 2: device front ends                                          */
/* ================================================================== */

/*
 * Completion of a backend request, MAIN (a bottom half): ret is 0, or a
 * -errno the device reports to the guest.  With rerror/werror=stop (or
 * enospc on a full host) a failed request does NOT complete: the VM is
 * stopped with a BLOCK_IO_ERROR event and the core retries the request
 * when the user continues (`cont`), completing it then.  With
 * werror=ignore it completes with 0.
 */
typedef void (*TsBlockCompleteFn)(void *opaque, int ret);

/* What the device wants to hear about.  Any member may be NULL; the
 * struct must stay valid while attached (static const). */
typedef struct TsBlockDevOps {
    /* MAIN: the backend's length changed (block_resize): read the new
     * one with ts_block_length() and tell the guest (a virtio
     * configuration change). */
    void (*resize)(void *opaque);
    void *reserved[7];
} TsBlockDevOps;

/*
 * MAIN.  Attach the device `dev` to the backend named `drive` (its
 * drive= property: a -drive id, or a node name which gets an anonymous
 * backend).  `writable`: the device writes when the drive lets it
 * (false for a device that never writes, such as a CD-ROM).  On a
 * read-only drive (readonly=on, a read-only node) the attachment is
 * read-only, as QEMU's virtio-blk becomes: check ts_block_is_read_only()
 * after attaching and tell the guest.  Errors as QEMU words them:
 * "Property 'T.drive' can't find value 'x'", "... can't take value 'x',
 * it's in use", and the image lock refusals ('Failed to get "write"
 * lock').  Takes the permissions (and, through blk-file, the image locks)
 * the device needs.
 */
TsBlockBackend *ts_block_attach(const char *drive, TsObject *dev,
                                const TsBlockDevOps *ops, void *opaque,
                                bool writable, GError **errp);
/* MAIN.  Drain the backend (every submitted request completes first),
 * then detach.  No callback runs after this returns. */
void ts_block_detach(TsBlockBackend *blk);

/* The backend's name (the drive id, or the node name it wraps). */
const char *ts_block_name(const TsBlockBackend *blk);
/* Length in bytes (the root node's; 0 with no medium).  Any thread. */
uint64_t ts_block_length(TsBlockBackend *blk);
/* Whether the guest must not write (readonly=on, or a read-only node). */
bool ts_block_is_read_only(TsBlockBackend *blk);
/* The guest-visible write cache: enabled for cache=writeback/none/unsafe,
 * disabled for writethrough/directsync.  While disabled every write is
 * made stable before it completes.  The device calls the setter when the
 * guest toggles its cache (virtio-blk's WCE).  MAIN. */
bool ts_block_write_cache_enabled(TsBlockBackend *blk);
void ts_block_set_write_cache(TsBlockBackend *blk, bool enabled);
/* Block sizes of the host storage, for device properties left at 0:
 * 512/4096 unless the protocol node said otherwise.  Any thread. */
void ts_block_block_sizes(TsBlockBackend *blk, uint32_t *logical,
                          uint32_t *physical);
/* Whether discards reach the image (discard=unmap) and whether
 * write-zeroes may unmap: the device offers the features anyway (as
 * QEMU); this is for devices that want to say more. */
bool ts_block_discard_enabled(TsBlockBackend *blk);

/*
 * Asynchronous requests, MAIN (or a vCPU thread holding the big lock).
 * They return at once; cb(opaque, ret) runs later with the big lock held
 * (on the main thread, or on a worker for a success: see THREADS).
 * The iovec array is copied, the buffers it points at are not: keep them
 * valid and untouched until cb runs.  Requests are not ordered among
 * themselves (a device that needs order waits for completions, as a
 * guest must).  A request past the end completes with -EIO; a write to a
 * read-only backend with -EACCES.  flags: TS_BLOCK_REQ_FUA for writes,
 * TS_BLOCK_REQ_MAY_UNMAP for write-zeroes.
 */
void ts_block_preadv(TsBlockBackend *blk, uint64_t offset,
                     const struct iovec *iov, int niov, unsigned flags,
                     TsBlockCompleteFn cb, void *opaque);
void ts_block_pwritev(TsBlockBackend *blk, uint64_t offset,
                      const struct iovec *iov, int niov, unsigned flags,
                      TsBlockCompleteFn cb, void *opaque);
void ts_block_flush(TsBlockBackend *blk, TsBlockCompleteFn cb, void *opaque);
void ts_block_discard(TsBlockBackend *blk, uint64_t offset, uint64_t bytes,
                      TsBlockCompleteFn cb, void *opaque);
void ts_block_write_zeroes(TsBlockBackend *blk, uint64_t offset,
                           uint64_t bytes, unsigned flags,
                           TsBlockCompleteFn cb, void *opaque);

/* MAIN.  Wait until every request submitted on this backend completed
 * (their callbacks ran), e.g. before a device reset forgets them.
 * Requests held after a stop-on-error complete with -EIO here. */
void ts_block_drain(TsBlockBackend *blk);

/*
 * MAIN, synchronous: read or write in the calling thread, bypassing the
 * worker pool and the error actions.  Only for small amounts at realize
 * time (a flash device loading its image); never from a guest access.
 * 0 or -errno.
 */
int ts_block_pread_sync(TsBlockBackend *blk, uint64_t offset, void *buf,
                        uint64_t bytes);
int ts_block_pwrite_sync(TsBlockBackend *blk, uint64_t offset,
                         const void *buf, uint64_t bytes);

/*
 * MAIN, for boards: the drive= value for the legacy drive the user gave
 * for interface `iface` ("pflash", "virtio", "sd", "mtd", "none") and
 * `index` (-drive if=pflash,unit=1 or -machine pflash1=NODE for "pflash"
 * 1), or NULL if none was given.  Asking claims the drive: one that no
 * board claims ends the run with QEMU's "machine type does not support
 * if=...".  The string lives as long as the process.
 */
const char *ts_block_legacy_drive(const char *iface, unsigned index);

TS_END_DECLS

#endif
