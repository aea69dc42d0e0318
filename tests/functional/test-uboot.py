#!/usr/bin/env python3
"""Debian's OpenSBI and U-Boot on the virt board, over the serial console.

The issue's first real guest: fw_jump firmware from the opensbi package
jumps to U-Boot (u-boot-qemu) in S-mode; we check the banners, the
prompt, that U-Boot reads our device tree, and that `reset` reboots the
whole machine back into the firmware.

Usage: test-uboot.py [--accel OPTS]   (e.g. --accel tcg,jit=on)
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, skip_all  # noqa: E402
from console import Console, Timeout  # noqa: E402

ACCEL = []
if len(sys.argv) == 3 and sys.argv[1] == "--accel":
    ACCEL = ["-accel", sys.argv[2]]

import uboot  # noqa: E402
from uboot import command  # noqa: E402

if uboot.missing():
    skip_all(uboot.missing())

t = Tap()


def boot(smp):
    c = Console(uboot.argv(TESSERA, "-smp", str(smp), *ACCEL))
    try:
        m = c.expect(r"OpenSBI v[0-9.]+", timeout=60)
        t.ok(True, "smp %d: OpenSBI banner (%s)" % (smp, m.group(0).decode()))
        c.expect(r"Platform HART Count\s*: %d" % smp, timeout=30)
        t.ok(True, "smp %d: OpenSBI counts %d harts" % (smp, smp))
        c.expect(r"U-Boot 20\d\d", timeout=60)
        c.expect(r"=> ", timeout=60)
        t.ok(True, "smp %d: U-Boot prompt" % smp)
    except Timeout as e:
        t.ok(False, "smp %d: boot to the U-Boot prompt" % smp,
             "%s\n%s" % (e, c.tail()))
        c.close()
        return None
    return c


c = boot(1)
if c:
    try:
        out = command(c, "version")
        t.ok("U-Boot 20" in out and "riscv64-linux-gnu-gcc" in out,
             "version names U-Boot and its compiler", out)
    except Timeout as e:
        t.ok(False, "version answers", "%s\n%s" % (e, c.tail()))
    try:
        out = command(c, "fdt addr $fdtcontroladdr; fdt print /cpus")
        t.ok("cpu@0 {" in out and
             'riscv,isa = "rv64imafdc_zicsr_zifencei' in out and
             "timebase-frequency = <0x00989680>" in out and
             'compatible = "riscv,cpu-intc"' in out,
             "fdt print /cpus shows hart 0 with its ISA, timebase and "
             "interrupt controller", out)
    except Timeout as e:
        t.ok(False, "fdt print /cpus answers", "%s\n%s" % (e, c.tail()))
    try:
        c.send("reset\n")
        c.expect(r"resetting", timeout=20)
        c.expect(r"OpenSBI v[0-9.]+", timeout=60)
        c.expect(r"=> ", timeout=90)
        t.ok(True, "reset reboots into OpenSBI and back to U-Boot")
    except Timeout as e:
        t.ok(False, "reset reboots the machine", "%s\n%s" % (e, c.tail()))
    # Ctrl-a x: the mux's own way out
    c.send("\x01x")
    status = c.wait_exit(20)
    t.ok(status == 0, "Ctrl-a x ends the emulator with status 0",
         "status %r\n%s" % (status, c.tail()))
    c.close()

c = boot(4)
if c:
    c.send("\x01x")
    c.wait_exit(20)
    c.close()
t.done()
