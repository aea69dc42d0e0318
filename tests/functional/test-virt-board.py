#!/usr/bin/env python3
"""The virt board's command line, checked through its device tree
(-machine dumpdtb) and its error messages, without booting a guest."""
import os
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, tessera, skip_all  # noqa: E402

if not shutil.which("dtc"):
    skip_all("dtc not installed (Debian package device-tree-compiler)")

t = Tap()
tmp = tempfile.mkdtemp()


def dts(*args):
    """Dump the tree for a command line; return (status, dts text, err)."""
    dtb = os.path.join(tmp, "virt.dtb")
    if os.path.exists(dtb):
        os.unlink(dtb)
    rc, out, err = tessera("-M", "virt,dumpdtb=" + dtb, "-bios", "none",
                           *args)
    if rc != 0 or not os.path.exists(dtb):
        return rc, "", err
    p = subprocess.run(["dtc", "-I", "dtb", "-O", "dts", dtb],
                       capture_output=True, text=True)
    return rc, p.stdout, err + p.stderr


rc, tree, err = dts("-m", "256M", "-append", "console=ttyS0 quiet")
t.ok(rc == 0 and "ERROR" not in err, "dumpdtb writes a tree dtc accepts",
     err)
t.ok("reg = <0x00 0x80000000 0x00 0x10000000>;" in tree,
     "memory node covers -m 256M at 0x80000000", tree)
t.ok('bootargs = "console=ttyS0 quiet";' in tree, "-append is /chosen's "
     "bootargs")
t.ok('stdout-path = "/soc/serial@10000000";' in tree,
     "stdout-path names the UART")
for node in ("serial@10000000", "test@100000", "rtc@101000",
             "plic@c000000", "clint@2000000", "poweroff", "reboot"):
    t.ok(node + " {" in tree, "tree has " + node)


# A -dtb the board built itself is taken as it is (the checks that keep
# a broken blob from libfdt must let a real one through).
own = os.path.join(tmp, "own.dtb")
shutil.copy(os.path.join(tmp, "virt.dtb"), own)
rc, given, err = dts("-dtb", own, "-m", "512M")
t.ok(rc == 0 and given == tree and
     "reg = <0x00 0x80000000 0x00 0x20000000>;" not in given,
     "-dtb: the board hands over the given tree, not one of its own", err)

def pci_node(text):
    """The pci@30000000 node's properties, sorted (QEMU and libfdt list
    them in different orders)."""
    start = text.find("pci@30000000 {")
    end = text.find("};", start)
    if start < 0:
        return []
    return sorted(line.strip() for line in text[start:end].splitlines()[1:]
                  if line.strip())


# The PCIe host bridge: the node QEMU 7.2 gives the same -m (ECAM, the
# three windows with the 64-bit one above RAM, the INTx map on the PLIC).
for mem in ("256M", "20G"):
    rc, ours, err = dts("-m", mem)
    qemu = shutil.which("qemu-system-riscv64")
    if not qemu:
        t.skip("pci node as QEMU's with -m " + mem,
               "qemu-system-riscv64 not installed (Debian package "
               "qemu-system-misc)")
        continue
    qdtb = os.path.join(tmp, "qemu.dtb")
    subprocess.run([qemu, "-M", "virt,dumpdtb=" + qdtb, "-m", mem,
                    "-display", "none"], capture_output=True)
    q = subprocess.run(["dtc", "-I", "dtb", "-O", "dts", qdtb],
                       capture_output=True, text=True).stdout
    t.ok(pci_node(ours) and pci_node(ours) == pci_node(q),
         "pci@30000000 node as QEMU's with -m " + mem,
         "ours: %s\nqemu: %s" % (pci_node(ours), pci_node(q)))

rc, tree, err = dts("-smp", "2", "-cpu", "rv64,c=off,sstc=off")
t.ok(rc == 0 and 'riscv,isa = "rv64imafd_zicsr' in tree and
     "sstc" not in tree, "-cpu rv64,c=off,sstc=off changes the ISA string",
     err + tree[:3000])
t.ok("cpu@1 {" in tree and "cpu@2 {" not in tree, "-smp 2 gives two harts")

rc, tree, err = dts("-device", "virtio-rng-device",
                    "-device", "virtio-rng-device")
t.ok(rc == 0 and "virtio_mmio@10001000 {" in tree and
     "virtio_mmio@10002000 {" in tree,
     "two virtio devices take the first two virtio-mmio slots", err)

rc, tree, err = dts("-m", "512M", "-smp", "4",
                    "-object", "memory-backend-ram,id=m0,size=256M",
                    "-object", "memory-backend-ram,id=m1,size=256M",
                    "-numa", "node,cpus=0-1,nodeid=0,memdev=m0",
                    "-numa", "node,cpus=2-3,nodeid=1,memdev=m1",
                    "-numa", "dist,src=0,dst=1,val=20")
cpu3 = tree[tree.find("cpu@3 {"):]
t.ok(rc == 0 and "memory@90000000 {" in tree and
     "numa-node-id = <0x01>;" in cpu3[:cpu3.find("};")],
     "-numa: a memory node per NUMA node, CPUs tagged with their node", err)
t.ok("distance-matrix = <0x00 0x00 0x0a 0x00 0x01 0x14 0x01 0x00 0x14 "
     "0x01 0x01 0x0a>;" in tree, "-numa dist: a symmetric distance-map",
     tree[tree.find("distance-map"):][:300])

rc, out, err = tessera("-M", "virt", "-bios", "none", "-display", "none",
                       *(["-device", "virtio-rng-device"] * 9))
t.ok(rc == 1 and "all 8 virtio-mmio slots are taken" in err and
     len(err.strip().splitlines()) == 1,
     "a ninth virtio device: one-line error, exit 1", err)

# A -dtb shorter than the FDT header, starting with its magic (issue 11:
# libfdt read past the end), and one that never ends (read until memory
# ran out).
short_dtb = os.path.join(tmp, "short.dtb")
with open(short_dtb, "wb") as f:
    f.write(b"\xd0\x0d\xfe\xed\x00\x00")
# A header libfdt's own check passes, whose memory reservation map runs
# to the end of the blob with no terminating entry: fdt_open_into moved
# a negative size and the emulator died of SIGSEGV (found by fuzz-dtb).
rsvmap_dtb = os.path.join(tmp, "rsvmap.dtb")
with open(rsvmap_dtb, "wb") as f:
    f.write(struct.pack(">10I", 0xd00dfeed, 72, 56, 72, 40, 17, 16, 0, 0,
                        16) + struct.pack(">QQ", 0, 0x200) +
            struct.pack(">4I", 1, 0, 2, 9))
# A version 3 tree (no block sizes in its header): fdt_check_full itself
# followed a NULL pointer (found by fuzz-dtb).
v3_dtb = os.path.join(tmp, "v3.dtb")
with open(v3_dtb, "wb") as f:
    f.write(struct.pack(">10I", 0xd00dfeed, 72, 56, 72, 40, 3, 0, 0, 0,
                        16) + bytes(16) + struct.pack(">4I", 1, 0, 2, 9))
cases = [
    (["-bios", "none", "-dtb", short_dtb], "not a valid device tree"),
    (["-bios", "none", "-dtb", rsvmap_dtb], "not a valid device tree"),
    (["-bios", "none", "-dtb", v3_dtb], "not a valid device tree"),
    (["-bios", "none", "-dtb", "/dev/zero"], "larger than the board's limit"),
    # A user's device over RAM or over the board's UART (issue 11: both
    # were mapped silently, shadowing what was there).
    (["-device", "ns16550a,addr=0x80000000"],
     "would overlap 'riscv_virt_board.ram'"),
    (["-device", "ns16550a,addr=0x10000080"],
     "would overlap 'ns16550a@10000000'"),
    (["-cpu", "nosuch"], "unable to find CPU model 'nosuch'"),
    (["-cpu", "rv64,d=on,f=off"], "extension 'd' requires 'f'"),
    (["-cpu", "rv64,bogus=on"], "bogus"),
    (["-bios", "/nonexistent/fw.bin"], "/nonexistent/fw.bin"),
    (["-bios", "none", "-initrd", "/etc/hostname"], "-initrd needs -kernel"),
    (["-bios", "none", "-kernel", "/nonexistent/Image"],
     "/nonexistent/Image"),
    (["-bios", "none", "-dtb", "/etc/hostname"], "not a valid device tree"),
    (["-M", "virt,pflash0=x"], "can't find value 'x'"),
    (["-smp", "33"], "33"),
]
for args, want in cases:
    argv = list(args)
    if "-M" not in argv:
        argv = ["-M", "virt"] + argv
    rc, out, err = tessera(*(argv + ["-display", "none", "-S"]), timeout=20)
    t.ok(rc == 1 and want in err and len(err.strip().splitlines()) == 1,
         "%s: one-line error mentioning %r, exit 1" % (" ".join(args), want),
         "status %d: %s" % (rc, err))

# dumpdtb writes through a symlink and into a FIFO instead of replacing
# them with a regular file (issue 11's -writeconfig mistake, here too: run
# as root, dumpdtb=/dev/null replaced /dev/null).
dtb_target = os.path.join(tmp, "target.dtb")
dtb_link = os.path.join(tmp, "link.dtb")
open(dtb_target, "w").close()
os.symlink(dtb_target, dtb_link)
rc, out, err = tessera("-M", "virt,dumpdtb=" + dtb_link, "-bios", "none",
                       "-display", "none", timeout=20)
with open(dtb_target, "rb") as f:
    head = f.read(4)
t.ok(rc == 0 and os.path.islink(dtb_link) and head == b"\xd0\x0d\xfe\xed",
     "dumpdtb through a symlink writes its target, the link stays", err)
dtb_fifo = os.path.join(tmp, "dtb.fifo")
os.mkfifo(dtb_fifo)
reader = subprocess.Popen(["cat", dtb_fifo], stdout=subprocess.PIPE)
rc, out, err = tessera("-M", "virt,dumpdtb=" + dtb_fifo, "-bios", "none",
                       "-display", "none", timeout=20)
try:
    got, _ = reader.communicate(timeout=20)
except subprocess.TimeoutExpired:       # the FIFO was replaced: no writer
    reader.kill()
    got, _ = reader.communicate()
t.ok(rc == 0 and stat.S_ISFIFO(os.lstat(dtb_fifo).st_mode) and
     got[:4] == b"\xd0\x0d\xfe\xed",
     "dumpdtb into a FIFO writes to its reader, the FIFO stays", err)

# An image in the first flash bank is run in place at reset: this one
# stores (7 << 16) | 0x3333 into sifive_test, "fail with status 7".
flash = os.path.join(tmp, "flash.img")
with open(flash, "wb") as f:
    f.write(struct.pack("<5I",
                        0x001002b7,     # lui  t0, 0x100      (sifive_test)
                        0x00073337,     # lui  t1, 0x73
                        0x33330313,     # addi t1, t1, 0x333
                        0x0062a023,     # sw   t1, 0(t0)
                        0x0000006f))    # j    .
rc, out, err = tessera("-M", "virt", "-bios", "none", "-display", "none",
                       "-drive", "if=pflash,unit=0,file=%s,format=raw" % flash,
                       timeout=30)
t.ok(rc == 7, "reset jumps to code in pflash unit 0 (it exits with 7)",
     "status %d: %s" % (rc, err))

log = os.path.join(tmp, "d.log")
rc, out, err = tessera("-M", "virt", "-bios", "none", "-display", "none",
                       "-drive", "if=pflash,unit=0,file=%s,format=raw" % flash,
                       "-d", "in_asm,cpu_reset", "-D", log, timeout=30)
with open(log) as f:
    text = f.read()
t.ok(rc == 7 and "CPU Reset (hart 0)" in text and
     "0x0000000000001000:  auipc t0, 0x0" in text and
     "0x0000000020000004:  lui t1, 0x73" in text,
     "-d in_asm,cpu_reset -D logs the reset state and the code run",
     text[-2000:])

# SIGTERM while the hart runs (trapping at address 0, as -bios none
# without a kernel does): a clean host shutdown, as QEMU does.
p = subprocess.Popen([TESSERA, "-M", "virt", "-bios", "none", "-display",
                      "none"], stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
time.sleep(1)
p.send_signal(signal.SIGTERM)
try:
    out, err = p.communicate(timeout=20)
    t.ok(p.returncode == 0 and "terminating on signal 15" in err,
         "SIGTERM ends a running machine cleanly with status 0",
         "status %d: %s" % (p.returncode, err))
except subprocess.TimeoutExpired:
    p.kill()
    t.ok(False, "SIGTERM ends a running machine")

shutil.rmtree(tmp)
t.done()
