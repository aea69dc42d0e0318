/*
 * tessera/loop.h - the main loop, clocks, timers, bottom halves, the big
 * lock, the VM run state and vCPU threads.
 *
 * Part of the Tessera plugin SDK.
 *
 * The main loop is GLib's default GMainContext.  Everything a device or a
 * backend waits for (file descriptors, timers, deferred work) is a source
 * on that context, so the main thread sleeps in one poll() until something
 * is due.  vCPUs run in threads of their own, outside the loop.
 *
 * THE BIG LOCK (ts_bql_lock)
 *
 * One mutex serialises all access to device and machine state:
 *
 *  - The core's main thread takes the lock when it sets the loop up and
 *    keeps it whenever it is not sleeping in poll(): every callback below
 *    (bottom halves, timers, fd watches, ts_loop_call, VM state notifiers)
 *    runs with the lock held.
 *  - The main loop releases the lock only while it polls, so other threads
 *    get it exactly when the loop has nothing to do.
 *  - A vCPU thread runs guest code WITHOUT the lock, and takes it around
 *    anything that touches devices (an MMIO access, raising an interrupt,
 *    arming a timer).  Hold it briefly: the main loop cannot run while you
 *    hold it.
 *  - The lock is not recursive.  ts_bql_locked() tells whether the calling
 *    thread holds it (e.g. for assertions).
 *  - Lock order: the big lock first, then any device-private lock.  Never
 *    wait for another thread that may need the big lock while holding it.
 *
 * Running, quitting, starting and stopping the loop and the VM are the
 * core's (a plugin asks for a shutdown with ts_request_shutdown).
 *
 * Thread safety of the calls below: ts_loop_quitting, ts_loop_call,
 * ts_bh_schedule, ts_clock_get_ns and ts_vm_running may be called from any
 * thread, with or without the lock.  Timers may be armed and cancelled from
 * any thread (vCPU threads do it with the lock held).  Everything else (freeing bottom halves and timers, fd watches, the state
 * notifier list) is done with the big lock held.
 */
#ifndef TESSERA_LOOP_H
#define TESSERA_LOOP_H

#include <tessera/types.h>

TS_BEGIN_DECLS

/* ------------------------------------------------------------------ */
/* The big lock (rules at the top of this file)                       */

/* Take the big lock; blocks until it is free.  Taking it twice in one
 * thread is a bug and aborts with a message (it would deadlock). */
void ts_bql_lock(void);

/* Release the big lock, which the calling thread must hold. */
void ts_bql_unlock(void);

/* True if the calling thread holds the big lock. */
bool ts_bql_locked(void);

/* ------------------------------------------------------------------ */
/* The loop                                                           */

/*
 * True once the core told the main loop to quit: vCPU threads should leave
 * their run loop and return.  Thread-safe.
 */
bool ts_loop_quitting(void);

/*
 * Run fn(opaque) once in the main loop thread, with the big lock held, at
 * the next iteration (never synchronously, even from the main thread).
 * Calls run in the order they were made.  Thread-safe.
 */
void ts_loop_call(void (*fn)(void *opaque), void *opaque);

/* ------------------------------------------------------------------ */
/* Bottom halves: deferred work, scheduled from anywhere              */

typedef struct TsBH TsBH;

/*
 * A bottom half that runs cb(opaque) in the main loop each time it is
 * scheduled.  `name` is for debugging (copied).  Never fails.
 */
TsBH *ts_bh_new(const char *name, void (*cb)(void *opaque), void *opaque);

/*
 * Run the bottom half at the next main loop iteration.  Scheduling it again
 * before it ran does nothing (it runs once); scheduling it from its own
 * callback runs it again at a later iteration, after other ready sources
 * had their turn.  Scheduled bottom halves run in the order they were
 * scheduled.  Thread-safe.
 */
void ts_bh_schedule(TsBH *bh);

/* Unschedule the bottom half if it has not run yet.  Big lock held. */
void ts_bh_cancel(TsBH *bh);

/* Cancel and free the bottom half (NULL is ignored).  May be called from
 * its own callback.  Big lock held. */
void ts_bh_free(TsBH *bh);

/* ------------------------------------------------------------------ */
/* File descriptor watches                                            */

typedef struct TsFdWatch TsFdWatch;

/*
 * Call cb(fd, revents, opaque) from the main loop whenever `fd` has one of
 * the conditions in `cond` (G_IO_IN, G_IO_OUT, ...; G_IO_HUP and G_IO_ERR
 * are always reported).  The callback returns true to keep watching, false
 * to remove the watch: the handle is then freed and must not be used
 * again.  Returns NULL if fd is negative.  Does not take ownership of fd.
 * Big lock held.
 */
TsFdWatch *ts_fd_watch_add(int fd, GIOCondition cond,
                           bool (*cb)(int fd, GIOCondition revents,
                                      void *opaque),
                           void *opaque);

/* Stop watching and free the handle (NULL is ignored).  May be called
 * from the watch's own callback (whose return value is then ignored).
 * Big lock held. */
void ts_fd_watch_remove(TsFdWatch *watch);

/* ------------------------------------------------------------------ */
/* Clocks                                                             */

typedef enum TsClockType {
    /* Host monotonic time: runs whether or not the VM runs.  For the
     * emulator's own housekeeping (reconnects, polling, UI refresh). */
    TS_CLOCK_HOST,
    /* Guest time: nanoseconds the VM has spent running, starting at 0.
     * Frozen while the VM is stopped, monotonic.  Device timers use it
     * so that a paused guest sees no time pass. */
    TS_CLOCK_VIRTUAL,
    /* Host wall-clock time (ns since the Unix epoch); may jump when the
     * host's clock is set.  For an RTC's initial value. */
    TS_CLOCK_REALTIME,
} TsClockType;

/* The current time of `type` in nanoseconds (0 for an unknown type).
 * Thread-safe. */
int64_t ts_clock_get_ns(TsClockType type);

/*
 * For real-time clock devices (-rtc): ts_rtc_now_ns is the time, in ns
 * since the Unix epoch, that a guest RTC shows until the guest sets it
 * (-rtc base=: the host's UTC by default, its local time, or a given
 * date); it advances with ts_rtc_clock(), the clock -rtc clock= chose
 * (TS_CLOCK_REALTIME for host, the default; TS_CLOCK_HOST for rt;
 * TS_CLOCK_VIRTUAL for vm, which stops while the VM is stopped).  Arm an
 * RTC's alarm timers on ts_rtc_clock().  Main loop thread or with the
 * big lock.
 */
int64_t ts_rtc_now_ns(void);
TsClockType ts_rtc_clock(void);

/* ------------------------------------------------------------------ */
/* Timers                                                             */

typedef struct TsTimer TsTimer;

/*
 * A one-shot timer on clock `type` that runs cb(opaque) in the main loop
 * when the clock reaches the expiry time set with ts_timer_mod().  Created
 * unarmed.  Returns NULL for an unknown clock type.
 */
TsTimer *ts_timer_new(TsClockType type, void (*cb)(void *opaque),
                      void *opaque);

/*
 * Arm (or re-arm) the timer to fire once its clock reaches `expire_ns`
 * (an absolute time on the timer's clock, see ts_clock_get_ns()).  A time
 * in the past fires at the next iteration.  Timers fire in order of expiry
 * time (ties: in the order they were armed).  A virtual timer never fires
 * while the VM is stopped.  May be called from the timer's own callback
 * (for periodic timers) and from any thread.
 */
void ts_timer_mod(TsTimer *timer, int64_t expire_ns);

/* Disarm the timer (nothing if it is not armed).  Any thread. */
void ts_timer_del(TsTimer *timer);

/* True if the timer is armed and has not fired yet.  Any thread. */
bool ts_timer_pending(TsTimer *timer);

/* The expiry time the timer is armed for, or -1 if it is not armed. */
int64_t ts_timer_expire_time(TsTimer *timer);

/* Disarm and free the timer (NULL is ignored).  May be called from its own
 * callback.  Big lock held, or from the thread that owns the timer. */
void ts_timer_free(TsTimer *timer);

/* ------------------------------------------------------------------ */
/* VM run state                                                       */

/* True while the VM runs (guest time advances).  Thread-safe. */
bool ts_vm_running(void);

/*
 * Call fn(running, opaque) after every change of the run state, with the
 * big lock held, in the order the notifiers were added.
 */
void ts_vm_state_notifier_add(void (*fn)(bool running, void *opaque),
                              void *opaque);

/* Remove a notifier added with the same fn and opaque (nothing if none). */
void ts_vm_state_notifier_remove(void (*fn)(bool running, void *opaque),
                                 void *opaque);

/*
 * For vCPU threads: sleep until the VM runs or the loop quits, releasing
 * the big lock while asleep.  Call it with the big lock held; it returns
 * with the lock held.  Check ts_loop_quitting() afterwards.
 */
void ts_vm_wait_running(void);

/* ------------------------------------------------------------------ */
/* Threads                                                            */

typedef struct TsThread TsThread;

/*
 * Start a thread (e.g. a vCPU) that runs fn(opaque).  With -name
 * debug-threads=on, `name` is shown by the host's tools (truncated to 15
 * characters on Linux); otherwise the thread keeps the process name.  The
 * thread
 * starts without the big lock.  Returns NULL if the host cannot create
 * another thread.
 */
TsThread *ts_thread_start(const char *name, void *(*fn)(void *opaque),
                          void *opaque);

/*
 * Wait for the thread to end, free the handle and return what fn
 * returned.  If the caller holds the big lock, it is released while
 * waiting (the thread may need it to finish) and taken again before
 * returning.  vCPU threads leave their loop once ts_loop_quitting().
 */
void *ts_thread_join(TsThread *thread);

TS_END_DECLS

#endif
