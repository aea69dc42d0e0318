#!/usr/bin/env python3
"""The virt board's CFI flash, driven by Debian's U-Boot.

Bank 1 is backed by a raw image (-drive if=pflash,unit=1,format=raw):
U-Boot's flinfo must find both banks with the Intel command set, md must
read the image, and erase + cp.b into the flash must change exactly the
bytes they name, in the file on disk.  With readonly=on U-Boot's erase
must fail and the file stay as it was.  The command-line errors around
-drive are checked without booting.

Usage: test-pflash.py [--accel OPTS]   (e.g. --accel tcg,jit=on)
"""
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, tessera, skip_all  # noqa: E402
from console import Console, Timeout  # noqa: E402
import uboot  # noqa: E402
from uboot import command, quit  # noqa: E402

ACCEL = []
if len(sys.argv) == 3 and sys.argv[1] == "--accel":
    ACCEL = ["-accel", sys.argv[2]]


BANK1 = 0x22000000
BLOCK = 0x40000                 # the bank's erase block (two chips)
IMAGE_LEN = 0x100000            # smaller than the bank: padded with 0xff
WRITE_AT = BLOCK                # the second block of bank 1
PATTERN = bytes.fromhex("11eeffc0")     # c0ffee11 as little-endian words

t = Tap()
tmp = tempfile.mkdtemp()
image = os.path.join(tmp, "flash.img")
original = bytes((i * 7 + 3) & 0xff for i in range(IMAGE_LEN))
with open(image, "wb") as f:
    f.write(original)


def fails(args, want, desc):
    rc, out, err = tessera(*(["-M", "virt", "-display", "none", "-S",
                              "-bios", "none"] + args), timeout=20)
    t.ok(rc == 1 and want in err, desc, "status %d: %s" % (rc, err))


# Refused without booting anything.
fails(["-drive", "if=sd,format=raw,file=" + image],
      "machine type does not support if=sd,bus=0,unit=0",
      "-drive if=sd: virt has no SD card, as QEMU says")
fails(["-drive", "if=pflash,file=%s,format=bogus" % image],
      "Unknown driver 'bogus'", "-drive format=bogus refused")
fails(["-drive", "if=pflash,unit=2,file=%s,format=raw" % image],
      "machine type does not support if=pflash,bus=0,unit=2",
      "a third flash unit is refused: virt has two banks")
big = os.path.join(tmp, "big.img")
with open(big, "wb") as f:
    f.truncate(32 * 1024 * 1024 + 1)
fails(["-drive", "if=pflash,unit=0,file=%s,format=raw" % big],
      "is 33554433 bytes, larger than the flash bank (33554432 bytes)",
      "an image larger than the bank is refused with both sizes")
fails(["-M", "virt,pflash0=flash0"], "can't find value 'flash0'",
      "-machine pflash0= names a block node that must exist")
fails(["-blockdev", "driver=file,filename=%s,node-name=f0" % image,
       "-drive", "if=pflash,unit=0,format=raw,file=" + image,
       "-M", "virt,pflash0=f0"], "pflash0 is given twice",
      "-machine pflash0= and -drive if=pflash,unit=0 together are refused")

why = uboot.missing()
if why:
    for what in ("flinfo", "md", "erase + cp.b", "file", "readonly"):
        t.skip("U-Boot " + what, why)
    shutil.rmtree(tmp)
    t.done()


def boot(drive):
    c = Console(uboot.argv(TESSERA, *(ACCEL + ["-drive", drive])))
    try:
        c.expect(r"Flash: 32 MiB|Flash: 64 MiB", timeout=120)
        c.expect(r"=> ", timeout=120)
    except Timeout as e:
        t.ok(False, "U-Boot prompt with a flash drive",
             "%s\n%s" % (e, c.tail()))
        c.close()
        return None
    return c


def md_words(out):
    """The 32-bit words of `md.l` output."""
    words = []
    for line in out.splitlines():
        if ":" not in line:
            continue
        for w in line.split(":", 1)[1].split()[:4]:
            if not re.fullmatch(r"[0-9a-f]{8}", w):
                break           # the ASCII column of a short line
            words.append(int(w, 16))
    return words


def words_of(data):
    return [int.from_bytes(data[i:i + 4], "little")
            for i in range(0, len(data), 4)]


c = boot("if=pflash,unit=1,file=%s,format=raw" % image)
if c:
    try:
        out = command(c, "flinfo")
        t.ok("Bank # 1" in out and "Bank # 2" in out and
             "CFI conformant" in out and "Intel Extended command set" in out
             and "Manufacturer ID: 0x89" in out and "20000000" in out and
             "22000000" in out,
             "flinfo lists both banks, CFI with the Intel command set", out)
        out = command(c, "md.l %x 8" % BANK1)
        t.ok(md_words(out) == words_of(original[:32]),
             "md reads the image file", out)
        out = command(c, "md.l %x 4" % (BANK1 + IMAGE_LEN))
        t.ok(md_words(out) == [0xffffffff] * 4,
             "past the image's end the bank reads erased", out)
        # Modes switch under the CPU's feet: read the array, ask for the
        # status and the identifier, go back, all on one command line
        # (the hart must not keep reading the array it had cached).
        out = command(c, "md.l 20001000 1; mw.l 20001000 00700070; "
                      "md.l 20001000 1; mw.l 20001000 00900090; "
                      "md.l 20000000 2; mw.l 20000000 00ff00ff; "
                      "md.l 20001000 1")
        t.ok(md_words(out) == [0xffffffff, 0x00800080, 0x00890089,
                               0x00180018, 0xffffffff],
             "blank bank 0: array, status, identifier, array again", out)
        command(c, "mw.l 84000000 c0ffee11 40")
        out = command(c, "erase %x +%x" % (BANK1 + WRITE_AT, BLOCK),
                      timeout=120)
        ok = "Erased" in out and "error" not in out.lower()
        out2 = command(c, "cp.b 84000000 %x 100" % (BANK1 + WRITE_AT),
                       timeout=120)
        ok = ok and "done" in out2 and "error" not in out2.lower()
        out3 = command(c, "md.l %x 44" % (BANK1 + WRITE_AT))
        words = md_words(out3)
        t.ok(ok and words[:0x40] == [0xc0ffee11] * 0x40 and
             words[0x40:0x44] == [0xffffffff] * 4,
             "erase and cp.b into the flash, md reads them back",
             out + out2 + out3)
        command(c, "mw.l %x 00700070" % BANK1)
        status = command(c, "md.l %x 1" % BANK1)
        command(c, "mw.l %x 00ff00ff" % BANK1)
        t.ok(md_words(status) == [0x00800080],
             "the status register reads ready without errors afterwards",
             status)
    except Timeout as e:
        t.ok(False, "U-Boot flash commands answer", "%s\n%s" % (e, c.tail()))
    finally:
        status = quit(c)        # whatever went wrong, no emulator is left
    with open(image, "rb") as f:
        data = f.read()
    expect = bytearray(original)
    expect[WRITE_AT:WRITE_AT + BLOCK] = b"\xff" * BLOCK
    expect[WRITE_AT:WRITE_AT + 0x100] = PATTERN * 0x40
    t.ok(status == 0 and data == bytes(expect),
         "the file holds the erased block and the copied bytes, the rest "
         "untouched", "status %r, length %d, first difference at %s" % (
             status, len(data),
             next((hex(i) for i in range(min(len(data), len(expect)))
                   if data[i] != expect[i]), "the end")))

written = open(image, "rb").read()
c = boot("if=pflash,unit=1,file=%s,format=raw,readonly=on" % image)
if c:
    try:
        out = command(c, "md.l %x 4" % BANK1)
        # U-Boot 2023.01 reports no Intel error bits once SR.7 is set,
        # so its erase "succeeds"; the status register tells the truth:
        # read it by hand (Read Status to both chips, then back to
        # read-array).
        out = command(c, "erase %x +%x" % (BANK1, BLOCK), timeout=120)
        command(c, "mw.l %x 00700070" % BANK1)
        status = command(c, "md.l %x 1" % BANK1)
        command(c, "mw.l %x 00500050; mw.l %x 00ff00ff" % (BANK1, BANK1))
        t.ok(md_words(status) == [0x00a800a8],
             "readonly=on: erase leaves ready + erase error + Vpp low "
             "(0xa8) in both chips' status", out + status)
        out = command(c, "md.l %x 4" % BANK1)
        t.ok(md_words(out) == words_of(written[:16]),
             "readonly=on: the bank still reads the image", out)
    except Timeout as e:
        t.ok(False, "U-Boot answers on a read-only bank",
             "%s\n%s" % (e, c.tail()))
    finally:
        quit(c)
    t.ok(open(image, "rb").read() == written,
         "readonly=on: the file is unchanged")

shutil.rmtree(tmp)
t.done()
