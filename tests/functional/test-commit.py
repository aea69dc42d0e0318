#!/usr/bin/env python3
"""HMP `commit` (core/block/block-commit.c) with the test Linux guest.

1. base.raw (every byte 0xAB) under ov.qcow2 made by Debian's qemu-img
   (-b base.raw -F raw) on a virtio-blk disk (plain -drive: the backing
   file is opened read-only and commit reopens it read-write, as QEMU
   does).  The guest writes known patterns
   with dd at known offsets; before `commit` base.raw still holds 0xAB
   there (the test can fail); after `commit d0` over a unix-socket human
   monitor base.raw holds the patterns, the guest reads them back through
   the emptied overlay, and after quit `qemu-img map` shows nothing
   allocated in the overlay and `qemu-img check` finds it clean.
   The errors, in QEMU 7.2's words: an unknown device, a drive without a
   backing file.  A qcow2 backing file opened read-only (ov2.qcow2 over
   base2.qcow2, data written into ov2 by qemu-io) is reopened read-write
   by blk-qcow2 for the commit and read-only again after it (info block
   -n), twice; qemu-io then reads the data in base2 and qemu-img check
   finds it clean.
2. -snapshot: the guest's writes reach the real image only through
   `commit all` (the image is unchanged before it).
"""
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, run, skip_all  # noqa: E402
import guest  # noqa: E402

g = guest.find_or_skip()
QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")
if not QEMU_IMG or not QEMU_IO:
    skip_all("qemu-img/qemu-io not installed (Debian package qemu-utils)")
t = Tap()
shell = guest.shell

MB = 1 << 20
FILL = 0xAB
# (offset, pattern byte, length): one inside the first cluster, one
# spanning a cluster boundary, one in the last MiB.
WRITES = [(64 * 1024, 0x11, 64 * 1024), (1 * MB + 60 * 1024, 0x22, 8192),
          (3 * MB, 0x33, 128 * 1024)]
tmp = tempfile.mkdtemp(prefix="test-commit-")


def path(name):
    return os.path.join(tmp, name)


def make_raw(name, mb):
    p = path(name)
    with open(p, "wb") as f:
        f.write(bytes([FILL]) * (mb * MB))
    return p


def pread(p, off, n):
    with open(p, "rb") as f:
        f.seek(off)
        return f.read(n)


def holds(p, writes):
    return all(pread(p, off, n) == bytes([b]) * n for off, b, n in writes)


def untouched(p, writes):
    return all(pread(p, off, n) == bytes([FILL]) * n for off, b, n in writes)


class Hmp:
    """The human monitor on a unix socket (no telnet)."""
    PROMPT = b"(tessera) "

    def __init__(self, sock_path, patience=30):
        deadline = time.monotonic() + patience
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(sock_path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.s.settimeout(120)
        self.buf = b""
        self.until_prompt()

    def until_prompt(self):
        while self.PROMPT not in self.buf:
            data = self.s.recv(65536)
            if not data:
                raise EOFError("monitor closed")
            self.buf += data
        text, self.buf = self.buf.split(self.PROMPT, 1)
        return text.decode(errors="replace")

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\n")
        text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", self.until_prompt())
        lines = [x.rstrip("\r") for x in text.split("\n")]
        if lines and lines[0].endswith(line):
            lines = lines[1:]       # the echo of what was typed
        return "\n".join(x for x in lines if x)


def boot(extra):
    return guest.boot(TESSERA, g, extra)


def guest_write(c):
    for off, b, n in WRITES:
        # A file of the pattern byte, then dd onto the disk at the offset.
        shell(c, "head -c %d /dev/zero | tr '\\000' '\\%03o' > /tmp/p && "
              "dd if=/tmp/p of=/dev/vda bs=4096 seek=%d conv=notrunc "
              "2>/dev/null" % (n, b, off // 4096))
    shell(c, "sync")


def guest_sums(c):
    shell(c, "echo 3 > /proc/sys/vm/drop_caches")
    return [shell(c, "dd if=/dev/vda bs=4096 skip=%d count=%d 2>/dev/null "
                  "| md5sum" % (off // 4096, n // 4096)).split()[0]
            for off, b, n in WRITES]


def quit_vm(c, mon, what):
    try:
        mon.cmd("quit")
    except (EOFError, OSError):
        pass
    status = c.wait_exit(60)
    t.ok(status == 0, "%s: quit ends the emulator with status 0" % what,
         "status %r\n%s" % (status, c.tail()))


c = None
try:
    # ---- 1: an overlay made by qemu-img, committed --------------------
    base = make_raw("base.raw", 4)
    ov = path("ov.qcow2")
    st, out, err = run([QEMU_IMG, "create", "-q", "-f", "qcow2", "-b", base,
                        "-F", "raw", ov])
    t.ok(st == 0, "qemu-img create -f qcow2 -b base.raw -F raw", out + err)
    plain = make_raw("plain.raw", 1)
    # A qcow2 backing file, opened read-only: blk-qcow2 reopens it.
    base2 = path("base2.qcow2")
    ov2 = path("ov2.qcow2")
    run([QEMU_IMG, "create", "-q", "-f", "qcow2", base2, "1M"])
    run([QEMU_IMG, "create", "-q", "-f", "qcow2", "-b", base2, "-F",
         "qcow2", ov2])
    st, out, err = run([QEMU_IO, "-f", "qcow2", "-c",
                        "write -P 0x5c 64k 64k", ov2])
    t.ok(st == 0, "qemu-io writes a pattern into ov2.qcow2", out + err)
    mon_path = path("mon.sock")
    c = boot(["-drive", "file=%s,if=none,id=d0" % ov,
              "-device", "virtio-blk-device,drive=d0",
              "-drive", "file=%s,format=raw,if=none,id=d1" % plain,
              "-drive", "file=%s,if=none,id=d2" % ov2,
              "-monitor", "unix:%s,server=on,wait=off" % mon_path])
    mon = Hmp(mon_path)
    guest_write(c)
    before = guest_sums(c)
    t.ok(untouched(base, WRITES), "before commit base.raw does not hold "
         "the guest's writes (they are in the overlay)")

    out = mon.cmd("commit nosuch")
    t.ok(out == "Device 'nosuch' not found", "commit of an unknown device: "
         "QEMU's message", repr(out))
    out = mon.cmd("commit d1")
    t.ok(out == "'commit' error for 'd1': Operation not supported",
         "commit of a drive without a backing file: QEMU's message",
         repr(out))
    st, out, err = run([QEMU_IO, "-r", "-U", "-f", "qcow2", "-c",
                        "read -P 0x5c 64k 64k", base2])
    t.ok("Pattern verification failed" in out + err,
         "before commit d2 base2.qcow2 does not hold the pattern",
         out + err)
    for n in (1, 2):
        out = mon.cmd("commit d2")
        t.ok(out == "", "commit d2 into its read-only qcow2 backing file "
             "(%d)" % n, repr(out))
        out = mon.cmd("info block -n")
        t.ok(re.search(r"base2\.qcow2 \(qcow2, read-only\)", out),
             "base2.qcow2 is read-only again after the commit (%d)" % n,
             out)
    st, out, err = run([QEMU_IO, "-r", "-U", "-f", "qcow2", "-c",
                        "read -P 0x5c 64k 64k", base2])
    t.ok(st == 0 and "Pattern verification failed" not in out + err and
         "read 65536/65536" in out, "qemu-io reads the committed pattern "
         "in base2.qcow2", out + err)

    out = mon.cmd("commit d0")
    t.ok(out == "", "commit d0 prints nothing, as QEMU's", repr(out))
    t.ok(holds(base, WRITES), "after commit base.raw holds the guest's "
         "writes at their offsets")
    rest = [(0, 0, 64 * 1024), (128 * 1024, 0, 64 * 1024),
            (2 * MB, 0, 1 * MB)]
    t.ok(untouched(base, rest), "and nothing else of base.raw changed")
    after = guest_sums(c)
    t.ok(after == before, "the guest reads its data back through the "
         "emptied overlay", "%s vs %s" % (before, after))
    quit_vm(c, mon, "overlay")
    c = None

    st, out, err = run([QEMU_IMG, "map", "--output=json", ov])
    try:
        in_top = [e for e in json.loads(out)
                  if e.get("depth") == 0 and e.get("data")]
    except ValueError:
        in_top = ["unparsable: " + out + err]
    t.ok(st == 0 and not in_top, "qemu-img map: nothing allocated in the "
         "overlay after commit", in_top)
    st, out, err = run([QEMU_IMG, "check", ov])
    t.ok(st == 0 and "No errors were found" in out,
         "qemu-img check finds the overlay clean", out + err)
    st, out, err = run([QEMU_IMG, "check", base2])
    t.ok(st == 0 and "No errors were found" in out,
         "qemu-img check finds base2.qcow2 clean after the commits",
         out + err)

    # ---- 2: -snapshot, then commit all ---------------------------------
    real = make_raw("real.raw", 4)
    mon_path = path("mon2.sock")
    c = boot(["-drive", "file=%s,format=raw,if=none,id=d0" % real,
              "-device", "virtio-blk-device,drive=d0", "-snapshot",
              "-monitor", "unix:%s,server=on,wait=off" % mon_path])
    mon = Hmp(mon_path)
    guest_write(c)
    t.ok(untouched(real, WRITES), "-snapshot: before commit the real image "
         "does not hold the guest's writes")
    out = mon.cmd("commit all")
    t.ok(out == "", "commit all prints nothing", repr(out))
    t.ok(holds(real, WRITES), "-snapshot: after commit all the real image "
         "holds the guest's writes")
    quit_vm(c, mon, "-snapshot")
    c = None
    t.ok(holds(real, WRITES), "-snapshot: the committed writes stay after "
         "quit")
finally:
    if c:
        c.close()
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
