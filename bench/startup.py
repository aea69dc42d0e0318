#!/usr/bin/env python3
"""Start-up benchmark: `-M none` start to the QMP `quit` reply.

Runs Tessera and Debian's qemu-system-riscv64 alternately in one
invocation (so both see the same machine load), N times each, and prints
the median wall time, the median peak RSS and the ratios.

    bench/startup.py [--runs N] [--tessera PATH] [--qemu PATH]

Timing starts just before the process is spawned and stops when the reply
to `quit` has been read.  Peak RSS is read from /proc/PID/status (VmHWM)
in separate runs, once the monitor has answered: rusage's ru_maxrss would
include the memory of the forking Python process from before exec.
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


def finish(p, binary):
    p.stdin.close()
    p.stdout.read()               # whatever follows (events) until exit
    p.stdout.close()
    if p.wait() != 0:
        sys.exit("%s did not quit cleanly (status %d)" % (binary, p.returncode))


def wait_replies(p, count):
    replies = 0
    for line in p.stdout:
        if b'"return"' in line:
            replies += 1
            if replies == count:
                return True
    return False


def timed_run(binary):
    start = time.perf_counter()
    p = subprocess.Popen([binary] + ARGS, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    p.stdin.write(QMP)
    p.stdin.flush()
    ok = wait_replies(p, 2)       # the second reply is quit's
    elapsed = time.perf_counter() - start
    finish(p, binary)
    if not ok:
        sys.exit("%s did not answer quit" % binary)
    return elapsed


def peak_rss_kib(binary):
    p = subprocess.Popen([binary] + ARGS, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    p.stdin.write(QMP.split(b"\n")[0] + b"\n")
    p.stdin.flush()
    wait_replies(p, 1)
    with open("/proc/%d/status" % p.pid) as f:
        hwm = [int(line.split()[1]) for line in f
               if line.startswith("VmHWM:")][0]
    p.stdin.write(b'{"execute":"quit"}\n')
    p.stdin.flush()
    finish(p, binary)
    return hwm


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
            results[name][0].append(timed_run(binary))
            results[name][1].append(peak_rss_kib(binary))
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
