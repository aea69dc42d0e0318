#!/usr/bin/env python3
"""Disk benchmarks (issues 12 and 13): dd in the test Linux guest on a
virtio-blk-device, a virtio-blk-pci or an nvme disk, Tessera and Debian's
qemu-system-riscv64 with the same image and the same options, alternating
runs in one invocation.

    bench/disk.py [--runs N] [--mib N] [--small-mib N] [--formats raw,qcow2]
                  [--caches none,writeback] [--devices virtio-blk-device,
                  virtio-blk-pci,nvme] [--tessera PATH] [--qemu PATH]
                  [--tessera-before PATH]

For each format and cache mode, one guest boot per emulator and run does,
on the disk (/dev/vda, or /dev/nvme0n1 for nvme; direct I/O, so the
guest's page cache plays no part):

seq-write   dd if=/dev/zero of=/dev/vda bs=1M count=MIB oflag=direct
seq-read    dd if=/dev/vda of=/dev/null bs=1M count=MIB iflag=direct
4k-write    dd ... bs=4k oflag=direct, SMALL_MIB MiB (32)
4k-read     dd ... bs=4k iflag=direct, the same

Each dd is timed on the host, from typing it on the guest's console to
the shell's next prompt (the guest's clock is the emulator's), and the
emulator's host CPU time (all threads, /proc) over the same span is
taken too: on a shared machine the CPU milliseconds per MiB move much
less with the load than the throughput does.  The
image is made fresh for every boot (raw: a sparse file; qcow2: qemu-img
create), in a temporary directory (set TMPDIR to put it on the disk you
want to measure).  MiB/s medians with the range over the runs, the
median CPU ms per MiB, and the Tessera/QEMU ratio are printed;
above 1 means Tessera is faster here.  --tessera-before adds a second
Tessera build (say, one made from the commit before a change) to the
same alternation, so that a before/after comparison sees the same load.
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
from console import Console  # noqa: E402

FW = guest.DEFAULT_BIOS


def make_image(fmt, path, mib):
    size = (mib + 64) << 20
    if fmt == "raw":
        with open(path, "wb") as f:
            f.truncate(size)
    else:
        subprocess.run(["qemu-img", "create", "-q", "-f", fmt, path,
                        str(size)], check=True)


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system CPU time of the whole process (all its threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def timed(c, line, timeout=1800):
    """Wall seconds and the emulator's host CPU seconds for one command."""
    cpu0 = cpu_seconds(c.proc.pid)
    t0 = time.perf_counter()
    out = guest.shell(c, line, timeout=timeout)
    dt = time.perf_counter() - t0
    cpu = cpu_seconds(c.proc.pid) - cpu0
    if "records out" not in out:
        sys.exit("dd failed: %s\n%s" % (line, out))
    return dt, cpu


def rate(mib, t):
    """MiB/s and host CPU milliseconds per MiB of one timed dd."""
    return (mib / t[0], 1000.0 * t[1] / mib)


# -device arguments and the guest's name of the disk, per device type.
DEVICES = {
    "virtio-blk-device": ("virtio-blk-device,drive=d0", "/dev/vda"),
    "virtio-blk-pci": ("virtio-blk-pci,drive=d0", "/dev/vda"),
    "nvme": ("nvme,drive=d0,serial=BENCH0", "/dev/nvme0n1"),
}


def one_boot(binary, extra, g, fmt, cache, mib, small_mib, device):
    with tempfile.TemporaryDirectory() as d:
        img = os.path.join(d, "disk." + fmt)
        make_image(fmt, img, max(mib, small_mib))
        argv = [binary] + extra + [
            "-M", "virt", "-smp", "1", "-m", "512M", "-nographic",
            "-bios", FW, "-kernel", g.image, "-initrd", g.initrd,
            "-append", "console=ttyS0",
            "-drive", "file=%s,format=%s,if=none,id=d0,cache=%s"
            % (img, fmt, cache),
            "-device", DEVICES[device][0]]
        dev = DEVICES[device][1]
        c = Console(argv)
        try:
            c.expect(r"TESSERA-GUEST: init reached", timeout=600)
            c.expect(guest.PROMPT, timeout=120)
            guest.shell(c, "stty cols 250")
            small = small_mib * 256
            res = {
                "seq-write": rate(mib, timed(c, "dd if=/dev/zero of=%s "
                                             "bs=1M count=%d oflag=direct"
                                             % (dev, mib))),
                "seq-read": rate(mib, timed(c, "dd if=%s of=/dev/null "
                                            "bs=1M count=%d iflag=direct"
                                            % (dev, mib))),
                "4k-write": rate(small / 256, timed(
                    c, "dd if=/dev/zero of=%s bs=4k count=%d "
                    "oflag=direct" % (dev, small))),
                "4k-read": rate(small / 256, timed(
                    c, "dd if=%s of=/dev/null bs=4k count=%d "
                    "iflag=direct" % (dev, small))),
            }
            c.send("poweroff -f\n")
            c.wait_exit(60)
            return res
        finally:
            c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mib", type=int, default=512)
    ap.add_argument("--small-mib", type=int, default=32)
    ap.add_argument("--formats", default="raw,qcow2")
    ap.add_argument("--caches", default="none,writeback")
    ap.add_argument("--devices", default="virtio-blk-device",
                    help="comma-separated: " + ",".join(DEVICES))
    ap.add_argument("--tessera", default=os.path.join(
        HERE, "..", "build-bench", "tessera-system-riscv64"))
    ap.add_argument("--qemu", default=shutil.which("qemu-system-riscv64"))
    ap.add_argument("--tessera-accel", default="tcg,jit=on",
                    help="Tessera's -accel ('' for none)")
    ap.add_argument("--tessera-before", default=None,
                    help="another Tessera binary, run alternately as 'before'")
    args = ap.parse_args()
    g = guest.find()
    if not g:
        sys.exit(guest.MISSING)
    accel = ["-accel", args.tessera_accel] if args.tessera_accel else []
    bins = [("tessera", args.tessera, accel)]
    if args.tessera_before:
        bins.append(("before", args.tessera_before, accel))
    if args.qemu:
        bins.append(("qemu", args.qemu, []))
    else:
        print("qemu-system-riscv64 not found: Tessera figures only")
    print("disk: %s, %d MiB sequential (1 MiB blocks), %d MiB in 4 KiB "
          "blocks, direct I/O, %d runs each, median MiB/s"
          % (tempfile.gettempdir(), args.mib, args.small_mib, args.runs))
    for device in args.devices.split(","):
        if device not in DEVICES:
            sys.exit("unknown device %s (one of %s)"
                     % (device, ", ".join(DEVICES)))
    for device, fmt, cache in [(d, f, c) for d in args.devices.split(",")
                               for f in args.formats.split(",")
                               for c in args.caches.split(",")]:
        got = {b: [] for b, _, _ in bins}
        for _ in range(args.runs):
            for b, path, extra in bins:
                got[b].append(one_boot(path, extra, g, fmt, cache,
                                       args.mib, args.small_mib,
                                       device))
        for what in ("seq-write", "seq-read", "4k-write", "4k-read"):
            med = {b: statistics.median(r[what][0] for r in got[b])
                   for b in got}
            line = "%-17s %-5s cache=%-9s %-9s" % (device, fmt, cache,
                                                   what)
            for b, _, _ in bins:
                speeds = [r[what][0] for r in got[b]]
                cpu = statistics.median(r[what][1] for r in got[b])
                line += "   %s %7.1f MiB/s (%.1f-%.1f) %6.1f cpu-ms/MiB" % (
                    b, med[b], min(speeds), max(speeds), cpu)
            if "qemu" in med:
                line += "   tessera/qemu %.2f" % (med["tessera"] /
                                                  med["qemu"])
                if "before" in med:
                    line += "   before/qemu %.2f" % (med["before"] /
                                                     med["qemu"])
            print(line)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
