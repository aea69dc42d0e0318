/*
 * core/nbd/nbd-qmp.c - the NBD server's QMP commands and event, in QEMU
 * 7.2's shapes and words: nbd-server-start/-add/-remove/-stop,
 * block-export-add/-del (type nbd, the only one built), query-block-
 * exports, BLOCK_EXPORT_DELETED.
 */
#include "nbd-internal.h"
#include "nbd.h"
#include "monitor/qmp.h"

#include <stdlib.h>
#include <string.h>

static const char *opt_str(JsonObject *args, const char *key)
{
    JsonNode *n = json_object_get_member(args, key);
    return n && JSON_NODE_HOLDS_VALUE(n) &&
           json_node_get_value_type(n) == G_TYPE_STRING
        ? json_node_get_string(n) : NULL;
}

static bool opt_bool(JsonObject *args, const char *key, bool def)
{
    return json_object_has_member(args, key)
        ? json_object_get_boolean_member(args, key) : def;
}

static bool not_running(GError **errp)
{
    if (nbd_server_running()) {
        return false;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "NBD server not running");
    return true;
}

/* QEMU's SocketAddress, flat ({"type": "unix", "path": ...}); the legacy
 * form's "data" is unwrapped first. */
bool nbd_listen_addr_from_json(JsonObject *o, NbdListenAddr *a,
                               GError **errp)
{
    const char *type = opt_str(o, "type");
    JsonObject *d = o;
    if (json_object_has_member(o, "data")) {
        JsonNode *n = json_object_get_member(o, "data");
        if (!JSON_NODE_HOLDS_OBJECT(n)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Invalid parameter type for 'addr.data', "
                        "expected: object");
            return false;
        }
        d = json_node_get_object(n);
    }
    memset(a, 0, sizeof(*a));
    if (!type) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'addr.type' is missing");
        return false;
    }
    if (g_str_equal(type, "unix")) {
        a->is_unix = true;
        a->path = g_strdup(opt_str(d, "path"));
        if (!a->path) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Parameter 'path' is missing");
            return false;
        }
        return true;
    }
    if (g_str_equal(type, "inet")) {
        a->host = g_strdup(opt_str(d, "host"));
        a->port = g_strdup(opt_str(d, "port"));
        if (!a->host || !a->port) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Parameter '%s' is missing",
                        a->host ? "port" : "host");
            return false;
        }
        a->ipv4 = opt_bool(d, "ipv4", false);
        a->ipv6 = opt_bool(d, "ipv6", false);
        return true;
    }
    if (g_str_equal(type, "fd") || g_str_equal(type, "vsock")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "NBD server address type '%s' is not supported "
                    "(use 'inet' or 'unix')", type);
        return false;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "Parameter 'addr.type' does not accept value '%s'", type);
    return false;
}

void nbd_listen_addr_clear(NbdListenAddr *a)
{
    g_free(a->path);
    g_free(a->host);
    g_free(a->port);
}

static bool cmd_start(JsonObject *args, JsonNode **ret, GError **errp)
{
    JsonNode *addr = json_object_get_member(args, "addr");
    if (!JSON_NODE_HOLDS_OBJECT(addr)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid parameter type for 'addr', expected: object");
        return false;
    }
    const char *tls = opt_str(args, "tls-creds");
    if (tls) {
        /* No tls-creds-* object kind exists here, so none can match. */
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "No TLS credentials with id '%s'", tls);
        return false;
    }
    if (opt_str(args, "tls-authz")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'tls-authz' is only supported with 'tls-creds'");
        return false;
    }
    int64_t max = json_object_has_member(args, "max-connections")
        ? json_object_get_int_member(args, "max-connections") : 0;
    if (max < 0 || max > UINT32_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'max-connections' expects uint32_t");
        return false;
    }
    if (nbd_server_running()) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "NBD server already running");
        return false;
    }
    NbdListenAddr a;
    bool ok = nbd_listen_addr_from_json(json_node_get_object(addr), &a,
                                        errp) &&
              nbd_server_start(&a, (uint32_t)max, errp);
    nbd_listen_addr_clear(&a);
    return ok;
}

static bool bitmap_refused(const char *bitmap, GError **errp)
{
    /* There are no dirty bitmaps in this block layer to name. */
    g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                "Bitmap '%s' is not found", bitmap);
    return false;
}

static bool cmd_add(JsonObject *args, JsonNode **ret, GError **errp)
{
    if (not_running(errp)) {
        return false;
    }
    const char *device = opt_str(args, "device");
    const char *name = opt_str(args, "name");
    const char *bitmap = opt_str(args, "bitmap");
    if (bitmap) {
        return bitmap_refused(bitmap, errp);
    }
    name = name ? name : device;
    return nbd_export_add(name, device, name, opt_str(args, "description"),
                          opt_bool(args, "writable", false), errp) != NULL;
}

static bool parse_mode(JsonObject *args, bool *hard, GError **errp)
{
    const char *mode = opt_str(args, "mode");
    *hard = mode && g_str_equal(mode, "hard");
    if (mode && !*hard && !g_str_equal(mode, "safe")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'mode' does not accept value '%s'", mode);
        return false;
    }
    return true;
}

static bool remove_by_id(const char *id, JsonObject *args, GError **errp)
{
    bool hard;
    if (!parse_mode(args, &hard, errp)) {
        return false;
    }
    NbdExport *exp = nbd_export_find_id(id);
    if (!exp) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "Export '%s' is not found", id);
        return false;
    }
    return nbd_export_remove(exp, hard, errp);
}

static bool cmd_remove(JsonObject *args, JsonNode **ret, GError **errp)
{
    return remove_by_id(opt_str(args, "name"), args, errp);
}

static bool cmd_stop(JsonObject *args, JsonNode **ret, GError **errp)
{
    if (not_running(errp)) {
        return false;
    }
    nbd_server_stop();
    return true;
}

/* block-export-add's members for type nbd (BlockExportOptions). */
static const char *const export_members[] = {
    "type", "id", "node-name", "writable", "writethrough", "iothread",
    "fixed-iothread", "name", "description", "bitmaps", "allocation-depth",
    NULL
};

static bool cmd_export_add(JsonObject *args, JsonNode **ret, GError **errp)
{
    const char *type = opt_str(args, "type");
    if (!g_str_equal(type, "nbd")) {
        bool known = g_str_equal(type, "fuse") ||
                     g_str_equal(type, "vhost-user-blk") ||
                     g_str_equal(type, "vduse-blk");
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    known ? "Block export type '%s' is not supported by "
                            "Tessera (only 'nbd')"
                          : "Parameter 'type' does not accept value '%s'",
                    type);
        return false;
    }
    g_autoptr(GList) members = json_object_get_members(args);
    for (GList *m = members; m; m = m->next) {
        if (!g_strv_contains(export_members, m->data)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Parameter '%s' is unexpected",
                        (const char *)m->data);
            return false;
        }
    }
    const char *id = opt_str(args, "id");
    const char *node = opt_str(args, "node-name");
    if (!id || !node) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter '%s' is missing", id ? "node-name" : "id");
        return false;
    }
    if (opt_str(args, "iothread")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "IOThread '%s' not found", opt_str(args, "iothread"));
        return false;
    }
    if (opt_bool(args, "allocation-depth", false)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "The qemu:allocation-depth meta context is not "
                    "supported");
        return false;
    }
    JsonNode *bm = json_object_get_member(args, "bitmaps");
    if (bm && JSON_NODE_HOLDS_ARRAY(bm) &&
        json_array_get_length(json_node_get_array(bm))) {
        JsonNode *first = json_array_get_element(json_node_get_array(bm), 0);
        const char *b = JSON_NODE_HOLDS_VALUE(first) &&
                        json_node_get_value_type(first) == G_TYPE_STRING
            ? json_node_get_string(first) : "";
        return bitmap_refused(b, errp);
    }
    if (not_running(errp)) {
        return false;
    }
    if (nbd_export_find_id(id)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Block export id '%s' is already in use", id);
        return false;
    }
    /* block-export-add names a node only (no drive ids), as QEMU. */
    if (!block_export_node_exists(node)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "Cannot find device='' nor node-name='%s'", node);
        return false;
    }
    const char *name = opt_str(args, "name");
    NbdExport *exp = nbd_export_add(id, node, name ? name : node,
                                    opt_str(args, "description"),
                                    opt_bool(args, "writable", false), errp);
    if (exp) {
        exp->writethrough = opt_bool(args, "writethrough", false);
    }
    return exp != NULL;
}

static bool cmd_export_del(JsonObject *args, JsonNode **ret, GError **errp)
{
    return remove_by_id(opt_str(args, "id"), args, errp);
}

static bool cmd_query_exports(JsonObject *args, JsonNode **ret,
                              GError **errp)
{
    JsonArray *arr = json_array_new();
    GPtrArray *all = nbd_exports();
    for (guint i = 0; i < all->len; i++) {
        NbdExport *exp = g_ptr_array_index(all, i);
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "type", "nbd");
        json_object_set_string_member(o, "id", exp->id);
        json_object_set_string_member(o, "node-name",
                                      block_export_node_name(exp->blk));
        json_object_set_boolean_member(o, "shutting-down",
                                       exp->shutting_down);
        json_array_add_object_element(arr, o);
    }
    *ret = qmp_array_node(arr);
    return true;
}

void nbd_event_export_deleted(const char *id)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "id", id);
    qmp_emit_event("BLOCK_EXPORT_DELETED", o);
    json_object_unref(o);
}

void nbd_shutdown(void)
{
    nbd_server_stop();
    nbd_export_remove_all();
}

static void nbd_qmp_commands(void)
{
    static const QmpArg start_args[] = {
        { "addr", QMP_ARG_OBJECT, false },
        { "tls-creds", QMP_ARG_STRING, true },
        { "tls-authz", QMP_ARG_STRING, true },
        { "max-connections", QMP_ARG_INT, true },
        { NULL }
    };
    static const QmpArg add_args[] = {
        { "device", QMP_ARG_STRING, false },
        { "name", QMP_ARG_STRING, true },
        { "description", QMP_ARG_STRING, true },
        { "writable", QMP_ARG_BOOL, true },
        { "bitmap", QMP_ARG_STRING, true },
        { NULL }
    };
    static const QmpArg remove_args[] = {
        { "name", QMP_ARG_STRING, false },
        { "mode", QMP_ARG_STRING, true },
        { NULL }
    };
    static const QmpArg export_add_args[] = {
        { "type", QMP_ARG_STRING, false },
        { "id", QMP_ARG_STRING, false },
        { "node-name", QMP_ARG_STRING, false },
        { NULL }
    };
    static const QmpArg export_del_args[] = {
        { "id", QMP_ARG_STRING, false },
        { "mode", QMP_ARG_STRING, true },
        { NULL }
    };
    qmp_register_command_args("nbd-server-start", cmd_start, 0, start_args);
    qmp_register_command_args("nbd-server-add", cmd_add, 0, add_args);
    qmp_register_command_args("nbd-server-remove", cmd_remove, 0,
                              remove_args);
    qmp_register_command("nbd-server-stop", cmd_stop, 0);
    qmp_register_command_args("block-export-add", cmd_export_add,
                              QMP_CMD_EXTRA_ARGS, export_add_args);
    qmp_register_command_args("block-export-del", cmd_export_del, 0,
                              export_del_args);
    qmp_register_command("query-block-exports", cmd_query_exports, 0);
}
QMP_COMMANDS(nbd_qmp_commands)
