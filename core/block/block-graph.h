/*
 * core/block/block-graph.h - what the rest of the core may call in the
 * block layer beyond <tessera/block.h>: option dictionaries, opening and
 * closing nodes, synchronous I/O on them, probing, image creation and
 * the ImageInfo of a node.  The image tool (core/img) and the NBD server
 * are front ends built on these, like the monitors; block-internal.h
 * keeps what only core/block's files share.
 */
#ifndef TESSERA_CORE_BLOCK_GRAPH_H
#define TESSERA_CORE_BLOCK_GRAPH_H

#include <tessera/block.h>
#include <json-glib/json-glib.h>
#include <sys/uio.h>

/* ---- options (block-opts.c) ---------------------------------------- */

/* Flat string options: "driver" -> "qcow2", "file.filename" -> "x". */
typedef GHashTable BlockOpts;

BlockOpts *block_opts_new(void);
/* Parse "key=value,key=value" (QEMU's grammar, ",," for a comma). */
BlockOpts *block_opts_parse(const char *text, GError **errp);
/* Flatten a QMP JSON object ({"file": {"filename": "x"}} -> file.filename). */
BlockOpts *block_opts_from_json(JsonObject *obj, GError **errp);
/* Take (remove and return, g_free) a key's value. */
char *block_opts_take(BlockOpts *o, const char *key);
/* Move every "prefix.x" to a new dict as "x" (NULL if there is none). */
BlockOpts *block_opts_take_prefix(BlockOpts *o, const char *prefix);
/* Typed takes: absent keys give the default; errors in QEMU's words. */
bool block_opts_take_bool(BlockOpts *o, const char *key, bool def,
                          bool *out, GError **errp);
/* The first key left in o (sorted), or NULL. */
const char *block_opts_first_key(BlockOpts *o);

/* ---- drivers (block-driver.c) ---------------------------------------- */

/* The driver behind a class (NULL if it is no block driver). */
const TsBlockDriver *block_driver_of_class(TsObjectClass *klass);

/* ---- nodes (block-node.c) ------------------------------------------ */

/* Someone who uses a node: a parent's child edge or a backend. */
typedef struct BlockUser {
    uint64_t perm, shared;
} BlockUser;

/* All nodes, in creation order. */
GPtrArray *block_nodes(void);
/* A driver registered or provided by an installed plugin. */
bool block_driver_known(const char *driver);
TsBlockNode *block_node_find(const char *name);
/* Open a node from options (consumed).  monitor_owned: -blockdev. */
TsBlockNode *block_node_open(BlockOpts *opts, bool monitor_owned,
                             GError **errp);
/* Open an image file: format (NULL: probe) over a "file" node. */
TsBlockNode *block_node_open_image(const char *filename, const char *format,
                                   BlockOpts *extra, GError **errp);
/* Drop one reference (closing the node and its children when unused). */
void block_node_unref(TsBlockNode *node);
TsBlockNode *block_node_ref(TsBlockNode *node);
/* True if anything but the caller's reference holds the node. */
bool block_node_in_use(TsBlockNode *node);
/* Add/remove a user and recompute permissions (false + errp: refused,
 * nothing changed). */
bool block_node_add_user(TsBlockNode *node, BlockUser *u, GError **errp);
void block_node_remove_user(TsBlockNode *node, BlockUser *u);
bool block_node_update_perms(TsBlockNode *node, GError **errp);
/* Wait until no driver call runs on the node or below it. */
void block_node_drain(TsBlockNode *node);
/* The node that holds the image data shown for it (through filters). */
TsBlockNode *block_node_file_child(TsBlockNode *node);
TsBlockNode *block_node_backing(TsBlockNode *node);
/* The node below implicit filters (the node itself if it is none). */
TsBlockNode *block_node_skip_implicit(TsBlockNode *node);
const char *block_node_driver_name(const TsBlockNode *node);
bool block_node_truncate(TsBlockNode *node, uint64_t length, GError **errp);

/* ---- I/O (block-io.c) ---------------------------------------------- */

int block_node_preadv(TsBlockNode *n, uint64_t offset, uint64_t bytes,
                      const struct iovec *iov, int niov, unsigned flags);
int block_node_pwritev(TsBlockNode *n, uint64_t offset, uint64_t bytes,
                       const struct iovec *iov, int niov, unsigned flags);
int block_node_flush(TsBlockNode *n);
int block_node_discard(TsBlockNode *n, uint64_t offset, uint64_t bytes);
int block_node_write_zeroes(TsBlockNode *n, uint64_t offset, uint64_t bytes,
                            unsigned flags);
int64_t block_node_get_length(TsBlockNode *n);
/* block_status on a node (what ts_block_child_block_status does on an
 * edge): for the core's own walks over an image (commit). */
int block_node_block_status(TsBlockNode *n, uint64_t offset, uint64_t bytes,
                            uint64_t *pnum, uint64_t *map,
                            TsBlockChild **file);
size_t iov_size(const struct iovec *iov, int niov);
bool iov_is_zero(const struct iovec *iov, int niov);

/* ---- probing (block-probe.c) ---------------------------------------- */

/* "qcow2" or "raw" (with QEMU's warning for a guessed raw). */
const char *block_probe_format(const char *filename, const char *what,
                               GError **errp);
/* The same through an open protocol node (one that is no host file). */
const char *block_probe_format_node(TsBlockNode *node, const char *what,
                                    GError **errp);
/* Whether data written at offset 0 would make the image probe as
 * another format (what a guest must not do to a guessed raw image). */
bool block_probe_looks_like_image(const struct iovec *iov, int niov);

/* ---- image creation (block-create.c) -------------------------------- */

/* Create an image with driver `driver`; opts (consumed) are the create
 * options by name ("size", "backing_file", ...).  preallocation=falloc
 * and full are the core's (over the driver's metadata preallocation) for
 * every format.  On failure a file that did not exist is removed. */
bool block_create_image(const char *driver, const char *filename,
                        BlockOpts *opts, GError **errp);
/* The driver of format `driver` if it creates images ("Unknown file
 * format 'x'" otherwise). */
const TsBlockDriver *block_create_driver(const char *driver, GError **errp);
/* A driver's create_options struct from defaults and `o` (the values
 * taken out of it; one left over is an "Invalid parameter"); freed with
 * block_create_opts_free. */
void *block_create_opts_fill(const TsBlockDriver *drv, BlockOpts *o,
                             GError **errp);
void block_create_opts_free(const TsBlockDriver *drv, void *base);
/* One create option from its text into a create_options struct, and
 * its default (for amend, block-amend.c). */
bool block_create_opt_set(const TsProperty *p, void *opts, const char *value,
                          GError **errp);
void block_create_opt_default(const TsProperty *p, void *opts);

/* ---- commit (block-commit.c) ---------------------------------------- */

/* Progress of a commit, in percent (the image tool's -p). */
typedef void (*BlockCommitProgress)(double percent);
/* What `top` and the images below it down to `base` (exclusive) define,
 * copied into `base` (grown to top's length, reopened read-write for the
 * time of it); then `top` emptied when asked.  0 or -errno (*errp may
 * say more). */
int block_commit_chain(TsBlockNode *top, TsBlockNode *base, bool empty_top,
                       BlockCommitProgress progress, GError **errp);

/* ---- amend (block-amend.c) ------------------------------------------ */

/* Change options of an open image through its driver's amend hook:
 * `opts` (consumed) by create option name; names the driver does not
 * know are refused ("Invalid parameter 'x'").  The node must be
 * writable. */
bool block_amend_image(TsBlockNode *node, BlockOpts *opts, GError **errp);
/* Record a new backing file name and format (NULL: none) in the image's
 * header, through the amend hook: what rebase does. */
bool block_change_backing_file(TsBlockNode *node, const char *backing_file,
                               const char *backing_fmt, GError **errp);
/* Whether the driver can amend (or change the backing file). */
bool block_can_amend(TsBlockNode *node);

/* ---- monitors (block-qmp.c) ----------------------------------------- */

/* The QMP ImageInfo of a node (query-block's "image", qemu-img info). */
JsonObject *block_image_info(TsBlockNode *n);

#endif
