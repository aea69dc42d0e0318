/*
 * core/monitor/qmp.c - QMP sessions: framing, request checks, dispatch, replies,
 * events, and the fd transport.  The commands live in qmp-commands.c.
 */
#include "qmp.h"
#include "json-stream.h"
#include "loop/main-loop.h"

#include <tessera/loop.h>

#include <errno.h>
#include <glib-unix.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK(qmp-error-quark, qmp_error)

const char *qmp_error_class_name(QmpErrorClass cls)
{
    switch (cls) {
    case QMP_ERROR_COMMAND_NOT_FOUND: return "CommandNotFound";
    case QMP_ERROR_DEVICE_NOT_ACTIVE: return "DeviceNotActive";
    case QMP_ERROR_DEVICE_NOT_FOUND:  return "DeviceNotFound";
    case QMP_ERROR_KVM_MISSING_CAP:   return "KVMMissingCap";
    case QMP_ERROR_GENERIC:
    default:                          return "GenericError";
    }
}

struct QmpSession {
    QmpWriteFn write;
    void *opaque;
    JsonSplitter *splitter;
    JsonParser *parser;
    bool negotiated;

    /* Freeing is deferred while the session is in use up the stack (a
     * command or an fd callback may end it). */
    unsigned busy;
    bool free_pending;

    /* fd transport (qmp_session_new_fd) */
    int in_fd, out_fd;
    guint watch;
    bool out_broken;
};

/* Every live session, for events. */
static GPtrArray *sessions;

/* ------------------------------------------------------------------ */
/* Command table                                                      */

typedef struct QmpCommand {
    char *name;
    QmpCommandFn handler;
    unsigned flags;
    const QmpArg *args;
} QmpCommand;

static GHashTable *commands;    /* name -> QmpCommand */

static void command_free(void *p)
{
    QmpCommand *cmd = p;
    g_free(cmd->name);
    g_free(cmd);
}

static GPtrArray *command_inits;        /* of void (*)(void) */

void qmp_commands_init_add(void (*fn)(void))
{
    if (!command_inits) {
        command_inits = g_ptr_array_new();
    }
    g_ptr_array_add(command_inits, (gpointer)fn);
}

static void ensure_commands(void)
{
    if (!commands) {
        commands = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                         command_free);
        qmp_register_builtin_commands();
        for (guint i = 0; command_inits && i < command_inits->len; i++) {
            ((void (*)(void))g_ptr_array_index(command_inits, i))();
        }
    }
}

JsonNode *qmp_object_node(JsonObject *obj)
{
    JsonNode *node = json_node_init_object(json_node_alloc(), obj);
    json_object_unref(obj);
    return node;
}

JsonNode *qmp_array_node(JsonArray *arr)
{
    JsonNode *node = json_node_init_array(json_node_alloc(), arr);
    json_array_unref(arr);
    return node;
}

bool qmp_register_command_args(const char *name, QmpCommandFn handler,
                               unsigned flags, const QmpArg *args)
{
    ensure_commands();
    if (g_hash_table_contains(commands, name)) {
        return false;
    }
    QmpCommand *cmd = g_new0(QmpCommand, 1);
    cmd->name = g_strdup(name);
    cmd->handler = handler;
    cmd->flags = flags;
    cmd->args = args;
    g_hash_table_insert(commands, cmd->name, cmd);
    return true;
}

bool qmp_register_command(const char *name, QmpCommandFn handler,
                          unsigned flags)
{
    return qmp_register_command_args(name, handler, flags, NULL);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **qmp_command_names(void)
{
    ensure_commands();
    guint n;
    char **names = (char **)g_hash_table_get_keys_as_array(commands, &n);
    char **copy = g_new0(char *, n + 1);
    for (guint i = 0; i < n; i++) {
        copy[i] = g_strdup(names[i]);
    }
    g_free(names);
    qsort(copy, n, sizeof(char *), compare_strings);
    return copy;
}

/* ------------------------------------------------------------------ */
/* Hooks                                                              */

static QmpVmHooks vm_hooks;
static bool vm_ever_ran;
static void (*notifier_registered_with)(void (*)(bool, void *), void *);

void qmp_set_vm_hooks(const QmpVmHooks *hooks)
{
    if (hooks) {
        vm_hooks = *hooks;
    } else {
        memset(&vm_hooks, 0, sizeof(vm_hooks));
    }
    vm_ever_ran = false;
    if (vm_hooks.state_notifier_add &&
        vm_hooks.state_notifier_add != notifier_registered_with) {
        vm_hooks.state_notifier_add(qmp_vm_state_changed, NULL);
        notifier_registered_with = vm_hooks.state_notifier_add;
    }
}

static bool core_cont(GError **errp)
{
    ts_vm_start();
    return true;
}

static void core_quit(void)
{
    ts_loop_quit(0);
}

void qmp_core_vm_hooks(QmpVmHooks *hooks)
{
    memset(hooks, 0, sizeof(*hooks));
    hooks->is_running = ts_vm_running;
    hooks->stop = ts_vm_stop;
    hooks->cont = core_cont;
    hooks->quit = core_quit;
    hooks->state_notifier_add = ts_vm_state_notifier_add;
}

const QmpVmHooks *qmp_vm_hooks(void)
{
    return &vm_hooks;
}

static const char *stop_reason;  /* until the VM runs again */

void qmp_set_stop_reason(const char *run_state)
{
    stop_reason = run_state;
}

const char *qmp_run_state(void)
{
    if (vm_hooks.run_state) {
        return vm_hooks.run_state();
    }
    if (!vm_hooks.is_running) {
        return NULL;
    }
    if (vm_hooks.is_running()) {
        vm_ever_ran = true;
        return "running";
    }
    if (stop_reason) {
        return stop_reason;
    }
    /* Like QEMU: stopped before it ever ran (-S) is "prelaunch". */
    return vm_ever_ran ? "paused" : "prelaunch";
}

void qmp_vm_state_changed(bool running, void *opaque)
{
    if (running) {
        vm_ever_ran = true;
        stop_reason = NULL;
    }
    qmp_emit_event(running ? "RESUME" : "STOP", NULL);
}

/* ------------------------------------------------------------------ */
/* Output                                                             */

static void send_node(QmpSession *s, JsonNode *msg)
{
    GString *text = g_string_sized_new(128);
    json_node_to_qmp_text(msg, text);
    g_string_append(text, "\r\n");
    s->write(text->str, text->len, s->opaque);
    g_string_free(text, TRUE);
}

static void send_object(QmpSession *s, JsonObject *obj)
{
    JsonNode *node = json_node_init_object(json_node_alloc(), obj);
    send_node(s, node);
    json_node_unref(node);
}

static void send_greeting(QmpSession *s)
{
    JsonObject *qmp = json_object_new();
    json_object_set_member(qmp, "version", qmp_version_node());
    json_object_set_array_member(qmp, "capabilities", json_array_new());
    JsonObject *msg = json_object_new();
    json_object_set_object_member(msg, "QMP", qmp);
    send_object(s, msg);
    json_object_unref(msg);
}

/* A reply to one request: ret (consumed; NULL means {}) or err. */
static void send_reply(QmpSession *s, JsonNode *ret, const GError *err,
                       JsonNode *id)
{
    JsonObject *msg = json_object_new();
    if (err) {
        QmpErrorClass cls = err->domain == QMP_ERROR ? (QmpErrorClass)err->code
                                                     : QMP_ERROR_GENERIC;
        JsonObject *error = json_object_new();
        json_object_set_string_member(error, "class",
                                      qmp_error_class_name(cls));
        json_object_set_string_member(error, "desc", err->message);
        json_object_set_object_member(msg, "error", error);
        if (ret) {
            json_node_unref(ret);
        }
    } else if (ret) {
        json_object_set_member(msg, "return", ret);
    } else {
        json_object_set_object_member(msg, "return", json_object_new());
    }
    if (id) {
        json_object_set_member(msg, "id", json_node_copy(id));
    }
    send_object(s, msg);
    json_object_unref(msg);
}

static unsigned sending_event;

bool qmp_sending_event(void)
{
    return sending_event > 0;
}

void qmp_emit_event(const char *name, JsonObject *data)
{
    if (!sessions) {
        return;
    }
    gint64 now = g_get_real_time();
    JsonObject *ts = json_object_new();
    json_object_set_int_member(ts, "seconds", now / G_USEC_PER_SEC);
    json_object_set_int_member(ts, "microseconds", now % G_USEC_PER_SEC);
    JsonObject *msg = json_object_new();
    json_object_set_object_member(msg, "timestamp", ts);
    json_object_set_string_member(msg, "event", name);
    if (data) {
        json_object_set_object_member(msg, "data", json_object_ref(data));
    }
    JsonNode *node = json_node_init_object(json_node_alloc(), msg);
    /* A write callback may end a session; walk a snapshot. */
    GPtrArray *snapshot = g_ptr_array_copy(sessions, NULL, NULL);
    for (guint i = 0; i < snapshot->len; i++) {
        QmpSession *s = g_ptr_array_index(snapshot, i);
        if (s->negotiated && !s->free_pending &&
            g_ptr_array_find(sessions, s, NULL)) {
            sending_event++;
            send_node(s, node);
            sending_event--;
        }
    }
    g_ptr_array_unref(snapshot);
    json_node_unref(node);
    json_object_unref(msg);
}

/* ------------------------------------------------------------------ */
/* Request checks and dispatch                                        */

/* Actions to run once the current command's reply is out. */
typedef struct Dispatch {
    QmpSession *session;
    GArray *after_reply;        /* AfterReply */
} Dispatch;

typedef struct AfterReply {
    void (*fn)(void *opaque);
    void *opaque;
} AfterReply;

static Dispatch *current_dispatch;

QmpSession *qmp_current_session(void)
{
    return current_dispatch ? current_dispatch->session : NULL;
}

void qmp_run_after_reply(void (*fn)(void *opaque), void *opaque)
{
    if (!current_dispatch) {
        fn(opaque);
        return;
    }
    AfterReply a = { fn, opaque };
    g_array_append_val(current_dispatch->after_reply, a);
}

/* The envelope: only execute, arguments and id, with the right types. */
static const char *check_envelope(JsonObject *req, GError **errp)
{
    g_autoptr(GList) members = json_object_get_members(req);
    for (GList *l = members; l; l = l->next) {
        const char *key = l->data;
        JsonNode *value = json_object_get_member(req, key);
        if (g_str_equal(key, "execute")) {
            if (!JSON_NODE_HOLDS_VALUE(value) ||
                json_node_get_value_type(value) != G_TYPE_STRING) {
                g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                            "QMP input member 'execute' must be a string");
                return NULL;
            }
        } else if (g_str_equal(key, "arguments")) {
            if (!JSON_NODE_HOLDS_OBJECT(value)) {
                g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                            "QMP input member 'arguments' must be an object");
                return NULL;
            }
        } else if (!g_str_equal(key, "id")) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                        "QMP input member '%s' is unexpected", key);
            return NULL;
        }
    }
    if (!json_object_has_member(req, "execute")) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                    "QMP input lacks member 'execute'");
        return NULL;
    }
    return json_object_get_string_member(req, "execute");
}

static const char *arg_type_name(QmpArgType type)
{
    switch (type) {
    case QMP_ARG_STRING: return "string";
    case QMP_ARG_INT:    return "integer";
    case QMP_ARG_BOOL:   return "boolean";
    case QMP_ARG_NUMBER: return "number";
    case QMP_ARG_OBJECT: return "object";
    case QMP_ARG_ARRAY:  return "array";
    case QMP_ARG_ANY:
    default:             return "any";
    }
}

static bool arg_has_type(JsonNode *node, QmpArgType type)
{
    GType vt = JSON_NODE_HOLDS_VALUE(node) ? json_node_get_value_type(node)
                                           : G_TYPE_INVALID;
    switch (type) {
    case QMP_ARG_STRING: return vt == G_TYPE_STRING;
    case QMP_ARG_INT:    return vt == G_TYPE_INT64;
    case QMP_ARG_BOOL:   return vt == G_TYPE_BOOLEAN;
    case QMP_ARG_NUMBER: return vt == G_TYPE_INT64 || vt == G_TYPE_DOUBLE;
    case QMP_ARG_OBJECT: return JSON_NODE_HOLDS_OBJECT(node);
    case QMP_ARG_ARRAY:  return JSON_NODE_HOLDS_ARRAY(node);
    case QMP_ARG_ANY:
    default:             return true;
    }
}

static bool check_arguments(const QmpArg *table, JsonObject *args,
                            bool extra_ok, GError **errp)
{
    for (const QmpArg *a = table; a && a->name; a++) {
        JsonNode *value = json_object_get_member(args, a->name);
        if (!value) {
            if (!a->optional) {
                g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                            "Parameter '%s' is missing", a->name);
                return false;
            }
        } else if (!arg_has_type(value, a->type)) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                        "Invalid parameter type for '%s', expected: %s",
                        a->name, arg_type_name(a->type));
            return false;
        }
    }
    if (extra_ok) {
        return true;
    }
    g_autoptr(GList) members = json_object_get_members(args);
    for (GList *l = members; l; l = l->next) {
        const QmpArg *a = table;
        while (a && a->name && !g_str_equal(a->name, l->data)) {
            a++;
        }
        if (!a || !a->name) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                        "Parameter '%s' is unexpected", (char *)l->data);
            return false;
        }
    }
    return true;
}

/* Run one request object; the reply value or an error. */
static JsonNode *execute(QmpSession *s, JsonObject *req, GError **errp)
{
    const char *name = check_envelope(req, errp);
    if (!name) {
        return NULL;
    }
    ensure_commands();
    QmpCommand *cmd = g_hash_table_lookup(commands, name);
    if (!s->negotiated && (!cmd || !(cmd->flags & QMP_CMD_NEGOTIATION))) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_COMMAND_NOT_FOUND,
                    "Expecting capabilities negotiation with "
                    "'qmp_capabilities'");
        return NULL;
    }
    if (!cmd) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_COMMAND_NOT_FOUND,
                    "The command %s has not been found", name);
        return NULL;
    }
    JsonObject *args = json_object_has_member(req, "arguments")
                       ? json_object_ref(json_object_get_object_member(
                             req, "arguments"))
                       : json_object_new();
    JsonNode *ret = NULL;
    GError *err = NULL;
    bool ok = check_arguments(cmd->args, args,
                              cmd->flags & QMP_CMD_EXTRA_ARGS, &err) &&
              cmd->handler(args, &ret, &err);
    json_object_unref(args);
    if (!ok) {
        if (!err) {     /* a handler bug, but the peer still gets a reply */
            g_set_error(&err, QMP_ERROR, QMP_ERROR_GENERIC,
                        "Command %s failed", name);
        }
        g_propagate_error(errp, err);
        if (ret) {
            json_node_unref(ret);
        }
        return NULL;
    }
    g_clear_error(&err);
    return ret ? ret : qmp_object_node(json_object_new());
}

static void session_release(QmpSession *s);

static void handle_message(const char *text, size_t len, void *opaque)
{
    QmpSession *s = opaque;
    GError *err = NULL;
    JsonNode *req = json_message_parse(s->parser, text, len, &err);
    if (!req) {
        GError *reply = g_error_new(QMP_ERROR, QMP_ERROR_GENERIC,
                                    "JSON parse error, %s", err->message);
        send_reply(s, NULL, reply, NULL);
        g_error_free(reply);
        g_error_free(err);
        return;
    }
    if (!JSON_NODE_HOLDS_OBJECT(req)) {
        g_set_error(&err, QMP_ERROR, QMP_ERROR_GENERIC,
                    "QMP input must be a JSON object");
        send_reply(s, NULL, err, NULL);
        g_error_free(err);
        json_node_unref(req);
        return;
    }

    Dispatch dispatch = {
        .session = s,
        .after_reply = g_array_new(FALSE, FALSE, sizeof(AfterReply)),
    };
    Dispatch *outer = current_dispatch;
    current_dispatch = &dispatch;
    s->busy++;

    JsonObject *obj = json_node_get_object(req);
    JsonNode *ret = execute(s, obj, &err);
    if (!s->free_pending) {
        send_reply(s, ret, err, json_object_get_member(obj, "id"));
    } else if (ret) {
        json_node_unref(ret);
    }
    g_clear_error(&err);
    json_node_unref(req);

    current_dispatch = outer;
    for (guint i = 0; i < dispatch.after_reply->len; i++) {
        AfterReply *a = &g_array_index(dispatch.after_reply, AfterReply, i);
        a->fn(a->opaque);
    }
    g_array_unref(dispatch.after_reply);
    session_release(s);
}

static void handle_overlimit(const char *why, void *opaque)
{
    QmpSession *s = opaque;
    GError *err = g_error_new(QMP_ERROR, QMP_ERROR_GENERIC,
                              "JSON parse error, %s", why);
    send_reply(s, NULL, err, NULL);
    g_error_free(err);
}

/* ------------------------------------------------------------------ */
/* Sessions                                                           */

static QmpSession *session_create(QmpWriteFn write, void *opaque,
                                  size_t max_size, unsigned max_depth)
{
    QmpSession *s = g_new0(QmpSession, 1);
    s->write = write;
    s->opaque = opaque;
    s->in_fd = s->out_fd = -1;
    s->splitter = json_splitter_new(max_size ? max_size : QMP_MAX_MESSAGE_SIZE,
                                    max_depth ? max_depth
                                              : QMP_MAX_NESTING_DEPTH,
                                    handle_message, handle_overlimit, s);
    s->parser = json_parser_new_immutable();
    if (!sessions) {
        sessions = g_ptr_array_new();
    }
    g_ptr_array_add(sessions, s);
    return s;
}

QmpSession *qmp_session_new_limits(QmpWriteFn write, void *opaque,
                                   size_t max_size, unsigned max_depth)
{
    QmpSession *s = session_create(write, opaque, max_size, max_depth);
    send_greeting(s);
    return s;
}

QmpSession *qmp_session_new(QmpWriteFn write, void *opaque)
{
    return qmp_session_new_limits(write, opaque, 0, 0);
}

void qmp_session_feed(QmpSession *s, const void *buf, size_t len)
{
    if (s->free_pending) {
        return;
    }
    s->busy++;
    json_splitter_feed(s->splitter, buf, len);
    session_release(s);
}

bool qmp_session_negotiated(const QmpSession *s)
{
    return s->negotiated;
}

void qmp_session_set_negotiated(QmpSession *s)
{
    s->negotiated = true;
}

static void session_destroy(QmpSession *s)
{
    g_ptr_array_remove(sessions, s);
    if (s->watch) {
        g_source_remove(s->watch);
    }
    json_splitter_free(s->splitter);
    g_object_unref(s->parser);
    g_free(s);
}

static void session_release(QmpSession *s)
{
    if (--s->busy == 0 && s->free_pending) {
        session_destroy(s);
    }
}

void qmp_session_free(QmpSession *s)
{
    if (!s) {
        return;
    }
    if (s->busy) {
        /* Called from one of our own callbacks: finish the stack first. */
        s->free_pending = true;
        json_splitter_stop(s->splitter);
        return;
    }
    session_destroy(s);
}

void qmp_cleanup(void)
{
    g_return_if_fail(current_dispatch == NULL);
    while (sessions && sessions->len) {
        session_destroy(g_ptr_array_index(sessions, sessions->len - 1));
    }
    g_clear_pointer(&sessions, g_ptr_array_unref);
    g_clear_pointer(&commands, g_hash_table_unref);
    qmp_set_vm_hooks(NULL);
}

/* ------------------------------------------------------------------ */
/* fd transport                                                       */

static void fd_write(const char *data, size_t len, void *opaque)
{
    QmpSession *s = opaque;
    while (len && !s->out_broken) {
        ssize_t n = write(s->out_fd, data, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                /* Non-blocking peer (socket, pty): wait, the reply must
                 * be out before the command's after-reply actions run. */
                struct pollfd p = { .fd = s->out_fd, .events = POLLOUT };
                poll(&p, 1, -1);
                continue;
            }
            s->out_broken = true;
            break;
        }
        data += n;
        len -= (size_t)n;
    }
    if (s->out_broken) {
        qmp_session_free(s);    /* deferred: we are inside a callback */
    }
}

static gboolean fd_readable(int fd, GIOCondition cond, void *opaque)
{
    QmpSession *s = opaque;
    char buf[16384];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN ||
                  errno == EWOULDBLOCK)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        /* EOF or error: this session is over; the VM keeps running. */
        s->watch = 0;
        qmp_session_free(s);
        return G_SOURCE_REMOVE;
    }
    s->busy++;
    qmp_session_feed(s, buf, (size_t)n);
    bool ending = s->free_pending;
    if (ending) {
        s->watch = 0;           /* returning REMOVE drops the source */
    }
    session_release(s);
    return ending ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

QmpSession *qmp_session_new_fd(int in_fd, int out_fd)
{
    QmpSession *s = session_create(fd_write, NULL, 0, 0);
    s->opaque = s;
    s->in_fd = in_fd;
    s->out_fd = out_fd;
    s->watch = g_unix_fd_add(in_fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                             fd_readable, s);
    s->busy++;
    send_greeting(s);
    if (s->free_pending) {
        session_release(s);     /* the peer was gone already */
        return NULL;
    }
    session_release(s);
    return s;
}
