/*
 * test-loop.c - the main loop: bottom halves, timers on the host and
 * virtual clocks, fd watches, ts_loop_call, quit, the big lock, the VM run
 * state and vCPU threads.
 *
 * Nothing here asserts a duration: on a loaded CI machine any sleep can
 * last much longer.  The tests assert order (what happened before what)
 * and bounds that hold however slow the machine is (a timer never fires
 * before its deadline; the virtual clock never runs faster than the host).
 * A watchdog timer turns a hang into a failure.
 */
#include <string.h>
#include <unistd.h>

#include <tessera/loop.h>

#include "loop/loop-internal.h"
#include "loop/main-loop.h"

#define MS (INT64_C(1000000))
#define WATCHDOG_NS (60 * INT64_C(1000000000))

static GThread *main_thread;

static void watchdog_fired(void *opaque)
{
    g_error("test-loop: the main loop did not quit within 60 s");
}

/* Run the loop until something calls ts_loop_quit, failing after 60 s. */
static int run_loop(void)
{
    TsTimer *watchdog = ts_timer_new(TS_CLOCK_HOST, watchdog_fired, NULL);
    ts_timer_mod(watchdog, ts_clock_get_ns(TS_CLOCK_HOST) + WATCHDOG_NS);
    loop_quit_reset();
    int status = ts_loop_run();
    ts_timer_free(watchdog);
    return status;
}

/* Callbacks run in the main thread with the big lock held. */
static void assert_in_callback_context(void)
{
    g_assert_true(g_thread_self() == main_thread);
    g_assert_true(ts_bql_locked());
}

static void quit_cb(void *opaque)
{
    ts_loop_quit(GPOINTER_TO_INT(opaque));
}

/* ---- loop, quit ---------------------------------------------------- */

static void test_init_takes_big_lock(void)
{
    /* main() called ts_loop_init(); calling it again changes nothing. */
    g_assert_true(ts_bql_locked());
    ts_loop_init();
    g_assert_true(ts_bql_locked());
}

static void test_quit_status(void)
{
    ts_loop_call(quit_cb, GINT_TO_POINTER(42));
    g_assert_cmpint(run_loop(), ==, 42);
    g_assert_true(ts_loop_quitting());

    /* The first status given wins. */
    ts_loop_call(quit_cb, GINT_TO_POINTER(3));
    ts_loop_call(quit_cb, GINT_TO_POINTER(4));
    g_assert_cmpint(run_loop(), ==, 3);

    /* Already told to quit: returns at once with that status. */
    loop_quit_reset();
    ts_loop_quit(5);
    g_assert_cmpint(ts_loop_run(), ==, 5);
    loop_quit_reset();
    g_assert_false(ts_loop_quitting());
}

/* ---- bottom halves ------------------------------------------------- */

typedef struct BHCount {
    int runs;
    TsBH *bh;
} BHCount;

static void count_bh(void *opaque)
{
    BHCount *c = opaque;
    assert_in_callback_context();
    c->runs++;
}

static void test_bh_runs_once_per_schedule(void)
{
    BHCount c = { 0 };
    c.bh = ts_bh_new("count", count_bh, &c);

    ts_bh_schedule(c.bh);
    ts_bh_schedule(c.bh);       /* idempotent until it runs */
    ts_loop_call(quit_cb, NULL);
    run_loop();
    g_assert_cmpint(c.runs, ==, 1);

    ts_bh_schedule(c.bh);
    ts_loop_call(quit_cb, NULL);
    run_loop();
    g_assert_cmpint(c.runs, ==, 2);

    /* Cancelled: does not run. */
    ts_bh_schedule(c.bh);
    ts_bh_cancel(c.bh);
    ts_loop_call(quit_cb, NULL);
    run_loop();
    g_assert_cmpint(c.runs, ==, 2);

    /* Freed while scheduled: does not run (ASan checks the rest). */
    ts_bh_schedule(c.bh);
    ts_bh_free(c.bh);
    ts_loop_call(quit_cb, NULL);
    run_loop();
    g_assert_cmpint(c.runs, ==, 2);
}

static GString *order_log;

static void log_bh(void *opaque)
{
    g_string_append(order_log, opaque);
}

static void test_bh_order(void)
{
    order_log = g_string_new("");
    TsBH *a = ts_bh_new("a", log_bh, "a");
    TsBH *b = ts_bh_new("b", log_bh, "b");
    TsBH *c = ts_bh_new("c", log_bh, "c");
    ts_bh_schedule(b);
    ts_bh_schedule(a);
    ts_loop_call(log_bh, "x");
    ts_bh_schedule(c);
    ts_bh_schedule(b);          /* keeps its first place */
    ts_loop_call(quit_cb, NULL);
    run_loop();
    g_assert_cmpstr(order_log->str, ==, "baxc");
    ts_bh_free(a);
    ts_bh_free(b);
    ts_bh_free(c);
    g_string_free(order_log, TRUE);
}

static void self_free_bh(void *opaque)
{
    TsBH **bh = opaque;
    ts_bh_free(*bh);
    *bh = NULL;
}

static void test_bh_frees_itself(void)
{
    TsBH *bh = ts_bh_new("self-free", self_free_bh, &bh);
    ts_bh_schedule(bh);
    ts_loop_call(quit_cb, NULL);
    run_loop();
    g_assert_null(bh);
}

typedef struct Spinner {
    TsBH *bh;
    int runs;
    bool timer_fired;
} Spinner;

static void spin_bh(void *opaque)
{
    Spinner *s = opaque;
    if (++s->runs > 1000000) {
        g_error("a self-scheduling bottom half starved the timers");
    }
    if (!s->timer_fired) {
        ts_bh_schedule(s->bh);
    }
}

static void stop_spinning(void *opaque)
{
    Spinner *s = opaque;
    s->timer_fired = true;
    ts_loop_quit(0);
}

static void test_bh_self_schedule_does_not_starve(void)
{
    Spinner s = { 0 };
    s.bh = ts_bh_new("spin", spin_bh, &s);
    TsTimer *t = ts_timer_new(TS_CLOCK_HOST, stop_spinning, &s);
    ts_bh_schedule(s.bh);
    ts_timer_mod(t, ts_clock_get_ns(TS_CLOCK_HOST) + 5 * MS);
    run_loop();
    g_assert_true(s.timer_fired);
    g_assert_cmpint(s.runs, >, 1);
    ts_bh_free(s.bh);
    ts_timer_free(t);
}

#define SCHEDULERS 4
#define SCHEDULES 2000

typedef struct CrossThread {
    TsBH *bh;
    int bh_runs;
    int calls;                  /* main thread only */
    int threads_done;           /* main thread only */
} CrossThread;

static void cross_thread_call(void *opaque)
{
    CrossThread *ct = opaque;
    assert_in_callback_context();
    ct->calls++;
}

static void cross_thread_done(void *opaque)
{
    CrossThread *ct = opaque;
    assert_in_callback_context();
    if (++ct->threads_done == SCHEDULERS) {
        ts_loop_quit(0);
    }
}

static void cross_thread_bh(void *opaque)
{
    CrossThread *ct = opaque;
    assert_in_callback_context();
    ct->bh_runs++;
}

static void *scheduler_thread(void *opaque)
{
    CrossThread *ct = opaque;
    g_assert_false(ts_bql_locked());
    for (int i = 0; i < SCHEDULES; i++) {
        ts_bh_schedule(ct->bh);
        ts_loop_call(cross_thread_call, ct);
    }
    ts_loop_call(cross_thread_done, ct);
    return NULL;
}

static void test_bh_and_call_from_threads(void)
{
    CrossThread ct = { 0 };
    ct.bh = ts_bh_new("cross", cross_thread_bh, &ct);
    TsThread *threads[SCHEDULERS];
    for (int i = 0; i < SCHEDULERS; i++) {
        threads[i] = ts_thread_start("scheduler", scheduler_thread, &ct);
        g_assert_nonnull(threads[i]);
    }
    run_loop();
    for (int i = 0; i < SCHEDULERS; i++) {
        ts_thread_join(threads[i]);
    }
    /* Every call ran exactly once; the bottom half ran at least once and
     * at most once per schedule. */
    g_assert_cmpint(ct.calls, ==, SCHEDULERS * SCHEDULES);
    g_assert_cmpint(ct.bh_runs, >=, 1);
    g_assert_cmpint(ct.bh_runs, <=, SCHEDULERS * SCHEDULES);
    ts_bh_free(ct.bh);
}

/* ---- ts_loop_call from another thread ------------------------------ */

static void *call_quit_thread(void *opaque)
{
    ts_loop_call(quit_cb, opaque);
    return GINT_TO_POINTER(7);
}

static void test_loop_call_from_thread(void)
{
    TsThread *t = ts_thread_start("caller", call_quit_thread,
                                  GINT_TO_POINTER(17));
    g_assert_cmpint(run_loop(), ==, 17);
    g_assert_cmpint(GPOINTER_TO_INT(ts_thread_join(t)), ==, 7);
}

static void *quit_thread(void *opaque)
{
    ts_loop_quit(23);           /* without the big lock */
    return NULL;
}

static void test_quit_from_thread(void)
{
    TsThread *t = ts_thread_start("quitter", quit_thread, NULL);
    g_assert_cmpint(run_loop(), ==, 23);
    ts_thread_join(t);
}

/* ---- timers -------------------------------------------------------- */

typedef struct Fire {
    TsTimer *timer;
    char name;
    int64_t deadline;
} Fire;

static GString *fire_log;
static int fires_left;

static void log_timer(void *opaque)
{
    Fire *f = opaque;
    assert_in_callback_context();
    /* Never early, however loaded the machine. */
    g_assert_cmpint(ts_clock_get_ns(TS_CLOCK_HOST), >=, f->deadline);
    g_assert_false(ts_timer_pending(f->timer));
    g_assert_cmpint(ts_timer_expire_time(f->timer), ==, -1);
    g_string_append_c(fire_log, f->name);
    if (--fires_left == 0) {
        ts_loop_quit(0);
    }
}

static void test_timer_order(void)
{
    /* Armed out of order; c and e share a deadline (arming order wins). */
    static const struct { char name; int ms; } plan[] = {
        { 'd', 40 }, { 'a', 10 }, { 'c', 30 }, { 'b', 20 }, { 'e', 30 },
        { 'f', 0 },
    };
    enum { N = G_N_ELEMENTS(plan) };
    Fire fires[N];
    int64_t now = ts_clock_get_ns(TS_CLOCK_HOST);

    fire_log = g_string_new("");
    fires_left = N;
    for (int i = 0; i < N; i++) {
        fires[i].name = plan[i].name;
        fires[i].deadline = now + plan[i].ms * MS;
        fires[i].timer = ts_timer_new(TS_CLOCK_HOST, log_timer, &fires[i]);
        g_assert_false(ts_timer_pending(fires[i].timer));
        ts_timer_mod(fires[i].timer, fires[i].deadline);
        g_assert_true(ts_timer_pending(fires[i].timer));
        g_assert_cmpint(ts_timer_expire_time(fires[i].timer), ==,
                        fires[i].deadline);
    }
    run_loop();
    g_assert_cmpstr(fire_log->str, ==, "fabced");
    for (int i = 0; i < N; i++) {
        ts_timer_free(fires[i].timer);
    }
    g_string_free(fire_log, TRUE);
}

static void test_timer_mod_and_del(void)
{
    Fire x = { .name = 'x' }, y = { .name = 'y' }, z = { .name = 'z' };
    int64_t now = ts_clock_get_ns(TS_CLOCK_HOST);

    fire_log = g_string_new("");
    x.timer = ts_timer_new(TS_CLOCK_HOST, log_timer, &x);
    y.timer = ts_timer_new(TS_CLOCK_HOST, log_timer, &y);
    z.timer = ts_timer_new(TS_CLOCK_HOST, log_timer, &z);

    /* Re-arming moves a timer; deleting disarms it. */
    ts_timer_mod(x.timer, now + 5 * MS);
    ts_timer_mod(y.timer, now + 10 * MS);
    ts_timer_mod(z.timer, now + 15 * MS);
    x.deadline = now + 20 * MS;
    ts_timer_mod(x.timer, x.deadline);
    y.deadline = now + 10 * MS;
    ts_timer_del(z.timer);
    g_assert_false(ts_timer_pending(z.timer));
    g_assert_cmpint(ts_timer_expire_time(z.timer), ==, -1);
    ts_timer_del(z.timer);      /* twice is fine */

    fires_left = 2;
    run_loop();
    g_assert_cmpstr(fire_log->str, ==, "yx");
    ts_timer_free(x.timer);
    ts_timer_free(y.timer);
    ts_timer_free(z.timer);
    g_string_free(fire_log, TRUE);
}

typedef struct Periodic {
    TsTimer *timer;
    TsTimer *victim;            /* deleted by the first firing */
    int64_t period;
    int64_t deadline;
    int runs;
} Periodic;

static void periodic_tick(void *opaque)
{
    Periodic *p = opaque;
    assert_in_callback_context();
    g_assert_cmpint(ts_clock_get_ns(TS_CLOCK_HOST), >=, p->deadline);
    if (p->victim) {
        ts_timer_del(p->victim);
        p->victim = NULL;
    }
    if (++p->runs == 5) {
        ts_timer_free(p->timer);    /* from its own callback */
        p->timer = NULL;
        ts_loop_quit(0);
        return;
    }
    p->deadline += p->period;
    ts_timer_mod(p->timer, p->deadline);
}

static void victim_fired(void *opaque)
{
    g_error("a timer deleted by another timer's callback fired");
}

static void test_timer_modified_from_callback(void)
{
    Periodic p = { .period = 2 * MS };
    p.timer = ts_timer_new(TS_CLOCK_HOST, periodic_tick, &p);
    p.victim = ts_timer_new(TS_CLOCK_HOST, victim_fired, NULL);
    TsTimer *victim = p.victim;
    p.deadline = ts_clock_get_ns(TS_CLOCK_HOST) + p.period;
    ts_timer_mod(p.timer, p.deadline);
    /* Same deadline, armed later: the periodic timer fires first and
     * deletes it in the same dispatch. */
    ts_timer_mod(victim, p.deadline);
    run_loop();
    g_assert_cmpint(p.runs, ==, 5);
    g_assert_null(p.timer);
    g_assert_false(ts_timer_pending(victim));
    ts_timer_free(victim);
}

typedef struct Rearmer {
    TsTimer *timer;
    int runs;
} Rearmer;

static void rearm_in_past(void *opaque)
{
    Rearmer *r = opaque;
    if (++r->runs > 100000) {
        g_error("a timer re-armed in the past kept the loop in dispatch");
    }
    ts_timer_mod(r->timer, 0);
}

static void test_timer_rearmed_in_past_does_not_starve(void)
{
    Rearmer r = { 0 };
    r.timer = ts_timer_new(TS_CLOCK_HOST, rearm_in_past, &r);
    ts_timer_mod(r.timer, 0);
    ts_loop_call(quit_cb, NULL);
    run_loop();
    g_assert_cmpint(r.runs, >=, 1);
    ts_timer_free(r.timer);
}

static void test_timer_bad_input(void)
{
    g_assert_null(ts_timer_new((TsClockType)99, victim_fired, NULL));
    g_assert_cmpint(ts_clock_get_ns((TsClockType)99), ==, 0);
    /* Deadlines far in the past or future are fine. */
    TsTimer *t = ts_timer_new(TS_CLOCK_HOST, victim_fired, NULL);
    ts_timer_mod(t, INT64_MAX);
    ts_loop_call(quit_cb, NULL);
    run_loop();
    g_assert_true(ts_timer_pending(t));
    ts_timer_free(t);
    ts_timer_free(NULL);
}

/* ---- clocks -------------------------------------------------------- */

static void test_clocks(void)
{
    int64_t h0 = ts_clock_get_ns(TS_CLOCK_HOST);
    int64_t r0 = ts_clock_get_ns(TS_CLOCK_REALTIME);
    g_usleep(2000);
    g_assert_cmpint(ts_clock_get_ns(TS_CLOCK_HOST), >, h0);
    /* Wall clock: roughly now, in ns since the epoch. */
    g_assert_cmpint(r0 / 1000, >, g_get_real_time() - G_USEC_PER_SEC * 60);
}

static void test_virtual_clock_frozen_while_stopped(void)
{
    ts_vm_start();
    int64_t v0 = ts_clock_get_ns(TS_CLOCK_VIRTUAL);
    g_usleep(2000);
    int64_t v1 = ts_clock_get_ns(TS_CLOCK_VIRTUAL);
    g_assert_cmpint(v1, >, v0);

    ts_vm_stop();
    g_assert_false(ts_vm_running());
    int64_t frozen = ts_clock_get_ns(TS_CLOCK_VIRTUAL);
    g_assert_cmpint(frozen, >=, v1);
    g_usleep(20000);
    g_assert_cmpint(ts_clock_get_ns(TS_CLOCK_VIRTUAL), ==, frozen);

    /* Resumes where it stopped and never runs faster than the host. */
    int64_t h0 = ts_clock_get_ns(TS_CLOCK_HOST);
    ts_vm_start();
    g_usleep(2000);
    int64_t v2 = ts_clock_get_ns(TS_CLOCK_VIRTUAL);
    int64_t h1 = ts_clock_get_ns(TS_CLOCK_HOST);
    g_assert_cmpint(v2, >, frozen);
    g_assert_cmpint(v2 - frozen, <=, h1 - h0);
}

typedef struct VirtualCase {
    TsTimer *vtimer;
    int64_t vdeadline;
    bool resumed;
    int64_t host_at_resume;
    int64_t virtual_at_stop;
    bool fired;
} VirtualCase;

static void virtual_timer_fired(void *opaque)
{
    VirtualCase *vc = opaque;
    assert_in_callback_context();
    g_assert_true(ts_vm_running());
    g_assert_true(vc->resumed);
    g_assert_cmpint(ts_clock_get_ns(TS_CLOCK_VIRTUAL), >=, vc->vdeadline);
    /* Guest time left at the stop had to pass in host time after it. */
    g_assert_cmpint(ts_clock_get_ns(TS_CLOCK_HOST) - vc->host_at_resume, >=,
                    vc->vdeadline - vc->virtual_at_stop);
    vc->fired = true;
    ts_loop_quit(0);
}

static void stop_vm_cb(void *opaque)
{
    VirtualCase *vc = opaque;
    ts_vm_stop();
    vc->virtual_at_stop = ts_clock_get_ns(TS_CLOCK_VIRTUAL);
}

static void resume_vm_cb(void *opaque)
{
    VirtualCase *vc = opaque;
    /* Long past the virtual deadline in host time, yet nothing fired. */
    g_assert_false(vc->fired);
    g_assert_true(ts_timer_pending(vc->vtimer));
    g_assert_cmpint(ts_clock_get_ns(TS_CLOCK_VIRTUAL), ==,
                    vc->virtual_at_stop);
    vc->resumed = true;
    vc->host_at_resume = ts_clock_get_ns(TS_CLOCK_HOST);
    ts_vm_start();
}

/* Armed while stopped: fires only after the VM starts. */
static void test_virtual_timer_waits_while_stopped(void)
{
    VirtualCase vc = { 0 };
    ts_vm_stop();
    vc.virtual_at_stop = ts_clock_get_ns(TS_CLOCK_VIRTUAL);
    vc.vtimer = ts_timer_new(TS_CLOCK_VIRTUAL, virtual_timer_fired, &vc);
    vc.vdeadline = vc.virtual_at_stop + 1 * MS;
    ts_timer_mod(vc.vtimer, vc.vdeadline);
    TsTimer *resume = ts_timer_new(TS_CLOCK_HOST, resume_vm_cb, &vc);
    ts_timer_mod(resume, ts_clock_get_ns(TS_CLOCK_HOST) + 50 * MS);
    run_loop();
    g_assert_true(vc.fired);
    ts_timer_free(vc.vtimer);
    ts_timer_free(resume);
}

/* Armed while running, stopped before it is due: fires after resume, with
 * the stopped time not counted. */
static void test_virtual_timer_resumes(void)
{
    VirtualCase vc = { 0 };
    ts_vm_start();
    vc.vtimer = ts_timer_new(TS_CLOCK_VIRTUAL, virtual_timer_fired, &vc);
    vc.vdeadline = ts_clock_get_ns(TS_CLOCK_VIRTUAL) + 30 * MS;
    ts_timer_mod(vc.vtimer, vc.vdeadline);

    /* Stopped by a bottom half, which runs before the timer source in
     * the first iteration, so the timer cannot fire before the stop even
     * if the machine is slow (then it is simply due at once on resume). */
    ts_loop_call(stop_vm_cb, &vc);
    ts_loop_call(quit_cb, NULL);
    run_loop();
    g_assert_false(vc.fired);
    g_assert_false(ts_vm_running());

    TsTimer *resume = ts_timer_new(TS_CLOCK_HOST, resume_vm_cb, &vc);
    ts_timer_mod(resume, ts_clock_get_ns(TS_CLOCK_HOST) + 80 * MS);
    run_loop();
    g_assert_true(vc.fired);
    g_assert_false(ts_timer_pending(vc.vtimer));
    ts_timer_free(vc.vtimer);
    ts_timer_free(resume);
}

/* ---- fd watches ---------------------------------------------------- */

typedef struct PipeCase {
    int fds[2];
    int calls;
    char got[16];
    bool keep;
    TsFdWatch *watch;
    bool remove_inside;
} PipeCase;

static bool pipe_readable(int fd, GIOCondition revents, void *opaque)
{
    PipeCase *pc = opaque;
    assert_in_callback_context();
    g_assert_cmpint(fd, ==, pc->fds[0]);
    g_assert_true(revents & G_IO_IN);
    pc->calls++;
    ssize_t n = read(fd, pc->got, sizeof(pc->got) - 1);
    g_assert_cmpint(n, >, 0);
    pc->got[n] = 0;
    if (pc->remove_inside) {
        ts_fd_watch_remove(pc->watch);
        pc->watch = NULL;
        return true;    /* ignored: already removed */
    }
    ts_loop_quit(0);
    return pc->keep;
}

static void *write_later(void *opaque)
{
    PipeCase *pc = opaque;
    g_usleep(5000);
    g_assert_cmpint(write(pc->fds[1], "hello", 5), ==, 5);
    return NULL;
}

/* Run the loop for a while, letting any (wrongly) live watch fire. */
static void run_loop_briefly(void)
{
    TsTimer *t = ts_timer_new(TS_CLOCK_HOST, quit_cb, NULL);
    ts_timer_mod(t, ts_clock_get_ns(TS_CLOCK_HOST) + 20 * MS);
    run_loop();
    ts_timer_free(t);
}

static void test_fd_watch(void)
{
    PipeCase pc = { .keep = true };
    g_assert_cmpint(pipe(pc.fds), ==, 0);

    /* Data written by another thread while the loop polls. */
    pc.watch = ts_fd_watch_add(pc.fds[0], G_IO_IN, pipe_readable, &pc);
    g_assert_nonnull(pc.watch);
    TsThread *writer = ts_thread_start("writer", write_later, &pc);
    run_loop();
    ts_thread_join(writer);
    g_assert_cmpint(pc.calls, ==, 1);
    g_assert_cmpstr(pc.got, ==, "hello");

    /* The callback kept it: more data, another call. */
    g_assert_cmpint(write(pc.fds[1], "again", 5), ==, 5);
    pc.keep = false;
    run_loop();
    g_assert_cmpint(pc.calls, ==, 2);
    g_assert_cmpstr(pc.got, ==, "again");

    /* The callback returned false: removed, no more calls. */
    g_assert_cmpint(write(pc.fds[1], "nope", 4), ==, 4);
    run_loop_briefly();
    g_assert_cmpint(pc.calls, ==, 2);

    /* Removed with ts_fd_watch_remove before anything arrived. */
    pc.watch = ts_fd_watch_add(pc.fds[0], G_IO_IN, pipe_readable, &pc);
    ts_fd_watch_remove(pc.watch);
    run_loop_briefly();
    g_assert_cmpint(pc.calls, ==, 2);

    /* Removed from inside its own callback. */
    pc.remove_inside = true;
    pc.watch = ts_fd_watch_add(pc.fds[0], G_IO_IN, pipe_readable, &pc);
    run_loop_briefly();
    g_assert_cmpint(pc.calls, ==, 3);
    g_assert_cmpstr(pc.got, ==, "nope");
    g_assert_null(pc.watch);
    g_assert_cmpint(write(pc.fds[1], "more", 4), ==, 4);
    run_loop_briefly();
    g_assert_cmpint(pc.calls, ==, 3);

    g_assert_null(ts_fd_watch_add(-1, G_IO_IN, pipe_readable, &pc));
    ts_fd_watch_remove(NULL);
    close(pc.fds[0]);
    close(pc.fds[1]);
}

static bool pipe_hangup(int fd, GIOCondition revents, void *opaque)
{
    GIOCondition *seen = opaque;
    *seen = revents;
    ts_loop_quit(0);
    return false;
}

static void test_fd_watch_hangup(void)
{
    int fds[2];
    GIOCondition seen = 0;
    g_assert_cmpint(pipe(fds), ==, 0);
    close(fds[1]);
    ts_fd_watch_add(fds[0], G_IO_IN, pipe_hangup, &seen);
    run_loop();
    g_assert_true(seen & G_IO_HUP);
    close(fds[0]);
}

/* ---- the big lock -------------------------------------------------- */

typedef struct LockCase {
    bool thread_had_lock;
    int thread_counter;
} LockCase;

static void *take_big_lock(void *opaque)
{
    LockCase *lc = opaque;
    g_assert_false(ts_bql_locked());
    /* Succeeds only because the main loop drops the lock while it polls
     * (the main thread holds it everywhere else). */
    ts_bql_lock();
    g_assert_true(ts_bql_locked());
    lc->thread_had_lock = true;
    lc->thread_counter++;
    ts_bql_unlock();
    g_assert_false(ts_bql_locked());
    ts_loop_call(quit_cb, NULL);
    return NULL;
}

static void test_big_lock_released_while_polling(void)
{
    LockCase lc = { 0 };
    g_assert_true(ts_bql_locked());
    TsThread *t = ts_thread_start("locker", take_big_lock, &lc);
    run_loop();
    /* Still ours after the loop returns. */
    g_assert_true(ts_bql_locked());
    ts_thread_join(t);
    g_assert_true(lc.thread_had_lock);
    g_assert_cmpint(lc.thread_counter, ==, 1);
}

static void *lock_then_exit(void *opaque)
{
    ts_bql_lock();
    (*(int *)opaque)++;
    ts_bql_unlock();
    return NULL;
}

static void test_join_releases_big_lock(void)
{
    int counter = 0;
    g_assert_true(ts_bql_locked());
    TsThread *t = ts_thread_start("needs-lock", lock_then_exit, &counter);
    ts_thread_join(t);          /* would deadlock if it kept the lock */
    g_assert_true(ts_bql_locked());
    g_assert_cmpint(counter, ==, 1);
}

/* ---- VM run state and vCPU threads --------------------------------- */

static GString *state_log;

static void log_state(bool running, void *opaque)
{
    assert_in_callback_context();
    g_assert_cmpint(ts_vm_running(), ==, running);
    g_string_append(state_log, running ? (char *)opaque : "-");
}

static void remove_self(bool running, void *opaque)
{
    ts_vm_state_notifier_remove(log_state, "B");
    ts_vm_state_notifier_remove(remove_self, NULL);
}

static void test_vm_state_notifiers(void)
{
    state_log = g_string_new("");
    ts_vm_start();
    ts_vm_state_notifier_add(log_state, "A");
    ts_vm_state_notifier_add(remove_self, NULL);
    ts_vm_state_notifier_add(log_state, "B");
    ts_vm_start();              /* no change, no notification */
    ts_vm_stop();               /* A, then remove_self removes B */
    ts_vm_stop();
    ts_vm_start();
    ts_vm_state_notifier_remove(log_state, "A");
    ts_vm_stop();
    ts_vm_start();
    g_assert_cmpstr(state_log->str, ==, "-A");
    g_string_free(state_log, TRUE);
}

typedef struct VcpuCase {
    bool proceeded;
    bool saw_running;
    bool saw_quitting;
} VcpuCase;

static void *vcpu_thread(void *opaque)
{
    VcpuCase *vc = opaque;
    ts_bql_lock();
    ts_vm_wait_running();
    g_assert_true(ts_bql_locked());
    vc->saw_running = ts_vm_running();
    vc->saw_quitting = ts_loop_quitting();
    vc->proceeded = true;
    ts_bql_unlock();
    if (vc->saw_running) {
        ts_loop_call(quit_cb, GINT_TO_POINTER(11));
    }
    return NULL;
}

static void start_vm_later(void *opaque)
{
    VcpuCase *vc = opaque;
    g_assert_false(vc->proceeded);      /* still parked: VM stopped */
    ts_vm_start();
}

static void test_vcpu_waits_while_stopped(void)
{
    VcpuCase vc = { 0 };
    ts_vm_stop();
    TsThread *t = ts_thread_start("vcpu", vcpu_thread, &vc);
    TsTimer *start = ts_timer_new(TS_CLOCK_HOST, start_vm_later, &vc);
    ts_timer_mod(start, ts_clock_get_ns(TS_CLOCK_HOST) + 30 * MS);
    g_assert_cmpint(run_loop(), ==, 11);
    ts_thread_join(t);
    g_assert_true(vc.proceeded);
    g_assert_true(vc.saw_running);
    g_assert_false(vc.saw_quitting);
    ts_timer_free(start);
}

static void quit_if_parked(void *opaque)
{
    VcpuCase *vc = opaque;
    g_assert_false(vc->proceeded);
    ts_loop_quit(0);
}

static void test_vcpu_released_by_quit(void)
{
    VcpuCase vc = { 0 };
    ts_vm_stop();
    TsThread *t = ts_thread_start("vcpu", vcpu_thread, &vc);
    TsTimer *quit = ts_timer_new(TS_CLOCK_HOST, quit_if_parked, &vc);
    ts_timer_mod(quit, ts_clock_get_ns(TS_CLOCK_HOST) + 30 * MS);
    run_loop();
    ts_thread_join(t);
    g_assert_true(vc.proceeded);
    g_assert_false(vc.saw_running);
    g_assert_true(vc.saw_quitting);
    ts_timer_free(quit);
    loop_quit_reset();
    ts_vm_start();
}

/* A vCPU arms a virtual timer with the big lock held while the loop
 * sleeps with nothing else to do: the loop must wake up for it. */
static void vcpu_timer_fired(void *opaque)
{
    assert_in_callback_context();
    ts_loop_quit(31);
}

static void *vcpu_arms_timer(void *opaque)
{
    TsTimer *t = opaque;
    g_usleep(5000);
    ts_bql_lock();
    ts_timer_mod(t, ts_clock_get_ns(TS_CLOCK_VIRTUAL) + 1 * MS);
    ts_bql_unlock();
    return NULL;
}

static void test_timer_armed_from_vcpu(void)
{
    ts_vm_start();
    TsTimer *t = ts_timer_new(TS_CLOCK_VIRTUAL, vcpu_timer_fired, NULL);
    TsThread *th = ts_thread_start("vcpu", vcpu_arms_timer, t);
    g_assert_cmpint(run_loop(), ==, 31);
    ts_thread_join(th);
    ts_timer_free(t);
}

/* ts_timer_mod wakes the loop only for a deadline earlier than its
 * clock's first one.  Here the loop sleeps towards a far virtual
 * deadline; another thread arms a later timer and re-arms the first one
 * with the deadline it has (neither needs the loop), then moves it to
 * 1 ms from now: the loop must wake for that and fire it in time (the
 * run_loop watchdog turns a missed wake-up into a failure). */
typedef struct Rearm {
    TsTimer *first, *later;
    int64_t far;
} Rearm;

static void *rearm_thread(void *opaque)
{
    Rearm *r = opaque;
    g_usleep(5000);
    ts_bql_lock();
    ts_timer_mod(r->later, r->far + 1000 * MS);
    for (int i = 0; i < 3; i++) {
        ts_timer_mod(r->first, r->far);
    }
    ts_bql_unlock();
    g_usleep(5000);
    ts_bql_lock();
    ts_timer_mod(r->first, ts_clock_get_ns(TS_CLOCK_VIRTUAL) + 1 * MS);
    ts_bql_unlock();
    return NULL;
}

static void rearmed_fired(void *opaque)
{
    assert_in_callback_context();
    ts_loop_quit(32);
}

static void later_fired(void *opaque)
{
    g_error("a timer armed for later fired first");
}

static void test_timer_rearmed_earlier_from_thread(void)
{
    Rearm r;
    ts_vm_start();                      /* guest time runs */
    r.first = ts_timer_new(TS_CLOCK_VIRTUAL, rearmed_fired, NULL);
    r.later = ts_timer_new(TS_CLOCK_VIRTUAL, later_fired, NULL);
    r.far = ts_clock_get_ns(TS_CLOCK_VIRTUAL) + WATCHDOG_NS * 2;
    ts_timer_mod(r.first, r.far);
    TsThread *th = ts_thread_start("rearm", rearm_thread, &r);
    g_assert_cmpint(run_loop(), ==, 32);
    ts_thread_join(th);
    ts_timer_free(r.first);
    ts_timer_free(r.later);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    main_thread = g_thread_self();
    ts_loop_init();

    g_test_add_func("/loop/init-takes-big-lock", test_init_takes_big_lock);
    g_test_add_func("/loop/quit-status", test_quit_status);
    g_test_add_func("/loop/call-from-thread", test_loop_call_from_thread);
    g_test_add_func("/loop/quit-from-thread", test_quit_from_thread);
    g_test_add_func("/bh/once-per-schedule", test_bh_runs_once_per_schedule);
    g_test_add_func("/bh/order", test_bh_order);
    g_test_add_func("/bh/frees-itself", test_bh_frees_itself);
    g_test_add_func("/bh/self-schedule-does-not-starve",
                    test_bh_self_schedule_does_not_starve);
    g_test_add_func("/bh/from-threads", test_bh_and_call_from_threads);
    g_test_add_func("/timer/order", test_timer_order);
    g_test_add_func("/timer/mod-and-del", test_timer_mod_and_del);
    g_test_add_func("/timer/modified-from-callback",
                    test_timer_modified_from_callback);
    g_test_add_func("/timer/rearmed-in-past-does-not-starve",
                    test_timer_rearmed_in_past_does_not_starve);
    g_test_add_func("/timer/bad-input", test_timer_bad_input);
    g_test_add_func("/timer/armed-from-vcpu", test_timer_armed_from_vcpu);
    g_test_add_func("/timer/rearmed-earlier-from-thread",
                    test_timer_rearmed_earlier_from_thread);
    g_test_add_func("/clock/host-and-realtime", test_clocks);
    g_test_add_func("/clock/virtual-frozen-while-stopped",
                    test_virtual_clock_frozen_while_stopped);
    g_test_add_func("/timer/virtual-waits-while-stopped",
                    test_virtual_timer_waits_while_stopped);
    g_test_add_func("/timer/virtual-resumes", test_virtual_timer_resumes);
    g_test_add_func("/fd/watch", test_fd_watch);
    g_test_add_func("/fd/hangup", test_fd_watch_hangup);
    g_test_add_func("/bql/released-while-polling",
                    test_big_lock_released_while_polling);
    g_test_add_func("/bql/join-releases", test_join_releases_big_lock);
    g_test_add_func("/vm/state-notifiers", test_vm_state_notifiers);
    g_test_add_func("/vm/vcpu-waits-while-stopped",
                    test_vcpu_waits_while_stopped);
    g_test_add_func("/vm/vcpu-released-by-quit", test_vcpu_released_by_quit);
    return g_test_run();
}
