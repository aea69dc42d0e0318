#!/usr/bin/env python3
"""tessera-img measure beside Debian's qemu-img: for virtual sizes (--size)
and for source images (raw, qcow2 v3 and v2, a backing chain, compressed,
with snapshots), with -O raw and -O qcow2 and qcow2's options (cluster
sizes, refcount widths, compat, preallocation), the human and JSON
output is qemu-img measure's byte for byte.  Bad input is refused on one
line with qemu-img's words.
"""
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
tmp = tempfile.mkdtemp(prefix="test-img-inspect-measure-")
os.chdir(tmp)


def setup(*args):
    st, out, err = run(list(args))
    if st != 0:
        raise RuntimeError("%s: %s%s" % (args, out, err))


def same(args):
    q = run([QEMU_IMG, "measure"] + args)
    ts = run([IMG, "measure"] + args)
    t.ok(q[0] == 0 and ts[0] == 0 and q[1] == ts[1],
         "measure %s" % " ".join(args),
         "qemu-img (%d):\n%s%s\ntessera-img (%d):\n%s%s" %
         (q[0], q[1], q[2], ts[0], ts[1], ts[2]))


setup(QEMU_IMG, "create", "-q", "-f", "raw", "src.raw", "6M")
setup(QEMU_IO, "-f", "raw", "-c", "write -P 0x11 0 64k",
      "-c", "write -P 0x22 3M 1M", "src.raw")
setup(QEMU_IMG, "create", "-q", "-f", "qcow2", "src.qcow2", "6M")
setup(QEMU_IO, "-c", "write -P 0x11 0 64k", "-c", "write -z 128k 64k",
      "-c", "write -P 0 1M 64k", "-c", "write -P 0x22 3M 100k",
      "src.qcow2")
setup(QEMU_IMG, "snapshot", "-c", "s", "src.qcow2")
setup(QEMU_IMG, "create", "-q", "-f", "qcow2", "-o", "compat=0.10",
      "v2.qcow2", "5000000")
setup(QEMU_IO, "-c", "write -P 0x33 4k 8k", "v2.qcow2")
setup(QEMU_IMG, "create", "-q", "-f", "qcow2", "-b", "src.qcow2", "-F",
      "qcow2", "top.qcow2")
setup(QEMU_IO, "-c", "write -P 0x44 5M 64k", "top.qcow2")
setup(QEMU_IMG, "convert", "-c", "-O", "qcow2", "src.qcow2", "comp.qcow2")
setup(QEMU_IMG, "create", "-q", "-f", "raw", "odd.raw", "1000")

for size in ["0", "100000", "1T"]:
    same(["--size", size, "-O", "qcow2"])
same(["--size", "1G"])
same(["--size", "1000", "-O", "raw"])
same(["--output=json", "--size", "1G", "-O", "qcow2"])
same(["--size", "1T", "-O", "qcow2", "-o", "cluster_size=2M,refcount_bits=1"])
for cs in ["512", "2M"]:
    same(["--size", "3G", "-O", "qcow2", "-o", "cluster_size=" + cs])
for bits in ["1", "64"]:
    same(["--size", "100G", "-O", "qcow2", "-o", "refcount_bits=" + bits])
for prealloc in ["off", "metadata", "falloc", "full"]:
    same(["-O", "qcow2", "-o", "preallocation=" + prealloc, "src.qcow2"])
same(["--size", "100M", "-O", "qcow2", "-o", "preallocation=full"])
same(["--size", "100M", "-O", "qcow2", "-o", "compat=0.10"])
# qemu-img measure does not check what only create refuses.
same(["--size", "1G", "-O", "qcow2", "-o", "compat=0.10,lazy_refcounts=on"])
same(["--size", "1G", "-O", "qcow2", "-o", "backing_file=src.qcow2"])
same(["--size", "100M", "-O", "raw", "-o", "preallocation=full"])
for src in ["src.raw", "src.qcow2", "v2.qcow2", "top.qcow2", "comp.qcow2",
            "odd.raw"]:
    same(["-O", "qcow2", src])
same(["--output=json", "-O", "qcow2", "src.qcow2"])
same(["--output=json", "-O", "qcow2", "src.raw"])
same(["-O", "raw", "top.qcow2"])
same(["-O", "raw", "odd.raw"])
same(["-O", "qcow2", "-o", "compat=0.10", "src.qcow2"])
same(["-O", "qcow2", "-o", "cluster_size=4k", "top.qcow2"])
same(["-O", "qcow2", "-f", "qcow2", "-U", "src.qcow2"])
same(["-O", "qcow2", "--image-opts",
      "driver=qcow2,file.driver=file,file.filename=top.qcow2"])

BAD = [
    ([], "Either --size N or one filename must be specified."),
    (["--size", "1G", "src.raw"],
     "--size N cannot be used together with a filename."),
    (["-O", "nosuch", "--size", "1G"], "Unknown file format 'nosuch'"),
    (["-O", "qcow2", "-o", "foo=1", "--size", "1G"],
     "Invalid parameter 'foo'"),
    (["-O", "qcow2", "--size", "16E"], "Invalid image size specified"),
    (["-O", "qcow2", "--size", "-5"], "Invalid image size specified"),
    (["-O", "qcow2", "-o", "refcount_bits=64,cluster_size=512", "--size",
      "1T"], "The image size is too large (try using a larger cluster size)"),
    (["-O", "qcow2", "-o", "compat=0.10,refcount_bits=64", "src.raw"],
     "Different refcount widths than 16 bits require compatibility level"),
    (["-O", "qcow2", "-o", "cluster_size=3000", "--size", "1G"],
     "Cluster size must be a power of two between 512 and 2048k"),
    (["-O", "qcow2", "missing.qcow2"], "missing.qcow2"),
    (["-O", "qcow2", "-o", "compat=0.9", "--size", "1G"],
     "Invalid compatibility level: '0.9'"),
    (["-O", "qcow2", "-o", "cluster_size=0", "--size", "1G"],
     "Cluster size must be a power of two"),
    (["--output=xml", "--size", "1G"], "--output"),
]
for args, want in BAD:
    st, out, err = run([IMG, "measure"] + args)
    qst, qout, qerr = run([QEMU_IMG, "measure"] + args)
    lines = [l for l in err.splitlines() if l.strip()]
    t.ok(st != 0 and qst != 0 and len(lines) == 1 and want in lines[0] and
         out == "", "measure %s: refused on one line" % " ".join(args),
         "status %d/%d\n%s%s" % (st, qst, err, qerr))
shutil.rmtree(tmp)
t.done()
