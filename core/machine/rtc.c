/*
 * core/machine/rtc.c - -rtc base=,clock=,driftfix=: what time a guest's
 * real-time clock shows and which clock it runs on (QEMU's manual,
 * "Standard options").  RTC device models read it with ts_rtc_now_ns()
 * and arm their alarms on ts_rtc_clock().
 *
 *   base=utc (default), localtime, or a start date ("2006-06-17T16:01:21"
 *        or "2006-06-17", taken as UTC as QEMU does);
 *   clock=host (default: the host's wall clock, which may be set),
 *        rt (the host's monotonic clock: host clock changes do not reach
 *        the guest), vm (the guest's virtual clock: stops while the VM is
 *        stopped);
 *   driftfix=none|slew: slew compensates lost ticks of x86 timer
 *        interrupts; no RTC here raises periodic ticks, so both are
 *        accepted and mean the same.
 */
#include "rtc.h"
#include "cli/opts.h"

#include <tessera/loop.h>
#include <tessera/types.h>
#include <stdio.h>
#include <time.h>

static TsClockType rtc_clock = TS_CLOCK_REALTIME;
/* base=DATE: that time; otherwise the host's wall clock plus
 * base_offset (the local time zone's for base=localtime), read when the
 * first device asks (the guest's start, not the command line's). */
static bool base_fixed;
static int64_t base_offset;
static int64_t base_ns;         /* the RTC's time when clock_start read */
static int64_t clock_start;
static bool started;

/* "YYYY-MM-DDTHH:MM:SS" or "YYYY-MM-DD" as UTC seconds. */
static bool parse_datetime(const char *text, int64_t *secs)
{
    int y, mo, d, h = 0, mi = 0, s = 0;
    char tail;
    int n = sscanf(text, "%d-%d-%dT%d:%d:%d%c", &y, &mo, &d, &h, &mi, &s,
                   &tail);
    if (n != 6 && !(n == 3 && sscanf(text, "%d-%d-%d%c", &y, &mo, &d,
                                     &tail) == 3)) {
        return false;
    }
    g_autoptr(GDateTime) dt = g_date_time_new_utc(y, mo, d, h, mi, s);
    if (!dt || y < 1970) {
        return false;
    }
    *secs = g_date_time_to_unix(dt);
    return true;
}

bool rtc_options_apply(const char *arg, GError **errp)
{
    g_autoptr(TsOpts) o = opts_parse(arg, NULL, errp);
    if (!o) {
        return false;
    }
    static const char *const keys[] = { "base", "clock", "driftfix", NULL };
    if (!opts_check_keys(o, keys, errp)) {
        return false;
    }
    const char *clock = opts_get(o, "clock");
    TsClockType type = TS_CLOCK_REALTIME;
    if (clock) {
        if (g_str_equal(clock, "host")) {
            type = TS_CLOCK_REALTIME;
        } else if (g_str_equal(clock, "rt")) {
            type = TS_CLOCK_HOST;
        } else if (g_str_equal(clock, "vm")) {
            type = TS_CLOCK_VIRTUAL;
        } else {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "invalid option value '%s'", clock);
            return false;
        }
    }
    const char *drift = opts_get(o, "driftfix");
    if (drift && !g_str_equal(drift, "none") &&
        !g_str_equal(drift, "slew")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "invalid option value '%s'", drift);
        return false;
    }
    const char *base = opts_get(o, "base");
    bool fixed = false;
    int64_t offset = 0, ns = 0;
    if (base && g_str_equal(base, "localtime")) {
        /* The local time of day, shown as if it were UTC, as a PC's
         * clock kept in local time does. */
        g_autoptr(GDateTime) local = g_date_time_new_now_local();
        offset = g_date_time_get_utc_offset(local) * 1000;
    } else if (base && !g_str_equal(base, "utc")) {
        int64_t secs;
        if (!parse_datetime(base, &secs)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "invalid datetime format (valid formats: "
                        "'2006-06-17T16:01:21' or '2006-06-17')");
            return false;
        }
        ns = secs * 1000000000LL;
        fixed = true;
    }
    rtc_clock = type;
    base_fixed = fixed;
    base_offset = offset;
    base_ns = ns;
    started = false;
    return true;
}

void rtc_options_print_help(FILE *out)
{
    fprintf(out, "rtc options:\n  base=<str>\n  clock=<str>\n"
            "  driftfix=<str>\n");
}

TS_EXPORT TsClockType ts_rtc_clock(void)
{
    return rtc_clock;
}

TS_EXPORT int64_t ts_rtc_now_ns(void)
{
    if (!started) {
        if (!base_fixed) {
            base_ns = ts_clock_get_ns(TS_CLOCK_REALTIME) + base_offset;
        }
        clock_start = ts_clock_get_ns(rtc_clock);
        started = true;
    }
    return base_ns + (ts_clock_get_ns(rtc_clock) - clock_start);
}
