#!/usr/bin/env python3
"""-device loader on the virt board, as QEMU's manual uses it.

With -bios none and no kernel the harts would start at the bottom of RAM,
where there is nothing; a run only ends well if the loader put a program
where it says and pointed a CPU at it.  The program reports through the
sifive_test finisher at 0x100000: 0x5555 is a pass (exit status 0),
(N << 16) | 0x3333 a failure with status N.  Images are built here, in
every format the loader reads, around the same few instructions.
"""
import gzip
import os
import struct
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, tessera  # noqa: E402

ENTRY = 0x80001000
FINISHER = 0x100000

# At ENTRY (rv64, no compressed instructions):
#   lui  t0, 0x100        t0 = the finisher
#   lui  t1, 0x5
#   addiw t1, t1, 0x555   t1 = 0x5555 (pass)
#   sw   t1, 0(t0)
#   j    .
PASS = struct.pack("<5I", 0x001002b7, 0x00005337, 0x5553031b, 0x0062a023,
                   0x0000006f)

t = Tap()
tmp = tempfile.TemporaryDirectory(prefix="test-generic-loader-")


def path(name, data):
    p = os.path.join(tmp.name, name)
    with open(p, "wb") as f:
        f.write(data)
    return p


def elf64(entry, paddr, code):
    """A little-endian RISC-V ELF64 executable with one PT_LOAD."""
    ehdr = struct.pack("<4sBBBBB7xHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0,
                       2, 243, 1, entry, 64, 0, 0, 64, 56, 1, 0, 0, 0)
    phdr = struct.pack("<IIQQQQQQ", 1, 5, 64 + 56, paddr, paddr, len(code),
                       len(code) + 64, 0x1000)
    return ehdr + phdr + code


def uimage(load, ep, payload, comp):
    """A U-Boot legacy kernel image (header CRC computed last)."""
    def header(hcrc):
        return struct.pack(">7I4B32s", 0x27051956, hcrc, 0, len(payload),
                           load, ep, zlib.crc32(payload), 5, 26, 2, comp,
                           b"tessera test")
    return header(zlib.crc32(header(0))) + payload


def ihex(addr, data, start):
    """Intel HEX: an extended linear address, data, a start address."""
    def rec(kind, offset, body):
        raw = bytes([len(body), offset >> 8, offset & 0xff, kind]) + body
        return ":%s%02X\n" % (raw.hex().upper(), -sum(raw) & 0xff)
    out = rec(4, 0, struct.pack(">H", addr >> 16))
    for i in range(0, len(data), 16):
        out += rec(0, (addr + i) & 0xffff, data[i:i + 16])
    out += rec(5, 0, struct.pack(">I", start)) + rec(1, 0, b"")
    return out.encode()


def boots(desc, *args, smp="1", status=0):
    """The machine runs the loaded program and exits with `status`."""
    try:
        rc, out, err = tessera("-M", "virt", "-smp", smp, "-bios", "none",
                               "-nographic", *args, timeout=60, input="")
    except Exception as e:       # a hang: the loader missed
        t.ok(False, desc, "no exit: %s" % e)
        return
    t.ok(rc == status, desc, "exit status %d, stderr:\n%s" % (rc, err))


def refused(desc, device, fragment):
    rc, out, err = tessera("-M", "virt", "-bios", "none", "-nographic",
                           "-device", device, timeout=30, input="")
    t.ok(rc == 1 and fragment in err, desc,
         "exit status %d, stderr:\n%s" % (rc, err))


elf = path("pass.elf", elf64(ENTRY, ENTRY, PASS))
raw = path("pass.bin", PASS)
boots("ELF with cpu-num: CPU 0 starts at its entry",
      "-device", "loader,file=%s,cpu-num=0" % elf)
boots("ELF with cpu-num=1 on two harts: CPU 1 starts at its entry",
      "-device", "loader,file=%s,cpu-num=1" % elf, smp="2")
boots("uImage (gzip) with cpu-num: entry from the header",
      "-device", "loader,file=%s,cpu-num=0" % path(
          "pass.uimg", uimage(ENTRY, ENTRY, gzip.compress(PASS), 1)))
boots("Intel HEX with cpu-num: entry from the start record",
      "-device", "loader,file=%s,cpu-num=0" % path(
          "pass.hex", ihex(ENTRY, PASS, ENTRY)))
boots("raw file with addr and cpu-num: CPU 0 starts at addr",
      "-device", "loader,file=%s,addr=0x%x,cpu-num=0" % (raw, ENTRY))
boots("raw file alone, then addr with cpu-num sets only the PC",
      "-device", "loader,file=%s,addr=0x%x" % (raw, ENTRY),
      "-device", "loader,addr=0x%x,cpu-num=0" % ENTRY)
boots("a value stored into a device register (the finisher, status 5)",
      "-device", "loader,addr=0x%x,data=0x53333,data-len=4" % FINISHER,
      status=5)

refused("no properties: nothing to do", "loader", "nothing to do")
refused("addr without cpu-num", "loader,addr=0x80000000",
        "cpu-num must be given")
refused("a CPU that does not exist", "loader,addr=0x80000000,cpu-num=4",
        "cpu-num=4: there is no such CPU (the machine has 1)")
refused("data-len 3", "loader,addr=0x80000000,data=1,data-len=3",
        "data-len must be 1, 2, 4 or 8")
bad = path("bad.elf", elf64(ENTRY, ENTRY, PASS)[:130])
refused("a truncated ELF is named", "loader,file=%s" % bad,
        "%s: segment 0: file data" % bad)
refused("an image outside RAM", "loader,file=%s,addr=0x40000000" % raw,
        "raw image (0x14 bytes at 0x40000000): address 0x40000000 is not "
        "RAM or ROM")

rc, out, err = tessera("-device", "help")
t.ok(rc == 0 and 'name "loader"' in out, "-device help lists loader", out)
rc, out, err = tessera("-device", "loader,help")
t.ok(rc == 0 and all(p + "=" in out for p in (
    "addr", "cpu-num", "data", "data-be", "data-len", "file", "force-raw")),
    "-device loader,help lists QEMU's properties", out)

t.done()
