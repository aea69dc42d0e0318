/*
 * loop/main-loop.h - what the rest of the core (the command line, the
 * monitors) does with the main loop itself.  Plugins see <tessera/loop.h>;
 * what the loop*.c files share is loop-internal.h.
 */
#ifndef TESSERA_CORE_MAIN_LOOP_H
#define TESSERA_CORE_MAIN_LOOP_H

#include <stdbool.h>

/* -name debug-threads=on: give threads started from now on their own
 * names (ts_thread_start's name); off, they keep the process name. */
void loop_set_thread_naming(bool on);

/* Take the big lock if it is free, without waiting: true if the calling
 * thread now holds it (release with ts_bql_unlock).  For a worker that
 * can hand its result over itself when nobody holds the lock, and must
 * not wait for it (the lock's holder may be waiting for the worker). */
bool loop_bql_trylock(void);

/* The loop and the VM run state are driven by the core alone (the command
 * line, the monitors, runstate); plugins only observe them through
 * <tessera/loop.h>. */

/*
 * Set up the main loop on g_main_context_default().  The first call makes
 * the calling thread the main thread and takes the big lock for it (see
 * above); later calls do nothing.
 */
void ts_loop_init(void);

/*
 * Run the main loop in the calling thread until ts_loop_quit() is called,
 * and return the status given to it.  Takes the big lock for the duration
 * if the caller does not hold it already.  If the loop was already told to
 * quit, returns at once.
 */
int ts_loop_run(void);

/*
 * Ask the main loop to stop; ts_loop_run() returns `status`.  The first
 * status given wins.  Wakes vCPU threads sleeping in ts_vm_wait_running().
 * Thread-safe (may take the big lock briefly); not async-signal-safe.
 */
void ts_loop_quit(int status);

/*
 * Start or resume the VM: the virtual clock ticks again, virtual timers
 * fire, vCPU threads in ts_vm_wait_running() wake up, and the state
 * notifiers run with running=true.  Nothing happens if it already runs.
 * Takes the big lock if the caller does not hold it.
 */
void ts_vm_start(void);

/*
 * Stop (pause) the VM: the virtual clock freezes and the state notifiers
 * run with running=false.  vCPU threads notice it through ts_vm_running()
 * (an accelerator kicks its vCPUs from a state notifier) and then park in
 * ts_vm_wait_running().  Nothing happens if it is already stopped.  Takes
 * the big lock if the caller does not hold it.
 */
void ts_vm_stop(void);

#endif
