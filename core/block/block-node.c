/*
 * core/block/block-node.c - the node graph: opening a node from its
 * options (the driver's plugin is loaded then), its name, its children,
 * its references, and the permissions its users need, which become the
 * protocol node's image locks.
 *
 * Permissions follow QEMU's model so that locks mean the same to both:
 * every user of a node (a device's backend, a parent's child edge) says
 * what it does and what it lets others do; a node asks of its children
 * what its users asked of it, except that a format with metadata (one
 * that can have a backing file) needs to write and resize its file while
 * it is writable and lets nobody else do so, and a backing file is only
 * read, by a reader that lets nobody write it.
 */
#include "block-internal.h"
#include "util/parse.h"
#include "plugin/plugins.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static GPtrArray *nodes;
static unsigned anon_counter;

GPtrArray *block_nodes(void)
{
    if (!nodes) {
        nodes = g_ptr_array_new();
    }
    return nodes;
}

TsBlockNode *block_node_find(const char *name)
{
    for (guint i = 0; name && nodes && i < nodes->len; i++) {
        TsBlockNode *n = g_ptr_array_index(nodes, i);
        if (g_str_equal(node_core(n)->name, name)) {
            return n;
        }
    }
    return NULL;
}

const char *block_node_driver_name(const TsBlockNode *node)
{
    return node->driver->name;
}

/* QEMU's rule: a letter first, then letters, digits, '-', '.', '_';
 * at most 31 characters. */
static bool node_name_valid(const char *name)
{
    return strlen(name) <= 31 && ts_id_well_formed(name);
}

/* ---- references ------------------------------------------------------ */

/* The reference count lives in the core, not the object: the object's
 * own count is only ever one (ours). */
typedef struct NodeRefs {
    int count;
} NodeRefs;

static GHashTable *refs;        /* TsBlockNode * -> count */

TsBlockNode *block_node_ref(TsBlockNode *node)
{
    int n = GPOINTER_TO_INT(g_hash_table_lookup(refs, node));
    g_hash_table_insert(refs, node, GINT_TO_POINTER(n + 1));
    return node;
}

bool block_node_in_use(TsBlockNode *node)
{
    return GPOINTER_TO_INT(g_hash_table_lookup(refs, node)) > 1 ||
           node_core(node)->users->len > 0;
}

static void child_free(TsBlockChild *c)
{
    block_node_remove_user(c->node, &c->user);
    block_node_unref(c->node);
    g_free(c->name);
    g_free(c);
}

static void node_destroy(TsBlockNode *node)
{
    NodeCore *nc = node_core(node);
    block_node_drain(node);
    if ((nc->open_flags & TS_BLOCK_OPEN_RDWR) && !nc->read_only) {
        block_node_flush(node);
    }
    if (node->driver->close) {
        node->driver->close(node);
    }
    while (nc->children->len) {
        TsBlockChild *c = g_ptr_array_steal_index(nc->children,
                                                  nc->children->len - 1);
        child_free(c);
    }
    if (nodes) {
        g_ptr_array_remove(nodes, node);
    }
    g_hash_table_remove(refs, node);
    g_ptr_array_unref(nc->children);
    g_ptr_array_unref(nc->users);
    if (nc->child_opts) {
        g_hash_table_unref(nc->child_opts);
    }
    g_free(nc->name);
    g_free(nc->filename);
    g_free(nc->format_hint);
    g_mutex_clear(&nc->lock);
    g_cond_clear(&nc->idle);
    g_free(nc);
    node->core = NULL;
    ts_object_unref(TS_OBJECT(node));
}

void block_node_unref(TsBlockNode *node)
{
    if (!node) {
        return;
    }
    int n = GPOINTER_TO_INT(g_hash_table_lookup(refs, node)) - 1;
    if (n > 0) {
        g_hash_table_insert(refs, node, GINT_TO_POINTER(n));
        return;
    }
    node_destroy(node);
}

/* ---- permissions ----------------------------------------------------- */

static void combined_perms(TsBlockNode *node, uint64_t *perm,
                           uint64_t *shared)
{
    NodeCore *nc = node_core(node);
    *perm = 0;
    *shared = TS_BLOCK_PERM_ALL;
    for (guint i = 0; i < nc->users->len; i++) {
        BlockUser *u = g_ptr_array_index(nc->users, i);
        *perm |= u->perm;
        *shared &= u->shared;
    }
    if (nc->open_flags & TS_BLOCK_OPEN_FORCE_SHARE) {
        *shared = TS_BLOCK_PERM_ALL;
    }
}

static bool node_writable(TsBlockNode *node)
{
    NodeCore *nc = node_core(node);
    return (nc->open_flags & TS_BLOCK_OPEN_RDWR) && !nc->read_only;
}

static void child_perms(TsBlockNode *parent, TsBlockChild *c,
                        uint64_t perm, uint64_t shared)
{
    if (c->role == CHILD_BACKING) {
        c->user.perm = TS_BLOCK_PERM_CONSISTENT_READ;
        c->user.shared = TS_BLOCK_PERM_ALL & ~TS_BLOCK_PERM_WRITE;
    } else if (parent->driver->kind == TS_BLOCK_FORMAT &&
               parent->driver->supports_backing) {
        /* Image metadata: always read; written and grown while the
         * image is writable, by nobody else. */
        c->user.perm = perm | TS_BLOCK_PERM_CONSISTENT_READ;
        c->user.shared = shared;
        if (node_writable(parent)) {
            c->user.perm |= TS_BLOCK_PERM_WRITE | TS_BLOCK_PERM_RESIZE;
            c->user.shared &= ~(TS_BLOCK_PERM_WRITE | TS_BLOCK_PERM_RESIZE);
        }
    } else {
        c->user.perm = perm;
        c->user.shared = shared;
    }
    if (node_core(parent)->open_flags & TS_BLOCK_OPEN_FORCE_SHARE) {
        c->user.shared = TS_BLOCK_PERM_ALL;
    }
}

bool block_node_update_perms(TsBlockNode *node, GError **errp)
{
    NodeCore *nc = node_core(node);
    uint64_t perm, shared;
    combined_perms(node, &perm, &shared);
    for (guint i = 0; i < nc->children->len; i++) {
        TsBlockChild *c = g_ptr_array_index(nc->children, i);
        child_perms(node, c, perm, shared);
        if (!block_node_update_perms(c->node, errp)) {
            return false;
        }
    }
    if (node->driver->set_perm &&
        (perm != nc->applied_perm || shared != nc->applied_shared ||
         !nc->applied_shared)) {
        if (!node->driver->set_perm(node, perm, shared, errp)) {
            return false;
        }
        nc->applied_perm = perm;
        nc->applied_shared = shared;
    }
    return true;
}

bool block_node_add_user(TsBlockNode *node, BlockUser *u, GError **errp)
{
    g_ptr_array_add(node_core(node)->users, u);
    if (!block_node_update_perms(node, errp)) {
        g_ptr_array_remove(node_core(node)->users, u);
        block_node_update_perms(node, NULL);
        return false;
    }
    return true;
}

void block_node_remove_user(TsBlockNode *node, BlockUser *u)
{
    if (g_ptr_array_remove(node_core(node)->users, u)) {
        block_node_update_perms(node, NULL);
    }
}

/* ---- draining -------------------------------------------------------- */

void block_node_drain(TsBlockNode *node)
{
    NodeCore *nc = node_core(node);
    block_throttle_flush_all();
    g_mutex_lock(&nc->lock);
    while (nc->inflight) {
        g_cond_wait(&nc->idle, &nc->lock);
    }
    g_mutex_unlock(&nc->lock);
    for (guint i = 0; i < nc->children->len; i++) {
        block_node_drain(((TsBlockChild *)
                          g_ptr_array_index(nc->children, i))->node);
    }
}

/* ---- children -------------------------------------------------------- */

TsBlockNode *block_node_skip_implicit(TsBlockNode *node)
{
    while (node && node_core(node)->implicit &&
           block_node_file_child(node)) {
        node = block_node_file_child(node);
    }
    return node;
}

TsBlockNode *block_node_file_child(TsBlockNode *node)
{
    NodeCore *nc = node_core(node);
    for (guint i = 0; i < nc->children->len; i++) {
        TsBlockChild *c = g_ptr_array_index(nc->children, i);
        if (c->role == CHILD_FILE) {
            return c->node;
        }
    }
    return NULL;
}

TsBlockNode *block_node_backing(TsBlockNode *node)
{
    NodeCore *nc = node_core(node);
    for (guint i = 0; i < nc->children->len; i++) {
        TsBlockChild *c = g_ptr_array_index(nc->children, i);
        if (c->role == CHILD_BACKING) {
            return c->node;
        }
    }
    return NULL;
}

static TsBlockChild *attach_child(TsBlockNode *parent, const char *name,
                                  ChildRole role, TsBlockNode *child)
{
    TsBlockChild *c = g_new0(TsBlockChild, 1);
    c->name = g_strdup(name);
    c->role = role;
    c->parent = parent;
    c->node = child;
    g_ptr_array_add(node_core(parent)->children, c);
    g_ptr_array_add(node_core(child)->users, &c->user);
    return c;
}

/* Options a child takes from its parent unless it has its own. */
static void inherit(BlockOpts *child, TsBlockNode *parent)
{
    NodeCore *pc = node_core(parent);
    struct {
        const char *key;
        bool value;
    } inherited[] = {
        { "cache.direct", pc->open_flags & TS_BLOCK_OPEN_DIRECT },
        { "cache.no-flush", pc->open_flags & TS_BLOCK_OPEN_NO_FLUSH },
        { "read-only", !(pc->open_flags & TS_BLOCK_OPEN_RDWR) },
        { "auto-read-only", pc->open_flags & TS_BLOCK_OPEN_AUTO_READ_ONLY },
        { "force-share", pc->open_flags & TS_BLOCK_OPEN_FORCE_SHARE },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(inherited); i++) {
        if (!g_hash_table_contains(child, inherited[i].key)) {
            g_hash_table_insert(child, g_strdup(inherited[i].key),
                                g_strdup(inherited[i].value ? "on" : "off"));
        }
    }
}

/* A child from a node name or nested options; NULL with *absent set when
 * the user gave neither. */
static TsBlockNode *child_from_opts(TsBlockNode *parent, const char *name,
                                    bool *absent, GError **errp)
{
    NodeCore *pc = node_core(parent);
    g_autofree char *ref = block_opts_take(pc->child_opts, name);
    BlockOpts *sub = block_opts_take_prefix(pc->child_opts, name);
    *absent = false;
    if (ref && sub) {
        g_hash_table_unref(sub);
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Cannot reference an existing block device with "
                    "additional options or a new filename");
        return NULL;
    }
    if (ref) {
        TsBlockNode *n = block_node_find(ref);
        if (!n) {
            g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                        "Cannot find device=\"\" nor node-name=\"%s\"", ref);
            return NULL;
        }
        return block_node_ref(n);
    }
    if (!sub) {
        *absent = true;
        return NULL;
    }
    if (!g_hash_table_contains(sub, "driver") &&
        g_hash_table_contains(sub, "filename")) {
        g_hash_table_insert(sub, g_strdup("driver"), g_strdup("file"));
    }
    inherit(sub, parent);
    return block_node_open(sub, false, errp);
}

TS_EXPORT TsBlockChild *ts_block_open_child(TsBlockNode *parent,
                                            const char *name, bool optional,
                                            GError **errp)
{
    bool absent;
    TsBlockNode *n = child_from_opts(parent, name, &absent, errp);
    if (!n) {
        if (absent && !optional) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "A block device must be specified for \"%s\"", name);
        }
        return NULL;
    }
    return attach_child(parent, name, CHILD_FILE, n);
}

/*
 * The images whose backing files are being opened right now (real
 * paths), innermost last: a backing file among them would make the chain
 * a loop (a -> b -> a, made with `create -u` or `rebase -u`), which must
 * be refused rather than followed forever.  Main thread only.
 */
static GPtrArray *backing_stack;

/* The real path of the image file under a format node, or NULL. */
static char *image_real_path(TsBlockNode *n)
{
    NodeCore *nc = node_core(n);
    for (guint i = 0; i < nc->children->len; i++) {
        TsBlockChild *c = g_ptr_array_index(nc->children, i);
        const char *fn = c->role == CHILD_FILE ? ts_block_node_filename(c->node)
                                               : NULL;
        if (fn) {
            return realpath(fn, NULL);
        }
    }
    return NULL;
}

static bool backing_loops(const char *path)
{
    g_autofree char *real = realpath(path, NULL);
    for (guint i = 0; real && backing_stack && i < backing_stack->len; i++) {
        if (g_str_equal(g_ptr_array_index(backing_stack, i), real)) {
            return true;
        }
    }
    return false;
}

static TsBlockNode *open_backing_image(TsBlockNode *parent, const char *path,
                                       const char *format, BlockOpts *extra,
                                       GError **errp)
{
    if (!backing_stack) {
        backing_stack = g_ptr_array_new_with_free_func(free);
    }
    char *self = image_real_path(parent);
    g_ptr_array_add(backing_stack, self ? self : strdup(""));
    TsBlockNode *n = NULL;
    if (backing_loops(path)) {
        g_hash_table_unref(extra);
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Backing file '%s' is already part of this backing chain "
                    "(the chain loops)", path);
    } else {
        n = block_node_open_image(path, format, extra, errp);
    }
    g_ptr_array_remove_index(backing_stack, backing_stack->len - 1);
    return n;
}

/* `name` relative to the directory of the image that records it. */
TS_EXPORT TsBlockChild *ts_block_open_backing(TsBlockNode *parent,
                                              const char *filename,
                                              const char *format,
                                              GError **errp)
{
    NodeCore *pc = node_core(parent);
    const char *given = pc->child_opts
        ? g_hash_table_lookup(pc->child_opts, "backing") : NULL;
    if (given && g_str_equal(given, "null")) {
        g_free(block_opts_take(pc->child_opts, "backing"));
        return NULL;
    }
    /* backing.OPT=... naming no node of its own (no driver, filename or
     * file) tunes the backing file the image records, as in QEMU:
     * -drive file=ov.qcow2,backing.read-only=off. */
    BlockOpts *tuning = NULL;
    if (!given && pc->child_opts) {
        tuning = block_opts_take_prefix(pc->child_opts, "backing");
        if (tuning && (g_hash_table_contains(tuning, "driver") ||
                       g_hash_table_contains(tuning, "filename") ||
                       g_hash_table_contains(tuning, "file"))) {
            GHashTableIter it;             /* a node of its own: put back */
            gpointer k, v;
            g_hash_table_iter_init(&it, tuning);
            while (g_hash_table_iter_next(&it, &k, &v)) {
                g_hash_table_insert(pc->child_opts,
                                    g_strconcat("backing.", k, NULL),
                                    g_strdup(v));
            }
            g_clear_pointer(&tuning, g_hash_table_unref);
        }
    }
    bool absent;
    TsBlockNode *n = child_from_opts(parent, "backing", &absent, errp);
    if (!n && !absent) {
        if (tuning) {
            g_hash_table_unref(tuning);
        }
        return NULL;
    }
    if (!n) {
        if (!filename || !*filename) {
            if (tuning) {
                g_hash_table_unref(tuning);
            }
            return NULL;
        }
        /* As the driver resolved it (relative to the image: block.h). */
        const char *path = filename;
        BlockOpts *extra = tuning ? tuning : block_opts_new();
        if (!g_hash_table_contains(extra, "read-only")) {
            g_hash_table_insert(extra, g_strdup("read-only"), g_strdup("on"));
        }
        inherit(extra, parent);
        g_autoptr(GError) err = NULL;
        n = open_backing_image(parent, path, format, extra, &err);
        if (!n) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "Could not open backing file: %s", err->message);
            return NULL;
        }
    }
    return attach_child(parent, "backing", CHILD_BACKING, n);
}

TS_EXPORT TsBlockNode *ts_block_child_node(TsBlockChild *child)
{
    return child->node;
}

TS_EXPORT void ts_block_child_release(TsBlockChild *child)
{
    if (child) {
        child_free(child);
    }
}

/* ---- opening --------------------------------------------------------- */

static bool take_common(BlockOpts *o, NodeCore *nc, GError **errp)
{
    bool ro, aro, fs, direct, noflush, check;
    /* x-check: the image tool's check (TS_BLOCK_OPEN_CHECK). */
    if (!block_opts_take_bool(o, "x-check", false, &check, errp) ||
        !block_opts_take_bool(o, "read-only", false, &ro, errp) ||
        !block_opts_take_bool(o, "auto-read-only", false, &aro, errp) ||
        !block_opts_take_bool(o, "force-share", false, &fs, errp) ||
        !block_opts_take_bool(o, "cache.direct", false, &direct, errp) ||
        !block_opts_take_bool(o, "cache.no-flush", false, &noflush, errp)) {
        return false;
    }
    if (fs && !ro) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "force-share=on can only be used with read-only images");
        return false;
    }
    nc->open_flags = (ro ? 0 : TS_BLOCK_OPEN_RDWR) |
                     (direct ? TS_BLOCK_OPEN_DIRECT : 0) |
                     (noflush ? TS_BLOCK_OPEN_NO_FLUSH : 0) |
                     (aro ? TS_BLOCK_OPEN_AUTO_READ_ONLY : 0) |
                     (fs ? TS_BLOCK_OPEN_FORCE_SHARE : 0) |
                     (check ? TS_BLOCK_OPEN_CHECK : 0);
    g_autofree char *discard = block_opts_take(o, "discard");
    if (!discard || g_str_equal(discard, "ignore") ||
        g_str_equal(discard, "off")) {
        nc->discard_unmap = false;
    } else if (g_str_equal(discard, "unmap") || g_str_equal(discard, "on")) {
        nc->discard_unmap = true;
    } else {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid discard option");
        return false;
    }
    g_autofree char *dz = block_opts_take(o, "detect-zeroes");
    if (!dz || g_str_equal(dz, "off")) {
        nc->detect_zeroes = DETECT_ZEROES_OFF;
    } else if (g_str_equal(dz, "on")) {
        nc->detect_zeroes = DETECT_ZEROES_ON;
    } else if (g_str_equal(dz, "unmap")) {
        nc->detect_zeroes = DETECT_ZEROES_UNMAP;
    } else {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'detect-zeroes' does not accept value '%s'",
                    dz);
        return false;
    }
    if (nc->detect_zeroes == DETECT_ZEROES_UNMAP && !nc->discard_unmap) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "setting detect-zeroes to unmap is not allowed without "
                    "setting discard operation to unmap");
        return false;
    }
    return true;
}

bool block_driver_known(const char *driver)
{
    g_autofree char *type = g_strconcat(driver, TS_BLOCK_DRIVER_SUFFIX, NULL);
    return ts_type_exists(type) ||
           plugin_index_find(PK_BLOCKDRIVER, driver, NULL);
}

/* Driver options to properties; the rest (children's) stay in o. */
static bool set_driver_options(TsBlockNode *node, BlockOpts *o,
                               GError **errp)
{
    g_autofree gpointer *keys = g_hash_table_get_keys_as_array(o, NULL);
    for (guint i = 0; keys[i]; i++) {
        const char *k = keys[i];
        if (!ts_class_find_property(TS_OBJECT(node)->klass, k)) {
            continue;
        }
        const char *v = g_hash_table_lookup(o, k);
        if (!ts_object_set_prop(TS_OBJECT(node), k, v, errp)) {
            return false;
        }
        g_hash_table_remove(o, k);
    }
    return true;
}

TsBlockNode *block_node_open(BlockOpts *opts, bool monitor_owned,
                             GError **errp)
{
    g_autoptr(GHashTable) o = opts;
    if (!refs) {
        refs = g_hash_table_new(NULL, NULL);
    }
    g_autofree char *driver = block_opts_take(o, "driver");
    g_autofree char *name = block_opts_take(o, "node-name");
    g_autofree char *type = NULL;
    if (!driver) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'driver' is missing");
        return NULL;
    }
    if (!block_driver_known(driver)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'driver' does not accept value '%s'", driver);
        return NULL;
    }
    if (name && !node_name_valid(name)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid node-name: '%s'", name);
        return NULL;
    }
    if (name && (block_node_find(name) || block_backend_find(name))) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    block_node_find(name)
                        ? "Duplicate nodes with node-name='%s'"
                        : "node-name=%s is conflicting with a device id",
                    name);
        return NULL;
    }
    NodeCore *nc = g_new0(NodeCore, 1);
    g_mutex_init(&nc->lock);
    g_cond_init(&nc->idle);
    nc->children = g_ptr_array_new();
    nc->users = g_ptr_array_new();
    nc->align = 1;
    nc->logical = 512;
    nc->physical = 512;         /* QEMU's default where the host says nothing */
    nc->monitor_owned = monitor_owned;
    nc->name = name ? g_strdup(name)
                    : g_strdup_printf("#block%03u", anon_counter++);
    nc->user_named = name != NULL;
    if (!take_common(o, nc, errp)) {
        goto fail_core;
    }
    type = g_strconcat(driver, TS_BLOCK_DRIVER_SUFFIX, NULL);
    TsObject *obj = ts_object_new(type, errp);
    if (!obj) {
        goto fail_core;
    }
    TsBlockNode *node = (TsBlockNode *)obj;
    node->core = nc;
    node->driver = block_driver_of_class(obj->klass);
    g_hash_table_insert(refs, node, GINT_TO_POINTER(1));
    if (!set_driver_options(node, o, errp)) {
        goto fail_obj;
    }
    nc->child_opts = g_steal_pointer(&o);
    if (!node->driver->open(node, errp)) {
        goto fail_obj;
    }
    const char *left = block_opts_first_key(nc->child_opts);
    if (left) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    node->driver->kind == TS_BLOCK_PROTOCOL
                        ? "Parameter '%s' is unexpected"
                        : "Block format '%s' does not support the option "
                          "'%s'",
                    node->driver->kind == TS_BLOCK_PROTOCOL
                        ? left : node->driver->name, left);
        goto fail_open;
    }
    if (!nc->filename) {
        TsBlockNode *f = block_node_file_child(node);
        nc->filename = g_strdup(f ? ts_block_node_filename(f) : "");
    }
    if (node->driver->get_length) {
        int64_t len = node->driver->get_length(node);
        if (len >= 0) {
            ts_block_node_set_length(node, (uint64_t)len);
        }
    }
    g_ptr_array_add(block_nodes(), node);
    if (!block_node_update_perms(node, errp)) {
        g_ptr_array_remove(nodes, node);
        goto fail_open;
    }
    return node;

fail_open:
    if (node->driver->close) {
        node->driver->close(node);
    }
fail_obj:
    while (nc->children->len) {
        child_free(g_ptr_array_steal_index(nc->children,
                                           nc->children->len - 1));
    }
    g_hash_table_remove(refs, node);
    node->core = NULL;
    ts_object_unref(obj);
fail_core:
    if (nc->child_opts) {
        g_hash_table_unref(nc->child_opts);
    }
    g_ptr_array_unref(nc->children);
    g_ptr_array_unref(nc->users);
    g_free(nc->name);
    g_free(nc->filename);
    g_free(nc);
    return NULL;
}

/* The protocol driver a filename "SCHEME:..." names: SCHEME up to its
 * first '+' ("nbd" in "nbd+unix://...") when a protocol driver of that
 * name is registered or installed and parses filenames (its plugin is
 * loaded here); NULL for anything else, a plain path then. */
static const TsBlockDriver *protocol_of_filename(const char *filename,
                                                 GError **errp)
{
    size_t n = strspn(filename, "abcdefghijklmnopqrstuvwxyz"
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
    if (!n || filename[n] != ':') {
        return NULL;
    }
    g_autofree char *scheme = g_strndup(filename, strcspn(filename, "+:"));
    if (!*scheme || !block_driver_known(scheme)) {
        return NULL;
    }
    if (!plugin_require(PK_BLOCKDRIVER, scheme, errp)) {
        return NULL;
    }
    g_autofree char *type = g_strconcat(scheme, TS_BLOCK_DRIVER_SUFFIX, NULL);
    TsObjectClass *k = ts_class_by_name(type);
    const TsBlockDriver *drv = k ? block_driver_of_class(k) : NULL;
    return drv && drv->kind == TS_BLOCK_PROTOCOL && drv->parse_filename
        ? drv : NULL;
}

/* A protocol filename: the protocol node first (from what the driver
 * parsed, the user's file.* options and what it would inherit), the
 * format probed through it, then the format node over it.  The node is
 * opened once: a server may take one client only (qemu-nbd). */
static TsBlockNode *open_protocol_image(const TsBlockDriver *drv,
                                        const char *filename,
                                        const char *format, BlockOpts *o,
                                        GError **errp)
{
    static const char *const inherited[] = {
        "read-only", "auto-read-only", "force-share", "cache.direct",
        "cache.no-flush",
    };
    BlockOpts *p = block_opts_take_prefix(o, "file");
    if (!p) {
        p = block_opts_new();
    }
    /* What the filename says may not be said twice (as QEMU: "file.
     * export=x" beside nbd://h/y is an error, not a choice). */
    g_autoptr(GHashTable) parsed = block_opts_new();
    bool ok = drv->parse_filename(filename, parsed, errp);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, parsed);
    while (ok && g_hash_table_iter_next(&it, &k, &v)) {
        if (g_hash_table_contains(p, k)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "%s and a file name may not be used at the same "
                        "time", (const char *)k);
            ok = false;
        } else {
            g_hash_table_insert(p, g_strdup(k), g_strdup(v));
        }
    }
    if (!ok) {
        g_hash_table_unref(p);
        g_hash_table_unref(o);
        return NULL;
    }
    g_hash_table_replace(p, g_strdup("driver"), g_strdup(drv->name));
    for (size_t i = 0; i < G_N_ELEMENTS(inherited); i++) {
        const char *value = g_hash_table_lookup(o, inherited[i]);
        if (value && !g_hash_table_contains(p, inherited[i])) {
            g_hash_table_insert(p, g_strdup(inherited[i]), g_strdup(value));
        }
    }
    /* As QEMU's -drive (auto-read-only=on by default): a server that
     * exports read-only gives a read-only disk, not an error. */
    if (!g_hash_table_contains(p, "auto-read-only")) {
        g_hash_table_insert(p, g_strdup("auto-read-only"), g_strdup("on"));
    }
    TsBlockNode *proto = block_node_open(p, false, errp);
    if (!proto) {
        g_hash_table_unref(o);
        return NULL;
    }
    bool probed = !format;
    if (!format) {
        format = block_probe_format_node(proto, filename, errp);
        if (!format) {
            block_node_unref(proto);
            g_hash_table_unref(o);
            return NULL;
        }
    }
    g_hash_table_replace(o, g_strdup("driver"), g_strdup(format));
    g_hash_table_replace(o, g_strdup("file"),
                         g_strdup(ts_block_node_name(proto)));
    TsBlockNode *n = block_node_open(o, false, errp);
    block_node_unref(proto);    /* the format node holds it now */
    if (n && probed && g_str_equal(format, "raw")) {
        node_core(n)->probed_raw = true;
    }
    return n;
}

TsBlockNode *block_node_open_image(const char *filename, const char *format,
                                   BlockOpts *extra, GError **errp)
{
    BlockOpts *o = extra ? extra : block_opts_new();
    if (!g_hash_table_contains(o, "file.driver")) {
        GError *err = NULL;
        const TsBlockDriver *proto = protocol_of_filename(filename, &err);
        if (err) {
            g_propagate_error(errp, err);
            g_hash_table_unref(o);
            return NULL;
        }
        if (proto) {
            return open_protocol_image(proto, filename, format, o, errp);
        }
    }
    bool probed = !format;
    if (!format) {
        format = block_probe_format(filename, filename, errp);
        if (!format) {
            g_hash_table_unref(o);
            return NULL;
        }
    }
    g_hash_table_replace(o, g_strdup("driver"), g_strdup(format));
    if (!g_hash_table_contains(o, "file.driver")) {
        g_hash_table_replace(o, g_strdup("file.driver"), g_strdup("file"));
    }
    g_hash_table_replace(o, g_strdup("file.filename"), g_strdup(filename));
    TsBlockNode *n = block_node_open(o, false, errp);
    if (n && probed && g_str_equal(format, "raw")) {
        node_core(n)->probed_raw = true;
    }
    return n;
}

bool block_node_truncate(TsBlockNode *node, uint64_t length, GError **errp)
{
    if (!node->driver->truncate) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "Image format driver does not support resize");
        return false;
    }
    if (!node_writable(node)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Image is read-only");
        return false;
    }
    block_node_drain(node);
    return node->driver->truncate(node, length, false,
                                  TS_BLOCK_PREALLOC_OFF, errp);
}

TS_EXPORT TsBlockChild *ts_block_create_file(const char *filename,
                                             GError **errp)
{
    if (!refs) {
        refs = g_hash_table_new(NULL, NULL);
    }
    if (!plugin_require(PK_BLOCKDRIVER, "file", errp)) {
        return NULL;
    }
    TsObjectClass *k = ts_class_by_name("file" TS_BLOCK_DRIVER_SUFFIX);
    const TsBlockDriver *drv = k ? block_driver_of_class(k) : NULL;
    if (!drv || !drv->create) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "Driver 'file' does not support image creation");
        return NULL;
    }
    g_autofree void *copts = g_malloc0(MAX(drv->create_opts_size, 1));
    if (!drv->create(filename, copts, errp)) {
        return NULL;
    }
    BlockOpts *o = block_opts_new();
    g_hash_table_insert(o, g_strdup("driver"), g_strdup("file"));
    g_hash_table_insert(o, g_strdup("filename"), g_strdup(filename));
    TsBlockNode *n = block_node_open(o, false, errp);
    if (!n) {
        return NULL;
    }
    TsBlockChild *c = g_new0(TsBlockChild, 1);
    c->name = g_strdup("file");
    c->node = n;
    c->user.perm = TS_BLOCK_PERM_CONSISTENT_READ | TS_BLOCK_PERM_WRITE |
                   TS_BLOCK_PERM_RESIZE;
    c->user.shared = TS_BLOCK_PERM_CONSISTENT_READ |
                     TS_BLOCK_PERM_WRITE_UNCHANGED;
    if (!block_node_add_user(n, &c->user, errp)) {
        block_node_unref(n);
        g_free(c->name);
        g_free(c);
        return NULL;
    }
    return c;
}
