#!/usr/bin/env python3
"""The JIT's -d logs on a tiny bare-metal guest run from flash.

The guest counts a register down from 100 in a loop, then tells
sifive_test to fail with status 7, so the exit status says it ran.

- -d in_asm,out_asm: the guest's instructions and, for each block the
  JIT makes, a "host code for pc ..." header with the x86-64 code:
  disassembled by capstone when the build has it (--capstone yes), else
  in hex with a line saying capstone was missing at build time.
- the same with split-wx=on (the code is read through the executable
  view of the cache).
- jit=off: the interpreter makes no host code, so out_asm adds nothing.
- -d op,op_opt: the translator's IR before and after the optimiser.
  Until the translator produces IR text these checks skip.

Usage: test-jit-log.py --capstone yes|no
       (whether meson found capstone for this build)
"""
import os
import re
import shutil
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, tessera  # noqa: E402

CAPSTONE = len(sys.argv) == 3 and sys.argv[1] == "--capstone" and \
    sys.argv[2] == "yes"

PROGRAM = [
    0x001002b7,     # lui  t0, 0x100        (sifive_test)
    0x06400393,     # addi t2, zero, 100
    0xfff38393,     # 1: addi t2, t2, -1
    0xfe039ee3,     # bnez t2, 1b
    0x00073337,     # lui  t1, 0x73
    0x33330313,     # addi t1, t1, 0x333    (fail, status 7)
    0x0062a023,     # sw   t1, 0(t0)
    0x0000006f,     # j    .
]
FLASH_PC = 0x20000000       # where the virt board's first flash bank is

HEADER = re.compile(r"^hart 0: host code for pc 0x([0-9a-f]{16}) at "
                    r"0x[0-9a-f]{16}, (\d+) bytes:$", re.M)
# capstone's lines: address, bytes, mnemonic and operands
HOST_INSN = re.compile(r"^  0x[0-9a-f]{16}:  (?:[0-9a-f]{2} ?)+\s+"
                       r"([a-z][a-z0-9.]*)\b.*$", re.M)
HEX_LINE = re.compile(r"^  0x[0-9a-f]{16}: (?: [0-9a-f]{2}){1,16}$", re.M)
IR_HEADER = re.compile(r"^hart 0: IR (after optimisation )?for pc "
                       r"0x([0-9a-f]{16}):$", re.M)

t = Tap()
tmp = tempfile.mkdtemp(prefix="tessera-jit-log-")
flash = os.path.join(tmp, "flash.img")
with open(flash, "wb") as f:
    f.write(struct.pack("<%dI" % len(PROGRAM), *PROGRAM))


def run_logged(items, accel="tcg,jit=on"):
    """Run the guest with -d items into a file: (exit status, log)."""
    log = os.path.join(tmp, "d.log")
    if os.path.exists(log):
        os.unlink(log)
    rc, out, err = tessera("-M", "virt", "-bios", "none", "-display", "none",
                           "-accel", accel,
                           "-drive", "if=pflash,unit=0,file=%s,format=raw"
                           % flash, "-d", items, "-D", log, timeout=60)
    text = ""
    if os.path.exists(log):
        with open(log, errors="replace") as f:
            text = f.read()
    return rc, text + err


def check_out_asm(what, accel):
    rc, text = run_logged("in_asm,out_asm", accel)
    t.ok(rc == 7, "%s: the guest runs to its exit status 7 with -d "
         "in_asm,out_asm" % what, "status %d\n%s" % (rc, text[-2000:]))
    t.ok("hart 0: 0x0000000020000000:  lui t0, 0x100" in text,
         "%s: in_asm shows the guest's code" % what, text[:2000])
    blocks = {int(pc, 16): int(size) for pc, size in HEADER.findall(text)}
    t.ok(FLASH_PC in blocks and FLASH_PC + 8 in blocks and
         all(size > 0 for size in blocks.values()),
         "%s: out_asm has a header (guest pc, host address, size) for the "
         "first block and the loop" % what, text[:3000])
    if CAPSTONE:
        mnemonics = set(HOST_INSN.findall(text))
        t.ok({"mov", "jmp"} <= mnemonics,
             "%s: out_asm lists x86-64 instructions from capstone (mov, "
             "jmp among %d mnemonics)" % (what, len(mnemonics)),
             text[:3000])
    else:
        t.skip("%s: out_asm lists x86-64 instructions from capstone" % what,
               "built without capstone (Debian package libcapstone-dev)")
        t.ok("capstone was not available at build time" in text and
             HEX_LINE.search(text),
             "%s: without capstone out_asm shows the host code in hex and "
             "says why" % what, text[:3000])


check_out_asm("jit", "tcg,jit=on")
check_out_asm("split-wx", "tcg,jit=on,split-wx=on")

rc, text = run_logged("in_asm,out_asm", "tcg,jit=off")
t.ok(rc == 7 and "lui t0, 0x100" in text and not HEADER.search(text),
     "jit=off: in_asm still logs, out_asm has no host code to show",
     "status %d\n%s" % (rc, text[:2000]))

# The IR text comes from the translator; until it calls on_jit_ir the
# log has none of it, and these checks wait for it.
rc, text = run_logged("op,op_opt")
t.ok(rc == 7, "the guest runs with -d op,op_opt", "status %d" % rc)
dumps = IR_HEADER.findall(text)
if not dumps:
    t.skip("-d op and op_opt log the IR of each block",
           "the translator does not produce IR text yet")
else:
    before = {int(pc, 16) for opt, pc in dumps if not opt}
    after = {int(pc, 16) for opt, pc in dumps if opt}
    t.ok(FLASH_PC in before and FLASH_PC in after and before == after,
         "-d op and op_opt log the IR of each block, before and after "
         "the optimiser", text[:3000])
    bodies = re.split(IR_HEADER.pattern, text, flags=re.M)
    t.ok(all(b.strip() for b in bodies[3::3]),
         "each IR header is followed by the IR's text", text[:3000])
    rc, text = run_logged("op_opt")
    t.ok(rc == 7 and IR_HEADER.search(text) and
         "IR for pc" not in text,
         "-d op_opt alone logs only the optimised IR", text[:2000])

shutil.rmtree(tmp)
t.done()
