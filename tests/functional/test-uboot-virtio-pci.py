#!/usr/bin/env python3
"""Debian's U-Boot finds a virtio-blk-pci disk on the virt board's PCIe
host bridge (issue 13): `pci enum` lists the function with its modern
virtio ids, `virtio scan` / `virtio info` show the disk and its size,
and `virtio read` reads the image's first sector.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, skip_all  # noqa: E402
from console import Console, Timeout  # noqa: E402
import uboot  # noqa: E402
from uboot import command  # noqa: E402

if uboot.missing():
    skip_all(uboot.missing())

t = Tap()
tmp = tempfile.mkdtemp(prefix="test-uboot-virtio-pci-")
img = os.path.join(tmp, "disk.img")
with open(img, "wb") as f:
    f.write(b"TESSERA-UBOOT-PCI" * 30)
    f.truncate(2 << 20)

c = Console(uboot.argv(TESSERA, "-drive",
                       "file=%s,format=raw,if=none,id=d0" % img,
                       "-device", "virtio-blk-pci,drive=d0"))
try:
    c.expect(r"=> ", timeout=120)
    command(c, "pci enum")
    out = command(c, "pci")
    t.ok(any("0x1af4" in l and "0x1042" in l and "Mass storage" in l
             for l in out.splitlines()),
         "pci enum: 1af4:1042, a mass storage controller", out)
    command(c, "virtio scan")
    out = command(c, "virtio info")
    t.ok("VirtIO Block Device" in out and "(4096 x 512)" in out,
         "virtio info: the block device and its 4096 sectors", out)
    out = command(c, "virtio read 0x84000000 0 1")
    t.ok("1 blocks read: OK" in out, "virtio read of sector 0", out)
    out = command(c, "md.b 0x84000000 0x10")
    want = " ".join("%02x" % b for b in b"TESSERA-UBOOT-PC")
    t.ok(want in out,
         "the sector holds the image's first bytes", out)
    t.ok(uboot.quit(c) == 0, "Ctrl-a x ends the emulator")
except (Timeout, OSError, EOFError) as e:
    t.ok(False, "U-Boot session", "%s\n%s" % (e, c.tail()))
    c.close()
os.unlink(img)
os.rmdir(tmp)
t.done()
