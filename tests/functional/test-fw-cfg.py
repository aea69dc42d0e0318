#!/usr/bin/env python3
"""The virt board's fw_cfg device ("qemu,fw-cfg-mmio" at 0x10100000)
read by a bare-metal guest (guests/fw-cfg.c) through the traditional
and the DMA interface, beside Debian's QEMU 7.2 (the real peer) with the
same command line: signature, interface bits, -uuid, -nographic, -boot
menu=/reboot-timeout=, the file directory and every file's contents,
DMA skips, zero fill past an item, and a hostile driver's descriptors
(no memory there, writes to read-only items, past the end of RAM, a
descriptor outside RAM) must read the same, line for line.

-fw_cfg items: QEMU 7.2 refuses the option on this board ("fw_cfg
device not available", its device is made after the options are
applied); Tessera gives the guest the items, whose sizes and contents
the test checks, and refuses malformed ones on one line.

Usage: test-fw-cfg.py GUEST_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, refused_like_qemu, skip_all  # noqa: E402

GUEST_DIR = sys.argv[1] if len(sys.argv) > 1 else ""
ELF = os.path.join(GUEST_DIR, "guest-fw-cfg.elf")
if not GUEST_DIR or not os.path.exists(ELF):
    skip_all("no riscv64 cross compiler (Debian package "
             "gcc-riscv64-linux-gnu)")
QEMU = shutil.which("qemu-system-riscv64")
t = Tap()
WORK = tempfile.mkdtemp(prefix="test-fw-cfg-")


def dump(emulator, extra=()):
    p = subprocess.run([emulator, "-M", "virt", "-nographic", "-bios",
                        "none", "-kernel", ELF] + list(extra),
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout.replace("\r", "")


def fnv(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


CASES = [
    ("defaults", []),
    ("-uuid, -boot menu=on,reboot-timeout=", [
        "-uuid", "12345678-9abc-def0-1234-56789abcdef0",
        "-boot", "menu=on,reboot-timeout=1000"]),
]
for name, extra in CASES:
    st, ours = dump(TESSERA, extra)
    t.ok(st == 0 and ours.rstrip().endswith("done") and
         "signature=QEMU" in ours, "%s: the guest reads fw_cfg to the end"
         % name, ours)
    if QEMU:
        qst, theirs = dump(QEMU, extra)
        t.ok(ours == theirs, "%s: what the guest reads equals QEMU's" % name,
             "ours:\n%s\nQEMU's:\n%s" % (ours, theirs))
    else:
        t.skip("%s: beside QEMU" % name, "qemu-system-riscv64 not "
               "installed (Debian package qemu-system-misc)")

# -fw_cfg items, from a file and a string, in the directory sorted by
# name with the board's own files.
blob = os.urandom(10000)
path = os.path.join(WORK, "blob.bin")
with open(path, "wb") as f:
    f.write(blob)
st, out = dump(TESSERA, ["-fw_cfg", "name=opt/org.example/blob,file=%s"
                         % path, "-fw_cfg", "opt/hello,string=hi there"])
files = [l.split()[1] for l in out.splitlines() if l.startswith("file ")]
t.ok(files == sorted(files) and "opt/hello" in files and
     "opt/org.example/blob" in files and "files=0x5" in out,
     "-fw_cfg: both items are in the directory, sorted by name", out)
t.ok("file opt/org.example/blob size=%s fnv=%s ctl=0x0"
     % (hex(len(blob)), hex(fnv(blob))) in out,
     "-fw_cfg file=: the guest reads the file's bytes by DMA", out)
t.ok("file opt/hello size=0x8 fnv=%s ctl=0x0" % hex(fnv(b"hi there")) in out,
     "-fw_cfg string=: the guest reads the string (without a NUL)", out)

refused_like_qemu(t, [
    (["-fw_cfg", "opt/x"], "-fw_cfg opt/x: invalid argument(s)"),
    (["-fw_cfg", "opt/x,file=%s,string=y" % path], "invalid argument(s)"),
    (["-fw_cfg", "opt/" + "x" * 60 + ",string=y"],
     "name too long (max. 55 char)"),
    (["-fw_cfg", "opt/x,file=%s/missing" % WORK], "missing"),
    (["-fw_cfg", "opt/x,string=a", "-fw_cfg", "opt/x,string=b"],
     "duplicate fw_cfg file name: opt/x"),
])
t.done()
shutil.rmtree(WORK, ignore_errors=True)
