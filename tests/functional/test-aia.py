#!/usr/bin/env python3
"""The virt board's aia= option (none, aplic, aplic-imsic), against QEMU 7.2.

- The AIA guest (guests/aia.c, bare metal, M-mode) programs the IMSIC
  interrupt files through the AIA CSRs, sends them messages, takes the
  interrupts, routes the UART's wired interrupt through the APLIC's M and
  S domains (MSI delivery with aia=aplic-imsic, direct delivery with
  aia=aplic), reaches the second hart (-smp 2) through its IMSIC page and
  the APLIC, and writes what a hostile guest would (identities out of
  range, messages for harts that do not exist, wild registers).  It
  prints architectural state only.  Tessera (interpreter and JIT) must
  print what Debian's qemu-system-riscv64 prints for the same binary on
  the same command line, and end through sifive_test with status 0.
  Without QEMU the comparison is skipped; the lines Tessera must print
  whatever QEMU does are checked anyway.
- The device tree: the APLIC and IMSIC nodes (and the devices'
  interrupt-parent/interrupts, the PCIe host bridge's interrupt-map and
  msi-parent) as QEMU writes them, with phandles resolved to node paths
  (dtc; skipped without it).
- Debian's OpenSBI finds the controllers: with aia=aplic-imsic it takes
  the IMSIC as its IPI device, and its banner's platform lines are
  QEMU's (2 harts).
- aia=foo and unsupported aia-guests are refused.

Linux 6.1, the fixture's kernel, has no AIA drivers, hence bare metal.

Usage: test-aia.py GUEST_DIR   (empty: no cross compiler, skip)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, run, skip_all  # noqa: E402
from console import Console, Timeout  # noqa: E402

GUEST_DIR = sys.argv[1] if len(sys.argv) > 1 else ""
QEMU = shutil.which("qemu-system-riscv64")
PATIENCE = 60               # hang guard, not a timing check

t = Tap()
tmp = tempfile.mkdtemp()


def machine_args(aia, elf):
    return ["-M", "virt,aia=" + aia, "-m", "128M", "-smp", "2",
            "-bios", "none", "-kernel", elf, "-nographic",
            "-monitor", "none", "-serial", "stdio"]


# What Tessera must print whatever QEMU does: the interrupts were taken
# with the right identity, the claims returned what was sent.
MUST = {
    "aplic-imsic": ["mtopei=0x50005", "taken.topei=0x50005",
                    "threshold.enabled3=0x30003", "stopei=0xc000c",
                    "uart.claim=0x210021", "uart.taken=0x210021",
                    "s.uart.stopei=0x300030", "eip1 traps",
                    "miselect 0x20 traps", "eip0.wild=0x0",
                    "hart1.imsic=0x400040", "hart1.aplic=0x410041",
                    "hart1.genmsi=0x420042", "done"],
    "aplic": ["miselect without an IMSIC traps", "uart.topi=0xa0005",
              "uart.claimi=0xa0005", "uart.taken=0xa0005",
              "edge.claimi=0x140001", "s.uart.topi=0xa0003",
              "hart1.idc=0x150007", "done"],
}


def guest_runs():
    for aia, elf_name in (("aplic-imsic", "guest-aia-msi.elf"),
                          ("aplic", "guest-aia-direct.elf")):
        elf = os.path.join(GUEST_DIR, elf_name)
        outs = {}
        # (thread=multi: the second hart's messages cross threads)
        for accel in ("tcg,jit=off", "tcg,jit=on", "tcg,jit=on,thread=multi"):
            rc, out, err = run([TESSERA, "-accel", accel] +
                               machine_args(aia, elf), timeout=PATIENCE)
            outs[accel] = out
            lines = out.splitlines()
            missing = [m for m in MUST[aia] if m not in lines]
            t.ok(rc == 0 and not missing,
                 "aia=%s guest (%s) ends well and prints what it must"
                 % (aia, accel),
                 "status %d, missing %s\n%s%s" % (rc, missing, out, err))
        for accel in ("tcg,jit=on", "tcg,jit=on,thread=multi"):
            t.ok(outs["tcg,jit=off"] == outs[accel],
                 "aia=%s: %s prints what the interpreter prints"
                 % (aia, accel),
                 "\n".join(diff_lines(outs["tcg,jit=off"], outs[accel])))
        if not QEMU:
            t.skip("aia=%s guest prints what QEMU 7.2 prints" % aia,
                   "qemu-system-riscv64 not installed (Debian package "
                   "qemu-system-misc)")
            continue
        rc, qout, qerr = run([QEMU] + machine_args(aia, elf),
                             timeout=PATIENCE)
        t.ok(rc == 0 and qout == outs["tcg,jit=off"],
             "aia=%s guest prints what QEMU 7.2 prints" % aia,
             "QEMU status %d %s\n" % (rc, qerr) +
             "\n".join(diff_lines(qout, outs["tcg,jit=off"])))


def diff_lines(a, b):
    al, bl = a.splitlines(), b.splitlines()
    out = []
    for i in range(max(len(al), len(bl))):
        x = al[i] if i < len(al) else "<none>"
        y = bl[i] if i < len(bl) else "<none>"
        if x != y:
            out.append("line %d: %r vs %r" % (i + 1, x, y))
    return out


# ---- device tree ----------------------------------------------------------

def parse_dts(text):
    """{path: {prop: value text}} from dtc's output."""
    nodes, stack = {}, []
    for raw in text.splitlines():
        line = raw.strip()
        m = re.match(r"^([\w,@.\-/]+) \{$", line)
        if m:
            name = m.group(1)
            stack.append(name if name != "/" else "")
            nodes["/".join(stack) or "/"] = {}
            continue
        if line == "};":
            stack.pop()
            continue
        m = re.match(r"^([\w,#.\-]+)(?: = (.*))?;$", line)
        if m and stack:
            nodes["/".join(stack) or "/"][m.group(1)] = m.group(2) or ""
    return nodes


def cells(value):
    return [int(c, 16) for c in re.findall(r"0x[0-9a-f]+", value)]


# props holding phandles: (name, cells per entry, positions of phandles)
PHANDLE_PROPS = {"interrupts-extended": (2, (0,)), "msi-parent": (1, (0,)),
                 # PCI address (3), pin, then the APLIC's phandle, source
                 # and flags
                 "interrupt-map": (7, (4,)),
                 "riscv,children": (1, (0,)), "riscv,delegate": (3, (0,)),
                 "interrupt-parent": (1, (0,))}


def resolved(nodes):
    """The AIA nodes and devices' interrupt properties, phandles replaced
    by the paths of the nodes they name."""
    by_phandle = {cells(p["phandle"])[0]: path
                  for path, p in nodes.items() if "phandle" in p}
    keep = {}
    for path, props in nodes.items():
        if not re.search(r"/soc/(aplic|imsics|serial|rtc|virtio_mmio|plic|pci)",
                         path):
            continue
        out = {}
        for name, value in props.items():
            if name == "phandle":
                continue
            if name in PHANDLE_PROPS:
                width, where = PHANDLE_PROPS[name]
                c = cells(value)
                value = [by_phandle.get(v, "?") if i % width in where else v
                         for i, v in enumerate(c)]
            out[name] = value
        if not re.search("aplic|imsics", path):
            # devices: only their interrupts are this option's business
            out = {k: v for k, v in out.items()
                   if k in ("interrupts", "interrupt-parent", "msi-parent",
                            "interrupt-map", "interrupt-map-mask")}
        keep[path] = out
    return keep


def dump(binary, aia):
    dtb = os.path.join(tmp, "x.dtb")
    if os.path.exists(dtb):
        os.unlink(dtb)
    rc, out, err = run([binary, "-M", "virt,aia=%s,dumpdtb=%s" % (aia, dtb),
                        "-smp", "2", "-m", "256M", "-nographic",
                        "-device", "virtio-rng-device"],
                       timeout=PATIENCE)
    if not os.path.exists(dtb):
        return None, err
    p = subprocess.run(["dtc", "-I", "dtb", "-O", "dts", dtb],
                       capture_output=True, text=True)
    return parse_dts(p.stdout), err


def device_tree():
    if not shutil.which("dtc"):
        t.skip("device tree nodes", "dtc not installed (Debian package "
               "device-tree-compiler)")
        return
    for aia in ("aplic", "aplic-imsic"):
        ours, err = dump(TESSERA, aia)
        if not t.ok(ours is not None, "aia=%s: dumpdtb writes a tree" % aia,
                    err):
            continue
        mine = resolved(ours)
        names = sorted(p for p in mine if re.search("aplic|imsics", p))
        want = {"aplic": ["/soc/aplic@c000000", "/soc/aplic@d000000"],
                "aplic-imsic": ["/soc/aplic@c000000", "/soc/aplic@d000000",
                                "/soc/imsics@24000000",
                                "/soc/imsics@28000000"]}[aia]
        t.ok(names == want and "/soc/plic@c000000" not in mine,
             "aia=%s: the tree has the APLIC%s nodes and no PLIC"
             % (aia, " and IMSIC" if "imsic" in aia else ""), names)
        serial = mine.get("/soc/serial@10000000", {})
        t.ok(serial.get("interrupt-parent") == ["/soc/aplic@d000000"] and
             cells(serial.get("interrupts", "")) == [10, 4],
             "aia=%s: the UART's interrupt is source 10 (level-high) of "
             "the S-level APLIC" % aia, serial)
        if not QEMU:
            t.skip("aia=%s: the nodes are QEMU's" % aia,
                   "qemu-system-riscv64 not installed")
            continue
        theirs, qerr = dump(QEMU, aia)
        if theirs is None:
            t.ok(False, "aia=%s: QEMU dumps its tree" % aia, qerr)
            continue
        qemu = resolved(theirs)
        diffs = []
        for path in sorted(set(qemu) | set(mine)):
            if "virtio_mmio" in path and path not in mine:
                continue        # Tessera describes the plugged ones only
            a, b = qemu.get(path), mine.get(path)
            if a != b:
                diffs.append("%s:\n  QEMU    %s\n  Tessera %s" % (path, a, b))
        t.ok(not diffs, "aia=%s: the AIA nodes and the devices' interrupts "
             "are QEMU's" % aia, "\n".join(diffs))


def opensbi_banner(binary, aia):
    """OpenSBI's "Platform ..." lines on this machine, or the error."""
    con = Console([binary, "-M", "virt,aia=" + aia, "-smp", "2",
                   "-m", "256M", "-nographic", "-monitor", "none",
                   "-serial", "stdio"])
    try:
        con.expect(r"Boot HART MEDELEG", timeout=PATIENCE)
        text = con.seen.decode(errors="replace")
        return [ln.strip() for ln in text.splitlines()
                if ln.startswith("Platform ")], None
    except (Timeout, EOFError) as e:
        return None, "%s: %s" % (e, con.tail())
    finally:
        con.close()


def opensbi():
    for aia in ("aplic", "aplic-imsic"):
        ours, err = opensbi_banner(TESSERA, aia)
        if not t.ok(ours is not None, "aia=%s: OpenSBI boots" % aia, err):
            continue
        want = "aia-imsic" if aia == "aplic-imsic" else "aclint-mswi"
        t.ok(any(ln.startswith("Platform IPI Device") and want in ln
                 for ln in ours),
             "aia=%s: OpenSBI's IPI device is %s" % (aia, want), ours)
        if not QEMU:
            t.skip("aia=%s: OpenSBI's platform lines are QEMU's" % aia,
                   "qemu-system-riscv64 not installed")
            continue
        theirs, qerr = opensbi_banner(QEMU, aia)
        t.ok(theirs == ours,
             "aia=%s: OpenSBI's platform lines are QEMU's" % aia,
             "QEMU %s%s\nTessera %s" % (theirs, qerr or "", ours))


def bad_option():
    rc, out, err = run([TESSERA, "-M", "virt,aia=foo", "-nographic"],
                       timeout=PATIENCE)
    t.ok(rc != 0 and "Invalid AIA interrupt controller type" in err and
         "Valid values are none, aplic, and aplic-imsic." in err and
         "Traceback" not in err,
         "aia=foo is refused with QEMU's message", err)
    rc, out, err = run([TESSERA, "-M", "virt,aia=aplic-imsic,aia-guests=9",
                        "-nographic"], timeout=PATIENCE)
    t.ok(rc != 0 and "Invalid number of AIA IMSIC guests" in err,
         "aia-guests=9 is refused with QEMU's message", err)
    rc, out, err = run([TESSERA, "-M", "virt,aia=aplic-imsic,aia-guests=2",
                        "-nographic"], timeout=PATIENCE)
    t.ok(rc != 0 and "hypervisor extension" in err and
         len(err.strip().splitlines()) == 1,
         "aia-guests=2 (guest files, not modelled) is refused in one line",
         err)


if GUEST_DIR:
    guest_runs()
else:
    t.skip("the AIA guest", "no riscv64 cross compiler (Debian package "
           "gcc-riscv64-linux-gnu)")
device_tree()
opensbi()
bad_option()
t.done()
