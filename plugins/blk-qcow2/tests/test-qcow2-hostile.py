#!/usr/bin/env python3
"""Hostile qcow2 images: bad header fields, tables past the end of the file,
overlapping metadata, a refcount table loop, bogus snapshot tables, a
compressed descriptor past the end.  Each is refused with a message or
opened with the corrupt flag (then read-only: the one write is the
corrupt bit), never written through, never a crash (the ASan build runs
this too).  qemu-img is the peer that must refuse the same headers."""
import os
import shutil
import struct

import qcow2lib as q
from qcow2lib import tap

q.need_peers()
t = tap.Tap()
d = q.tempdir()
P = lambda name: os.path.join(d, name)  # noqa: E731


def fresh(name, *create_opts, size="4M", fill=True):
    img = P(name)
    args = ["create", "-f", "qcow2"]
    if create_opts:
        args += ["-o", ",".join(create_opts)]
    q.qimg(*(args + [img, size]), check=True)
    if fill:
        q.qio(img, "qcow2", "write -P 0x42 0 256k", "write -P 0x43 2M 64k")
    return img


def hdr(img):
    b = open(img, "rb").read(112)
    f = {}
    (f["magic"], f["version"], f["backing_offset"], f["backing_size"], f["cluster_bits"],
     f["size"], f["crypt"], f["l1_size"], f["l1_offset"], f["reftable_offset"],
     f["reftable_clusters"], f["nb_snapshots"], f["snapshots_offset"]) = struct.unpack(
        ">IIQIIQIIQQIIQ", b[:72])
    return f


def poke(img, offset, fmt, value):
    with open(img, "r+b") as fh:
        fh.seek(offset)
        fh.write(struct.pack(fmt, value))


def peek(img, offset, fmt):
    with open(img, "rb") as fh:
        fh.seek(offset)
        return struct.unpack(fmt, fh.read(struct.calcsize(fmt)))[0]


def refused(img, desc, expect, qemu_too=True):
    before = open(img, "rb").read()
    p = q.tool("open", img)
    ok = p.returncode == 1 and expect in p.stderr and "AddressSanitizer" not in p.stderr
    t.ok(ok, "refused: %s" % desc, p.stderr)
    t.ok(open(img, "rb").read() == before, "%s: image untouched" % desc)
    if qemu_too:
        qp = q.qimg("info", "-f", "qcow2", img)
        t.ok(qp.returncode != 0, "%s: qemu-img refuses it too" % desc, qp.stdout + qp.stderr)


def opened_corrupt(img, desc, expect):
    """Open read-write: the engine finds the damage, marks the image
    corrupt (header incompat bit 1) and writes nothing else."""
    before = bytearray(open(img, "rb").read())
    p = q.tool("open", img)
    after = bytearray(open(img, "rb").read())
    t.ok(p.returncode == 3 and expect in p.stderr and "AddressSanitizer" not in p.stderr,
         "opened corrupt: %s" % desc, p.stderr)
    incompat = struct.unpack(">Q", after[72:80])[0]
    same_elsewhere = before[:72] == after[:72] and before[80:] == after[80:]
    t.ok(incompat & 2 and same_elsewhere, "%s: corrupt bit set, nothing else written" % desc)
    p = q.tool("open", img)
    t.ok(p.returncode == 1 and "Image is corrupt; cannot be opened read/write" in p.stderr,
         "%s: read-write open refused afterwards" % desc, p.stderr)
    p = q.tool("info", img)
    t.ok(p.returncode == 0 and "corrupt 1" in p.stdout, "%s: read-only open still works" % desc,
         p.stdout + p.stderr)


# ---- header fields -----------------------------------------------------------
img = fresh("cb.qcow2")
poke(img, 20, ">I", 8)
refused(img, "cluster_bits 8", "Unsupported cluster size: 2^8")
img = fresh("cb2.qcow2")
poke(img, 20, ">I", 22)
refused(img, "cluster_bits 22", "Unsupported cluster size: 2^22")
img = fresh("l1.qcow2")
poke(img, 36, ">I", 0x7fffffff)
refused(img, "huge L1 size", "Active L1 table too large")
img = fresh("l1off.qcow2")
poke(img, 40, ">Q", 12345)
refused(img, "unaligned L1 offset", "Invalid L1 table offset")
img = fresh("l1eof.qcow2")
poke(img, 40, ">Q", 1 << 40)
refused(img, "L1 table past the end", "L1 table lies past the end", qemu_too=False)
img = fresh("ro.qcow2")
poke(img, 96, ">I", 7)
refused(img, "refcount_order 7", "may not exceed 64 bits")
img = fresh("hl.qcow2")
poke(img, 100, ">I", 96)
refused(img, "header length 96", "qcow2 header too short")
img = fresh("hl2.qcow2", "cluster_size=4k")
poke(img, 100, ">I", 8192)
refused(img, "header length past the cluster", "qcow2 header exceeds cluster size")
img = fresh("bn.qcow2")
poke(img, 8, ">Q", 512)
poke(img, 16, ">I", 5000)
refused(img, "backing name length 5000", "Backing file name too long")
img = fresh("feat.qcow2")
poke(img, 72, ">Q", 1 << 10)
refused(img, "unknown incompatible feature", "Unsupported qcow2 feature(s)")
qp = q.qimg("info", "-f", "qcow2", img)
t.ok("Unsupported qcow2 feature(s)" in qp.stderr, "qemu-img's message has the same words",
     qp.stderr)
img = fresh("crypt.qcow2")
poke(img, 32, ">I", 1)
refused(img, "AES encryption", "encryption (AES-CBC) is not supported", qemu_too=False)
img = fresh("rt.qcow2")
poke(img, 56, ">I", 0x1000000)
refused(img, "huge refcount table", "Reference count table too large")
img = fresh("ov.qcow2")
h = hdr(img)
poke(img, 40, ">Q", h["reftable_offset"])
refused(img, "L1 table on the refcount table", "overlaps the refcount table", qemu_too=False)

# ---- snapshot tables -----------------------------------------------------------
img = fresh("sn.qcow2")
q.qimg("snapshot", "-c", "s", img, check=True)
h = hdr(img)
poke(img, 60, ">I", 1000)
refused(img, "snapshot count beyond the table", "Snapshot table", qemu_too=False)
img = fresh("sn2.qcow2")
q.qimg("snapshot", "-c", "s", img, check=True)
h = hdr(img)
poke(img, h["snapshots_offset"] + 36, ">I", 0x100000)
refused(img, "snapshot extra data too large", "Too much extra metadata", qemu_too=False)
img = fresh("sn3.qcow2")
q.qimg("snapshot", "-c", "s", img, check=True)
h = hdr(img)
poke(img, h["snapshots_offset"], ">Q", 1 << 45)
refused(img, "snapshot L1 table past the end", "Snapshot L1 table offset invalid", qemu_too=False)
img = fresh("sn4.qcow2")
poke(img, 64, ">Q", 1 << 44)
poke(img, 60, ">I", 1)
refused(img, "snapshot table past the end", "Snapshot table lies past the end", qemu_too=False)

# ---- pointers that lie: opened, found corrupt, never written through ---------
img = fresh("loop.qcow2")
h = hdr(img)
poke(img, h["reftable_offset"], ">Q", h["reftable_offset"])
opened_corrupt(img, "refcount table loop (a block on the table itself)", "overlaps the refcount table")
img = fresh("rbeof.qcow2")
h = hdr(img)
poke(img, h["reftable_offset"], ">Q", 1 << 40)
opened_corrupt(img, "refcount block past the end", "past the end of the image file")
img = fresh("l2rb.qcow2")
h = hdr(img)
rb = peek(img, h["reftable_offset"], ">Q")
poke(img, h["l1_offset"], ">Q", rb | (1 << 63))
opened_corrupt(img, "L2 table on a refcount block", "overlaps the refcount block")
img = fresh("l2eof.qcow2")
h = hdr(img)
poke(img, h["l1_offset"], ">Q", (1 << 40) | (1 << 63))
opened_corrupt(img, "L2 table past the end", "past the end of the image file")

# A data cluster pointing at the L1 table: reads are harmless, a write is
# refused before it lands and marks the image corrupt.
img = fresh("data-l1.qcow2")
h = hdr(img)
l2 = peek(img, h["l1_offset"], ">Q") & 0x00fffffffffffe00
poke(img, l2, ">Q", h["l1_offset"] | (1 << 63))
l1_before = open(img, "rb").read()[h["l1_offset"]:h["l1_offset"] + 512]
p = q.tool("write", img, "0", "4096", "0x99")
after = open(img, "rb").read()
t.ok(p.returncode == 1 and "overlaps with active L1 table" in p.stderr and
     after[h["l1_offset"]:h["l1_offset"] + 512] == l1_before and
     struct.unpack(">Q", after[72:80])[0] & 2,
     "a write through an L2 entry pointing at the L1 table is refused, image marked corrupt",
     p.stderr)

img = fresh("unal.qcow2")
h = hdr(img)
l2 = peek(img, h["l1_offset"], ">Q") & 0x00fffffffffffe00
poke(img, l2, ">Q", peek(img, l2, ">Q") | 0x20)
p = q.tool("dump", img, P("x.raw"))
t.ok(p.returncode == 1 and "unaligned" in p.stderr and "AddressSanitizer" not in p.stderr,
     "an unaligned data cluster offset fails the read with a message", p.stderr)

# A compressed cluster whose descriptor points past the end of the file.
raw = P("c.raw")
with open(raw, "wb") as f:
    f.write(b"compress me " * 100000)
img = P("cz.qcow2")
q.qimg("convert", "-c", "-f", "raw", "-O", "qcow2", raw, img, check=True)
h = hdr(img)
l2 = peek(img, h["l1_offset"], ">Q") & 0x00fffffffffffe00
e = peek(img, l2, ">Q")
t.ok(e & (1 << 62), "qemu-img wrote a compressed first cluster")
x = 62 - (h["cluster_bits"] - 8)
poke(img, l2, ">Q", (e & ~((1 << x) - 1)) | (1 << 40))
p = q.tool("dump", img, P("x.raw"))
t.ok(p.returncode == 1 and "past the end" in p.stderr and "AddressSanitizer" not in p.stderr,
     "a compressed descriptor past the end fails the read with a message", p.stderr)
poke(img, l2, ">Q", (e & ((1 << x) - 1)) | (1 << 62) | (((1 << (62 - x)) - 1) << x))
p = q.tool("dump", img, P("x.raw"))
# (the stream itself is intact: reading it is fine; what matters is that
# the length is bounded by the file, not trusted)
t.ok(p.returncode in (0, 1) and "Sanitizer" not in p.stderr,
     "a compressed descriptor with a huge sector count is bounded by the file", p.stderr)

# Garbage: every header byte flipped in turn never crashes the engine.
img = fresh("flip.qcow2", fill=False)
orig = open(img, "rb").read()
crashes = []
for i in range(0, 112):
    b = bytearray(orig)
    b[i] ^= 0xff
    open(img, "wb").write(b)
    p = q.tool("info", img)
    if p.returncode not in (0, 1) or "Sanitizer" in p.stderr:
        crashes.append((i, p.returncode, p.stderr[-300:]))
t.ok(not crashes, "112 single-byte header corruptions: refused or opened, no crash", crashes)

shutil.rmtree(d)
t.done()
