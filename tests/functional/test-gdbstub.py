#!/usr/bin/env python3
"""The gdbstub (-gdb, -s, -S) with Debian's gdb-multiarch as the client.

- A bare-metal guest (guests/gdb-counter.c, -smp 2) under -gdb tcp::PORT
  -S: gdb breaks at bump(), continues, hits it (pc at bump), hits it
  again with counter == 1, reads a CSR and an FP register through the
  target description, steps one instruction, writes `counter` (memory
  writes), lists both harts as threads, detaches, and the guest runs on
  to its end: it prints the counter gdb's write shows in and exits 0.
- The same over a unix socket, and `-s` (tcp::1234) when that port is
  free.
- A raw client: framing with acks, a bad checksum (NAK), garbage, an
  oversized packet, malformed commands, Ctrl-C while the VM runs (T02
  and the "debug" run state the HMP monitor reports), HMP gdbserver
  moving the server, and a disconnect in the middle of a packet: the
  emulator answers a new client afterwards and never crashes; `k` ends
  it.  A bad -gdb device is a one-line error.

Usage: test-gdbstub.py GUEST_DIR --accel tcg,jit=on|off
       (GUEST_DIR empty: no cross compiler, skip)
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, run, skip_all  # noqa: E402

GUEST_DIR = sys.argv[1] if len(sys.argv) > 1 else ""
ACCEL = sys.argv[sys.argv.index("--accel") + 1] if "--accel" in sys.argv \
    else "tcg"
GDB = shutil.which("gdb-multiarch")
PATIENCE = 60               # hang guard, not a timing check

if not GUEST_DIR:
    skip_all("no riscv64 cross compiler (gcc-riscv64-linux-gnu)")
ELF = os.path.join(GUEST_DIR, "guest-gdb-counter.elf")
t = Tap()
tmp = tempfile.mkdtemp()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(gdb_args, extra=()):
    """The guest, stopped (-S), with the serial port in a file."""
    serial = os.path.join(tmp, "serial-%d.txt" % time.monotonic_ns())
    args = [TESSERA, "-M", "virt", "-smp", "2", "-m", "128M",
            "-accel", ACCEL, "-bios", "none", "-kernel", ELF,
            "-display", "none", "-monitor", "none",
            "-serial", "file:" + serial, "-S"] + list(gdb_args) + list(extra)
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    return p, serial


def wait_listening(connect):
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        try:
            s = connect()
            s.close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def tcp_connect(port):
    return lambda: socket.create_connection(("127.0.0.1", port), timeout=5)


def unix_connect(path):
    def c():
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(path)
        return s
    return c


def finish(p):
    try:
        out, err = p.communicate(timeout=PATIENCE)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return None, err
    return p.returncode, err


GDB_SCRIPT = [
    "set architecture riscv:rv64",
    "set confirm off",
    "set pagination off",
    None,                               # target remote ...
    "break bump",
    "continue",
    "info registers pc",
    "continue",
    "print counter",
    "print/x $mstatus",
    "print $fcsr",
    "print/x $pc",
    "stepi",
    "print/x $pc",
    "set var counter = 256",
    "info threads",
    "delete",
    "detach",
]


def gdb_session(target, label):
    script = list(GDB_SCRIPT)
    script[script.index(None)] = "target remote " + target
    cmd = [GDB, "-batch", "-nx", ELF]
    for line in script:
        cmd += ["-ex", line]
    g = subprocess.run(cmd, capture_output=True, text=True, timeout=PATIENCE,
                       stdin=subprocess.DEVNULL)
    out = g.stdout + g.stderr
    t.ok("Breakpoint 1, " in out and "bump" in out,
         "%s: breakpoint at bump() hit after continue" % label, out)
    pcs = re.findall(r"^pc\s+(0x[0-9a-f]+)\s+(.*)$", out, re.M)
    t.ok(pcs and "bump" in pcs[0][1],
         "%s: info registers shows pc at bump" % label, out)
    t.ok(re.search(r"^\$1 = 1$", out, re.M) is not None,
         "%s: second hit: counter is 1" % label, out)
    t.ok(re.search(r"^\$2 = 0x[0-9a-f]+$", out, re.M) is not None and
         re.search(r"^\$3 = ", out, re.M) is not None,
         "%s: a CSR (mstatus) and an FP register (fcsr) read" % label, out)
    before = re.search(r"^\$4 = (0x[0-9a-f]+)$", out, re.M)
    after = re.search(r"^\$5 = (0x[0-9a-f]+)$", out, re.M)
    t.ok(before and after and int(after.group(1), 16) > int(before.group(1), 16)
         and int(after.group(1), 16) - int(before.group(1), 16) <= 4,
         "%s: stepi moves pc by one instruction" % label, out)
    threads = re.findall(r"^\*?\s+(\d+)\s+Thread (\d+)", out, re.M)
    t.ok(sorted(int(n) for n, _ in threads) == [1, 2],
         "%s: info threads lists both harts" % label, out)
    return out


def check_runs_on(p, serial, label):
    st, err = finish(p)
    text = open(serial).read() if os.path.exists(serial) else ""
    # counter was 1 at the write of 256; 999 more calls follow.
    t.ok(st == 0 and "gdb-guest: counter=0x4e7" in text,
         "%s: after detach the guest runs to its end with gdb's write"
         % label, "status %s\n%s\nserial: %s" % (st, err, text))


if not GDB:
    t.skip("gdb-multiarch sessions", "no gdb-multiarch (apt install "
           "gdb-multiarch)")
else:
    port = free_port()
    p, serial = start(["-gdb", "tcp::%d" % port])
    if t.ok(wait_listening(tcp_connect(port)), "tcp: listening"):
        gdb_session("127.0.0.1:%d" % port, "tcp")
    check_runs_on(p, serial, "tcp")

    sock = os.path.join(tmp, "gdb.sock")
    p, serial = start(["-gdb", "unix:%s,server,wait=off" % sock])
    if t.ok(wait_listening(unix_connect(sock)), "unix: listening"):
        gdb_session(sock, "unix")
    check_runs_on(p, serial, "unix")

    if "jit=off" not in ACCEL:
        t.skip("-s", "checked once, by the jit=off run")
    else:
        try:
            probe = socket.socket()
            probe.bind(("127.0.0.1", 1234))
            probe.close()
            busy = False
        except OSError:
            busy = True
        if busy:
            t.skip("-s", "port 1234 is in use")
        else:
            p, serial = start(["-s"])
            if t.ok(wait_listening(tcp_connect(1234)), "-s: listening on 1234"):
                gdb_session("127.0.0.1:1234", "-s")
            check_runs_on(p, serial, "-s")


# ---- a raw, hostile client --------------------------------------------

def frame(body):
    return b"$" + body + b"#%02x" % (sum(body) & 0xff)


class Raw:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def read_until(self, pred):
        deadline = time.monotonic() + PATIENCE
        while not pred(self.buf) and time.monotonic() < deadline:
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            self.buf += chunk
        return pred(self.buf)

    def packet(self):
        """The next "$...#cs" packet's body (acks before it dropped)."""
        ok = self.read_until(lambda b: re.search(rb"\$([^#]*)#[0-9a-f]{2}", b))
        if not ok:
            return None
        m = re.search(rb"\$([^#]*)#[0-9a-f]{2}", self.buf)
        self.buf = self.buf[m.end():]
        return m.group(1)

    def ack(self):
        ok = self.read_until(lambda b: b[:1] in (b"+", b"-"))
        c, self.buf = self.buf[:1], self.buf[1:]
        return c if ok else None

    def close(self):
        self.s.close()


def hmp(path, command, until):
    """One HMP command on the monitor socket; its output until `until`
    and the end of that line."""
    m = socket.socket(socket.AF_UNIX)
    m.settimeout(10)
    m.connect(path)
    m.sendall(command.encode() + b"\n")
    text = b""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline and not (
            until in text and b"\n" in text.split(until, 1)[1]):
        try:
            chunk = m.recv(4096)
        except socket.timeout:
            break
        if not chunk:
            break
        text += chunk
    m.close()
    return text


def limit_addr():
    nm = shutil.which("riscv64-linux-gnu-nm")
    if not nm:
        return None
    out = subprocess.run([nm, ELF], capture_output=True, text=True).stdout
    m = re.search(r"^([0-9a-f]+) [DdBb] limit$", out, re.M)
    return int(m.group(1), 16) if m else None


port = free_port()
mon = os.path.join(tmp, "mon.sock")
p, serial = start(["-gdb", "tcp::%d" % port],
                  ["-monitor", "unix:%s,server,wait=off" % mon])
t.ok(wait_listening(tcp_connect(port)), "raw: listening")
c = Raw(port)
c.send(b"garbage\x00\xff+-")
c.send(b"$g#00")
t.ok(c.ack() == b"-", "raw: a bad checksum is answered with '-'")
c.send(b"$" + b"A" * 100000 + b"#00")
t.ok(c.ack() == b"-", "raw: an oversized packet is dropped with '-'")
c.send(frame(b"?"))
t.ok(c.ack() == b"+" and c.packet() == b"T05thread:1;",
     "raw: '?' after all that: acked, T05thread:1;")
c.send(frame(b"qfThreadInfo"))
t.ok(c.ack() == b"+" and c.packet() == b"m1,2", "raw: qfThreadInfo: m1,2")
c.send(frame(b"qXfer:features:read:target.xml:0,ffff"))
c.ack()
doc = c.packet() or b""
t.ok(doc.startswith(b"l") and b"riscv:rv64" in doc,
     "raw: target.xml names riscv:rv64", doc)
for bad in (b"m", b"mzz,4", b"p", b"P21=zz", b"Z0,", b"X80000000,4:}",
            b"Hg99", b"vCont;q", b"qXfer:features:read:nope.xml:0,10",
            b"M80000000,2:1"):
    c.send(frame(bad))
    c.ack()
    reply = c.packet()
    t.ok(reply is not None and (reply.startswith(b"E") or reply == b""),
         "raw: malformed %r refused" % bad.decode(errors="replace"), reply)
addr = limit_addr()
if addr is None:
    t.skip("raw: Ctrl-C", "no riscv64-linux-gnu-nm to find `limit`")
else:
    # raise the guest's loop count, so that it still runs at the Ctrl-C
    c.send(frame(b"M%x,8:%s" % (addr, b"00000000ffffff00")))
    c.ack()
    t.ok(c.packet() == b"OK", "raw: M writes guest memory")
    c.send(frame(b"vCont;c"))
    c.ack()
    time.sleep(0.3)
    c.send(b"\x03")
    reply = c.packet()
    t.ok(reply is not None and reply.startswith(b"T02thread:"),
         "raw: Ctrl-C stops the running VM with T02", reply)
    text = hmp(mon, "info status", b"VM status")
    t.ok(b"paused (debug)" in text,
         "raw: HMP info status says 'paused (debug)'", text)
port2 = free_port()
text = hmp(mon, "gdbserver tcp::%d" % port2, b"gdb connection")
t.ok(b"Waiting for gdb connection on device 'tcp::%d'" % port2 in text,
     "raw: HMP gdbserver moves the server to another port", text)
c.close()
c = Raw(port2)
c.send(b"$qSupp")           # and go away in the middle of a packet
c.close()
time.sleep(0.2)
c = Raw(port2)
c.send(frame(b"qSupported:swbreak+"))
t.ok(c.ack() == b"+" and b"PacketSize=" in (c.packet() or b""),
     "raw: a new client after a disconnect mid-packet is served")
c.send(frame(b"k"))
c.ack()
c.close()
st, err = finish(p)
t.ok(st == 0, "raw: 'k' ends the emulator, status 0", "status %s\n%s" % (st, err))

st, out, err = run([TESSERA, "-M", "virt", "-nographic", "-S",
                    "-gdb", "bogus:x"], timeout=PATIENCE)
lines = [l for l in err.splitlines() if l.strip()]
t.ok(st != 0 and len(lines) == 1 and "-gdb bogus:x: " in lines[0],
     "-gdb with a bad device: one-line error", err)

shutil.rmtree(tmp, ignore_errors=True)
t.done()
