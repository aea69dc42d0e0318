#!/usr/bin/env python3
"""The README's main job with a disk and a network: Debian's U-Boot on
the virt board with a qcow2 disk made by tessera-img on virtio-blk and a
user network (-netdev user,tftp=DIR) on virtio-net.  U-Boot lists the
disk (`virtio info`: 16 MiB), gets a lease (`dhcp`: 10.0.2.15) and loads
a file from the tftp= directory (`tftpboot`) whose CRC-32 (`crc32`)
equals the file's.

Skips without Debian's U-Boot.

Usage: test-uboot-net.py [--emulator PATH] (PATH: e.g. Debian's QEMU, to
check the test itself against it)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, BUILD, run, skip_all  # noqa: E402
from console import Console, Timeout  # noqa: E402
import uboot  # noqa: E402

EMULATOR = TESSERA
if len(sys.argv) == 3 and sys.argv[1] == "--emulator":
    EMULATOR = sys.argv[2]

if uboot.missing():
    skip_all(uboot.missing())
# The disk is made by the project's image tool, as the main job makes it.
TESSERA_IMG = os.path.join(BUILD, "tessera-img")

LOAD = "0x84000000"
t = Tap()
tmp = tempfile.mkdtemp(prefix="test-uboot-net-")
tftp = os.path.join(tmp, "tftp")
os.mkdir(tftp)
payload = os.urandom(192 << 10)
with open(os.path.join(tftp, "payload.bin"), "wb") as f:
    f.write(payload)
disk = os.path.join(tmp, "disk.qcow2")
subprocess.run([TESSERA_IMG, "create", "-q", "-f", "qcow2", disk, "16M"],
               check=True)

c = Console(uboot.argv(
    EMULATOR,
    "-drive", "file=%s,if=none,format=qcow2,id=d0" % disk,
    "-device", "virtio-blk-device,drive=d0",
    "-netdev", "user,id=n0,tftp=%s" % tftp,
    "-device", "virtio-net-device,netdev=n0"))
try:
    c.expect(r"=> ", timeout=120)
    out = uboot.command(c, "virtio info")
    t.ok(re.search(r"Capacity: 16\.0 MB .*\(32768 x 512\)", out),
         "virtio info lists the 16 MiB qcow2 disk", out)
    uboot.command(c, "setenv autoload no")
    out = uboot.command(c, "dhcp", timeout=60)
    t.ok("DHCP client bound to address 10.0.2.15" in out,
         "dhcp: a lease of 10.0.2.15", out)
    out = uboot.command(c, "tftpboot %s payload.bin" % LOAD, timeout=120)
    t.ok("TFTP from server 10.0.2.2" in out and
         "Bytes transferred = %d " % len(payload) in out,
         "tftpboot loads the file from the tftp= directory", out)
    out = uboot.command(c, "crc32 %s $filesize" % LOAD)
    want = "%08x" % zlib.crc32(payload)
    m = re.search(r"==> ([0-9a-f]{8})", out)
    t.ok(m and m.group(1) == want, "its CRC-32 is the file's (%s)" % want,
         out)
    t.ok(uboot.quit(c) == 0, "Ctrl-a x ends the emulator with status 0")
except Timeout as e:
    t.ok(False, "U-Boot answered", "%s\n%s" % (e, c.tail()))
    c.close()
finally:
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
