/*
 * virtio-console.c - the console device (VIRTIO 1.2, 5.3) with a single
 * port (no VIRTIO_CONSOLE_F_MULTIPORT): queue 0 receives (host to guest),
 * queue 1 transmits (guest to host), both joined to the chardev named by
 * the "chardev" property.  Without one, output is dropped and no input
 * comes, like a serial line nobody listens to.
 *
 * Flow control: the chardev asks can_receive() before it hands over
 * input; we answer with the room in the next receive buffer the driver
 * posted, and 0 when there is none, which pauses the backend until the
 * driver posts buffers again (its notification calls
 * ts_chardev_accept_input()).  Transmit never waits: the chardev buffers
 * what its host side cannot take yet.
 *
 * VIRTIO_CONSOLE_F_EMERG_WRITE is offered: a byte written to emerg_wr
 * goes straight out, usable before the queues are set up.
 */
#include "virtio.h"

#define CONSOLE_DEVICE_ID 3
#define CONSOLE_F_EMERG_WRITE 2

#define QUEUE_RX 0
#define QUEUE_TX 1

/* Configuration: le16 cols, le16 rows, le32 max_nr_ports, le32 emerg_wr. */
#define CONFIG_SIZE 12
#define CONFIG_EMERG_WR 8

/* Bytes sent per call of the transmit work before yielding. */
#define TX_WORK_BYTES (64 * 1024)

typedef struct VirtioConsole {
    VirtioMmio parent;
    char *chardev_id;           /* property */
    TsChardev *chr;
    /* Receive: the buffer being filled (taken in can_receive). */
    bool rx_held;
    VirtqChain rx_chain;
    /* Transmit: the chain being sent and how far it got, so a huge chain
     * is sent over several calls. */
    bool tx_held;
    unsigned tx_seg;
    uint32_t tx_off;
    VirtqChain tx_chain;
} VirtioConsole;

/* ---- Receive --------------------------------------------------------- */

static size_t console_can_receive(void *opaque)
{
    VirtioConsole *c = opaque;
    VirtioMmio *v = &c->parent;
    VirtQueue *vq = &v->vq[QUEUE_RX];
    if (!virtio_mmio_queue_active(v, QUEUE_RX)) {
        return 0;
    }
    if (c->rx_held) {
        return c->rx_chain.in_len;
    }
    if (!virtio_mmio_begin(v)) {
        return 0;
    }
    /* Take the next buffer with room; give back empty ones (a queue's
     * worth at most: the driver may be adding them as we go). */
    for (uint32_t tries = 0; tries < vq->num && !c->rx_held; tries++) {
        GError *err = NULL;
        int got = virtq_pop(vq, &c->rx_chain, &err);
        if (got < 0) {
            virtio_mmio_queue_error(v, QUEUE_RX, err);
            break;
        }
        if (got == 0) {
            break;
        }
        if (c->rx_chain.in_len) {
            c->rx_held = true;
        } else if (!virtq_push(vq, c->rx_chain.head, 0, &err)) {
            virtio_mmio_queue_error(v, QUEUE_RX, err);
            break;
        }
    }
    virtio_mmio_notify(v, QUEUE_RX);
    virtio_mmio_end(v);
    return c->rx_held ? c->rx_chain.in_len : 0;
}

static void console_receive(void *opaque, const uint8_t *buf, size_t len)
{
    VirtioConsole *c = opaque;
    VirtioMmio *v = &c->parent;
    VirtQueue *vq = &v->vq[QUEUE_RX];
    /* The chardev never hands more than can_receive() allowed; a reset in
     * between (rx_held cleared) drops the bytes, as a real reset would. */
    if (!c->rx_held || len > c->rx_chain.in_len ||
        !virtio_mmio_queue_active(v, QUEUE_RX) || !virtio_mmio_begin(v)) {
        return;
    }
    GError *err = NULL;
    c->rx_held = false;
    if (!virtq_chain_write(vq, &c->rx_chain, 0, buf, len, &err) ||
        !virtq_push(vq, c->rx_chain.head, len, &err)) {
        virtio_mmio_queue_error(v, QUEUE_RX, err);
    }
    virtio_mmio_notify(v, QUEUE_RX);
    virtio_mmio_end(v);
}

static const TsChardevHandlers console_handlers = {
    .can_receive = console_can_receive,
    .receive = console_receive,
};

/* ---- Transmit -------------------------------------------------------- */

/* Send what is left of the held chain, within *budget bytes; true when
 * the chain is done (pushed back), false if the budget ran out or the
 * queue broke. */
static bool send_chain(VirtioConsole *c, size_t *budget)
{
    VirtioMmio *v = &c->parent;
    VirtQueue *vq = &v->vq[QUEUE_TX];
    uint8_t block[4096];
    GError *err = NULL;
    while (c->tx_seg < c->tx_chain.n_out) {
        const VirtqSeg *s = &c->tx_chain.seg[c->tx_seg];
        if (*budget == 0) {
            return false;
        }
        size_t n = MIN(MIN(sizeof(block), *budget), s->len - c->tx_off);
        if (ts_dma_read(vq->as, s->addr + c->tx_off, block, n) !=
            TS_MEM_OK) {
            g_set_error(&err, TS_ERROR, TS_ERROR_FAILED,
                        "cannot read the transmit buffer at 0x%" PRIx64,
                        s->addr + c->tx_off);
            virtio_mmio_queue_error(v, QUEUE_TX, err);
            return false;
        }
        if (c->chr) {
            ts_chardev_write(c->chr, block, n);
        }
        *budget -= n;
        c->tx_off += n;
        if (c->tx_off == s->len) {
            c->tx_seg++;
            c->tx_off = 0;
        }
    }
    /* Writable buffers in a transmit chain carry nothing; used length 0. */
    c->tx_held = false;
    if (!virtq_push(vq, c->tx_chain.head, 0, &err)) {
        virtio_mmio_queue_error(v, QUEUE_TX, err);
        return false;
    }
    return true;
}

static bool console_tx_work(VirtioConsole *c)
{
    VirtioMmio *v = &c->parent;
    VirtQueue *vq = &v->vq[QUEUE_TX];
    size_t budget = TX_WORK_BYTES;
    bool more = false;
    for (uint32_t chains = 0; ; chains++) {
        if (chains == vq->num) {
            more = true;            /* a driver adding as fast as we go */
            break;
        }
        if (!c->tx_held) {
            GError *err = NULL;
            int got = virtq_pop(vq, &c->tx_chain, &err);
            if (got < 0) {
                virtio_mmio_queue_error(v, QUEUE_TX, err);
            }
            if (got <= 0) {
                break;
            }
            c->tx_held = true;
            c->tx_seg = 0;
            c->tx_off = 0;
        }
        if (!send_chain(c, &budget)) {
            more = c->tx_held && virtio_mmio_queue_active(v, QUEUE_TX);
            break;
        }
    }
    virtio_mmio_notify(v, QUEUE_TX);
    return more;
}

/* ---- Transport hooks ------------------------------------------------- */

static bool console_queue_work(VirtioMmio *v, unsigned q)
{
    VirtioConsole *c = (VirtioConsole *)v;
    if (q == QUEUE_TX) {
        return console_tx_work(c);
    }
    /* New receive buffers: let the backend deliver what it holds.  It
     * calls back into can_receive/receive right away; DMA is allowed
     * (we run inside the register write or the work bottom half). */
    if (c->chr) {
        ts_chardev_accept_input(c->chr);
    }
    return false;
}

static void console_read_config(VirtioMmio *v, uint8_t *config)
{
    /* No size, no ports beyond the first, emerg_wr reads as 0. */
    memset(config, 0, CONFIG_SIZE);
}

static void console_write_config(VirtioMmio *v, unsigned offset,
                                 uint32_t value, unsigned size)
{
    VirtioConsole *c = (VirtioConsole *)v;
    if (offset == CONFIG_EMERG_WR && c->chr) {
        uint8_t ch = value;
        ts_chardev_write(c->chr, &ch, 1);
    }
}

static void console_reset(VirtioMmio *v)
{
    VirtioConsole *c = (VirtioConsole *)v;
    c->rx_held = false;
    c->tx_held = false;
}

static bool console_realize(VirtioMmio *v, GError **errp)
{
    VirtioConsole *c = (VirtioConsole *)v;
    if (!c->chardev_id || !*c->chardev_id) {
        return true;
    }
    c->chr = ts_chardev_find(c->chardev_id);
    if (!c->chr) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "virtio-console-device: chardev '%s' not found",
                    c->chardev_id);
        return false;
    }
    if (!ts_chardev_attach(c->chr, &console_handlers, c, errp)) {
        c->chr = NULL;
        return false;
    }
    return true;
}

static void console_unrealize(VirtioMmio *v)
{
    VirtioConsole *c = (VirtioConsole *)v;
    if (c->chr) {
        ts_chardev_detach(c->chr, c);
        c->chr = NULL;
    }
}

static const TsProperty console_props[] = {
    TS_PROP_STRING("chardev", VirtioConsole, chardev_id, NULL,
                   "id of the -chardev the console is joined to"),
    TS_PROP_END,
};

static void console_class_init(TsObjectClass *klass, const void *data)
{
    VirtioMmioClass *vc = (VirtioMmioClass *)klass;
    vc->device_id = CONSOLE_DEVICE_ID;
    vc->num_queues = 2;
    vc->features = UINT64_C(1) << CONSOLE_F_EMERG_WRITE;
    vc->config_size = CONFIG_SIZE;
    vc->driver_hint = "CONFIG_VIRTIO_CONSOLE";
    vc->realize = console_realize;
    vc->unrealize = console_unrealize;
    vc->reset = console_reset;
    vc->queue_work = console_queue_work;
    vc->read_config = console_read_config;
    vc->write_config = console_write_config;
    ts_class_add_properties(klass, console_props);
}

static const TsTypeInfo console_type = {
    .name = "virtio-console-device",
    .parent = TYPE_VIRTIO_MMIO,
    .description = "virtio console with one port (virtio-mmio)",
    .instance_size = sizeof(VirtioConsole),
    .class_init = console_class_init,
};

bool virtio_console_register(GError **errp)
{
    return ts_type_register(&console_type, errp);
}
