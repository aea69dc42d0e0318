#!/usr/bin/env python3
"""nvme-ns: namespaces on an nvme controller behind a pcie-root-port.

`-device nvme,bus=rp0,id=nv,serial=S -device nvme-ns,bus=nv,drive=...`
twice (nsid=1 given, the second taken as the lowest free): the Linux
guest finds the controller on the root port's bus, both namespaces with
their sizes, and a write to namespace 2 lands in the second image only.
Then the refusals: a namespace id taken twice, and a bus that is not
an nvme controller.
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, run  # noqa: E402
from console import Console, Timeout  # noqa: E402
import guest  # noqa: E402

g = guest.find_or_skip()
t = Tap()
shell = guest.shell
tmp = tempfile.mkdtemp(prefix="test-nvme-ns-")


def image(name, mb):
    p = os.path.join(tmp, name)
    with open(p, "wb") as f:
        f.truncate(mb << 20)
    return p


one = image("one.img", 16)
two = image("two.img", 8)
base = ["-M", "virt", "-m", "256M", "-nographic",
        "-device", "pcie-root-port,id=rp0,slot=1,chassis=1",
        "-drive", "file=%s,format=raw,if=none,id=d1" % one,
        "-drive", "file=%s,format=raw,if=none,id=d2" % two,
        "-device", "nvme,bus=rp0,id=nv,serial=NS-TEST"]
c = None
try:
    c = Console([TESSERA] + base + [
        "-kernel", g.image, "-initrd", g.initrd, "-append", "console=ttyS0",
        "-device", "nvme-ns,bus=nv,drive=d1,nsid=1",
        "-device", "nvme-ns,bus=nv,drive=d2"])
    guest.wait_for_shell(c)
    out = shell(c, "lspci")
    t.ok("01:00.0 Class 0108: 1b36:0010" in out,
         "the controller sits on the root port's bus", out)
    sizes = shell(c, "cat /sys/block/nvme0n1/size /sys/block/nvme0n2/size")
    t.ok(sizes.split() == [str(16 * 2048), str(8 * 2048)],
         "namespaces 1 and 2 with their images' sizes", sizes)
    out = shell(c, "printf 'NAMESPACE-TWO' | dd of=/dev/nvme0n2 bs=512 "
                "conv=sync,fsync 2>/dev/null; echo rc=$?")
    t.ok("rc=0" in out, "a write to namespace 2", out)
    c.send("poweroff -f\n")
    t.ok(c.wait_exit(60) == 0, "poweroff -f ends the emulator", c.tail())
    c.close()
    c = None
    with open(two, "rb") as f:
        head2 = f.read(13)
    with open(one, "rb") as f:
        head1 = f.read(13)
    t.ok(head2 == b"NAMESPACE-TWO" and head1 == bytes(13),
         "it landed in the second image only", (head1, head2))
except (Timeout, OSError, EOFError) as e:
    t.ok(False, "guest session", "%s\n%s" % (e, c.tail() if c else ""))
finally:
    if c:
        c.close()

for extra, want in [
        (["-device", "nvme-ns,bus=nv,drive=d1,nsid=3",
          "-device", "nvme-ns,bus=nv,drive=d2,nsid=3"],
         "namespace id '3' already allocated"),
        (["-device", "nvme-ns,bus=rp0,drive=d1"], "rp0")]:
    st, out, err = run([TESSERA] + base + ["-S"] + extra, timeout=30)
    lines = [l for l in err.splitlines() if l.strip()]
    t.ok(st != 0 and len(lines) == 1 and want in lines[0],
         "refused with one line: %s" % extra[-1], "status %d\n%s"
         % (st, err))

shutil.rmtree(tmp, ignore_errors=True)
t.done()
