#!/usr/bin/env python3
"""virtio-blk-device with the test Linux guest on the virt board.

1. A raw image on -drive (if=none) with a serial: the guest sees the
   disk's size, serial, block sizes, write cache and discard limits the
   same as under Debian's qemu-system-riscv64 with the same options (when
   installed); it makes an ext2 file system (busybox mke2fs), mounts it,
   writes files whose checksums it prints, syncs and powers off.
2. The host checks the file system with e2fsprogs (e2fsck -fn, debugfs
   reads a file back), real peers that know nothing of Tessera.
3. The same image again, now through -blockdev file+raw nodes with
   discard=unmap: the checksums match; deleting a file and fstrim frees
   blocks in the host file; blkdiscard on a second disk frees its blocks;
   -drive if=virtio makes a virtio-blk disk too;
   a read-only third disk shows ro=1 and refuses writes, its image
   unchanged; a read at the end of the disk reads nothing; the guest
   switches the write cache; block_resize over QMP grows the disk and the
   guest sees the new size; num-queues=2 makes two hardware queues.
4. Command-line errors: no drive=, an unknown drive, a bad property are
   refused with one line each and a non-zero exit, as QEMU does.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, refused_like_qemu, run  # noqa: E402
from console import Timeout  # noqa: E402
import guest  # noqa: E402
from qmp import Qmp  # noqa: E402

g = guest.find_or_skip()
t = Tap()
shell = guest.shell
QEMU = shutil.which("qemu-system-riscv64")
MKE2FS = shutil.which("mke2fs") or "/sbin/mke2fs"
E2FSCK = shutil.which("e2fsck") or "/sbin/e2fsck"
DEBUGFS = shutil.which("debugfs") or "/sbin/debugfs"

DISK_MB = 64
tmp = tempfile.mkdtemp(prefix="test-virtio-blk-")


def path(name):
    return os.path.join(tmp, name)


def make_disk(name, mb, fill=None):
    p = path(name)
    with open(p, "wb") as f:
        if fill is None:
            f.truncate(mb << 20)
        else:
            block = bytes([fill]) * (1 << 20)
            for _ in range(mb):
                f.write(block)
    return p


def sha256_file(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def allocated(p):
    return os.stat(p).st_blocks * 512


def boot(emulator, extra, smp=1):
    return guest.boot(emulator, g, extra, smp)


def poweroff(c, what):
    guest.poweroff(t, c, what)


SYSFS = ["serial", "size", "ro", "queue/logical_block_size",
         "queue/physical_block_size", "queue/write_cache",
         "queue/discard_max_bytes", "queue/discard_granularity",
         "queue/write_zeroes_max_bytes", "queue/max_segments"]


def sysfs(c, dev="vda"):
    out = {}
    for name in SYSFS:
        out[name] = shell(c, "cat /sys/block/%s/%s" % (dev, name)).strip()
    out["hw queues"] = shell(c, "ls /sys/block/%s/mq | wc -l" % dev).strip()
    return out


def drive_args(img, extra_drive="", extra_dev=""):
    return ["-drive", "file=%s,format=raw,if=none,id=d0%s" % (img,
                                                              extra_drive),
            "-device", "virtio-blk-device,drive=d0,serial=TESSERA-VBLK0%s"
            % extra_dev]


FILES = ["/mnt/big", "/mnt/small", "/mnt/seq"]


def checksums(c):
    out = shell(c, "sha256sum " + " ".join(FILES))
    sums = dict((m.group(2), m.group(1)) for m in
                re.finditer(r"^([0-9a-f]{64})\s+(\S+)", out, re.M))
    return sums, out


c = None
try:
    # ---- 1: make a file system and files ------------------------------
    disk = make_disk("disk.img", DISK_MB)
    c = boot(TESSERA, drive_args(disk))
    seen = sysfs(c)
    t.ok(seen["serial"] == "TESSERA-VBLK0" and
         seen["size"] == str(DISK_MB * 2048),
         "the guest sees the serial and the size in sectors", seen)
    if QEMU:
        qdisk = make_disk("qemu.img", DISK_MB)
        q = boot(QEMU, drive_args(qdisk))
        qseen = sysfs(q)
        q.close()
        diff = dict((k, (seen[k], qseen[k])) for k in seen
                    if seen[k] != qseen[k])
        t.ok(not diff, "the guest's view of the disk (sysfs) is the same "
             "as under qemu-system-riscv64", diff)
    else:
        t.skip("sysfs compared with QEMU", "qemu-system-riscv64 not "
               "installed (Debian package qemu-system-misc)")

    out = shell(c, "mke2fs -q /dev/vda && mkdir -p /mnt && "
                "mount -t ext2 /dev/vda /mnt && echo MOUNTED", timeout=120)
    t.ok("MOUNTED" in out, "mke2fs in the guest and mount", out)
    shell(c, "dd if=/dev/urandom of=/mnt/big bs=64k count=48 2>/dev/null; "
             "echo hello-virtio-blk > /mnt/small; seq 1 30000 > /mnt/seq; "
             "sync", timeout=120)
    before, out = checksums(c)
    t.ok(len(before) == 3, "three files written and checksummed", out)
    out = shell(c, "umount /mnt && echo UNMOUNTED")
    t.ok("UNMOUNTED" in out, "unmount", out)
    poweroff(c, "first boot")
    c.close()
    c = None

    # ---- 2: the host's e2fsprogs agree ------------------------------
    if os.path.exists(E2FSCK) and os.path.exists(DEBUGFS):
        st, out, err = run([E2FSCK, "-fn", disk])
        t.ok(st == 0, "e2fsck -fn on the host finds the file system clean",
             out + err)
        st, out, err = run([DEBUGFS, "-R", "cat /seq", disk])
        want = "".join("%d\n" % i for i in range(1, 30001))
        t.ok(st == 0 and out == want, "debugfs on the host reads the "
             "guest's file back", err + out[:200])
    else:
        t.skip("e2fsck and debugfs on the host", "e2fsprogs not installed")

    # ---- 3: again through -blockdev, with more disks ------------------
    scratch = make_disk("scratch.img", 16, fill=0x5a)
    ro = make_disk("ro.img", 8, fill=0xc3)
    ro_sum = sha256_file(ro)
    legacy = make_disk("legacy.img", 4, fill=0x77)
    qmp_path = path("qmp.sock")
    c = boot(TESSERA, [
        "-blockdev", "driver=file,filename=%s,node-name=f0,discard=unmap"
        % disk,
        "-blockdev", "driver=raw,file=f0,node-name=disk0,discard=unmap",
        "-device", "virtio-blk-device,drive=disk0,num-queues=2",
        "-drive", "file=%s,format=raw,if=none,id=scr,discard=unmap"
        % scratch,
        "-device", "virtio-blk-device,drive=scr,num-queues=2,event_idx=off,"
        "indirect_desc=off",
        "-drive", "file=%s,format=raw,if=none,id=rod,readonly=on" % ro,
        "-device", "virtio-blk-device,drive=rod",
        "-drive", "file=%s,format=raw,if=virtio" % legacy,
        "-qmp", "unix:%s,server=on,wait=off" % qmp_path], smp=2)
    # Devices are probed from the highest virtio-mmio slot down: find
    # each disk by its size.
    sizes = {}
    for dev in ("vda", "vdb", "vdc", "vdd"):
        sizes[shell(c, "cat /sys/block/%s/size" % dev).strip()] = dev
    d_main = sizes.get(str(DISK_MB * 2048))
    d_scr = sizes.get(str(16 * 2048))
    d_ro = sizes.get(str(8 * 2048))
    d_legacy = sizes.get(str(4 * 2048))
    t.ok(d_main and d_scr and d_ro and d_legacy, "four disks, found by size "
         "(one of them -drive if=virtio)", sizes)
    d_main, d_scr, d_ro = d_main or "vda", d_scr or "vdb", d_ro or "vdc"

    out = shell(c, "mkdir -p /mnt && mount -t ext2 /dev/%s /mnt && "
                "echo MOUNTED" % d_main)
    t.ok("MOUNTED" in out, "-blockdev file+raw: the file system mounts",
         out)
    after, out = checksums(c)
    t.ok(after == before, "the checksums match those of the first boot",
         "%s\n%s" % (before, after))

    hwq = shell(c, "ls /sys/block/%s/mq | wc -l" % d_main).strip()
    t.ok(hwq == "2", "num-queues=2: two hardware queues in the guest", hwq)

    # Two writers and readers at once on a disk with two queues (and
    # neither event index nor indirect descriptors): each reads back what
    # it wrote.
    # (Each line stays short: the console wraps long ones.)
    shell(c, "D=/dev/%s" % d_scr)
    shell(c, "w() { dd if=/dev/urandom of=/tmp/r$1 bs=64k count=32; "
             "dd if=/tmp/r$1 of=$D bs=64k seek=$(($1*32)) oflag=direct; }")
    shell(c, "r() { dd if=$D bs=64k skip=$(($1*32)) count=32 iflag=direct "
             "| cmp - /tmp/r$1 && echo SAME$1; }")
    out = shell(c, "(w 0; r 0) 2>/dev/null & (w 1; r 1) 2>/dev/null & wait",
                timeout=120)
    t.ok("SAME0" in out and "SAME1" in out, "two processes write and read "
         "back 2 MiB each at once (num-queues=2, event_idx=off, "
         "indirect_desc=off)", out)

    # Discard: deleting a file and fstrim give its blocks back to the host.
    used = allocated(disk)
    out = shell(c, "rm /mnt/big && sync && fstrim -v /mnt; echo rc=$?",
                timeout=120)
    freed = used - allocated(disk)
    t.ok("rc=0" in out and freed >= 2 << 20, "fstrim frees the deleted "
         "file's blocks in the host image (%d KiB)" % (freed >> 10),
         out)
    used = allocated(scratch)
    out = shell(c, "blkdiscard /dev/%s; echo rc=$?" % d_scr, timeout=120)
    t.ok("rc=0" in out and allocated(scratch) < used // 4,
         "blkdiscard frees the whole disk's blocks on the host (%d -> %d "
         "KiB)" % (used >> 10, allocated(scratch) >> 10), out)

    # A read-only drive.
    out = shell(c, "cat /sys/block/%s/ro; dd if=/dev/zero of=/dev/%s bs=4k "
                "count=1 oflag=direct; echo rc=$?" % (d_ro, d_ro))
    t.ok(out.startswith("1") and "rc=0" not in out and
         sha256_file(ro) == ro_sum, "readonly=on: the guest sees a "
         "read-only disk, a write fails, the image is unchanged", out)
    out = shell(c, "dd if=/dev/%s bs=4k count=1 2>/dev/null | od -An -tx1 "
                "| head -1" % d_ro)
    t.ok(out.split()[:4] == ["c3"] * 4, "and reads its contents", out)

    out = shell(c, "dd if=/dev/%s bs=4k count=1 2>/dev/null | od -An -tx1 "
                "| head -1" % (d_legacy or "vdd"))
    t.ok(out.split()[:4] == ["77"] * 4, "-drive if=virtio: a virtio-blk "
         "disk with the image's contents", out)

    # Reading at the end of the disk gives nothing, and no harm.
    out = shell(c, "dd if=/dev/%s of=/dev/null bs=512 skip=%d count=4; "
                "echo rc=$?" % (d_scr, 16 * 2048))
    t.ok("0+0 records in" in out, "a read at the end of the disk reads "
         "nothing", out)

    # The write cache, switched by the guest (VIRTIO_BLK_F_CONFIG_WCE).
    out = shell(c, "f=/sys/block/%s/queue/write_cache; cat $f; "
                "echo 'write through' > $f; cat $f; echo 'write back' > $f; "
                "cat $f" % d_main)
    t.ok(out.split("\n")[:3] == ["write back", "write through",
                                 "write back"] or
         [l.strip() for l in out.splitlines()][:3] ==
         ["write back", "write through", "write back"],
         "the guest switches the write cache", out)

    # block_resize over QMP: the guest hears of the new size.
    qmp = Qmp(qmp_path, c.proc)
    r = qmp.cmd("block_resize", {"node-name": "disk0", "size": 96 << 20})
    t.ok("error" not in r, "block_resize to 96 MiB", r)
    try:
        c.expect(r"new size", timeout=30)
    except Timeout:
        pass
    out = shell(c, "cat /sys/block/%s/size" % d_main)
    t.ok(out.strip() == str(96 * 2048), "the guest sees the new size", out)
    qmp.close()

    out = shell(c, "umount /mnt && echo UNMOUNTED")
    t.ok("UNMOUNTED" in out, "unmount", out)
    poweroff(c, "second boot")
    c.close()
    c = None
    st, out, err = run([E2FSCK, "-fn", disk]) if os.path.exists(E2FSCK) \
        else (0, "", "")
    t.ok(st == 0, "the file system is still clean after fstrim", out + err)
except (Timeout, OSError, EOFError) as e:
    t.ok(False, "guest session", "%s\n%s" % (e, c.tail() if c else ""))
finally:
    if c:
        c.close()

# ---- 4: command-line errors, as QEMU words them ----------------------
img = make_disk("err.img", 1)
cases = [
    (["-device", "virtio-blk-device"], "drive property not set"),
    (["-device", "virtio-blk-device,drive=nosuch"],
     "Property 'virtio-blk-device.drive' can't find value 'nosuch'"),
    (["-drive", "file=%s,format=raw,if=none,id=d0" % img,
      "-device", "virtio-blk-device,drive=d0,num-queues=0"],
     "num-queues property must be larger than 0"),
    (["-drive", "file=%s,format=raw,if=none,id=d0" % img,
      "-device", "virtio-blk-device,drive=d0",
      "-device", "virtio-blk-device,drive=d0"],
     "Drive 'd0' is already in use by another device"),
    (["-drive", "file=%s,format=raw,if=none,id=d0" % img,
      "-device", "virtio-blk-device,drive=d0,max-discard-sectors=0"],
     "invalid max-discard-sectors property (0), must be between 1 and "
     "4194303"),
    (["-drive", "file=%s,format=raw,if=none,id=d0" % img,
      "-device", "virtio-blk-device,drive=d0,logical_block_size=1000"],
     "logical_block_size doesn't take value '1000', it's not a power of 2"),
]
refused_like_qemu(t, cases, QEMU)

shutil.rmtree(tmp, ignore_errors=True)
t.done()
