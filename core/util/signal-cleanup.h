/*
 * core/util/signal-cleanup.h - what a termination signal must still undo
 * when it ends the process before the main loop can take it.
 *
 * Once the main loop runs, SIGTERM/SIGINT/SIGHUP become an orderly
 * shutdown that removes the pid file and unix sockets and restores the
 * terminal.  During start-up nothing reads the signal (start-up may be
 * blocked in a socket chardev's wait=on, or opening a FIFO), so the
 * handler ends the process itself; this is the list of what it undoes on
 * the way, kept in static storage so that the handler can walk it.
 */
#ifndef TESSERA_CORE_SIGNAL_CLEANUP_H
#define TESSERA_CORE_SIGNAL_CLEANUP_H

/* Remove `path` (a file this process created) if a signal ends start-up
 * and it is still that file (not one another process put there since).
 * A relative path is taken from the current directory now.  Returns a
 * handle for signal_cleanup_forget, or -1 when the list is full or the
 * path too long (the file is then left behind, as before). */
int signal_cleanup_add_path(const char *path);

/* The file of `handle` (-1 is ignored) is the owner's to remove again:
 * call before the owner removes or gives it up. */
void signal_cleanup_forget(int handle);

/* Called (with no argument, from the signal handler) to put the terminal
 * back; must be async-signal-safe.  NULL clears it. */
void signal_cleanup_set_terminal(void (*restore)(void));

/* Undo everything listed.  Async-signal-safe: lstat, unlink and the
 * terminal function only. */
void signal_cleanup_run(void);

#endif
