#!/usr/bin/env python3
"""Throttle groups: `-object throttle-group` shared by "throttle" filter
nodes (plugins/blk-throttle) and a -drive that joins the group with
throttling.group=, with the test Linux guest on virtio-blk-device.

One group, tg0, allows 4 operations a second in total
(x-iops-total=4, as QEMU 7.2 spells it on the command line).  Three
disks are in it: two through `-blockdev driver=throttle,
throttle-group=tg0`, one through `-drive ...,throttling.group=tg0,
throttling.iops-total=4`.  The guest reads 8 blocks of 4 KiB with
O_DIRECT from each of the three at the same time: 24 operations, which
the group lets through in no less than ~5.9 s (24 past a burst of 0.4,
at 4 a second).  Separate limits per disk would take ~2 s, no limit
milliseconds.  The check is a ceiling on the rate (the reads must take
at least 4 s, measured on the host, so load can only make it pass more
easily), never a floor.  QMP shows the -drive in the group
(query-block) and every disk's reads counted (query-blockstats).

Then the refusals, one line each as QEMU words them: an unknown group,
a throttle node without throttle-group=, the flat -object spelling
QEMU 7.2 refuses (limits.iops-total), an invalid parameter and
inconsistent limits; and the JSON -object form with "limits" that QEMU
takes.
"""
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, run, skip_all  # noqa: E402
from console import Console  # noqa: E402
from qmp import Qmp  # noqa: E402
import guest  # noqa: E402

g = guest.find_or_skip()
st, out, err = run([TESSERA, "-device", "help"])
if "virtio-blk-device" not in out:
    skip_all("virtio-blk-device not built")
t = Tap()
shell = guest.shell
tmp = tempfile.mkdtemp(prefix="test-throttle-")
P = lambda name: os.path.join(tmp, name)  # noqa: E731
MB = 1 << 20

disks = []
for i, size in enumerate((4, 5, 6)):        # told apart by size
    d = P("d%d.raw" % i)
    with open(d, "wb") as f:
        f.write(bytes([0x40 + i]) * (size * MB))
    disks.append(d)

qmp_path = P("qmp.sock")
args = [TESSERA, "-M", "virt", "-m", "256M", "-nographic",
        "-kernel", g.image, "-initrd", g.initrd, "-append", "console=ttyS0",
        "-object", "throttle-group,id=tg0,x-iops-total=4",
        "-blockdev", "driver=file,filename=%s,node-name=f0" % disks[0],
        "-blockdev", "driver=throttle,throttle-group=tg0,file=f0,"
        "node-name=t0",
        "-device", "virtio-blk-device,drive=t0",
        "-blockdev", "driver=file,filename=%s,node-name=f1" % disks[1],
        "-blockdev", "driver=raw,file=f1,node-name=r1",
        "-blockdev", "driver=throttle,throttle-group=tg0,file=r1,"
        "node-name=t1",
        "-device", "virtio-blk-device,drive=t1",
        "-drive", "file=%s,format=raw,if=none,id=d2,throttling.group=tg0,"
        "throttling.iops-total=4" % disks[2],
        "-device", "virtio-blk-device,drive=d2",
        "-qmp", "unix:%s,server=on,wait=off" % qmp_path]
c = Console(args)
try:
    guest.wait_for_shell(c)
    names = {}
    for dev in ("vda", "vdb", "vdc"):
        names[shell(c, "cat /sys/block/%s/size" % dev).strip()] = dev
    devs = [names.get(str(s * 2048)) for s in (4, 5, 6)]
    t.ok(all(devs), "the guest sees the three disks", names)
    qmp = Qmp(qmp_path, c.proc)
    blocks = {b["device"]: b for b in qmp.cmd("query-block")["return"]}
    ins = blocks.get("d2", {}).get("inserted", {})
    t.ok(ins.get("group") == "tg0" and ins.get("iops") == 4,
         "query-block: the -drive is in group tg0 with iops 4", ins)
    before = {s.get("qdev", s["device"]): s["stats"]["rd_operations"]
              for s in qmp.cmd("query-blockstats")["return"]}
    line = " ".join(
        "dd if=/dev/%s of=/dev/null bs=4k count=8 iflag=direct "
        "2>/dev/null &" % d for d in devs if d) + " wait; echo done"
    start = time.monotonic()
    out = shell(c, line, timeout=120)
    took = time.monotonic() - start
    t.ok("done" in out, "the guest read all three disks", out)
    t.ok(took >= 4.0, "24 reads through one group of 4 IOPS take at "
         "least 4 s (%.1f s)" % took, "took %.2f s" % took)
    after = qmp.cmd("query-blockstats")["return"]
    counted = [s["stats"]["rd_operations"] -
               before.get(s.get("qdev", s["device"]), 0) for s in after]
    t.ok(len(counted) == 3 and all(n >= 8 for n in counted),
         "query-blockstats counted at least 8 reads on each disk",
         counted)
    qmp.close()
    c.send("poweroff -f\n")
    status = c.wait_exit(60)
    t.ok(status == 0, "poweroff -f ends the emulator with status 0",
         "status %r\n%s" % (status, c.tail()))
finally:
    c.close()

# ---- refusals and spellings ---------------------------------------------
BASE = [TESSERA, "-M", "virt", "-display", "none", "-S", "-bios", "none",
        "-monitor", "none", "-serial", "none"]
F0 = ["-blockdev", "driver=file,filename=%s,node-name=f0" % disks[0]]
for extra, want in (
        (["-object", "throttle-group,id=tg0,x-iops-total=5"] + F0 +
         ["-blockdev", "driver=throttle,throttle-group=tgX,file=f0,"
          "node-name=t0"],
         "Throttle group 'tgX' does not exist"),
        (F0 + ["-blockdev", "driver=throttle,file=f0,node-name=t0"],
         "Parameter 'throttle-group' is missing"),
        (["-object", "throttle-group,id=tg0,limits.iops-total=5"],
         "Invalid parameter 'limits.iops-total'"),
        (["-object", "throttle-group,id=tg0,foo=1"],
         "Invalid parameter 'foo'"),
        (["-object", "throttle-group,id=tg0,x-iops-total=abc"],
         "Parameter 'x-iops-total' expects a number"),
        (["-object", "throttle-group,id=tg0,x-iops-total=5,x-iops-read=3"],
         "bps/iops/max total values and read/write values cannot be used "
         "at the same time"),
        (["-object", "throttle-group,id=tg0,x-iops-total-max=3"],
         "bps_max/iops_max require corresponding bps/iops values"),
        (["-object", "throttle-group,id=tg0", "-object",
          "throttle-group,id=tg0"], "Duplicate ID 'tg0' for object")):
    st, out, err = run(BASE + extra, timeout=60)
    lines = [x for x in err.splitlines() if x.strip()]
    t.ok(st == 1 and len(lines) == 1 and want in lines[0] and
         lines[0].startswith("tessera-system-riscv64: "),
         "refused with one line: %s" % want, "status %d: %s" % (st, err))

# The JSON form with "limits", as QEMU takes it; the group's limits show
# on a -drive that joins it with limits of its own (the last are the
# group's, as in QEMU).
qmp_path = P("qmp2.sock")
proc_args = BASE + [
    "-object", '{"qom-type":"throttle-group","id":"tg1",'
    '"limits":{"iops-total":7}}'] + F0 + [
    "-blockdev", "driver=throttle,throttle-group=tg1,file=f0,node-name=t0",
    "-drive", "file=%s,format=raw,if=none,id=d1,throttling.group=tg1,"
    "throttling.iops-read=3" % disks[1],
    "-qmp", "unix:%s,server=on,wait=off" % qmp_path]
c = Console(proc_args)
try:
    qmp = Qmp(qmp_path, c.proc)
    blocks = {b["device"]: b for b in qmp.cmd("query-block")["return"]}
    ins = blocks.get("d1", {}).get("inserted", {})
    t.ok(ins.get("group") == "tg1" and ins.get("iops_rd") == 3 and
         ins.get("iops") == 0, "JSON -object with limits is accepted; a "
         "-drive joining it sets the group's limits", ins)
    qmp.cmd("quit")
    c.wait_exit(30)
finally:
    c.close()

st, out, err = run([TESSERA, "-object", "help"])
t.ok(st == 0 and re.search(r"^  throttle-group$", out, re.M),
     "-object help lists throttle-group", out + err)
QEMU = shutil.which("qemu-system-riscv64")
if QEMU:
    st, out, err = run([TESSERA, "-object", "throttle-group,help"])
    qst, qout, qerr = run([QEMU, "-object", "throttle-group,help"])
    t.ok(st == 0 and out == qout, "-object throttle-group,help prints what "
         "QEMU 7.2 prints", "ours:\n%s%s\nQEMU:\n%s" % (out, err, qout))
else:
    t.skip("-object throttle-group,help as QEMU's", "qemu-system-riscv64 "
           "not installed (Debian package qemu-system-misc)")
st, out, err = run([TESSERA, "-blockdev", "driver=help"])
t.ok(st == 0 and re.search(r"^\s*throttle\b", out, re.M),
     "-blockdev driver=help lists throttle", out + err)
shutil.rmtree(tmp, ignore_errors=True)
t.done()
