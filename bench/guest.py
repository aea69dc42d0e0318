#!/usr/bin/env python3
"""Guest benchmarks: the test Linux guest on Tessera and on Debian's
qemu-system-riscv64, same command line, alternating runs in one
invocation.

    bench/guest.py [--runs N] [--smp N] [--tessera PATH] [--qemu PATH]
                   [--no-interp]

Tessera runs twice per round: with its interpreter (-accel tcg,jit=off)
and with the JIT (the default; named -accel tcg,jit=on here all the same);
--no-interp skips the former.

boot      start of the process to `TESSERA-GUEST: init reached` (the guest
          is booted with guest.halt, so it powers off right after)
cpubench  the guest's /bin/cpubench, timed on the host from the guest's
          "init reached" line (its init runs the command next) to the
          line it prints after
native    the same cpubench.c compiled for this host with gcc -O2: the
          physical limit (only when the guest directory has cpubench.c)

Both emulators get OpenSBI's fw_dynamic from Debian as firmware (QEMU's
default -bios is its own copy of OpenSBI; naming Debian's for both keeps
the firmware identical).  Medians and the Tessera/QEMU ratio are printed;
below 1 means Tessera is faster.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import guest  # noqa: E402

FW = guest.DEFAULT_BIOS


def run_guest(binary, extra, g, smp, append, start_pat, end_pat,
              timeout=1800):
    """Seconds from start_pat (or process start) to end_pat."""
    argv = [binary] + extra + ["-M", "virt", "-smp", str(smp), "-m", "512M",
            "-nographic", "-bios", FW, "-kernel", g.image, "-initrd",
            g.initrd, "-append", "console=ttyS0 " + append]
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    start = t0 if start_pat is None else None
    out = b""
    result = None
    deadline = t0 + timeout
    for line in p.stdout:
        out += line
        now = time.perf_counter()
        if start is None and re.search(start_pat, line):
            start = now
        elif start is not None and re.search(end_pat, line):
            result = now - start
            break
        if now > deadline:
            break
    p.kill()
    p.wait()
    if result is None:
        sys.exit("%s: no %r in its output:\n%s" %
                 (binary, end_pat, out[-2000:].decode(errors="replace")))
    return result


def native_cpubench(g):
    src = os.path.join(g.dir, "cpubench.c")
    if not os.path.exists(src) or not shutil.which("gcc"):
        return None
    with tempfile.TemporaryDirectory() as d:
        exe = os.path.join(d, "cpubench")
        subprocess.run(["gcc", "-O2", "-o", exe, src, "-lm"], check=True)
        t0 = time.perf_counter()
        subprocess.run([exe], check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--tessera", default=os.path.join(
        HERE, "..", "build-bench", "tessera-system-riscv64"))
    ap.add_argument("--qemu", default=shutil.which("qemu-system-riscv64"))
    ap.add_argument("--no-interp", action="store_true",
                    help="skip Tessera's interpreter runs")
    args = ap.parse_args()
    g = guest.find()
    if not g:
        sys.exit(guest.MISSING)
    bins = [] if args.no_interp else [("tessera", args.tessera,
                                       ["-accel", "tcg,jit=off"])]
    bins.append(("tessera-jit", args.tessera, ["-accel", "tcg,jit=on"]))
    if args.qemu:
        bins.append(("qemu", args.qemu, []))
    else:
        print("qemu-system-riscv64 not found: Tessera figures only")

    cases = [
        ("boot", "guest.halt", None, rb"TESSERA-GUEST: init reached"),
        ("cpubench", "guest.run=/bin/cpubench", rb"TESSERA-GUEST: init reached",
         rb"TESSERA-GUEST: run exit"),
    ]
    print("guest: %s, -smp %d, %d runs each" % (g.dir, args.smp, args.runs))
    for name, append, start_pat, end_pat in cases:
        times = {b: [] for b, _, _ in bins}
        for _ in range(args.runs):
            for b, path, extra in bins:     # alternate: same load for all
                times[b].append(run_guest(path, extra, g, args.smp, append,
                                          start_pat, end_pat))
        med = {b: statistics.median(v) for b, v in times.items()}
        line = "%-9s" % name
        for b, _, _ in bins:
            line += "   %s %7.2f s" % (b, med[b])
        if "qemu" in med:
            for b, _, _ in bins:
                if b != "qemu":
                    line += "   %s/qemu %.2f" % (b, med[b] / med["qemu"])
        print(line)
    native = native_cpubench(g)
    if native is not None:
        print("%-9s native  %8.2f s (host gcc -O2)" % ("cpubench", native))


if __name__ == "__main__":
    main()
