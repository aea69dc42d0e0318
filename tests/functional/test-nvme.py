#!/usr/bin/env python3
"""nvme and virtio-blk-pci with the test Linux guest on the virt board.

1. A qcow2 image on an nvme controller (-device nvme,serial=,drive=) and
   a raw image on virtio-blk-pci: the guest finds both PCI functions
   with QEMU's vendor/device/class ids, and sees the NVMe disk (serial,
   model, size, block sizes, limits) the same as under Debian's
   qemu-system-riscv64 with the same options; it makes ext2 file systems
   on both, writes files whose checksums it prints, syncs and powers off.
2. The host checks the images with real peers: `qemu-img check` finds
   the qcow2 image clean, e2fsck -fn the raw one.
3. Both boot again (-smp 2, discard=unmap): the checksums match; fstrim on the virtio-blk-pci
   disk gives the deleted file's blocks back to the host; blkdiscard and
   a write past the end of the NVMe disk behave; the qcow2 image is
   still clean afterwards.
4. Command-line errors: nvme without serial=, with an unknown drive:
   one line each and a non-zero exit, as QEMU says them.
"""
import hashlib
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, refused_like_qemu, run  # noqa: E402
from console import Timeout  # noqa: E402
import guest  # noqa: E402

g = guest.find_or_skip()
t = Tap()
shell = guest.shell
QEMU = shutil.which("qemu-system-riscv64")
QEMU_IMG = shutil.which("qemu-img")
E2FSCK = shutil.which("e2fsck") or "/sbin/e2fsck"

NVME_MB = 64
VBLK_MB = 32
tmp = tempfile.mkdtemp(prefix="test-nvme-")


def path(name):
    return os.path.join(tmp, name)


def make_raw(name, mb):
    p = path(name)
    with open(p, "wb") as f:
        f.truncate(mb << 20)
    return p


def make_nvme_image(name):
    """qcow2 when qemu-img is there (so that `qemu-img check` can judge
    what the guest wrote), raw otherwise."""
    if QEMU_IMG:
        p = path(name + ".qcow2")
        st, out, err = run([QEMU_IMG, "create", "-q", "-f", "qcow2", p,
                            "%dM" % NVME_MB])
        if st == 0:
            return p, "qcow2"
    return make_raw(name + ".img", NVME_MB), "raw"


def allocated(p):
    return os.stat(p).st_blocks * 512


def boot(emulator, extra, smp=1):
    return guest.boot(emulator, g, extra, smp)


def poweroff(c, what):
    guest.poweroff(t, c, what)


def disk_args(nvme_img, nvme_fmt, vblk_img, extra_drive=""):
    return ["-drive", "file=%s,format=%s,if=none,id=d0%s"
            % (nvme_img, nvme_fmt, extra_drive),
            "-device", "nvme,serial=TESSERA-NVME0,drive=d0",
            "-drive", "file=%s,format=raw,if=none,id=d1%s"
            % (vblk_img, extra_drive),
            "-device", "virtio-blk-pci,drive=d1"]


QUEUE = ["size", "ro", "queue/logical_block_size",
         "queue/physical_block_size", "queue/write_cache",
         "queue/discard_max_bytes", "queue/discard_granularity",
         "queue/write_zeroes_max_bytes", "queue/max_segments",
         "queue/max_hw_sectors_kb", "queue/max_discard_segments"]


def view(c):
    """What the guest sees: PCI functions by id, the NVMe controller's
    identity and its disk's queue limits."""
    out = {}
    pci = shell(c, "for d in /sys/bus/pci/devices/*; do echo $(cat "
                "$d/vendor $d/device $d/class $d/revision "
                "$d/subsystem_vendor $d/subsystem_device); done")
    out["pci"] = sorted(l.strip() for l in pci.splitlines() if l.strip())
    for f in ("serial", "model"):
        out[f] = shell(c, "cat /sys/class/nvme/nvme0/%s" % f).strip()
    for f in QUEUE:
        out[f] = shell(c, "cat /sys/block/nvme0n1/%s" % f).strip()
    return out


FILES = ["/mnt/n/big", "/mnt/n/small", "/mnt/v/big", "/mnt/v/seq"]


def checksums(c):
    out = shell(c, "sha256sum " + " ".join(FILES))
    sums = dict((m.group(2), m.group(1)) for m in
                re.finditer(r"^([0-9a-f]{64})\s+(\S+)", out, re.M))
    return sums, out


def qemu_img_check(img, fmt, when):
    if fmt != "qcow2":
        t.skip("qemu-img check %s" % when, "qemu-img not installed "
               "(Debian package qemu-utils)")
        return
    st, out, err = run([QEMU_IMG, "check", img])
    t.ok(st == 0 and "No errors were found" in out,
         "qemu-img check finds the qcow2 image clean %s" % when, out + err)


c = None
nvme_img, nvme_fmt = make_nvme_image("nvme")
vblk_img = make_raw("vblk.img", VBLK_MB)
try:
    # ---- 1: the devices, and file systems on them ---------------------
    c = boot(TESSERA, disk_args(nvme_img, nvme_fmt, vblk_img))
    seen = view(c)
    t.ok("0x1b36 0x0010 0x010802 0x02 0x1af4 0x1100" in seen["pci"],
         "nvme: PCI 1b36:0010, class 010802, as QEMU's", seen["pci"])
    # On the root bus, transitional as QEMU's (test-virtio-pci-legacy.py)
    t.ok("0x1af4 0x1001 0x010000 0x00 0x1af4 0x0002" in seen["pci"],
         "virtio-blk-pci: PCI 1af4:1001 (transitional), class 010000",
         seen["pci"])
    t.ok(seen["serial"] == "TESSERA-NVME0" and
         seen["model"] == "QEMU NVMe Ctrl" and
         seen["size"] == str(NVME_MB * 2048),
         "the guest sees the controller's serial and model and the "
         "namespace's size", seen)
    vsize = shell(c, "cat /sys/block/vda/size").strip()
    t.ok(vsize == str(VBLK_MB * 2048), "and the virtio-blk-pci disk's size",
         vsize)
    if QEMU:
        qn, qfmt = make_nvme_image("qemu-nvme")
        qv = make_raw("qemu-vblk.img", VBLK_MB)
        q = boot(QEMU, disk_args(qn, qfmt, qv))
        qseen = view(q)
        q.close()
        diff = dict((k, (seen[k], qseen[k])) for k in seen
                    if seen[k] != qseen[k])
        t.ok(not diff, "the guest's view (PCI ids, NVMe identity and "
             "limits) is the same as under qemu-system-riscv64", diff)
    else:
        t.skip("guest's view compared with QEMU", "qemu-system-riscv64 "
               "not installed (Debian package qemu-system-misc)")

    out = shell(c, "mke2fs -q /dev/nvme0n1 && mke2fs -q /dev/vda && "
                "mkdir -p /mnt/n /mnt/v && mount -t ext2 /dev/nvme0n1 /mnt/n "
                "&& mount -t ext2 /dev/vda /mnt/v && echo MOUNTED",
                timeout=180)
    t.ok("MOUNTED" in out, "mke2fs on both disks in the guest, and mount",
         out)
    shell(c, "dd if=/dev/urandom of=/mnt/n/big bs=64k count=48 2>/dev/null;"
             " echo hello-nvme > /mnt/n/small", timeout=120)
    shell(c, "dd if=/dev/urandom of=/mnt/v/big bs=64k count=48 2>/dev/null;"
             " seq 1 30000 > /mnt/v/seq; sync", timeout=120)
    before, out = checksums(c)
    t.ok(len(before) == 4, "four files written and checksummed", out)
    out = shell(c, "umount /mnt/n && umount /mnt/v && echo UNMOUNTED")
    t.ok("UNMOUNTED" in out, "unmount", out)
    poweroff(c, "first boot")
    c.close()
    c = None

    # ---- 2: the host's tools agree ------------------------------------
    qemu_img_check(nvme_img, nvme_fmt, "after the first boot")
    if os.path.exists(E2FSCK):
        st, out, err = run([E2FSCK, "-fn", vblk_img])
        t.ok(st == 0, "e2fsck -fn on the host finds the virtio-blk-pci "
             "file system clean", out + err)
        if nvme_fmt == "raw":
            st, out, err = run([E2FSCK, "-fn", nvme_img])
            t.ok(st == 0, "and the NVMe one", out + err)
    else:
        t.skip("e2fsck on the host", "e2fsprogs not installed")

    # ---- 3: read back, discard ---------------------------------------
    c = boot(TESSERA, disk_args(nvme_img, nvme_fmt, vblk_img,
                                extra_drive=",discard=unmap"), smp=2)
    # Without an MSI controller (aia=none, the default) the function has
    # INTA only: one vector, so Linux makes one I/O queue whatever the
    # CPU count, as under QEMU.
    queues = shell(c, "ls /sys/block/nvme0n1/mq | wc -l").strip()
    t.ok(queues == "1", "-smp 2 with INTx: one I/O queue, as under QEMU",
         queues)
    out = shell(c, "mkdir -p /mnt/n /mnt/v && mount -t ext2 /dev/nvme0n1 "
                "/mnt/n && mount -t ext2 /dev/vda /mnt/v && echo MOUNTED")
    t.ok("MOUNTED" in out, "both file systems mount again", out)
    after, out = checksums(c)
    t.ok(after == before, "the checksums match those of the first boot",
         "%s\n%s" % (before, after))

    used = allocated(vblk_img)
    out = shell(c, "rm /mnt/v/big && sync && fstrim -v /mnt/v; echo rc=$?",
                timeout=120)
    freed = used - allocated(vblk_img)
    t.ok("rc=0" in out and freed >= 2 << 20, "virtio-blk-pci: fstrim frees "
         "the deleted file's blocks in the host image (%d KiB)"
         % (freed >> 10), out)
    out = shell(c, "rm /mnt/n/big && sync && fstrim -v /mnt/n; echo rc=$?",
                timeout=120)
    t.ok("rc=0" in out, "nvme: fstrim (Dataset Management, deallocate) "
         "succeeds", out)
    # Two writers at once on the NVMe disk, each reading back its data.
    shell(c, "w() { dd if=/dev/urandom of=/tmp/r$1 bs=64k count=16; "
             "dd if=/tmp/r$1 of=/mnt/n/f$1 bs=64k conv=fsync; }")
    shell(c, "r() { cmp /mnt/n/f$1 /tmp/r$1 && echo SAME$1; }")
    out = shell(c, "(w 0; r 0) 2>/dev/null & (w 1; r 1) 2>/dev/null & wait",
                timeout=120)
    t.ok("SAME0" in out and "SAME1" in out, "nvme: two processes write and "
         "read back 1 MiB each at once", out)
    # Past the end: nothing read, nothing written, no harm.
    out = shell(c, "dd if=/dev/nvme0n1 of=/dev/null bs=512 skip=%d count=4; "
                "echo rc=$?" % (NVME_MB * 2048))
    t.ok("0+0 records in" in out, "a read at the end of the NVMe disk "
         "reads nothing", out)
    out = shell(c, "umount /mnt/n && umount /mnt/v && echo UNMOUNTED")
    t.ok("UNMOUNTED" in out, "unmount", out)
    poweroff(c, "second boot")
    c.close()
    c = None
    qemu_img_check(nvme_img, nvme_fmt, "after fstrim and the second boot")
except (Timeout, OSError, EOFError) as e:
    t.ok(False, "guest session", "%s\n%s" % (e, c.tail() if c else ""))
finally:
    if c:
        c.close()

# ---- 4: command-line errors, as QEMU words them ----------------------
img = make_raw("err.img", 1)
cases = [
    (["-drive", "file=%s,format=raw,if=none,id=d0" % img,
      "-device", "nvme,drive=d0"], "serial property not set"),
    (["-device", "nvme,serial=x,drive=nosuch"],
     "Property 'nvme.drive' can't find value 'nosuch'"),
]
refused_like_qemu(t, cases, QEMU)

shutil.rmtree(tmp, ignore_errors=True)
t.done()
