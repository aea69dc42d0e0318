#!/usr/bin/env python3
"""Boot the test Linux guest on the virt board and use its shell.

Usage: test-linux.py [--smp N] [--cpubench] [--accel OPTS]

Checks that the kernel reaches the guest's init, that shell commands run
over the serial console, that /proc/cpuinfo lists as many harts as -smp
asked for, optionally that /bin/cpubench prints the checksum the guest
was built with (the same program gives the same line under Debian's QEMU),
and that `poweroff -f` ends the emulator with status 0.
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA  # noqa: E402
from console import Console, Timeout  # noqa: E402
import guest  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--smp", default="1", help="the -smp argument")
ap.add_argument("--cpubench", action="store_true")
ap.add_argument("--accel", help="an -accel argument (e.g. tcg,jit=on)")
opts = ap.parse_args()
smp = dict(kv.split("=") for kv in opts.smp.split(",")[1:])
cpus = int(opts.smp.split(",")[0])
sockets = int(smp.get("sockets", 1))

g = guest.find_or_skip()

t = Tap()
PROMPT = guest.PROMPT


shell = guest.shell


accel = ["-accel", opts.accel] if opts.accel else []
c = Console([TESSERA, "-M", "virt", "-smp", opts.smp, "-m", "512M"] + accel +
            ["-nographic", "-kernel", g.image, "-initrd", g.initrd,
             "-append", "console=ttyS0"])
try:
    c.expect(r"TESSERA-GUEST: init reached", timeout=240)
    t.ok(True, "smp %s: Linux reaches the guest's init" % opts.smp)
    c.expect(PROMPT, timeout=60)
    out = shell(c, "grep -c ^processor /proc/cpuinfo")
    t.ok(out.strip() == str(cpus), "/proc/cpuinfo lists %d harts" % cpus,
         out)
    out = shell(c, "cat /sys/devices/system/cpu/cpu%d/topology/"
                   "physical_package_id" % (cpus - 1))
    t.ok(out.strip() == str(sockets - 1),
         "the last hart is in socket %d (cpu-map)" % (sockets - 1), out)
    out = shell(c, "grep -m1 ^isa /proc/cpuinfo")
    t.ok("rv64imafdc" in out, "/proc/cpuinfo shows the ISA string", out)
    out = shell(c, "echo $((6*7)) && uname -m")
    t.ok(out.split() == ["42", "riscv64"], "shell arithmetic and uname",
         out)
    if opts.cpubench:
        out = shell(c, "/bin/cpubench", timeout=600)
        want = g.cpubench_line
        if want:
            t.ok(want in out, "cpubench prints %s" % want, out)
        else:
            t.ok(re.search(r"checksum=[0-9a-f]+", out) is not None,
                 "cpubench prints a checksum (no reference line)", out)
    c.send("poweroff -f\n")
    status = c.wait_exit(60)
    t.ok(status == 0, "poweroff -f ends the emulator with status 0",
         "status %r\n%s" % (status, c.tail()))
except Timeout as e:
    t.ok(False, "guest session", "%s\n%s" % (e, c.tail()))
finally:
    c.close()
t.done()
