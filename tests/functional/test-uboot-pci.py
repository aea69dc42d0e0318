#!/usr/bin/env python3
"""Debian's U-Boot finds a virtio-blk-pci disk behind the virt board's
PCIe host bridge: `pci enum; pci` lists the host bridge and the disk,
`virtio scan; virtio info` sees the disk's size, `virtio read` returns
the image's first sector.  Debian's QEMU 7.2 runs the same U-Boot with
the same options and must list the same functions (SKIP without it).
On the root bus virtio-blk-pci is transitional by default (1af4:1001:
U-Boot's legacy virtio driver takes it, through the I/O BAR), and modern
only with disable-legacy=on (1af4:1042: U-Boot's modern driver); both are
tried.

Usage: test-uboot-pci.py [--accel OPTS]
"""
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, skip_all  # noqa: E402
from console import Console, Timeout  # noqa: E402
import uboot  # noqa: E402

ACCEL = []
if len(sys.argv) == 3 and sys.argv[1] == "--accel":
    ACCEL = ["-accel", sys.argv[2]]

if uboot.missing():
    skip_all(uboot.missing())

QEMU = shutil.which("qemu-system-riscv64")
MARK = b"TESSERA-UBOOT-PCI-SECTOR-0"
SECTORS = 32768                 # a 16 MiB image
LOAD = "0x84000000"


def session(emulator, image, extra, device_opts=""):
    """Boot U-Boot with the disk; the outputs of the PCI and virtio
    commands, or a Timeout's text."""
    c = Console(uboot.argv(emulator, "-drive",
                           "file=%s,if=none,format=raw,id=d0" % image,
                           "-device", "virtio-blk-pci,drive=d0" + device_opts,
                           *extra))
    out = {}
    try:
        c.expect(r"=> ", timeout=120)
        for cmd in ("pci enum", "pci", "virtio scan", "virtio info",
                    "virtio read %s 0 1" % LOAD, "md.b %s 0x20" % LOAD):
            out[cmd] = uboot.command(c, cmd)
        out["status"] = uboot.quit(c)
    except Timeout as e:
        out["error"] = "%s\n%s" % (e, c.tail())
        c.close()
    return out


def functions(listing):
    """(bus.dev.fn, vendor, device, class) of each line of `pci`."""
    return re.findall(r"^(\d\d\.\d\d\.\d\d)\s+(0x[0-9a-f]{4})\s+"
                      r"(0x[0-9a-f]{4})\s+(\S.*?)\s+0x", listing, re.M)


def main():
    t = Tap()
    tmp = tempfile.mkdtemp()
    image = os.path.join(tmp, "disk.img")
    with open(image, "wb") as f:
        f.write(MARK)
        f.truncate(SECTORS * 512)

    got = session(TESSERA, image, ACCEL)
    if "error" in got:
        t.ok(False, "U-Boot answers the PCI and virtio commands",
             got["error"])
        t.done()
        return
    fns = functions(got["pci"])
    t.ok(("00.00.00", "0x1b36", "0x0008", "Bridge device") in fns and
         ("00.01.00", "0x1af4", "0x1001", "Mass storage controller") in fns,
         "pci lists the host bridge (1b36:0008) and the transitional "
         "virtio-blk-pci (1af4:1001) at 00.01.00", got["pci"])
    t.ok("VirtIO Block Device" in got["virtio info"] and
         "(%d x 512)" % SECTORS in got["virtio info"],
         "virtio info: a block device of %d sectors" % SECTORS,
         got["virtio info"])
    t.ok("1 blocks read: OK" in got["virtio read %s 0 1" % LOAD],
         "virtio read of sector 0 succeeds",
         got["virtio read %s 0 1" % LOAD])
    dump = got["md.b %s 0x20" % LOAD]
    ascii = re.findall(r"  (.{16})$", dump.replace("\r", ""), re.M)
    t.ok(MARK.decode() in "".join(ascii),
         "the sector read holds the image's first bytes", dump)
    t.ok(got["status"] == 0, "Ctrl-a x ends the emulator with status 0",
         "status %r" % got["status"])

    modern = session(TESSERA, image, ACCEL, ",disable-legacy=on")
    t.ok("error" not in modern and
         ("00.01.00", "0x1af4", "0x1042", "Mass storage controller")
         in functions(modern["pci"]) and
         "1 blocks read: OK" in modern["virtio read %s 0 1" % LOAD] and
         MARK.decode() in "".join(re.findall(
             r"  (.{16})$", modern["md.b %s 0x20" % LOAD].replace("\r", ""),
             re.M)),
         "disable-legacy=on: the modern virtio-blk-pci (1af4:1042) reads "
         "the same sector", modern)

    if not QEMU:
        t.skip("QEMU lists the same PCI functions",
               "qemu-system-riscv64 not installed (Debian package "
               "qemu-system-misc)")
    else:
        ref = session(QEMU, image, [])
        t.ok("error" not in ref and functions(ref["pci"]) == fns,
             "QEMU 7.2 lists the same PCI functions for the same options",
             "tessera:\n%s\nqemu:\n%s" % (got["pci"],
                                          ref.get("pci", ref.get("error"))))
    shutil.rmtree(tmp)
    t.done()


main()
