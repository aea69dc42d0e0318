#!/usr/bin/env python3
"""-rtc base=DATE,clock=vm under the test Linux guest, beside Debian's
QEMU 7.2 (the real peer) with the same command line: the guest's RTC
(goldfish, read through /sys/class/rtc/rtc0/since_epoch) starts at the
given date, and with clock=vm it does not advance while the VM is
stopped (QMP stop, a few seconds, cont).  Also `-rtc help` and QEMU's
refusals.
"""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, run, refused_like_qemu, skip_all  # noqa: E402
from qmp import Qmp  # noqa: E402
import guest  # noqa: E402

QEMU = shutil.which("qemu-system-riscv64")
if not QEMU:
    skip_all("qemu-system-riscv64 not installed (Debian package "
             "qemu-system-misc)")
g = guest.find_or_skip()
t = Tap()
WORK = tempfile.mkdtemp(prefix="test-rtc-")
BASE = 1150560081               # 2006-06-17T16:01:21Z
PAUSE = 4                       # seconds stopped


def rtc_seconds(c):
    out = guest.shell(c, "cat /sys/class/rtc/rtc0/since_epoch")
    return int(out.strip().splitlines()[-1])


def check(name, emulator):
    sock = os.path.join(WORK, "%s.sock" % name)
    extra = ["-rtc", "base=2006-06-17T16:01:21,clock=vm", "-qmp",
             "unix:%s,server=on,wait=off" % sock]
    if emulator == QEMU:
        extra += ["-bios", guest.DEFAULT_BIOS]
    c = guest.boot(emulator, g, extra)
    try:
        first = rtc_seconds(c)
        # Hang guard only: a slow boot under load must not matter.
        t.ok(BASE <= first <= BASE + 600,
             "%s: the guest's RTC starts at -rtc base= (2006-06-17)" % name,
             "since_epoch %d, base %d" % (first, BASE))
        q = Qmp(sock)
        before = rtc_seconds(c)
        q.cmd("stop")
        time.sleep(PAUSE)
        q.cmd("cont")
        after = rtc_seconds(c)
        q.close()
        t.ok(0 <= after - before < PAUSE,
             "%s: with clock=vm the RTC did not run during %d s stopped"
             % (name, PAUSE), "before %d after %d" % (before, after))
        guest.poweroff(t, c, name)
    finally:
        c.close()


check("ours", TESSERA)
check("QEMU", QEMU)
refused_like_qemu(t, [(["-rtc", "clock=bogus"],
                       "invalid option value 'bogus'"),
                      (["-rtc", "foo=1"], "Invalid parameter 'foo'"),
                      (["-rtc", "base=yesterday"],
                       "invalid datetime format")], QEMU)
st, out, err = run([TESSERA, "-rtc", "help"])
st2, qout, qerr = run([QEMU, "-rtc", "help"])
t.ok(st == 0 and out == qout, "-rtc help as QEMU's", out)
shutil.rmtree(WORK, ignore_errors=True)
t.done()
