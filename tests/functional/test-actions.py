#!/usr/bin/env python3
"""-action, -watchdog-action and QMP set-action / watchdog-set-action,
beside Debian's QEMU 7.2 (the real peer), with a bare-metal guest that
resets the machine as soon as it boots (guests/reboot.S):

- `-action reboot=shutdown` makes the guest's reset end the emulator (exit
  status 0, SHUTDOWN event with reason "guest-reset"), as -no-reboot does;
  QEMU does the same with the same guest;
- without it the guest reboots over and over, until QMP set-action
  reboot=shutdown turns the next reset into an exit;
- `-action reboot=shutdown,shutdown=pause`: the reset stops the VM
  instead of exiting (QMP query-status "shutdown"), as QEMU;
- bad values and keys are refused with QEMU's words; `-action help`.
"""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, run, refused_like_qemu, skip_all  # noqa: E402
import qmp  # noqa: E402

GUEST_DIR = sys.argv[1] if len(sys.argv) > 1 else ""
QEMU = shutil.which("qemu-system-riscv64")
if not GUEST_DIR:
    skip_all("riscv64-linux-gnu-gcc not found, so the test guests were not "
             "built (Debian package gcc-riscv64-linux-gnu)")
if not QEMU:
    skip_all("qemu-system-riscv64 not installed (Debian package "
             "qemu-system-misc)")
t = Tap()
GUEST = os.path.join(GUEST_DIR, "guest-reboot.elf")
WORK = tempfile.mkdtemp(prefix="test-actions-")
PATIENCE = 60               # hang guard, not a timing check


def start(emu, extra, quit=True):
    """qmp.running() for the reboot guest, paused, on either emulator."""
    base = ([TESSERA, "-bios", "none"] if emu == "ours" else
            [QEMU, "-bios", "none", "-nodefaults"])
    return qmp.running(base + ["-M", "virt", "-display", "none", "-serial",
                               "none", "-kernel", GUEST, "-S"] + extra,
                       WORK, quit=quit)


def exits_on_reset(emu, extra):
    """Start paused, continue: (exit status, SHUTDOWN event data)."""
    with start(emu, extra, quit=False) as (p, q):
        q.cmd("cont")
        ev = q.event("SHUTDOWN")
        status = p.wait(PATIENCE)
        return status, ev.get("data") if ev else None


for emu in ("ours", "QEMU"):
    status, data = exits_on_reset(emu, ["-action", "reboot=shutdown"])
    t.ok(status == 0 and data and data.get("reason") == "guest-reset",
         "%s: -action reboot=shutdown: the guest's reset ends the run "
         "(exit 0, SHUTDOWN reason guest-reset)" % emu,
         "status %r, event %r" % (status, data))


def paused_on_reset(emu):
    with start(emu, ["-action", "reboot=shutdown,shutdown=pause"]) as (p, q):
        q.cmd("cont")
        q.event("SHUTDOWN")
        deadline = time.monotonic() + PATIENCE
        st = None
        while time.monotonic() < deadline:
            st = q.cmd("query-status").get("return", {})
            if st.get("status") == "shutdown":
                break
            time.sleep(0.05)
        return p.poll() is None, st


for emu in ("ours", "QEMU"):
    alive, st = paused_on_reset(emu)
    t.ok(alive and st and st.get("status") == "shutdown" and
         not st.get("running"),
         "%s: -action reboot=shutdown,shutdown=pause: the VM stops in "
         "'shutdown' and the emulator stays" % emu, repr(st))


def set_action_at_run_time(emu):
    """Rebooting forever, until set-action says reboot=shutdown."""
    with start(emu, [], quit=False) as (p, q):
        q.cmd("cont")
        resets = 0
        while resets < 3:
            ev = q.event("RESET")
            if not ev:
                break
            resets += 1
        still = p.poll() is None
        reply = q.cmd("set-action", reboot="shutdown")
        ev = q.event("SHUTDOWN")
        status = p.wait(PATIENCE)
        return resets, still, reply, ev.get("data") if ev else None, status


for emu in ("ours", "QEMU"):
    resets, still, reply, data, status = set_action_at_run_time(emu)
    t.ok(resets == 3 and still and reply.get("return") == {} and
         data and data.get("reason") == "guest-reset" and status == 0,
         "%s: rebooting (3 RESET events) until QMP set-action "
         "reboot=shutdown, then the next reset exits" % emu,
         "resets %d, alive %s, reply %r, event %r, status %r" %
         (resets, still, reply, data, status))

# Refusals, run time and start-up.
for emu in ("ours", "QEMU"):
    with start(emu, []) as (p, q):
        answers = [q.cmd("set-action", reboot="bogus").get("error", {})
                   .get("desc"),
                   q.cmd("watchdog-set-action", action="pause").get("return"),
                   q.cmd("watchdog-set-action", action="bogus")
                   .get("error", {}).get("desc")]
    if emu == "ours":
        ours = answers
    else:
        t.ok(ours == answers, "set-action/watchdog-set-action answers as "
             "QEMU's: %s" % answers, "ours %s" % ours)
refused_like_qemu(t, [
    (["-action", "reboot=bogus"],
     "Parameter 'reboot' does not accept value 'bogus'"),
    (["-action", "foo=bar"], "Invalid parameter 'foo'"),
    (["-watchdog-action", "bogus"],
     "Parameter 'watchdog' does not accept value 'bogus'")], QEMU)
st, out, err = run([TESSERA, "-action", "help"])
st2, qout, qerr = run([QEMU, "-action", "help"])
t.ok(st == 0 and out == qout, "-action help as QEMU's", out)
shutil.rmtree(WORK, ignore_errors=True)
t.done()
