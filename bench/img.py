#!/usr/bin/env python3
"""Image conversion benchmark (issue 15): `convert` of an image with 50 %
data and 50 % holes, tessera-img against Debian's qemu-img, alternating
runs in one invocation.

    bench/img.py [--runs N] [--size GIB] [--cases raw-qcow2,qcow2-raw,
                 raw-qcow2-c] [--tessera PATH] [--qemu-img PATH]

The source is a sparse raw file of --size GiB (2 by default) made of
8 MiB extents, data and hole in turn.  A data extent repeats one MiB
that is a quarter random bytes and three quarters text, so that -c has
both compressible and incompressible clusters.  The qcow2 source of
qcow2-raw is made from it once by qemu-img.  Cases:

raw-qcow2    convert -f raw -O qcow2 src.raw out.qcow2
qcow2-raw    convert -f qcow2 -O raw src.qcow2 out.raw
raw-qcow2-c  convert -c -f raw -O qcow2 src.raw out.qcow2

Each run is timed on the wall clock from spawn to exit, with the
process's CPU time (user + system, children's rusage); the output is
deleted between runs (its page cache with it), the source stays cached
(both tools read it the same way).  Median seconds with the range, the
median CPU seconds and tessera/qemu time ratio are printed: below 1
means tessera-img is faster.  The files go to a temporary directory
(set TMPDIR to put them on the disk you want to measure).
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXTENT = 8 << 20

CASES = {
    "raw-qcow2": (["-f", "raw", "-O", "qcow2"], "src.raw", "out.qcow2"),
    "qcow2-raw": (["-f", "qcow2", "-O", "raw"], "src.qcow2", "out.raw"),
    "raw-qcow2-c": (["-c", "-f", "raw", "-O", "qcow2"], "src.raw",
                    "out.qcow2"),
}


def make_source(d, size, qemu_img):
    rnd = os.urandom(256 << 10)
    text = b"".join(b"line %08d: the quick brown fox jumps over the lazy "
                    b"dog\n" % i for i in range(16384))[:768 << 10]
    mib = rnd + text
    raw = os.path.join(d, "src.raw")
    with open(raw, "wb") as f:
        f.truncate(size)
        for off in range(0, size, 2 * EXTENT):
            f.seek(off)
            for _ in range(EXTENT // len(mib)):
                f.write(mib)
    subprocess.run([qemu_img, "convert", "-f", "raw", "-O", "qcow2", raw,
                    os.path.join(d, "src.qcow2")], check=True)


def timed(argv):
    """Wall and CPU seconds of one run (the CPU from the children's
    rusage, before and after)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, check=True)
    dt = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return dt, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--size", type=float, default=2.0,
                    help="source size in GiB (a smaller one for a quick run)")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--tessera", default=os.path.join(
        HERE, "..", "build-bench", "tessera-img"))
    ap.add_argument("--qemu-img", default=shutil.which("qemu-img"))
    a = ap.parse_args()
    if not a.qemu_img or not os.path.exists(a.tessera):
        sys.exit("need qemu-img (qemu-utils) and %s" % a.tessera)
    size = int(a.size * (1 << 30)) // (2 * EXTENT) * (2 * EXTENT)
    tools = [("tessera-img", a.tessera), ("qemu-img", a.qemu_img)]
    with tempfile.TemporaryDirectory() as d:
        make_source(d, size, a.qemu_img)
        print("source: %.2f GiB, 50 %% data in %d MiB extents; median of %d"
              % (size / (1 << 30), EXTENT >> 20, a.runs))
        print("%-12s %-24s %-24s %s" % ("case", "tessera-img", "qemu-img",
                                        "ratio"))
        for case in a.cases.split(","):
            opts, src, out = CASES[case]
            res = {name: [] for name, _ in tools}
            for _ in range(a.runs):
                for name, binary in tools:
                    target = os.path.join(d, out)
                    if os.path.exists(target):
                        os.unlink(target)
                    res[name].append(timed([binary, "convert"] + opts +
                                           [os.path.join(d, src), target]))
            cols = []
            for name, _ in tools:
                wall = [w for w, _ in res[name]]
                cpu = statistics.median(c for _, c in res[name])
                cols.append((statistics.median(wall), min(wall), max(wall),
                             cpu))
            print("%-12s %-24s %-24s %.2f" % (
                case,
                "%.2f s (%.2f-%.2f) cpu %.2f" % cols[0],
                "%.2f s (%.2f-%.2f) cpu %.2f" % cols[1],
                cols[0][0] / cols[1][0]))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
