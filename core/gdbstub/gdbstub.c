/*
 * gdbstub.c - a GDB remote protocol server on a chardev.
 *
 * One debugger at a time, in all-stop mode: when any CPU stops (a
 * breakpoint, a finished step, Ctrl-C) the whole VM stops in the "debug"
 * run state, and `c`, `s` or vCont start it again.  Every CPU is a
 * thread, id = CPU index + 1.  The CPU type provides the registers, the
 * target description, address translation and the breakpoint/step
 * machinery through TsCpuClass's debugger hooks; this file only speaks
 * the protocol and drives the run state.
 *
 * Everything here runs on the main loop with the big lock held, except
 * ts_cpu_debug_stopped, which a CPU thread calls (also with the lock) and
 * which only records the stop and schedules the reply.
 */
#include "gdbstub.h"
#include "gdb-packet.h"
#include "chardev/chardevs.h"
#include "machine/runstate.h"
#include "monitor/qmp.h"
#include "loop/main-loop.h"

#include <tessera/chardev.h>
#include <tessera/cpu.h>
#include <tessera/loop.h>
#include <tessera/memory.h>

#define PAGE 4096u
#define MAX_MEM_XFER (GDB_MAX_PACKET / 2 - 16)   /* bytes per m reply */

typedef struct GdbBreak {
    uint64_t addr;
    bool hw;                    /* Z1 (same mechanism, other stop reason) */
} GdbBreak;

typedef struct GdbStub {
    TsChardev *chr;
    GdbFramer framer;
    bool no_ack;                /* QStartNoAckMode */
    bool connected;
    bool resumed;               /* we ran the VM for gdb: a stop is owed */
    unsigned g_cpu, c_cpu;      /* H g / H c selections (CPU index) */
    int step_cpu;               /* the CPU stepping, or -1 */
    int stopped_cpu;            /* set by ts_cpu_debug_stopped, or -1 */
    GArray *breaks;             /* of GdbBreak */
    TsBH *stop_bh;              /* sends the stop reply from the main loop */
} GdbStub;

static GdbStub *stub;
static char *option_dev;

/* ---- output ---------------------------------------------------------- */

static void send_raw(const char *data, size_t len)
{
    ts_chardev_write(stub->chr, data, len);
}

static void reply_len(const char *body, size_t len)
{
    g_autoptr(GString) out = g_string_sized_new(len + 4);
    gdb_packet_frame(out, body, len);
    send_raw(out->str, out->len);
}

static void reply(const char *body)
{
    reply_len(body, strlen(body));
}

static void reply_gstring(GString *s)
{
    reply_len(s->str, s->len);
}

/* ---- CPUs and the run state ------------------------------------------ */

static TsCpu *cpu_at(unsigned index)
{
    return ts_cpu_by_index(index);
}

static TsCpuClass *cls(TsCpu *cpu)
{
    return TS_CPU_GET_CLASS(cpu);
}

/* Load the breakpoints into every CPU; `step` (-1: none) steps. */
static void arm_cpus(int step)
{
    guint n = stub->breaks->len;
    g_autofree uint64_t *addrs = g_new(uint64_t, n ? n : 1);
    for (guint i = 0; i < n; i++) {
        addrs[i] = g_array_index(stub->breaks, GdbBreak, i).addr;
    }
    for (unsigned i = 0; i < ts_cpu_count(); i++) {
        TsCpu *cpu = cpu_at(i);
        if (cls(cpu)->set_debug) {
            cls(cpu)->set_debug(cpu, addrs, n, (int)i == step);
        }
    }
}

static void resume(int step)
{
    stub->step_cpu = step;
    stub->stopped_cpu = -1;
    arm_cpus(step);
    stub->resumed = true;
    ts_vm_start();
}

/* Stop the VM for the debugger and wait until no CPU is inside exec(),
 * so that registers and memory hold still while gdb reads them. */
static void stop_vm(void)
{
    runstate_debug_stop();
}

static void send_stop_reply(unsigned cpu_index, int signal, bool breakpoint)
{
    g_autoptr(GString) s = g_string_new(NULL);
    g_string_append_printf(s, "T%02xthread:%x;", signal, cpu_index + 1);
    if (breakpoint) {
        bool any_sw = false;
        for (guint i = 0; i < stub->breaks->len; i++) {
            any_sw |= !g_array_index(stub->breaks, GdbBreak, i).hw;
        }
        g_string_append(s, any_sw ? "swbreak:;" : "hwbreak:;");
    }
    stub->g_cpu = stub->c_cpu = cpu_index;
    reply_gstring(s);
}

TS_EXPORT void ts_cpu_debug_stopped(TsCpu *cpu)
{
    if (!stub || !stub->resumed) {
        return;             /* nobody asked: the CPU re-checks when run */
    }
    if (ts_vm_running()) {
        ts_vm_stop();
        qmp_set_stop_reason("debug");
    }
    if (stub->stopped_cpu < 0) {
        stub->stopped_cpu = (int)cpu->index;
        ts_bh_schedule(stub->stop_bh);
    }
}

static void stop_bh_cb(void *opaque)
{
    if (!stub->resumed || stub->stopped_cpu < 0) {
        return;
    }
    runstate_wait_cpus_idle();
    unsigned idx = (unsigned)stub->stopped_cpu;
    bool stepped = stub->step_cpu == (int)idx;
    stub->resumed = false;
    stub->step_cpu = -1;
    arm_cpus(-1);       /* a step is done; breakpoints stay for the next c */
    send_stop_reply(idx, 5, !stepped);
}

/* Forget the breakpoints and let the VM run: on `D` always (as QEMU),
 * on a disconnect only if the debugger had stopped it. */
static void release_vm(bool always)
{
    g_array_set_size(stub->breaks, 0);
    arm_cpus(-1);
    bool ours = always || stub->resumed ||
                g_strcmp0(qmp_run_state(), "debug") == 0;
    stub->resumed = false;
    stub->stopped_cpu = -1;
    if (ours) {
        ts_vm_start();
    }
}

/* ---- memory ------------------------------------------------------------ */

/* Read or write guest virtual memory as the selected CPU sees it, a page
 * at a time (each page translates on its own). */
static bool access_mem(uint64_t addr, uint8_t *buf, size_t len, bool write)
{
    TsCpu *cpu = cpu_at(stub->g_cpu);
    if (!cpu) {
        return false;
    }
    while (len) {
        size_t chunk = PAGE - (addr & (PAGE - 1));
        chunk = chunk < len ? chunk : len;
        uint64_t pa = addr;
        if (cls(cpu)->debug_translate &&
            !cls(cpu)->debug_translate(cpu, addr, &pa)) {
            return false;
        }
        TsMemResult r = write ? ts_address_space_write(cpu->as, pa, buf, chunk)
                              : ts_address_space_read(cpu->as, pa, buf, chunk);
        if (r != TS_MEM_OK && r != TS_MEM_READONLY) {
            return false;
        }
        addr += chunk;
        buf += chunk;
        len -= chunk;
    }
    return true;
}

/* "ADDR,LEN" then `sep` (':' for M and X, '\0' for m). */
static bool parse_addr_len(const char *p, uint64_t *addr, uint64_t *len,
                           const char **rest)
{
    return gdb_parse_hex(p, &p, addr) && *p++ == ',' &&
           gdb_parse_hex(p, &p, len) && (*rest = p, true);
}

static void cmd_read_mem(const char *p)
{
    uint64_t addr, len;
    const char *rest;
    if (!parse_addr_len(p, &addr, &len, &rest) || *rest) {
        reply("E22");
        return;
    }
    len = len < MAX_MEM_XFER ? len : MAX_MEM_XFER;
    g_autofree uint8_t *buf = g_malloc(len ? len : 1);
    if (!access_mem(addr, buf, len, false)) {
        reply("E14");
        return;
    }
    g_autoptr(GString) s = g_string_sized_new(len * 2);
    gdb_append_hex(s, buf, len);
    reply_gstring(s);
}

static void cmd_write_mem(const char *p, size_t plen, bool binary)
{
    uint64_t addr, len;
    const char *rest;
    if (!parse_addr_len(p, &addr, &len, &rest) || *rest != ':' ||
        len > GDB_MAX_PACKET) {
        reply("E22");
        return;
    }
    rest++;
    size_t avail = plen - (size_t)(rest - p);
    g_autofree uint8_t *buf = g_malloc(len ? len : 1);
    if (binary) {
        g_autofree uint8_t *raw = g_memdup2(rest, avail ? avail : 1);
        ssize_t n = gdb_unescape(raw, avail);
        if (n < 0 || (uint64_t)n != len) {
            reply("E22");
            return;
        }
        memcpy(buf, raw, len);
    } else if (avail != len * 2 || !gdb_hex_to_bytes(rest, len, buf)) {
        reply("E22");
        return;
    }
    reply(access_mem(addr, buf, len, true) ? "OK" : "E14");
}

/* ---- registers --------------------------------------------------------- */

static void cmd_read_all_regs(void)
{
    /* gdb takes the registers in number order until the reply ends and
     * asks for the rest with p: stop at the first number the CPU lacks. */
    TsCpu *cpu = cpu_at(stub->g_cpu);
    g_autoptr(GString) s = g_string_new(NULL);
    uint8_t buf[64];
    size_t n;
    for (unsigned r = 0; cpu && cls(cpu)->gdb_read_register &&
         (n = cls(cpu)->gdb_read_register(cpu, r, buf, sizeof(buf))) != 0; r++) {
        gdb_append_hex(s, buf, n);
    }
    reply_gstring(s);
}

static void cmd_write_all_regs(const char *p)
{
    TsCpu *cpu = cpu_at(stub->g_cpu);
    size_t left = strlen(p) / 2;
    uint8_t buf[64];
    size_t n;
    for (unsigned r = 0; cpu && cls(cpu)->gdb_read_register && left &&
         (n = cls(cpu)->gdb_read_register(cpu, r, buf, sizeof(buf))) != 0; r++) {
        if (n > left || !gdb_hex_to_bytes(p, n, buf)) {
            break;
        }
        cls(cpu)->gdb_write_register(cpu, r, buf, n);
        p += 2 * n;
        left -= n;
    }
    reply("OK");
}

static void cmd_read_reg(const char *p)
{
    uint64_t r;
    TsCpu *cpu = cpu_at(stub->g_cpu);
    uint8_t buf[64];
    size_t n = 0;
    if (gdb_parse_hex(p, NULL, &r) && r < UINT32_MAX && cpu &&
        cls(cpu)->gdb_read_register) {
        n = cls(cpu)->gdb_read_register(cpu, (unsigned)r, buf, sizeof(buf));
    }
    if (!n) {
        reply("E45");
        return;
    }
    g_autoptr(GString) s = g_string_new(NULL);
    gdb_append_hex(s, buf, n);
    reply_gstring(s);
}

static void cmd_write_reg(const char *p)
{
    uint64_t r;
    const char *v;
    TsCpu *cpu = cpu_at(stub->g_cpu);
    uint8_t buf[64];
    size_t len;
    if (!gdb_parse_hex(p, &v, &r) || *v++ != '=' || r >= UINT32_MAX || !cpu ||
        !cls(cpu)->gdb_write_register ||
        (len = strlen(v) / 2) > sizeof(buf) || !gdb_hex_to_bytes(v, len, buf) ||
        !cls(cpu)->gdb_write_register(cpu, (unsigned)r, buf, len)) {
        reply("E45");
        return;
    }
    reply("OK");
}

/* ---- threads ------------------------------------------------------------ */

/* A thread id as gdb sends it: -1 (all), 0 (any) or index + 1. */
static bool parse_thread(const char *p, const char **end, int *tid)
{
    uint64_t v;
    if (p[0] == '-' && p[1] == '1') {
        *tid = -1;
        if (end) {
            *end = p + 2;
        }
        return true;
    }
    if (!gdb_parse_hex(p, end, &v) || v > ts_cpu_count()) {
        return false;
    }
    *tid = (int)v;
    return true;
}

static void cmd_set_thread(const char *p)
{
    char which = *p++;
    int tid;
    if ((which != 'g' && which != 'c') || !parse_thread(p, NULL, &tid)) {
        reply("E22");
        return;
    }
    if (tid > 0) {
        if (which == 'g') {
            stub->g_cpu = (unsigned)tid - 1;
        } else {
            stub->c_cpu = (unsigned)tid - 1;
        }
    }
    reply("OK");
}

/* ---- resuming ----------------------------------------------------------- */

static void cmd_continue(const char *p, bool step)
{
    uint64_t addr;
    TsCpu *cpu = cpu_at(stub->c_cpu);
    /* "c ADDR" resumes at ADDR (rarely used; gdb writes pc instead). */
    if (*p && gdb_parse_hex(p, NULL, &addr) && cpu && cls(cpu)->set_pc) {
        cls(cpu)->set_pc(cpu, addr);
    }
    resume(step ? (int)stub->c_cpu : -1);
}

/* vCont;ACTION[:TID][;ACTION[:TID]]...: the first action naming a thread
 * wins for it; in all-stop mode everything else just continues. */
static void cmd_vcont(const char *p)
{
    int step = -1;
    bool any = false;
    while (*p == ';') {
        char action = *++p;
        p++;
        if (action == 'C' || action == 'S') {       /* signal: ignored */
            uint64_t sig;
            if (!gdb_parse_hex(p, &p, &sig)) {
                reply("E22");
                return;
            }
        }
        int tid = -1;
        if (*p == ':' && !parse_thread(p + 1, &p, &tid)) {
            reply("E22");
            return;
        }
        switch (action) {
        case 's': case 'S':
            if (step < 0) {
                step = tid > 0 ? tid - 1 : (int)stub->c_cpu;
            }
            any = true;
            break;
        case 'c': case 'C':
            any = true;
            break;
        case 't':
            break;
        default:
            reply("E22");
            return;
        }
    }
    if (*p) {
        reply("E22");
        return;
    }
    if (!any) {             /* vCont;t alone: stop and say so */
        stop_vm();
        send_stop_reply(stub->c_cpu, 0, false);
        return;
    }
    resume(step);
}

/* ---- breakpoints -------------------------------------------------------- */

static void cmd_breakpoint(const char *p, bool insert)
{
    uint64_t type, addr, kind;
    if (!gdb_parse_hex(p, &p, &type) || *p++ != ',' ||
        !gdb_parse_hex(p, &p, &addr) || *p++ != ',' ||
        !gdb_parse_hex(p, &p, &kind)) {
        reply("E22");
        return;
    }
    if (type > 1) {
        reply("");          /* watchpoints: not supported yet */
        return;
    }
    for (guint i = 0; i < stub->breaks->len; i++) {
        GdbBreak *b = &g_array_index(stub->breaks, GdbBreak, i);
        if (b->addr == addr && b->hw == (type == 1)) {
            if (!insert) {
                g_array_remove_index(stub->breaks, i);
            }
            reply("OK");
            return;
        }
    }
    if (insert) {
        GdbBreak b = { addr, type == 1 };
        g_array_append_val(stub->breaks, b);
    }
    reply("OK");
}

/* ---- queries ------------------------------------------------------------ */

static void cmd_xfer_features(const char *p)
{
    /* ANNEX:OFFSET,LENGTH */
    const char *colon = strchr(p, ':');
    uint64_t off, len;
    const char *rest;
    TsCpu *cpu = cpu_at(0);
    if (!colon || !parse_addr_len(colon + 1, &off, &len, &rest) || *rest) {
        reply("E00");
        return;
    }
    g_autofree char *annex = g_strndup(p, (gsize)(colon - p));
    const char *doc = cpu && cls(cpu)->gdb_target_xml
                      ? cls(cpu)->gdb_target_xml(cpu, annex) : NULL;
    if (!doc) {
        reply("E00");
        return;
    }
    size_t total = strlen(doc);
    if (off > total) {
        reply("E00");
        return;
    }
    len = len < GDB_MAX_PACKET / 2 ? len : GDB_MAX_PACKET / 2;
    size_t n = total - off < len ? total - off : len;
    g_autoptr(GString) s = g_string_new(off + n < total ? "m" : "l");
    gdb_append_escaped(s, (const uint8_t *)doc + off, n);
    reply_gstring(s);
}

static void cmd_query(const char *p)
{
    if (g_str_has_prefix(p, "qSupported")) {
        g_autofree char *s = g_strdup_printf(
            "PacketSize=%x;qXfer:features:read+;vContSupported+;swbreak+;"
            "hwbreak+;QStartNoAckMode+", GDB_MAX_PACKET);
        reply(s);
    } else if (g_str_equal(p, "qfThreadInfo")) {
        g_autoptr(GString) s = g_string_new("m");
        for (unsigned i = 0; i < ts_cpu_count(); i++) {
            g_string_append_printf(s, "%s%x", i ? "," : "", i + 1);
        }
        reply_gstring(s);
    } else if (g_str_equal(p, "qsThreadInfo")) {
        reply("l");
    } else if (g_str_equal(p, "qC")) {
        g_autofree char *s = g_strdup_printf("QC%x", stub->g_cpu + 1);
        reply(s);
    } else if (g_str_has_prefix(p, "qAttached")) {
        reply("1");
    } else if (g_str_has_prefix(p, "qXfer:features:read:")) {
        cmd_xfer_features(p + strlen("qXfer:features:read:"));
    } else if (g_str_has_prefix(p, "qThreadExtraInfo,")) {
        int tid;
        if (!parse_thread(p + strlen("qThreadExtraInfo,"), NULL, &tid) ||
            tid < 1) {
            reply("E22");
            return;
        }
        g_autofree char *text = g_strdup_printf("CPU#%d", tid - 1);
        g_autoptr(GString) s = g_string_new(NULL);
        gdb_append_hex(s, (const uint8_t *)text, strlen(text));
        reply_gstring(s);
    } else if (g_str_equal(p, "QStartNoAckMode")) {
        reply("OK");
        stub->no_ack = true;    /* from the next packet on */
    } else {
        reply("");              /* unknown: the empty reply */
    }
}

/* ---- dispatch ----------------------------------------------------------- */

static void handle_packet(const char *p, size_t len)
{
    if (strlen(p) != len && *p != 'X') {
        reply("E22");           /* a NUL inside a text packet */
        return;
    }
    /* Commands that look at CPU state need the CPUs out of exec(); gdb
     * only sends them while the VM is stopped, but a hostile peer may
     * not, and the query commands do not touch CPU state. */
    bool touches_cpu = strchr("gGpPmMXHTzZ?", *p) != NULL;
    if (touches_cpu && stub->resumed) {
        reply("E16");           /* busy: the VM runs for gdb */
        return;
    }
    if (touches_cpu) {
        stop_vm();
    }
    switch (*p) {
    case '?':
        send_stop_reply(stub->g_cpu, 5, false);
        break;
    case 'g':
        cmd_read_all_regs();
        break;
    case 'G':
        cmd_write_all_regs(p + 1);
        break;
    case 'p':
        cmd_read_reg(p + 1);
        break;
    case 'P':
        cmd_write_reg(p + 1);
        break;
    case 'm':
        cmd_read_mem(p + 1);
        break;
    case 'M':
        cmd_write_mem(p + 1, len - 1, false);
        break;
    case 'X':
        cmd_write_mem(p + 1, len - 1, true);
        break;
    case 'c': case 's':
        if (stub->resumed) {
            break;              /* already running: the stop reply is owed */
        }
        cmd_continue(p + 1, *p == 's');
        break;
    case 'C': case 'S': {
        if (stub->resumed) {
            break;
        }
        const char *semi = strchr(p, ';');
        cmd_continue(semi ? semi + 1 : "", *p == 'S');
        break;
    }
    case 'H':
        cmd_set_thread(p + 1);
        break;
    case 'T': {
        int tid;
        reply(parse_thread(p + 1, NULL, &tid) && tid > 0 ? "OK" : "E22");
        break;
    }
    case 'Z': case 'z':
        cmd_breakpoint(p + 1, *p == 'Z');
        break;
    case 'D':
        reply("OK");
        release_vm(true);
        break;
    case 'k':
        ts_loop_quit(0);        /* as QEMU: the debugger ends the VM */
        break;
    case 'v':
        if (g_str_equal(p, "vCont?")) {
            reply("vCont;c;C;s;S;t");
        } else if (g_str_has_prefix(p, "vCont") && !stub->resumed) {
            cmd_vcont(p + 5);
        } else if (g_str_has_prefix(p, "vMustReplyEmpty")) {
            reply("");
        } else if (!g_str_has_prefix(p, "vCont")) {
            reply("");
        }
        break;
    case 'q': case 'Q':
        cmd_query(p);
        break;
    default:
        reply("");
        break;
    }
}

static void on_interrupt(void)
{
    if (!ts_vm_running() && !stub->resumed) {
        return;                 /* already stopped: gdb has its reply */
    }
    stop_vm();
    unsigned idx = stub->c_cpu;
    stub->resumed = false;
    stub->stopped_cpu = -1;
    stub->step_cpu = -1;
    arm_cpus(-1);
    send_stop_reply(idx, 2, false);
}

static size_t can_receive(void *opaque)
{
    return 4096;
}

static void receive(void *opaque, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len && stub; i++) {
        switch (gdb_framer_feed(&stub->framer, buf[i])) {
        case GDB_IN_PACKET: {
            size_t n;
            const char *body = gdb_framer_body(&stub->framer, &n);
            if (!stub->no_ack) {
                send_raw("+", 1);
            }
            handle_packet(body, n);
            break;
        }
        case GDB_IN_BAD:
            if (!stub->no_ack) {
                send_raw("-", 1);
            }
            break;
        case GDB_IN_INTERRUPT:
            on_interrupt();
            break;
        default:
            break;              /* acks: we never resend */
        }
    }
}

static void event(void *opaque, TsChardevEvent ev)
{
    if (ev == TS_CHARDEV_EVENT_OPENED) {
        gdb_framer_reset(&stub->framer);
        stub->no_ack = false;
        stub->connected = true;
        stub->g_cpu = stub->c_cpu = 0;
    } else if (ev == TS_CHARDEV_EVENT_CLOSED && stub->connected) {
        /* A debugger that went away leaves the VM as a detach does. */
        stub->connected = false;
        release_vm(false);
    }
}

static const TsChardevHandlers handlers = {
    .can_receive = can_receive,
    .receive = receive,
    .event = event,
};

/* ---- opening ------------------------------------------------------------ */

/* QEMU's -gdb takes the legacy chardev spellings, and "tcp::PORT" means
 * a listening socket that does not wait for the debugger. */
static char *chardev_opts_for(const char *dev, GError **errp)
{
    g_autofree char *spec = NULL;
    if (g_str_has_prefix(dev, "tcp:") && !strstr(dev, "server")) {
        spec = g_strdup_printf("%s,server=on,wait=off", dev);
    } else {
        spec = g_strdup(dev);
    }
    return chardev_legacy_to_opts("gdb", spec, NULL, errp);
}

void gdbstub_close(void)
{
    if (!stub) {
        return;
    }
    /* At exit (the CPUs may be gone) or replaced by HMP gdbserver: the
     * chardev goes without a CLOSED event, so nothing restarts here. */
    ts_chardev_detach(stub->chr, stub);
    chardev_free(stub->chr);
    ts_bh_free(stub->stop_bh);
    gdb_framer_clear(&stub->framer);
    g_array_free(stub->breaks, TRUE);
    g_clear_pointer(&stub, g_free);
}

bool gdbstub_start(const char *dev, GError **errp)
{
    gdbstub_close();
    if (g_str_equal(dev, "none")) {
        return true;
    }
    g_autofree char *opts = chardev_opts_for(dev, errp);
    TsChardev *chr = opts ? chardev_new_from_opts(opts, errp) : NULL;
    if (!chr) {
        return false;
    }
    GdbStub *s = g_new0(GdbStub, 1);
    s->chr = chr;
    s->step_cpu = s->stopped_cpu = -1;
    s->breaks = g_array_new(FALSE, FALSE, sizeof(GdbBreak));
    gdb_framer_init(&s->framer);
    s->stop_bh = ts_bh_new("gdbstub-stop", stop_bh_cb, NULL);
    stub = s;
    if (!ts_chardev_attach(chr, &handlers, s, errp)) {
        ts_bh_free(s->stop_bh);
        gdb_framer_clear(&s->framer);
        g_array_free(s->breaks, TRUE);
        chardev_free(chr);
        g_clear_pointer(&stub, g_free);
        return false;
    }
    return true;
}

void gdbstub_set_option(const char *dev)
{
    g_free(option_dev);
    option_dev = g_strdup(dev);
}

bool gdbstub_open_option(GError **errp)
{
    if (!option_dev) {
        return true;
    }
    if (!gdbstub_start(option_dev, errp)) {
        g_prefix_error(errp, "-gdb %s: ", option_dev);
        return false;
    }
    return true;
}
