/*
 * chardev-ringbuf.c - ringbuf (alias memory): output is kept in a
 * fixed-size ring that a monitor command reads later; when full, the
 * oldest bytes are overwritten so the ring always holds the latest output.
 */
#include "chardev-internal.h"

#define RINGBUF_DEFAULT_SIZE (64 * 1024)
#define RINGBUF_MAX_SIZE (1u << 30)

typedef struct Ringbuf {
    uint8_t *data;
    size_t size;        /* power of two */
    uint64_t head;      /* total bytes ever written */
    uint64_t tail;      /* total bytes ever read or overwritten */
} Ringbuf;

static bool ringbuf_open(TsChardev *chr, ChardevOpts *opts, GError **errp)
{
    uint64_t size;
    if (!chardev_opts_get_size(opts, "size", RINGBUF_DEFAULT_SIZE, &size,
                               errp)) {
        return false;
    }
    if (size == 0 || (size & (size - 1)) || size > RINGBUF_MAX_SIZE) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev '%s': ringbuf size must be a power of two "
                    "between 1 and 1G, not %" G_GUINT64_FORMAT,
                    chr->id, size);
        return false;
    }
    Ringbuf *rb = g_new0(Ringbuf, 1);
    rb->size = size;
    rb->data = g_malloc0(size);
    chr->be_state = rb;
    chr->filename = g_strdup("ringbuf");
    chr->open = true;
    return true;
}

static void ringbuf_close(TsChardev *chr)
{
    Ringbuf *rb = chr->be_state;
    if (rb) {
        g_free(rb->data);
        g_free(rb);
        chr->be_state = NULL;
    }
}

static size_t ringbuf_write_out(TsChardev *chr, const uint8_t *buf,
                                size_t len)
{
    Ringbuf *rb = chr->be_state;
    for (size_t i = 0; i < len; i++) {
        rb->data[rb->head & (rb->size - 1)] = buf[i];
        rb->head++;
        if (rb->head - rb->tail > rb->size) {
            rb->tail = rb->head - rb->size;
        }
    }
    return len;
}

static bool is_ringbuf(const TsChardev *chr)
{
    return chr && (chr->be == &chardev_ringbuf_backend ||
                   chr->be == &chardev_memory_backend);
}

GBytes *chardev_ringbuf_read(TsChardev *chr, size_t max, GError **errp)
{
    if (!is_ringbuf(chr)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev '%s' is not a ringbuf", chr ? chr->id : "?");
        return NULL;
    }
    Ringbuf *rb = chr->be_state;
    size_t n = MIN(max, (size_t)(rb->head - rb->tail));
    uint8_t *out = g_malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        out[i] = rb->data[(rb->tail + i) & (rb->size - 1)];
    }
    rb->tail += n;
    return g_bytes_new_take(out, n);
}

bool chardev_ringbuf_write(TsChardev *chr, const void *buf, size_t len,
                           GError **errp)
{
    if (!is_ringbuf(chr)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev '%s' is not a ringbuf", chr ? chr->id : "?");
        return false;
    }
    chardev_deliver_input(chr, buf, len);
    return true;
}

const ChardevBackend chardev_ringbuf_backend = {
    .name = "ringbuf",
    .description = "keeps the latest output in memory (size=, power of 2)",
    .open = ringbuf_open,
    .close = ringbuf_close,
    .write = ringbuf_write_out,
};

const ChardevBackend chardev_memory_backend = {
    .name = "memory",
    .description = "alias of ringbuf",
    .open = ringbuf_open,
    .close = ringbuf_close,
    .write = ringbuf_write_out,
};
