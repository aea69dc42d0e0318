/*
 * core/nbd/nbd-export.c - the export table: what clients can ask for by
 * name, what block-export-* calls by id, and how an export goes away
 * (at once when nobody uses it or when its clients are dropped; its
 * BLOCK_EXPORT_DELETED event when it is gone).
 */
#include "nbd-internal.h"

#include <string.h>

static GPtrArray *table;

GPtrArray *nbd_exports(void)
{
    if (!table) {
        table = g_ptr_array_new();
    }
    return table;
}

NbdExport *nbd_export_find_name(const char *name)
{
    GPtrArray *all = nbd_exports();
    for (guint i = 0; i < all->len; i++) {
        NbdExport *e = g_ptr_array_index(all, i);
        if (g_str_equal(e->name, name)) {
            return e;
        }
    }
    return NULL;
}

NbdExport *nbd_export_find_id(const char *id)
{
    GPtrArray *all = nbd_exports();
    for (guint i = 0; i < all->len; i++) {
        NbdExport *e = g_ptr_array_index(all, i);
        if (g_str_equal(e->id, id)) {
            return e;
        }
    }
    return NULL;
}

uint16_t nbd_export_flags(const NbdExport *exp, bool structured)
{
    uint16_t f = NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH |
                 NBD_FLAG_SEND_CACHE;
    if (exp->writable) {
        f |= NBD_FLAG_SEND_FUA | NBD_FLAG_SEND_TRIM |
             NBD_FLAG_SEND_WRITE_ZEROES | NBD_FLAG_SEND_FAST_ZERO;
    } else {
        f |= NBD_FLAG_READ_ONLY;
    }
    if (exp->multi_conn) {
        f |= NBD_FLAG_CAN_MULTI_CONN;
    }
    if (structured) {
        f |= NBD_FLAG_SEND_DF;
    }
    return f;
}

void nbd_export_submit(NbdExport *exp, BlockExportReq *req)
{
    if (exp->writethrough && (req->op == BLOCK_EXPORT_WRITE ||
                              req->op == BLOCK_EXPORT_ZEROES)) {
        req->flags |= TS_BLOCK_REQ_FUA;
    }
    block_export_submit(exp->blk, req);
}

static NbdExport *export_new(BlockExportUser *blk, const char *id,
                             const char *name, const char *description,
                             bool writable)
{
    NbdExport *exp = g_new0(NbdExport, 1);
    exp->id = g_strdup(id);
    exp->name = g_strdup(name);
    exp->description = g_strdup(description);
    exp->blk = blk;
    exp->writable = writable;
    /* Nothing changes a read-only export through another connection. */
    exp->multi_conn = !writable;
    exp->size = block_export_length(blk);
    exp->can_discard = block_export_can_discard(blk);
    exp->submit = nbd_export_submit;
    exp->conns = g_ptr_array_new();
    exp->in_table = true;
    g_ptr_array_insert(nbd_exports(), 0, exp);
    return exp;
}

static bool check_strings(const char *name, const char *description,
                          GError **errp)
{
    if (strlen(name) > NBD_MAX_STRING) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "export name '%.*s...' too long", 32, name);
        return false;
    }
    if (description && strlen(description) > NBD_MAX_STRING) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "description '%.*s...' too long", 32, description);
        return false;
    }
    return true;
}

NbdExport *nbd_export_add(const char *id, const char *device,
                          const char *name, const char *description,
                          bool writable, GError **errp)
{
    if (nbd_export_find_id(id)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Block export id '%s' is already in use", id);
        return NULL;
    }
    if (nbd_export_find_name(name)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "NBD server already has export named '%s'", name);
        return NULL;
    }
    if (!check_strings(name, description, errp)) {
        return NULL;
    }
    BlockExportUser *blk = block_export_open(device, writable, errp);
    if (!blk) {
        return NULL;
    }
    return export_new(blk, id, name, description, writable);
}

NbdExport *nbd_export_add_node(TsBlockNode *node, const char *name,
                               const char *description, bool writable,
                               GError **errp)
{
    if (!check_strings(name, description, errp)) {
        return NULL;
    }
    BlockExportUser *blk = block_export_open_node(node, writable, errp);
    if (!blk) {
        return NULL;
    }
    return export_new(blk, name, name, description, writable);
}

void nbd_export_add_conn(NbdExport *exp, NbdConn *conn)
{
    g_ptr_array_add(exp->conns, conn);
}

/* The last user is gone: close the node, say so. */
static void export_free(NbdExport *exp)
{
    g_ptr_array_remove(nbd_exports(), exp);
    /* Requests of dropped clients complete here (their replies go
     * nowhere) before the node is let go. */
    block_export_close(exp->blk);
    nbd_event_export_deleted(exp->id);
    g_ptr_array_unref(exp->conns);
    g_free(exp->id);
    g_free(exp->name);
    g_free(exp->description);
    g_free(exp);
}

void nbd_export_put_conn(NbdExport *exp, NbdConn *conn)
{
    g_ptr_array_remove(exp->conns, conn);
    if (exp->shutting_down && !exp->conns->len) {
        export_free(exp);
    }
}

bool nbd_export_remove(NbdExport *exp, bool hard, GError **errp)
{
    if (exp->shutting_down && !hard) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Export '%s' is already shutting down", exp->id);
        return false;
    }
    if (!hard && exp->conns->len) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "export '%s' still in use", exp->id);
        return false;
    }
    exp->shutting_down = true;
    if (exp->conns->len) {
        /* Each dropped client lets go of the export; the last frees it. */
        nbd_server_drop_clients(exp);
        return true;
    }
    export_free(exp);
    return true;
}

void nbd_export_remove_all(void)
{
    GPtrArray *all = nbd_exports();
    while (all->len) {
        NbdExport *exp = g_ptr_array_index(all, all->len - 1);
        if (!exp->conns->len) {
            exp->shutting_down = true;
            export_free(exp);
        } else {
            nbd_export_remove(exp, true, NULL);
        }
    }
}
