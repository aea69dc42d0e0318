#!/usr/bin/env python3
"""Transitional virtio PCI devices and the legacy interface.

QEMU 7.2's virtio-*-pci are transitional (legacy I/O BAR0 and modern
BAR4; ids 1af4:1000-103f, revision 0, subsystem id = virtio device type)
on the root bus pcie.0 with the default disable-legacy=auto, and modern
only (1af4:1040 + type, revision 1) behind a PCI Express root port;
disable-legacy=on|off and disable-modern=on change that.  The guest's PCI
ids are compared with Debian's qemu-system-riscv64 booted with the same
devices.  Then Linux drives them: by default through the modern
interface (the device's features include VERSION_1, bit 32), and with
virtio_pci.force_legacy=1 through the legacy registers (no VERSION_1),
where a virtio-blk-pci disk still works: mkfs, mount, write, read back,
and a pattern written to the raw disk reaches the host's image file.
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, refused_like_qemu  # noqa: E402
from console import Timeout  # noqa: E402
import guest  # noqa: E402

g = guest.find_or_skip()
t = Tap()
shell = guest.shell
QEMU = shutil.which("qemu-system-riscv64")
tmp = tempfile.mkdtemp(prefix="test-virtio-pci-legacy-")
disk = os.path.join(tmp, "disk.img")
qdisk = os.path.join(tmp, "qemu-disk.img")     # QEMU locks its image
for path in (disk, qdisk):
    with open(path, "wb") as f:
        f.truncate(32 << 20)

# One of each case: transitional on pcie.0 (blk, rng, console), legacy
# only, modern only on the root bus, modern only behind a root port and
# transitional there when asked.
def devices(image):
    return [
        "-drive", "file=%s,if=none,id=d0,format=raw" % image,
        "-device", "virtio-blk-pci,drive=d0,addr=1",
        "-device", "virtio-rng-pci,addr=2",
        "-device", "virtio-serial-pci,addr=3",
        "-device", "virtio-rng-pci,addr=4,disable-modern=on",
        "-device", "virtio-rng-pci,addr=5,disable-legacy=on",
        "-device", "pcie-root-port,id=rp1,chassis=1,addr=6",
        "-device", "virtio-rng-pci,bus=rp1",
        "-device", "pcie-root-port,id=rp2,chassis=2,addr=7",
        "-device", "virtio-rng-pci,bus=rp2,disable-legacy=off",
    ]


FORCE_LEGACY = ["-append", "console=ttyS0 virtio_pci.force_legacy=1"]


def pci_ids(c):
    out = shell(c, "cd /sys/bus/pci/devices && for d in *; do echo $d "
                "$(cat $d/vendor $d/device $d/class $d/revision "
                "$d/subsystem_vendor $d/subsystem_device); done; cd /")
    return sorted(l.strip() for l in out.splitlines() if l.strip())


def version_1(c):
    """{pci address: whether the driver accepted VIRTIO_F_VERSION_1}"""
    out = shell(c, "for v in /sys/bus/virtio/devices/*; do echo "
                "$(basename $(readlink -f $v/..)) $(cat $v/features); done")
    got = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and len(parts[1]) >= 33:
            got[parts[0]] = parts[1][32] == "1"
    return got


def boot(emulator, extra):
    image = qdisk if emulator == QEMU else disk
    return guest.boot(emulator, g, devices(image) + extra)


c = None
try:
    c = boot(TESSERA, [])
    ids = pci_ids(c)
    want = {
        "0000:00:01.0": "0x1af4 0x1001 0x010000 0x00 0x1af4 0x0002",
        "0000:00:02.0": "0x1af4 0x1005 0x00ff00 0x00 0x1af4 0x0004",
        "0000:00:03.0": "0x1af4 0x1003 0x078000 0x00 0x1af4 0x0003",
        "0000:00:04.0": "0x1af4 0x1005 0x00ff00 0x00 0x1af4 0x0004",
        "0000:00:05.0": "0x1af4 0x1044 0x00ff00 0x01 0x1af4 0x1100",
        "0000:01:00.0": "0x1af4 0x1044 0x00ff00 0x01 0x1af4 0x1100",
        "0000:02:00.0": "0x1af4 0x1005 0x00ff00 0x00 0x1af4 0x0004",
    }
    for addr, line in want.items():
        t.ok("%s %s" % (addr, line) in ids, "%s: %s" % (addr, line), ids)
    if QEMU:
        q = boot(QEMU, [])
        qids = pci_ids(q)
        q.close()
        t.ok(qids == ids, "Debian's QEMU shows the same PCI functions with "
             "the same ids", "QEMU:\n%s\nTessera:\n%s"
             % ("\n".join(qids), "\n".join(ids)))
    else:
        t.skip("ids compared with QEMU", "qemu-system-riscv64 not "
               "installed (Debian package qemu-system-misc)")
    v1 = version_1(c)
    t.ok(v1.get("0000:00:01.0") is True and v1.get("0000:00:02.0") is True,
         "by default Linux drives transitional devices as modern (VERSION_1 "
         "accepted)", v1)
    t.ok(v1.get("0000:00:04.0") is False, "and a legacy-only one "
         "(disable-modern=on) through the legacy registers", v1)
    guest.poweroff(t, c, "default boot")
    c.close()

    c = boot(TESSERA, FORCE_LEGACY)
    v1 = version_1(c)
    t.ok(len(v1) == 7 and
         all(not v1[a] for a in ("0000:00:01.0", "0000:00:02.0",
                                 "0000:00:03.0", "0000:00:04.0",
                                 "0000:02:00.0")) and
         v1["0000:00:05.0"] and v1["0000:01:00.0"],
         "force_legacy=1: every transitional device is driven through the "
         "legacy interface, modern-only ones still as modern", v1)
    out = shell(c, "mkdir -p /tmp/m && mkfs.ext2 -q /dev/vda && mount "
                "/dev/vda /tmp/m && echo legacy-data > /tmp/m/f && umount "
                "/tmp/m && mount /dev/vda /tmp/m && cat /tmp/m/f && umount "
                "/tmp/m && echo DONE", timeout=120)
    t.ok("legacy-data" in out and "DONE" in out, "virtio-blk-pci over the "
         "legacy interface: mkfs, mount, write, read back", out)
    out = shell(c, "printf 'LEGACY-PATTERN-%04d' 7 | dd of=/dev/vda bs=512 "
                "seek=40000 conv=fsync 2>/dev/null && echo OK")
    t.ok("OK" in out, "a pattern written to the raw disk", out)
    out = shell(c, "dd if=/dev/hwrng bs=32 count=1 2>/dev/null | od -An "
                "-tx1 | tr -d ' \\n' | wc -c")
    t.ok(out.strip() == "64", "virtio-rng over the legacy interface", out)
    guest.poweroff(t, c, "force_legacy boot")
    c.close()
    c = None
    with open(disk, "rb") as f:
        f.seek(40000 * 512)
        got = f.read(19)
    t.ok(got == b"LEGACY-PATTERN-0007", "the pattern is in the host's "
         "image file", got)
except (Timeout, OSError, EOFError) as e:
    t.ok(False, "guest session", "%s\n%s" % (e, c.tail() if c else ""))
finally:
    if c:
        c.close()

cases = [
    (["-device", "virtio-rng-pci,disable-legacy=on,disable-modern=on"],
     "device cannot work as neither modern nor legacy mode is enabled"),
    (["-device", "virtio-rng-pci,disable-legacy=foo"],
     "disable-legacy"),
]
refused_like_qemu(t, cases, QEMU)

shutil.rmtree(tmp, ignore_errors=True)
t.done()
