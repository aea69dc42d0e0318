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
 *
 * The core does the rest (tessera/virtio.h); this plugin makes it
 * "virtio-console-device" on the virtio-mmio transport.
 */
#include <tessera/tessera.h>

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
    TsVirtioDevice parent;
    char *chardev_id;           /* property */
    TsChardev *chr;
    /* Receive: the buffer being filled (taken in can_receive). */
    bool rx_held;
    TsVirtqChain rx_chain;
    /* Transmit: the chain being sent and how far it got, so a huge chain
     * is sent over several calls. */
    bool tx_held;
    uint64_t tx_off;
    TsVirtqChain tx_chain;
} VirtioConsole;

/* ---- Receive --------------------------------------------------------- */

static size_t console_can_receive(void *opaque)
{
    VirtioConsole *c = opaque;
    TsVirtioDevice *dev = &c->parent;
    if (!ts_virtio_queue_active(dev, QUEUE_RX)) {
        return 0;
    }
    if (c->rx_held) {
        return c->rx_chain.in_len;
    }
    if (!ts_virtio_begin(dev)) {
        return 0;
    }
    /* Take the next buffer with room; give back empty ones (a queue's
     * worth at most: the driver may be adding them as we go). */
    unsigned num = ts_virtio_queue_size(dev, QUEUE_RX);
    for (unsigned tries = 0; tries < num && !c->rx_held; tries++) {
        if (ts_virtio_pop(dev, QUEUE_RX, &c->rx_chain) <= 0) {
            break;
        }
        if (c->rx_chain.in_len) {
            c->rx_held = true;
        } else if (!ts_virtio_push(dev, &c->rx_chain, 0)) {
            break;
        }
    }
    ts_virtio_notify(dev, QUEUE_RX);
    ts_virtio_end(dev);
    return c->rx_held ? c->rx_chain.in_len : 0;
}

static void console_receive(void *opaque, const uint8_t *buf, size_t len)
{
    VirtioConsole *c = opaque;
    TsVirtioDevice *dev = &c->parent;
    /* The chardev never hands more than can_receive() allowed; a reset in
     * between (rx_held cleared) drops the bytes, as a real reset would. */
    if (!c->rx_held || len > c->rx_chain.in_len ||
        !ts_virtio_queue_active(dev, QUEUE_RX) || !ts_virtio_begin(dev)) {
        return;
    }
    c->rx_held = false;
    if (ts_virtio_chain_write(dev, &c->rx_chain, 0, buf, len)) {
        ts_virtio_push(dev, &c->rx_chain, len);
    }
    ts_virtio_notify(dev, QUEUE_RX);
    ts_virtio_end(dev);
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
    TsVirtioDevice *dev = &c->parent;
    uint8_t block[4096];
    while (c->tx_off < c->tx_chain.out_len) {
        if (*budget == 0) {
            return false;
        }
        size_t n = MIN(MIN(sizeof(block), *budget),
                       c->tx_chain.out_len - c->tx_off);
        if (!ts_virtio_chain_read(dev, &c->tx_chain, c->tx_off, block, n)) {
            return false;
        }
        if (c->chr) {
            ts_chardev_write(c->chr, block, n);
        }
        *budget -= n;
        c->tx_off += n;
    }
    /* Writable buffers in a transmit chain carry nothing; used length 0. */
    c->tx_held = false;
    return ts_virtio_push(dev, &c->tx_chain, 0);
}

static bool console_tx_work(VirtioConsole *c)
{
    TsVirtioDevice *dev = &c->parent;
    size_t budget = TX_WORK_BYTES;
    bool more = false;
    unsigned num = ts_virtio_queue_size(dev, QUEUE_TX);
    for (unsigned chains = 0; ; chains++) {
        if (chains == num) {
            more = true;            /* a driver adding as fast as we go */
            break;
        }
        if (!c->tx_held) {
            if (ts_virtio_pop(dev, QUEUE_TX, &c->tx_chain) <= 0) {
                break;
            }
            c->tx_held = true;
            c->tx_off = 0;
        }
        if (!send_chain(c, &budget)) {
            more = c->tx_held && ts_virtio_queue_active(dev, QUEUE_TX);
            break;
        }
    }
    ts_virtio_notify(dev, QUEUE_TX);
    return more;
}

/* ---- Device hooks ---------------------------------------------------- */

static bool console_queue_notify(TsVirtioDevice *dev, unsigned q)
{
    VirtioConsole *c = (VirtioConsole *)dev;
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

static void console_read_config(TsVirtioDevice *dev, uint8_t *config)
{
    /* No size, no ports beyond the first, emerg_wr reads as 0. */
    memset(config, 0, CONFIG_SIZE);
}

static void console_write_config(TsVirtioDevice *dev, unsigned offset,
                                 uint32_t value, unsigned size)
{
    VirtioConsole *c = (VirtioConsole *)dev;
    if (offset == CONFIG_EMERG_WR && c->chr) {
        uint8_t ch = value;
        ts_chardev_write(c->chr, &ch, 1);
    }
}

static void console_reset(TsVirtioDevice *dev)
{
    VirtioConsole *c = (VirtioConsole *)dev;
    c->rx_held = false;
    c->tx_held = false;
}

static bool console_realize(TsVirtioDevice *dev, GError **errp)
{
    VirtioConsole *c = (VirtioConsole *)dev;
    if (!c->chardev_id || !*c->chardev_id) {
        return true;
    }
    c->chr = ts_chardev_find(c->chardev_id);
    if (!c->chr) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "chardev '%s' not found", c->chardev_id);
        return false;
    }
    if (!ts_chardev_attach(c->chr, &console_handlers, c, errp)) {
        c->chr = NULL;
        return false;
    }
    return true;
}

static void console_unrealize(TsVirtioDevice *dev)
{
    VirtioConsole *c = (VirtioConsole *)dev;
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

static const TsVirtioDeviceClass console_class = {
    .name = "virtio-console",
    .device_id = CONSOLE_DEVICE_ID,
    .features = UINT64_C(1) << CONSOLE_F_EMERG_WRITE,
    .num_queues = 2,
    .config_size = CONFIG_SIZE,
    .driver_hint = "CONFIG_VIRTIO_CONSOLE",
    .instance_size = sizeof(VirtioConsole),
    .properties = console_props,
    .realize = console_realize,
    .unrealize = console_unrealize,
    .reset = console_reset,
    .queue_notify = console_queue_notify,
    .read_config = console_read_config,
    .write_config = console_write_config,
};

static bool dev_virtio_console_init(GError **errp)
{
    return ts_virtio_register_mmio(&console_class, "virtio-console-device",
                                   "virtio console with one port "
                                   "(virtio-mmio)", errp) &&
           ts_virtio_register_pci(&console_class, "virtio-serial-pci",
                                  "virtio console with one port (PCI)",
                                  errp);
}

TS_PLUGIN("dev-virtio-console", "virtio console", dev_virtio_console_init);
