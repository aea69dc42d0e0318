#!/usr/bin/env python3
"""-netdev socket and hubs with real peers and no NIC at all: two TCP
listeners on one hub relay QEMU-framed frames (4-byte big-endian length)
between two Python peers both ways; a peer that stops reading pauses
the other (its TCP send blocks: nothing dropped, nothing buffered without
bound) and everything arrives in order once it reads again; a length
prefix over the frame maximum closes that connection with a message and
the listener accepts again; udp= and mcast= carry one frame per
datagram; and Debian's QEMU as the peer: Tessera connects to QEMU's
listening socket, and frames pass both ways through a hub on each side.
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA  # noqa: E402
from qmp import Qmp  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp()
BASE = ["-M", "virt", "-display", "none", "-S", "-bios", "none",
        "-monitor", "none", "-serial", "none"]
FRAME_MAX = 65536 + 64


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(prog, args):
    sock = os.path.join(tmp, "qmp-%d.sock" % time.monotonic_ns())
    p = subprocess.Popen([prog] + BASE + args +
                         ["-qmp", "unix:%s,server=on,wait=off" % sock],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    return p, Qmp(sock, p)


def stop(p, q):
    try:
        q.cmd("quit")
    except Exception:
        pass
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    return p.stderr.read()


def connect(port, patience=10.0, buf=None):
    """A TCP connection to the emulator; buf: small kernel buffers on our
    side (set before connecting, so the window is small from the start)
    for the flow-control check, whose stall must not hide in them."""
    end = time.monotonic() + patience
    while True:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if buf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buf)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buf)
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
            return s
        except OSError:
            s.close()
            if time.monotonic() > end:
                raise
            time.sleep(0.05)


def frame(i, size=100):
    body = struct.pack(">I", i) + bytes([i & 0xff]) * (size - 4)
    return struct.pack(">I", len(body)) + body


def read_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise EOFError("connection closed after %d bytes" % len(out))
        out += chunk
    return out


def read_frame(s):
    (n,) = struct.unpack(">I", read_exact(s, 4))
    return read_exact(s, n)


def hmp(q, line):
    return q.cmd("human-monitor-command", {"command-line": line})["return"]


# ---- two listeners on one hub --------------------------------------------

pa, pb = free_port(), free_port()
p, q = start(TESSERA, [
    "-netdev", "socket,id=a,listen=127.0.0.1:%d" % pa,
    "-netdev", "socket,id=b,listen=127.0.0.1:%d" % pb,
    "-netdev", "hubport,id=ha,hubid=0,netdev=a",
    "-netdev", "hubport,id=hb,hubid=0,netdev=b"])
try:
    A, B = connect(pa, buf=65536), connect(pb, buf=65536)
    time.sleep(0.2)
    A.sendall(frame(1))
    got = read_frame(B)
    t.ok(got == frame(1)[4:], "a frame from peer A reaches peer B through "
         "the hub", repr(got[:16]))
    B.sendall(frame(2, 1500) + frame(3, 60))
    t.ok(read_frame(A) == frame(2, 1500)[4:] and
         read_frame(A) == frame(3, 60)[4:],
         "frames from B reach A, in order, a frame split across reads too")
    info = hmp(q, "info network")
    t.ok("hub 0" in info and "socket: connection from 127.0.0.1" in info
         and " \\ hb: b: index=0,type=socket," in info,
         "info network shows the hub and both connections", info)

    # Flow control through the hub: B stops reading.  48 MiB: more than
    # the emulator's own socket buffers can hold (loopback autotuning
    # lets each grow to a few MiB; ours are 64 KiB).
    N = 800
    frames = [frame(i, 60000) for i in range(N)]
    data = b"".join(frames)
    A.setblocking(False)
    off, stalled_since = 0, None
    while off < len(data):
        try:
            off += A.send(data[off:off + 1 << 20])
            stalled_since = None
        except BlockingIOError:
            now = time.monotonic()
            stalled_since = stalled_since or now
            if now - stalled_since > 1.0:
                break
            time.sleep(0.02)
    t.ok(off < len(data), "a peer that stops reading pauses the sender: "
         "its TCP send blocks after %d of %d MiB" % (off >> 20,
                                                     len(data) >> 20))
    rss = int(open("/proc/%d/statm" % p.pid).read().split()[1]) * 4096
    t.ok(rss < 512 * 1024 * 1024, "memory stays bounded meanwhile "
         "(%d MiB resident)" % (rss >> 20))
    A.setblocking(True)
    rest = threading.Thread(target=A.sendall, args=(data[off:],))
    rest.start()
    ok = True
    for i in range(N):
        if read_frame(B) != frames[i][4:]:
            ok = False
            break
    rest.join()
    t.ok(ok, "once B reads, all %d frames arrive, in order, none dropped"
         % N)
    A.sendall(frame(7))
    t.ok(read_frame(B) == frame(7)[4:], "and traffic goes on")

    # A hostile length prefix closes that connection, not the emulator.
    A.sendall(struct.pack(">I", FRAME_MAX + 1) + b"x" * 64)
    A.settimeout(5)
    closed = False
    try:
        closed = A.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        closed = True
    t.ok(closed, "a length over the frame maximum closes the connection")
    A2 = connect(pa)
    time.sleep(0.2)
    A2.sendall(frame(8))
    t.ok(read_frame(B) == frame(8)[4:], "the listener accepts again and "
         "relays")
    t.ok(q.cmd("query-status").get("return") is not None,
         "the emulator is still up")
    A2.close()
    B.close()
    A.close()
finally:
    err = stop(p, q)
t.ok("frame length %d is over the maximum" % (FRAME_MAX + 1) in err,
     "the bad frame is reported on stderr", err)

# ---- udp= and mcast= against a TCP listener -------------------------------

pt, pu_peer, pu_local = free_port(), free_port(socket.SOCK_DGRAM), \
    free_port(socket.SOCK_DGRAM)
pm = free_port(socket.SOCK_DGRAM)
mcast_args = ["-netdev", "socket,id=m,mcast=230.0.0.1:%d,localaddr=127.0.0.1"
              % pm, "-netdev", "hubport,id=hm,hubid=0,netdev=m"]
args = ["-netdev", "socket,id=t,listen=127.0.0.1:%d" % pt,
        "-netdev", "socket,id=u,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d"
        % (pu_peer, pu_local),
        "-netdev", "hubport,id=ht,hubid=0,netdev=t",
        "-netdev", "hubport,id=hu,hubid=0,netdev=u"]
p, q = start(TESSERA, args + mcast_args)
time.sleep(0.5)
if p.poll() is not None:
    # No multicast route here: go on without the group.
    mcast_args = []
    p, q = start(TESSERA, args)
try:
    T = connect(pt)
    U = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    U.bind(("127.0.0.1", pu_peer))
    U.settimeout(5)
    time.sleep(0.2)
    U.sendto(frame(11)[4:], ("127.0.0.1", pu_local))
    t.ok(read_frame(T) == frame(11)[4:], "a UDP datagram becomes one frame")
    T.sendall(frame(12, 300))
    # With the group on the hub too, the group's loopback echoes frame 11
    # to U first (QEMU's mcast loops back the same way).
    got = False
    for _ in range(4):
        data, _ = U.recvfrom(70000)
        if data == frame(12, 300)[4:]:
            got = True
            break
    t.ok(got, "a frame becomes one UDP datagram")
    if mcast_args:
        M = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        M.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        M.bind(("230.0.0.1", pm))
        M.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                     socket.inet_aton("230.0.0.1") +
                     socket.inet_aton("127.0.0.1"))
        M.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                     socket.inet_aton("127.0.0.1"))
        M.settimeout(5)
        M.sendto(frame(13)[4:], ("230.0.0.1", pm))
        seen = set()
        for _ in range(3):
            seen.add(read_frame(T))
            if frame(13)[4:] in seen:
                break
        t.ok(frame(13)[4:] in seen, "a datagram to the group reaches the "
             "TCP peer")
        T.sendall(frame(14))
        got = False
        for _ in range(4):
            data, _ = M.recvfrom(70000)
            if data == frame(14)[4:]:
                got = True
                break
        t.ok(got, "a frame reaches the multicast group")
    else:
        t.skip("mcast=", "no multicast route on this host")
finally:
    stop(p, q)

# ---- Debian's QEMU as the peer --------------------------------------------

qemu = shutil.which("qemu-system-riscv64")
if not qemu:
    t.skip("frames through QEMU", "qemu-system-riscv64 not installed "
           "(Debian package qemu-system-misc)")
else:
    q1, q2, tl = free_port(), free_port(), free_port()
    qp, qq = start(qemu, [
        "-netdev", "socket,id=q1,listen=127.0.0.1:%d" % q1,
        "-netdev", "socket,id=q2,listen=127.0.0.1:%d" % q2,
        "-netdev", "hubport,id=h1,hubid=0,netdev=q1",
        "-netdev", "hubport,id=h2,hubid=0,netdev=q2"])
    p, q = start(TESSERA, [
        "-netdev", "socket,id=c,connect=127.0.0.1:%d" % q1,
        "-netdev", "socket,id=l,listen=127.0.0.1:%d" % tl,
        "-netdev", "hubport,id=hc,hubid=0,netdev=c",
        "-netdev", "hubport,id=hl,hubid=0,netdev=l"])
    # QEMU passes frames only while its VM runs.
    qq.cmd("cont")
    try:
        X = connect(tl)
        Y = connect(q2)
        time.sleep(0.5)
        X.sendall(frame(21, 1000))
        t.ok(read_frame(Y) == frame(21, 1000)[4:], "Tessera -> QEMU: a "
             "frame crosses both hubs and both emulators' framing")
        Y.sendall(frame(22, 64))
        t.ok(read_frame(X) == frame(22, 64)[4:], "QEMU -> Tessera: and back")
        info = hmp(q, "info network")
        t.ok("socket: connect to 127.0.0.1:%d" % q1 in info,
             "info network names the connection as QEMU does", info)
        X.close()
        Y.close()
    finally:
        stop(p, q)
        stop(qp, qq)

shutil.rmtree(tmp, ignore_errors=True)
t.done()
