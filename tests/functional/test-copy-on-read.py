#!/usr/bin/env python3
"""The copy-on-read filter (plugins/blk-copy-on-read) with the test Linux
guest on virtio-blk-device, Debian's qemu-img as the peer.

Three overlays are made with `qemu-img create -f qcow2 -b base.raw -F raw`
over one raw base filled with a pattern, and given to one guest:

  vda  -drive ...,copy-on-read=on           (the filter put on the format)
  vdb  -blockdev qcow2 + -blockdev driver=copy-on-read,file=<qcow2 node>
  vdc  -drive without copy-on-read          (the control)

The guest reads 2 MiB at 4 MiB of each disk with dd and prints their
checksums, which must be the base's.  After power off, `qemu-img map`
shows that range allocated in the top image of vda and vdb (depth 0) and
still coming from the base in vdc (depth 1, the test's proof that it can
fail); a range nobody read (8..12 MiB) stays in the base everywhere;
`qemu-img compare` finds every overlay identical to the base and
`qemu-img check` finds them clean.  Last, the refusals: copy-on-read over
a read-only node, and with no file child.
"""
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, run, skip_all  # noqa: E402
from console import Console  # noqa: E402
import guest  # noqa: E402

g = guest.find_or_skip()
QEMU_IMG = shutil.which("qemu-img")
if not QEMU_IMG:
    skip_all("qemu-img not installed (Debian package qemu-utils)")
st, out, err = run([TESSERA, "-device", "help"])
if "virtio-blk-device" not in out:
    skip_all("virtio-blk-device not built")
t = Tap()
shell = guest.shell
tmp = tempfile.mkdtemp(prefix="test-copy-on-read-")
P = lambda name: os.path.join(tmp, name)  # noqa: E731
MB = 1 << 20
SIZE = 16 * MB
READ_AT, READ_LEN = 4 * MB, 2 * MB      # what the guest reads
UNREAD_AT, UNREAD_LEN = 8 * MB, 4 * MB  # what nobody reads


def qimg(*args):
    st, out, err = run([QEMU_IMG] + list(args), timeout=120)
    return st, out + err


# A pattern that differs in every 512-byte sector, so that a copy from
# the wrong place cannot pass for the right one.
base = P("base.raw")
with open(base, "wb") as f:
    for sector in range(SIZE // 512):
        f.write(sector.to_bytes(8, "little") * 64)
base_data = open(base, "rb").read()
want_sha = hashlib.sha256(base_data[READ_AT:READ_AT + READ_LEN]).hexdigest()

overlays = {}
for name in ("drive", "blockdev", "plain"):
    overlays[name] = P("ov-%s.qcow2" % name)
    st, out = qimg("create", "-f", "qcow2", "-b", base, "-F", "raw",
                   overlays[name])
    if st != 0:
        skip_all("qemu-img create failed: " + out)


def depth_of(img, start, length):
    """The set of depths qemu-img map gives for [start, start+length)."""
    st, out = qimg("map", "--output=json", img)
    depths = set()
    for e in json.loads(out) if st == 0 else []:
        if e["start"] < start + length and start < e["start"] + e["length"]:
            depths.add(e["depth"])
    return depths, out


args = [TESSERA, "-M", "virt", "-m", "256M", "-nographic",
        "-kernel", g.image, "-initrd", g.initrd, "-append", "console=ttyS0",
        "-drive", "file=%s,format=qcow2,if=none,id=d0,copy-on-read=on"
        % overlays["drive"],
        "-device", "virtio-blk-device,drive=d0",
        "-blockdev", "driver=qcow2,node-name=q1,file.driver=file,"
        "file.filename=%s" % overlays["blockdev"],
        "-blockdev", "driver=copy-on-read,node-name=c1,file=q1",
        "-device", "virtio-blk-device,drive=c1",
        "-drive", "file=%s,format=qcow2,if=none,id=d2" % overlays["plain"],
        "-device", "virtio-blk-device,drive=d2"]
c = Console(args)
try:
    guest.wait_for_shell(c)
    # Which vdX is which overlay does not matter here: every disk must
    # read the base's data; the host tells the overlays apart afterwards.
    disks = shell(c, "ls /sys/block | grep vd").split()
    t.ok(len(disks) == 3, "the guest sees three virtio disks", disks)
    sums = {}
    for d in disks:
        out = shell(c, "dd if=/dev/%s bs=64k skip=%d count=%d 2>/dev/null "
                    "| sha256sum" % (d, READ_AT // 65536, READ_LEN // 65536),
                    timeout=120)
        m = re.search(r"([0-9a-f]{64})", out)
        sums[d] = m.group(1) if m else out
    t.ok(all(s == want_sha for s in sums.values()),
         "the guest reads the base's data through every disk", sums)
    c.send("poweroff -f\n")
    status = c.wait_exit(60)
    t.ok(status == 0, "poweroff -f ends the emulator with status 0",
         "status %r\n%s" % (status, c.tail()))
finally:
    c.close()

for name, want in (("drive", {0}), ("blockdev", {0}), ("plain", {1})):
    depths, out = depth_of(overlays[name], READ_AT, READ_LEN)
    t.ok(depths == want, "%s: qemu-img map shows the read range %s" %
         (name, "copied into the overlay (depth 0)" if want == {0}
          else "still in the base (depth 1): no copy without the filter"),
         "depths %r\n%s" % (depths, out))
    depths, out = depth_of(overlays[name], UNREAD_AT, UNREAD_LEN)
    t.ok(depths == {1}, "%s: a range nobody read stays in the base" % name,
         "depths %r\n%s" % (depths, out))
    st, out = qimg("compare", overlays[name], base)
    t.ok(st == 0, "%s: qemu-img compare: the overlay reads as the base"
         % name, out)
    st, out = qimg("check", overlays[name])
    t.ok(st == 0, "%s: qemu-img check finds the overlay clean" % name, out)

# ---- driver=help from the sidecar; refusals, one line each --------------------------------------------
BASE = [TESSERA, "-M", "virt", "-display", "none", "-S", "-bios", "none",
        "-monitor", "none", "-serial", "none"]
for extra, want in (
        (["-blockdev", "driver=qcow2,node-name=q1,read-only=on,"
          "file.driver=file,file.filename=%s" % overlays["plain"],
          "-blockdev", "driver=copy-on-read,node-name=c1,file=q1"],
         "Block node is read-only"),
        (["-blockdev", "driver=copy-on-read,node-name=c1"],
         "A block device must be specified for \"file\"")):
    st, out, err = run(BASE + extra, timeout=60)
    lines = [x for x in err.splitlines() if x.strip()]
    t.ok(st == 1 and len(lines) == 1 and want in lines[0] and
         lines[0].startswith("tessera-system-riscv64: "),
         "refused with one line: %s" % want, "status %d: %s" % (st, err))
st, out, err = run([TESSERA, "-blockdev", "driver=help"])
t.ok(st == 0 and re.search(r"^\s*copy-on-read\b", out, re.M),
     "-blockdev driver=help lists copy-on-read", out + err)
shutil.rmtree(tmp, ignore_errors=True)
t.done()
