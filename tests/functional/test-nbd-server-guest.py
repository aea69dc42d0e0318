#!/usr/bin/env python3
"""A running Linux guest's disk exported over NBD while the guest uses
it: the test guest boots with a qcow2 disk on virtio-blk-device and
reads it in a loop, while Debian's nbdinfo --map and qemu-img convert
read the same -drive through nbd-server-add: byte-identical to the
image, holes reported as holes.  A write the guest makes (O_DIRECT) is
then seen through the export, the guest's shell and the monitor answer
throughout, and the guest powers off cleanly."""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, run, skip_all  # noqa: E402
from qmp import Qmp  # noqa: E402
import guest  # noqa: E402

g = guest.find_or_skip()
QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")
NBDINFO = shutil.which("nbdinfo")
if not (QEMU_IMG and QEMU_IO):
    skip_all("qemu-img/qemu-io not installed (Debian package qemu-utils)")
if not NBDINFO:
    skip_all("nbdinfo not installed (Debian package libnbd-bin)")
t = Tap()
shell = guest.shell
tmp = tempfile.mkdtemp(prefix="test-nbd-server-guest-")
P = lambda name: os.path.join(tmp, name)  # noqa: E731
MiB = 1 << 20

disk = P("disk.qcow2")
run([QEMU_IMG, "create", "-q", "-f", "qcow2", disk, "8M"])
run([QEMU_IO, "-f", "qcow2", "-c", "write -P 0x5a 0 64k",
     "-c", "write -P 0xa5 2M 128k", disk])
sock, qsock = P("nbd.sock"), P("qmp.sock")
uri = "nbd+unix:///d0?socket=" + sock

c = guest.boot(TESSERA, g, [
    "-drive", "if=none,id=d0,file=%s,format=qcow2" % disk,
    "-device", "virtio-blk-device,drive=d0",
    "-qmp", "unix:%s,server=on,wait=off" % qsock])
q = Qmp(qsock)
r1 = q.cmd("nbd-server-start", {"addr": {"type": "unix",
                                         "data": {"path": sock}}})
r2 = q.cmd("nbd-server-add", {"device": "d0"})
t.ok(r1 == {"return": {}} and r2 == {"return": {}},
     "the running guest's drive is exported", str(r1) + str(r2))
# The guest keeps reading its disk while the export is read.
shell(c, "(while true; do dd if=/dev/vda of=/dev/null bs=64k "
         "2>/dev/null; done) &")
st, out, err = run([NBDINFO, "--map", uri], timeout=120)
rows = [l.split() for l in out.splitlines() if l.strip()]
t.ok(st == 0 and rows == [["0", "65536", "0", "data"],
                          ["65536", "2031616", "3", "hole,zero"],
                          ["2097152", "131072", "0", "data"],
                          ["2228224", "6160384", "3", "hole,zero"]],
     "nbdinfo --map: the guest's disk, data and holes", out + err)
st, out, err = run([QEMU_IMG, "convert", "-O", "raw", uri, P("copy.raw")],
                   timeout=120)
st2, out2, err2 = run([QEMU_IMG, "compare", "-U", "-f", "qcow2", "-F",
                       "raw", disk, P("copy.raw")])
t.ok(st == 0 and st2 == 0, "qemu-img convert while the guest reads: "
     "byte-identical to the image", err + out2 + err2)

# A write by the guest, past its page cache, shows through the export.
shell(c, "printf TESSERA-NBD-WRITE > /tmp/w; dd if=/tmp/w of=/dev/vda "
         "bs=4096 seek=1024 conv=sync,notrunc oflag=direct 2>/dev/null; "
         "echo done")
st, out, err = run([QEMU_IMG, "convert", "-O", "raw", uri, P("after.raw")],
                   timeout=120)
with open(P("after.raw"), "rb") as f:
    f.seek(4 * MiB)
    got = f.read(17)
t.ok(st == 0 and got == b"TESSERA-NBD-WRITE",
     "the guest's write is read back through the export", repr(got) + err)
alive = shell(c, "echo alive-$((6*7))")
status = q.cmd("query-status")["return"]["status"]
t.ok("alive-42" in alive and status == "running",
     "the guest's shell and the monitor answered throughout", status)
shell(c, "kill %1 2>/dev/null; true")
q.close()
guest.poweroff(t, c, "guest with an exported disk")
shutil.rmtree(tmp, ignore_errors=True)
t.done()
