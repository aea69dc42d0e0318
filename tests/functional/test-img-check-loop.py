#!/usr/bin/env python3
"""A backing chain that loops is refused, not followed.

a.qcow2 -> b.qcow2 -> a.qcow2 (made with qemu-img create -u and rebase
-u), and an image that names itself as its backing file: tessera-img
check, commit, rebase, resize and amend, and the emulator's -drive and
-blockdev, each fail at once with one line naming the loop, a non-zero
status and no crash; no file changes.  (qemu-img 7.2 itself hangs on such
a chain, so there is no peer output to compare.)
"""
import hashlib
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, BUILD, TESSERA, run, skip_all  # noqa: E402

IMG = os.path.join(BUILD, "tessera-img")
QEMU_IMG = shutil.which("qemu-img")
if not QEMU_IMG:
    skip_all("qemu-img not installed (Debian package qemu-utils)")
t = Tap()
tmp = tempfile.mkdtemp(prefix="test-img-loop-")
P = lambda name: os.path.join(tmp, name)  # noqa: E731


def must(*args):
    st, out, err = run(list(args), timeout=60)
    if st != 0:
        raise RuntimeError("%s: %s%s" % (" ".join(args), out, err))


must(QEMU_IMG, "create", "-f", "qcow2", P("a.qcow2"), "1M")
must(QEMU_IMG, "create", "-f", "qcow2", "-u", "-b", "a.qcow2", "-F", "qcow2",
     P("b.qcow2"), "1M")
must(QEMU_IMG, "rebase", "-u", "-b", "b.qcow2", "-F", "qcow2", P("a.qcow2"))
must(QEMU_IMG, "create", "-f", "qcow2", P("self.qcow2"), "1M")
must(QEMU_IMG, "rebase", "-u", "-b", "self.qcow2", "-F", "qcow2", P("self.qcow2"))


def hashes():
    return {f: hashlib.sha256(open(P(f), "rb").read()).hexdigest()
            for f in sorted(os.listdir(tmp))}


def refused(desc, args):
    before = hashes()
    try:
        st, out, err = run(args, timeout=30)
    except Exception as e:  # a hang (the old recursion) is a failure
        t.ok(False, desc + ": refused at once", repr(e))
        return
    lines = [line for line in err.splitlines() if line.strip()]
    t.ok(st not in (0, 2, 3) and st < 128 and len(lines) == 1 and
         "chain loops" in lines[0],
         desc + ": one line naming the loop, status %d" % st,
         "status %d\n%s%s" % (st, out, err))
    t.ok(hashes() == before, desc + ": no file changed")


for image in ("a.qcow2", "self.qcow2"):
    path = P(image)
    refused("check " + image, [IMG, "check", path])
    refused("check -r all " + image, [IMG, "check", "-r", "all", path])
    refused("commit " + image, [IMG, "commit", path])
    refused("rebase " + image, [IMG, "rebase", "-b", "", path])
    refused("resize " + image, [IMG, "resize", path, "2M"])
    refused("amend " + image, [IMG, "amend", "-o", "lazy_refcounts=on", path])
    refused("-drive file=" + image,
            [TESSERA, "-M", "virt", "-nographic", "-S",
             "-drive", "file=%s,if=none,id=d0" % path])
    refused("-blockdev " + image,
            [TESSERA, "-M", "virt", "-nographic", "-S", "-blockdev",
             "driver=qcow2,node-name=d0,file.driver=file,file.filename=%s" % path])

# Unsafe rebase does not follow the chain: it can undo the loop.
st, out, err = run([IMG, "rebase", "-u", "-b", "", P("a.qcow2")], timeout=30)
t.ok(st == 0, "rebase -u -b '' breaks the loop", out + err)
st, out, err = run([IMG, "check", P("b.qcow2")], timeout=30)
t.ok(st == 0 and "No errors were found" in out,
     "the chain is usable again: check of b.qcow2 is clean", out + err)

t.done()
