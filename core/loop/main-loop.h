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

#endif
