#!/usr/bin/env python3
"""blk-file with aio=io_uring under the test Linux guest on
virtio-blk-device.

Two raw disks on aio=io_uring, one with cache=none (O_DIRECT: the
driver's alignment rules apply to what it submits) and one with
cache=writeback.  The guest writes 3 MiB of random data at an odd sector
offset of each with fsync, drops its page cache, reads them back and
prints the checksums; the host then reads the image files itself: all
checksums agree, and the emulator's io_uring rings (their fdinfo) took
the requests.  aio=native is refused with one line; where the kernel
refuses io_uring the test skips with the reason.
"""
import ctypes
import hashlib
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, run, skip_all  # noqa: E402
from console import Console  # noqa: E402
import guest  # noqa: E402

g = guest.find_or_skip()
st, out, err = run([TESSERA, "-device", "help"])
if "virtio-blk-device" not in out:
    skip_all("virtio-blk-device not built")


def uring_refused():
    """Why the kernel will not make an io_uring here, or None."""
    libc = ctypes.CDLL(None, use_errno=True)
    params = ctypes.create_string_buffer(120)   # struct io_uring_params
    fd = libc.syscall(425, 1, params)           # __NR_io_uring_setup
    if fd < 0:
        return "io_uring_setup: " + os.strerror(ctypes.get_errno())
    os.close(fd)
    return None


def uring_use(pid):
    """io_uring rings process pid has open, and the submissions they
    took (SqHead in their fdinfo)."""
    rings = sqes = 0
    fds = "/proc/%d/fd" % pid
    for fd in os.listdir(fds):
        try:
            if "io_uring" not in os.readlink(os.path.join(fds, fd)):
                continue
            info = open("/proc/%d/fdinfo/%s" % (pid, fd)).read()
        except OSError:
            continue
        rings += 1
        m = re.search(r"^SqHead:\s*(\d+)", info, re.M)
        sqes += int(m.group(1)) if m else 0
    return rings, sqes


why = uring_refused()
if why:
    skip_all("the kernel refuses io_uring (%s)" % why)
t = Tap()
shell = guest.shell
tmp = tempfile.mkdtemp(prefix="test-blk-file-aio-")
P = lambda name: os.path.join(tmp, name)  # noqa: E731
MB = 1 << 20
SEEK = 2049                     # sectors: not 4 KiB aligned
LEN = 3 * MB

disks = {"none": P("direct.raw"), "writeback": P("cached.raw")}
for p in disks.values():
    with open(p, "wb") as f:
        f.truncate(16 * MB)

args = [TESSERA, "-M", "virt", "-m", "256M", "-nographic",
        "-kernel", g.image, "-initrd", g.initrd, "-append", "console=ttyS0"]
for i, (cache, p) in enumerate(sorted(disks.items())):
    args += ["-drive", "file=%s,format=raw,if=none,id=d%d,aio=io_uring,"
             "cache=%s" % (p, i, cache),
             "-device", "virtio-blk-device,drive=d%d,serial=%s" % (i, cache)]
c = Console(args)
guest_sums = {}
try:
    guest.wait_for_shell(c)
    shell(c, "dd if=/dev/urandom of=/tmp/data bs=1M count=3 2>/dev/null")
    want = re.search(r"([0-9a-f]{64})", shell(c, "sha256sum /tmp/data"))
    want = want.group(1) if want else None
    for d in shell(c, "ls /sys/block | grep vd").split():
        serial = shell(c, "cat /sys/block/%s/serial" % d).strip()
        out = shell(c, "dd if=/tmp/data of=/dev/%s bs=512 seek=%d "
                    "conv=fsync 2>/dev/null && echo 3 > "
                    "/proc/sys/vm/drop_caches && dd if=/dev/%s bs=512 "
                    "skip=%d count=%d 2>/dev/null | sha256sum"
                    % (d, SEEK, d, SEEK, LEN // 512), timeout=180)
        m = re.search(r"([0-9a-f]{64})", out)
        guest_sums[serial] = m.group(1) if m else out
    t.ok(want and sorted(guest_sums) == ["none", "writeback"] and
         all(s == want for s in guest_sums.values()),
         "the guest reads back what it wrote on both aio=io_uring disks",
         "%s %r" % (want, guest_sums))
    rings, sqes = uring_use(c.proc.pid)
    t.ok(rings > 0 and sqes >= 2 * LEN // (1 << 20),
         "the emulator's requests went through io_uring rings (fdinfo "
         "SqHead)", "%d rings, %d submissions" % (rings, sqes))
    c.send("poweroff -f\n")
    status = c.wait_exit(60)
    t.ok(status == 0, "poweroff -f ends the emulator with status 0",
         "status %r\n%s" % (status, c.tail()))
finally:
    c.close()

for cache, p in sorted(disks.items()):
    with open(p, "rb") as f:
        f.seek(SEEK * 512)
        host = hashlib.sha256(f.read(LEN)).hexdigest()
    t.ok(want and host == want, "cache=%s: the image file holds what the "
         "guest wrote (read by the host)" % cache, host)

BASE = [TESSERA, "-M", "virt", "-display", "none", "-S", "-bios", "none",
        "-monitor", "none", "-serial", "none"]
st, out, err = run(BASE + ["-drive", "file=%s,format=raw,if=none,"
                           "aio=native,cache=none" % disks["none"]],
                   timeout=60)
lines = [x for x in err.splitlines() if x.strip()]
t.ok(st == 1 and len(lines) == 1 and "aio=native is not supported" in err
     and lines[0].startswith("tessera-system-riscv64: "),
     "aio=native is refused with one line", "status %d: %s" % (st, err))
shutil.rmtree(tmp, ignore_errors=True)
t.done()
