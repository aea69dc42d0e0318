#!/usr/bin/env python3
"""Self-modifying code on four harts: the code a hart runs is the code
the memory model says it must see.

The bare-metal guest guests/smc-stress.S runs on -smp 4 (see its header
comment): hart 0 rewrites a shared function thousands of times with
sequences of different lengths and kinds of store, publishes each
version with a store-release and waits for the other harts, which load
the generation with acquire, run fence.i and call it; then it rewrites
another function in bursts while they call it, and a call after
acquire + fence.i must not run older code than the generation it loaded.
Every hart also rewrites its own code and runs it, after fence.i and
without (the JIT's promise for a hart's own stores), including code in
the page being executed and a loop that patches itself.  The guest
counts mismatches and prints a summary line, then powers off with exit
status 0 (all matched) or 1.

Timeouts only keep a hung emulator from hanging the suite; the guest
reports a hart that stops answering itself.

Usage: test-smc-stress.py GUEST_DIR --accel OPTS
       (GUEST_DIR empty: no cross compiler, skip)
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, run, skip_all  # noqa: E402

PATIENCE = 240              # hang guard, not a timing check
HARTS = 4
HANDSHAKE_GENS = 4000       # smc-stress.S: N_HS
RACY_ROUNDS = 2500          # smc-stress.S: N_ROUNDS (a check each at least)

GUEST_DIR = sys.argv[1] if len(sys.argv) > 1 else ""
ACCEL = []
if len(sys.argv) == 4 and sys.argv[2] == "--accel":
    ACCEL = ["-accel", sys.argv[3]]
if not GUEST_DIR:
    skip_all("riscv64-linux-gnu-gcc not found, so the test guests were not "
             "built (Debian package gcc-riscv64-linux-gnu)")

t = Tap()
mode = ACCEL[1] if ACCEL else "default accelerator"
argv = [TESSERA, "-M", "virt", "-m", "128M", "-smp", str(HARTS),
        "-bios", "none", "-kernel",
        os.path.join(GUEST_DIR, "guest-smc-stress.elf"),
        "-nographic"] + ACCEL
try:
    status, out, err = run(argv, timeout=PATIENCE)
except subprocess.TimeoutExpired as e:
    out = e.stdout or b""
    status, err = None, ""
    out = out.decode(errors="replace") if isinstance(out, bytes) else out
text = out.replace("\r\n", "\n")
diag = "command: %s\nexit status %r\n%s%s" % (" ".join(argv), status,
                                              text[-3000:], err[-2000:])

harts = {int(m.group(1)): (int(m.group(2)), int(m.group(3)), int(m.group(4)))
         for m in re.finditer(r"^SMC-STRESS hart=(\d+) checks=(\d+) "
                              r"racy=(\d+) fails=(\d+)$", text, re.M)}
t.ok(sorted(harts) == list(range(HARTS)) and
     all(harts[h][0] >= 2 * HANDSHAKE_GENS and harts[h][1] >= RACY_ROUNDS
         for h in range(1, HARTS)),
     "%s: every hart reports, each reader with at least %d checks of the "
     "shared function and %d of the racy one"
     % (mode, 2 * HANDSHAKE_GENS, RACY_ROUNDS), diag)

failures = re.findall(r"^SMC-STRESS FAIL .*$", text, re.M)
t.ok(re.search(r"^SMC-STRESS ok gens=%d racy-gens=\d+$" % HANDSHAKE_GENS,
               text, re.M) is not None and not failures,
     "%s: every call ran the code it had to (own stores at once, other "
     "harts' after acquire + fence.i)" % mode,
     "\n".join(failures) + "\n" + diag)
t.ok(status == 0, "%s: the guest powers off, exit status 0" % mode, diag)
t.done()
