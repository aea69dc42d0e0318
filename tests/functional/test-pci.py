#!/usr/bin/env python3
"""The virt board's PCIe host bridge seen by the test Linux guest.

Boots the guest with pci-testdev functions (one plain, two as functions
0 and 1 of a multi-function slot, one behind a pcie-root-port) and checks what Linux's generic ECAM
driver found in /sys/bus/pci/devices: the same functions with the same
vendor, device, class, subsystem ids and BAR sizes as under
qemu-system-riscv64 with the same command line.  Then the monitors:
`info pci` and `query-pci` as QEMU shapes them.  Then a hostile guest,
through /dev/mem: config reads of absent functions and buses are
all-ones, a BAR programmed over RAM leaves RAM alone, two BARs
programmed over each other answer without harm, and the emulator keeps
running the guest.  Then hot-plug: device_add on the root bus is refused
(as QEMU's), behind the root port Linux's pciehp brings the device in;
device_del waits for the guest to power the slot off, then
DEVICE_DELETED.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA  # noqa: E402
from console import Console  # noqa: E402
import guest  # noqa: E402
from qmp import Qmp  # noqa: E402

g = guest.find_or_skip()
t = Tap()
shell = guest.shell

DEVICES = ["-device", "pci-testdev,id=td",
           "-device", "pci-testdev,addr=04.0,multifunction=on,id=f0",
           "-device", "pci-testdev,addr=04.1,id=f1",
           "-device", "pcie-root-port,id=rp,slot=5",
           "-device", "pci-testdev,bus=rp,id=behind"]
ECAM = 0x30000000

# vendor, device, class and subsystem ids of every function, by address
SYSFS = ("cd /sys/bus/pci/devices && for d in *; do "
                "echo $d $(cat $d/vendor $d/device $d/class "
                "$d/subsystem_vendor $d/subsystem_device); done; cd /")


def boot(emulator, extra):
    devices = DEVICES
    args = [emulator, "-M", "virt", "-m", "256M", "-nographic",
            "-kernel", g.image, "-initrd", g.initrd,
            "-append", "console=ttyS0"] + devices + extra
    if "qemu" in os.path.basename(emulator):
        args += ["-bios", guest.DEFAULT_BIOS]
    c = Console(args)
    guest.wait_for_shell(c)
    return c


def functions(c):
    out = shell(c, SYSFS)
    return sorted(line.split() for line in out.splitlines()
                  if line.startswith("0000:"))


def devmem(c, addr, width=32, value=None):
    cmd = "devmem 0x%x %d" % (addr, width)
    if value is not None:
        cmd += " 0x%x" % value
    out = shell(c, cmd).strip()
    return int(out, 16) if value is None and out.startswith("0x") else None


tmp = tempfile.mkdtemp(prefix="test-pci-")
qmp_path = os.path.join(tmp, "qmp.sock")
c = boot(TESSERA, ["-qmp", "unix:%s,server=on,wait=off" % qmp_path])
try:
    ours = functions(c)
    want = [["0000:00:00.0", "0x1b36", "0x0008", "0x060000", "0x1af4",
             "0x1100"],
            ["0000:00:01.0", "0x1b36", "0x0005", "0x00ff00", "0x1af4",
             "0x1100"],
            ["0000:00:02.0", "0x1b36", "0x000c", "0x060400", "0x1b36",
             "0x0000"],
            ["0000:00:04.0", "0x1b36", "0x0005", "0x00ff00", "0x1af4",
             "0x1100"],
            ["0000:00:04.1", "0x1b36", "0x0005", "0x00ff00", "0x1af4",
             "0x1100"],
            ["0000:01:00.0", "0x1b36", "0x0005", "0x00ff00", "0x1af4",
             "0x1100"]]
    t.ok(ours == want, "Linux finds the host bridge, the root port and "
         "the four pci-testdev functions (one behind the port) with their "
         "ids", repr(ours))
    res = shell(c, "cat /sys/bus/pci/devices/0000:00:01.0/resource | "
                "head -2")
    sizes = []
    for line in res.splitlines():
        f = line.split()
        if len(f) == 3 and f[0] != "0x0000000000000000":
            sizes.append(int(f[1], 16) - int(f[0], 16) + 1)
    t.ok(sizes == [4096, 256], "BAR0 4 KiB and BAR1 256 bytes, assigned "
         "by Linux inside the windows", res)

    # The monitors, with the addresses Linux gave the BARs.
    q = Qmp(qmp_path, c.proc)
    pci = q.cmd("query-pci").get("return", [{"bus": -1, "devices": []}])
    devs = pci[0]["devices"] if pci else []
    shape = [(d["slot"], d["function"], d["id"]["vendor"],
              d["id"]["device"], d["class_info"]["class"], d["qdev_id"])
             for d in devs]
    t.ok(pci[0]["bus"] == 0 and shape == [
        (0, 0, 0x1b36, 8, 0x600, ""), (1, 0, 0x1b36, 5, 0xff, "td"),
        (2, 0, 0x1b36, 0xc, 0x604, "rp"),
        (4, 0, 0x1b36, 5, 0xff, "f0"), (4, 1, 0x1b36, 5, 0xff, "f1")] and
        [(d["slot"], d["qdev_id"]) for d in
         devs[2].get("pci_bridge", {}).get("devices", [])] == [(0, "behind")],
        "query-pci lists the functions as QEMU does", json.dumps(pci))
    regions = devs[1]["regions"] if len(devs) > 1 else []
    t.ok([(r["bar"], r["type"], r["size"]) for r in regions] ==
         [(0, "memory", 4096), (1, "io", 256)] and
         regions[0]["mem_type_64"] is False,
         "query-pci: pci-testdev's regions", json.dumps(regions))
    hmp = q.cmd("human-monitor-command",
                {"command-line": "info pci"}).get("return", "")
    hmp_ours = hmp
    t.ok("  Bus  0, device   1, function 0:\n"
         "    Class 0255: PCI device 1b36:0005\n"
         "      PCI subsystem 1af4:1100\n"
         "      BAR0: 32 bit memory at 0xffffffffffffffff [0x00000ffe].\n"
         "      BAR1: I/O at 0xffffffffffffffff [0x00fe].\n"
         "      id \"td\"\n" in hmp and
         "    Host bridge: PCI device 1b36:0008\n" in hmp,
         "info pci in QEMU's format (no driver enabled the BARs: unmapped)",
         hmp)

    # Hostile guest through /dev/mem.
    have_devmem = "devmem" in shell(c, "which devmem")
    if not have_devmem:
        for name in ("absent functions read all-ones",
                     "BAR over RAM", "BARs over each other"):
            t.skip(name, "the guest's busybox has no devmem")
    else:
        absent = [devmem(c, ECAM + (bdf << 12)) for bdf in
                  (0x05 << 3, (0x01 << 3) | 3, 0x200 | 0x00, 0xff << 8)]
        t.ok(absent == [0xffffffff] * 4, "config reads of absent "
             "functions and buses are all-ones", repr(absent))
        # testdev 01.0's BAR0 onto RAM: the guest's memory stays its own
        td_cfg = ECAM + (0x01 << 15)
        ram = 0x80200000
        before = devmem(c, ram)
        devmem(c, td_cfg + 0x10, 32, ram)
        devmem(c, td_cfg + 0x04, 16, 0x0007)
        after = devmem(c, ram)
        t.ok(before is not None and before == after and
             "alive" in shell(c, "echo alive"),
             "a BAR programmed over RAM leaves RAM alone",
             "before %r after %r" % (before, after))
        # both multi-function BAR0s at one address in the window
        spot = 0x40100000
        for fn in (0, 1):
            cfg = ECAM + (0x04 << 15) + (fn << 12)
            devmem(c, cfg + 0x10, 32, spot)
            devmem(c, cfg + 0x04, 16, 0x0002)
        width = devmem(c, spot + 1, 8)
        t.ok(width == 4 and "alive" in shell(c, "echo alive"),
             "two BARs over each other: one answers, the guest runs on",
             repr(width))
        hmp = q.cmd("human-monitor-command",
                    {"command-line": "info pci"}).get("return", "")
        t.ok(hmp.count("BAR0: 32 bit memory at 0x40100000") == 2,
             "info pci shows both BARs at the shared address", hmp)

    # device_add on the root bus while the guest runs: refused, as QEMU
    # does (no slot there can tell the guest); test-pci-hotplug-refused.py
    # compares every such answer with QEMU's.
    r = q.cmd("device_add", {"driver": "pci-testdev", "id": "late",
                             "addr": "06"})
    t.ok(r.get("error", {}).get("desc") ==
         "Bus 'pcie.0' does not support hotplugging" and
         "alive" in shell(c, "echo alive"),
         "device_add pci-testdev on pcie.0 is refused, the guest runs on",
         repr(r))

    # Native hot-plug behind the root port: device_add appears in the
    # guest (pciehp), device_del presses the attention button, the guest
    # powers the slot off and DEVICE_DELETED follows.
    r = q.cmd("device_add", {"driver": "pci-testdev", "bus": "rp",
                             "id": "hot", "addr": "0.1"})
    t.ok("error" in r, "a second function in the occupied slot is "
         "refused", repr(r))
    r = q.cmd("device_del", {"id": "behind"})
    ev = q.event("DEVICE_DELETED")
    while ev["data"].get("device") != "behind":   # "late"'s, from above
        ev = q.event("DEVICE_DELETED")
    gone = shell(c, "sleep 1; ls /sys/bus/pci/devices")
    t.ok("return" in r and ev["data"].get("device") == "behind" and
         "0000:01:00.0" not in gone,
         "device_del behind the root port: the guest lets it go, then "
         "DEVICE_DELETED", "%r %r %r" % (r, ev, gone))
    r = q.cmd("device_add", {"driver": "pci-testdev", "bus": "rp",
                             "id": "hot"})
    found = ""
    for _ in range(20):
        found = shell(c, "ls /sys/bus/pci/devices; sleep 0.5")
        if "0000:01:00.0" in found:
            break
    t.ok("return" in r and "0000:01:00.0" in found,
         "device_add behind the root port: the guest finds it (pciehp)",
         "%r %r" % (r, found))
    q.close()
finally:
    c.send("poweroff -f\n")
    c.wait_exit(30)

# The same command line under QEMU: the same functions and ids.
qemu = shutil.which("qemu-system-riscv64")
if not qemu:
    t.skip("same functions as qemu-system-riscv64",
           "qemu-system-riscv64 not installed (Debian package "
           "qemu-system-misc)")
else:
    qmp_q = os.path.join(tmp, "qemu-qmp.sock")
    qc = boot(qemu, ["-qmp", "unix:%s,server=on,wait=off" % qmp_q])
    try:
        theirs = functions(qc)
        t.ok(theirs == ours, "the guest sees the same functions and ids "
             "as under qemu-system-riscv64", "ours %r\nqemu %r" %
             (ours, theirs))
        qq = Qmp(qmp_q, qc.proc)
        hmp_qemu = qq.cmd("human-monitor-command",
                          {"command-line": "info pci"}).get("return", "")
        qq.close()
        # (QEMU ends its lines with CRLF there: the text is what counts)
        t.ok(hmp_qemu and hmp_qemu.replace("\r\n", "\n") == hmp_ours,
             "info pci reads as qemu-system-riscv64's",
             "ours:\n%s\nqemu:\n%s" % (hmp_ours, hmp_qemu))
    finally:
        qc.send("poweroff -f\n")
        qc.wait_exit(30)

shutil.rmtree(tmp, ignore_errors=True)
t.done()
