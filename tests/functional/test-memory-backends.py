#!/usr/bin/env python3
"""Where guest RAM comes from: -machine memory-backend= with
memory-backend-ram/-file/-memfd objects, and -mem-path, beside Debian's
QEMU 7.2 (the real peer) for the refusals.

The guest's first RAM bytes are written by `-device loader,data=` at
reset, before any guest code runs (-S): with a memory-backend-file and
share=on they reach the file, with share=off (private) the file stays
as it was.  /proc/PID/maps shows what backs the RAM (-mem-path's file
in its directory, a memfd).
"""
import os
import shutil
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, refused_like_qemu  # noqa: E402
from qmp import running  # noqa: E402

QEMU = shutil.which("qemu-system-riscv64")
t = Tap()
WORK = tempfile.mkdtemp(prefix="test-memory-backends-")
BASE = [TESSERA, "-M", "virt", "-display", "none", "-nodefaults", "-S"]
MAGIC = 0x5e55e4a1
LOADER = ["-device", "loader,addr=0x80000000,data=0x%x,data-len=4" % MAGIC]


def maps_of(pid):
    with open("/proc/%d/maps" % pid) as f:
        return f.read()


def ram_mapping(maps, size):
    """The lines of maps whose mapping is `size` bytes long."""
    out = []
    for line in maps.splitlines():
        lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
        if hi - lo == size:
            out.append(line)
    return out


# ---- memory-backend-file: share=on reaches the file, share=off not -------

for share in ("on", "off"):
    path = os.path.join(WORK, "ram-share-%s" % share)
    argv = BASE + ["-object", "memory-backend-file,id=m0,size=64M,"
                   "mem-path=%s,share=%s" % (path, share),
                   "-machine", "memory-backend=m0"] + LOADER
    with running(argv, WORK) as (p, q):
        status = q.cmd("query-status")
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            first = struct.unpack("<I", f.read(4))[0]
    t.ok(size == 64 << 20, "memory-backend-file share=%s: the file was "
         "created with the backend's size" % share, "size %d" % size)
    if share == "on":
        t.ok(first == MAGIC, "share=on: the loader's store into guest RAM "
             "is in the file", "first word 0x%x" % first)
    else:
        t.ok(first == 0, "share=off: guest RAM is private, the file is not "
             "written", "first word 0x%x" % first)
    t.ok(status.get("return", {}).get("status") == "prelaunch", "the machine was built (-S)",
         status)

# An existing file smaller than the backend is grown; one that is
# read-only with readonly=on is mapped, and left untouched.
path = os.path.join(WORK, "ro-ram")
with open(path, "wb") as f:
    f.write(b"\xaa" * (16 << 20))
os.chmod(path, 0o444)
argv = BASE + ["-object", "memory-backend-file,id=m0,size=16M,mem-path=%s,"
               "readonly=on,share=on" % path,
               "-machine", "memory-backend=m0"] + LOADER
with running(argv, WORK) as (p, q):
    q.cmd("query-status")
with open(path, "rb") as f:
    data = f.read()
t.ok(data == b"\xaa" * (16 << 20), "readonly=on: the file is unchanged "
     "after the guest's RAM was written")

# ---- -mem-path DIR: an unlinked file of its own in that directory -------

d = os.path.join(WORK, "mem-dir")
os.mkdir(d)
with running(BASE + ["-m", "96M", "-mem-path", d], WORK) as (p, q):
    q.cmd("query-status")
    lines = ram_mapping(maps_of(p.pid), 96 << 20)
t.ok(any(d + "/tessera_back_mem." in l and "(deleted)" in l for l in lines),
     "-mem-path DIR: guest RAM is a deleted file in DIR", lines)
t.ok(os.listdir(d) == [], "-mem-path DIR: nothing is left in DIR",
     os.listdir(d))

# ---- memory-backend-memfd -----------------------------------------------

argv = BASE + ["-object", "memory-backend-memfd,id=m0,size=80M",
               "-machine", "memory-backend=m0"]
with running(argv, WORK) as (p, q):
    q.cmd("query-status")
    lines = ram_mapping(maps_of(p.pid), 80 << 20)
t.ok(any("/memfd:memory-backend-memfd" in l for l in lines),
     "memory-backend-memfd: guest RAM is a memfd (and -m follows the "
     "backend's size)", lines)

# ---- prealloc=on: populated before the guest starts -------------------

argv = BASE + ["-object", "memory-backend-ram,id=m0,size=64M,prealloc=on",
               "-machine", "memory-backend=m0"]
with running(argv, WORK) as (p, q):
    status = q.cmd("query-status")
    with open("/proc/%d/smaps" % p.pid) as f:
        smaps = f.read()
# The RAM's mapping (another 64 MiB mapping, untouched, may exist): its
# Rss is the whole 64 MiB at once.
blocks = smaps.split("\n")
rss = 0
for i, line in enumerate(blocks):
    parts = line.split()
    if parts and "-" in parts[0] and len(parts) >= 5:
        lo, hi = (int(x, 16) for x in parts[0].split("-"))
        if hi - lo == 64 << 20:
            for follow in blocks[i + 1:i + 8]:
                if follow.startswith("Rss:"):
                    rss = max(rss, int(follow.split()[1]))
t.ok(status.get("return", {}).get("status") == "prelaunch" and
     rss == 64 << 10, "memory-backend-ram prealloc=on: all 64 MiB are "
     "resident before the guest runs", "Rss %s KiB" % rss)

# ---- refusals, in QEMU's words ------------------------------------------

refused_like_qemu(t, [
    (["-m", "256M", "-object", "memory-backend-ram,id=m0,size=128M",
      "-machine", "memory-backend=m0"],
     "Machine memory size does not match the size of the memory backend"),
    (["-machine", "memory-backend=nosuch"],
     "Memory backend 'nosuch' not found"),
    (["-object", "memory-backend-ram,id=m0,size=128M",
      "-machine", "memory-backend=m0", "-mem-path", WORK],
     "'-mem-path' can't be used together with'-machine memory-backend'"),
    (["-object", "memory-backend-file,id=m0,size=128M"],
     "Parameter 'mem-path' is missing"),
    (["-object", "memory-backend-file,id=m0,size=128M,mem-path=/nonexistent-"
      "dir/x", "-machine", "memory-backend=m0"],
     "can't open backing store /nonexistent-dir/x for guest RAM: No such "
     "file or directory"),
    (["-object", "memory-backend-ram,id=m0,size=128M,share=maybe"],
     "Parameter 'share' expects 'on' or 'off'"),
    (["-object", "memory-backend-ram,id=m0,size=128M", "-machine",
      "memory-backend=m0", "-numa", "node,memdev=m0"],
     "'-machine memory-backend' and '-numa memdev' properties are mutually "
     "exclusive"),
], QEMU)
# QEMU maps each node's backend on its own; Tessera's board maps the
# nodes' RAM as one block, so a node takes a plain backend only.
refused_like_qemu(t, [
    (["-m", "128M", "-object", "memory-backend-file,id=m0,size=128M,"
      "mem-path=%s/numa-node" % WORK, "-numa", "node,memdev=m0"],
     "memdev=m0: only plain memory-backend-ram backends"),
])
t.done()
shutil.rmtree(WORK, ignore_errors=True)
