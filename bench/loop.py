#!/usr/bin/env python3
"""The bare-metal integer loop (bench/loop.S): guest instructions per
second with no OS, Tessera (interpreter and JIT) against Debian's
qemu-system-riscv64, both started with -bios none -kernel loop.elf.

    bench/loop.py [--runs N] [--tessera PATH] [--qemu PATH]

The time is the whole process, start to exit through the sifive_test
finisher (start-up is a few tens of milliseconds of the seconds the loop
takes).  Medians are printed, and the ratio of Tessera's time to QEMU's
(below 1: Tessera faster).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ITERATIONS = 100000000
BODY_INSNS = 10


def build(d):
    gcc = shutil.which("riscv64-linux-gnu-gcc")
    if not gcc:
        sys.exit("riscv64-linux-gnu-gcc not found (Debian package "
                 "gcc-riscv64-linux-gnu)")
    out = os.path.join(d, "loop.elf")
    subprocess.run([gcc, "-nostdlib", "-nostartfiles", "-static",
                    "-march=rv64gc", "-mabi=lp64d", "-mno-relax",
                    "-T", os.path.join(HERE, "loop.ld"), "-Wl,--build-id=none",
                    "-o", out, os.path.join(HERE, "loop.S")],
                   check=True)
    return out


def run(argv):
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=600)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit("%s failed (%d):\n%s" % (argv[0], p.returncode,
                                          p.stdout.decode(errors="replace")))
    return dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tessera", default=os.path.join(
        HERE, "..", "build-bench", "tessera-system-riscv64"))
    ap.add_argument("--qemu", default=shutil.which("qemu-system-riscv64"))
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as d:
        elf = build(d)
        bins = [("tessera", [args.tessera, "-accel", "tcg,jit=off"]),
                ("tessera-jit", [args.tessera, "-accel", "tcg,jit=on"])]
        if args.qemu:
            bins.append(("qemu", [args.qemu]))
        common = ["-M", "virt", "-m", "128M", "-nographic", "-bios", "none",
                  "-kernel", elf]
        times = {b: [] for b, _ in bins}
        for _ in range(args.runs):
            for b, argv in bins:
                times[b].append(run(argv + common))
        insns = ITERATIONS * BODY_INSNS
        print("loop: %d guest instructions, %d runs each" % (insns, args.runs))
        med = {b: statistics.median(v) for b, v in times.items()}
        for b, _ in bins:
            line = "loop      %-12s %6.2f s  %7.0f M guest insns/s" % (
                b, med[b], insns / med[b] / 1e6)
            if "qemu" in med and b != "qemu":
                line += "   time/qemu %.2f" % (med[b] / med["qemu"])
            print(line)


if __name__ == "__main__":
    main()
