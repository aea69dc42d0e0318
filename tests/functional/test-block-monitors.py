#!/usr/bin/env python3
"""The block monitors' shapes beside Debian's QEMU 7.2 (the real peer):
HMP `info block -n` and `info block -v`, QMP query-blockstats with the
protocol node's statistics under the format node's ("parent") and the
backing node's ("backing"), query-block looking through the implicit
copy-on-read filter of -drive copy-on-read=on, qcow2 backing files
named relatively, resolved against the overlay's directory, and HMP
`info snapshots` over images whose internal snapshots `qemu-img snapshot
-c` made (common to all disks, partial, none, no disk for VM state).

Both emulators get the same command line, run from the same working
directory, on the same images made by qemu-img: an overlay made by
`qemu-img create -b base.qcow2 -F qcow2 sub/ov.qcow2` from the parent
directory (the name it records is relative to sub/), another overlay
next to the working directory, and a raw image.  Node names QEMU makes
up ("#block123") are compared as "#block"; the order of `info block -n`
(creation order, newest first) is compared as a set of entries, since
the two open a chain's nodes in a different order.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, skip_all  # noqa: E402
from qmp import Qmp  # noqa: E402

QEMU = shutil.which("qemu-system-riscv64")
QEMU_IMG = shutil.which("qemu-img")
if not QEMU or not QEMU_IMG:
    skip_all("qemu-system-riscv64 and qemu-img not installed (Debian "
             "packages qemu-system-misc, qemu-utils)")
t = Tap()
tmp = tempfile.mkdtemp(prefix="test-block-monitors-")
os.mkdir(os.path.join(tmp, "sub"))


def qimg(*args):
    subprocess.run([QEMU_IMG] + list(args), cwd=tmp, check=True,
                   capture_output=True, timeout=60)


qimg("create", "-q", "-f", "qcow2", "base.qcow2", "1M")
qimg("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2",
     "ov.qcow2")
qimg("create", "-q", "-f", "qcow2", "sub/base.qcow2", "2M")
qimg("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2",
     "sub/ov.qcow2")
qimg("create", "-q", "-f", "raw", "a.raw", "1M")
qimg("create", "-q", "-f", "raw", "b.raw", "1M")

DRIVES = ["-drive", "if=none,id=d0,file=ov.qcow2,format=qcow2,"
          "copy-on-read=on",
          "-drive", "if=none,id=d1,file=a.raw,format=raw",
          "-drive", "if=none,id=d2,file=sub/ov.qcow2",
          "-blockdev", "driver=file,filename=b.raw,node-name=bf"]
QUERIES = ["info block -n", "info block -v", "query-blockstats",
           "query-block"]


def ask(argv):
    """Start an emulator paused in tmp, ask QUERIES, quit."""
    sock = os.path.join(tmp, "qmp-%d.sock" % time.monotonic_ns())
    p = subprocess.Popen(argv + DRIVES + ["-qmp", "unix:%s,server=on,"
                                          "wait=off" % sock],
                         cwd=tmp, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    answers = {}
    try:
        q = Qmp(sock, p)
        for what in QUERIES:
            if what.startswith("info"):
                answers[what] = q.cmd("human-monitor-command", **{
                    "command-line": what}).get("return")
            else:
                answers[what] = q.cmd(what).get("return")
        q.cmd("quit")
        q.close()
        p.wait(30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return answers


def norm(x):
    """QEMU's made-up node names as "#block", its HMP's CR LF as LF."""
    if isinstance(x, str):
        return re.sub(r"#block\d+", "#block", x).replace("\r\n", "\n")
    if isinstance(x, list):
        return [norm(v) for v in x]
    if isinstance(x, dict):
        return {k: norm(v) for k, v in x.items()}
    return x


qemu = norm(ask([QEMU, "-M", "virt", "-nodefaults", "-S", "-display",
                 "none"]))
ours = norm(ask([TESSERA, "-M", "virt", "-S", "-display", "none", "-bios",
                 "none", "-monitor", "none", "-serial", "none"]))


def entries(text):
    return sorted(e.strip("\n") for e in (text or "").split("\n\n") if e)


def drives(text):
    """info block's paragraphs per drive, without QEMU's removable-media
    line (Tessera's -drive if=none is not removable)."""
    return [e for e in entries(re.sub(r"    Removable device: [^\n]*\n",
                                      "", text or ""))]


t.ok(entries(ours["info block -n"]) == entries(qemu["info block -n"]),
     "info block -n lists the nodes as QEMU does (without the implicit "
     "filter)", "ours:\n%s\nQEMU:\n%s" % (ours["info block -n"],
                                         qemu["info block -n"]))
t.ok(drives(ours["info block -v"]) == drives(qemu["info block -v"]),
     "info block -v shows the drives and their images as QEMU does",
     "ours:\n%s\nQEMU:\n%s" % (ours["info block -v"],
                               qemu["info block -v"]))


def by_device(lst):
    return {e.get("device"): e for e in lst or []}


def strip_times(x):
    """Statistics values beside the shape: nothing ran, so all are 0."""
    if isinstance(x, dict):
        return {k: strip_times(v) for k, v in x.items()
                if k != "idle_time_ns"}
    return x


ob, qb = by_device(ours["query-blockstats"]), by_device(
    qemu["query-blockstats"])
for dev in ("d0", "d1", "d2"):
    t.ok(strip_times(ob.get(dev)) == strip_times(qb.get(dev)),
         "query-blockstats %s: node, parent and backing statistics as "
         "QEMU's" % dev, "ours %s\nQEMU %s" % (
             json.dumps(ob.get(dev), sort_keys=True),
             json.dumps(qb.get(dev), sort_keys=True)))

KEYS = ("drv", "file", "node-name", "ro", "backing_file_depth", "image")
ob, qb = by_device(ours["query-block"]), by_device(qemu["query-block"])
for dev in ("d0", "d1", "d2"):
    mine = {k: ob.get(dev, {}).get("inserted", {}).get(k) for k in KEYS}
    theirs = {k: qb.get(dev, {}).get("inserted", {}).get(k) for k in KEYS}
    t.ok(mine == theirs, "query-block %s: %s as QEMU's" %
         (dev, ", ".join(KEYS)), "ours %s\nQEMU %s" % (
             json.dumps(mine, sort_keys=True),
             json.dumps(theirs, sort_keys=True)))
d0 = ob.get("d0", {}).get("inserted", {})
t.ok(d0.get("drv") == "qcow2", "copy-on-read=on: query-block shows the "
     "qcow2 node, not the implicit filter", d0.get("drv"))
d2 = ob.get("d2", {}).get("inserted", {}).get("image", {})
t.ok(d2.get("full-backing-filename") == "sub/base.qcow2" and
     d2.get("backing-image", {}).get("virtual-size") == 2 << 20,
     "sub/ov.qcow2's relative backing name is sub/base.qcow2 (the 2 MiB "
     "one, not the working directory's)", d2)

# ---- info snapshots: internal snapshots made by qemu-img snapshot -c ----
qimg("create", "-q", "-f", "qcow2", "snap.qcow2", "1M")
qimg("snapshot", "-c", "first", "snap.qcow2")
qimg("snapshot", "-c", "second", "snap.qcow2")
shutil.copy(os.path.join(tmp, "snap.qcow2"), os.path.join(tmp, "snap2.qcow2"))
qimg("snapshot", "-c", "only-here", "snap2.qcow2")
qimg("create", "-q", "-f", "qcow2", "nosnap.qcow2", "1M")
QUERIES = ["info snapshots"]
for what, drives in (
        ("two disks: common and partial snapshots",
         ["-drive", "if=none,id=d0,file=snap.qcow2,format=qcow2",
          "-drive", "if=none,id=d1,file=snap2.qcow2,format=qcow2"]),
        ("a writable raw disk makes every snapshot partial",
         ["-drive", "if=none,id=d1,file=a.raw,format=raw",
          "-drive", "if=none,id=d0,file=snap.qcow2,format=qcow2"]),
        ("a -blockdev node nothing uses counts as a disk",
         ["-blockdev", "driver=qcow2,node-name=q,file.driver=file,"
          "file.filename=snap.qcow2"]),
        ("an image without snapshots",
         ["-drive", "if=none,id=d0,file=nosnap.qcow2,format=qcow2"]),
        ("a read-only disk cannot hold VM state",
         ["-drive", "if=none,id=d0,file=snap.qcow2,format=qcow2,"
          "readonly=on"])):
    DRIVES = drives
    qemu = norm(ask([QEMU, "-M", "virt", "-nodefaults", "-S", "-display",
                     "none"]))
    ours = norm(ask([TESSERA, "-M", "virt", "-S", "-display", "none",
                     "-bios", "none", "-monitor", "none", "-serial",
                     "none"]))
    t.ok(ours["info snapshots"] == qemu["info snapshots"],
         "info snapshots as QEMU's: %s" % what,
         "ours:\n%s\nQEMU:\n%s" % (ours["info snapshots"],
                                     qemu["info snapshots"]))
shutil.rmtree(tmp, ignore_errors=True)
t.done()
