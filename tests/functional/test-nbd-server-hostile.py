#!/usr/bin/env python3
"""Hostile NBD clients against tessera-nbd and the emulator's server:
unknown client flags, a bad option magic, an option claiming a
gigabyte, malformed GO and meta-context payloads, unknown options and
exports, bad request magic, requests past the end, oversized reads and
writes, unknown commands and flags, writes to a read-only export,
BLOCK_STATUS without a meta context, a client gone half-way through a
write, hundreds of idle connections and a client that floods reads
without reading replies.  Each gets an error reply or a closed
connection; the server's memory stays bounded and other clients (and,
in the emulator, the monitor) are served throughout."""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, BUILD, TESSERA, run, skip_all  # noqa: E402
from qmp import connect_unix, running  # noqa: E402
from proc import status_kb  # noqa: E402

NBD = os.path.join(BUILD, "tessera-nbd")
QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")
NBDINFO = shutil.which("nbdinfo")
if not (QEMU_IMG and QEMU_IO):
    skip_all("qemu-img/qemu-io not installed (Debian package qemu-utils)")
if not NBDINFO:
    skip_all("nbdinfo not installed (Debian package libnbd-bin)")

IHAVEOPT = 0x49484156454F5054
REQ_MAGIC = 0x25609513
SIMPLE = 0x67446698
STRUCTURED = 0x668e33ef
OPT_EXPORT_NAME, OPT_LIST, OPT_GO, OPT_SR, OPT_SET_META = 1, 3, 7, 8, 10
REP_ACK, REP_INFO, REP_META = 1, 3, 4
ERR_UNSUP, ERR_INVALID, ERR_UNKNOWN = 2**31 + 1, 2**31 + 3, 2**31 + 6
CMD_READ, CMD_WRITE, CMD_DISC, CMD_TRIM, CMD_BS = 0, 1, 2, 4, 7
EPERM, EINVAL, ENOSPC = 1, 22, 28
MiB = 1024 * 1024
SIZE = 4 * MiB

t = Tap()
tmp = tempfile.mkdtemp(prefix="test-nbd-server-hostile-")


def path(name):
    return os.path.join(tmp, name)


class Client:
    def __init__(self, sock):
        self.s = connect_unix(sock)
        self.s.settimeout(30)
        hello = self.recv(18)
        assert hello[:16] == b"NBDMAGIC" + struct.pack(">Q", IHAVEOPT)

    def recv(self, n):
        data = b""
        while len(data) < n:
            chunk = self.s.recv(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def send(self, data):
        self.s.sendall(data)

    def opt(self, opt, data=b"", length=None):
        length = len(data) if length is None else length
        self.send(struct.pack(">QII", IHAVEOPT, opt, length) + data)

    def opt_reply(self):
        magic, opt, rtype, rlen = struct.unpack(">QII I", self.recv(20))
        return opt, rtype, self.recv(rlen)

    def go(self, name, structured=False, meta=False):
        self.send(struct.pack(">I", 1))
        if structured:
            self.opt(OPT_SR)
            assert self.opt_reply()[1] == REP_ACK
        if meta:
            q = b"base:allocation"
            n = name.encode()
            self.opt(OPT_SET_META, struct.pack(">I", len(n)) + n +
                     struct.pack(">II", 1, len(q)) + q)
            assert self.opt_reply()[1] == REP_META
            assert self.opt_reply()[1] == REP_ACK
        n = name.encode()
        self.opt(OPT_GO, struct.pack(">I", len(n)) + n + struct.pack(">H", 0))
        while True:
            opt, rtype, data = self.opt_reply()
            if rtype == REP_ACK:
                return self
            assert rtype == REP_INFO, (rtype, data)

    def req(self, cmd, offset, length, flags=0, cookie=7, payload=b""):
        self.send(struct.pack(">IHHQQI", REQ_MAGIC, flags, cmd, cookie,
                              offset, length) + payload)

    def reply(self):
        """(error, cookie, payload) of a simple reply, or of a
        structured reply's chunks up to DONE (error of its error chunk;
        payload the list of (type, data))."""
        magic = struct.unpack(">I", self.recv(4))[0]
        if magic == SIMPLE:
            err, cookie = struct.unpack(">IQ", self.recv(12))
            return err, cookie, None
        chunks = []
        while True:
            flags, ctype, cookie, clen = struct.unpack(">HHQI", self.recv(16))
            data = self.recv(clen)
            chunks.append((ctype, data))
            if flags & 1:
                break
            assert struct.unpack(">I", self.recv(4))[0] == STRUCTURED
        err = 0
        for ctype, data in chunks:
            if ctype & 0x8000:
                err = struct.unpack(">I", data[:4])[0]
        return err, cookie, chunks

    def closed(self):
        try:
            self.s.settimeout(30)
            return self.s.recv(65536) == b"" or self.s.recv(65536) == b""
        except (ConnectionResetError, BrokenPipeError):
            return True

    def close(self):
        self.s.close()


def still_serves(sock, name):
    try:
        st, out, err = run([NBDINFO, "--size", "nbd+unix:///%s?socket=%s"
                            % (name, sock)], timeout=30)
    except subprocess.TimeoutExpired:
        print("# nbdinfo timed out")
        return False
    if st != 0 or out.strip() != str(SIZE):
        print("# nbdinfo: status %d: %s" % (st, (out + err).strip()))
    return st == 0 and out.strip() == str(SIZE)


def negotiation_abuse(sock, name, where):
    c = Client(sock)
    c.send(struct.pack(">I", 0x80))
    t.ok(c.closed(), "%s: unknown client flags close the connection"
         % where)
    c = Client(sock)
    c.send(struct.pack(">I", 1) + struct.pack(">QII", 0x1234, OPT_LIST, 0))
    t.ok(c.closed(), "%s: a bad option magic closes it" % where)
    c = Client(sock)
    c.send(struct.pack(">I", 1))
    c.opt(OPT_LIST, length=1 << 30)
    t.ok(c.closed(), "%s: an option claiming 1 GiB closes it at once"
         % where)
    c = Client(sock)
    c.send(struct.pack(">I", 1))
    c.opt(99, b"junk")
    r1 = c.opt_reply()
    c.opt(OPT_GO, struct.pack(">I", 1000) + b"x")    # name past the end
    r2 = c.opt_reply()
    c.opt(OPT_GO, struct.pack(">I", 4) + b"nope" + struct.pack(">H", 0))
    r3 = c.opt_reply()
    c.opt(OPT_SET_META, struct.pack(">I", 0) + struct.pack(">I", 5))
    r4 = c.opt_reply()
    c.opt(OPT_LIST)
    r5 = c.opt_reply()
    t.ok(r1[1] == ERR_UNSUP and r2[1] == ERR_INVALID and
         r3[1] == ERR_UNKNOWN and r4[1] == ERR_INVALID and r5[1] == 2,
         "%s: unknown option, bad GO, unknown export, SET_META before "
         "structured replies: error replies, then LIST still works" % where,
         [r[1] for r in (r1, r2, r3, r4, r5)])
    c.close()
    c = Client(sock)
    c.send(struct.pack(">I", 1))
    c.opt(OPT_EXPORT_NAME, b"nope")
    t.ok(c.closed(), "%s: EXPORT_NAME of an unknown export closes it"
         % where)


def request_abuse(sock, name, writable, where):
    c = Client(sock).go(name)
    results = {}
    for label, args in [("read past the end", (CMD_READ, SIZE - 512, 1024)),
                        ("offset past the end", (CMD_READ, 2**63, 1)),
                        ("64 MiB read", (CMD_READ, 0, 64 * MiB)),
                        ("unknown command", (99, 0, 512)),
                        ("unknown flag", (CMD_READ, 0, 512, 0x80)),
                        ("BLOCK_STATUS without a context",
                         (CMD_BS, 0, 512))]:
        c.req(*args)
        results[label] = c.reply()[0]
    want = {k: EINVAL for k in results}
    t.ok(results == want, "%s: bad requests get EINVAL and the "
         "connection goes on" % where, results)
    if writable:
        c.req(CMD_WRITE, SIZE - 100, 200, payload=b"x" * 200)
        e1 = c.reply()[0]
        big = 33 * MiB
        c.req(CMD_WRITE, 0, big)
        c.send(b"\0" * big)             # the payload it must skip
        e2 = c.reply()[0]
        t.ok(e1 == ENOSPC and e2 == EINVAL, "%s: a write past the end "
             "gets ENOSPC, an oversized one EINVAL with its payload "
             "skipped" % where, (e1, e2))
    else:
        c.req(CMD_WRITE, 0, 512, payload=b"x" * 512)
        e1 = c.reply()[0]
        c.req(CMD_TRIM, 0, 512)
        e2 = c.reply()[0]
        t.ok(e1 == EPERM and e2 == EPERM, "%s: writes to a read-only "
             "export get EPERM" % where, (e1, e2))
    c.req(CMD_READ, 0, 512, cookie=99)
    err, cookie, data = c.reply()
    t.ok(err == 0 and cookie == 99 and data is None and
         c.recv(512) == b"\x5a" * 512,
         "%s: then a good read is answered" % where)
    c.send(struct.pack(">IHHQQI", 0xdeadbeef, 0, 0, 1, 0, 512))
    t.ok(c.closed(), "%s: a bad request magic closes it" % where)

    # Structured reads: data and hole chunks, the last marked DONE.
    c = Client(sock).go(name, structured=True, meta=True)
    c.req(CMD_READ, 0, 128 * 1024)
    err, cookie, chunks = c.reply()
    types = [ct for ct, d in chunks]
    t.ok(err == 0 and types == [1, 2] and
         chunks[0][1][8:] == b"\x5a" * 65536 and
         struct.unpack(">QI", chunks[1][1]) == (65536, 65536),
         "%s: a structured read over data then a hole: a data chunk and "
         "a hole chunk" % where, types)
    c.req(CMD_BS, 0, SIZE)
    err, cookie, chunks = c.reply()
    ext = struct.unpack(">I" + "II" * ((len(chunks[0][1]) - 4) // 8),
                        chunks[0][1])
    t.ok(err == 0 and ext[:5] == (1, 65536, 0, SIZE - 65536, 3),
         "%s: BLOCK_STATUS: data, then a hole that reads as zero" % where,
         ext)
    c.req(CMD_DISC, 0, 0)
    t.ok(c.closed(), "%s: NBD_CMD_DISC closes it" % where)


def crowd_and_flood(sock, name, pid, where):
    # Gone half-way through a write's payload.
    c = Client(sock).go(name)
    c.req(CMD_WRITE, 0, MiB)
    c.send(b"y" * 1000)
    c.close()
    # Hundreds of idle connections at once.
    crowd = [Client(sock) for _ in range(200)]
    ok = still_serves(sock, name)
    for c in crowd:
        c.close()
    t.ok(ok, "%s: served beside 200 idle connections and a client gone "
         "mid-write" % where)
    # A client that asks for 4 GiB of reads and reads no reply.
    before = status_kb(pid, "VmRSS")
    c = Client(sock).go(name)
    c.s.setblocking(False)
    sent = 0
    payload = b"".join(struct.pack(">IHHQQI", REQ_MAGIC, 0, CMD_READ, i,
                                   0, MiB) for i in range(64))
    deadline = time.monotonic() + 3
    while sent < 4096 and time.monotonic() < deadline:
        try:
            c.s.send(payload)
            sent += 64
        except BlockingIOError:
            time.sleep(0.05)
    time.sleep(0.5)
    ok = still_serves(sock, name)
    after = status_kb(pid, "VmRSS")
    grown = (after - before) // 1024
    c.close()
    # Unbounded, the server would hold the 4 GiB it was asked for; bounded
    # it holds about 128 MiB (64 MiB of replies, 64 MiB in flight), plus
    # what ASan keeps in quarantine (up to 256 MiB) in the ASan build.
    t.ok(grown < 1024 and ok,
         "%s: a client flooding reads it never collects is held back "
         "(%d of 4096 sent, RSS +%d MiB) and others are served" %
         (where, sent, grown))


run([QEMU_IMG, "create", "-q", "-f", "qcow2", path("disk.qcow2"), "4M"])
run([QEMU_IO, "-f", "qcow2", "-c", "write -P 0x5a 0 64k",
     path("disk.qcow2")])

# ---- tessera-nbd ----------------------------------------------------------
for writable in (False, True):
    sock = path("tool-%d.sock" % writable)
    extra = [] if writable else ["-r"]
    shutil.copy(path("disk.qcow2"), path("tool.qcow2"))
    p = subprocess.Popen([NBD, "-k", sock, "-f", "qcow2", "-t",
                          "--shared=0", "-x", "e"] + extra +
                         [path("tool.qcow2")], stderr=subprocess.PIPE,
                         text=True)
    where = "tessera-nbd" + (" (writable)" if writable else " -r")
    connect_unix(sock, p).close()
    if not writable:
        negotiation_abuse(sock, "e", where)
    request_abuse(sock, "e", writable, where)
    if not writable:
        crowd_and_flood(sock, "e", p.pid, where)
    t.ok(p.poll() is None and still_serves(sock, "e"),
         "%s: still up and serving" % where)
    p.terminate()
    err = p.communicate(timeout=60)[1]
    t.ok(p.returncode == 0, "%s: ends cleanly" % where, err)

# ---- the emulator ---------------------------------------------------------
sock = path("emu.sock")
with running([TESSERA, "-M", "virt", "-nographic", "-S",
              "-drive", "if=none,id=d0,file=%s,format=qcow2"
              % path("disk.qcow2"),
              "-device", "virtio-blk-device,drive=d0"], tmp) as (p, q):
    q.cmd("nbd-server-start", {"addr": {"type": "unix",
                                        "data": {"path": sock}}})
    q.cmd("nbd-server-add", {"device": "d0"})
    q.cmd("cont")
    negotiation_abuse(sock, "d0", "emulator")
    request_abuse(sock, "d0", False, "emulator")
    crowd_and_flood(sock, "d0", p.pid, "emulator")
    r = q.cmd("query-status")
    t.ok(r["return"]["status"] == "running" and still_serves(sock, "d0"),
         "emulator: the guest runs and the monitor answers throughout", r)

shutil.rmtree(tmp, ignore_errors=True)
t.done()
