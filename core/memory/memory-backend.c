/*
 * core/memory/memory-backend.c - -object memory-backend-ram.
 */
#include "memory-backend.h"
#include "cli/opts.h"

#include <tessera/types.h>
#include <stdio.h>

#define TYPE_RAM_BACKEND "memory-backend-ram"

typedef struct MemoryBackend {
    char *id;
    uint64_t size;
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

/* QEMU's rule for object ids: a letter, then letters, digits, '-', '.'
 * and '_'. */
static bool id_well_formed(const char *id)
{
    if (!g_ascii_isalpha(id[0])) {
        return false;
    }
    for (const char *c = id; *c; c++) {
        if (!g_ascii_isalnum(*c) && *c != '-' && *c != '.' && *c != '_') {
            return false;
        }
    }
    return true;
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

bool memory_backend_add(const char *arg, GError **errp)
{
    g_autoptr(TsOpts) o = opts_parse(arg, "qom-type", errp);
    if (!o) {
        return false;
    }
    const char *type = opts_get(o, "qom-type");
    if (!type) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'qom-type' is missing");
        return false;
    }
    if (!g_str_equal(type, TYPE_RAM_BACKEND)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "object type '%s' is not supported yet (only %s is)",
                    type, TYPE_RAM_BACKEND);
        return false;
    }
    const char *id = opts_get(o, "id");
    uint64_t size;
    if (!check_keys(o, errp) ||
        !opts_get_size(o, "size", 0, &size, errp)) {
        return false;
    }
    if (!id) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'id' is missing");
        return false;
    }
    if (!id_well_formed(id)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'id' expects an identifier (a letter, then "
                    "letters, digits, '-', '.', '_'), not '%s'", id);
        return false;
    }
    if (find(id)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "duplicate ID '%s' for object", id);
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
    b->id = g_strdup(id);
    b->size = size;
    g_ptr_array_add(backends, b);
    return true;
}

bool memory_backend_size(const char *id, uint64_t *size)
{
    MemoryBackend *b = find(id);
    if (b) {
        *size = b->size;
    }
    return b != NULL;
}

void memory_backend_print_types(FILE *out, const char *const *others)
{
    fprintf(out, "List of user creatable objects:\n  %s\n", TYPE_RAM_BACKEND);
    for (; others && *others; others++) {
        fprintf(out, "  %s\n", *others);
    }
}

void memory_backend_reset(void)
{
    g_clear_pointer(&backends, g_ptr_array_unref);
}
