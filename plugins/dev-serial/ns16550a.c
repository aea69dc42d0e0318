/*
 * ns16550a - the National Semiconductor / TI 16550A UART, as boards map it
 * into memory (the RISC-V virt board puts one at 0x10000000).
 *
 * Registers (index = offset >> regshift; DLAB is LCR bit 7):
 *   0  RBR (read) / THR (write); DLL when DLAB
 *   1  IER; DLM when DLAB
 *   2  IIR (read) / FCR (write)
 *   3  LCR   4  MCR   5  LSR   6  MSR   7  SCR
 *
 * What is modelled and what is not:
 *  - Transmission is instant: a byte written to THR goes to the chardev at
 *    once, so THR and the transmitter are always empty (LSR.THRE/TEMT set)
 *    and the transmit FIFO never fills.  A chardev that cannot take the
 *    byte makes us drop it and count it; nothing ever waits or buffers
 *    here, so a guest flooding THR costs neither time nor memory.
 *  - The receive FIFO (16 bytes, 1 with FIFOs off) is real: the chardev is
 *    asked to hold back what does not fit (can_receive) and told to resume
 *    when the guest drains it, so input is never lost.
 *  - Interrupts follow the datasheet's identification priorities: receiver
 *    line status, then received data (trigger level reached) or character
 *    timeout, then THR empty, then modem status.
 *  - Character timeout runs on the virtual clock, four character times
 *    after the last byte went in or out of the receive FIFO.
 *  - Loopback (MCR bit 4) sends THR to our own receive FIFO, disconnects
 *    the chardev's input and loops DTR/RTS/OUT1/OUT2 to DSR/CTS/RI/DCD.
 *    Outside loopback the modem inputs say a cable is there (CTS, DSR and
 *    DCD set, no ring).
 *  - The baud rate, parity and break are not applied to the data: the
 *    chardev is a byte stream.  OUT2 does not gate the interrupt (that is
 *    a PC board's wiring, not the chip's).
 */
#include <tessera/tessera.h>

#define UART_TYPE "ns16550a"
#define UART_WINDOW 0x100          /* the reg size boards advertise */
#define UART_FIFO_SIZE 16
#define UART_DEFAULT_CLOCK 3686400

enum {
    REG_RBR_THR = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3,
    REG_MCR = 4, REG_LSR = 5, REG_MSR = 6, REG_SCR = 7,
};

#define IER_RDA   0x01      /* received data available (and timeout) */
#define IER_THRE  0x02      /* transmitter holding register empty */
#define IER_RLS   0x04      /* receiver line status */
#define IER_MS    0x08      /* modem status */

#define IIR_NONE     0x01
#define IIR_RLS      0x06
#define IIR_RDA      0x04
#define IIR_TIMEOUT  0x0c
#define IIR_THRE     0x02
#define IIR_MS       0x00
#define IIR_FIFO_ON  0xc0

#define FCR_ENABLE     0x01
#define FCR_CLEAR_RX   0x02
#define FCR_CLEAR_TX   0x04

#define LCR_DLAB  0x80

#define MCR_DTR   0x01
#define MCR_RTS   0x02
#define MCR_OUT1  0x04
#define MCR_OUT2  0x08
#define MCR_LOOP  0x10
#define MCR_MASK  0x1f      /* bits 5-7 are 0 on a 16550A */

#define LSR_DR    0x01
#define LSR_OE    0x02
#define LSR_PE    0x04
#define LSR_FE    0x08
#define LSR_BI    0x10
#define LSR_THRE  0x20
#define LSR_TEMT  0x40
#define LSR_FIFO_ERR 0x80
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS  0x01
#define MSR_DDSR  0x02
#define MSR_TERI  0x04
#define MSR_DDCD  0x08
#define MSR_CTS   0x10
#define MSR_DSR   0x20
#define MSR_RI    0x40
#define MSR_DCD   0x80

typedef struct RxFifo {
    uint8_t data[UART_FIFO_SIZE];
    unsigned head;
    unsigned count;
} RxFifo;

typedef struct Ns16550a {
    TsMmioDevice parent;        /* addr, window, irq[0] */

    /* Properties */
    char *chardev_id;
    int64_t regshift;
    uint64_t clock_frequency;

    TsChardev *chr;
    TsTimer *timeout_timer;

    /* Registers */
    uint8_t ier, lcr, mcr, scr;
    uint8_t dll, dlm;
    bool fifo_enabled;
    uint8_t rx_trigger;     /* bytes that raise "data available" */
    uint8_t lsr_errors;     /* sticky LSR bits 1-4 and 7, cleared on read */
    uint8_t msr_deltas;     /* MSR bits 0-3, cleared on read */
    uint8_t modem_inputs;   /* MSR bits 4-7 */
    bool thr_pending;       /* THR-empty interrupt latched, see update_thr */
    bool timeout_pending;   /* character timeout indicated */
    RxFifo rx;

    uint64_t tx_dropped;    /* bytes the chardev would not take */
} Ns16550a;

/* ------------------------------------------------------------------ */
/* Interrupts                                                         */

static unsigned rx_capacity(const Ns16550a *s)
{
    return s->fifo_enabled ? UART_FIFO_SIZE : 1;
}

/* The interrupt to report, highest priority first (datasheet table). */
static uint8_t pending_interrupt(const Ns16550a *s)
{
    if ((s->ier & IER_RLS) && (s->lsr_errors & LSR_ERRORS)) {
        return IIR_RLS;
    }
    if ((s->ier & IER_RDA) && s->rx.count >= s->rx_trigger) {
        return IIR_RDA;
    }
    if ((s->ier & IER_RDA) && s->timeout_pending) {
        return IIR_TIMEOUT;
    }
    if ((s->ier & IER_THRE) && s->thr_pending) {
        return IIR_THRE;
    }
    if ((s->ier & IER_MS) && s->msr_deltas) {
        return IIR_MS;
    }
    return IIR_NONE;
}

static void update_irq(Ns16550a *s)
{
    ts_irq_set(s->parent.irq[0], pending_interrupt(s) != IIR_NONE);
}

/* ------------------------------------------------------------------ */
/* Receive side                                                       */

/* Four character times at the current line settings, in ns. */
static int64_t timeout_ns(const Ns16550a *s)
{
    /* Bit count in half bits: start, 5-8 data, parity, 1/1.5/2 stop. */
    unsigned data_bits = 5 + (s->lcr & 0x03);
    unsigned half_bits = 2 * (1 + data_bits) + ((s->lcr & 0x08) ? 2 : 0);
    if (!(s->lcr & 0x04)) {
        half_bits += 2;
    } else {
        half_bits += data_bits == 5 ? 3 : 4;
    }
    /* A divisor of 0 is no valid rate; time it as 1 so that a UART whose
     * rate nobody programmed still delivers its input promptly. */
    uint64_t divisor = ((unsigned)s->dlm << 8) | s->dll;
    divisor = divisor ? divisor : 1;
    /* Each bit lasts 16 * divisor input clocks. */
    uint64_t clocks = (uint64_t)half_bits * 16 * divisor * 4 / 2;
    return (int64_t)(clocks * UINT64_C(1000000000) / s->clock_frequency);
}

/* Something went in or out of the receive FIFO: the timeout indication
 * goes and its four-character countdown starts over. */
static void restart_timeout(Ns16550a *s)
{
    s->timeout_pending = false;
    if (s->fifo_enabled && s->rx.count) {
        ts_timer_mod(s->timeout_timer,
                     ts_clock_get_ns(TS_CLOCK_VIRTUAL) + timeout_ns(s));
    } else {
        ts_timer_del(s->timeout_timer);
    }
}

static void timeout_expired(void *opaque)
{
    Ns16550a *s = opaque;
    if (s->fifo_enabled && s->rx.count) {
        s->timeout_pending = true;
        update_irq(s);
    }
}

/* A byte arrives from the line (or from ourselves in loopback). */
static void rx_push(Ns16550a *s, uint8_t byte, uint8_t errors)
{
    if (s->rx.count == rx_capacity(s)) {
        s->lsr_errors |= LSR_OE;
        if (s->fifo_enabled) {
            /* The byte in the shift register is lost, the FIFO kept. */
            return;
        }
        /* Without FIFO the holding register is overwritten. */
        s->rx.count = 0;
    }
    s->rx.data[(s->rx.head + s->rx.count) % UART_FIFO_SIZE] = byte;
    s->rx.count++;
    s->lsr_errors |= errors;
    if (errors && s->fifo_enabled) {
        s->lsr_errors |= LSR_FIFO_ERR;
    }
    restart_timeout(s);
}

static void rx_clear(Ns16550a *s)
{
    s->rx.head = 0;
    s->rx.count = 0;
    restart_timeout(s);
}

static bool rx_from_chardev(const Ns16550a *s)
{
    return s->chr && !(s->mcr & MCR_LOOP);
}

/* Room appeared in the receive FIFO: let the chardev send more.  It may
 * call uart_receive() right away, so the state must be consistent. */
static void rx_room(Ns16550a *s)
{
    if (rx_from_chardev(s) && s->rx.count < rx_capacity(s)) {
        ts_chardev_accept_input(s->chr);
    }
}

static size_t uart_can_receive(void *opaque)
{
    Ns16550a *s = opaque;
    if (!rx_from_chardev(s)) {
        return 0;       /* in loopback the receiver hears only us */
    }
    return rx_capacity(s) - s->rx.count;
}

static void uart_receive(void *opaque, const uint8_t *buf, size_t len)
{
    Ns16550a *s = opaque;
    for (size_t i = 0; i < len; i++) {
        rx_push(s, buf[i], 0);
    }
    update_irq(s);
}

static void uart_event(void *opaque, TsChardevEvent event)
{
    Ns16550a *s = opaque;
    if (event == TS_CHARDEV_EVENT_BREAK && rx_from_chardev(s)) {
        /* A break reads as a NUL with BI set (datasheet, LSR bit 4). */
        rx_push(s, 0, LSR_BI);
        update_irq(s);
    }
}

static const TsChardevHandlers uart_chardev_handlers = {
    .can_receive = uart_can_receive,
    .receive = uart_receive,
    .event = uart_event,
};

/* ------------------------------------------------------------------ */
/* Modem lines and THR                                                */

/* What DSR/CTS/RI/DCD read: in loopback the MCR outputs, else a cable
 * with the other side present. */
static uint8_t modem_inputs_now(const Ns16550a *s)
{
    if (!(s->mcr & MCR_LOOP)) {
        return MSR_CTS | MSR_DSR | MSR_DCD;
    }
    uint8_t in = 0;
    in |= (s->mcr & MCR_DTR) ? MSR_DSR : 0;
    in |= (s->mcr & MCR_RTS) ? MSR_CTS : 0;
    in |= (s->mcr & MCR_OUT1) ? MSR_RI : 0;
    in |= (s->mcr & MCR_OUT2) ? MSR_DCD : 0;
    return in;
}

static void update_modem_inputs(Ns16550a *s)
{
    uint8_t now = modem_inputs_now(s);
    uint8_t changed = now ^ s->modem_inputs;
    s->msr_deltas |= (changed & MSR_CTS) ? MSR_DCTS : 0;
    s->msr_deltas |= (changed & MSR_DSR) ? MSR_DDSR : 0;
    s->msr_deltas |= (changed & MSR_DCD) ? MSR_DDCD : 0;
    /* Ring indicator reports its trailing edge only. */
    s->msr_deltas |= ((s->modem_inputs & MSR_RI) && !(now & MSR_RI))
                     ? MSR_TERI : 0;
    s->modem_inputs = now;
}

static void transmit(Ns16550a *s, uint8_t byte)
{
    if (s->mcr & MCR_LOOP) {
        rx_push(s, byte, 0);
    } else if (s->chr && ts_chardev_write(s->chr, &byte, 1) != 1) {
        /* Never retry: the guest must not be able to stall us. */
        s->tx_dropped++;
    }
    /* The byte left at once, so THR just became empty again: that is the
     * rising edge that latches the THR-empty interrupt. */
    s->thr_pending = (s->ier & IER_THRE) != 0;
}

static void write_ier(Ns16550a *s, uint8_t val)
{
    uint8_t old = s->ier;
    s->ier = val & 0x0f;
    /* THR is always empty here, so enabling the interrupt is a rising
     * edge of "THR empty and enabled": it fires again even if an IIR read
     * had cleared it (drivers toggle IER to restart transmission);
     * disabling it forgets it. */
    if ((old ^ s->ier) & IER_THRE) {
        s->thr_pending = (s->ier & IER_THRE) != 0;
    }
}

static void write_fcr(Ns16550a *s, uint8_t val)
{
    static const uint8_t triggers[4] = { 1, 4, 8, 14 };
    bool enable = val & FCR_ENABLE;
    if (enable != s->fifo_enabled) {
        /* Switching the FIFOs on or off empties them. */
        s->fifo_enabled = enable;
        rx_clear(s);
    }
    if (!enable) {
        /* The other bits are only programmed together with FCR0. */
        s->rx_trigger = 1;
        return;
    }
    if (val & FCR_CLEAR_RX) {
        rx_clear(s);
    }
    /* FCR_CLEAR_TX: the transmit FIFO is always empty. */
    s->rx_trigger = triggers[val >> 6];
}

/* ------------------------------------------------------------------ */
/* Register access                                                    */

static uint8_t read_rbr(Ns16550a *s)
{
    if (!s->rx.count) {
        return 0;
    }
    uint8_t byte = s->rx.data[s->rx.head];
    s->rx.head = (s->rx.head + 1) % UART_FIFO_SIZE;
    s->rx.count--;
    if (!s->rx.count) {
        s->lsr_errors &= ~LSR_FIFO_ERR;
    }
    restart_timeout(s);
    return byte;
}

static uint8_t read_register(Ns16550a *s, unsigned reg)
{
    bool dlab = s->lcr & LCR_DLAB;
    uint8_t val;

    switch (reg) {
    case REG_RBR_THR:
        if (dlab) {
            return s->dll;
        }
        val = read_rbr(s);
        update_irq(s);
        rx_room(s);
        return val;
    case REG_IER:
        return dlab ? s->dlm : s->ier;
    case REG_IIR_FCR:
        val = pending_interrupt(s);
        if (val == IIR_THRE) {
            /* Reading IIR while it names THR empty clears that source. */
            s->thr_pending = false;
            update_irq(s);
        }
        return val | (s->fifo_enabled ? IIR_FIFO_ON : 0);
    case REG_LCR:
        return s->lcr;
    case REG_MCR:
        return s->mcr;
    case REG_LSR:
        val = (s->rx.count ? LSR_DR : 0) | LSR_THRE | LSR_TEMT |
              s->lsr_errors;
        s->lsr_errors = 0;
        update_irq(s);
        return val;
    case REG_MSR:
        val = s->modem_inputs | s->msr_deltas;
        s->msr_deltas = 0;
        update_irq(s);
        return val;
    default:
        return s->scr;
    }
}

static void write_register(Ns16550a *s, unsigned reg, uint8_t val)
{
    bool dlab = s->lcr & LCR_DLAB;

    switch (reg) {
    case REG_RBR_THR:
        if (dlab) {
            s->dll = val;
        } else {
            transmit(s, val);
        }
        break;
    case REG_IER:
        if (dlab) {
            s->dlm = val;
        } else {
            write_ier(s, val);
        }
        break;
    case REG_IIR_FCR:
        write_fcr(s, val);
        break;
    case REG_LCR:
        s->lcr = val;
        break;
    case REG_MCR: {
        bool was_loop = s->mcr & MCR_LOOP;
        s->mcr = val & MCR_MASK;
        update_modem_inputs(s);
        update_irq(s);
        if (was_loop && !(s->mcr & MCR_LOOP)) {
            rx_room(s);     /* the chardev is connected again */
        }
        return;
    }
    case REG_LSR:
    case REG_MSR:
        /* Read-only (writing them is a factory test feature). */
        break;
    default:
        s->scr = val;
        break;
    }
    update_irq(s);
}

/* Registers sit every 1 << regshift bytes; only their first byte lane
 * decodes, wider accesses see the register zero-extended. */
static bool decode(const Ns16550a *s, uint64_t offset, unsigned *reg)
{
    uint64_t lane_mask = (UINT64_C(1) << s->regshift) - 1;
    if ((offset & lane_mask) || (offset >> s->regshift) > REG_SCR) {
        return false;
    }
    *reg = (unsigned)(offset >> s->regshift);
    return true;
}

static uint64_t uart_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    Ns16550a *s = opaque;
    unsigned reg;
    return decode(s, offset, &reg) ? read_register(s, reg) : 0;
}

static void uart_mmio_write(void *opaque, uint64_t offset, uint64_t value,
                            unsigned size)
{
    Ns16550a *s = opaque;
    unsigned reg;
    if (decode(s, offset, &reg)) {
        write_register(s, reg, (uint8_t)value);
    }
}

static const TsMemoryOps uart_mmio_ops = {
    .read = uart_mmio_read,
    .write = uart_mmio_write,
    .valid_min = 1,
    .valid_max = 8,
    .impl_min = 1,
    .impl_max = 8,
    .endian = TS_ENDIAN_LITTLE,
};

/* ------------------------------------------------------------------ */
/* Device life cycle                                                  */

static void uart_reset(TsDevice *dev)
{
    Ns16550a *s = (Ns16550a *)dev;
    s->ier = 0;
    s->lcr = 0;
    s->mcr = 0;
    s->scr = 0;
    s->dll = 0;
    s->dlm = 0;
    s->fifo_enabled = false;
    s->rx_trigger = 1;
    s->lsr_errors = 0;
    s->msr_deltas = 0;
    s->modem_inputs = modem_inputs_now(s);
    s->thr_pending = false;
    rx_clear(s);
    update_irq(s);
    rx_room(s);
}

static bool uart_realize(TsMmioDevice *dev, GError **errp)
{
    Ns16550a *s = (Ns16550a *)dev;

    if (s->clock_frequency == 0 || s->clock_frequency > UINT32_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "ns16550a: clock-frequency must be between 1 and "
                    "4294967295 Hz, not %" PRIu64, s->clock_frequency);
        return false;
    }
    TsChardev *chr = NULL;
    if (s->chardev_id && *s->chardev_id) {
        chr = ts_chardev_find(s->chardev_id);
        if (!chr) {
            g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                        "ns16550a: chardev '%s' not found", s->chardev_id);
            return false;
        }
    }

    if (!ts_mmio_device_init_mmio(dev, &uart_mmio_ops, s, UART_WINDOW,
                                  errp)) {
        return false;
    }
    s->timeout_timer = ts_timer_new(TS_CLOCK_VIRTUAL, timeout_expired, s);
    uart_reset(TS_DEVICE(dev));
    /* Attaching may deliver OPENED (and so call us) at once: the device
     * state must be ready before. */
    if (chr) {
        s->chr = chr;
        if (!ts_chardev_attach(chr, &uart_chardev_handlers, s, errp)) {
            s->chr = NULL;
            ts_timer_free(s->timeout_timer);
            s->timeout_timer = NULL;
            return false;
        }
    }
    return true;
}

static void uart_unrealize(TsMmioDevice *dev)
{
    Ns16550a *s = (Ns16550a *)dev;
    if (s->chr) {
        ts_chardev_detach(s->chr, s);
        s->chr = NULL;
    }
    ts_timer_free(s->timeout_timer);
    s->timeout_timer = NULL;
}

/* ------------------------------------------------------------------ */
/* Device tree                                                        */

/* The base writes compatible, reg and interrupts around these. */
static bool uart_fdt_extra(TsMmioDevice *dev, const TsFdtContext *ctx,
                           int node, GError **errp)
{
    Ns16550a *s = (Ns16550a *)dev;
    return ts_fdt_set_u32(ctx->fdt, node, "clock-frequency",
                          (uint32_t)s->clock_frequency, errp) &&
           (!s->regshift ||
            ts_fdt_set_u32(ctx->fdt, node, "reg-shift",
                           (uint32_t)s->regshift, errp));
}

/* ------------------------------------------------------------------ */
/* Type                                                               */

static const TsProperty uart_props[] = {
    TS_PROP_STRING("chardev", Ns16550a, chardev_id, NULL,
                   "id of the chardev for the serial line"),
    TS_PROP_INT("regshift", Ns16550a, regshift, 0, 0, 4,
                "registers are 1 << regshift bytes apart"),
    TS_PROP_UINT("clock-frequency", Ns16550a, clock_frequency,
                 UART_DEFAULT_CLOCK, "input clock in Hz"),
    TS_PROP_END,
};

static const char *const uart_compatible[] = { "ns16550a", NULL };

static void uart_class_init(TsObjectClass *klass, const void *data)
{
    TsMmioDeviceClass *mc = (TsMmioDeviceClass *)klass;
    mc->realize = uart_realize;
    mc->unrealize = uart_unrealize;
    mc->n_irqs = 1;
    mc->fdt_name = "serial";
    mc->fdt_compatible = uart_compatible;
    mc->fdt_extra = uart_fdt_extra;
    ((TsDeviceClass *)klass)->reset = uart_reset;
    /* QEMU files its serial ports under input devices */
    ((TsDeviceClass *)klass)->categories = TS_DEVICE_CATEGORY_INPUT;
    ts_class_add_properties(klass, uart_props);
}

static const TsTypeInfo uart_type = {
    .name = UART_TYPE,
    .parent = TS_TYPE_MMIO_DEVICE,
    .description = "16550A UART (memory mapped)",
    .instance_size = sizeof(Ns16550a),
    .class_init = uart_class_init,
};

static bool serial_plugin_init(GError **errp)
{
    return ts_type_register(&uart_type, errp);
}

TS_PLUGIN("dev-serial", "Serial ports: 16550A UART", serial_plugin_init);
