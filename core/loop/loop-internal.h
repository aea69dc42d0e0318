/*
 * loop-internal.h - what the main loop's files (loop*.c) share.  Not part
 * of the SDK.
 *
 * Locks, always taken in this order, never the other way round:
 *   1. the big lock (loop.c)
 *   2. the schedule lock of bottom halves or of timers (loop-bh.c,
 *      loop-timer.c), held only for list manipulation, never across a
 *      callback or a GLib context call
 *   3. the clock lock (loop-timer.c), a leaf
 */
#ifndef TESSERA_CORE_LOOP_INTERNAL_H
#define TESSERA_CORE_LOOP_INTERNAL_H

#include <tessera/loop.h>
#include "main-loop.h"

/* The loop's context, with the bottom-half and timer sources attached.
 * Sets them up on first use (from any thread); does not take the big
 * lock, unlike ts_loop_init(). */
GMainContext *loop_context(void);

/* The mutex behind ts_bql_lock(), for g_cond_wait() in
 * ts_vm_wait_running(). */
GMutex *loop_bql_mutex(void);

/* After another thread changed what the loop waits for: wake the loop so
 * it re-evaluates its sources.  Does nothing in the loop's own thread,
 * which re-evaluates them before it polls again anyway. */
void loop_wake(void);

/* The GSource that runs scheduled bottom halves (loop-bh.c). */
GSource *loop_bh_source_new(void);

/* The GSource that fires expired timers of every clock (loop-timer.c). */
GSource *loop_timer_source_new(void);

/* The virtual clock starts or stops ticking (called by ts_vm_start and
 * ts_vm_stop, loop-vm.c). */
void loop_virtual_clock_set_ticking(bool ticking);

/* Wake vCPU threads sleeping in ts_vm_wait_running() so they re-check the
 * run state and ts_loop_quitting().  Big lock held. */
void loop_vm_wake_waiters(void);


/* Forget a finished ts_loop_quit() so that ts_loop_run() can run again
 * (unit tests run the loop many times in one process). */
void loop_quit_reset(void);

#endif
