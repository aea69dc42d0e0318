/*
 * core/loader/loader-plan.c - the list of pieces a parsed image consists of, and
 * writing it into guest memory (see loader-internal.h for why parsing and
 * writing are apart).
 */
#include "loader-internal.h"

LoadPlan *load_plan_new(const char *path)
{
    LoadPlan *plan = g_new0(LoadPlan, 1);
    plan->path = g_strdup(path);
    plan->chunks = g_array_new(FALSE, TRUE, sizeof(LoadChunk));
    plan->buffers = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_bytes_unref);
    return plan;
}

void load_plan_free(LoadPlan *plan)
{
    if (plan) {
        g_array_unref(plan->chunks);
        g_ptr_array_unref(plan->buffers);
        g_free(plan->path);
        g_free(plan);
    }
}

void load_plan_keep(LoadPlan *plan, GBytes *bytes)
{
    g_ptr_array_add(plan->buffers, g_bytes_ref(bytes));
}

void load_plan_add(LoadPlan *plan, uint64_t addr, const uint8_t *data,
                   uint64_t len, const char *what)
{
    if (!len) {
        return;
    }
    LoadChunk c = { .addr = addr, .len = len, .data = data };
    g_strlcpy(c.what, what, sizeof(c.what));
    g_array_append_val(plan->chunks, c);
}

void load_plan_set_bounds(LoadPlan *plan, uint64_t fallback)
{
    uint64_t low = UINT64_MAX, high = 0;
    for (guint i = 0; i < plan->chunks->len; i++) {
        const LoadChunk *c = &g_array_index(plan->chunks, LoadChunk, i);
        low = MIN(low, c->addr);
        /* Parsers refuse chunks that wrap, but the last byte of memory
         * has no one-past address: saturate there. */
        uint64_t end = c->addr + c->len;
        high = MAX(high, end < c->addr ? UINT64_MAX : end);
    }
    plan->info.low = plan->chunks->len ? low : fallback;
    plan->info.high = plan->chunks->len ? high : fallback;
}

bool load_refuse(GError **errp, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "%s: %s", path, msg);
    return false;
}

static bool fail(const LoadPlan *plan, const LoadChunk *c, GError *err,
                 GError **errp)
{
    g_propagate_prefixed_error(errp, err, "%s: %s (0x%" PRIx64 " bytes at "
                               "0x%" PRIx64 "): ", plan->path, c->what,
                               c->len, c->addr);
    return false;
}

/* Zeros come from a static page instead of an allocation, so a hostile
 * p_memsz cannot make the host allocate anything. */
static bool write_zeros(TsAddressSpace *as, uint64_t addr, uint64_t len,
                        GError **errp)
{
    static const uint8_t zeros[64 * 1024];
    while (len) {
        size_t piece = MIN(len, sizeof(zeros));
        if (!ts_load_bytes(as, addr, zeros, piece, errp)) {
            return false;
        }
        addr += piece;
        len -= piece;
    }
    return true;
}

bool load_plan_write(TsAddressSpace *as, const LoadPlan *plan,
                     GError **errp)
{
    GError *err = NULL;
    for (guint i = 0; i < plan->chunks->len; i++) {
        const LoadChunk *c = &g_array_index(plan->chunks, LoadChunk, i);
        if (!load_bytes_check(as, c->addr, c->len, &err)) {
            return fail(plan, c, err, errp);
        }
    }
    for (guint i = 0; i < plan->chunks->len; i++) {
        const LoadChunk *c = &g_array_index(plan->chunks, LoadChunk, i);
        bool ok = c->data ? ts_load_bytes(as, c->addr, c->data, c->len, &err)
                          : write_zeros(as, c->addr, c->len, &err);
        if (!ok) {
            return fail(plan, c, err, errp);    /* the map changed */
        }
    }
    return true;
}
