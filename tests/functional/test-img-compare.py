#!/usr/bin/env python3
"""tessera-img compare, dd and bench beside Debian's qemu-img.

compare: the same images through both tools give the same stdout and
exit status (identical, a content mismatch at the same offset, different
sizes with and without a difference in the extra part, strict mode on
size and on allocation, -q, -p, a missing file and a wrong -f as errors
with status 2).  dd: the outputs of the same operands are byte for byte
qemu-img dd's.  bench: qemu-img bench's lines and refusals.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import BUILD, Tap, run, skip_all  # noqa: E402

IMG = os.path.join(BUILD, "tessera-img")
QEMU_IMG = shutil.which("qemu-img")
if not QEMU_IMG:
    skip_all("qemu-img not installed (Debian package qemu-utils)")

MIB = 1 << 20


def write_raw(path, size, writes):
    with open(path, "wb") as f:
        f.truncate(size)
        for off, data in writes:
            f.seek(off)
            f.write(data)


def raw_bytes(argv):
    p = subprocess.run(argv, capture_output=True, timeout=60)
    return p.returncode, p.stdout, p.stderr.decode()


def main():
    t = Tap()
    d = tempfile.mkdtemp(prefix="img-compare-")
    p = lambda name: os.path.join(d, name)  # noqa: E731
    base = [(4096, b"x" * 10000), (600000, b"data" * 3000)]
    write_raw(p("a.raw"), MIB, base)
    write_raw(p("same.raw"), MIB, base)
    write_raw(p("diff.raw"), MIB, base + [(5000, b"y")])
    write_raw(p("big.raw"), 2 * MIB, base)
    write_raw(p("bigdiff.raw"), 2 * MIB, base + [(1500000, b"z")])
    run([QEMU_IMG, "convert", "-f", "raw", "-O", "qcow2", p("a.raw"),
         p("a.qcow2")])

    # ---- compare: the same answers as qemu-img ----------------------------
    cases = [
        ("identical", ["-f", "raw", "-F", "raw", p("a.raw"), p("same.raw")]),
        ("one sector differs", ["-f", "raw", "-F", "raw", p("a.raw"),
                                p("diff.raw")]),
        ("larger second, extra part zero", ["-f", "raw", "-F", "raw",
                                            p("a.raw"), p("big.raw")]),
        ("larger first", ["-f", "raw", "-F", "raw", p("big.raw"),
                          p("a.raw")]),
        ("difference in the extra part", ["-f", "raw", "-F", "raw",
                                          p("a.raw"), p("bigdiff.raw")]),
        ("strict, different sizes", ["-s", "-f", "raw", "-F", "raw",
                                     p("a.raw"), p("big.raw")]),
        ("strict, same image", ["-s", "-f", "raw", "-F", "raw", p("a.raw"),
                                p("same.raw")]),
        ("strict, raw against qcow2", ["-s", "-f", "raw", "-F", "qcow2",
                                       p("a.raw"), p("a.qcow2")]),
        ("qcow2 against raw, probed", [p("a.qcow2"), p("a.raw")]),
        ("-q, different", ["-q", "-f", "raw", "-F", "raw", p("a.raw"),
                           p("diff.raw")]),
        ("-U, identical", ["-U", p("a.qcow2"), p("a.qcow2")]),
    ]
    for what, args in cases:
        qst, qout, qerr = run([QEMU_IMG, "compare"] + args)
        st, out, err = run([IMG, "compare"] + args)
        t.ok(st == qst and out == qout and not err,
             "compare %s: status %d, %r as qemu-img" % (what, qst, qout),
             "tessera-img: %d %r %r\nqemu-img:    %d %r %r"
             % (st, out, err, qst, qout, qerr))
    # -p: the display and the answer, byte for byte.
    for args in (["-p", "-f", "raw", "-F", "raw", p("a.raw"), p("same.raw")],
                 ["-p", "-f", "raw", "-F", "raw", p("a.raw"),
                  p("diff.raw")]):
        q = raw_bytes([QEMU_IMG, "compare"] + args)
        m = raw_bytes([IMG, "compare"] + args)
        # qemu-img may redraw in between; the first and last draws and the
        # message are what a script sees.
        norm = lambda b: re.sub(rb"(    \((?!0\.00|100\.00)[0-9.]+/100%\)\r)",  # noqa: E731
                                b"", b)
        t.ok(m[0] == q[0] and norm(m[1]) == norm(q[1]),
             "compare -p: status %d, output as qemu-img's" % q[0],
             "%r\n%r" % (m[1], q[1]))
    # Errors: status 2, one line naming the file.
    for what, args, want in (
            ("a missing file", [p("a.raw"), p("missing.raw")],
             "missing.raw"),
            ("-f qcow2 on a raw image", ["-f", "qcow2", p("a.raw"),
                                         p("a.raw")], "a.raw"),
            ("one file name", [p("a.raw")], "")):
        st, out, err = run([IMG, "compare"] + args)
        lines = [l for l in err.splitlines() if l.strip()]
        t.ok(st == 2 and len(lines) == 1 and want in lines[0],
             "compare, %s: status 2, one line" % what, "%d %r" % (st, err))

    # ---- dd: outputs equal qemu-img dd's -----------------------------------
    for ops, fmt in ((["bs=4k", "count=4", "skip=2"], "raw"),
                     (["bs=4k", "skip=2"], "raw"),
                     (["bs=1000", "count=7", "skip=1"], "raw"),
                     (["count=3"], "raw"),
                     (["bs=64k"], "qcow2"),
                     (["bs=1M", "skip=100"], "raw")):
        q, m = p("q-dd." + fmt), p("m-dd." + fmt)
        for path in (q, m):
            if os.path.exists(path):
                os.unlink(path)
        qst, _, qerr = run([QEMU_IMG, "dd", "-f", "raw", "-O", fmt,
                            "if=" + p("a.raw"), "of=" + q] + ops)
        st, _, err = run([IMG, "dd", "-f", "raw", "-O", fmt,
                          "if=" + p("a.raw"), "of=" + m] + ops)
        same = st == qst and os.path.exists(m)
        if same and fmt == "raw":
            with open(q, "rb") as f1, open(m, "rb") as f2:
                same = f1.read() == f2.read()
        elif same:
            cst, cout, _ = run([QEMU_IMG, "compare", "-s", q, m])
            chk, _, _ = run([QEMU_IMG, "check", m])
            same = cst == 0 and chk == 0
        t.ok(same, "dd -O %s %s: the output is qemu-img dd's"
             % (fmt, " ".join(ops)), "%d %s\n%d %s" % (st, err, qst, qerr))
    for what, args, want in (
            ("no of=", ["if=" + p("a.raw")], "Must specify both"),
            ("a missing input", ["if=" + p("nope.raw"), "of=" + p("x")],
             "Could not open"),
            ("bs=0", ["if=" + p("a.raw"), "of=" + p("x"), "bs=0"],
             "Invalid bs"),
            ("an unknown operand", ["if=" + p("a.raw"), "of=" + p("x"),
                                    "foo=1"], "unrecognized operand foo")):
        st, out, err = run([IMG, "dd"] + args)
        lines = [l for l in err.splitlines() if l.strip()]
        t.ok(st == 1 and len(lines) == 1 and want in lines[0] and
             not os.path.exists(p("x")),
             "dd, %s: one line, no output" % what, err)

    # ---- bench: qemu-img bench's lines ---------------------------------------
    write_raw(p("bench.raw"), 2 * MIB, [])
    for args in (["-c", "1000", "-f", "raw"],
                 ["-w", "-c", "100", "-d", "4", "-s", "8k", "-S", "16k",
                  "-o", "4096", "--pattern=5", "--flush-interval=10",
                  "-f", "raw"],
                 ["-c", "100", "-s", "1M", "-S", "1M", "-f", "raw"]):
        qst, qout, _ = run([QEMU_IMG, "bench"] + args + [p("bench.raw")])
        st, out, err = run([IMG, "bench"] + args + [p("bench.raw")])
        strip = lambda s: re.sub(r"in [0-9.]+ seconds", "in T seconds", s)  # noqa: E731
        t.ok(st == qst == 0 and strip(out) == strip(qout) and
             re.search(r"Run completed in \d+\.\d{3} seconds\.\n$", out),
             "bench %s: qemu-img bench's lines" % " ".join(args),
             "%r\n%r\n%s" % (out, qout, err))
    with open(p("bench.raw"), "rb") as f:
        f.seek(4096)
        t.ok(f.read(8192) == b"\x05" * 8192,
             "bench -w --pattern=5 wrote the pattern")
    for args, want in ((["-c", "x"], "Invalid request count specified"),
                       (["-d", "0"], "Invalid queue depth specified"),
                       (["--pattern=300"], "Invalid pattern byte specified"),
                       (["--flush-interval=10"],
                        "--flush-interval is only available in write tests"),
                       (["-w", "--flush-interval=10"],
                        "Flush interval can't be smaller than depth"),
                       (["-c", "10", "-s", "4M"], "Failed request")):
        st, out, err = run([IMG, "bench", "-f", "raw"] + args +
                           [p("bench.raw")])
        t.ok(st == 1 and want in err and len(err.splitlines()) == 1,
             "bench %s refused: %s" % (" ".join(args), want), err)

    shutil.rmtree(d)
    t.done()


if __name__ == "__main__":
    main()
