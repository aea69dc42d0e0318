/*
 * chardev-mux.c - one backend shared by several frontends (mux=on, or
 * "mux,chardev=ID" over an existing one).
 *
 * The mux is the only frontend of its base.  Input goes to one of its own
 * frontends at a time; Ctrl-a followed by a key controls the mux itself
 * (the escape keys of QEMU's manual).  Output of all frontends is merged,
 * optionally with a timestamp at the start of each line.
 */
#include "chardev-internal.h"

#include <stdio.h>
#include <string.h>

#define MUX_ESCAPE 0x01 /* Ctrl-a */
/* Input the focused frontend has not taken yet.  Beyond this the mux
 * stops reading, but below it keeps reading one byte at a time so that
 * Ctrl-a c still works while a frontend is stuck. */
#define MUX_PENDING_MAX 256

typedef struct MuxState {
    TsChardev *base;
    bool owns_base;
    bool escape;
    bool timestamps;
    bool line_start;
    int64_t timestamp_origin_ns;
} MuxState;

static const char mux_help[] =
    "\r\n"
    "Ctrl-a h        show this help\r\n"
    "Ctrl-a x        quit the emulator\r\n"
    "Ctrl-a s        write disk changes to disk (snapshot=on)\r\n"
    "Ctrl-a b        send a break\r\n"
    "Ctrl-a c        move input to the next console (serial <-> monitor)\r\n"
    "Ctrl-a t        turn output timestamps on or off\r\n"
    "Ctrl-a Ctrl-a   send Ctrl-a itself\r\n";

static void mux_say(TsChardev *mux, const char *text)
{
    MuxState *s = mux->be_state;
    ts_chardev_write(s->base, text, strlen(text));
}

static void mux_switch_focus(TsChardev *mux)
{
    if (mux->fe_count < 2) {
        return;
    }
    chardev_mux_set_focus(mux, (mux->focus + 1) % mux->fe_count, NULL);
}

static void mux_command(TsChardev *mux, uint8_t key, GByteArray *run)
{
    MuxState *s = mux->be_state;

    /* Bytes typed before the command belong to the frontend that had the
     * input when they were typed. */
    if (key != MUX_ESCAPE && run->len) {
        chardev_deliver_input(mux, run->data, run->len);
        g_byte_array_set_size(run, 0);
    }
    switch (key) {
    case MUX_ESCAPE:
        g_byte_array_append(run, &key, 1);
        break;
    case 'h':
    case '?':
        mux_say(mux, mux_help);
        break;
    case 'x':
        mux_say(mux, "tessera: terminated\r\n");
        chardev_request_quit();
        break;
    case 's':
        mux_say(mux, "tessera: committing drives is not supported yet\r\n");
        break;
    case 'b':
        chardev_send_event(mux, TS_CHARDEV_EVENT_BREAK);
        break;
    case 'c':
        mux_switch_focus(mux);
        break;
    case 't':
        s->timestamps = !s->timestamps;
        s->timestamp_origin_ns = ts_clock_get_ns(TS_CLOCK_HOST);
        s->line_start = true;
        break;
    default:
        /* Unknown keys after Ctrl-a are swallowed, as a typo should not
         * reach the guest. */
        break;
    }
}

static size_t mux_can_receive(void *opaque)
{
    TsChardev *mux = opaque;
    size_t pending = mux->pending_in->len;
    if (pending >= MUX_PENDING_MAX || mux->fe_count == 0) {
        return 0;
    }
    if (pending) {
        return 1;
    }
    return MAX(chardev_frontend_space(mux), (size_t)1);
}

static void mux_receive(void *opaque, const uint8_t *buf, size_t len)
{
    TsChardev *mux = opaque;
    MuxState *s = mux->be_state;
    g_autoptr(GByteArray) run = g_byte_array_sized_new(len);

    for (size_t i = 0; i < len; i++) {
        if (s->escape) {
            s->escape = false;
            mux_command(mux, buf[i], run);
        } else if (buf[i] == MUX_ESCAPE) {
            s->escape = true;
        } else {
            g_byte_array_append(run, &buf[i], 1);
        }
    }
    chardev_deliver_input(mux, run->data, run->len);
}

static void mux_event(void *opaque, TsChardevEvent ev)
{
    TsChardev *mux = opaque;
    switch (ev) {
    case TS_CHARDEV_EVENT_OPENED:
        chardev_set_open(mux, true);
        break;
    case TS_CHARDEV_EVENT_CLOSED:
        chardev_set_open(mux, false);
        break;
    case TS_CHARDEV_EVENT_BREAK:
        chardev_send_event(mux, ev);
        break;
    default:
        break;
    }
}

static const TsChardevHandlers mux_handlers = {
    .can_receive = mux_can_receive,
    .receive = mux_receive,
    .event = mux_event,
};

static bool mux_open(TsChardev *chr, ChardevOpts *opts, GError **errp)
{
    const char *base_id = chardev_opts_require(opts, "chardev", errp);
    if (!base_id) {
        return false;
    }
    TsChardev *base = ts_chardev_find(base_id);
    if (!base) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "chardev '%s': chardev '%s' not found", chr->id, base_id);
        return false;
    }
    if (base->is_mux) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev '%s': cannot multiplex the mux '%s'", chr->id,
                    base_id);
        return false;
    }
    MuxState *s = g_new0(MuxState, 1);
    s->base = base;
    s->line_start = true;
    chr->be_state = s;
    chr->is_mux = true;
    chr->filename = g_strdup_printf("mux:%s", base_id);
    if (!ts_chardev_attach(base, &mux_handlers, chr, errp)) {
        s->base = NULL;
        return false;
    }
    base->mux = chr;
    chr->open = base->open;
    return true;
}

static void mux_close(TsChardev *chr)
{
    MuxState *s = chr->be_state;
    if (!s) {
        return;
    }
    if (s->base) {
        s->base->mux = NULL;
        ts_chardev_detach(s->base, chr);
        if (s->owns_base) {
            chardev_free(s->base);
        }
    }
    g_free(s);
    chr->be_state = NULL;
}

void chardev_mux_adopt_base(TsChardev *mux)
{
    MuxState *s = mux->be_state;
    s->owns_base = true;
}

TsChardev *chardev_mux_base(const TsChardev *mux)
{
    MuxState *s = mux->be_state;
    return s ? s->base : NULL;
}

static size_t mux_write(TsChardev *chr, const uint8_t *buf, size_t len)
{
    MuxState *s = chr->be_state;
    if (!s->timestamps) {
        return ts_chardev_write(s->base, buf, len);
    }
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (s->line_start) {
            int64_t ms = (ts_clock_get_ns(TS_CLOCK_HOST) -
                          s->timestamp_origin_ns) / 1000000;
            char stamp[48];
            ts_chardev_write(s->base, buf + start, i - start);
            start = i;
            snprintf(stamp, sizeof(stamp), "[%02d:%02d:%02d.%03d] ",
                     (int)(ms / 3600000), (int)(ms / 60000 % 60),
                     (int)(ms / 1000 % 60), (int)(ms % 1000));
            ts_chardev_write(s->base, stamp, strlen(stamp));
            s->line_start = false;
        }
        if (buf[i] == '\n') {
            s->line_start = true;
        }
    }
    ts_chardev_write(s->base, buf + start, len - start);
    return len;
}

static void mux_input_resumed(TsChardev *chr)
{
    MuxState *s = chr->be_state;
    ts_chardev_accept_input(s->base);
}

int chardev_mux_focus(const TsChardev *chr)
{
    return chr && chr->is_mux ? chr->focus : -1;
}

bool chardev_mux_set_focus(TsChardev *chr, int index, GError **errp)
{
    if (!chr || !chr->is_mux) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev '%s' is not a mux", chr ? chr->id : "?");
        return false;
    }
    if (index < 0 || index >= chr->fe_count) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev '%s' has no frontend %d", chr->id, index);
        return false;
    }
    if (index == chr->focus) {
        return true;
    }
    ChardevFrontend *old = &chr->fe[chr->focus];
    if (old->h->event) {
        old->h->event(old->opaque, TS_CHARDEV_EVENT_MUX_OUT);
    }
    chr->focus = index;
    ChardevFrontend *now = &chr->fe[index];
    if (now->h->event) {
        now->h->event(now->opaque, TS_CHARDEV_EVENT_MUX_IN);
    }
    ts_chardev_accept_input(chr);
    return true;
}

const ChardevBackend chardev_mux_backend = {
    .name = "mux",
    .description = "shares another chardev between frontends (chardev=ID)",
    .open = mux_open,
    .close = mux_close,
    .write = mux_write,
    .input_resumed = mux_input_resumed,
};
