#!/usr/bin/env python3
"""`-device help` groups devices by category as QEMU 7.2 does.

The groups come in QEMU's order ("Controller/Bridge/Hub devices:",
"USB devices:", "Storage devices:", ... "Uncategorized devices:"), a blank
line between them, each line `name "x"[, bus PCI][, desc "..."]`.  The
categories and buses travel in the plugin sidecars (*.modinfo), so the
listing loads no plugin.  Every device Tessera lists that Debian's
qemu-system-riscv64 lists too must be in the same group with the same
bus.
"""
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, run  # noqa: E402

ORDER = ["Controller/Bridge/Hub", "USB", "Storage", "Network", "Input",
         "Display", "Sound", "Misc", "CPU", "Watchdog", "Uncategorized"]
LINE = re.compile(r'^name "([^"]+)"(?:, bus ([^,]+))?(?:, alias "[^"]+")?'
                  r'(?:, desc "(.*)")?$')
t = Tap()


def groups(text):
    """[(title, {name: bus})] in order, or raise ValueError."""
    out = []
    blocks = text.rstrip("\n").split("\n\n")
    for block in blocks:
        lines = block.split("\n")
        m = re.match(r"^(.+) devices:$", lines[0])
        if not m:
            raise ValueError("not a group header: %r" % lines[0])
        members = {}
        for line in lines[1:]:
            e = LINE.match(line)
            if not e:
                raise ValueError("not a device line: %r" % line)
            members[e.group(1)] = e.group(2)
        out.append((m.group(1), members))
    return out


st, out, err = run([TESSERA, "-device", "help"])
try:
    ours = groups(out)
    parsed = True
except ValueError as e:
    ours, parsed = [], False
    err += str(e)
t.ok(st == 0 and parsed and ours, "-device help prints groups of "
     "`name \"x\"[, bus B], desc \"...\"` lines", out + err)
titles = [g for g, _ in ours]
t.ok(all(g in ORDER for g in titles) and
     titles == sorted(titles, key=ORDER.index),
     "the groups are QEMU's, in its order", titles)
where = {}
for title, members in ours:
    for name, bus in members.items():
        where.setdefault(name, []).append((title, bus))
want = {"nvme": "Storage", "virtio-blk-pci": "Storage",
        "virtio-blk-device": "Storage", "virtio-rng-pci": "Misc",
        "virtio-serial-pci": "Input", "pci-bridge": "Controller/Bridge/Hub",
        "pcie-root-port": "Controller/Bridge/Hub", "pci-testdev": "Misc",
        "loader": "Misc"}
for name, title in want.items():
    t.ok([g for g, _ in where.get(name, [])] == [title],
         "%s is listed under %s devices" % (name, title), where.get(name))
t.ok(where.get("nvme", [(None, None)])[0][1] == "PCI" and
     where.get("loader", [(None, "x")])[0][1] is None,
     "PCI devices say `bus PCI`, the loader no bus", where)

QEMU = shutil.which("qemu-system-riscv64")
if QEMU:
    st, qout, qerr = run([QEMU, "-device", "help"])
    qwhere = {}
    for title, members in groups(qout):
        for name, bus in members.items():
            qwhere.setdefault(name, []).append((title, bus))
    common = sorted(set(where) & set(qwhere))
    # The bus only where Tessera names one (PCI, virtio-bus): nvme-ns
    # has no nvme-bus here.
    def seen(name, w):
        return sorted((g, b if where[name][0][1] else None) for g, b in w)
    diff = dict((n, (where[n], qwhere[n])) for n in common
                if seen(n, where[n]) != seen(n, qwhere[n]))
    t.ok(len(common) >= 10 and not diff, "the %d devices QEMU lists too are "
         "in QEMU's groups with QEMU's bus" % len(common), diff)
    qtitles = [g for g, _ in groups(qout)]
    t.ok(qtitles == sorted(qtitles, key=ORDER.index) and
         set(titles) <= set(qtitles), "and QEMU's groups come in the same "
         "order", qtitles)
else:
    t.skip("groups compared with QEMU", "qemu-system-riscv64 not "
           "installed (Debian package qemu-system-misc)")
t.done()
