#!/usr/bin/env python3
"""tessera-img convert beside Debian's qemu-img (qemu-utils) as the peer.

Every image tessera-img convert writes (raw and qcow2 both ways, -c with
zlib and zstd, -B/-F, -n, -S 0, -o compat=0.10, several sources) passes
`qemu-img check` and `qemu-img compare` against its source, and `qemu-img
map` shows that the source's holes stayed holes (or, with -S 0, that
everything was written).  Images qemu-img converts read back equal
through tessera-img compare.  Bad input (missing, truncated, corrupted
sources, unknown formats, bad options) gives one line on stderr, a
non-zero exit, and no target when a source could not be opened.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import BUILD, Tap, run, skip_all  # noqa: E402

IMG = os.path.join(BUILD, "tessera-img")
QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")
if not QEMU_IMG or not QEMU_IO:
    skip_all("qemu-img/qemu-io not installed (Debian package qemu-utils)")

MIB = 1 << 20
SIZE = 8 * MIB
# Data extents of the source: text that compresses, random bytes that do
# not, a lone sector, and zeroes written as data (which -S finds).
EXTENTS = [(0, b"tessera convert %d\n", 256 * 1024),
           (2 * MIB, None, 192 * 1024),
           (5 * MIB + 4096, b"x", 512),
           (6 * MIB, b"\0", 128 * 1024)]


def make_source(path):
    rnd = os.urandom(192 * 1024)
    with open(path, "wb") as f:
        f.truncate(SIZE)
        for off, pat, length in EXTENTS:
            f.seek(off)
            if pat is None:
                f.write(rnd[:length])
            elif b"%d" in pat:
                data = b"".join(pat % i for i in range(length))[:length]
                f.write(data)
            else:
                f.write(pat * length)


def qmap(path, fmt):
    st, out, err = run([QEMU_IMG, "map", "--output=json", "-f", fmt, path])
    return json.loads(out) if st == 0 else None


def data_ranges(path, fmt):
    """(start, end) of every range qemu-img map says holds data."""
    m = qmap(path, fmt) or []
    return [(e["start"], e["start"] + e["length"]) for e in m if e["data"]]


def covers(ranges, start, end):
    return any(a <= start and end <= b for a, b in ranges)


def overlaps(ranges, start, end):
    return any(a < end and start < b for a, b in ranges)


def one_line_error(st, err):
    lines = [l for l in err.splitlines() if l.strip()]
    return st != 0 and len(lines) == 1 and "tessera-img: " in lines[0]


def main():
    t = Tap()
    d = tempfile.mkdtemp(prefix="img-convert-")
    p = lambda name: os.path.join(d, name)  # noqa: E731
    src = p("src.raw")
    make_source(src)

    def check_peer(path, fmt, against, against_fmt, what):
        st, out, err = run([QEMU_IMG, "check", "-f", fmt, path]) \
            if fmt == "qcow2" else (0, "", "")
        t.ok(st == 0, "%s: qemu-img check clean" % what, out + err)
        st, out, err = run([QEMU_IMG, "compare", "-f", against_fmt, "-F",
                            fmt, against, path])
        t.ok(st == 0 and "Images are identical." in out,
             "%s: qemu-img compare identical to the source" % what,
             out + err)

    def holes_kept(path, fmt, what):
        r = data_ranges(path, fmt)
        # The random extent and the text must be data; the zero-filled
        # extent and the untouched megabytes must not be.
        ok = (covers(r, 2 * MIB, 2 * MIB + 192 * 1024) and
              covers(r, 0, 256 * 1024) and
              not overlaps(r, 6 * MIB, 6 * MIB + 128 * 1024) and
              not overlaps(r, 3 * MIB, 5 * MIB) and
              not overlaps(r, 7 * MIB, 8 * MIB))
        t.ok(ok, "%s: qemu-img map shows the holes as holes" % what, r)

    # ---- raw -> qcow2 -> raw ------------------------------------------
    st, out, err = run([IMG, "convert", "-f", "raw", "-O", "qcow2", src,
                        p("a.qcow2")])
    t.ok(st == 0 and not out and not err, "convert raw -> qcow2",
         out + err)
    check_peer(p("a.qcow2"), "qcow2", src, "raw", "raw->qcow2")
    holes_kept(p("a.qcow2"), "qcow2", "raw->qcow2")

    st, out, err = run([IMG, "convert", "-f", "qcow2", "-O", "raw",
                        p("a.qcow2"), p("b.raw")])
    t.ok(st == 0, "convert qcow2 -> raw", out + err)
    check_peer(p("b.raw"), "raw", src, "raw", "qcow2->raw")
    with open(src, "rb") as f1, open(p("b.raw"), "rb") as f2:
        t.ok(f1.read() == f2.read(), "qcow2->raw: byte for byte the source")
    holes_kept(p("b.raw"), "raw", "qcow2->raw")

    # ---- compressed, zlib and zstd, v3 and v2 -------------------------
    for name, opts in (("zlib", "compression_type=zlib"),
                       ("zstd", "compression_type=zstd"),
                       ("compat=0.10", "compat=0.10")):
        out_path = p("c-%s.qcow2" % name.replace("=", ""))
        st, out, err = run([IMG, "convert", "-c", "-f", "raw", "-O",
                            "qcow2", "-o", opts, src, out_path])
        t.ok(st == 0, "convert -c -o %s" % opts, out + err)
        check_peer(out_path, "qcow2", src, "raw", "-c %s" % name)
        st, out, err = run([QEMU_IMG, "check", "--output=json", out_path])
        info = json.loads(out) if st == 0 else {}
        t.ok(info.get("compressed-clusters", 0) > 0,
             "-c %s: qemu-img check counts compressed clusters" % name, out)
        st, out, err = run([QEMU_IMG, "info", "--output=json", out_path])
        spec = json.loads(out)["format-specific"]["data"] if st == 0 else {}
        want = "zstd" if name == "zstd" else "zlib"
        t.ok(spec.get("compression-type", "zlib") == want,
             "-c %s: the image says compression type %s" % (name, want), out)
        holes_kept(out_path, "qcow2", "-c %s" % name)

    # -c into a format without compression: refused, as qemu-img.
    st, out, err = run([IMG, "convert", "-c", "-f", "raw", "-O", "raw", src,
                        p("c.raw")])
    t.ok(one_line_error(st, err) and "Compression not supported" in err,
         "-c -O raw refused with qemu-img's message", err)

    # ---- -S 0: everything written ---------------------------------------
    st, out, err = run([IMG, "convert", "-S", "0", "-f", "raw", "-O",
                        "qcow2", src, p("s0.qcow2")])
    t.ok(st == 0, "convert -S 0", out + err)
    check_peer(p("s0.qcow2"), "qcow2", src, "raw", "-S 0")
    t.ok(covers(data_ranges(p("s0.qcow2"), "qcow2"), 0, SIZE),
         "-S 0: every byte allocated (qemu-img map)")

    # ---- -B/-F: only the top layer is copied ------------------------------
    base = p("base.raw")
    with open(base, "wb") as f:
        f.write(b"\xab" * SIZE)
    run([QEMU_IMG, "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F",
         "raw", p("ov.qcow2")])
    run([QEMU_IO, "-f", "qcow2", "-c", "write -P 0x11 1M 64k", "-c",
         "write -z 3M 64k", p("ov.qcow2")])
    st, out, err = run([IMG, "convert", "-f", "qcow2", "-O", "qcow2", "-B",
                        "base.raw", "-F", "raw", p("ov.qcow2"),
                        p("ov2.qcow2")])
    t.ok(st == 0, "convert -B base.raw -F raw", out + err)
    check_peer(p("ov2.qcow2"), "qcow2", p("ov.qcow2"), "qcow2", "-B")
    st, out, err = run([QEMU_IMG, "info", "--output=json", p("ov2.qcow2")])
    info = json.loads(out) if st == 0 else {}
    t.ok(info.get("backing-filename") == "base.raw" and
         info.get("backing-filename-format") == "raw",
         "-B: the target names base.raw (raw) as its backing file", out)
    m = qmap(p("ov2.qcow2"), "qcow2") or []
    top = [(e["start"], e["start"] + e["length"]) for e in m
           if e["depth"] == 0 and (e["data"] or e["zero"])]
    t.ok(top and all(a >= MIB and b <= 4 * MIB for a, b in top),
         "-B: only what the overlay holds is in the target", m)

    # Without -B the chain is flattened.
    st, out, err = run([IMG, "convert", "-O", "raw", p("ov.qcow2"),
                        p("flat.raw")])
    t.ok(st == 0, "convert of an overlay flattens its chain", out + err)
    check_peer(p("flat.raw"), "raw", p("ov.qcow2"), "qcow2", "flatten")

    # ---- -n: into an existing image ---------------------------------------
    run([QEMU_IMG, "create", "-q", "-f", "qcow2", p("n.qcow2"), str(SIZE)])
    st, out, err = run([IMG, "convert", "-n", "-f", "raw", "-O", "qcow2",
                        src, p("n.qcow2")])
    t.ok(st == 0, "convert -n into a qcow2 qemu-img made", out + err)
    check_peer(p("n.qcow2"), "qcow2", src, "raw", "-n")
    # An existing target full of data: -n must zero the source's holes.
    with open(p("n.raw"), "wb") as f:
        f.write(b"\xee" * SIZE)
    st, out, err = run([IMG, "convert", "-n", "-f", "raw", "-O", "raw", src,
                        p("n.raw")])
    t.ok(st == 0, "convert -n over a raw image full of data", out + err)
    check_peer(p("n.raw"), "raw", src, "raw", "-n over data")
    with open(p("small.raw"), "wb") as f:
        f.truncate(MIB)
    st, out, err = run([IMG, "convert", "-n", "-f", "raw", "-O", "raw",
                        src, p("small.raw")])
    t.ok(one_line_error(st, err) and "smaller" in err,
         "-n into a smaller image refused", err)

    # ---- several sources, -W, -m, -p -------------------------------------
    st, out, err = run([IMG, "convert", "-W", "-m", "3", "-f", "raw", "-O",
                        "raw", src, base, p("cat.raw")])
    with open(src, "rb") as f1, open(base, "rb") as f2:
        want = f1.read() + f2.read()
    with open(p("cat.raw"), "rb") as f:
        t.ok(st == 0 and f.read() == want,
             "two sources concatenated (-W -m 3)", err)
    pr = subprocess.run([IMG, "convert", "-p", "-f", "raw", "-O", "qcow2",
                         src, p("p.qcow2")], capture_output=True)
    out = pr.stdout.decode()
    t.ok(pr.returncode == 0 and out.startswith("    (0.00/100%)\r") and
         out.endswith("    (100.00/100%)\r    (100.00/100%)\r\n") and
         "\n" not in out[:-1],
         "-p draws qemu-img's progress display", repr(out))

    # ---- what qemu-img converts, tessera-img compare reads back --------
    for opts in (["-O", "qcow2"], ["-c", "-O", "qcow2"],
                 ["-c", "-O", "qcow2", "-o", "compression_type=zstd"]):
        run([QEMU_IMG, "convert", "-f", "raw"] + opts + [src, p("q.qcow2")])
        st, out, err = run([IMG, "compare", "-f", "raw", src, p("q.qcow2")])
        t.ok(st == 0 and out == "Images are identical.\n",
             "qemu-img convert %s reads back equal" % " ".join(opts),
             out + err)
        os.unlink(p("q.qcow2"))

    # ---- bad input ----------------------------------------------------------
    def refused(args, want, what, target=None):
        st, out, err = run([IMG, "convert"] + args)
        ok = one_line_error(st, err) and want in err
        if target:
            ok = ok and not os.path.exists(target)
        t.ok(ok, what, "status %d\n%s" % (st, err))

    refused(["-O", "qcow2", p("missing.raw"), p("t1.qcow2")],
            "Could not open", "a missing source: one line, no target",
            p("t1.qcow2"))
    refused(["-O", "qcow2", src, p("missing.raw"), p("t2.qcow2")],
            "missing.raw", "a missing second source: no target",
            p("t2.qcow2"))
    refused(["-O", "nosuchfmt", src, p("t3")], "Unknown file format",
            "an unknown output format", p("t3"))
    refused(["-f", "nosuchfmt", src, p("t4")], "Could not open",
            "an unknown source format", p("t4"))
    # A qcow2 truncated inside its tables, and one with a broken header.
    with open(p("a.qcow2"), "rb") as f:
        head = f.read(65536 + 4096)
    with open(p("trunc.qcow2"), "wb") as f:
        f.write(head[:300])
    refused(["-f", "qcow2", p("trunc.qcow2"), p("t5.raw")],
            "Could not open", "a truncated qcow2 source", p("t5.raw"))
    bad = bytearray(head)
    bad[20:24] = (40).to_bytes(4, "big")        # cluster_bits 40
    with open(p("bad.qcow2"), "wb") as f:
        f.write(bad)
    refused(["-f", "qcow2", p("bad.qcow2"), p("t6.raw")], "Could not open",
            "a qcow2 source with a corrupted header", p("t6.raw"))
    refused(["-S", "1000", src, p("t7")], "Invalid buffer size",
            "-S not a multiple of 512")
    refused(["-m", "17", src, p("t8")], "Invalid number of coroutines",
            "-m 17")
    refused(["--target-is-zero", src, p("t9")], "requires use of -n",
            "--target-is-zero without -n")
    refused([src], "Must specify image file name", "no output name")
    refused(["-n", "-o", "cluster_size=4k", src, p("n.raw")],
            "-o has no effect when skipping image creation", "-n with -o")
    refused(["-F", "raw", "-O", "qcow2", src, p("t10.qcow2")],
            "Backing format cannot be used without backing file",
            "-F without -B: qemu-img's message, no target", p("t10.qcow2"))
    refused(["-O", "qcow2", "-o", "foo=bar", src, p("t11.qcow2")],
            "Invalid parameter 'foo'", "an unknown -o option, no target",
            p("t11.qcow2"))

    shutil.rmtree(d)
    t.done()


if __name__ == "__main__":
    main()
