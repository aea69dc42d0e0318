/*
 * core/memory/memory-backend.c - -object memory-backend-ram.
 */
#include "memory-backend.h"
#include "cli/opts.h"
#include "object/user-object.h"

#include <tessera/types.h>
#include <stdio.h>

#define TYPE_RAM_BACKEND "memory-backend-ram"

typedef struct MemoryBackend {
    char *id;
    uint64_t size;
    bool used;              /* a NUMA node took its size */
} MemoryBackend;

static GPtrArray *backends;     /* of MemoryBackend * */

static void backend_free(void *p)
{
    MemoryBackend *b = p;
    g_free(b->id);
    g_free(b);
}

static MemoryBackend *find(const char *id)
{
    for (guint i = 0; backends && i < backends->len; i++) {
        MemoryBackend *b = g_ptr_array_index(backends, i);
        if (g_str_equal(b->id, id)) {
            return b;
        }
    }
    return NULL;
}

/* Properties of QEMU's memory backends that would change how the memory
 * is allocated; Tessera's board allocates it, so they cannot be honoured
 * here yet. */
static const char *const not_yet[] = {
    "prealloc", "prealloc-threads", "prealloc-context", "share", "merge",
    "dump", "policy", "host-nodes", "reserve", "mem-path", "align",
    "x-use-canonical-path-for-ramblock-id", NULL
};

typedef struct KeyCheck {
    const char *bad;        /* first key that is not ours */
} KeyCheck;

static void find_bad_key(const char *key, const char *value, void *opaque)
{
    static const char *const keys[] = { "qom-type", "id", "size", NULL };
    KeyCheck *kc = opaque;
    if (!kc->bad && !g_strv_contains(keys, key)) {
        kc->bad = key;
    }
}

static bool check_keys(const TsOpts *o, GError **errp)
{
    KeyCheck kc = { NULL };
    opts_foreach(o, find_bad_key, &kc);
    if (!kc.bad) {
        return true;
    }
    if (g_strv_contains(not_yet, kc.bad)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "%s property '%s' is not supported yet",
                    TYPE_RAM_BACKEND, kc.bad);
    } else {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid parameter '%s'", kc.bad);
    }
    return false;
}

/* The type, id (well formed, unused) and qom-type are checked by
 * user-object.c. */
static bool backend_add(const char *arg, GError **errp)
{
    g_autofree char *flat = NULL;
    if (arg[0] == '{') {
        flat = user_object_json_to_opts(arg, errp);
        if (!flat) {
            return false;
        }
        arg = flat;
    }
    g_autoptr(TsOpts) o = opts_parse(arg, "qom-type", errp);
    if (!o) {
        return false;
    }
    uint64_t size;
    if (!check_keys(o, errp) ||
        !opts_get_size(o, "size", 0, &size, errp)) {
        return false;
    }
    if (size == 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "can't create backend with size 0");
        return false;
    }
    if (!backends) {
        backends = g_ptr_array_new_with_free_func(backend_free);
    }
    MemoryBackend *b = g_new0(MemoryBackend, 1);
    b->id = g_strdup(opts_get(o, "id"));
    b->size = size;
    g_ptr_array_add(backends, b);
    return true;
}

static bool backend_exists(const char *id)
{
    return find(id) != NULL;
}

static bool backend_del(const char *id, GError **errp)
{
    MemoryBackend *b = find(id);
    if (b->used) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "object '%s' is in use, can not be deleted", id);
        return false;
    }
    g_ptr_array_remove(backends, b);
    return true;
}

static void backend_help(FILE *out)
{
    fprintf(out, "%s options:\n"
            "  size=<int>             - Size of the memory region "
            "(ex: 500M)\n", TYPE_RAM_BACKEND);
}

static const UserObjectKind ram_backend_kind = {
    .type = TYPE_RAM_BACKEND, .add = backend_add,
    .exists = backend_exists, .del = backend_del,
    .print_help = backend_help,
};
USER_OBJECT_KIND(ram_backend_kind)

bool memory_backend_size(const char *id, uint64_t *size)
{
    MemoryBackend *b = find(id);
    if (b) {
        *size = b->size;
        b->used = true;
    }
    return b != NULL;
}

void memory_backend_reset(void)
{
    g_clear_pointer(&backends, g_ptr_array_unref);
}
