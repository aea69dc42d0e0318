/*
 * core/util/log-setup.h - setting up the -d log from the command line.
 */
#ifndef TESSERA_CORE_LOG_SETUP_H
#define TESSERA_CORE_LOG_SETUP_H

#include <tessera/log.h>
#include <errno.h>
#include <stdio.h>

/* "-d in_asm,int": false + errp naming an unknown item. */
bool log_set_items(const char *list, GError **errp);
/* "-D file". */
bool log_set_file(const char *path, GError **errp);
/* True if -d items are on and no -D file was given: the log goes to
 * stderr (-daemonize then keeps stderr open). */
bool log_writes_to_stderr(void);
/* "-d help". */
void log_print_items(FILE *out);

#endif
