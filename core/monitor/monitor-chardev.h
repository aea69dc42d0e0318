/*
 * core/monitor/monitor-chardev.h - monitors (HMP or QMP) on character devices:
 * `-monitor`, `-qmp`, `-mon chardev=ID,mode=readline|control`,
 * `-nographic`.  Core-internal.
 *
 * A monitor attaches to its chardev as a frontend.  Each time the
 * chardev opens (a client connects to a socket, or at once for stdio,
 * files, ptys) a new session starts: QMP sends its greeting, HMP its
 * banner and prompt.  When the peer goes away the session ends, and the
 * next connection starts afresh.
 *
 * On a mux (mux=on, -nographic) the HMP banner waits until the main loop
 * runs and is shown only if the monitor has the input then; otherwise it
 * comes with the first Ctrl-a c that selects the monitor, and every later
 * one shows the prompt again.  For QEMU's -nographic behaviour (the guest
 * console has the input first, the monitor is silent until Ctrl-a c),
 * attach the monitor before the serial port: the frontend attached last
 * gets the input.
 */
#ifndef TESSERA_CORE_MONITOR_CHARDEV_H
#define TESSERA_CORE_MONITOR_CHARDEV_H

#include <glib.h>
#include <stdbool.h>

#include <tessera/chardev.h>

typedef struct MonitorChardev MonitorChardev;

/*
 * Put a QMP monitor on chr.  pretty: replies and events are indented over
 * several lines (`-mon ...,pretty=on`) instead of one line each.
 * Returns NULL + errp if the chardev cannot take another frontend.
 */
MonitorChardev *monitor_attach_qmp(TsChardev *chr, bool pretty,
                                   GError **errp);

/* Put a human monitor on chr; NULL + errp as above. */
MonitorChardev *monitor_attach_hmp(TsChardev *chr, GError **errp);

/* Detach a monitor and end its session. */
void monitor_detach(MonitorChardev *mon);

/* Detach every monitor (end of main(), tests): before chardev_free_all()
 * and before qmp_cleanup() (which frees QMP sessions behind our back). */
void monitor_detach_all(void);

#endif
