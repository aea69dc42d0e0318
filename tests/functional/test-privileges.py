#!/usr/bin/env python3
"""-chroot and -runas (root only), beside Debian's QEMU 7.2: once the VM
is built, the process lives in the given directory with the given
identity, keeps answering its monitor (a socket opened before), and
cannot get root back; unknown users are refused in QEMU's words.
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, refused_like_qemu, skip_all  # noqa: E402
import qmp  # noqa: E402

if os.geteuid() != 0:
    skip_all("-runas and -chroot need root")
QEMU = shutil.which("qemu-system-riscv64")
if not QEMU:
    skip_all("qemu-system-riscv64 not installed (Debian package "
             "qemu-system-misc)")
t = Tap()
WORK = tempfile.mkdtemp(prefix="test-privileges-")
os.chmod(WORK, 0o755)
JAIL = os.path.join(WORK, "jail")
os.mkdir(JAIL)


def ids(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Uid", "Gid", "Groups"):
                out[key] = value.split()
    return out


def jailed(emu):
    argv = ([TESSERA, "-bios", "none"] if emu == "ours" else
            [QEMU, "-nodefaults"])
    with qmp.running(argv + ["-M", "virt", "-display", "none", "-S",
                             "-runas", "65534:65534", "-chroot", JAIL],
                     WORK) as (p, q):
        status = q.cmd("query-status").get("return", {}).get("status")
        return status, ids(p.pid), os.readlink("/proc/%d/root" % p.pid)


for emu in ("ours", "QEMU"):
    status, who, root = jailed(emu)
    t.ok(status == "prelaunch" and who.get("Uid") == ["65534"] * 4 and
         who.get("Gid") == ["65534"] * 4 and who.get("Groups") == ["65534"] and
         root == JAIL,
         "%s: -runas 65534:65534 -chroot DIR: every uid and gid 65534, "
         "groups only 65534, root DIR, the monitor still answers" % emu,
         "status %r, ids %r, root %r" % (status, who, root))

refused_like_qemu(t, [(["-runas", "no-such-user-here"],
                       'User "no-such-user-here" doesn\'t exist (and is not '
                       '<uid>:<gid>)')], QEMU)
shutil.rmtree(WORK, ignore_errors=True)
t.done()
