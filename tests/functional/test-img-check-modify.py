#!/usr/bin/env python3
"""tessera-img resize, commit, rebase and amend beside Debian's qemu-img
(one of them per run, named by the argument, to keep each run short).

Each case runs both tools with the same arguments on identical copies of
the same images (made with qemu-img, in a directory per tool):

1. Same stdout (progress bars aside), same stderr (the tool's name
   aside), same exit status.
2. After a success: every image tessera-img changed passes `qemu-img
   check` and compares identical (`qemu-img compare`) to the one
   qemu-img changed, and has the same backing file and format; every
   image qemu-img changed passes `tessera-img check`.
3. After a refusal (shrinking without --shrink, absurd sizes, options
   amend cannot change, a missing backing file, no backing file): every
   file is byte for byte what it was.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, BUILD, run, skip_all  # noqa: E402

IMG = os.path.join(BUILD, "tessera-img")
QEMU_IMG, QEMU_IO = shutil.which("qemu-img"), shutil.which("qemu-io")
if not QEMU_IMG or not QEMU_IO:
    skip_all("qemu-img/qemu-io not installed (Debian package qemu-utils)")
GROUP = sys.argv[1] if len(sys.argv) > 1 else "resize"
t = Tap()
tmp = tempfile.mkdtemp(prefix="test-img-modify-")
P = lambda name: os.path.join(tmp, name)  # noqa: E731


def run_in(cwd, args):
    p = subprocess.run(args, cwd=cwd, capture_output=True, text=True,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


def must_in(cwd, *args):
    st, out, err = run_in(cwd, list(args))
    if st != 0:
        raise RuntimeError("%s: %s%s" % (" ".join(args), out, err))
    return out


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def backing_of(cwd, name):
    out = run_in(cwd, [QEMU_IMG, "info", "-U", name])[1]
    return [line for line in out.splitlines() if line.startswith("backing file")]


def clean_out(text):
    """Without the progress bar, whose steps differ (text mode turned its
    carriage returns into newlines)."""
    text = re.sub(r" *\(\d+\.\d+/100%\)", "", text)
    return [line for line in text.splitlines() if line.strip()]


def case(desc, cmd, args, setup):
    """Run `cmd args` with both tools on what setup(dir) makes there."""
    qdir, tdir = P("q"), P("t")
    for d in (qdir, tdir):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        setup(d)
    files = sorted(os.listdir(tdir))
    before = {f: sha(os.path.join(tdir, f)) for f in files}
    qst, qout, qerr = run_in(qdir, [QEMU_IMG, cmd] + args)
    tst, tout, terr = run_in(tdir, [IMG, cmd] + args)
    terr_q = terr.replace("tessera-img", "qemu-img")
    t.ok(qst == tst and clean_out(qout) == clean_out(tout) and qerr == terr_q,
         "%s %s: as qemu-img (status %d)" % (cmd, desc, qst),
         "qemu-img %d:\n%s%s\ntessera-img %d:\n%s%s" % (qst, qout, qerr, tst,
                                                      tout, terr))
    if tst != 0:
        changed = [f for f in files if sha(os.path.join(tdir, f)) != before[f]]
        t.ok(not changed, "%s %s: refused, nothing written" % (cmd, desc),
             "changed: %s" % changed)
        return
    bad = []
    for f in files:
        if not f.endswith(".qcow2"):
            continue
        st, out, err = run_in(tdir, [QEMU_IMG, "check", f])
        if st != 0:
            bad.append("qemu-img check of tessera-img's %s: %d %s%s" % (f, st, out, err))
        st, out, err = run_in(qdir, [IMG, "check", f])
        if st != 0:
            bad.append("tessera-img check of qemu-img's %s: %d %s%s" % (f, st, out, err))
        st, out, err = run_in(tmp, [QEMU_IMG, "compare", os.path.join("q", f),
                                    os.path.join("t", f)])
        if st != 0:
            bad.append("compare %s: %s%s" % (f, out, err))
        if backing_of(qdir, f) != backing_of(tdir, f):
            bad.append("backing of %s: %s vs %s" % (f, backing_of(qdir, f),
                                                    backing_of(tdir, f)))
    t.ok(not bad, "%s %s: images check clean both ways and match qemu-img's"
         % (cmd, desc), "\n".join(bad))


# ---- source images -------------------------------------------------------
src = P("src")
os.makedirs(src)
if GROUP == "resize":
    must_in(src, QEMU_IMG, "create", "-f", "qcow2", "disk.qcow2", "64M")
    must_in(src, QEMU_IO, "-c", "write -P 1 0 1M", "-c", "write -P 2 60M 1M",
            "-c", "write -z 2M 128k", "disk.qcow2")
# A chain: base <- mid <- top (top larger than the others).
if GROUP == "commit":
    must_in(src, QEMU_IMG, "create", "-f", "qcow2", "base.qcow2", "8M")
    must_in(src, QEMU_IO, "-c", "write -P 1 0 2M", "base.qcow2")
    must_in(src, QEMU_IMG, "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2",
            "mid.qcow2")
    must_in(src, QEMU_IO, "-c", "write -P 2 1M 1M", "mid.qcow2")
    must_in(src, QEMU_IMG, "create", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2",
            "top.qcow2", "16M")
    must_in(src, QEMU_IO, "-c", "write -P 3 3M 1M", "-c", "write -z 0 64k",
            "-c", "write -P 4 12M 1M", "top.qcow2")
# Rebase: an overlay over old, and another image to move it onto.
if GROUP == "rebase":
    must_in(src, QEMU_IMG, "create", "-f", "qcow2", "old.qcow2", "8M")
    must_in(src, QEMU_IO, "-c", "write -P 1 0 4M", "old.qcow2")
    must_in(src, QEMU_IMG, "create", "-f", "qcow2", "new.qcow2", "8M")
    must_in(src, QEMU_IO, "-c", "write -P 1 0 1M", "-c", "write -P 2 1M 1M", "new.qcow2")
    must_in(src, QEMU_IMG, "create", "-f", "qcow2", "-b", "old.qcow2", "-F", "qcow2",
            "ov.qcow2")
    must_in(src, QEMU_IO, "-c", "write -P 3 3M 64k", "ov.qcow2")
# Amend: zero clusters (v2 has none), and a v2 image.
if GROUP == "amend":
    must_in(src, QEMU_IMG, "create", "-f", "qcow2", "zero.qcow2", "8M")
    must_in(src, QEMU_IO, "-c", "write -z 0 1M", "-c", "write -P 1 1M 64k",
            "-c", "write -P 2 2M 128k", "-c", "write -z 2M 64k", "zero.qcow2")
    must_in(src, QEMU_IMG, "create", "-f", "qcow2", "-o", "compat=0.10", "v2.qcow2", "8M")
    must_in(src, QEMU_IO, "-c", "write -P 5 0 64k", "v2.qcow2")


def files(*names):
    def setup(d):
        for n in names:
            shutil.copy(os.path.join(src, n), os.path.join(d, n))
    return setup


disk = files("disk.qcow2")
chain = files("base.qcow2", "mid.qcow2", "top.qcow2")
rebase = files("old.qcow2", "new.qcow2", "ov.qcow2")

# ---- resize --------------------------------------------------------------
for args in () if GROUP != "resize" else (["disk.qcow2", "+1G"], ["disk.qcow2", "10G"],
             ["--shrink", "disk.qcow2", "-8M"], ["-q", "--shrink", "disk.qcow2", "32M"],
             # refused:
             ["disk.qcow2", "-1M"], ["disk.qcow2", "32M"], ["disk.qcow2", "xyz"],
             ["disk.qcow2", "16E"], ["disk.qcow2", "8E"],
             ["--shrink", "disk.qcow2", "-100G"], ["--shrink", "disk.qcow2", "100"],
             ["--preallocation=foo", "disk.qcow2", "1G"]):
    case(" ".join(args), "resize", args, disk)

# ---- commit ---------------------------------------------------------------
if GROUP == "commit":
    for args in ([], ["-d"], ["-b", "base.qcow2"], ["-p", "-b", "mid.qcow2"]):
        case(" ".join(args) or "(top into mid)", "commit", args + ["top.qcow2"],
             chain)
    case("of an image without backing file", "commit", ["base.qcow2"], chain)
    case("-b not in the chain", "commit", ["-b", "nothere.qcow2", "top.qcow2"],
         chain)

# ---- rebase ---------------------------------------------------------------
for args in () if GROUP != "rebase" else (["-b", "new.qcow2", "-F", "qcow2"], ["-b", ""],
             ["-u", "-b", "new.qcow2", "-F", "qcow2"],
             ["-p", "-b", "new.qcow2", "-F", "raw"]):
    case(" ".join(args), "rebase", args + ["ov.qcow2"], rebase)
for args in () if GROUP != "rebase" else (["-b", "nothere.qcow2", "-F", "qcow2"],
                                          ["-F", "qcow2"]):
    case(" ".join(args), "rebase", args + ["ov.qcow2"], rebase)

# ---- amend ------------------------------------------------------------------
for name, opts in () if GROUP != "amend" else (("zero.qcow2", "compat=0.10"), ("zero.qcow2", "lazy_refcounts=on"),
                   ("v2.qcow2", "compat=1.1"),
                   ("v2.qcow2", "compat=1.1,lazy_refcounts=on"),
                   ("zero.qcow2", "size=16M")):
    case("-o %s %s" % (opts, name), "amend", ["-o", opts, name], files(name))
for name, opts in () if GROUP != "amend" else (("zero.qcow2", "cluster_size=4096"),
                   ("zero.qcow2", "compat=0.10,lazy_refcounts=on"),
                   ("zero.qcow2", "compat=foo"), ("zero.qcow2", "nosuch=1"),
                   ("zero.qcow2", "backing_file=x.qcow2"),
                   ("v2.qcow2", "lazy_refcounts=on")):
    case("-o %s %s" % (opts, name), "amend", ["-o", opts, name], files(name))
if GROUP == "amend":
    case("without -o", "amend", ["zero.qcow2"], files("zero.qcow2"))

t.done()
