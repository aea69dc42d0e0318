/*
 * core/monitor/monitor-chardev.c - HMP and QMP sessions on chardevs: one session
 * per connection, input from the chardev, output through it.
 */
#include "chardev/chardevs.h"
#include <tessera/loop.h>
#include "hmp.h"
#include "monitor-chardev.h"
#include "monitor-hooks.h"
#include "qmp.h"

struct MonitorChardev {
    TsChardev *chr;
    bool is_qmp;
    bool pretty;
    QmpSession *qmp;
    HmpSession *hmp;
    /* On a mux: whether we have the input, and whether the HMP banner
     * waits for it.  At start-up the command line attaches the monitor
     * and then the serial port, which takes the input: so the banner is
     * held back until the main loop runs (greet_bh), and then shown only
     * if we still have the input; otherwise at the first Ctrl-a c. */
    bool focused;
    bool greet_pending;
    TsBH *greet_bh;
    /* QMP events left out this session (MONITOR_EVENT_BACKLOG). */
    uint64_t events_dropped;
};

static GPtrArray *monitors;

/*
 * A monitor never drops or cuts a reply (chardev_write_all), so a peer
 * that sends commands and does not read the replies would make them pile
 * up without bound.  Instead, once this much output waits for the peer,
 * the monitor stops taking input: the commands stay unread in the host's
 * socket buffer (the peer's writes block) until the peer has read every
 * reply, and then reading resumes.  The connection is kept, as QEMU does.
 * The bound on memory is this, plus the replies to one chunk of input
 * already read (MONITOR_INPUT_CHUNK: the commands in it run together; a
 * small chunk keeps what a burst of big replies adds small, at the cost
 * of more reads).
 */
#define MONITOR_OUTPUT_BACKLOG (64 * 1024)
#define MONITOR_INPUT_CHUNK 512

/*
 * Events are not answers to the peer's commands, so not reading commands
 * does not hold them back: a guest that resets in a loop sends RESET after
 * RESET to a QMP peer that may never read (about 100 kB a second).  Past
 * this much unread output, an event is left out for that peer, whole; the
 * count shows in the log at the end of the session.  Replies are never
 * left out.
 */
#define MONITOR_EVENT_BACKLOG (1024 * 1024)

/* ---- output ---------------------------------------------------------------- */

static void append_indent(GString *s, int level)
{
    g_string_append_c(s, '\n');
    for (int i = 0; i < level; i++) {
        g_string_append(s, "    ");
    }
}

/*
 * Re-lay one compact QMP message ({"a": 1, "b": [2]}) over several lines.
 * Working on the text keeps string escaping in one place (json-stream.c);
 * only structure outside strings is touched.
 */
static GString *pretty_print(const char *text, size_t len)
{
    GString *s = g_string_sized_new(len * 2);
    bool in_string = false, escaped = false;
    int level = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (in_string) {
            g_string_append_c(s, ch);
            if (escaped) {
                escaped = false;
            } else if (ch == '\\') {
                escaped = true;
            } else if (ch == '"') {
                in_string = false;
            }
            continue;
        }
        switch (ch) {
        case '"':
            in_string = true;
            g_string_append_c(s, ch);
            break;
        case '{':
        case '[':
            if (i + 1 < len && (text[i + 1] == '}' || text[i + 1] == ']')) {
                g_string_append_c(s, ch);       /* {} and [] stay compact */
                g_string_append_c(s, text[++i]);
                break;
            }
            g_string_append_c(s, ch);
            append_indent(s, ++level);
            break;
        case '}':
        case ']':
            append_indent(s, level > 0 ? --level : 0);
            g_string_append_c(s, ch);
            break;
        case ',':
            g_string_append_c(s, ch);
            append_indent(s, level);
            if (i + 1 < len && text[i + 1] == ' ') {
                i++;
            }
            break;
        default:
            g_string_append_c(s, ch);
            break;
        }
    }
    return s;
}

static void qmp_write(const char *data, size_t len, void *opaque)
{
    MonitorChardev *mon = opaque;
    if (qmp_sending_event() &&
        chardev_output_pending(mon->chr) > MONITOR_EVENT_BACKLOG) {
        mon->events_dropped++;
        return;
    }
    if (mon->pretty) {
        GString *s = pretty_print(data, len);
        chardev_write_all(mon->chr, s->str, s->len);
        g_string_free(s, TRUE);
    } else {
        chardev_write_all(mon->chr, data, len);
    }
}

static void hmp_write(const char *data, size_t len, void *opaque)
{
    MonitorChardev *mon = opaque;
    chardev_write_all(mon->chr, data, len);
}

/* ---- sessions ---------------------------------------------------------------- */

static void end_session(MonitorChardev *mon)
{
    if (mon->events_dropped) {
        g_printerr("warning: QMP monitor on chardev '%s': %" G_GUINT64_FORMAT
                   " events were left out for a peer that did not read "
                   "its output\n", ts_chardev_id(mon->chr),
                   (guint64)mon->events_dropped);
        mon->events_dropped = 0;
    }
    if (mon->qmp) {
        QmpSession *s = mon->qmp;
        mon->qmp = NULL;
        qmp_session_free(s);
    }
    if (mon->hmp) {
        HmpSession *s = mon->hmp;
        mon->hmp = NULL;
        hmp_session_free(s);
    }
    mon->greet_pending = false;
}

/* Whether our frontend receives the input (always, unless on a mux). */
static bool has_focus(MonitorChardev *mon)
{
    return chardev_frontend_has_focus(mon->chr, mon);
}

static void greet(MonitorChardev *mon)
{
    if (mon->hmp && mon->greet_pending) {
        mon->greet_pending = false;
        hmp_session_greet(mon->hmp);
    }
}

static void greet_if_focused(void *opaque)
{
    MonitorChardev *mon = opaque;
    if (mon->focused) {
        greet(mon);
    }
}

static void start_session(MonitorChardev *mon)
{
    end_session(mon);
    if (mon->is_qmp) {
        mon->qmp = qmp_session_new(qmp_write, mon);
        return;
    }
    mon->hmp = hmp_session_new(hmp_write, mon);
    mon->greet_pending = true;
    mon->focused = has_focus(mon);
    if (!chardev_is_mux(mon->chr)) {
        greet(mon);
    } else if (mon->focused) {
        if (!mon->greet_bh) {
            mon->greet_bh = ts_bh_new("monitor-greeting", greet_if_focused,
                                      mon);
        }
        ts_bh_schedule(mon->greet_bh);
    }
}

/* ---- frontend handlers ------------------------------------------------------------ */

static size_t monitor_can_receive(void *opaque)
{
    /* Commands run synchronously, so any amount can be taken, unless
     * replies back up (see MONITOR_OUTPUT_BACKLOG); the chardev offers
     * input again once its output has drained.  Input between sessions
     * (none can arrive, really) is dropped. */
    MonitorChardev *mon = opaque;
    if (chardev_output_pending(mon->chr) > MONITOR_OUTPUT_BACKLOG) {
        return 0;
    }
    return MONITOR_INPUT_CHUNK;
}

static void monitor_receive(void *opaque, const uint8_t *buf, size_t len)
{
    MonitorChardev *mon = opaque;
    if (mon->qmp) {
        qmp_session_feed(mon->qmp, buf, len);
    } else if (mon->hmp) {
        hmp_session_feed(mon->hmp, buf, len);
    }
}

static void monitor_event(void *opaque, TsChardevEvent event)
{
    MonitorChardev *mon = opaque;
    switch (event) {
    case TS_CHARDEV_EVENT_OPENED:
        start_session(mon);
        break;
    case TS_CHARDEV_EVENT_CLOSED:
        end_session(mon);
        break;
    case TS_CHARDEV_EVENT_MUX_IN:
        if (mon->focused) {
            break;              /* known already (from OPENED at attach) */
        }
        mon->focused = true;
        if (mon->greet_pending) {
            greet(mon);
        } else if (mon->hmp) {
            hmp_session_show_prompt(mon->hmp);
        }
        break;
    case TS_CHARDEV_EVENT_MUX_OUT:
        mon->focused = false;
        break;
    case TS_CHARDEV_EVENT_BREAK:
    default:
        break;
    }
}

static const TsChardevHandlers monitor_handlers = {
    .can_receive = monitor_can_receive,
    .receive = monitor_receive,
    .event = monitor_event,
};

/* ---- attach / detach ------------------------------------------------------------- */

static MonitorChardev *attach(TsChardev *chr, bool is_qmp, bool pretty,
                              GError **errp)
{
    if (!chr) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "monitor: no chardev given");
        return NULL;
    }
    MonitorChardev *mon = g_new0(MonitorChardev, 1);
    mon->chr = chr;
    mon->is_qmp = is_qmp;
    mon->pretty = pretty;
    if (!monitors) {
        monitors = g_ptr_array_new();
    }
    g_ptr_array_add(monitors, mon);
    /* Attaching to an open chardev starts the session right here. */
    if (!ts_chardev_attach(chr, &monitor_handlers, mon, errp)) {
        g_ptr_array_remove(monitors, mon);
        g_free(mon);
        return NULL;
    }
    return mon;
}

MonitorChardev *monitor_attach_qmp(TsChardev *chr, bool pretty,
                                   GError **errp)
{
    return attach(chr, true, pretty, errp);
}

MonitorChardev *monitor_attach_hmp(TsChardev *chr, GError **errp)
{
    return attach(chr, false, false, errp);
}

void monitor_detach(MonitorChardev *mon)
{
    if (!mon) {
        return;
    }
    ts_chardev_detach(mon->chr, mon);
    ts_bh_free(mon->greet_bh);
    end_session(mon);
    if (monitors) {
        g_ptr_array_remove(monitors, mon);
    }
    g_free(mon);
}

void monitor_detach_all(void)
{
    while (monitors && monitors->len) {
        monitor_detach(g_ptr_array_index(monitors, monitors->len - 1));
    }
    g_clear_pointer(&monitors, g_ptr_array_unref);
}
