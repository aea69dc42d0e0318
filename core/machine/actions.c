/*
 * core/machine/actions.c - -action, -watchdog-action, QMP set-action and
 * watchdog-set-action.
 */
#include "actions.h"
#include "cli/opts.h"
#include "monitor/qmp.h"

#include <tessera/types.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

static const char *const reboot_values[] = { "reset", "shutdown", NULL };
static const char *const shutdown_values[] = { "poweroff", "pause", NULL };
static const char *const panic_values[] = {
    "pause", "shutdown", "exit-failure", "none", NULL };
static const char *const watchdog_values[] = {
    "reset", "shutdown", "poweroff", "pause", "debug", "none", "inject-nmi",
    NULL };

static VmActions current = { .panic = "shutdown", .watchdog = "reset" };

/* The value's interned copy, or NULL + QEMU's error. */
static const char *check(const char *key, const char *value,
                         const char *const *allowed, GError **errp)
{
    for (const char *const *v = allowed; *v; v++) {
        if (g_str_equal(*v, value)) {
            return *v;
        }
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "Parameter '%s' does not accept value '%s'", key, value);
    return NULL;
}

static bool apply(VmActions *a, const char *key, const char *value,
                  GError **errp)
{
    const char *v;
    if (g_str_equal(key, "reboot")) {
        if (!(v = check(key, value, reboot_values, errp))) {
            return false;
        }
        a->reboot_shutdown = g_str_equal(v, "shutdown");
    } else if (g_str_equal(key, "shutdown")) {
        if (!(v = check(key, value, shutdown_values, errp))) {
            return false;
        }
        a->shutdown_pause = g_str_equal(v, "pause");
    } else if (g_str_equal(key, "panic")) {
        if (!(v = check(key, value, panic_values, errp))) {
            return false;
        }
        a->panic = v;
    } else if (g_str_equal(key, "watchdog")) {
        if (!(v = check(key, value, watchdog_values, errp))) {
            return false;
        }
        a->watchdog = v;
    } else {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid parameter '%s'", key);
        return false;
    }
    return true;
}

typedef struct Walk {
    VmActions *a;
    GError *err;
} Walk;

static void walk_cb(const char *key, const char *value, void *opaque)
{
    Walk *w = opaque;
    if (!w->err) {
        apply(w->a, key, value, &w->err);
    }
}

bool vm_actions_parse(VmActions *a, const char *arg, GError **errp)
{
    g_autoptr(TsOpts) o = opts_parse(arg, NULL, errp);
    if (!o) {
        return false;
    }
    VmActions next = *a;
    Walk w = { &next, NULL };
    opts_foreach(o, walk_cb, &w);
    if (w.err) {
        g_propagate_error(errp, w.err);
        return false;
    }
    *a = next;
    return true;
}

bool vm_actions_set_watchdog(VmActions *a, const char *value, GError **errp)
{
    return apply(a, "watchdog", value, errp);
}

void vm_actions_print_help(FILE *out)
{
    fprintf(out, "action options:\n  panic=<str>\n  reboot=<str>\n"
            "  shutdown=<str>\n  watchdog=<str>\n");
}

const VmActions *vm_actions(void)
{
    return &current;
}

void vm_actions_install(const VmActions *a)
{
    current = *a;
    if (!current.panic) {
        current.panic = "shutdown";
    }
    if (!current.watchdog) {
        current.watchdog = "reset";
    }
}

/* ---- QMP ------------------------------------------------------------ */

static bool cmd_set_action(JsonObject *args, JsonNode **ret, GError **errp)
{
    VmActions next = current;
    static const char *const keys[] = { "reboot", "shutdown", "panic",
                                        "watchdog" };
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        if (json_object_has_member(args, keys[i]) &&
            !apply(&next, keys[i],
                   json_object_get_string_member(args, keys[i]), errp)) {
            return false;
        }
    }
    current = next;
    return true;
}

static bool cmd_watchdog_set_action(JsonObject *args, JsonNode **ret,
                                    GError **errp)
{
    VmActions next = current;
    const char *v = json_object_get_string_member(args, "action");
    if (!check("action", v, watchdog_values, errp)) {
        return false;
    }
    apply(&next, "watchdog", v, NULL);
    current = next;
    return true;
}

static void actions_qmp_commands(void)
{
    static const QmpArg set_args[] = {
        { "reboot", QMP_ARG_STRING, true },
        { "shutdown", QMP_ARG_STRING, true },
        { "panic", QMP_ARG_STRING, true },
        { "watchdog", QMP_ARG_STRING, true },
        { NULL }
    };
    static const QmpArg wd_args[] = {
        { "action", QMP_ARG_STRING, false }, { NULL }
    };
    qmp_register_command_args("set-action", cmd_set_action, 0, set_args);
    qmp_register_command_args("watchdog-set-action", cmd_watchdog_set_action,
                              0, wd_args);
}
QMP_COMMANDS(actions_qmp_commands)
