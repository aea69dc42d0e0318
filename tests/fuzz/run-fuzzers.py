#!/usr/bin/env python3
"""Build the libFuzzer targets with clang and run each for a bounded time.

The core is compiled once more with clang (-fsanitize=fuzzer-no-link plus
ASan/UBSan) into objects shared by every target; each target then runs for
TESSERA_FUZZ_SECONDS (default 20) from a small seed corpus.  A crash, leak,
sanitizer report or timeout fails the test; a missing clang skips it."""
import glob
import gzip
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import BUILD, SOURCE, Tap, run, skip_all  # noqa: E402

clang = shutil.which("clang") or shutil.which("clang-14")
if not clang:
    skip_all("clang is not installed (apt-get install clang libclang-rt-14-dev)")

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


SEEDS = {
    "fuzz-opts": [b"virt,accel=tcg:kvm,dumpdtb=a,,b", b"size=1.5G,slots=2",
                  b"help", b"x,,,=y,", b"0x10k"],
    "fuzz-qmp": [b'{"execute":"qmp_capabilities"}{"execute":"query-status"}',
                 b'{"execute":"qom-list","arguments":{"path":"/"},"id":[1]}',
                 b'[{"a":"\\u0041"}', b'{"execute":"query-version"'],
    "fuzz-loader": loader_seeds(),
}

t = Tap()
work = os.path.join(BUILD, "fuzz-work")
os.makedirs(work, exist_ok=True)
rc, pkg, err = run(["pkg-config", "--cflags", "--libs", "glib-2.0",
                    "gmodule-2.0", "json-glib-1.0"])
if rc != 0:
    skip_all("pkg-config cannot find glib/json-glib: " + err.strip())
flags = pkg.split()
cflags = ["-g", "-O1", "-std=gnu11", "-fsanitize=address,undefined",
          "-fno-sanitize-recover=undefined", "-I" + BUILD,
          "-I" + os.path.join(SOURCE, "core"),
          "-I" + os.path.join(SOURCE, "sdk", "include"),
          "-I" + os.path.join(BUILD, "sdk", "include")] + \
         [f for f in flags if f.startswith("-I")]
libs = [f for f in flags if not f.startswith("-I")] + ["-lltdl", "-lfdt", "-lz",
                                                        "-lpthread"]

# Compile the core once: every source but the two tiny main() files.
objs = []
ok = True
for src in sorted(glob.glob(os.path.join(SOURCE, "core", "*", "*.c"))):
    if os.path.basename(src) in ("main.c", "modinfo-tool.c"):
        continue
    obj = os.path.join(work, os.path.basename(src) + ".o")
    if not os.path.exists(obj) or os.path.getmtime(obj) < os.path.getmtime(src):
        rc, out, err = run([clang, "-c", "-fsanitize=fuzzer-no-link", "-o",
                            obj, src] + cflags, timeout=300)
        if rc != 0:
            ok = t.ok(False, "compile %s with clang" % src, err[-3000:])
            break
    objs.append(obj)
if ok:
    t.ok(True, "the core compiles with clang for fuzzing")

for target, seeds in SEEDS.items():
    if not ok:
        t.skip(target, "the core did not compile")
        continue
    exe = os.path.join(work, target)
    rc, out, err = run([clang, "-fsanitize=fuzzer", "-o", exe,
                        os.path.join(SOURCE, "tests", "fuzz", target + ".c")]
                       + cflags + objs + libs, timeout=300)
    if not t.ok(rc == 0, "build %s" % target, err[-3000:]):
        continue
    corpus = tempfile.mkdtemp(prefix=target + "-")
    for i, seed in enumerate(seeds):
        with open(os.path.join(corpus, "seed%d" % i), "wb") as f:
            f.write(seed)
    rc, out, err = run([exe, "-max_total_time=%d" % SECONDS,
                        "-timeout=10", "-rss_limit_mb=2048",
                        "-max_len=4096", corpus],
                       timeout=SECONDS + 120,
                       env={"ASAN_OPTIONS": "detect_leaks=1"})
    t.ok(rc == 0, "%s runs %ds without a crash" % (target, SECONDS),
         err[-4000:])
t.done()
