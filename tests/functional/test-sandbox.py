#!/usr/bin/env python3
"""-sandbox beside Debian's QEMU 7.2: with every option denying, the
process runs under a seccomp filter (/proc/PID/status Seccomp: 2, as
QEMU's), its monitor answers, a bare-metal guest that resets the machine
runs to its end (-action reboot=shutdown: exit 0) with vCPU threads made
under the filter, and the options are refused in QEMU's words.  What each
option denies is tests/unit/test-sandbox.c's business.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, refused_like_qemu, skip_all  # noqa: E402
import qmp  # noqa: E402

GUEST_DIR = sys.argv[1] if len(sys.argv) > 1 else ""
QEMU = shutil.which("qemu-system-riscv64")
if not GUEST_DIR:
    skip_all("riscv64-linux-gnu-gcc not found, so the test guests were not "
             "built (Debian package gcc-riscv64-linux-gnu)")
if not QEMU:
    skip_all("qemu-system-riscv64 not installed (Debian package "
             "qemu-system-misc)")
st = subprocess.run([TESSERA, "-M", "none", "-sandbox", "on", "-S",
                     "-display", "none", "-qmp", "stdio"],
                    input='{"execute":"qmp_capabilities"}\n'
                          '{"execute":"quit"}\n',
                    capture_output=True, text=True, timeout=60)
if "seccomp support is disabled" in st.stderr:
    skip_all("built without libseccomp (Debian package libseccomp-dev)")
t = Tap()
WORK = tempfile.mkdtemp(prefix="test-sandbox-")
ALL = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"


def seccomp_mode(emu):
    argv = ([TESSERA, "-bios", "none"] if emu == "ours" else
            [QEMU, "-nodefaults"])
    with qmp.running(argv + ["-M", "virt", "-display", "none", "-S",
                             "-sandbox", ALL], WORK, quit=False) as (p, q):
        status = q.cmd("query-status").get("return", {}).get("status")
        fields = {}
        with open("/proc/%d/status" % p.pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                fields[k] = v.strip()
        q.cmd("quit")
        rc = p.wait(60)
    return status, fields.get("Seccomp"), fields.get("NoNewPrivs"), rc


for emu in ("ours", "QEMU"):
    status, mode, nnp, rc = seccomp_mode(emu)
    t.ok(status == "prelaunch" and mode == "2" and nnp == "1" and rc == 0,
         "%s: -sandbox %s: a seccomp filter (Seccomp 2, NoNewPrivs 1), the "
         "monitor answers, quit exits 0" % (emu, ALL),
         "status %r, Seccomp %r, NoNewPrivs %r, exit %r" %
         (status, mode, nnp, rc))

p = subprocess.run([TESSERA, "-M", "virt", "-bios", "none", "-display",
                    "none", "-serial", "none", "-smp", "2", "-kernel",
                    os.path.join(GUEST_DIR, "guest-reboot.elf"),
                    "-action", "reboot=shutdown", "-sandbox", ALL],
                   capture_output=True, text=True, timeout=120)
t.ok(p.returncode == 0, "a guest runs under the whole sandbox (2 harts, "
     "reset -> shutdown, exit 0)", "exit %d\n%s" % (p.returncode, p.stderr))

refused_like_qemu(t, [
    (["-sandbox", "bogus"], "Parameter 'enable' expects 'on' or 'off'"),
    (["-sandbox", "on,spawn=bogus"], "invalid argument for spawn"),
    (["-sandbox", "on,foo=1"], "Invalid parameter 'foo'")], QEMU)
shutil.rmtree(WORK, ignore_errors=True)
t.done()
