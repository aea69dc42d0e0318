/*
 * core/monitor/hmp.c - human monitor sessions: the line editor in front, command
 * output behind, and human-monitor-command's session-less runs.
 */
#include "config.h"
#include "hmp.h"
#include "qmp.h"
#include "readline.h"
#include <tessera/loop.h>

#include <string.h>

struct HmpSession {
    HmpWriteFn write;
    void *opaque;
    ReadLine *rl;
    HmpState state;

    /* A free requested while our code is on the stack waits for it. */
    unsigned busy;
    bool free_pending;
};

/* ---- output helpers for commands ---------------------------------------- */

void hmp_printf(HmpCall *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_string_append_vprintf(c->out, fmt, ap);
    va_end(ap);
}

void hmp_print_error(HmpCall *c, const GError *err)
{
    hmp_printf(c, "Error: %s\n", err->message);
}

void hmp_after_output(HmpCall *c, void (*fn)(void *opaque), void *opaque)
{
    HmpAction a = { fn, opaque };
    g_array_append_val(c->after, a);
}

static void call_init(HmpCall *c, HmpState *state)
{
    c->out = g_string_new(NULL);
    c->state = state;
    c->after = g_array_new(FALSE, FALSE, sizeof(HmpAction));
}

static void call_run_after(HmpCall *c)
{
    for (guint i = 0; i < c->after->len; i++) {
        HmpAction *a = &g_array_index(c->after, HmpAction, i);
        a->fn(a->opaque);
    }
    g_array_set_size(c->after, 0);
}

static void call_clear(HmpCall *c)
{
    g_string_free(c->out, TRUE);
    g_array_unref(c->after);
}

/* ---- sessions -------------------------------------------------------------- */

/* Terminals want CR LF; commands print plain "\n". */
static void session_write_text(HmpSession *s, const char *text, size_t len)
{
    GString *crlf = g_string_sized_new(len + 16);
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) {
            g_string_append_c(crlf, '\r');
        }
        g_string_append_c(crlf, text[i]);
    }
    s->write(crlf->str, crlf->len, s->opaque);
    g_string_free(crlf, TRUE);
}

static void editor_output(const char *data, size_t len, void *opaque)
{
    HmpSession *s = opaque;
    if (!s->free_pending) {
        s->write(data, len, s->opaque);
    }
}

static void session_destroy(HmpSession *s)
{
    readline_free(s->rl);
    g_free(s);
}

static void session_release(HmpSession *s)
{
    if (--s->busy == 0 && s->free_pending) {
        session_destroy(s);
    }
}

static void editor_line(const char *line, void *opaque)
{
    HmpSession *s = opaque;
    if (s->free_pending) {
        return;
    }
    HmpCall c;
    call_init(&c, &s->state);
    hmp_execute(&c, line);
    if (c.out->len) {
        session_write_text(s, c.out->str, c.out->len);
    }
    call_run_after(&c);
    call_clear(&c);
    /* no prompt after `quit` (the emulator is on its way out) */
    if (!s->free_pending && !ts_loop_quitting()) {
        readline_show_prompt(s->rl);
    }
}

HmpSession *hmp_session_new(HmpWriteFn write, void *opaque)
{
    HmpSession *s = g_new0(HmpSession, 1);
    s->write = write;
    s->opaque = opaque;
    s->state = (HmpState)HMP_STATE_INIT;
    s->rl = readline_new(HMP_PROMPT, editor_output, editor_line, s);
    return s;
}

void hmp_session_greet(HmpSession *s)
{
    s->busy++;
    static const char banner[] =
        "Tessera " TS_VERSION " monitor - type 'help' for more information\n";
    session_write_text(s, banner, strlen(banner));
    if (!s->free_pending) {
        readline_show_prompt(s->rl);
    }
    session_release(s);
}

void hmp_session_show_prompt(HmpSession *s)
{
    s->busy++;
    readline_show_prompt(s->rl);
    session_release(s);
}

void hmp_session_feed(HmpSession *s, const void *buf, size_t len)
{
    if (s->free_pending) {
        return;
    }
    s->busy++;
    const uint8_t *bytes = buf;
    /* Byte by byte: a line may end the session (the peer hung up while
     * we answered), and then the rest is not for anyone. */
    for (size_t i = 0; i < len && !s->free_pending; i++) {
        readline_feed(s->rl, bytes + i, 1);
    }
    session_release(s);
}

void hmp_session_free(HmpSession *s)
{
    if (!s) {
        return;
    }
    if (s->busy) {
        s->free_pending = true;
        return;
    }
    session_destroy(s);
}

/* ---- human-monitor-command --------------------------------------------------- */

/* qmp_run_after_reply wants a function of one pointer; keep the action. */
typedef struct DeferredAction {
    HmpAction action;
} DeferredAction;

static void run_deferred(void *opaque)
{
    DeferredAction *d = opaque;
    d->action.fn(d->action.opaque);
    g_free(d);
}

char *hmp_run_command(const char *line, int cpu_index)
{
    HmpState state = HMP_STATE_INIT;
    if (cpu_index > 0) {
        state.cpu_index = (unsigned)cpu_index;
    }
    HmpCall c;
    call_init(&c, &state);
    hmp_execute(&c, line);
    /* The QMP reply carries the output, so it must go out first. */
    for (guint i = 0; i < c.after->len; i++) {
        DeferredAction *d = g_new(DeferredAction, 1);
        d->action = g_array_index(c.after, HmpAction, i);
        qmp_run_after_reply(run_deferred, d);
    }
    g_array_unref(c.after);
    return g_string_free(c.out, FALSE);
}
