#!/usr/bin/env python3
"""device_add and device_del where no slot can take or give up a device
while the guest runs.

Once the command line's devices are in (even under -S), device_add is a
hot-plug: the root bus pcie.0, a pci-bridge without a hot-plug
controller (shpc=off) and a pcie-root-port with hotplug=off refuse it
with QEMU 7.2's words; a hot-plug capable root port takes it (and
device_del asks the guest).  device_del of a function cold-plugged there
is refused the same way (GenericError; DeviceNotFound is for missing
ids).  Each answer is compared with Debian's
qemu-system-riscv64 given the same command line and commands.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA  # noqa: E402
from qmp import Qmp  # noqa: E402

t = Tap()
QEMU = shutil.which("qemu-system-riscv64")
tmp = tempfile.mkdtemp(prefix="test-pci-hotplug-refused-")

MACHINE = ["-M", "virt", "-display", "none", "-S", "-serial", "none",
           "-monitor", "none",
           "-device", "pci-bridge,id=br,chassis_nr=1,shpc=off",
           "-device", "pcie-root-port,id=rp,chassis=2",
           "-device", "pcie-root-port,id=rp2,chassis=3,hotplug=off",
           "-device", "pci-testdev,id=cold0",
           "-device", "pci-testdev,id=cold1,bus=br,addr=1",
           "-device", "pci-testdev,id=cold2,bus=rp2"]

CASES = [
    ({"driver": "virtio-rng-pci", "id": "a"},
     "Bus 'pcie.0' does not support hotplugging"),
    ({"driver": "pci-testdev", "id": "b", "bus": "pcie.0"},
     "Bus 'pcie.0' does not support hotplugging"),
    ({"driver": "virtio-rng-pci", "id": "c", "bus": "br"},
     "Bus 'br' does not support hotplugging"),
    ({"driver": "virtio-rng-pci", "id": "d", "bus": "rp2"},
     "Hot-plug failed: unsupported by the port device 'rp2'"),
    ({"driver": "virtio-rng-pci", "id": "e", "bus": "rp"}, None),
]


def answers(emulator, name):
    sock = os.path.join(tmp, name + ".sock")
    p = subprocess.Popen([emulator] + MACHINE +
                         ["-qmp", "unix:%s,server=on,wait=off" % sock],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    got = []
    try:
        q = Qmp(sock, p)
        for args, _ in CASES:
            got.append(q.cmd("device_add", args))
        got.append(q.cmd("device_del", id="e"))
        for cold in ("cold0", "cold1", "cold2", "nosuch"):
            got.append(q.cmd("device_del", id=cold))
        q.close()
    finally:
        p.kill()
        p.wait()
    return got


ours = answers(TESSERA, "tessera")
for (args, want), reply in zip(CASES, ours):
    where = args.get("bus", "the default bus")
    if want:
        err = reply.get("error", {})
        t.ok(err.get("class") == "GenericError" and err.get("desc") == want,
             "device_add %s on %s: %s" % (args["driver"], where, want),
             reply)
    else:
        t.ok(reply.get("return") == {}, "device_add on a hot-plug capable "
             "root port succeeds", reply)
t.ok(ours[len(CASES)].get("return") == {}, "and device_del of it is "
     "accepted", ours[len(CASES)])
DEL = [("cold0", "GenericError", "Bus 'pcie.0' does not support hotplugging"),
       ("cold1", "GenericError", "Bus 'br' does not support hotplugging"),
       ("cold2", "GenericError",
        "Hot-unplug failed: unsupported by the port device 'rp2'"),
       ("nosuch", "DeviceNotFound", "Device 'nosuch' not found")]
for (name, cls, want), reply in zip(DEL, ours[len(CASES) + 1:]):
    t.ok(reply.get("error") == {"class": cls, "desc": want},
         "device_del %s: %s" % (name, want), reply)

if QEMU:
    theirs = answers(QEMU, "qemu")
    t.ok(theirs == ours, "qemu-system-riscv64 answers the same",
         "ours %r\nqemu %r" % (ours, theirs))
else:
    t.skip("answers compared with QEMU", "qemu-system-riscv64 not "
           "installed (Debian package qemu-system-misc)")

shutil.rmtree(tmp, ignore_errors=True)
t.done()
