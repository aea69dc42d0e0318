#!/usr/bin/env python3
"""tessera-img create beside Debian's qemu-img.

1. For each creation option (raw; qcow2 with each -o option, the
   preallocation modes, -b/-F with the size from the backing file, -u
   with a missing backing file, size suffixes): the "Formatting" line is
   qemu-img's for the same command; `qemu-img check` finds the image
   clean; `qemu-img info` shows what qemu-img's own image of the same
   command shows (size, format, cluster size, format-specific data,
   backing file); data written with qemu-io reads back (qemu-img compare
   against a raw file with the expected contents).
2. `-o help` lists the format's options with qemu-img's types.
3. Bad input (sizes of 2^64 and negative, unknown options, impossible
   values, unknown formats, missing backing files, no size): one line of
   error, non-zero exit, and no file left behind; an image another
   process uses is refused and left untouched.
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
from tap import Tap, BUILD, run, skip_all  # noqa: E402

IMG = os.path.join(BUILD, "tessera-img")
QEMU_IMG, QEMU_IO = shutil.which("qemu-img"), shutil.which("qemu-io")
if not QEMU_IMG or not QEMU_IO:
    skip_all("qemu-img/qemu-io not installed (Debian package qemu-utils)")
t = Tap()
tmp = tempfile.mkdtemp(prefix="test-img-inspect-create-")
os.chdir(tmp)


def qinfo(img):
    st, out, err = run([QEMU_IMG, "info", "--output=json", img])
    return json.loads(out) if st == 0 else {"error": err}


def comparable(info):
    """What two images made by the same command must share."""
    keep = ["virtual-size", "format", "cluster-size", "format-specific",
            "backing-filename", "backing-filename-format", "dirty-flag",
            "encrypted"]
    return dict((k, info[k]) for k in keep if k in info)


# The base images backing files point at.
run([QEMU_IMG, "create", "-q", "-f", "qcow2", "base.qcow2", "3M"])
run([QEMU_IO, "-c", "write -P 0x5a 0 1M", "base.qcow2"])
run([QEMU_IMG, "create", "-q", "-f", "raw", "base.raw", "2M"])

# (name, args before the file name, args after it, format)
CASES = [
    ("raw", ["-f", "raw"], ["4M"], "raw"),
    ("raw-falloc", ["-f", "raw", "-o", "preallocation=falloc"], ["1M"],
     "raw"),
    ("raw-full", ["-f", "raw", "-o", "preallocation=full"], ["1M"], "raw"),
    ("raw-odd-size", ["-f", "raw"], ["1000"], "raw"),
    ("qcow2", ["-f", "qcow2"], ["4M"], "qcow2"),
    ("qcow2-v2", ["-f", "qcow2", "-o", "compat=0.10"], ["4M"], "qcow2"),
    ("qcow2-4k", ["-f", "qcow2", "-o", "cluster_size=4k"], ["4M"], "qcow2"),
    ("qcow2-2m", [], ["-f", "qcow2", "-o", "cluster_size=2M", "8M"],
     "qcow2"),
    ("qcow2-lazy", ["-f", "qcow2", "-o", "lazy_refcounts=on"], ["4M"],
     "qcow2"),
    ("qcow2-refbits64", ["-f", "qcow2", "-o", "refcount_bits=64"], ["4M"],
     "qcow2"),
    ("qcow2-l2-off", ["-f", "qcow2", "-o", "extended_l2=off"], ["4M"],
     "qcow2"),
    ("qcow2-zstd", ["-f", "qcow2", "-o", "compression_type=zstd"], ["4M"],
     "qcow2"),
    ("qcow2-meta", ["-f", "qcow2", "-o", "preallocation=metadata"], ["4M"],
     "qcow2"),
    ("qcow2-falloc", ["-f", "qcow2", "-o", "preallocation=falloc"], ["4M"],
     "qcow2"),
    ("qcow2-full", ["-f", "qcow2", "-o", "preallocation=full"], ["4M"],
     "qcow2"),
    ("qcow2-size-opt", ["-f", "qcow2", "-o", "size=1.5M"], [], "qcow2"),
    ("qcow2-odd-size", ["-f", "qcow2"], ["1000"], "qcow2"),
    ("qcow2-many", ["-f", "qcow2", "-o",
                    "compat=0.10,cluster_size=16k,refcount_bits=16,"
                    "lazy_refcounts=off,compression_type=zlib,"
                    "preallocation=metadata"], ["64M"], "qcow2"),
    ("overlay", ["-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2"], [],
     "qcow2"),
    ("overlay-raw-base", ["-f", "qcow2", "-b", "base.raw", "-F", "raw"], [],
     "qcow2"),
    ("overlay-opts", ["-f", "qcow2", "-o",
                      "backing_file=base.qcow2,backing_fmt=qcow2"], ["5M"],
     "qcow2"),
    ("overlay-unsafe", ["-f", "qcow2", "-u", "-b", "gone.qcow2", "-F",
                        "qcow2"], ["1M"], "qcow2"),
]

for name, pre, post, fmt in CASES:
    mine, theirs = "t-%s.img" % name, "q-%s.img" % name
    st, out, err = run([IMG, "create"] + pre + [mine] + post)
    qst, qout, qerr = run([QEMU_IMG, "create"] + pre + [theirs] + post)
    t.ok(st == 0 and err == "", "create %s" % name, out + err)
    t.ok(out.replace(mine, "X") == qout.replace(theirs, "X"),
         "create %s: qemu-img's Formatting line" % name,
         "qemu-img: %stessera-img: %s" % (qout, out))
    if st != 0:
        continue
    if fmt == "qcow2" and name != "overlay-unsafe":
        cst, cout, cerr = run([QEMU_IMG, "check", "-U", mine])
        t.ok(cst == 0, "create %s: qemu-img check is clean" % name,
             cout + cerr)
    want, got = comparable(qinfo(theirs)), comparable(qinfo(mine))
    t.ok(want == got, "create %s: qemu-img info as for qemu-img's image"
         % name, "qemu-img's: %s\ntessera-img's: %s" % (want, got))
    if name == "overlay-unsafe":
        continue
    size = qinfo(mine).get("virtual-size", 0)
    # What the image must read as: its backing file's data, then ours.
    expect = bytearray(size)
    if name.startswith("overlay") and "raw" not in name:
        expect[0:1 << 20] = b"\x5a" * (1 << 20)
    n = min(4096, size - 512)
    wst, wout, werr = run([QEMU_IO, "-f", fmt, "-c",
                           "write -P 0xc3 512 %d" % n, mine])
    expect[512:512 + n] = b"\xc3" * n
    with open("expect.raw", "wb") as f:
        f.write(expect)
    cst, cout, cerr = run([QEMU_IMG, "compare", "-f", fmt, "-F", "raw",
                           mine, "expect.raw"])
    t.ok(wst == 0 and cst == 0,
         "create %s: written data reads back (qemu-img compare)" % name,
         wout + werr + cout + cerr)

# The preallocated images take their space at once, as qemu-img's do.
for name in ("raw-full", "raw-falloc", "qcow2-full", "qcow2-falloc"):
    mine = os.stat("t-%s.img" % name)
    theirs = os.stat("q-%s.img" % name)
    t.ok(mine.st_size == theirs.st_size and
         mine.st_blocks * 512 >= mine.st_size - (64 << 10),
         "%s: file size and allocation as qemu-img's" % name,
         "size %d/%d, blocks %d" % (mine.st_size, theirs.st_size,
                                    mine.st_blocks))

# 2. -o help
for fmt in ("qcow2", "raw"):
    st, out, err = run([IMG, "create", "-f", fmt, "-o", "help"])
    qst, qout, qerr = run([QEMU_IMG, "create", "-f", fmt, "-o", "help"])
    mine = dict(re.findall(r"^  (\S+)=(<[^>]+>)", out, re.M))
    theirs = dict(re.findall(r"^  (\S+)=(<[^>]+>)", qout, re.M))
    t.ok(st == 0 and out.startswith("Supported %s options:" % fmt) and
         mine and all(theirs.get(k) == v for k, v in mine.items()),
         "-o help lists %s's options with qemu-img's names and types" % fmt,
         out + err + qout)
st, out, err = run([IMG, "create", "-f", "qcow2", "-o", "?"])
t.ok(st == 0 and "cluster_size=<size>" in out, "-o ? lists them too",
     out + err)

# 3. bad input: one line, non-zero exit, nothing written
BAD = [
    (["-f", "qcow2", "B", "18446744073709551616"], "Invalid image size"),
    (["-f", "qcow2", "B", "16E"], "Must be between 0 and"),
    (["-f", "qcow2", "B", "--", "-1"], "Invalid image size"),
    (["-f", "qcow2", "B", "-1"], "unrecognized option '-1'"),
    (["-f", "qcow2", "B", "1Q"], "Invalid image size"),
    (["-f", "qcow2", "-o", "foo=bar", "B", "1M"], "B: Invalid parameter 'foo'"),
    (["-f", "qcow2", "-o", "cluster_size=3000", "B", "1M"],
     "B: Cluster size must be a power of two"),
    (["-f", "qcow2", "-o", "refcount_bits=3", "B", "1M"],
     "B: Refcount width must be a power of two"),
    (["-f", "qcow2", "-o", "compat=0.10,lazy_refcounts=on", "B", "1M"],
     "B: Lazy refcounts only supported"),
    (["-f", "qcow2", "-o", "compat=0.9", "B", "1M"], "B: "),
    (["-f", "qcow2", "-o", "preallocation=bogus", "B", "1M"],
     "B: Parameter 'preallocation' does not accept value 'bogus'"),
    (["-f", "raw", "-o", "preallocation=metadata", "B", "1M"],
     "B: Unsupported preallocation mode: metadata"),
    (["-f", "qcow2", "-o", "backing_fmt=raw", "B", "1M"],
     "B: Backing format cannot be used without backing file"),
    (["-f", "nosuch", "B", "1M"], "B: Unknown file format 'nosuch'"),
    (["-f", "qcow2", "B"], "B: Image creation needs a size parameter"),
    (["-f", "qcow2", "-b", "missing.qcow2", "-F", "qcow2", "B"],
     "Could not open 'missing.qcow2'"),
    (["-f", "qcow2", "-b", "base.qcow2", "B"],
     "B: Backing file specified without backing format"),
    (["-f", "qcow2", "-u", "-b", "missing.qcow2", "-F", "qcow2", "B"],
     "B: Image creation needs a size parameter"),
    (["-f", "raw", "-b", "base.raw", "-F", "raw", "B"],
     "B: Backing file not supported for file format 'raw'"),
    (["-f", "qcow2", "-u", "-b", "B", "-F", "qcow2", "B", "1M"],
     "B: Error: Trying to create an image with the same filename as the "
     "backing file"),
    (["-f", "qcow2", "-o", "extended_l2=on", "B", "1M"],
     "B: extended_l2=on is not supported"),
    (["-f", "qcow2", "B", "1M", "2M"], "Unexpected argument: 2M"),
    (["-f", "qcow2", "--bogus", "B", "1M"], "unrecognized option '--bogus'"),
]
for args, want in BAD:
    st, out, err = run([IMG, "create"] + args)
    lines = [l for l in err.splitlines() if l.strip()]
    usage = "Try 'tessera-img --help'" in err
    t.ok(st != 0 and len(lines) == (2 if usage else 1) and
         want in lines[0] and lines[0].startswith("tessera-img: ") and
         not os.path.exists("B"),
         "create %s: refused on one line, nothing written" % " ".join(args),
         "status %d, file %s\n%s" % (st, os.path.exists("B"), err))
    if os.path.exists("B"):
        os.unlink("B")
# An existing file: a creation that fails once the file is emptied
# removes it, as qemu-img does; one that cannot take the file (another
# process holds its lock) leaves it as it was.
for tool in (QEMU_IMG, IMG):
    with open("old.img", "wb") as f:
        f.write(b"\xee" * 100000)
    st, out, err = run([tool, "create", "-f", "qcow2", "-o",
                        "cluster_size=3000", "old.img", "1M"])
    t.ok(st != 0 and not os.path.exists("old.img"),
         "%s: a failed create over an existing file removes it"
         % os.path.basename(tool), err)
run([QEMU_IMG, "create", "-q", "-f", "qcow2", "busy.qcow2", "1M"])
before = open("busy.qcow2", "rb").read()
holder = subprocess.Popen([QEMU_IO, "-c", "sleep 5000", "busy.qcow2"],
                          stdout=subprocess.DEVNULL)
try:
    # Until qemu-io has the image open (it takes the locks as it opens;
    # asking with qemu-img would take locks too and could make it fail).
    busy = os.path.realpath("busy.qcow2")
    for _ in range(200):
        fds = "/proc/%d/fd" % holder.pid
        try:
            names = [os.readlink(os.path.join(fds, f))
                     for f in os.listdir(fds)]
        except OSError:
            names = []
        if busy in names:
            break
        time.sleep(0.05)
    time.sleep(0.2)
    st, out, err = run([IMG, "create", "-f", "qcow2", "busy.qcow2", "2M"])
    t.ok(st != 0 and "lock" in err and
         open("busy.qcow2", "rb").read() == before,
         "create over an image in use: refused, image untouched", err)
finally:
    holder.kill()
    holder.wait()
st, out, err = run([IMG, "create", "-f", "raw", "nodir/B", "1M"])
t.ok(st != 0 and "nodir/B" in err and len(err.splitlines()) == 1,
     "create in a missing directory", err)
shutil.rmtree(tmp)
t.done()
