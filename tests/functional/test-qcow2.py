#!/usr/bin/env python3
"""qcow2 disks (plugins/blk-qcow2) in the test Linux guest on
virtio-blk-device, with Debian's qemu-img as the peer.

1. A qemu-img-made qcow2 disk: the guest makes an ext2 file system, writes
   files whose checksums it prints, syncs, powers off.  qemu-img check
   finds the image clean.  In the same boot, images qemu-img made (zstd
   compressed, v2 with an internal snapshot, zlib compressed with 4 KiB
   clusters) read in the guest exactly as qemu-img converts them, and
   writes to an overlay made with `qemu-img create -b base.raw` land in
   the overlay only.
2. While Tessera runs, qemu-img cannot open the image for writing (the
   lock); with -U it can read it.  Started while qemu-io holds the image,
   Tessera refuses it with QEMU's lock message.
3. Boot again with -snapshot: the files' checksums match, the guest
   writes more, and after power off the image is byte-identical.
4. Crash: the guest writes 3 MiB with fsync, then keeps writing elsewhere
   while the emulator is killed with SIGKILL; qemu-img check finds no
   corruption (leaks allowed) and the fsync'ed 3 MiB are intact.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, run, skip_all  # noqa: E402
import guest  # noqa: E402

g = guest.find_or_skip()
QEMU_IMG, QEMU_IO = shutil.which("qemu-img"), shutil.which("qemu-io")
if not QEMU_IMG or not QEMU_IO:
    skip_all("qemu-img/qemu-io not installed (Debian package qemu-utils)")
st, out, err = run([TESSERA, "-device", "help"])
if "virtio-blk-device" not in out:
    skip_all("virtio-blk-device not built")
t = Tap()
shell = guest.shell
tmp = tempfile.mkdtemp(prefix="test-qcow2-")
P = lambda name: os.path.join(tmp, name)  # noqa: E731


def qimg(*args):
    st, out, err = run([QEMU_IMG] + list(args), timeout=120)
    if st != 0:
        raise RuntimeError("qemu-img %s: %s%s" % (" ".join(args), out, err))
    return out


def sha_raw(img, mb, snapshot=None):
    raw = P("conv.raw")
    args = ["convert", "-O", "raw"] + (["-l", "snapshot.name=" + snapshot] if snapshot else [])
    qimg(*(args + [img, raw]))
    h = hashlib.sha256(open(raw, "rb").read()[:mb << 20]).hexdigest()
    os.unlink(raw)
    return h


def boot(extra):
    return guest.boot(TESSERA, g, extra)


def poweroff(c, what):
    guest.poweroff(t, c, what)


def devices_by_size(c):
    out = shell(c, "for d in /sys/block/vd*; do echo ${d##*/} $(cat $d/size); done")
    return dict((int(m.group(2)) // 2048, m.group(1))
                for m in re.finditer(r"^(vd\w+) (\d+)", out, re.M))


def drive(img, ident, fmt="qcow2", extra=""):
    return ["-drive", "file=%s,format=%s,if=none,id=%s%s" % (img, fmt, ident, extra),
            "-device", "virtio-blk-device,drive=%s" % ident]


FILES = ["/mnt/big", "/mnt/small", "/mnt/seq"]


def checksums(c):
    out = shell(c, "sha256sum " + " ".join(FILES))
    return dict((m.group(2), m.group(1)) for m in
                re.finditer(r"^([0-9a-f]{64})\s+(\S+)", out, re.M)), out


c = None
try:
    # ---- images made by qemu-img -----------------------------------------
    main = P("main.qcow2")
    qimg("create", "-f", "qcow2", main, "64M")
    pattern = P("pattern.raw")
    with open(pattern, "wb") as f:
        for i in range(4096):
            f.write((b"block %6d " % i) * 400)
        f.truncate(24 << 20)
    zstd = P("zstd.qcow2")
    qimg("convert", "-c", "-O", "qcow2", "-o", "compression_type=zstd", pattern, zstd)
    zlib = P("zlib.qcow2")
    with open(P("p20.raw"), "wb") as f:
        f.write(open(pattern, "rb").read()[:20 << 20])
    qimg("convert", "-c", "-O", "qcow2", "-o", "cluster_size=4k", P("p20.raw"), zlib)
    v2 = P("v2.qcow2")
    qimg("create", "-f", "qcow2", "-o", "compat=0.10", v2, "20M")
    st, out, err = run([QEMU_IO, "-c", "write -P 0x11 0 8M", v2])
    qimg("snapshot", "-c", "before", v2)
    st, out, err = run([QEMU_IO, "-c", "write -P 0x22 1M 2M", "-c", "write -P 0 5M 64k", v2])
    base = P("base.raw")
    with open(base, "wb") as f:
        f.write(b"\x5a" * (28 << 20))
    overlay = P("overlay.qcow2")
    qimg("create", "-f", "qcow2", "-b", "base.raw", "-F", "raw", overlay)
    base_sha = hashlib.sha256(open(base, "rb").read()).hexdigest()
    zstd_sha, v2_sha = sha_raw(zstd, 24), sha_raw(v2, 20)
    zlib_sha = sha_raw(zlib, 20)

    # ---- 1: first boot ----------------------------------------------------------
    c = boot(drive(main, "d0") + drive(zstd, "d1") + drive(v2, "d2") + drive(overlay, "d3")
             + drive(zlib, "d4"))
    dev = devices_by_size(c)
    t.ok(set(dev) == {64, 24, 20, 28} or len(dev) == 5, "the guest sees the five qcow2 disks", dev)
    out = shell(c, "sha256sum /dev/%s" % dev.get(24, "x"), timeout=120)
    t.ok(zstd_sha in out, "a zstd-compressed image reads as qemu-img converts it", out)
    # Two 20M disks: the v2 one and the zlib one; both sums must appear.
    out = shell(c, "for d in /sys/block/vd*; do [ $(cat $d/size) = 40960 ] && "
                "sha256sum /dev/${d##*/}; done", timeout=120)
    t.ok(v2_sha in out, "a v2 image with an internal snapshot reads its active layer", out)
    t.ok(zlib_sha in out, "a zlib-compressed image with 4 KiB clusters reads right", out)

    out = shell(c, "mke2fs -q /dev/%s && mkdir -p /mnt && mount -t ext2 /dev/%s /mnt "
                "&& echo MOUNTED" % (dev[64], dev[64]), timeout=180)
    t.ok("MOUNTED" in out, "mke2fs on the qcow2 disk and mount", out)
    shell(c, "dd if=/dev/urandom of=/mnt/big bs=64k count=64 2>/dev/null; "
             "echo hello-qcow2 > /mnt/small; seq 1 40000 > /mnt/seq; sync", timeout=180)
    before, out = checksums(c)
    t.ok(len(before) == 3, "files written and checksummed", out)
    # Into the overlay: 3 MiB of random data at 5 MiB, its checksum noted.
    out = shell(c, "dd if=/dev/urandom of=/tmp/chunk bs=1M count=3 2>/dev/null; "
                "sha256sum /tmp/chunk; dd if=/tmp/chunk of=/dev/%s bs=1M seek=5 "
                "conv=fsync 2>/dev/null; sync; echo WROTE" % dev[28], timeout=120)
    chunk = re.search(r"([0-9a-f]{64})\s+/tmp/chunk", out)
    t.ok(chunk and "WROTE" in out, "the guest writes into the overlay", out)
    shell(c, "umount /mnt")

    # ---- 2: locks, both ways ------------------------------------------------------
    st, out, err = run([QEMU_IMG, "check", main])
    t.ok(st != 0 and 'Failed to get shared "write" lock' in err,
         "qemu-img cannot open the image Tessera writes", err)
    st, out, err = run([QEMU_IMG, "info", "-U", main])
    t.ok(st == 0 and "qcow2" in out, "qemu-img info -U (force-share) reads it", out + err)
    poweroff(c, "first boot")
    c.close()
    c = None

    st, out, err = run([QEMU_IMG, "check", main])
    t.ok(st == 0, "qemu-img check: the guest's image is clean", out + err)
    st, out, err = run([QEMU_IMG, "check", overlay])
    t.ok(st == 0, "qemu-img check: the overlay is clean", out + err)
    t.ok(hashlib.sha256(open(base, "rb").read()).hexdigest() == base_sha,
         "the backing file is unchanged: guest writes landed in the overlay")
    raw = P("ov.raw")
    qimg("convert", "-O", "raw", overlay, raw)
    data = open(raw, "rb").read()
    t.ok(chunk and hashlib.sha256(data[5 << 20:8 << 20]).hexdigest() == chunk.group(1)
         and data[:5 << 20] == b"\x5a" * (5 << 20) and data[8 << 20:] == b"\x5a" * (20 << 20),
         "the overlay reads as the base with the guest's 3 MiB in place")
    t.ok(sha_raw(v2, 20, "before") == hashlib.sha256(b"\x11" * (8 << 20) +
                                                     b"\0" * (12 << 20)).hexdigest(),
         "the v2 image's snapshot is intact")

    holder = subprocess.Popen([QEMU_IO, "-c", "sleep 20000", main],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    st, out, err = run([TESSERA, "-M", "virt", "-display", "none", "-S"] +
                       drive(main, "d0"), timeout=30)
    holder.kill()
    holder.wait()
    t.ok(st != 0 and 'Failed to get "write" lock' in err,
         "Tessera refuses an image qemu-io has open, with QEMU's message", err)

    # ---- 3: again, with -snapshot ---------------------------------------------------
    main_sha = hashlib.sha256(open(main, "rb").read()).hexdigest()
    c = boot(["-snapshot"] + drive(main, "d0"))
    out = shell(c, "mkdir -p /mnt && mount -t ext2 /dev/vda /mnt && echo MOUNTED", timeout=120)
    after, out2 = checksums(c)
    t.ok("MOUNTED" in out and after == before and len(after) == 3,
         "second boot: the files' checksums match", out + out2)
    shell(c, "echo scribble > /mnt/new; dd if=/dev/urandom of=/mnt/big bs=64k count=8 "
             "conv=notrunc 2>/dev/null; sync; umount /mnt", timeout=120)
    poweroff(c, "-snapshot boot")
    c.close()
    c = None
    t.ok(hashlib.sha256(open(main, "rb").read()).hexdigest() == main_sha,
         "-snapshot leaves the image byte-identical")

    # ---- 4: killed while the guest writes --------------------------------------------
    crash = P("crash.qcow2")
    qimg("create", "-f", "qcow2", crash, "48M")
    c = boot(drive(crash, "d0"))
    wrote = shell(c, "dd if=/dev/urandom of=/tmp/chunk bs=1M count=3 2>/dev/null; "
                  "sha256sum /tmp/chunk; dd if=/tmp/chunk of=/dev/vda bs=1M seek=2 "
                  "conv=fsync 2>/dev/null && echo SYNCED", timeout=120)
    synced = re.search(r"([0-9a-f]{64})\s+/tmp/chunk", wrote)
    shell(c, "(i=0; while true; do dd if=/dev/urandom of=/dev/vda bs=64k count=4 "
             "seek=$((128 + (i * 7) % 512)) conv=fsync 2>/dev/null; i=$((i+1)); done) &")
    time.sleep(3)
    c.proc.kill()
    c.proc.wait()
    c = None
    st, out, err = run([QEMU_IMG, "check", crash])
    t.ok(st in (0, 3), "killed mid-write: qemu-img check finds no corruption", out + err)
    raw = P("crash.raw")
    qimg("convert", "-O", "raw", crash, raw)
    data = open(raw, "rb").read()
    t.ok(synced and "SYNCED" in wrote and
         hashlib.sha256(data[2 << 20:5 << 20]).hexdigest() == synced.group(1),
         "killed mid-write: the fsync'ed data is intact")
finally:
    if c:
        c.close()
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
