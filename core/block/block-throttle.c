/*
 * core/block/block-throttle.c - the throttling engine: I/O limits shared
 * by the members of a throttle group, as QEMU's manual describes them.
 *
 * A group is named.  It comes from `-object throttle-group,id=NAME`
 * (block-throttle-object.c), or from a -drive's throttling.* options
 * (throttling.group=NAME, else a group of the drive's own named after
 * it).  Its members are -drive backends (their requests wait here before
 * a worker takes them) and "throttle" filter nodes (blk-throttle: its
 * I/O hooks wait here, on the worker thread, through
 * ts_block_throttle_group_wait).  Both kinds draw on the same buckets,
 * so the drives of one group together stay within its limits.
 *
 * Each limit is a leaky bucket: a request adds its bytes (or one
 * operation per iops-size bytes) to the bucket, which drains at the
 * average rate; a request may start while the bucket holds no more than
 * its burst allowance (max * max-length, or a tenth of a second at the
 * average rate without max).  A request that may not start waits in its
 * direction's queue (reads do not wait behind writes) for a host-clock
 * timer (backend requests) or on a condition variable (workers);
 * requests start in the order they came.
 *
 * Locking: the group's mutex guards its buckets and queues, since
 * workers wait here without the big lock.
 */
#include "block-internal.h"
#include "util/parse.h"

#include <string.h>

enum { B_BPS_TOTAL, B_BPS_READ, B_BPS_WRITE, B_IOPS_TOTAL, B_IOPS_READ,
       B_IOPS_WRITE, B__COUNT };

static const char *const bucket_names[B__COUNT] = {
    "bps-total", "bps-read", "bps-write", "iops-total", "iops-read",
    "iops-write",
};

typedef struct Bucket {
    double avg, max, max_length;    /* units per second, seconds */
    double level;
} Bucket;

/* The configured part of a group. */
typedef struct Limits {
    Bucket b[B__COUNT];
    uint64_t iops_size;
} Limits;

/* Something waiting in a queue: a backend's job (submitted to the worker
 * pool when admitted) or a worker thread blocked in
 * block_throttle_wait (job NULL). */
typedef struct Waiter {
    BlockJob *job;
    uint64_t bytes;
    bool admitted;
} Waiter;

struct TsBlockThrottleGroup {
    char *name;
    unsigned refs;                  /* users; -object holds one */
    bool is_object;                 /* made by -object / object-add */
    GMutex lock;
    GCond admitted;                 /* a worker's waiter was admitted */
    Limits lim;
    int64_t last_ns;
    GQueue queue[2];                /* Waiter *: read, write */
    TsTimer *timer;                 /* made on the main thread */
};

/* name -> ThrottleGroup; main thread only (workers reach their group
 * through the pointer they hold). */
static GHashTable *groups;

static double bucket_size(const Bucket *b)
{
    return b->max ? b->max * b->max_length : b->avg / 10;
}

static void leak(ThrottleGroup *g)
{
    int64_t now = ts_clock_get_ns(TS_CLOCK_HOST);
    double dt = (double)(now - g->last_ns) / 1e9;
    g->last_ns = now;
    for (int i = 0; i < B__COUNT; i++) {
        Bucket *b = &g->lim.b[i];
        b->level = MAX(0, b->level - b->avg * dt);
    }
}

/* Nanoseconds until a request of this direction may start (0: now). */
static int64_t wait_ns(ThrottleGroup *g, bool write)
{
    int all[4] = { B_BPS_TOTAL, B_IOPS_TOTAL,
                   write ? B_BPS_WRITE : B_BPS_READ,
                   write ? B_IOPS_WRITE : B_IOPS_READ };
    double worst = 0;
    for (int i = 0; i < 4; i++) {
        const Bucket *b = &g->lim.b[all[i]];
        if (!b->avg) {
            continue;
        }
        double extra = b->level - bucket_size(b);
        if (extra > 0) {
            worst = MAX(worst, extra / b->avg);
        }
    }
    return worst > 0 ? (int64_t)(worst * 1e9) + 1 : 0;
}

static void account(ThrottleGroup *g, bool write, uint64_t bytes)
{
    double ops = g->lim.iops_size && bytes > g->lim.iops_size
        ? (double)bytes / (double)g->lim.iops_size : 1;
    Bucket *b = g->lim.b;
    b[B_BPS_TOTAL].level += (double)bytes;
    b[write ? B_BPS_WRITE : B_BPS_READ].level += (double)bytes;
    b[B_IOPS_TOTAL].level += ops;
    b[write ? B_IOPS_WRITE : B_IOPS_READ].level += ops;
}

/* Let waiter w go: a job to the pool, a worker woken. */
static void admit(ThrottleGroup *g, Waiter *w)
{
    if (w->job) {
        block_pool_submit(w->job);
        g_free(w);
    } else {
        w->admitted = true;
        g_cond_broadcast(&g->admitted);
    }
}

/* Start what may start (group locked); returns the nanoseconds until the
 * next waiter may, or -1 when nobody waits.  Arms the timer for it. */
static int64_t run_queues_locked(ThrottleGroup *g)
{
    leak(g);
    int64_t next = -1;
    for (int dir = 0; dir < 2; dir++) {
        while (!g_queue_is_empty(&g->queue[dir])) {
            int64_t w = wait_ns(g, dir);
            if (w > 0) {
                next = next < 0 ? w : MIN(next, w);
                break;
            }
            Waiter *head = g_queue_pop_head(&g->queue[dir]);
            account(g, dir, head->bytes);
            admit(g, head);
        }
    }
    if (next >= 0 && g->timer) {
        ts_timer_mod(g->timer, ts_clock_get_ns(TS_CLOCK_HOST) + next);
    }
    return next;
}

static void timer_cb(void *opaque)
{
    ThrottleGroup *g = opaque;
    g_mutex_lock(&g->lock);
    run_queues_locked(g);
    g_mutex_unlock(&g->lock);
}

/* Main thread, once the loop runs: the timer backend requests wait on. */
static void ensure_timer(ThrottleGroup *g)
{
    if (!g->timer) {
        g->timer = ts_timer_new(TS_CLOCK_HOST, timer_cb, g);
    }
}

void block_throttle_submit(ThrottleGroup *g, BlockJob *job, bool write)
{
    Waiter *w = g_new0(Waiter, 1);
    w->job = job;
    w->bytes = job->bytes;
    ensure_timer(g);
    g_mutex_lock(&g->lock);
    g_queue_push_tail(&g->queue[write], w);
    run_queues_locked(g);
    g_mutex_unlock(&g->lock);
}

void block_throttle_wait(ThrottleGroup *g, bool write, uint64_t bytes)
{
    Waiter w = { .bytes = bytes };
    bool blocked = false;
    g_mutex_lock(&g->lock);
    g_queue_push_tail(&g->queue[write], &w);
    for (;;) {
        int64_t next = run_queues_locked(g);
        if (w.admitted) {
            break;
        }
        if (!blocked) {
            /* A worker waiting here must not keep others' requests out
             * of the pool. */
            block_pool_worker_blocks(true);
            blocked = true;
        }
        /* Woken by an admission, or when the head may go. */
        int64_t until = g_get_monotonic_time() +
            MAX(next, 0) / 1000 + 1;
        g_cond_wait_until(&g->admitted, &g->lock, until);
    }
    g_mutex_unlock(&g->lock);
    if (blocked) {
        block_pool_worker_blocks(false);
    }
}

void block_throttle_flush(ThrottleGroup *g)
{
    g_mutex_lock(&g->lock);
    for (int dir = 0; dir < 2; dir++) {
        Waiter *w;
        while ((w = g_queue_pop_head(&g->queue[dir]))) {
            account(g, dir, w->bytes);
            admit(g, w);
        }
    }
    g_mutex_unlock(&g->lock);
}

void block_throttle_flush_all(void)
{
    GHashTableIter it;
    gpointer g;
    if (!groups) {
        return;
    }
    g_hash_table_iter_init(&it, groups);
    while (g_hash_table_iter_next(&it, NULL, &g)) {
        block_throttle_flush(g);
    }
}

/*
 * Parse limits from flat options named as -drive's throttling.* (without
 * the prefix) and -object throttle-group's limits: bps-total,
 * iops-read-max, iops-total-max-length, iops-size, ...  "group" is
 * skipped.  An unknown key is refused as -drive
 * refuses it for `format`, or (format NULL) as -object does.
 */
static bool parse_limits(GHashTable *opts, const char *prefix,
                         const char *format, Limits *out, bool *any,
                         GError **errp)
{
    memset(out, 0, sizeof(*out));
    *any = false;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, opts);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const char *key = k;
        uint64_t n;
        if (g_str_equal(key, "group")) {
            continue;
        }
        g_autofree char *what = g_strconcat(prefix, key, NULL);
        bool found = g_str_equal(key, "iops-size");
        int idx = -1, part = 0;
        for (int i = 0; !found && i < B__COUNT; i++) {
            size_t len = strlen(bucket_names[i]);
            if (strncmp(key, bucket_names[i], len) != 0) {
                continue;
            }
            const char *rest = key + len;
            part = !*rest ? 0 : g_str_equal(rest, "-max") ? 1
                 : g_str_equal(rest, "-max-length") ? 2 : -1;
            if (part >= 0) {
                idx = i;
                found = true;
            }
        }
        if (!found && format) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Block format '%s' does not support the option "
                        "'%s'", format, what);
            return false;
        }
        if (!found) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Invalid parameter '%s'", what);
            return false;
        }
        if (!ts_parse_uint(what, v, &n, NULL)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Parameter '%s' expects a number", what);
            return false;
        }
        if (idx < 0) {
            out->iops_size = n;
            continue;
        }
        double *slot = part == 0 ? &out->b[idx].avg
                     : part == 1 ? &out->b[idx].max : &out->b[idx].max_length;
        *slot = (double)n;
        *any |= n != 0;
    }
    Bucket *b = out->b;
    /* QEMU's consistency rules (and messages). */
    for (int base = 0; base < B__COUNT; base += 3) {
        if ((b[base].avg && (b[base + 1].avg || b[base + 2].avg)) ||
            (b[base].max && (b[base + 1].max || b[base + 2].max))) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "bps/iops/max total values and read/write values "
                        "cannot be used at the same time");
            return false;
        }
    }
    for (int i = 0; i < B__COUNT; i++) {
        if (b[i].max && !b[i].avg) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "bps_max/iops_max require corresponding bps/iops "
                        "values");
            return false;
        }
        if (b[i].max && b[i].max < b[i].avg) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "bps_max/iops_max cannot be lower than bps/iops");
            return false;
        }
        if (b[i].max_length && !b[i].max) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "burst length set without burst rate");
            return false;
        }
        if (!b[i].max_length) {
            b[i].max_length = 1;
        }
    }
    return true;
}

/* The group of that name, made (with no limits) if there is none. */
static ThrottleGroup *group_get(const char *name, bool *made)
{
    if (!groups) {
        groups = g_hash_table_new(g_str_hash, g_str_equal);
    }
    ThrottleGroup *g = g_hash_table_lookup(groups, name);
    *made = !g;
    if (!g) {
        g = g_new0(ThrottleGroup, 1);
        g->name = g_strdup(name);
        g_mutex_init(&g->lock);
        g_cond_init(&g->admitted);
        g->last_ns = ts_clock_get_ns(TS_CLOCK_HOST);
        g_hash_table_insert(groups, g->name, g);
    }
    return g;
}

/* The limits become the group's (levels start empty). */
static void set_limits(ThrottleGroup *g, const Limits *lim)
{
    g_mutex_lock(&g->lock);
    g->lim = *lim;
    g->last_ns = ts_clock_get_ns(TS_CLOCK_HOST);
    g_mutex_unlock(&g->lock);
}

ThrottleGroup *block_throttle_new(GHashTable *opts, const char *drive_id,
                                  const char *format, GError **errp)
{
    Limits lim;
    bool any;
    if (!parse_limits(opts, "throttling.", format, &lim, &any, errp)) {
        return NULL;
    }
    /* As QEMU: without a limit, throttling.group= alone does nothing. */
    if (!any) {
        return NULL;
    }
    const char *name = g_hash_table_lookup(opts, "group");
    if (!name) {
        name = drive_id;        /* QEMU: a group of its own, named so */
    }
    bool made;
    ThrottleGroup *g = group_get(name, &made);
    ensure_timer(g);
    /* The last drive's limits are the group's, as in QEMU (also over
     * an -object throttle-group's). */
    set_limits(g, &lim);
    g->refs++;
    return g;
}

bool block_throttle_object_add(const char *id, GHashTable *limits,
                               const char *prefix, GError **errp)
{
    Limits lim;
    bool any;
    if (!parse_limits(limits, prefix, NULL, &lim, &any, errp)) {
        return false;
    }
    bool made;
    ThrottleGroup *g = group_get(id, &made);
    set_limits(g, &lim);
    g->is_object = true;
    g->refs++;                  /* the object's own: it outlives users */
    return true;
}

bool block_throttle_object_exists(const char *id)
{
    ThrottleGroup *g = block_throttle_find(id);
    return g && g->is_object;
}

bool block_throttle_object_del(const char *id, GError **errp)
{
    ThrottleGroup *g = block_throttle_find(id);
    if (g->refs > 1) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "object '%s' is in use, can not be deleted", id);
        return false;
    }
    g->is_object = false;
    block_throttle_unref(g);
    return true;
}

ThrottleGroup *block_throttle_find(const char *name)
{
    return groups ? g_hash_table_lookup(groups, name) : NULL;
}

ThrottleGroup *block_throttle_ref(ThrottleGroup *g)
{
    g->refs++;
    return g;
}

void block_throttle_unref(ThrottleGroup *g)
{
    if (!g || --g->refs) {
        return;
    }
    g_hash_table_remove(groups, g->name);
    if (g->timer) {
        ts_timer_free(g->timer);
    }
    g_mutex_clear(&g->lock);
    g_cond_clear(&g->admitted);
    g_free(g->name);
    g_free(g);
}

const char *block_throttle_name(ThrottleGroup *g)
{
    return g->name;
}

void block_throttle_info(ThrottleGroup *g, JsonObject *o)
{
    static const char *const qmp[B__COUNT] = {
        "bps", "bps_rd", "bps_wr", "iops", "iops_rd", "iops_wr",
    };
    Limits lim = { 0 };
    if (g) {
        g_mutex_lock(&g->lock);
        lim = g->lim;
        g_mutex_unlock(&g->lock);
    }
    for (int i = 0; i < B__COUNT; i++) {
        json_object_set_int_member(o, qmp[i], (int64_t)lim.b[i].avg);
        if (lim.b[i].max) {
            g_autofree char *m = g_strconcat(qmp[i], "_max", NULL);
            g_autofree char *l = g_strconcat(qmp[i], "_max_length", NULL);
            json_object_set_int_member(o, m, (int64_t)lim.b[i].max);
            json_object_set_int_member(o, l, (int64_t)lim.b[i].max_length);
        }
    }
    if (g) {
        if (lim.iops_size) {
            json_object_set_int_member(o, "iops_size",
                                       (int64_t)lim.iops_size);
        }
        json_object_set_string_member(o, "group", g->name);
    }
}

/* ---- the SDK side (blk-throttle) ------------------------------------ */

TS_EXPORT TsBlockThrottleGroup *ts_block_throttle_group_ref(
    const char *name, GError **errp)
{
    ThrottleGroup *g = block_throttle_find(name);
    if (!g) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "Throttle group '%s' does not exist", name);
        return NULL;
    }
    ensure_timer(g);
    return block_throttle_ref(g);
}

TS_EXPORT void ts_block_throttle_group_unref(TsBlockThrottleGroup *g)
{
    block_throttle_unref(g);
}

TS_EXPORT const char *ts_block_throttle_group_name(
    const TsBlockThrottleGroup *g)
{
    return g->name;
}

TS_EXPORT void ts_block_throttle_group_wait(TsBlockThrottleGroup *g,
                                            bool write, uint64_t bytes)
{
    block_throttle_wait(g, write, bytes);
}
