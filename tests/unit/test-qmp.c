/*
 * Unit tests for the QMP monitor: framing, negotiation, request checks,
 * replies, events, VM commands through stub hooks, limits, fd transport.
 */
#include "config.h"
#include "monitor/json-stream.h"
#include "monitor/qmp.h"
#include "object/object-introspect.h"
#include "loop/main-loop.h"

#include <tessera/loop.h>
#include <tessera/object.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* A peer: a session whose output is collected in a buffer            */

typedef struct Peer {
    QmpSession *s;
    GString *out;       /* everything written, not yet consumed */
    unsigned writes;
} Peer;

static void peer_write(const char *data, size_t len, void *opaque)
{
    Peer *p = opaque;
    /* One call is one whole message, terminated like QEMU's. */
    g_assert_cmpuint(len, >=, 2);
    g_assert_cmpint(data[len - 2], ==, '\r');
    g_assert_cmpint(data[len - 1], ==, '\n');
    g_assert_null(memchr(data, '\n', len - 1));
    g_string_append_len(p->out, data, (gssize)len);
    p->writes++;
}

static Peer *peer_new_limits(size_t max_size, unsigned max_depth)
{
    Peer *p = g_new0(Peer, 1);
    p->out = g_string_new(NULL);
    p->s = qmp_session_new_limits(peer_write, p, max_size, max_depth);
    return p;
}

static Peer *peer_new(void)
{
    return peer_new_limits(0, 0);
}

static void peer_free(Peer *p)
{
    qmp_session_free(p->s);
    g_string_free(p->out, TRUE);
    g_free(p);
}

static void peer_send(Peer *p, const char *text)
{
    qmp_session_feed(p->s, text, strlen(text));
}

/* The next message's raw text (without \r\n), or NULL if none. */
static char *peer_next_text(Peer *p)
{
    char *end = strstr(p->out->str, "\r\n");
    if (!end) {
        return NULL;
    }
    size_t len = (size_t)(end - p->out->str);
    char *text = g_strndup(p->out->str, len);
    g_string_erase(p->out, 0, (gssize)(len + 2));
    return text;
}

static JsonObject *parse_object(const char *text)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) err = NULL;
    g_assert_true(json_parser_load_from_data(parser, text, -1, &err));
    g_assert_no_error(err);
    JsonNode *root = json_parser_get_root(parser);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
    return json_object_ref(json_node_get_object(root));
}

/* The next message, parsed; fails the test if there is none. */
static JsonObject *peer_next(Peer *p)
{
    g_autofree char *text = peer_next_text(p);
    if (!text) {
        g_error("expected a QMP message, output is empty");
    }
    return parse_object(text);
}

static void peer_expect_nothing(Peer *p)
{
    g_assert_cmpstr(p->out->str, ==, "");
}

/* Next message must be {"error": {"class": cls, "desc": desc}}; desc may
 * end in '*' to match a prefix.  Returns the message for more checks. */
static JsonObject *expect_error(Peer *p, const char *cls, const char *desc)
{
    JsonObject *msg = peer_next(p);
    g_assert_false(json_object_has_member(msg, "return"));
    g_assert_true(json_object_has_member(msg, "error"));
    JsonObject *error = json_object_get_object_member(msg, "error");
    g_assert_cmpstr(json_object_get_string_member(error, "class"), ==, cls);
    const char *got = json_object_get_string_member(error, "desc");
    size_t n = strlen(desc);
    if (n && desc[n - 1] == '*') {
        if (strncmp(got, desc, n - 1) != 0) {
            g_error("desc '%s' does not start with '%.*s'", got, (int)n - 1,
                    desc);
        }
    } else {
        g_assert_cmpstr(got, ==, desc);
    }
    g_assert_cmpuint(json_object_get_size(error), ==, 2);
    return msg;
}

static void expect_error_only(Peer *p, const char *cls, const char *desc)
{
    JsonObject *msg = expect_error(p, cls, desc);
    g_assert_false(json_object_has_member(msg, "id"));
    json_object_unref(msg);
}

/* Next message must be a {"return": ...}; returns its value node (owned
 * by *msg_out, which the caller unrefs). */
static JsonNode *expect_return(Peer *p, JsonObject **msg_out)
{
    JsonObject *msg = peer_next(p);
    if (json_object_has_member(msg, "error")) {
        JsonObject *e = json_object_get_object_member(msg, "error");
        g_error("expected a return, got error %s: %s",
                json_object_get_string_member(e, "class"),
                json_object_get_string_member(e, "desc"));
    }
    g_assert_true(json_object_has_member(msg, "return"));
    *msg_out = msg;
    return json_object_get_member(msg, "return");
}

/* Next message must be exactly {"return": {}}. */
static void expect_empty_return(Peer *p)
{
    g_autofree char *text = peer_next_text(p);
    g_assert_cmpstr(text, ==, "{\"return\": {}}");
}

static void skip_greeting(Peer *p)
{
    JsonObject *g = peer_next(p);
    g_assert_true(json_object_has_member(g, "QMP"));
    json_object_unref(g);
}

static Peer *peer_negotiated(void)
{
    Peer *p = peer_new();
    skip_greeting(p);
    peer_send(p, "{\"execute\": \"qmp_capabilities\"}");
    expect_empty_return(p);
    return p;
}

/* The session still answers: query-version returns. */
static void expect_alive(Peer *p)
{
    peer_send(p, "{\"execute\": \"query-version\"}");
    JsonObject *msg;
    JsonNode *ret = expect_return(p, &msg);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(ret));
    json_object_unref(msg);
    peer_expect_nothing(p);
}

/* ------------------------------------------------------------------ */
/* Stub VM hooks                                                      */

static struct {
    bool running;
    bool ever_quit;
    unsigned stops, conts, resets, powerdowns, quits;
    const char *name;
    bool cont_fails;
    Peer *quit_peer;            /* output checked when quit runs */
    bool quit_saw_reply;
} vm;

/* Registered once: qmp_set_vm_hooks must not add it again. */
static void (*vm_notifier)(bool, void *);
static unsigned vm_notifier_adds;

static bool stub_is_running(void) { return vm.running; }

static void stub_stop(void)
{
    vm.stops++;
    if (vm.running) {
        vm.running = false;
        vm_notifier(false, NULL);
    }
}

static bool stub_cont(GError **errp)
{
    vm.conts++;
    if (vm.cont_fails) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Resetting the Virtual Machine is required");
        return false;
    }
    if (!vm.running) {
        vm.running = true;
        vm_notifier(true, NULL);
    }
    return true;
}

static void stub_reset(void) { vm.resets++; }
static void stub_powerdown(void) { vm.powerdowns++; }

static void stub_quit(void)
{
    vm.quits++;
    if (vm.quit_peer) {
        /* By now the reply, then the SHUTDOWN event, must be out. */
        Peer *p = vm.quit_peer;
        vm.quit_saw_reply =
            g_str_has_prefix(p->out->str, "{\"return\": {}}\r\n") &&
            strstr(p->out->str, "\"event\": \"SHUTDOWN\"") != NULL;
    }
}

static const char *stub_name(void) { return vm.name; }

static void stub_notifier_add(void (*fn)(bool, void *), void *opaque)
{
    vm_notifier = fn;
    vm_notifier_adds++;
}

static void install_stub_hooks(bool running)
{
    memset(&vm, 0, sizeof(vm));
    vm.running = running;
    QmpVmHooks hooks = {
        .is_running = stub_is_running,
        .stop = stub_stop,
        .cont = stub_cont,
        .system_reset = stub_reset,
        .system_powerdown = stub_powerdown,
        .quit = stub_quit,
        .vm_name = stub_name,
        .state_notifier_add = stub_notifier_add,
    };
    unsigned adds = vm_notifier_adds;
    qmp_set_vm_hooks(&hooks);
    g_assert_true(vm_notifier == qmp_vm_state_changed);
    g_assert_cmpuint(vm_notifier_adds - adds, <=, 1);
}

/* ------------------------------------------------------------------ */
/* Greeting and negotiation                                           */

static void test_greeting(void)
{
    Peer *p = peer_new();
    g_autofree char *text = peer_next_text(p);
    unsigned major = 0, minor = 0, micro = 0;
    sscanf(TS_VERSION, "%u.%u.%u", &major, &minor, &micro);
    g_autofree char *expected = g_strdup_printf(
        "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": %u, \"minor\": %u, "
        "\"major\": %u}, \"package\": \"tessera-%s\"}, "
        "\"capabilities\": []}}", micro, minor, major, TS_VERSION);
    g_assert_cmpstr(text, ==, expected);
    g_assert_cmpuint(p->writes, ==, 1);
    peer_expect_nothing(p);
    g_assert_false(qmp_session_negotiated(p->s));
    peer_free(p);
}

static void test_negotiation_required(void)
{
    Peer *p = peer_new();
    skip_greeting(p);
    const char *before[] = {
        "{\"execute\": \"query-version\"}",
        "{\"execute\": \"no-such-command\"}",
        "{\"execute\": \"quit\"}",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(before); i++) {
        peer_send(p, before[i]);
        expect_error_only(p, "CommandNotFound",
                          "Expecting capabilities negotiation with "
                          "'qmp_capabilities'");
    }
    /* Capabilities we do not offer are refused, and negotiation stays. */
    peer_send(p, "{\"execute\": \"qmp_capabilities\", "
                 "\"arguments\": {\"enable\": [\"oob\"]}}");
    expect_error_only(p, "GenericError", "Capability 'oob' not available");
    g_assert_false(qmp_session_negotiated(p->s));

    peer_send(p, "{\"execute\": \"qmp_capabilities\", \"id\": 1}");
    g_autofree char *reply = peer_next_text(p);
    g_assert_cmpstr(reply, ==, "{\"return\": {}, \"id\": 1}");
    g_assert_true(qmp_session_negotiated(p->s));
    expect_alive(p);

    peer_send(p, "{\"execute\": \"qmp_capabilities\"}");
    expect_error_only(p, "CommandNotFound",
                      "Capabilities negotiation is already complete, "
                      "command ignored");
    expect_alive(p);
    peer_free(p);
}

/* ------------------------------------------------------------------ */
/* Bad requests: each gets its error and the session goes on          */

static bool cmd_typed(JsonObject *args, JsonNode **ret, GError **errp)
{
    *ret = json_node_init_int(json_node_alloc(),
                              json_object_get_int_member(args, "x"));
    return true;
}

static bool cmd_fails(JsonObject *args, JsonNode **ret, GError **errp)
{
    g_set_error(errp, QMP_ERROR, QMP_ERROR_DEVICE_NOT_ACTIVE,
                "No balloon device has been activated");
    return false;
}

static bool cmd_fails_silently(JsonObject *args, JsonNode **ret,
                               GError **errp)
{
    return false;
}

static const QmpArg typed_args[] = {
    { "x", QMP_ARG_INT, false },
    { "s", QMP_ARG_STRING, true },
    { "b", QMP_ARG_BOOL, true },
    { "n", QMP_ARG_NUMBER, true },
    { "o", QMP_ARG_OBJECT, true },
    { "a", QMP_ARG_ARRAY, true },
    { NULL }
};

static void register_test_commands(void)
{
    static bool done;
    if (!done) {
        g_assert_true(qmp_register_command_args("test-typed", cmd_typed, 0,
                                                typed_args));
        g_assert_true(qmp_register_command("test-fails", cmd_fails, 0));
        g_assert_true(qmp_register_command("test-fails-silently",
                                           cmd_fails_silently, 0));
        done = true;
    }
    /* A name can be registered once. */
    g_assert_false(qmp_register_command("test-fails", cmd_fails, 0));
    g_assert_false(qmp_register_command("query-version", cmd_fails, 0));
}

static void test_envelope_errors(void)
{
    Peer *p = peer_negotiated();
    static const struct {
        const char *input;
        const char *desc;
    } cases[] = {
        { "{\"execute\": }", "JSON parse error, *" },
        { "{\"execute\" \"x\"}", "JSON parse error, *" },
        { "[1, 2]", "QMP input must be a JSON object" },
        { "\"query-version\"", "QMP input must be a JSON object" },
        { "42 ", "QMP input must be a JSON object" },
        { "null ", "QMP input must be a JSON object" },
        { "}", "JSON parse error, *" },
        { "{}", "QMP input lacks member 'execute'" },
        { "{\"execute\": 5}", "QMP input member 'execute' must be a string" },
        { "{\"execute\": null}",
          "QMP input member 'execute' must be a string" },
        { "{\"execute\": \"query-version\", \"foo\": 1}",
          "QMP input member 'foo' is unexpected" },
        { "{\"execute\": \"query-version\", \"arguments\": []}",
          "QMP input member 'arguments' must be an object" },
        { "{\"execute\": \"query-version\", \"exec-oob\": \"x\"}",
          "QMP input member 'exec-oob' is unexpected" },
        /* What json-glib would silently mangle. */
        { "{\"execute\": \"query-version\", \"id\": 99999999999999999999}",
          "JSON parse error, number '99999999999999999999' is out of range" },
        { "{\"execute\": \"query-version\", \"id\": 1e400}",
          "JSON parse error, number '1e400' is out of range" },
        { "{\"execute\": \"query-version\", \"id\": \"a\\u0000b\"}",
          "JSON parse error, \\u0000 is not supported" },
        { "{\"execute\": \"query-version\", \"id\": \"\xff\"}",
          "JSON parse error, invalid UTF-8 sequence or NUL byte" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        peer_send(p, cases[i].input);
        expect_error_only(p, "GenericError", cases[i].desc);
        peer_expect_nothing(p);
        expect_alive(p);
    }
    /* A NUL byte inside a message. */
    static const char nul[] = "{\"execute\": \"query-\0version\"}";
    qmp_session_feed(p->s, nul, sizeof(nul) - 1);
    expect_error_only(p, "GenericError",
                      "JSON parse error, invalid UTF-8 sequence or NUL byte");
    expect_alive(p);
    peer_free(p);
}

static void test_command_errors(void)
{
    register_test_commands();
    Peer *p = peer_negotiated();

    peer_send(p, "{\"execute\": \"no-such\"}");
    expect_error_only(p, "CommandNotFound",
                      "The command no-such has not been found");

    static const struct {
        const char *args;
        const char *desc;
    } cases[] = {
        { "{}", "Parameter 'x' is missing" },
        { "{\"x\": \"1\"}",
          "Invalid parameter type for 'x', expected: integer" },
        { "{\"x\": 1.5}",
          "Invalid parameter type for 'x', expected: integer" },
        { "{\"x\": null}",
          "Invalid parameter type for 'x', expected: integer" },
        { "{\"x\": 1, \"s\": 2}",
          "Invalid parameter type for 's', expected: string" },
        { "{\"x\": 1, \"b\": \"on\"}",
          "Invalid parameter type for 'b', expected: boolean" },
        { "{\"x\": 1, \"n\": true}",
          "Invalid parameter type for 'n', expected: number" },
        { "{\"x\": 1, \"o\": []}",
          "Invalid parameter type for 'o', expected: object" },
        { "{\"x\": 1, \"a\": {}}",
          "Invalid parameter type for 'a', expected: array" },
        { "{\"x\": 1, \"y\": 2}", "Parameter 'y' is unexpected" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *req = g_strdup_printf(
            "{\"execute\": \"test-typed\", \"arguments\": %s}", cases[i].args);
        peer_send(p, req);
        expect_error_only(p, "GenericError", cases[i].desc);
        expect_alive(p);
    }

    /* Well-typed arguments reach the handler. */
    peer_send(p, "{\"execute\": \"test-typed\", \"arguments\": {\"x\": 7, "
                 "\"s\": \"\", \"b\": false, \"n\": 2.5, \"o\": {}, "
                 "\"a\": []}}");
    g_autofree char *ok = peer_next_text(p);
    g_assert_cmpstr(ok, ==, "{\"return\": 7}");
    peer_send(p, "{\"execute\": \"test-typed\", \"arguments\": {\"x\": -3, "
                 "\"n\": 1}}");
    g_autofree char *ok2 = peer_next_text(p);
    g_assert_cmpstr(ok2, ==, "{\"return\": -3}");

    /* A command without arguments refuses any. */
    peer_send(p, "{\"execute\": \"query-version\", "
                 "\"arguments\": {\"verbose\": true}}");
    expect_error_only(p, "GenericError", "Parameter 'verbose' is unexpected");
    /* Empty arguments are fine. */
    peer_send(p, "{\"execute\": \"query-name\", \"arguments\": {}}");
    expect_empty_return(p);

    /* A handler's error class reaches the wire. */
    peer_send(p, "{\"execute\": \"test-fails\", \"id\": \"f\"}");
    JsonObject *msg = expect_error(p, "DeviceNotActive",
                                   "No balloon device has been activated");
    g_assert_cmpstr(json_object_get_string_member(msg, "id"), ==, "f");
    json_object_unref(msg);
    /* A handler that forgets its error still produces one reply. */
    peer_send(p, "{\"execute\": \"test-fails-silently\"}");
    expect_error_only(p, "GenericError", "Command test-fails-silently failed");
    expect_alive(p);
    peer_free(p);
}

static void test_error_class_names(void)
{
    g_assert_cmpstr(qmp_error_class_name(QMP_ERROR_GENERIC), ==,
                    "GenericError");
    g_assert_cmpstr(qmp_error_class_name(QMP_ERROR_COMMAND_NOT_FOUND), ==,
                    "CommandNotFound");
    g_assert_cmpstr(qmp_error_class_name(QMP_ERROR_DEVICE_NOT_ACTIVE), ==,
                    "DeviceNotActive");
    g_assert_cmpstr(qmp_error_class_name(QMP_ERROR_DEVICE_NOT_FOUND), ==,
                    "DeviceNotFound");
    g_assert_cmpstr(qmp_error_class_name(QMP_ERROR_KVM_MISSING_CAP), ==,
                    "KVMMissingCap");
    g_assert_cmpstr(qmp_error_class_name((QmpErrorClass)99), ==,
                    "GenericError");
}

/* ------------------------------------------------------------------ */
/* Framing                                                            */

static void test_split_across_feeds(void)
{
    Peer *p = peer_new();
    skip_greeting(p);
    /* Braces, brackets and quotes inside strings must not confuse it. */
    const char *req = "{\"execute\": \"qmp_capabilities\", "
                      "\"id\": {\"k\": \"a}\\\"{[\\\\\", \"l\": ['}', \"]\"]}}";
    for (const char *c = req; *c; c++) {
        peer_expect_nothing(p);
        qmp_session_feed(p->s, c, 1);
    }
    g_autofree char *reply = peer_next_text(p);
    g_assert_cmpstr(reply, ==,
                    "{\"return\": {}, \"id\": {\"k\": \"a}\\\"{[\\\\\", "
                    "\"l\": [\"}\", \"]\"]}}");
    peer_expect_nothing(p);

    /* Every split point of a request gives the same single reply. */
    const char *q = "{\"execute\":\"query-name\",\"id\":\"x{\"}";
    size_t n = strlen(q);
    for (size_t cut = 0; cut <= n; cut++) {
        qmp_session_feed(p->s, q, cut);
        qmp_session_feed(p->s, q + cut, n - cut);
        g_autofree char *r = peer_next_text(p);
        g_assert_cmpstr(r, ==, "{\"return\": {}, \"id\": \"x{\"}");
        peer_expect_nothing(p);
    }
    peer_free(p);
}

static void test_many_in_one_feed(void)
{
    Peer *p = peer_new();
    skip_greeting(p);
    peer_send(p, "{\"execute\":\"qmp_capabilities\",\"id\":1}"
                 "{\"execute\":\"query-name\",\"id\":2}\n"
                 "  \r\n\t{\"execute\":\"no-such\",\"id\":3}[]"
                 "{\"execute\":\"query-name\",\"id\":4}");
    const char *expected[] = {
        "{\"return\": {}, \"id\": 1}",
        "{\"return\": {}, \"id\": 2}",
        "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
        "\"The command no-such has not been found\"}, \"id\": 3}",
        "{\"error\": {\"class\": \"GenericError\", \"desc\": "
        "\"QMP input must be a JSON object\"}}",
        "{\"return\": {}, \"id\": 4}",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(expected); i++) {
        g_autofree char *r = peer_next_text(p);
        g_assert_cmpstr(r, ==, expected[i]);
    }
    peer_expect_nothing(p);
    peer_free(p);
}

static void test_id_echo(void)
{
    Peer *p = peer_negotiated();
    const char *ids[] = {
        "\"libvirt-1\"", "0", "-12", "1.5", "true", "null", "[1, \"a\", {}]",
        "{\"a\": {\"b\": []}}", "\"\\u00e9\\n\"",
    };
    const char *echoed[] = {
        "\"libvirt-1\"", "0", "-12", "1.5", "true", "null", "[1, \"a\", {}]",
        "{\"a\": {\"b\": []}}", "\"\xc3\xa9\\n\"",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
        g_autofree char *req = g_strdup_printf(
            "{\"id\": %s, \"execute\": \"query-name\"}", ids[i]);
        peer_send(p, req);
        g_autofree char *r = peer_next_text(p);
        g_autofree char *want = g_strdup_printf("{\"return\": {}, \"id\": %s}",
                                                echoed[i]);
        g_assert_cmpstr(r, ==, want);
        /* ...on errors too. */
        g_autofree char *bad = g_strdup_printf(
            "{\"id\": %s, \"execute\": \"no-such\"}", ids[i]);
        peer_send(p, bad);
        JsonObject *msg = expect_error(p, "CommandNotFound", "*");
        g_assert_true(json_object_has_member(msg, "id"));
        json_object_unref(msg);
    }
    /* Envelope errors still echo the id. */
    peer_send(p, "{\"id\": 9}");
    JsonObject *msg = expect_error(p, "GenericError",
                                   "QMP input lacks member 'execute'");
    g_assert_cmpint(json_object_get_int_member(msg, "id"), ==, 9);
    json_object_unref(msg);
    peer_free(p);
}

/* ------------------------------------------------------------------ */
/* Limits                                                             */

static void test_size_limit(void)
{
    Peer *p = peer_new_limits(100, 0);
    skip_greeting(p);
    peer_send(p, "{\"execute\": \"qmp_capabilities\"}");
    expect_empty_return(p);

    GString *big = g_string_new("{\"execute\": \"query-name\", \"id\": \"");
    for (int i = 0; i < 300; i++) {
        g_string_append_c(big, 'a' + i % 26);
    }
    g_string_append(big, "}{\\\"}\\\"]");   /* still inside the string */
    g_string_append(big, "\"}");
    peer_send(p, big->str);
    expect_error_only(p, "GenericError",
                      "JSON parse error, message exceeds the size limit");
    /* Exactly one error, and the stream is back in sync. */
    peer_expect_nothing(p);
    expect_alive(p);

    /* A long top-level scalar is bounded the same way. */
    GString *num = g_string_new(NULL);
    for (int i = 0; i < 300; i++) {
        g_string_append_c(num, '1');
    }
    g_string_append_c(num, ' ');
    peer_send(p, num->str);
    expect_error_only(p, "GenericError",
                      "JSON parse error, message exceeds the size limit");
    peer_expect_nothing(p);
    expect_alive(p);

    g_string_free(num, TRUE);
    g_string_free(big, TRUE);
    peer_free(p);
}

static void test_depth_limit(void)
{
    Peer *p = peer_new_limits(0, 8);
    skip_greeting(p);
    peer_send(p, "{\"execute\": \"qmp_capabilities\", \"id\": "
                 "[[[[[[[\"ok at depth 8\"]]]]]]]}");
    JsonObject *msg;
    expect_return(p, &msg);
    json_object_unref(msg);

    peer_send(p, "{\"execute\": \"query-name\", \"id\": "
                 "[[[[[[[[[[[[[[[[[[[[{\"x\": \"]]]]\"}]]]]]]]]]]]]]]]]]]]]}");
    expect_error_only(p, "GenericError",
                      "JSON parse error, message exceeds the nesting depth "
                      "limit");
    peer_expect_nothing(p);
    expect_alive(p);
    peer_free(p);

    /* With the default limits, absurd nesting is refused without the
     * recursive parser ever seeing it, and without buffering it. */
    p = peer_negotiated();
    size_t n = 200000;
    char *open = g_malloc(n);
    memset(open, '[', n);
    qmp_session_feed(p->s, open, n);
    expect_error_only(p, "GenericError",
                      "JSON parse error, message exceeds the nesting depth "
                      "limit");
    memset(open, ']', n);
    qmp_session_feed(p->s, open, n);
    peer_expect_nothing(p);
    expect_alive(p);
    g_free(open);
    peer_free(p);
}

static unsigned splitter_messages, splitter_errors;

static void count_message(const char *text, size_t len, void *opaque)
{
    g_assert_cmpuint(strlen(text), ==, len);
    splitter_messages++;
}

static void count_error(const char *message, void *opaque)
{
    splitter_errors++;
}

static void test_splitter_memory_bounded(void)
{
    splitter_messages = splitter_errors = 0;
    JsonSplitter *sp = json_splitter_new(1024, 16, count_message,
                                         count_error, NULL);
    /* A value that never ends: memory stays at the limit, one error. */
    char chunk[4096];
    memset(chunk, '[', 17);
    memset(chunk + 17, 'x', sizeof(chunk) - 17);
    for (int i = 0; i < 64; i++) {
        json_splitter_feed(sp, chunk, sizeof(chunk));
        g_assert_cmpuint(json_splitter_pending(sp), <=, 1024);
    }
    g_assert_cmpuint(splitter_errors, ==, 1);
    g_assert_cmpuint(splitter_messages, ==, 0);
    json_splitter_reset(sp);
    const char *four = "{\"a\": 1} [2] \"s\" true ";
    json_splitter_feed(sp, four, strlen(four));
    g_assert_cmpuint(splitter_messages, ==, 4);
    g_assert_cmpuint(json_splitter_pending(sp), ==, 0);
    /* An unterminated string is pending, not lost or emitted. */
    json_splitter_feed(sp, "{\"a\": \"}", 8);
    g_assert_cmpuint(json_splitter_pending(sp), ==, 8);
    g_assert_cmpuint(splitter_messages, ==, 4);
    json_splitter_feed(sp, "\"}", 2);
    g_assert_cmpuint(splitter_messages, ==, 5);
    json_splitter_free(sp);
}

/* ------------------------------------------------------------------ */
/* Events                                                             */

static void check_event(JsonObject *msg, const char *name, gint64 before,
                        gint64 after)
{
    g_assert_cmpstr(json_object_get_string_member(msg, "event"), ==, name);
    JsonObject *ts = json_object_get_object_member(msg, "timestamp");
    g_assert_nonnull(ts);
    g_assert_cmpuint(json_object_get_size(ts), ==, 2);
    JsonNode *sec = json_object_get_member(ts, "seconds");
    JsonNode *usec = json_object_get_member(ts, "microseconds");
    g_assert_cmpint(json_node_get_value_type(sec), ==, G_TYPE_INT64);
    g_assert_cmpint(json_node_get_value_type(usec), ==, G_TYPE_INT64);
    gint64 s = json_node_get_int(sec), us = json_node_get_int(usec);
    g_assert_cmpint(us, >=, 0);
    g_assert_cmpint(us, <, G_USEC_PER_SEC);
    gint64 t = s * G_USEC_PER_SEC + us;
    g_assert_cmpint(t, >=, before);
    g_assert_cmpint(t, <=, after);
}

static void test_events(void)
{
    Peer *unnegotiated = peer_new();
    skip_greeting(unnegotiated);
    Peer *a = peer_negotiated();
    Peer *b = peer_negotiated();

    JsonObject *data = json_object_new();
    json_object_set_string_member(data, "device", "virtio0");
    gint64 before = g_get_real_time();
    qmp_emit_event("DEVICE_DELETED", data);
    gint64 after = g_get_real_time();
    json_object_unref(data);

    Peer *both[] = { a, b };
    for (int i = 0; i < 2; i++) {
        g_autofree char *text = peer_next_text(both[i]);
        /* QEMU's member order. */
        g_assert_true(g_str_has_prefix(text, "{\"timestamp\": {\"seconds\": "));
        g_assert_true(g_str_has_suffix(text, "\"event\": \"DEVICE_DELETED\", "
                                             "\"data\": {\"device\": "
                                             "\"virtio0\"}}"));
        JsonObject *msg = parse_object(text);
        check_event(msg, "DEVICE_DELETED", before, after);
        json_object_unref(msg);
        peer_expect_nothing(both[i]);
    }
    /* Not before negotiation. */
    peer_expect_nothing(unnegotiated);

    qmp_emit_event("POWERDOWN", NULL);
    JsonObject *msg = peer_next(a);
    g_assert_false(json_object_has_member(msg, "data"));
    check_event(msg, "POWERDOWN", before, g_get_real_time());
    json_object_unref(msg);

    qmp_event_shutdown(true, qmp_shutdown_cause_name(
                                 TS_SHUTDOWN_GUEST_POWEROFF));
    g_autofree char *sd = peer_next_text(a);
    g_assert_true(g_str_has_suffix(sd, "\"event\": \"SHUTDOWN\", \"data\": "
                                       "{\"guest\": true, \"reason\": "
                                       "\"guest-shutdown\"}}"));
    qmp_event_reset(true, qmp_shutdown_cause_name(TS_SHUTDOWN_GUEST_RESET));
    g_autofree char *rs = peer_next_text(a);
    g_assert_true(g_str_has_suffix(rs, "\"event\": \"RESET\", \"data\": "
                                       "{\"guest\": true, \"reason\": "
                                       "\"guest-reset\"}}"));
    peer_free(b);
    /* A freed session is gone from the event list. */
    qmp_vm_state_changed(false, NULL);
    msg = peer_next(a);
    check_event(msg, "STOP", before, g_get_real_time());
    json_object_unref(msg);
    peer_free(a);
    peer_expect_nothing(unnegotiated);
    peer_free(unnegotiated);
}

/* ------------------------------------------------------------------ */
/* VM commands                                                        */

static char *status_of(Peer *p)
{
    peer_send(p, "{\"execute\": \"query-status\"}");
    JsonObject *msg;
    JsonNode *ret = expect_return(p, &msg);
    JsonObject *st = json_node_get_object(ret);
    g_assert_cmpuint(json_object_get_size(st), ==, 2);
    bool running = json_object_get_boolean_member(st, "running");
    char *s = g_strdup_printf("%s:%s", running ? "true" : "false",
                              json_object_get_string_member(st, "status"));
    json_object_unref(msg);
    return s;
}

static void expect_event(Peer *p, const char *name)
{
    JsonObject *msg = peer_next(p);
    g_assert_cmpstr(json_object_get_string_member(msg, "event"), ==, name);
    json_object_unref(msg);
}

static void test_stop_cont_status(void)
{
    install_stub_hooks(false);
    unsigned adds = vm_notifier_adds;
    install_stub_hooks(false);          /* as with -S */
    /* Setting the same hooks again does not add the notifier twice. */
    g_assert_cmpuint(vm_notifier_adds, ==, adds);
    Peer *p = peer_negotiated();
    g_autofree char *s1 = status_of(p);
    g_assert_cmpstr(s1, ==, "false:prelaunch");

    peer_send(p, "{\"execute\": \"cont\"}");
    expect_event(p, "RESUME");          /* QEMU sends it before the reply */
    expect_empty_return(p);
    g_autofree char *s2 = status_of(p);
    g_assert_cmpstr(s2, ==, "true:running");

    peer_send(p, "{\"execute\": \"stop\"}");
    expect_event(p, "STOP");
    expect_empty_return(p);
    g_assert_cmpuint(vm.stops, ==, 1);
    g_autofree char *s3 = status_of(p);
    g_assert_cmpstr(s3, ==, "false:paused");

    /* Stopping a stopped VM: no event. */
    peer_send(p, "{\"execute\": \"stop\"}");
    expect_empty_return(p);
    peer_expect_nothing(p);

    vm.cont_fails = true;
    peer_send(p, "{\"execute\": \"cont\", \"id\": 3}");
    JsonObject *msg = expect_error(p, "GenericError",
                                   "Resetting the Virtual Machine is "
                                   "required");
    json_object_unref(msg);
    g_assert_false(vm.running);
    peer_free(p);
    qmp_set_vm_hooks(NULL);
}

static void test_reset_powerdown(void)
{
    install_stub_hooks(true);
    Peer *p = peer_negotiated();
    peer_send(p, "{\"execute\": \"system_reset\"}");
    expect_empty_return(p);             /* reply first, then the event */
    g_autofree char *ev = peer_next_text(p);
    g_assert_true(g_str_has_suffix(ev, "\"event\": \"RESET\", \"data\": "
                                       "{\"guest\": false, \"reason\": "
                                       "\"host-qmp-system-reset\"}}"));
    g_assert_cmpuint(vm.resets, ==, 1);

    peer_send(p, "{\"execute\": \"system_powerdown\"}");
    expect_empty_return(p);
    expect_event(p, "POWERDOWN");
    g_assert_cmpuint(vm.powerdowns, ==, 1);
    peer_expect_nothing(p);
    peer_free(p);
    qmp_set_vm_hooks(NULL);
}

static void test_quit_reply_first(void)
{
    install_stub_hooks(true);
    Peer *p = peer_negotiated();
    vm.quit_peer = p;
    peer_send(p, "{\"execute\": \"quit\"}{\"execute\": \"query-name\"}");
    g_assert_cmpuint(vm.quits, ==, 1);
    g_assert_true(vm.quit_saw_reply);
    expect_empty_return(p);
    g_autofree char *ev = peer_next_text(p);
    g_assert_true(g_str_has_suffix(ev, "\"event\": \"SHUTDOWN\", \"data\": "
                                       "{\"guest\": false, \"reason\": "
                                       "\"host-qmp-quit\"}}"));
    expect_empty_return(p);             /* the stub did not exit */
    peer_free(p);
    qmp_set_vm_hooks(NULL);
}

static void test_without_hooks(void)
{
    qmp_set_vm_hooks(NULL);
    Peer *p = peer_negotiated();
    const char *cmds[] = { "quit", "stop", "cont", "system_reset",
                           "system_powerdown", "query-status" };
    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
        g_autofree char *req = g_strdup_printf("{\"execute\": \"%s\"}",
                                               cmds[i]);
        peer_send(p, req);
        expect_error_only(p, "GenericError", "*");
    }
    peer_expect_nothing(p);
    expect_alive(p);
    peer_free(p);
}

static void test_core_hooks(void)
{
    QmpVmHooks hooks;
    memset(&hooks, 0xa5, sizeof(hooks));
    qmp_core_vm_hooks(&hooks);
    g_assert_true(hooks.is_running == ts_vm_running);
    g_assert_true(hooks.stop == ts_vm_stop);
    g_assert_true(hooks.state_notifier_add == ts_vm_state_notifier_add);
    g_assert_nonnull(hooks.cont);
    g_assert_nonnull(hooks.quit);
    /* What the core cannot provide yet is left for the caller. */
    g_assert_null(hooks.run_state);
    g_assert_null(hooks.system_reset);
    g_assert_null(hooks.system_powerdown);
    g_assert_null(hooks.vm_name);
}

/* With the real main loop: the run state, events and quit end to end. */
static void test_real_loop(void)
{
    ts_loop_init();
    QmpVmHooks hooks;
    qmp_core_vm_hooks(&hooks);
    qmp_set_vm_hooks(&hooks);
    Peer *p = peer_negotiated();
    g_autofree char *s1 = status_of(p);
    g_assert_cmpstr(s1, ==, "false:prelaunch");
    peer_send(p, "{\"execute\": \"cont\"}");
    expect_event(p, "RESUME");
    expect_empty_return(p);
    g_assert_true(ts_vm_running());
    peer_send(p, "{\"execute\": \"stop\"}");
    expect_event(p, "STOP");
    expect_empty_return(p);
    g_autofree char *s2 = status_of(p);
    g_assert_cmpstr(s2, ==, "false:paused");
    peer_send(p, "{\"execute\": \"quit\", \"id\": 1}");
    g_autofree char *r = peer_next_text(p);
    g_assert_cmpstr(r, ==, "{\"return\": {}, \"id\": 1}");
    expect_event(p, "SHUTDOWN");
    g_assert_true(ts_loop_quitting());
    g_assert_cmpint(ts_loop_run(), ==, 0);
    peer_free(p);
    qmp_set_vm_hooks(NULL);
}

static void test_queries(void)
{
    install_stub_hooks(true);
    Peer *p = peer_negotiated();

    peer_send(p, "{\"execute\": \"query-name\"}");
    expect_empty_return(p);
    vm.name = "guest-\"1\"";
    peer_send(p, "{\"execute\": \"query-name\"}");
    g_autofree char *named = peer_next_text(p);
    g_assert_cmpstr(named, ==, "{\"return\": {\"name\": \"guest-\\\"1\\\"\"}}");

    peer_send(p, "{\"execute\": \"query-version\"}");
    g_autofree char *ver = peer_next_text(p);
    g_autofree char *want = g_strdup_printf("\"package\": \"tessera-%s\"}}",
                                            TS_VERSION);
    g_assert_true(g_str_has_prefix(ver, "{\"return\": {\"qemu\": {\"micro\": "));
    g_assert_true(g_str_has_suffix(ver, want));

    peer_send(p, "{\"execute\": \"query-commands\"}");
    JsonObject *msg;
    JsonNode *ret = expect_return(p, &msg);
    JsonArray *list = json_node_get_array(ret);
    const char *required[] = {
        "qmp_capabilities", "query-version", "query-status",
        "query-commands", "query-name", "quit", "stop", "cont",
        "system_reset", "system_powerdown", "qom-list", "qom-get",
        "qom-set", "qom-list-types",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(required); i++) {
        bool found = false;
        for (guint j = 0; j < json_array_get_length(list); j++) {
            JsonObject *c = json_array_get_object_element(list, j);
            found |= g_str_equal(json_object_get_string_member(c, "name"),
                                 required[i]);
        }
        if (!found) {
            g_error("query-commands lacks %s", required[i]);
        }
    }
    for (guint j = 1; j < json_array_get_length(list); j++) {
        g_assert_cmpint(strcmp(
            json_object_get_string_member(
                json_array_get_object_element(list, j - 1), "name"),
            json_object_get_string_member(
                json_array_get_object_element(list, j), "name")), <, 0);
    }
    json_object_unref(msg);
    peer_free(p);
    qmp_set_vm_hooks(NULL);
}

/* ------------------------------------------------------------------ */
/* Session life cycle                                                 */

static bool cmd_close_session(JsonObject *args, JsonNode **ret,
                              GError **errp)
{
    qmp_session_free(qmp_current_session());
    return true;
}

static void test_free_inside_command(void)
{
    static bool registered;
    if (!registered) {
        qmp_register_command("test-close", cmd_close_session, 0);
        registered = true;
    }
    GString *out = g_string_new(NULL);
    Peer tmp = { .out = out };
    QmpSession *s = qmp_session_new(peer_write, &tmp);
    const char *req = "{\"execute\":\"qmp_capabilities\"}"
                      "{\"execute\":\"test-close\"}"
                      "{\"execute\":\"query-name\"}";
    qmp_session_feed(s, req, strlen(req));
    /* Greeting and the capabilities reply; nothing after the close. */
    g_assert_cmpuint(tmp.writes, ==, 2);
    qmp_emit_event("STOP", NULL);
    g_assert_cmpuint(tmp.writes, ==, 2);
    g_string_free(out, TRUE);
}

static void count_call(void *opaque)
{
    (*(int *)opaque)++;
}

static void test_run_after_reply_outside(void)
{
    int ran = 0;
    qmp_run_after_reply(count_call, &ran);
    g_assert_cmpint(ran, ==, 1);
}

/* ------------------------------------------------------------------ */
/* fd transport                                                       */

static char *read_line_fd(int fd)
{
    GString *line = g_string_new(NULL);
    for (int spins = 0; spins < 2000; spins++) {
        char c;
        ssize_t n = read(fd, &c, 1);
        if (n == 1) {
            g_string_append_c(line, c);
            if (g_str_has_suffix(line->str, "\r\n")) {
                g_string_truncate(line, line->len - 2);
                return g_string_free(line, FALSE);
            }
            continue;
        }
        /* Let the session's watch run. */
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
    g_string_free(line, TRUE);
    return NULL;
}

static void test_fd_session(void)
{
    int to_qmp[2], from_qmp[2];
    g_assert_cmpint(pipe(to_qmp), ==, 0);
    g_assert_cmpint(pipe(from_qmp), ==, 0);
    g_assert_cmpint(fcntl(from_qmp[0], F_SETFL, O_NONBLOCK), ==, 0);

    install_stub_hooks(true);
    QmpSession *s = qmp_session_new_fd(to_qmp[0], from_qmp[1]);
    g_assert_nonnull(s);
    g_autofree char *greeting = read_line_fd(from_qmp[0]);
    g_assert_nonnull(greeting);
    g_assert_true(g_str_has_prefix(greeting, "{\"QMP\": "));

    const char *req = "{\"execute\": \"qmp_capabilities\"}\n"
                      "{\"execute\": \"quit\", \"id\": \"q\"}\n";
    g_assert_cmpint(write(to_qmp[1], req, strlen(req)), ==,
                    (ssize_t)strlen(req));
    g_autofree char *r1 = read_line_fd(from_qmp[0]);
    g_assert_cmpstr(r1, ==, "{\"return\": {}}");
    g_autofree char *r2 = read_line_fd(from_qmp[0]);
    g_assert_cmpstr(r2, ==, "{\"return\": {}, \"id\": \"q\"}");
    g_assert_cmpuint(vm.quits, ==, 1);
    g_autofree char *r3 = read_line_fd(from_qmp[0]);
    g_assert_true(g_str_has_suffix(r3, "\"event\": \"SHUTDOWN\", \"data\": "
                                       "{\"guest\": false, \"reason\": "
                                       "\"host-qmp-quit\"}}"));

    /* EOF on input ends the session (and frees it: LeakSanitizer checks);
     * afterwards events no longer reach the fd. */
    close(to_qmp[1]);
    for (int i = 0; i < 50; i++) {
        g_main_context_iteration(NULL, FALSE);
    }
    qmp_emit_event("STOP", NULL);
    char c;
    g_assert_cmpint(read(from_qmp[0], &c, 1), ==, -1);
    close(to_qmp[0]);
    close(from_qmp[0]);
    close(from_qmp[1]);
    qmp_set_vm_hooks(NULL);
}

static void test_fd_session_peer_gone(void)
{
    /* Output closed under us: the session ends instead of spinning. */
    int to_qmp[2], from_qmp[2];
    g_assert_cmpint(pipe(to_qmp), ==, 0);
    g_assert_cmpint(pipe(from_qmp), ==, 0);
    close(from_qmp[0]);
    signal(SIGPIPE, SIG_IGN);
    QmpSession *s = qmp_session_new_fd(to_qmp[0], from_qmp[1]);
    g_assert_null(s);
    close(to_qmp[0]);
    close(to_qmp[1]);
    close(from_qmp[1]);
}

/* ------------------------------------------------------------------ */
/* QOM commands, on a small type registered here                      */

typedef struct QomTestDev {
    TsObject parent;
    bool on;
    int64_t level;
    uint64_t size;
    char *label;
    int mode;
} QomTestDev;

static const char *const qom_test_modes[] = { "fast", "slow", NULL };

static const TsProperty qom_test_props[] = {
    TS_PROP_BOOL("on", QomTestDev, on, false, "switched on"),
    TS_PROP_INT("level", QomTestDev, level, 3, -10, 10, "a level"),
    TS_PROP_SIZE("size", QomTestDev, size, 1024 * 1024, "a size"),
    TS_PROP_STRING("label", QomTestDev, label, "hi", "a label"),
    TS_PROP_ENUM("mode", QomTestDev, mode, "slow", qom_test_modes, "a mode"),
    TS_PROP_END
};

static void qom_test_class_init(TsObjectClass *klass, const void *data)
{
    ts_class_add_properties(klass, qom_test_props);
}

static const TsTypeInfo qom_test_base = {
    .name = "test-qmp-base",
    .description = "abstract base for the QMP tests",
    .abstract = true,
    .instance_size = sizeof(QomTestDev),
};

static const TsTypeInfo qom_test_dev = {
    .name = "test-qmp-dev",
    .parent = "test-qmp-base",
    .description = "a type for the QMP tests",
    .class_init = qom_test_class_init,
};

static JsonNode *qom_call(Peer *p, const char *request, JsonObject **msg)
{
    peer_send(p, request);
    return expect_return(p, msg);
}

static JsonObject *find_named(JsonArray *list, const char *name)
{
    for (guint i = 0; i < json_array_get_length(list); i++) {
        JsonObject *o = json_array_get_object_element(list, i);
        if (g_str_equal(json_object_get_string_member(o, "name"), name)) {
            return o;
        }
    }
    return NULL;
}

static void expect_qom_get(Peer *p, const char *path, const char *prop,
                           const char *value_text)
{
    g_autofree char *req = g_strdup_printf(
        "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"%s\", "
        "\"property\": \"%s\"}}", path, prop);
    peer_send(p, req);
    g_autofree char *reply = peer_next_text(p);
    g_autofree char *want = g_strdup_printf("{\"return\": %s}", value_text);
    g_assert_cmpstr(reply, ==, want);
}

static void test_qom(void)
{
    static bool registered;
    if (!registered) {
        g_autoptr(GError) err = NULL;
        g_assert_true(ts_type_register(&qom_test_base, &err));
        g_assert_true(ts_type_register(&qom_test_dev, &err));
        g_assert_no_error(err);
        registered = true;
    }
    g_autoptr(GError) err = NULL;
    TsObject *obj = ts_object_new("test-qmp-dev", &err);
    g_assert_no_error(err);
    g_assert_true(ts_object_add_child(ts_object_root(), "qmp-test", obj,
                                      &err));
    g_assert_no_error(err);
    ts_object_unref(obj);

    Peer *p = peer_negotiated();
    JsonObject *msg;

    /* qom-list: the type, children and properties with QEMU's names. */
    JsonNode *ret = qom_call(p, "{\"execute\": \"qom-list\", \"arguments\": "
                                "{\"path\": \"/qmp-test\"}}", &msg);
    JsonArray *list = json_node_get_array(ret);
    static const char *const kinds[][2] = {
        { "type", "string" }, { "on", "bool" }, { "level", "int64" },
        { "size", "size" }, { "label", "str" }, { "mode", "str" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
        JsonObject *info = find_named(list, kinds[i][0]);
        g_assert_nonnull(info);
        g_assert_cmpstr(json_object_get_string_member(info, "type"), ==,
                        kinds[i][1]);
    }
    g_assert_cmpstr(json_object_get_string_member(find_named(list, "level"),
                                                  "description"), ==,
                    "a level");
    json_object_unref(msg);

    ret = qom_call(p, "{\"execute\": \"qom-list\", \"arguments\": "
                      "{\"path\": \"/\"}}", &msg);
    JsonObject *child = find_named(json_node_get_array(ret), "qmp-test");
    g_assert_nonnull(child);
    g_assert_cmpstr(json_object_get_string_member(child, "type"), ==,
                    "child<test-qmp-dev>");
    json_object_unref(msg);

    /* qom-get: values typed by the property's kind. */
    expect_qom_get(p, "/qmp-test", "on", "false");
    expect_qom_get(p, "/qmp-test", "level", "3");
    expect_qom_get(p, "/qmp-test", "size", "1048576");
    expect_qom_get(p, "/qmp-test", "label", "\"hi\"");
    expect_qom_get(p, "/qmp-test", "mode", "\"slow\"");
    expect_qom_get(p, "/qmp-test", "type", "\"test-qmp-dev\"");
    expect_qom_get(p, "/", "qmp-test", "\"/qmp-test\"");

    /* qom-set, then read back. */
    static const char *const sets[][2] = {
        { "on", "true" }, { "level", "-7" }, { "size", "4096" },
        { "label", "\"a,b\"" }, { "mode", "\"fast\"" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(sets); i++) {
        g_autofree char *req = g_strdup_printf(
            "{\"execute\": \"qom-set\", \"arguments\": {\"path\": "
            "\"/qmp-test\", \"property\": \"%s\", \"value\": %s}}",
            sets[i][0], sets[i][1]);
        peer_send(p, req);
        expect_empty_return(p);
        expect_qom_get(p, "/qmp-test", sets[i][0], sets[i][1]);
    }

    /* Errors, each followed by a live session. */
    static const struct {
        const char *args;
        const char *cls, *desc;
    } bad[] = {
        { "\"path\": \"/nope\", \"property\": \"on\", \"value\": true",
          "DeviceNotFound", "Device '/nope' not found" },
        { "\"path\": \"/qmp-test\", \"property\": \"nosuch\", \"value\": 1",
          "GenericError", "Property 'test-qmp-dev.nosuch' not found" },
        { "\"path\": \"/qmp-test\", \"property\": \"level\", \"value\": \"5\"",
          "GenericError",
          "Invalid parameter type for 'value', expected: integer" },
        { "\"path\": \"/qmp-test\", \"property\": \"on\", \"value\": 1",
          "GenericError",
          "Invalid parameter type for 'value', expected: boolean" },
        { "\"path\": \"/qmp-test\", \"property\": \"label\", \"value\": 1",
          "GenericError",
          "Invalid parameter type for 'value', expected: string" },
        { "\"path\": \"/qmp-test\", \"property\": \"level\", \"value\": 11",
          "GenericError", "*" },
        { "\"path\": \"/qmp-test\", \"property\": \"mode\", "
          "\"value\": \"medium\"", "GenericError", "*" },
        { "\"path\": \"/qmp-test\", \"property\": \"on\"",
          "GenericError", "Parameter 'value' is missing" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *req = g_strdup_printf(
            "{\"execute\": \"qom-set\", \"arguments\": {%s}}", bad[i].args);
        peer_send(p, req);
        expect_error_only(p, bad[i].cls, bad[i].desc);
        expect_alive(p);
    }
    /* Refused values left the old ones. */
    expect_qom_get(p, "/qmp-test", "level", "-7");
    expect_qom_get(p, "/qmp-test", "mode", "\"fast\"");
    peer_send(p, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": "
                 "\"/nope\", \"property\": \"on\"}}");
    expect_error_only(p, "DeviceNotFound", "Device '/nope' not found");
    peer_send(p, "{\"execute\": \"qom-list\", \"arguments\": {\"path\": 1}}");
    expect_error_only(p, "GenericError",
                      "Invalid parameter type for 'path', expected: string");

    /* qom-list-types: abstract types only on request, flagged. */
    ret = qom_call(p, "{\"execute\": \"qom-list-types\", \"arguments\": "
                      "{\"implements\": \"test-qmp-base\"}}", &msg);
    list = json_node_get_array(ret);
    g_assert_cmpuint(json_array_get_length(list), ==, 1);
    JsonObject *dev = find_named(list, "test-qmp-dev");
    g_assert_nonnull(dev);
    g_assert_cmpstr(json_object_get_string_member(dev, "parent"), ==,
                    "test-qmp-base");
    g_assert_false(json_object_has_member(dev, "abstract"));
    json_object_unref(msg);
    ret = qom_call(p, "{\"execute\": \"qom-list-types\", \"arguments\": "
                      "{\"implements\": \"test-qmp-base\", "
                      "\"abstract\": true}}", &msg);
    list = json_node_get_array(ret);
    g_assert_cmpuint(json_array_get_length(list), ==, 2);
    JsonObject *base = find_named(list, "test-qmp-base");
    g_assert_nonnull(base);
    g_assert_true(json_object_get_boolean_member(base, "abstract"));
    json_object_unref(msg);
    ret = qom_call(p, "{\"execute\": \"qom-list-types\", \"arguments\": "
                      "{\"implements\": \"no-such-type\"}}", &msg);
    g_assert_cmpuint(json_array_get_length(json_node_get_array(ret)), ==, 0);
    json_object_unref(msg);
    ret = qom_call(p, "{\"execute\": \"qom-list-types\"}", &msg);
    g_assert_nonnull(find_named(json_node_get_array(ret), "test-qmp-dev"));
    json_object_unref(msg);

    peer_free(p);
    ts_object_remove_child(ts_object_root(), ts_object_resolve_path(
                                                 "/qmp-test"));
}

/* ------------------------------------------------------------------ */
/* Serialization                                                      */

static void test_serializer(void)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) err = NULL;
    const char *in = "{\"s\": \"q\\\" b\\\\ \\n\\t\\u0001\\u007f \\u00e9\", "
                     "\"f\": 0.5, \"g\": 1e300, \"i\": -9223372036854775808, "
                     "\"e\": [], \"o\": {}, \"n\": null, \"t\": [true, false]}";
    JsonNode *node = json_message_parse(parser, in, strlen(in), &err);
    g_assert_no_error(err);
    GString *out = g_string_new(NULL);
    json_node_to_qmp_text(node, out);
    g_assert_cmpstr(out->str, ==,
                    "{\"s\": \"q\\\" b\\\\ \\n\\t\\u0001\\u007f \xc3\xa9\", "
                    "\"f\": 0.5, \"g\": 1.0000000000000001e+300, "
                    "\"i\": -9223372036854775808, \"e\": [], \"o\": {}, "
                    "\"n\": null, \"t\": [true, false]}");
    json_node_unref(node);

    /* Whole doubles stay doubles; bad UTF-8 never reaches the wire. */
    g_string_truncate(out, 0);
    node = json_node_init_double(json_node_alloc(), 3.0);
    json_node_to_qmp_text(node, out);
    g_assert_cmpstr(out->str, ==, "3.0");
    json_node_unref(node);
    g_string_truncate(out, 0);
    node = json_node_init_string(json_node_alloc(), "a\xff");
    json_node_to_qmp_text(node, out);
    g_assert_true(g_utf8_validate(out->str, -1, NULL));
    json_node_unref(node);
    g_string_free(out, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qmp/greeting", test_greeting);
    g_test_add_func("/qmp/negotiation-required", test_negotiation_required);
    g_test_add_func("/qmp/errors/envelope", test_envelope_errors);
    g_test_add_func("/qmp/errors/command", test_command_errors);
    g_test_add_func("/qmp/errors/class-names", test_error_class_names);
    g_test_add_func("/qmp/framing/split-across-feeds",
                    test_split_across_feeds);
    g_test_add_func("/qmp/framing/many-in-one-feed", test_many_in_one_feed);
    g_test_add_func("/qmp/id-echo", test_id_echo);
    g_test_add_func("/qmp/limits/size", test_size_limit);
    g_test_add_func("/qmp/limits/depth", test_depth_limit);
    g_test_add_func("/qmp/limits/splitter-memory",
                    test_splitter_memory_bounded);
    g_test_add_func("/qmp/events", test_events);
    g_test_add_func("/qmp/vm/stop-cont-status", test_stop_cont_status);
    g_test_add_func("/qmp/vm/reset-powerdown", test_reset_powerdown);
    g_test_add_func("/qmp/vm/quit-reply-first", test_quit_reply_first);
    g_test_add_func("/qmp/vm/without-hooks", test_without_hooks);
    g_test_add_func("/qmp/queries", test_queries);
    g_test_add_func("/qmp/vm/core-hooks", test_core_hooks);
    g_test_add_func("/qmp/vm/real-loop", test_real_loop);
    g_test_add_func("/qmp/session/free-inside-command",
                    test_free_inside_command);
    g_test_add_func("/qmp/session/after-reply-outside-command",
                    test_run_after_reply_outside);
    g_test_add_func("/qmp/fd/session", test_fd_session);
    g_test_add_func("/qmp/fd/peer-gone", test_fd_session_peer_gone);
    g_test_add_func("/qmp/serializer", test_serializer);
    g_test_add_func("/qmp/qom", test_qom);
    int status = g_test_run();

    /* Whatever is still open is ended and freed (LeakSanitizer checks). */
    static GString *sink;
    sink = g_string_new(NULL);
    Peer last = { .out = sink };
    qmp_session_new(peer_write, &last);
    int fds[2];
    g_assert_cmpint(pipe(fds), ==, 0);
    g_assert_nonnull(qmp_session_new_fd(fds[0], fds[1]));
    qmp_cleanup();
    qmp_emit_event("STOP", NULL);
    g_assert_cmpuint(last.writes, ==, 1);
    close(fds[0]);
    close(fds[1]);
    g_string_free(sink, TRUE);
    return status;
}
