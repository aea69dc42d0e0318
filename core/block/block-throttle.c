/*
 * core/block/block-throttle.c - I/O limits of a -drive (throttling.*),
 * shared by the drives of one throttling.group, as QEMU's manual
 * describes them.
 *
 * Each limit is a leaky bucket: a request adds its bytes (or one
 * operation per iops-size bytes) to the bucket, which drains at the
 * average rate; a request may start while the bucket holds no more than
 * its burst allowance (max * max-length, or a tenth of a second at the
 * average rate without max).  A request that may not start waits in its
 * direction's queue (reads do not wait behind writes) for a host-clock
 * timer; requests start in the order they came.  Only reads and writes
 * are limited, as in QEMU.
 */
#include "block-internal.h"
#include "util/parse.h"


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

struct ThrottleGroup {
    char *name;
    unsigned refs;
    Bucket b[B__COUNT];
    uint64_t iops_size;
    int64_t last_ns;
    GQueue queue[2];                /* waiting requests: read, write */
    TsTimer *timer;
};

static GHashTable *groups;          /* name -> ThrottleGroup */

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
        g->b[i].level = MAX(0, g->b[i].level - g->b[i].avg * dt);
    }
}

/* Nanoseconds until a request of this direction may start (0: now). */
static int64_t wait_ns(ThrottleGroup *g, bool write)
{
    int own[2] = { write ? B_BPS_WRITE : B_BPS_READ,
                   write ? B_IOPS_WRITE : B_IOPS_READ };
    int all[4] = { B_BPS_TOTAL, B_IOPS_TOTAL, own[0], own[1] };
    double worst = 0;
    for (int i = 0; i < 4; i++) {
        const Bucket *b = &g->b[all[i]];
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
    double ops = g->iops_size && bytes > g->iops_size
        ? (double)bytes / (double)g->iops_size : 1;
    g->b[B_BPS_TOTAL].level += (double)bytes;
    g->b[write ? B_BPS_WRITE : B_BPS_READ].level += (double)bytes;
    g->b[B_IOPS_TOTAL].level += ops;
    g->b[write ? B_IOPS_WRITE : B_IOPS_READ].level += ops;
}

static void run_queues(void *opaque);

/* Start what may start; arm the timer for the rest. */
static void run_queues(void *opaque)
{
    ThrottleGroup *g = opaque;
    leak(g);
    int64_t next = -1;
    for (int dir = 0; dir < 2; dir++) {
        while (!g_queue_is_empty(&g->queue[dir])) {
            int64_t w = wait_ns(g, dir);
            if (w > 0) {
                next = next < 0 ? w : MIN(next, w);
                break;
            }
            BlockJob *job = g_queue_pop_head(&g->queue[dir]);
            account(g, dir, job->bytes);
            block_pool_submit(job);
        }
    }
    if (next >= 0) {
        ts_timer_mod(g->timer, ts_clock_get_ns(TS_CLOCK_HOST) + next);
    }
}

void block_throttle_submit(ThrottleGroup *g, BlockJob *job, bool write)
{
    g_queue_push_tail(&g->queue[write], job);
    run_queues(g);
}

void block_throttle_flush(ThrottleGroup *g)
{
    for (int dir = 0; dir < 2; dir++) {
        BlockJob *job;
        while ((job = g_queue_pop_head(&g->queue[dir]))) {
            account(g, dir, job->bytes);
            block_pool_submit(job);
        }
    }
}

/* Parse the "throttling." options (without the prefix) into a group;
 * NULL without error when every limit is 0. */
ThrottleGroup *block_throttle_new(GHashTable *opts, const char *drive_id,
                                  const char *format, GError **errp)
{
    Bucket b[B__COUNT] = { { 0 } };
    uint64_t iops_size = 0;
    bool any = false;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, opts);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const char *key = k;
        uint64_t n;
        if (g_str_equal(key, "group")) {
            continue;
        }
        g_autofree char *what = g_strconcat("throttling.", key, NULL);
        if (!ts_parse_uint(what, v, &n, NULL)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Parameter '%s' expects a number", what);
            return NULL;
        }
        if (g_str_equal(key, "iops-size")) {
            iops_size = n;
            continue;
        }
        bool found = false;
        for (int i = 0; i < B__COUNT; i++) {
            size_t len = strlen(bucket_names[i]);
            if (strncmp(key, bucket_names[i], len) != 0) {
                continue;
            }
            const char *rest = key + len;
            if (!*rest) {
                b[i].avg = (double)n;
            } else if (g_str_equal(rest, "-max")) {
                b[i].max = (double)n;
            } else if (g_str_equal(rest, "-max-length")) {
                b[i].max_length = (double)n;
            } else {
                continue;
            }
            found = true;
            any |= n != 0;
        }
        if (!found) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Block format '%s' does not support the option "
                        "'%s'", format, what);
            return NULL;
        }
    }
    /* QEMU's consistency rules (throttle_is_valid). */
    for (int base = 0; base < B__COUNT; base += 3) {
        if (b[base].avg && (b[base + 1].avg || b[base + 2].avg)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "bps/iops/max total values and read/write values "
                        "cannot be used at the same time");
            return NULL;
        }
    }
    for (int i = 0; i < B__COUNT; i++) {
        if (b[i].max && !b[i].avg) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "bps_max/iops_max require corresponding bps/iops "
                        "values");
            return NULL;
        }
        if (b[i].max && b[i].max < b[i].avg) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "bps_max/iops_max cannot be lower than bps/iops");
            return NULL;
        }
        if (b[i].max_length && !b[i].max) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "burst length set without burst rate");
            return NULL;
        }
        if (!b[i].max_length) {
            b[i].max_length = 1;
        }
    }
    if (!any) {
        return NULL;
    }
    const char *name = g_hash_table_lookup(opts, "group");
    if (!name) {
        name = drive_id;        /* QEMU: a group of its own, named so */
    }
    if (!groups) {
        groups = g_hash_table_new(g_str_hash, g_str_equal);
    }
    ThrottleGroup *g = g_hash_table_lookup(groups, name);
    if (!g) {
        g = g_new0(ThrottleGroup, 1);
        g->name = g_strdup(name);
        g->timer = ts_timer_new(TS_CLOCK_HOST, run_queues, g);
        g->last_ns = ts_clock_get_ns(TS_CLOCK_HOST);
        g_hash_table_insert(groups, g->name, g);
    }
    /* The last drive's limits are the group's, as in QEMU. */
    memcpy(g->b, b, sizeof(b));
    g->iops_size = iops_size;
    g->refs++;
    return g;
}

void block_throttle_unref(ThrottleGroup *g)
{
    if (!g || --g->refs) {
        return;
    }
    g_hash_table_remove(groups, g->name);
    ts_timer_free(g->timer);
    g_free(g->name);
    g_free(g);
}

void block_throttle_info(ThrottleGroup *g, JsonObject *o)
{
    static const char *const qmp[B__COUNT] = {
        "bps", "bps_rd", "bps_wr", "iops", "iops_rd", "iops_wr",
    };
    for (int i = 0; i < B__COUNT; i++) {
        json_object_set_int_member(o, qmp[i], g ? (int64_t)g->b[i].avg : 0);
        if (g && g->b[i].max) {
            g_autofree char *m = g_strconcat(qmp[i], "_max", NULL);
            g_autofree char *l = g_strconcat(qmp[i], "_max_length", NULL);
            json_object_set_int_member(o, m, (int64_t)g->b[i].max);
            json_object_set_int_member(o, l, (int64_t)g->b[i].max_length);
        }
    }
    if (g) {
        if (g->iops_size) {
            json_object_set_int_member(o, "iops_size",
                                       (int64_t)g->iops_size);
        }
        json_object_set_string_member(o, "group", g->name);
    }
}
