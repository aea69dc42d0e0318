#!/usr/bin/env python3
"""Start-up benchmark: `-M none` start to the QMP `quit` reply.

Runs Tessera and Debian's qemu-system-riscv64 alternately in one
invocation (so both see the same machine load), N times each, and prints
the median wall time, the median peak RSS and the ratios.

    bench/startup.py [--runs N] [--tessera PATH] [--qemu PATH]

Timing starts just before the process is spawned and stops when the reply
to `quit` has been read; peak RSS comes from the kernel (wait4 rusage).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

QMP = (b'{"execute":"qmp_capabilities"}\n'
       b'{"execute":"quit"}\n')
ARGS = ["-M", "none", "-S", "-display", "none", "-qmp", "stdio"]


def one_run(binary):
    start = time.perf_counter()
    p = subprocess.Popen([binary] + ARGS, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    p.stdin.write(QMP)
    p.stdin.flush()
    replies = 0
    for line in p.stdout:
        if b'"return"' in line:
            replies += 1
            if replies == 2:          # the quit reply
                break
    elapsed = time.perf_counter() - start
    p.stdin.close()
    p.stdout.close()
    _, status, usage = os.wait4(p.pid, 0)
    if replies != 2 or status != 0:
        sys.exit("%s did not answer quit cleanly (status %d)" %
                 (binary, status))
    return elapsed, usage.ru_maxrss  # seconds, KiB


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--tessera", default=os.path.join(
        here, "..", "build-bench", "tessera-system-riscv64"))
    ap.add_argument("--qemu", default=shutil.which("qemu-system-riscv64"))
    a = ap.parse_args()
    if not a.qemu:
        sys.exit("qemu-system-riscv64 not found (apt-get install "
                 "qemu-system-misc)")
    results = {"tessera": ([], []), "qemu": ([], [])}
    for _ in range(a.runs):
        for name, binary in (("tessera", a.tessera), ("qemu", a.qemu)):
            t, rss = one_run(binary)
            results[name][0].append(t)
            results[name][1].append(rss)
    med = {k: (statistics.median(v[0]) * 1000, statistics.median(v[1]))
           for k, v in results.items()}
    print("start-up to QMP quit reply, -M none, median of %d runs each"
          % a.runs)
    print("%-10s %10s %14s" % ("", "time (ms)", "peak RSS (KiB)"))
    for name in ("tessera", "qemu"):
        print("%-10s %10.2f %14d" % (name, med[name][0], med[name][1]))
    print("%-10s %10.3f %14.3f" % ("ratio", med["tessera"][0] / med["qemu"][0],
                                   med["tessera"][1] / med["qemu"][1]))


if __name__ == "__main__":
    main()
