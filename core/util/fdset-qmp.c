/*
 * core/util/fdset-qmp.c - QMP commands on -add-fd's descriptor sets.
 */
#include "fdset.h"
#include "monitor/qmp.h"

/* ---- file descriptor sets (-add-fd) ------------------------------------------------- */

typedef struct FdSetsReply {
    JsonArray *sets;
    JsonObject *current;        /* the set being filled */
    uint64_t current_id;
} FdSetsReply;

static void add_fdset_entry(uint64_t set, int fd, const char *note, void *opaque)
{
    FdSetsReply *r = opaque;
    if (!r->current || r->current_id != set) {
        r->current = json_object_new();
        json_object_set_int_member(r->current, "fdset-id", (gint64)set);
        json_object_set_array_member(r->current, "fds", json_array_new());
        json_array_add_object_element(r->sets, r->current);
        r->current_id = set;
    }
    JsonObject *entry = json_object_new();
    json_object_set_int_member(entry, "fd", fd);
    if (note) {
        json_object_set_string_member(entry, "opaque", note);
    }
    json_array_add_object_element(json_object_get_array_member(r->current, "fds"), entry);
}

static bool cmd_query_fdsets(JsonObject *args, JsonNode **ret, GError **errp)
{
    FdSetsReply r = { json_array_new(), NULL, 0 };
    fdset_foreach(add_fdset_entry, &r);
    *ret = qmp_array_node(r.sets);
    return true;
}

static const QmpArg remove_fd_args[] = {
    { "fdset-id", QMP_ARG_INT, false },
    { "fd", QMP_ARG_INT, true },
    { NULL },
};

static bool cmd_remove_fd(JsonObject *args, JsonNode **ret, GError **errp)
{
    gint64 set = json_object_get_int_member(args, "fdset-id");
    bool has_fd = json_object_has_member(args, "fd");
    gint64 fd = has_fd ? json_object_get_int_member(args, "fd") : -1;
    if (set < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "File descriptor named 'fdset-id:%" G_GINT64_FORMAT
                    "' not found", set);
        return false;
    }
    return fdset_remove((uint64_t)set, has_fd, fd, errp);
}

static const QmpArg add_fd_args[] = {
    { "fdset-id", QMP_ARG_INT, true },
    { "opaque", QMP_ARG_STRING, true },
    { NULL },
};

/* The descriptor comes with the command as SCM_RIGHTS ancillary data on
 * a unix socket, which our socket chardevs do not receive: say so as
 * QEMU does when none came. */
static bool cmd_add_fd(JsonObject *args, JsonNode **ret, GError **errp)
{
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "No file descriptor supplied via SCM_RIGHTS");
    return false;
}

static void fdset_qmp_commands(void)
{
    qmp_register_command("query-fdsets", cmd_query_fdsets, 0);
    qmp_register_command_args("remove-fd", cmd_remove_fd, 0, remove_fd_args);
    qmp_register_command_args("add-fd", cmd_add_fd, 0, add_fd_args);
}
QMP_COMMANDS(fdset_qmp_commands)
