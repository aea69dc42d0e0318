/*
 * core/machine/rtc.h - the -rtc option (core/machine/rtc.c); devices use
 * ts_rtc_now_ns() and ts_rtc_clock() from <tessera/loop.h>.
 */
#ifndef TESSERA_CORE_RTC_H
#define TESSERA_CORE_RTC_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

/* -rtc [base=]utc|localtime|DATE[,clock=host|rt|vm][,driftfix=none|slew]:
 * false + QEMU's message. */
bool rtc_options_apply(const char *arg, GError **errp);
/* `-rtc help`. */
void rtc_options_print_help(FILE *out);

#endif
