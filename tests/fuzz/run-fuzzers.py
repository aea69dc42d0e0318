#!/usr/bin/env python3
"""Run one libFuzzer target for a bounded time from its seed corpus.

Usage: run-fuzzers.py TARGET EXECUTABLE

The targets are built by meson with -Dfuzzing=true (clang, see
tests/fuzz/meson.build); each runs for TESSERA_FUZZ_SECONDS (default 20)
from the small seed corpus below.  A crash, leak, sanitizer report or
timeout fails the test."""
import gzip
import os
import shutil
import struct
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, run  # noqa: E402

SECONDS = int(os.environ.get("TESSERA_FUZZ_SECONDS", "20"))


def loader_seeds():
    """fuzz-loader inputs: a parser number, then a small valid image."""
    code = bytes(range(16))
    elf = struct.pack("<4sBBBBB7xHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0,
                      2, 243, 1, 0x80000000, 64, 0, 0, 64, 56, 1, 0, 0, 0)
    elf += struct.pack("<IIQQQQQQ", 1, 5, 120, 0x80000000, 0x80000000, 16,
                       64, 0x1000) + code
    gz = gzip.compress(code)

    def uimage(comp, payload):
        def header(hcrc):
            return struct.pack(">7I4B32s", 0x27051956, hcrc, 0, len(payload),
                               0x80000000, 0x80000000, zlib.crc32(payload),
                               5, 26, 2, comp, b"seed")
        return header(zlib.crc32(header(0))) + payload
    ihex = (b":0200000480007A\n:0400100001020304E2\n"
            b":040000058000000077\n:00000001FF\n")
    return [b"\x00" + elf, b"\x01" + uimage(0, code), b"\x01" +
            uimage(1, gz), b"\x02" + ihex]


HERE = os.path.dirname(os.path.abspath(__file__))


def dtb_seeds():
    """fuzz-dtb inputs: the virt board's own tree (seeds/virt.dtb, from
    tessera-system-riscv64 -M virt,dumpdtb=F -m 128M) and the smallest
    tree there is (a header, an empty root node, no strings)."""
    with open(os.path.join(HERE, "seeds", "virt.dtb"), "rb") as f:
        virt = f.read()
    struct_block = struct.pack(">I4xII", 1, 2, 9)
    header_len, rsvmap_len = 40, 16
    off_struct = header_len + rsvmap_len
    total = off_struct + len(struct_block)
    empty = struct.pack(">10I", 0xd00dfeed, total, off_struct, total,
                        header_len, 17, 16, 0, 0, len(struct_block))
    empty += bytes(rsvmap_len) + struct_block
    return [virt, empty, virt[:40]]


CONFIG = b"""# qemu config file

[machine]
  type = "virt"
  dumpdtb = "x.dtb"

[memory]
  size = "128M"

[smp-opts]
  cpus = "2"
  sockets = "2"

[name]
  guest = "fuzz"

[boot-opts]
  order = "cd"
  menu = "on"

[object "mem0"]
  qom-type = "memory-backend-ram"
  size = "128M"

[numa]
  type = "node"
  memdev = "mem0"

[global]
  driver = "virtio-rng-device"
  property = "x"
  value = "1"

[chardev "c0"]
  backend = "socket"
  path = "a,b.sock"
  server = "on"

[device "rng0"]
  driver = "virtio-rng-device"

[mon "m0"]
  chardev = "c0"
  mode = "control"
"""


def qcow2_seeds():
    """fuzz-qcow2 inputs: small images made by Debian's qemu-img (512-byte
    clusters keep them a few KiB): v2 and v3, data, zero clusters, a
    snapshot, zstd-compressed clusters, a backing file name, 1- and 64-bit
    refcounts.  None when qemu-img is absent (the hand-made header below
    still starts the run)."""
    seeds = []
    hdr = struct.pack(">IIQIIQIIQQIIQQQQII", 0x514649fb, 3, 0, 0, 9, 1 << 20,
                      0, 1, 1536, 512, 1, 0, 0, 0, 0, 0, 4, 104)
    img = bytearray(2048)
    img[:len(hdr)] = hdr
    img[512:520] = struct.pack(">Q", 1024)
    img[1024:1032] = struct.pack(">HHHH", 1, 1, 1, 1)
    seeds.append(bytes(img))
    qimg, qio = shutil.which("qemu-img"), shutil.which("qemu-io")
    if not qimg or not qio:
        return seeds
    d = tempfile.mkdtemp(prefix="qcow2-seeds-")
    raw = os.path.join(d, "r.raw")
    with open(raw, "wb") as f:
        f.write(b"seed" * 512)
        f.truncate(64 << 10)
    jobs = [
        ("v3", ["-o", "cluster_size=512"], ["write -P 1 0 1k", "write -z 4k 1k"], None),
        ("v2", ["-o", "cluster_size=512,compat=0.10"], ["write -P 2 1k 1k"], None),
        ("snap", ["-o", "cluster_size=512"], ["write -P 3 0 512"], "snap"),
        ("rb1", ["-o", "cluster_size=512,refcount_bits=1"], ["write -P 4 0 512"], None),
        ("rb64", ["-o", "cluster_size=512,refcount_bits=64"], ["write -P 5 0 512"], None),
        ("back", ["-o", "cluster_size=512", "-b", "base.raw", "-F", "raw"], [], None),
    ]
    for name, opts, cmds, snap in jobs:
        img = os.path.join(d, name + ".qcow2")
        size = [] if "-b" in opts else ["64k"]
        run([qimg, "create", "-f", "qcow2"] + opts + [img] + size)
        for c in cmds:
            run([qio, "-f", "qcow2", "-c", c, img])
        if snap:
            run([qimg, "snapshot", "-c", snap, img])
        if os.path.exists(img):
            seeds.append(open(img, "rb").read())
    img = os.path.join(d, "z.qcow2")
    run([qimg, "convert", "-c", "-f", "raw", "-O", "qcow2", "-o",
         "cluster_size=512,compression_type=zstd", raw, img])
    if os.path.exists(img):
        seeds.append(open(img, "rb").read())
    shutil.rmtree(d, ignore_errors=True)
    return seeds


SEEDS = {
    "fuzz-opts": [b"virt,accel=tcg:kvm,dumpdtb=a,,b", b"size=1.5G,slots=2",
                  b"help", b"x,,,=y,", b"0x10k"],
    "fuzz-qmp": [b'{"execute":"qmp_capabilities"}{"execute":"query-status"}',
                 b'{"execute":"qom-list","arguments":{"path":"/"},"id":[1]}',
                 b'[{"a":"\\u0041"}', b'{"execute":"query-version"'],
    "fuzz-loader": loader_seeds(),
    "fuzz-dtb": dtb_seeds(),
    "fuzz-readconfig": [CONFIG, b"[drive]\n", b'[device "a"]\n driver = "x\n',
                        b"[accel]\n  accel = \"tcg\"\n  thread = \"single\"\n"],
    "fuzz-qcow2": None,
    "fuzz-nbd-client": None,        # fuzz-nbd-client-seeds.py
    # chunk-pause bytes, then frames: whole, split, empty, oversized.
    "fuzz-socket-framing": [
        b"\x00\x40" + b"\x00\x00\x00\x05hello" + b"\x00\x00\x00\x00",
        b"\x03\x01" + b"\x00\x00\x00\x02hi" * 5,
        b"\x00\x07" + b"\x00\x00\x08\x01" + b"x" * 64,
        b"\x01\x03" + b"\xff\xff\xff\xff"],
    # A chunk byte, a writable byte, then a client: GO with structured
    # replies and base:allocation, and every command; EXPORT_NAME.
    "fuzz-nbd-server": [
        open(os.path.join(HERE, "seeds", "fuzz-nbd-server-%s.bin" % n),
             "rb").read() for n in ("go", "export-name")],
    # gdb's opening packets, a binary write with escapes, noise and Ctrl-C.
    "fuzz-gdb-packet": [
        b"+$qSupported:multiprocess+;swbreak+#c9$?#3f",
        b"$X80001000,4:}]}\x03}}#00\x03--++$m80000000,10#f5",
        b"$vCont;s:1;c#b0$Z0,80000050,2#9c$g#67junk$#00"],
}
# Inputs may grow this far (the virt board's tree is over 2 KiB, a qcow2
# image a few KiB).
MAX_LEN = {"fuzz-dtb": 16384, "fuzz-qcow2": 16384, "fuzz-nbd-client": 16384}

if len(sys.argv) != 3 or sys.argv[1] not in SEEDS:
    sys.exit("usage: run-fuzzers.py {%s} EXECUTABLE" % ",".join(SEEDS))
target, exe = sys.argv[1], sys.argv[2]
if target == "fuzz-qcow2":
    SEEDS[target] = qcow2_seeds()
if target == "fuzz-nbd-client":
    import runpy
    SEEDS[target] = runpy.run_path(os.path.join(
        HERE, "fuzz-nbd-client-seeds.py"))["SEEDS"]

t = Tap()
corpus = tempfile.mkdtemp(prefix=target + "-")
for i, seed in enumerate(SEEDS[target]):
    with open(os.path.join(corpus, "seed%d" % i), "wb") as f:
        f.write(seed)
# The corpus grows as libFuzzer finds new paths; it is thrown away, the
# seeds above are what every run starts from.
rc, out, err = run([exe, "-max_total_time=%d" % SECONDS, "-timeout=10",
                    "-rss_limit_mb=2048", "-max_len=%d" % MAX_LEN.get(target, 4096),
                    corpus],
                   timeout=SECONDS + 120,
                   env={"ASAN_OPTIONS": "detect_leaks=1"})
shutil.rmtree(corpus, ignore_errors=True)
t.ok(rc == 0, "%s runs %ds without a crash" % (target, SECONDS), err[-4000:])
t.done()
