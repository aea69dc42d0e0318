#!/usr/bin/env python3
"""blk-nbd against NBD servers that misbehave (a Python server here).

The emulator opens `-drive file=nbd+unix:///exp?socket=S` without a
format, so it negotiates and then reads the first block to probe the
format: each case breaks one step of that (the greeting, an option reply,
the read's reply) or drops the connection in the middle.  Every one must
end the emulator with a non-zero status and a short error naming what
went wrong, in bounded time, without a sanitizer report; the same server
behaving well lets it start.  With the test Linux guest (when there is one): a
server that drops the connection in the middle of a read reply while the
guest reads gives the guest I/O errors (that read and every later one),
the emulator a warning naming the cause, and no crash.  Also: options and filenames refused with
one line (tls-creds, malformed URLs, nobody listening).
"""
import os
import socket
import struct
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, run  # noqa: E402
import guest  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp(prefix="test-nbd-hostile-")
SOCK = os.path.join(tmp, "nbd.sock")

NBDMAGIC = b"NBDMAGIC"
IHAVEOPT = 0x49484156454F5054
OPT_REPLY = 0x3e889045565a9
OPT_STRUCTURED, OPT_SET_META, OPT_GO, OPT_EXPORT_NAME = 8, 10, 7, 1
REP_ACK, REP_INFO, REP_META = 1, 3, 4
ERR = 1 << 31
SIMPLE, STRUCT = 0x67446698, 0x668e33ef
CHUNK_DATA, CHUNK_HOLE, CHUNK_ERROR = 1, 2, (1 << 15) + 1
SIZE = 1 << 20
# What the export holds: a probe of it guesses raw.
DISK = bytes(range(256)) * (SIZE // 256)


def recv(s, n):
    b = b""
    while len(b) < n:
        more = s.recv(n - len(b))
        if not more:
            raise EOFError
        b += more
    return b


def opt_reply(s, opt, typ, data=b"", magic=OPT_REPLY, length=None):
    s.sendall(struct.pack(">QIII", magic, opt, typ,
                          len(data) if length is None else length) + data)


asked = []                      # export names asked for, "DISC"s


def serve_one(conn, case):
    """Play case with one client."""
    if case == "greeting-magic":
        conn.sendall(b"NBDMAGIX" + struct.pack(">QH", IHAVEOPT, 3))
        return
    if case == "oldstyle":
        conn.sendall(NBDMAGIC + struct.pack(">QQ", 0x420281861253, SIZE) +
                     bytes(128))
        return
    conn.sendall(NBDMAGIC + struct.pack(">QH", IHAVEOPT, 3))
    recv(conn, 4)                               # client flags
    structured = False
    while True:
        magic, opt, length = struct.unpack(">QII", recv(conn, 16))
        data = recv(conn, length)
        if opt == OPT_STRUCTURED:
            if case == "opt-magic":
                opt_reply(conn, opt, REP_ACK, magic=0x1234)
                return
            if case == "opt-oversize":
                opt_reply(conn, opt, REP_ACK, length=0xfffffff0)
                return
            structured = True
            opt_reply(conn, opt, REP_ACK)
        elif opt == OPT_SET_META:
            opt_reply(conn, opt, REP_META,
                      struct.pack(">I", 1) + b"base:allocation")
            opt_reply(conn, opt, REP_ACK)
        elif opt == OPT_GO and case == "no-go":
            opt_reply(conn, opt, ERR | 1)       # the old way, please
        elif opt == OPT_EXPORT_NAME:
            asked.append(data.decode())
            conn.sendall(struct.pack(">QH", SIZE, 1 | 4 | 8))  # NO_ZEROES
            break
        elif opt == OPT_GO:
            (nlen,) = struct.unpack(">I", data[:4])
            asked.append(data[4:4 + nlen].decode())
            if case == "no-such-export":
                opt_reply(conn, opt, ERR | 6, b"export 'exp' not present")
                continue
            if case == "tls-required":
                opt_reply(conn, opt, ERR | 5)
                continue
            if case == "go-flood":
                for _ in range(100000):
                    opt_reply(conn, opt, REP_INFO, struct.pack(">H", 2) +
                              b"description")
                return
            if case != "go-no-size":
                flags = 1 | 4 | 8 | (2 if case == "read-only" else 0)
                opt_reply(conn, opt, REP_INFO,
                          struct.pack(">HQH", 0, SIZE, flags))
            opt_reply(conn, opt, REP_ACK)
            break
        elif opt == 2:                          # NBD_OPT_ABORT
            return
        else:
            opt_reply(conn, opt, ERR | 1)       # unsupported
    # Transmission: answer requests, breaking the first read as told.
    while True:
        try:
            hdr = recv(conn, 28)
        except EOFError:
            return
        magic, flags, typ, handle, off, length = struct.unpack(">IHHQQI",
                                                               hdr)
        if typ == 2:                            # NBD_CMD_DISC
            asked.append("DISC")
            return
        if typ == 1:
            recv(conn, length)
        if typ != 0:
            conn.sendall(struct.pack(">IIQ", SIMPLE, 0, handle))
            continue
        data = DISK[off:off + length]
        if case == "drop-late" and off >= SIZE // 2:
            case = "drop-mid-reply"     # the guest's read of the 2nd half
        if case == "drop-before-reply":
            return
        if case == "reply-magic":
            conn.sendall(struct.pack(">IIQ", 0xdeadbeef, 0, handle))
            return
        if case == "unknown-handle":
            conn.sendall(struct.pack(">IIQ", SIMPLE, 0, handle ^ 0x5555))
            return
        if case == "drop-mid-reply":
            conn.sendall(struct.pack(">IHHQI", STRUCT, 1, CHUNK_DATA, handle,
                                     8 + length) + struct.pack(">Q", off) +
                         data[:length // 2])
            return
        if case == "chunk-past-request":
            conn.sendall(struct.pack(">IHHQI", STRUCT, 1, CHUNK_DATA, handle,
                                     8 + length) +
                         struct.pack(">Q", off + 4096) + data)
            return
        if case == "chunk-oversize":
            conn.sendall(struct.pack(">IHHQI", STRUCT, 1, CHUNK_DATA, handle,
                                     0xfffffff0) + struct.pack(">Q", off))
            return
        if case == "error-chunk-bad-length":
            conn.sendall(struct.pack(">IHHQI", STRUCT, 1, CHUNK_ERROR, handle,
                                     10) + struct.pack(">IH", 5, 2000) +
                         b"oops")
            return
        if case == "short-read":
            # A well-formed reply that leaves half the range uncovered.
            conn.sendall(struct.pack(">IHHQI", STRUCT, 1, CHUNK_DATA, handle,
                                     8 + length // 2) +
                         struct.pack(">Q", off) + data[:length // 2])
            continue
        if case == "read-error":
            msg = b"medium on fire"
            conn.sendall(struct.pack(">IHHQI", STRUCT, 1, CHUNK_ERROR, handle,
                                     6 + len(msg)) +
                         struct.pack(">IH", 5, len(msg)) + msg)
            continue
        # Good: half as a hole (zeroes in DISK? no: data), in two chunks.
        half = length // 2
        conn.sendall(struct.pack(">IHHQI", STRUCT, 0, CHUNK_DATA, handle,
                                 8 + half) + struct.pack(">Q", off) +
                     data[:half])
        conn.sendall(struct.pack(">IHHQI", STRUCT, 1, CHUNK_DATA, handle,
                                 8 + length - half) +
                     struct.pack(">Q", off + half) + data[half:])


class Server:
    def __init__(self, case):
        if os.path.exists(SOCK):
            os.unlink(SOCK)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(SOCK)
        self.sock.listen(4)
        self.case = case
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                serve_one(conn, self.case)
            except (EOFError, OSError):
                pass
            finally:
                conn.close()

    def stop(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        os.unlink(SOCK)


def start(args, timeout=60):
    return run([TESSERA, "-M", "virt", "-display", "none", "-serial",
                "null", "-S", "-monitor", "stdio"] + args, timeout=timeout,
               input="quit\n")


URL = "nbd+unix:///exp?socket=" + SOCK


def sane(err):
    return "Sanitizer" not in err and "runtime error" not in err


# ---- a server that behaves: the drive opens, the emulator quits -----
srv = Server("good")
st, out, err = start(["-drive", "file=%s,if=none,id=d0" % URL])
t.ok(st == 0 and "probing guessed raw" in err,
     "a well-behaved server: the drive opens (probed raw through NBD)",
     "status %d\n%s" % (st, err))
t.ok(asked == ["exp", "DISC"], "the export asked for, NBD_CMD_DISC on "
     "quit", repr(asked))
srv.stop()
srv = Server("no-go")
del asked[:]
st, out, err = start(["-drive", "file=%s,if=none,id=d0" % URL])
t.ok(st == 0 and asked[:1] == ["exp"], "a server without NBD_OPT_GO: "
     "NBD_OPT_EXPORT_NAME, and the drive opens", "status %d, asked %r\n%s"
     % (st, asked, err))
st, out, err = start(["-hda", URL])
t.ok(st == 0 and "probing guessed raw" in err,
     "-hda nbd+unix://...: the drive opens", "status %d\n%s" % (st, err))
del asked[:]
st, out, err = start(["-drive", "file=%s,format=raw,if=none,id=d0,"
                      "file.export=other" % URL])
lines = [l for l in err.splitlines() if l.strip()]
t.ok(st != 0 and len(lines) == 1 and "export and a file name may not be "
     "used at the same time" in err and not asked,
     "-drive file.export= beside a URL naming the export: refused",
     "status %d, asked %r\n%s" % (st, asked, err))
srv.stop()

# ---- a read-only export: -drive opens it, as QEMU's does -----------
srv = Server("read-only")
st, out, err = run([TESSERA, "-M", "virt", "-display", "none", "-serial",
                    "null", "-S", "-monitor", "stdio", "-drive",
                    "file=%s,format=raw,if=none,id=d0" % URL], timeout=60,
                   input="info block\nquit\n")
t.ok(st == 0 and "d0 (" in out and not err.strip(), "a read-only export: "
     "-drive opens it (auto-read-only, as QEMU's -drive)",
     "status %d\n%s%s" % (st, out, err))
st, out, err = start(["-blockdev", "driver=nbd,node-name=n0,"
                      "server.type=unix,server.path=" + SOCK])
t.ok(st != 0 and "Could not open image: Permission denied" in err,
     "a read-only export: -blockdev driver=nbd without read-only=on is "
     "refused as QEMU does", "status %d\n%s" % (st, err))
st, out, err = start(["-blockdev", "driver=nbd,node-name=n0,read-only=on,"
                      "server.type=unix,server.path=" + SOCK])
t.ok(st == 0, "... and opens with read-only=on", "status %d\n%s" %
     (st, err))
srv.stop()

# ---- each misbehaviour: a clean error ------------------------------
CASES = [
    ("greeting-magic", "Not an NBD server"),
    ("oldstyle", "Old-style NBD servers are not supported"),
    ("opt-magic", "option reply with a bad magic"),
    ("opt-oversize", "option reply of 4294967280 bytes"),
    ("go-no-size", "did not send the export's size"),
    ("go-flood", "too many replies to NBD_OPT_GO"),
    ("no-such-export", "Requested export not available (server reported: "
                       "export 'exp' not present)"),
    ("tls-required", "requires TLS"),
    ("reply-magic", "reply with a bad magic 0xdeadbeef"),
    ("unknown-handle", "replied to an unknown handle"),
    ("drop-before-reply", "NBD server closed the connection"),
    ("drop-mid-reply", "NBD server closed the connection"),
    ("chunk-past-request", "sent data past the request"),
    ("chunk-oversize", "data chunk of 4294967280 bytes"),
    ("error-chunk-bad-length", "error chunk whose message does not fit"),
    ("short-read", "Input/output error"),
    ("read-error", "Input/output error"),
]
for case, want in CASES:
    srv = Server(case)
    try:
        st, out, err = start(["-drive", "file=%s,if=none,id=d0" % URL],
                             timeout=60)
    except Exception as e:          # a hang: the timeout
        st, err = None, "no end: %r" % e
    srv.stop()
    lines = [l for l in err.splitlines() if l.strip()]
    t.ok(st not in (0, None) and want in err and sane(err) and
         len(lines) <= 2, "%s: exits with an error saying '%s'" %
         (case, want), "status %r\n%s" % (st, err))

# ---- at run time: a guest reading when the server goes away ---------
g = guest.find()
if g and os.path.exists(guest.DEFAULT_BIOS):
    srv = Server("drop-late")
    c = None
    try:
        c = guest.boot(TESSERA, g, [
            "-drive", "file=%s,format=raw,if=none,id=d0" % URL,
            "-device", "virtio-blk-device,drive=d0,serial=HOSTILE"])
        out = guest.shell(c, "dd if=/dev/vda of=/dev/null bs=64k count=1 "
                          "iflag=direct; echo rc=$?")
        t.ok("rc=0" in out, "run time: the first half of the disk reads",
             out)
        out = guest.shell(c, "dd if=/dev/vda of=/dev/null bs=64k skip=12 "
                          "count=1 iflag=direct; echo rc=$?", timeout=120)
        t.ok("rc=1" in out and "I/O error" in out and
             "NBD server closed the connection" in c.tail(),
             "run time: the server drops the connection in the middle of a "
             "reply: the guest's read fails with an I/O error, the "
             "emulator says why", out + c.tail())
        out = guest.shell(c, "dd if=/dev/vda of=/dev/null bs=64k count=1 "
                          "skip=2 iflag=direct; echo rc=$?", timeout=120)
        t.ok("rc=1" in out, "run time: later reads fail at once", out)
        guest.poweroff(t, c, "run time: the guest")
        t.ok(sane(c.tail(100000)), "run time: no sanitizer report",
             c.tail())
        c = None
    finally:
        if c:
            c.close()
        srv.stop()
else:
    t.skip("run time: a server that goes away", guest.MISSING)

# ---- refused options and filenames ---------------------------------
REFUSED = [
    (["-blockdev", "driver=nbd,node-name=n0,server.type=unix,server.path=%s,"
      "tls-creds=tls0" % SOCK], "NBD over TLS (tls-creds) is not supported"),
    (["-blockdev", "driver=nbd,node-name=n0,server.type=vsock"],
     "Parameter 'server.type' does not accept value 'vsock'"),
    (["-blockdev", "driver=nbd,node-name=n0"],
     "Parameter 'server.type' is missing"),
    (["-drive", "file=nbd://,if=none"], "No valid URL specified"),
    (["-drive", "file=nbd+unix:///exp,if=none"], "No valid URL specified"),
    (["-drive", "file=nbd+tcp://host/exp?socket=x,if=none"],
     "No valid URL specified"),
    (["-drive", "file=nbd:unix:,if=none"], "Malformed NBD address"),
    (["-drive", "file=nbd+unix:///?socket=%s/nobody.sock,if=none" % tmp],
     "Failed to connect to '%s/nobody.sock'" % tmp),
    (["-drive", "file=nbd:127.0.0.1:1,if=none"],
     "Failed to connect to '127.0.0.1:1'"),
]
for args, want in REFUSED:
    st, out, err = start(args)
    lines = [l for l in err.splitlines() if l.strip()]
    t.ok(st != 0 and len(lines) == 1 and want in lines[0] and sane(err),
         "refused with one line: %s" % args[-1], "status %d\n%s" % (st, err))

t.done()
