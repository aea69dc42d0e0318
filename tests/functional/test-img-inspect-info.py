#!/usr/bin/env python3
"""tessera-img info, map and snapshot beside Debian's qemu-img.

Images are made by qemu-img/qemu-io (raw with holes, qcow2 v3 and v2 with
data, zero clusters and internal snapshots, a backing chain, a compressed
image) and by tessera-img create with the same data written by qemu-io.
For each:

1. `info --output=json` (and --backing-chain) parses to the same value as
   qemu-img's, key by key, and is byte-identical (members in qemu-img's
   order); so is the human output.
2. `map` (json and human, with --start-offset/--max-length) is
   byte-identical to qemu-img's.
3. Snapshots: -c/-d by tessera-img are seen by `qemu-img snapshot -l` and
   `qemu-img check` stays clean; qemu-img's are listed by `tessera-img
   snapshot -l` byte for byte; -a brings the old contents back.
4. Broken input (missing, truncated, corrupt image; bad options): one
   line of error naming the file, non-zero exit.
"""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, BUILD, run, skip_all  # noqa: E402

IMG = os.path.join(BUILD, "tessera-img")
QEMU_IMG, QEMU_IO = shutil.which("qemu-img"), shutil.which("qemu-io")
if not QEMU_IMG or not QEMU_IO:
    skip_all("qemu-img/qemu-io not installed (Debian package qemu-utils)")
t = Tap()
tmp = tempfile.mkdtemp(prefix="test-img-inspect-info-")
os.chdir(tmp)   # relative names, as users type them (and as shown)


def qimg(*args):
    st, out, err = run([QEMU_IMG] + list(args), timeout=60)
    if st != 0:
        raise RuntimeError("qemu-img %s: %s%s" % (" ".join(args), out, err))
    return out


def qio(img, fmt, *cmds):
    args = [QEMU_IO, "-f", fmt]
    for c in cmds:
        args += ["-c", c]
    st, out, err = run(args + [img], timeout=60)
    if st != 0:
        raise RuntimeError("qemu-io %s: %s%s" % (cmds, out, err))


def both(*args):
    """(qemu-img result, tessera-img result), each (status, out, err)."""
    return (run([QEMU_IMG] + list(args), timeout=60),
            run([IMG] + list(args), timeout=60))


def same_output(args, what):
    q, ts = both(*args)
    ok = q[0] == 0 and ts[0] == 0 and q[1] == ts[1]
    t.ok(ok, what, "qemu-img (%d):\n%s%s\ntessera-img (%d):\n%s%s" %
         (q[0], q[1], q[2], ts[0], ts[1], ts[2]))


def same_json(args, what):
    q, ts = both(*args)
    try:
        qj, tj = json.loads(q[1]), json.loads(ts[1])
    except ValueError as e:
        t.ok(False, what, "%s\n%s%s\n%s%s" % (e, q[1], q[2], ts[1], ts[2]))
        return
    t.ok(qj == tj, what, "qemu-img:\n%s\ntessera-img:\n%s" %
         (json.dumps(qj, indent=1, sort_keys=True),
          json.dumps(tj, indent=1, sort_keys=True)))
    # Members in qemu-img's (hash) order too: outputs diff clean.
    t.ok(q[1] == ts[1], what + ", byte for byte", q[1] + ts[1])


def one_line_error(args, name, what):
    st, out, err = run([IMG] + args, timeout=60)
    lines = [l for l in err.splitlines() if l.strip()]
    t.ok(st != 0 and len(lines) == 1 and name in lines[0] and
         "tessera-img:" in lines[0], what, "status %d\n%s" % (st, err))


# The data every image gets: data, a cluster of written zeroes, a zero
# cluster, a run of clusters.  Whole clusters: qemu-img looks for holes
# inside partly written clusters in images it guesses were
# metadata-preallocated, a guess tessera-img does not make.
DATA = ["write -P 0x11 0 64k", "write -P 0 128k 64k", "write -z 256k 64k",
        "write -P 0x22 1M 192k", "write -P 0x33 3M 64k"]


def fill(img, fmt):
    qio(img, fmt, *DATA)


# ---- images made by qemu-img --------------------------------------------
qimg("create", "-q", "-f", "raw", "q.raw", "8M")
qio("q.raw", "raw", "write -P 0x44 0 4k", "write -P 0x55 1M 64k")
qimg("create", "-q", "-f", "qcow2", "q3.qcow2", "8M")
fill("q3.qcow2", "qcow2")
qimg("snapshot", "-c", "first", "q3.qcow2")
qio("q3.qcow2", "qcow2", "write -P 0x66 2M 64k")
qimg("create", "-q", "-f", "qcow2", "-o", "compat=0.10,cluster_size=4k",
     "q2.qcow2", "8M")
fill("q2.qcow2", "qcow2")
qimg("snapshot", "-c", "v2snap", "q2.qcow2")
qimg("create", "-q", "-f", "qcow2", "-b", "q3.qcow2", "-F", "qcow2",
     "qo.qcow2")
qio("qo.qcow2", "qcow2", "write -P 0x77 5M 64k", "write -z 0 64k")
qimg("convert", "-c", "-O", "qcow2", "q3.qcow2", "qc.qcow2")
qimg("create", "-q", "-f", "qcow2", "-b", "q3.qcow2", "-F", "qcow2",
     "qlong.qcow2", "12M")         # longer than its backing file
qio("qlong.qcow2", "qcow2", "write -P 0x78 10M 64k")
os.mkdir("sub")
qimg("create", "-q", "-f", "qcow2", "-b", "../q3.qcow2", "-F", "qcow2",
     "sub/rel.qcow2")

# ---- the same made by tessera-img ----------------------------------------
st, out, err = run([IMG, "create", "-q", "-f", "qcow2", "t3.qcow2", "8M"])
t.ok(st == 0, "tessera-img create of a qcow2 image", err)
st, out, err = run([IMG, "create", "-q", "-f", "qcow2", "-o",
                    "compat=0.10,cluster_size=4k", "t2.qcow2", "8M"])
t.ok(st == 0, "tessera-img create of a qcow2 v2 image", err)
st, out, err = run([IMG, "create", "-q", "-f", "qcow2", "-b", "t3.qcow2",
                    "-F", "qcow2", "to.qcow2"])
t.ok(st == 0, "tessera-img create of an overlay", err)
st, out, err = run([IMG, "create", "-q", "-f", "raw", "t.raw", "8M"])
t.ok(st == 0, "tessera-img create of a raw image", err)
if not all(os.path.exists(f) for f in ["t3.qcow2", "t2.qcow2", "to.qcow2",
                                        "t.raw"]):
    t.done()
fill("t3.qcow2", "qcow2")
fill("t2.qcow2", "qcow2")
qio("to.qcow2", "qcow2", "write -P 0x77 5M 64k")
qio("t.raw", "raw", "write -P 0x44 0 4k", "write -P 0x55 1M 64k")

IMAGES = [("q.raw", "raw"), ("q3.qcow2", "qcow2"), ("q2.qcow2", "qcow2"),
          ("qo.qcow2", "qcow2"), ("qc.qcow2", "qcow2"),
          ("qlong.qcow2", "qcow2"),
          ("sub/rel.qcow2", "qcow2"), ("t3.qcow2", "qcow2"),
          ("t2.qcow2", "qcow2"), ("to.qcow2", "qcow2"), ("t.raw", "raw")]

# 1. info
# (human output: one image of each kind; it is made from the same data)
HUMAN = ["q.raw", "q3.qcow2", "q2.qcow2", "qc.qcow2", "to.qcow2"]
for img, fmt in IMAGES:
    same_json(["info", "--output=json", img], "info --output=json %s" % img)
    if img in HUMAN:
        same_output(["info", img], "info %s (human, byte for byte)" % img)
for img in ["to.qcow2", "sub/rel.qcow2"]:
    same_json(["info", "--output=json", "--backing-chain", img],
              "info --backing-chain --output=json %s" % img)
    same_output(["info", "--backing-chain", img],
                "info --backing-chain %s (human)" % img)
qimg("create", "-q", "-f", "qcow2", "-u", "-b", "gone.qcow2", "-F", "qcow2",
     "qgone.qcow2", "1M")
same_json(["info", "--output=json", "qgone.qcow2"],
          "info of an image whose backing file is missing")
same_output(["info", "qgone.qcow2"],
            "info (human) of an image whose backing file is missing")
same_json(["info", "--output=json", "-f", "qcow2", "-U", "q3.qcow2"],
          "info -f qcow2 -U")
same_json(["info", "--output=json", "--image-opts",
           "driver=qcow2,file.driver=file,file.filename=q3.qcow2"],
          "info --image-opts")

# 2. map
for img, fmt in IMAGES:
    same_output(["map", "--output=json", img], "map --output=json %s" % img)
    if img in HUMAN and img != "qc.qcow2":
        same_output(["map", img], "map %s (human)" % img)
same_output(["map", "--output=json", "--start-offset=100k",
             "--max-length=1500k", "qo.qcow2"],
            "map --start-offset --max-length through a backing chain")
same_output(["map", "--output=json", "--max-length=0", "q3.qcow2"],
            "map of an empty range")
same_output(["map", "--output=json", "--start-offset=1G", "q3.qcow2"],
            "map from past the end")
same_output(["map", "--output=json", "--start-offset=1000",
             "--max-length=5000", "q3.qcow2"], "map of an unaligned range")
same_output(["map", "--output=json", "-f", "raw", "q3.qcow2"],
            "map -f raw of a qcow2 file")
q, ts = both("map", "qc.qcow2")
t.ok(q[0] != 0 and ts[0] != 0 and
     q[2].replace("qemu-img", "") == ts[2].replace("tessera-img", ""),
     "map (human) of compressed clusters is refused as qemu-img does",
     q[2] + ts[2])

# 3. snapshots
same_output(["snapshot", "-l", "q3.qcow2"], "snapshot -l (qemu-img's)")
same_output(["snapshot", "-l", "q2.qcow2"], "snapshot -l of a v2 image")
same_output(["snapshot", "-l", "t3.qcow2"], "snapshot -l with none")
qimg("convert", "-O", "raw", "t3.qcow2", "expect-before.raw")
st, out, err = run([IMG, "snapshot", "-c", "mine", "t3.qcow2"])
t.ok(st == 0 and out == "" and err == "", "snapshot -c", out + err)
st, out, err = run([QEMU_IMG, "snapshot", "-l", "t3.qcow2"])
t.ok(st == 0 and " mine " in out, "qemu-img snapshot -l sees it", out + err)
st, out, err = run([QEMU_IMG, "check", "t3.qcow2"])
t.ok(st == 0, "qemu-img check is clean after snapshot -c", out + err)
qimg("snapshot", "-c", "theirs", "t3.qcow2")
same_output(["snapshot", "-l", "t3.qcow2"],
            "snapshot -l lists both tools' snapshots alike")
same_json(["info", "--output=json", "t3.qcow2"],
          "info --output=json with snapshots of both tools")
qio("t3.qcow2", "qcow2", "write -P 0x99 0 192k", "write -P 0x98 7M 64k")
st, out, err = run([IMG, "snapshot", "-a", "mine", "t3.qcow2"])
t.ok(st == 0, "snapshot -a", err)
st, out, err = run([QEMU_IMG, "compare", "-f", "qcow2", "-F", "raw",
                    "t3.qcow2", "expect-before.raw"])
t.ok(st == 0, "snapshot -a brings back the contents (qemu-img compare)",
     out + err)
st, out, err = run([IMG, "snapshot", "-d", "mine", "t3.qcow2"])
t.ok(st == 0, "snapshot -d", err)
st, out, err = run([QEMU_IMG, "snapshot", "-l", "t3.qcow2"])
t.ok(st == 0 and " mine " not in out and " theirs " in out,
     "qemu-img no longer lists the deleted snapshot", out + err)
st, out, err = run([QEMU_IMG, "check", "t3.qcow2"])
t.ok(st == 0, "qemu-img check is clean after -a and -d", out + err)
same_output(["snapshot", "-l", "q.raw"], "snapshot -l of raw prints nothing")
same_output(["snapshot", "q3.qcow2"], "snapshot without an action")
one_line_error(["snapshot", "-a", "nosuch", "t3.qcow2"], "nosuch",
               "snapshot -a of a missing snapshot")
one_line_error(["snapshot", "-d", "nosuch", "t3.qcow2"], "nosuch",
               "snapshot -d of a missing snapshot")
one_line_error(["snapshot", "-f", "raw", "-c", "x", "q.raw"], "'x'",
               "snapshot -c on raw")
st, out, err = run([IMG, "snapshot", "-l", "-c", "x", "t3.qcow2"])
t.ok(st == 1 and "Cannot mix" in err, "snapshot -l -c refused", err)

# 4. broken input
with open("q3.qcow2", "rb") as f:
    head = f.read(65536 * 4)
with open("trunc.qcow2", "wb") as f:
    f.write(head[:50])
bad = bytearray(head)
bad[40:48] = (0x7fffffffffff0000).to_bytes(8, "big")   # L1 table offset
with open("corrupt.qcow2", "wb") as f:
    f.write(bad)
for cmd in (["info"], ["map"], ["snapshot", "-l"]):
    for f in ("missing.qcow2", "trunc.qcow2", "corrupt.qcow2"):
        one_line_error(cmd + [f], f, "%s of %s" % (" ".join(cmd), f))
for f in ("trunc.qcow2", "corrupt.qcow2"):
    one_line_error(["snapshot", "-c", "x", f], f,
                   "snapshot -c on %s" % f)
t.ok(open("trunc.qcow2", "rb").read() == head[:50] and
     open("corrupt.qcow2", "rb").read() == bytes(bad),
     "the broken images are left as they were")
one_line_error(["info", "--output=xml", "q3.qcow2"], "--output",
               "info --output=xml")
one_line_error(["info", "-f", "nosuch", "q3.qcow2"], "q3.qcow2",
               "info -f of an unknown format")
one_line_error(["map", "--start-offset=-1", "q3.qcow2"], "offset",
               "map with a negative start")
st, out, err = run([IMG, "info", "--bogus", "q3.qcow2"])
t.ok(st == 1 and "unrecognized option '--bogus'" in err,
     "info with an unknown option", err)
shutil.rmtree(tmp)
t.done()
