#!/usr/bin/env python3
"""virtio-rng-pci and virtio-serial-pci with the test Linux guest.

The same device models as virtio-rng-device and virtio-console-device,
on the virtio PCI transport (core/virtio/virtio-pci.c): on the root bus
they are transitional, so the guest finds them with the transitional ids
(1af4:1005 and 1af4:1003, revision 0, subsystem = virtio type) and QEMU's
classes, the same as Debian's qemu-system-riscv64 shows; Linux drives
them through the modern interface (test-virtio-pci-legacy.py has the
other placements and the legacy interface); it reads random bytes
from the virtio entropy source and writes through the console port to a
host file.  (virtio-blk-pci has its disk tests in test-nvme.py.)
"""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA  # noqa: E402
from console import Timeout  # noqa: E402
import guest  # noqa: E402

g = guest.find_or_skip()
t = Tap()
shell = guest.shell
QEMU = shutil.which("qemu-system-riscv64")
tmp = tempfile.mkdtemp(prefix="test-virtio-pci-")
out_file = os.path.join(tmp, "hvc.out")

RNG = "0x1af4 0x1005 0x00ff00 0x00 0x1af4 0x0004"
SERIAL = "0x1af4 0x1003 0x078000 0x00 0x1af4 0x0003"


def boot(emulator, extra):
    return guest.boot(emulator, g, extra)


def pci_ids(c):
    out = shell(c, "for d in /sys/bus/pci/devices/*; do echo $(cat "
                "$d/vendor $d/device $d/class $d/revision "
                "$d/subsystem_vendor $d/subsystem_device); done")
    return sorted(l.strip() for l in out.splitlines() if l.strip())


c = None
try:
    c = boot(TESSERA, ["-device", "virtio-rng-pci",
                       "-chardev", "file,id=hvc,path=%s" % out_file,
                       "-device", "virtio-serial-pci,chardev=hvc"])
    ids = pci_ids(c)
    t.ok(RNG in ids, "virtio-rng-pci: 1af4:1005, class 00ff00", ids)
    t.ok(SERIAL in ids, "virtio-serial-pci: 1af4:1003, class 078000", ids)
    if QEMU:
        q = boot(QEMU, ["-device", "virtio-rng-pci"])
        qids = pci_ids(q)
        q.close()
        t.ok(RNG in qids, "QEMU shows virtio-rng-pci with the same ids",
             qids)
    else:
        t.skip("ids compared with QEMU", "qemu-system-riscv64 not "
               "installed (Debian package qemu-system-misc)")

    out = shell(c, "cat /sys/class/misc/hw_random/rng_available")
    t.ok("virtio_rng" in out, "the guest's hw_random has a virtio source",
         out)
    out = shell(c, "dd if=/dev/hwrng bs=64 count=4 2>/dev/null | od -An "
                "-tx1 | tr -d ' \\n' | wc -c")
    t.ok(out.strip() == "512", "256 bytes read from /dev/hwrng", out)
    out = shell(c, "ls /dev/hvc0 && echo hello-virtio-serial-pci > /dev/hvc0 "
                "&& echo WROTE")
    t.ok("WROTE" in out, "the guest writes to the console port", out)
    got = ""
    for _ in range(50):
        with open(out_file, errors="replace") as f:
            got = f.read()
        if "hello-virtio-serial-pci" in got:
            break
        time.sleep(0.1)
    t.ok("hello-virtio-serial-pci" in got, "and the text reaches the host's "
         "chardev file", got[-200:])
    c.send("poweroff -f\n")
    t.ok(c.wait_exit(60) == 0, "poweroff -f ends the emulator with status 0",
         c.tail())
    c.close()
    c = None
except (Timeout, OSError, EOFError) as e:
    t.ok(False, "guest session", "%s\n%s" % (e, c.tail() if c else ""))
finally:
    if c:
        c.close()

shutil.rmtree(tmp, ignore_errors=True)
t.done()
