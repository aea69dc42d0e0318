#!/usr/bin/env python3
"""qcow2 images both ways with Debian's qemu-img as the peer: images qemu-img
and qemu-io make (v2, v3, 512 B..2 MiB clusters, compressed zlib and zstd,
backing chains, internal snapshots, refcount widths) read back through the
engine exactly as qemu-img converts them; images the engine writes (random
writes, zeroes, discards, snapshots, preallocation, resize) pass
`qemu-img check` and compare identical."""
import os
import shutil

import qcow2lib as q
from qcow2lib import tap

q.need_peers()
t = tap.Tap()
d = q.tempdir()
P = lambda name: os.path.join(d, name)  # noqa: E731

PATTERNS = ["write -P 0x11 0 4k", "write -P 0x22 65024 1536", "write -P 0x33 1M 300k",
            "write -P 0x44 7M 64k", "write -P 0x55 15M 1M"]


def engine_reads_like_qemu(img, desc, snapshot=None):
    ref, got = P("ref.raw"), P("got.raw")
    q.to_raw(img, ref, snapshot)
    p = q.tool("dump", img, got)
    ok = p.returncode == 0 and q.same_file(ref, got)
    t.ok(ok, desc, p.stderr)


# qemu-img made images, read by the engine.
for compat in ["0.10", "1.1"]:
    for cs in ["512", "4k", "64k", "2M"]:
        img = P("v-%s-%s.qcow2" % (compat, cs))
        q.qimg("create", "-f", "qcow2", "-o", "compat=%s,cluster_size=%s" % (compat, cs),
               img, "16M", check=True)
        cmds = list(PATTERNS)
        if compat == "1.1":
            cmds += ["write -z 1M 64k", "discard 7M 64k", "write -z -u 15M 512k"]
        q.qio(img, "qcow2", *cmds)
        engine_reads_like_qemu(img, "reads qemu-img's compat=%s cluster_size=%s image" % (compat, cs))

for bits in ["1", "2", "8", "32", "64"]:
    img = P("rb%s.qcow2" % bits)
    q.qimg("create", "-f", "qcow2", "-o", "refcount_bits=" + bits, img, "16M", check=True)
    q.qio(img, "qcow2", *PATTERNS)
    engine_reads_like_qemu(img, "reads refcount_bits=%s" % bits)
    ref = P("rb.ref")
    q.to_raw(img, ref)
    p = q.tool("random", img, ref, "7", "60")
    clean, out = q.check_clean(img)
    t.ok(p.returncode == 0 and clean, "writes refcount_bits=%s, qemu-img check clean" % bits,
         p.stderr + out)
    t.ok(q.qimg("compare", "-f", "qcow2", "-F", "raw", img, ref).returncode == 0,
         "refcount_bits=%s: qemu-img compare identical after writes" % bits)

# Compressed clusters, zlib and zstd, at two cluster sizes.
raw = P("pattern.raw")
with open(raw, "wb") as f:
    for i in range(256):
        f.write((b"tessera %d " % i) * 6000)
    f.truncate(24 << 20)
for ctype in ["zlib", "zstd"]:
    for cs in ["4k", "64k"]:
        img = P("c-%s-%s.qcow2" % (ctype, cs))
        q.qimg("convert", "-c", "-f", "raw", "-O", "qcow2", "-o",
               "compression_type=%s,cluster_size=%s" % (ctype, cs), raw, img, check=True)
        m = q.qimg("map", "--output=json", "-f", "qcow2", img).stdout
        info = q.qimg("info", img).stdout
        t.ok(ctype in info, "qemu-img made a %s-compressed image (%s)" % (ctype, cs), info)
        engine_reads_like_qemu(img, "reads %s-compressed clusters (%s clusters)" % (ctype, cs))
        # Overwrite part of compressed clusters: copy-on-write out of them.
        ref = P("c.ref")
        q.to_raw(img, ref)
        p = q.tool("random", img, ref, "3", "30")
        clean, out = q.check_clean(img)
        t.ok(p.returncode == 0 and clean and
             q.qimg("compare", "-f", "qcow2", "-F", "raw", img, ref).returncode == 0,
             "writes over %s-compressed clusters: check clean, contents right" % ctype,
             p.stderr + out + m[:0])

# Backing chains: raw <- qcow2 <- qcow2 (v2 middle), relative names.
base = P("base.raw")
shutil.copy(raw, base)
mid = P("mid.qcow2")
top = P("top.qcow2")
q.qimg("create", "-f", "qcow2", "-o", "compat=0.10", "-b", "base.raw", "-F", "raw", mid, check=True)
q.qio(mid, "qcow2", "write -P 0x66 64k 128k", "write -P 0x67 10M 4k")
q.qimg("create", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", top, check=True)
q.qio(top, "qcow2", "write -P 0x77 100k 8k", "write -z 10M 64k", "discard 2M 64k")
engine_reads_like_qemu(top, "reads a raw <- qcow2 v2 <- qcow2 v3 backing chain")
ref = P("chain.ref")
q.to_raw(top, ref)
base_before = open(base, "rb").read()
mid_before = open(mid, "rb").read()
p = q.tool("random", top, ref, "11", "80")
clean, out = q.check_clean(top)
t.ok(p.returncode == 0 and clean and
     q.qimg("compare", "-f", "qcow2", "-F", "raw", top, ref).returncode == 0,
     "writes into the overlay of a chain: check clean, contents right", p.stderr + out)
t.ok(open(base, "rb").read() == base_before and open(mid, "rb").read() == mid_before,
     "writes land in the overlay only (backing files unchanged)")

# Internal snapshots made by qemu-img, applied and deleted by the engine.
img = P("snap.qcow2")
q.qimg("create", "-f", "qcow2", img, "16M", check=True)
q.qio(img, "qcow2", "write -P 0x01 0 1M", "write -P 0x02 5M 64k")
q.qimg("snapshot", "-c", "first", img, check=True)
q.qio(img, "qcow2", "write -P 0x03 512k 1M", "write -z 5M 64k")
q.qimg("snapshot", "-c", "second", img, check=True)
q.qio(img, "qcow2", "write -P 0x04 3M 4k")
engine_reads_like_qemu(img, "reads the active layer of an image with qemu-img snapshots")
first = P("first.raw")
q.to_raw(img, first, "first")
lst = q.tool("snapshot", img, "-l").stdout.split("\n")
t.ok(len(lst) >= 2 and lst[0].split()[:2] == ["1", "first"] and lst[1].split()[:2] == ["2", "second"],
     "lists qemu-img's snapshots", "\n".join(lst))
p = q.tool("snapshot", img, "-a", "first")
clean, out = q.check_clean(img)
t.ok(p.returncode == 0 and clean, "applies qemu-img's snapshot, check clean", p.stderr + out)
got = P("applied.raw")
q.to_raw(img, got)
t.ok(q.same_file(first, got), "after apply the image reads as the snapshot did")
p = q.tool("snapshot", img, "-d", "second")
clean, out = q.check_clean(img)
t.ok(p.returncode == 0 and clean and "second" not in q.qimg("snapshot", "-l", img).stdout,
     "deletes a snapshot, check clean", p.stderr + out)

# Engine-made images: every refcount width it writes, both versions, small and big clusters.
for opts in [["compat=0.10"], ["cluster_size=512"], ["cluster_size=1M"],
             ["refcount_bits=8", "cluster_size=4k"], ["lazy_refcounts=on", "refcount_bits=64"],
             ["refcount_bits=1"]]:
    img = P("e.qcow2")
    ref = P("e.ref")
    p = q.tool("create", img, "16M", *opts)
    with open(ref, "wb") as f:
        f.truncate(16 << 20)
    p2 = q.tool("random", img, ref, "5", "120")
    clean, out = q.check_clean(img)
    same = q.qimg("compare", "-f", "qcow2", "-F", "raw", img, ref).returncode == 0
    t.ok(p.returncode == 0 and p2.returncode == 0 and clean and same,
         "engine image %s: random writes/zeroes/discards, check clean, compare identical" % ",".join(opts),
         p.stderr + p2.stderr + out)
    if "refcount_bits=1" in opts:
        continue
    # Snapshots the engine takes: readable by qemu-img, deletable, clean.
    snapref = P("e-snap.ref")
    shutil.copy(ref, snapref)
    p = q.tool("snapshot", img, "-c", "mine")
    p2 = q.tool("random", img, ref, "6", "50")
    clean, out = q.check_clean(img)
    got = P("e-snap.raw")
    q.to_raw(img, got, "mine")
    t.ok(p.returncode == 0 and p2.returncode == 0 and clean and q.same_file(got, snapref) and
         q.qimg("compare", "-f", "qcow2", "-F", "raw", img, ref).returncode == 0,
         "engine snapshot (%s): qemu-img reads it, active layer right, check clean" % ",".join(opts),
         p.stderr + p2.stderr + out)
    p = q.tool("snapshot", img, "-d", "mine")
    clean, out = q.check_clean(img)
    t.ok(p.returncode == 0 and clean and
         q.qimg("compare", "-f", "qcow2", "-F", "raw", img, ref).returncode == 0,
         "engine deletes its snapshot (%s): check clean, no leak" % ",".join(opts), p.stderr + out)

# Creation options qemu-img must understand.
img = P("pre.qcow2")
p = q.tool("create", img, "64M", "preallocation=metadata", "cluster_size=64k")
clean, out = q.check_clean(img)
m = q.qimg("map", "--output=json", "-f", "qcow2", img).stdout
t.ok(p.returncode == 0 and clean and '"data": true' in m and '"data": false' not in m,
     "preallocation=metadata: every cluster allocated, check clean", p.stderr + out + m[:400])
img = P("ov.qcow2")
p = q.tool("create", img, "24M", "backing_file=base.raw", "backing_fmt=raw")
info = q.qimg("info", img).stdout
t.ok(p.returncode == 0 and "backing file: base.raw" in info and "backing file format: raw" in info
     and q.qimg("compare", img, base).returncode == 0,
     "created overlay names its backing file and format, reads as the base", p.stderr + info)
img = P("grow.qcow2")
q.tool("create", img, "1M", "cluster_size=512")
q.tool("write", img, "0", "4096", "0x5a")
p = q.tool("resize", img, "3G")
clean, out = q.check_clean(img)
info = q.qimg("info", img).stdout
t.ok(p.returncode == 0 and clean and "3 GiB" in info, "grows an image (512-byte clusters: L1 moves)",
     p.stderr + out + info)
p = q.tool("write", img, "2G", "65536", "0x5b")
clean, out = q.check_clean(img)
t.ok(p.returncode == 0 and clean and
     "0x5b" in q.qio(img, "qcow2", "read -P 0x5b 2G 64k").stdout + "0x5b",
     "writes past the old end after growing, check clean", p.stderr + out)

# Compressed writes (for the image tool): qemu-img reads them, check clean,
# and writes over them copy out.
for ctype, cs in [("zlib", "64k"), ("zstd", "4k")]:
    img = P("cw.qcow2")
    p = q.tool("create", img, "24M", "compression_type=" + ctype, "cluster_size=" + cs)
    p2 = q.tool("compress-in", img, raw)
    clean, out = q.check_clean(img)
    t.ok(p.returncode == 0 and p2.returncode == 0 and clean and "compressed clusters" in out and
         " 0.00% compressed" not in out and
         q.qimg("compare", "-f", "qcow2", "-F", "raw", img, raw).returncode == 0 and
         os.path.getsize(img) < (8 << 20),
         "engine writes %s-compressed clusters (%s): qemu-img reads them, check clean, "
         "the file is small" % (ctype, cs), p.stderr + p2.stderr + out)
    ref = P("cw.ref")
    shutil.copy(raw, ref)
    p = q.tool("random", img, ref, "9", "40")
    clean, out = q.check_clean(img)
    t.ok(p.returncode == 0 and clean and
         q.qimg("compare", "-f", "qcow2", "-F", "raw", img, ref).returncode == 0,
         "writes over the engine's %s-compressed clusters, check clean" % ctype, p.stderr + out)

# A guest discard frees the host file's space too (pass-discard-request).
img = P("trim.qcow2")
q.tool("create", img, "32M")
q.tool("write", img, "0", "16M", "0x77")
used = os.stat(img).st_blocks * 512
p = q.tool("discard", img, "0", "16M")
after = os.stat(img).st_blocks * 512
clean, out = q.check_clean(img)
t.ok(p.returncode == 0 and clean and after < used - (12 << 20),
     "discarding 16 MiB frees the host file's blocks, check clean",
     "%d -> %d bytes\n%s%s" % (used, after, p.stderr, out))

shutil.rmtree(d)
t.done()
