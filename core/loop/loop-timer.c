/*
 * loop-timer.c - the clocks and their timers.
 *
 * Each clock keeps its armed timers in a list sorted by expiry time.  One
 * GSource serves all clocks: before the loop polls, it looks at the first
 * timer of each clock and sets the poll timeout to the nearest deadline.
 * The virtual clock is host monotonic time with the stopped periods cut
 * out; while it is stopped its timers are not looked at at all.
 */
#include <limits.h>
#include <time.h>

#include "loop-internal.h"

#define NUM_CLOCKS (TS_CLOCK_REALTIME + 1)
#define NS_PER_MS INT64_C(1000000)
#define NS_PER_SEC INT64_C(1000000000)

struct TsTimer {
    TsClockType type;
    void (*cb)(void *opaque);
    void *opaque;
    int64_t expire_ns;
    bool pending;           /* in armed[type] */
    unsigned armed_pass;    /* dispatch_pass when it was last armed */
    TsTimer *next;
};

/* ---- clocks */

static GMutex clock_lock;
static bool virtual_ticking;
static int64_t virtual_base_ns;     /* virtual time when it last stopped */
static int64_t host_at_resume_ns;   /* host time when it last started */

static int64_t read_host_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* The clock's time, or false if it is stopped (the virtual clock while
 * the VM does not run). */
static bool clock_now(TsClockType type, int64_t *now)
{
    switch (type) {
    case TS_CLOCK_HOST:
        *now = read_host_clock(CLOCK_MONOTONIC);
        return true;
    case TS_CLOCK_REALTIME:
        *now = read_host_clock(CLOCK_REALTIME);
        return true;
    case TS_CLOCK_VIRTUAL:
        g_mutex_lock(&clock_lock);
        *now = virtual_base_ns;
        if (virtual_ticking) {
            *now += read_host_clock(CLOCK_MONOTONIC) - host_at_resume_ns;
        }
        bool ticking = virtual_ticking;
        g_mutex_unlock(&clock_lock);
        return ticking;
    }
    *now = 0;
    return false;
}

TS_EXPORT int64_t ts_clock_get_ns(TsClockType type)
{
    int64_t now;
    clock_now(type, &now);
    return now;
}

void loop_virtual_clock_set_ticking(bool ticking)
{
    g_mutex_lock(&clock_lock);
    if (ticking != virtual_ticking) {
        int64_t host_now = read_host_clock(CLOCK_MONOTONIC);
        if (ticking) {
            host_at_resume_ns = host_now;
        } else {
            virtual_base_ns += host_now - host_at_resume_ns;
        }
        virtual_ticking = ticking;
    }
    g_mutex_unlock(&clock_lock);
    /* Virtual deadlines now count (or no longer count) for the timeout. */
    loop_wake();
}

/* ---- timer lists */

static GMutex timer_lock;           /* guards the lists and timer fields */
static TsTimer *armed[NUM_CLOCKS];
static unsigned dispatch_pass;

static void timer_unlink(TsTimer *t)
{
    TsTimer **p = &armed[t->type];
    while (*p && *p != t) {
        p = &(*p)->next;
    }
    if (*p) {
        *p = t->next;
    }
    t->next = NULL;
    t->pending = false;
}

static void timer_insert(TsTimer *t)
{
    TsTimer **p = &armed[t->type];
    /* After timers with the same expiry: ties fire in arming order. */
    while (*p && (*p)->expire_ns <= t->expire_ns) {
        p = &(*p)->next;
    }
    t->next = *p;
    *p = t;
    t->pending = true;
}

TS_EXPORT TsTimer *ts_timer_new(TsClockType type, void (*cb)(void *opaque),
                                void *opaque)
{
    g_return_val_if_fail(cb != NULL, NULL);
    if ((unsigned)type >= NUM_CLOCKS) {
        return NULL;
    }
    TsTimer *t = g_new0(TsTimer, 1);
    t->type = type;
    t->cb = cb;
    t->opaque = opaque;
    loop_context();
    return t;
}

TS_EXPORT void ts_timer_mod(TsTimer *t, int64_t expire_ns)
{
    g_return_if_fail(t != NULL);
    g_mutex_lock(&timer_lock);
    /* The loop sleeps until its clock's first deadline at the latest, so
     * it needs waking only when this timer comes before that one.  (A CPU
     * re-arms its timer with the same deadline every time it idles: a
     * wake-up each time was a thread switch per guest I/O request.) */
    int64_t first = armed[t->type] ? armed[t->type]->expire_ns : INT64_MAX;
    if (t->pending) {
        timer_unlink(t);
    }
    t->expire_ns = expire_ns;
    t->armed_pass = dispatch_pass;
    timer_insert(t);
    bool earlier = expire_ns < first;
    g_mutex_unlock(&timer_lock);
    if (earlier) {
        loop_wake();
    }
}

TS_EXPORT void ts_timer_del(TsTimer *t)
{
    if (!t) {
        return;
    }
    /* No wake-up needed: at worst the loop wakes once for nothing. */
    g_mutex_lock(&timer_lock);
    if (t->pending) {
        timer_unlink(t);
    }
    g_mutex_unlock(&timer_lock);
}

TS_EXPORT bool ts_timer_pending(TsTimer *t)
{
    g_return_val_if_fail(t != NULL, false);
    g_mutex_lock(&timer_lock);
    bool pending = t->pending;
    g_mutex_unlock(&timer_lock);
    return pending;
}

TS_EXPORT int64_t ts_timer_expire_time(TsTimer *t)
{
    g_return_val_if_fail(t != NULL, -1);
    g_mutex_lock(&timer_lock);
    int64_t expire = t->pending ? t->expire_ns : -1;
    g_mutex_unlock(&timer_lock);
    return expire;
}

TS_EXPORT void ts_timer_free(TsTimer *t)
{
    if (!t) {
        return;
    }
    ts_timer_del(t);
    g_free(t);
}

/* ---- the GSource */

/* Nanoseconds until the earliest deadline of a ticking clock: 0 if one has
 * passed, -1 if no timer can fire. */
static int64_t ns_to_next_deadline(void)
{
    int64_t wait = -1;

    for (int type = 0; type < NUM_CLOCKS; type++) {
        int64_t now;
        if (!clock_now(type, &now)) {
            continue;
        }
        g_mutex_lock(&timer_lock);
        TsTimer *first = armed[type];
        if (first) {
            /* Compared first so that no subtraction can overflow. */
            int64_t left = first->expire_ns <= now ? 0
                                                   : first->expire_ns - now;
            wait = wait < 0 ? left : MIN(wait, left);
        }
        g_mutex_unlock(&timer_lock);
    }
    return wait;
}

static gboolean timers_prepare(GSource *source, gint *timeout_ms)
{
    int64_t wait = ns_to_next_deadline();

    if (wait < 0) {
        *timeout_ms = -1;
    } else {
        /* Rounded up: waking before the deadline would only spin. */
        int64_t ms = wait / NS_PER_MS + (wait % NS_PER_MS != 0);
        *timeout_ms = (gint)MIN(ms, (int64_t)INT_MAX);
    }
    return wait == 0;
}

static gboolean timers_check(GSource *source)
{
    return ns_to_next_deadline() == 0;
}

/* Fire the expired timers of one clock, in expiry order.  Timers armed
 * during this dispatch wait for the next one, so a callback that re-arms
 * its timer in the past cannot keep the loop here forever. */
static void fire_expired(TsClockType type, unsigned pass)
{
    int64_t now;
    if (!clock_now(type, &now)) {
        return;
    }
    for (;;) {
        int64_t unused;
        if (!clock_now(type, &unused)) {
            return;     /* a callback stopped the VM */
        }
        g_mutex_lock(&timer_lock);
        TsTimer *t = armed[type];
        while (t && t->expire_ns <= now && t->armed_pass == pass) {
            t = t->next;
        }
        if (!t || t->expire_ns > now) {
            g_mutex_unlock(&timer_lock);
            return;
        }
        timer_unlink(t);
        void (*cb)(void *) = t->cb;
        void *opaque = t->opaque;
        g_mutex_unlock(&timer_lock);

        cb(opaque);     /* may re-arm or free t */
    }
}

static gboolean timers_dispatch(GSource *source, GSourceFunc unused_cb,
                                gpointer unused_data)
{
    g_mutex_lock(&timer_lock);
    unsigned pass = ++dispatch_pass;
    g_mutex_unlock(&timer_lock);

    for (int type = 0; type < NUM_CLOCKS; type++) {
        fire_expired(type, pass);
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_source_funcs = {
    .prepare = timers_prepare,
    .check = timers_check,
    .dispatch = timers_dispatch,
};

GSource *loop_timer_source_new(void)
{
    GSource *source = g_source_new(&timer_source_funcs, sizeof(GSource));
    g_source_set_name(source, "tessera timers");
    return source;
}
