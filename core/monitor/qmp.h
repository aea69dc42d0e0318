/*
 * core/monitor/qmp.h - the QMP monitor (QEMU Machine Protocol): sessions, the
 * command table, events.  Core-internal; not part of the plugin SDK.
 *
 * A session is transport-agnostic: it is fed the bytes its peer sent
 * (qmp_session_feed) and writes replies, events and the greeting through a
 * callback.  qmp_session_new_fd() wires one to a pair of file descriptors
 * on the GLib default main context (`-qmp stdio`); a chardev can do the
 * same with its own callbacks.
 *
 * Protocol, as in QEMU's qmp-spec: on connect the server sends a greeting;
 * the client must run qmp_capabilities before anything else; then each
 * {"execute": "cmd", "arguments": {...}, "id": any} gets exactly one
 * {"return": value} or {"error": {"class": C, "desc": text}}, with "id"
 * echoed.  Events reach every session past negotiation.  A bad request
 * gets an error reply and the session goes on.
 *
 * Everything here is called with the big lock held (see <tessera/loop.h>):
 * from the main loop, or from a thread that took the lock (a vCPU thread
 * that stops the VM ends up emitting STOP).
 */
#ifndef TESSERA_CORE_QMP_H
#define TESSERA_CORE_QMP_H

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stddef.h>

#include <tessera/machine.h>

/* ------------------------------------------------------------------ */
/* Error classes                                                      */

/*
 * Handlers report failures as GErrors.  Errors in the QMP_ERROR domain
 * carry their QMP class in the code; any other GError is a GenericError
 * with its message as "desc".
 */
#define QMP_ERROR (qmp_error_quark())
GQuark qmp_error_quark(void);

typedef enum QmpErrorClass {
    QMP_ERROR_GENERIC,              /* "GenericError" */
    QMP_ERROR_COMMAND_NOT_FOUND,    /* "CommandNotFound" */
    QMP_ERROR_DEVICE_NOT_ACTIVE,    /* "DeviceNotActive" */
    QMP_ERROR_DEVICE_NOT_FOUND,     /* "DeviceNotFound" */
    QMP_ERROR_KVM_MISSING_CAP,      /* "KVMMissingCap" */
} QmpErrorClass;

/* The wire name of an error class ("GenericError" for unknown codes). */
const char *qmp_error_class_name(QmpErrorClass cls);

/* ------------------------------------------------------------------ */
/* Sessions                                                           */

typedef struct QmpSession QmpSession;

/* Output of a session: one complete message per call, "\r\n"-terminated.
 * It must have written (or queued) all of it when it returns. */
typedef void (*QmpWriteFn)(const char *data, size_t len, void *opaque);

/* Limits on one incoming message; over-limit input gets an error reply. */
#define QMP_MAX_MESSAGE_SIZE  (64u * 1024 * 1024)
#define QMP_MAX_NESTING_DEPTH 1024u

/* A new session; the greeting is written before this returns. */
QmpSession *qmp_session_new(QmpWriteFn write, void *opaque);

/* Same, with explicit input limits (0 = the defaults above); for tests. */
QmpSession *qmp_session_new_limits(QmpWriteFn write, void *opaque,
                                   size_t max_size, unsigned max_depth);

/*
 * Bytes received from the peer, in any chunking.  Each complete request is
 * executed and answered before this returns.  Safe on arbitrary input (it
 * is the fuzzing entry point).
 */
void qmp_session_feed(QmpSession *s, const void *buf, size_t len);

/* True once qmp_capabilities succeeded (events are delivered). */
bool qmp_session_negotiated(const QmpSession *s);

void qmp_session_free(QmpSession *s);

/*
 * A session reading in_fd and writing out_fd (they may be equal), watched
 * on the GLib default main context.  At EOF or a read error on in_fd the
 * session ends and frees itself; the emulator keeps running, as QEMU does
 * for `-qmp stdio`.  The fds are not closed (stdio stays usable); writes
 * block until done, so a reply is on the wire when the command returns.
 * A write error (peer gone) ends the session the same way.
 */
QmpSession *qmp_session_new_fd(int in_fd, int out_fd);

/*
 * End every session and forget the command table and hooks (end of
 * main(), tests).  Must not be called from inside a command.
 */
void qmp_cleanup(void);

/* ------------------------------------------------------------------ */
/* Commands                                                           */

/*
 * A command handler.  args is the request's "arguments" (an empty object
 * when absent), already checked against the command's argument table.
 * On success it may store a new node in *ret (NULL means {}) and returns
 * true; on failure it returns false and sets errp.
 */
typedef bool (*QmpCommandFn)(JsonObject *args, JsonNode **ret, GError **errp);

typedef enum QmpCommandFlags {
    QMP_CMD_NONE = 0,
    /* Also runs in capabilities negotiation mode (qmp_capabilities). */
    QMP_CMD_NEGOTIATION = 1 << 0,
    /* Accept arguments beyond the table (device_add's properties). */
    QMP_CMD_EXTRA_ARGS = 1 << 1,
} QmpCommandFlags;

typedef enum QmpArgType {
    QMP_ARG_STRING,
    QMP_ARG_INT,
    QMP_ARG_BOOL,
    QMP_ARG_NUMBER,     /* integer or floating point */
    QMP_ARG_OBJECT,
    QMP_ARG_ARRAY,
    QMP_ARG_ANY,        /* any value */
} QmpArgType;

/* One declared argument; tables end with { NULL }. */
typedef struct QmpArg {
    const char *name;
    QmpArgType type;
    bool optional;
} QmpArg;

/*
 * Register a command.  The table is checked before the handler runs:
 * missing, unexpected and mistyped arguments get QEMU's GenericError
 * messages.  args may be NULL (no arguments); it must stay valid forever.
 * Returns false (and registers nothing) if the name is taken.
 */
bool qmp_register_command_args(const char *name, QmpCommandFn handler,
                               unsigned flags, const QmpArg *args);
/* A command without arguments. */
bool qmp_register_command(const char *name, QmpCommandFn handler,
                          unsigned flags);

/* Sorted names of the commands usable after negotiation (g_strfreev). */
char **qmp_command_names(void);

/*
 * Run fn(opaque) after the reply of the command being executed has been
 * written: `quit` uses it so that its reply is flushed before the process
 * goes away.  Outside a command, fn runs at once.
 */
void qmp_run_after_reply(void (*fn)(void *opaque), void *opaque);

/* Registers the built-in commands (qmp-commands.c); done on first use. */
void qmp_register_builtin_commands(void);

/*
 * A subsystem registers its QMP commands in its own folder:
 * `QMP_COMMANDS(chardev_qmp_commands);` queues the function when the core
 * library is loaded, and the command table runs the queue when it is
 * first needed, after the built-in commands.
 */
void qmp_commands_init_add(void (*fn)(void));
#define QMP_COMMANDS(fn)                                                   \
    __attribute__((constructor)) static void qmp_commands_##fn(void)       \
    {                                                                      \
        qmp_commands_init_add(fn);                                         \
    }

/* A property's value given as text, as the JSON type its kind implies
 * (qom-get, device-list-properties' defaults); a string otherwise. */
JsonNode *qmp_property_node(const TsProperty *prop, const char *text);

/* A reply value that takes the caller's reference on obj / arr. */
JsonNode *qmp_object_node(JsonObject *obj);
JsonNode *qmp_array_node(JsonArray *arr);

/* ------------------------------------------------------------------ */
/* Hooks into the VM                                                  */

/*
 * What the commands call to act on the VM.  The command line code fills
 * this with the main loop's calls; tests fill it with stubs.  A NULL
 * member makes the commands that need it fail with a GenericError.
 * The hooks send no events: stop/cont are reported through the state
 * notifier (STOP/RESUME), and the reset, powerdown and quit commands send
 * RESET, POWERDOWN and SHUTDOWN themselves, after their reply.
 */
typedef struct QmpVmHooks {
    bool (*is_running)(void);
    /* QEMU's RunState name ("running", "paused", "prelaunch", "shutdown",
     * ...); NULL: derived from is_running and whether the VM ever ran. */
    const char *(*run_state)(void);
    void (*stop)(void);
    bool (*cont)(GError **errp);
    void (*system_reset)(void);
    void (*system_powerdown)(void);
    /* Ends the process (e.g. ts_loop_quit(0)); runs after the reply and
     * the SHUTDOWN event, which the command sends itself. */
    void (*quit)(void);
    /* -name, or NULL when none was given. */
    const char *(*vm_name)(void);
    /* e.g. ts_vm_state_notifier_add; qmp_set_vm_hooks registers
     * qmp_vm_state_changed through it (once) to emit STOP and RESUME. */
    void (*state_notifier_add)(void (*fn)(bool running, void *opaque),
                               void *opaque);
} QmpVmHooks;

/* Copy the hooks (NULL: clear them all). */
void qmp_set_vm_hooks(const QmpVmHooks *hooks);

/*
 * Fill hooks with the core's own calls from <tessera/loop.h>: is_running,
 * stop, cont (ts_vm_start), quit (ts_loop_quit(0)) and the state notifier.
 * The rest stays NULL for the caller to add (reset, powerdown, name):
 *
 *     QmpVmHooks hooks;
 *     qmp_core_vm_hooks(&hooks);
 *     hooks.vm_name = cli_vm_name;
 *     qmp_set_vm_hooks(&hooks);
 */
void qmp_core_vm_hooks(QmpVmHooks *hooks);

/* The VM started or stopped: emits RESUME or STOP. */
void qmp_vm_state_changed(bool running, void *opaque);

/* ------------------------------------------------------------------ */
/* Shared by qmp.c and the built-in commands                          */

/* The hooks last set (all NULL if none). */
const QmpVmHooks *qmp_vm_hooks(void);

/* The QEMU run state name, from the hooks; NULL if they cannot tell. */
const char *qmp_run_state(void);

/* A subsystem stops the VM for a reason of QEMU's RunState ("io-error"):
 * query-status shows it instead of "paused" until the VM runs again.
 * Call it just before ts_vm_stop(). */
void qmp_set_stop_reason(const char *run_state);

/* The session whose command is running, or NULL. */
QmpSession *qmp_current_session(void);

/* Leave capabilities negotiation mode (events start flowing). */
void qmp_session_set_negotiated(QmpSession *s);

/* {"qemu": {"micro": m, "minor": n, "major": M}, "package": "tessera-V"}
 * from TS_VERSION, for the greeting and query-version. */
JsonNode *qmp_version_node(void);

/* ------------------------------------------------------------------ */
/* Events                                                             */

/*
 * Send {"event": name, "data": data, "timestamp": {"seconds": s,
 * "microseconds": us}} to every session past negotiation.  data may be
 * NULL (no "data" member); it is not consumed.
 */
void qmp_emit_event(const char *name, JsonObject *data);

/* Whether the message a session's write function is given now is an event
 * (qmp_emit_event()) rather than a reply or the greeting: a transport that
 * bounds what a peer leaves unread may leave out an event whole, never a
 * reply. */
bool qmp_sending_event(void);

/* QEMU's ShutdownCause name for a cause ("guest-shutdown", ...). */
const char *qmp_shutdown_cause_name(TsShutdownCause cause);

/*
 * The core's shutdown path calls these as it acts on a request:
 * SHUTDOWN / RESET with {"guest": bool, "reason": reason}, and POWERDOWN
 * when a powerdown was requested of the guest.  reason is a QEMU
 * ShutdownCause name ("host-qmp-quit", "guest-reset", ...).
 */
void qmp_event_shutdown(bool guest, const char *reason);
void qmp_event_reset(bool guest, const char *reason);
void qmp_event_powerdown(void);

#endif
