#!/usr/bin/env python3
"""The SDK works out of tree: install to a temporary prefix, build the
example plugin with nothing but cc and pkg-config against that prefix,
and load it into the emulator with -plugin-path."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import BUILD, TESSERA, Tap, run, skip_all  # noqa: E402

for tool in ("cc", "pkg-config", "meson"):
    if not shutil.which(tool):
        skip_all("%s is not installed" % tool)

t = Tap()
dest = tempfile.mkdtemp(prefix="tessera-sdk-")
rc, out, err = run(["meson", "install", "-C", BUILD, "--no-rebuild",
                    "--quiet", "--destdir", dest], timeout=240)
t.ok(rc == 0, "meson install --destdir works", out + err)

pcs = glob.glob(os.path.join(dest, "**", "tessera-plugin.pc"), recursive=True)
headers = glob.glob(os.path.join(dest, "**", "include", "tessera",
                                 "tessera.h"), recursive=True)
examples = glob.glob(os.path.join(dest, "**", "examples",
                                  "example-counter.c"), recursive=True)
t.ok(len(pcs) == 1 and headers and examples,
     "the prefix has tessera-plugin.pc, the headers and the example",
     (pcs, headers, examples))
if not (pcs and examples):
    t.done()

# The .pc file is relocatable (its prefix is relative to where it lies),
# so the unpacked prefix works wherever it is.
env = {"PKG_CONFIG_PATH": os.path.dirname(pcs[0])}
rc, flags, err = run(["pkg-config", "--cflags", "--libs", "tessera-plugin"],
                     env=env)
t.ok(rc == 0 and "-I" + dest in flags, "pkg-config points into the prefix",
     flags + err)

work = tempfile.mkdtemp(prefix="tessera-oot-")
so = os.path.join(work, "example-counter.so")
cmd = ["cc", "-shared", "-fPIC", "-fvisibility=hidden", "-Wl,--no-undefined",
       "-Wl,-z,now", "-o", so, examples[0]] + flags.split()
rc, out, err = run(cmd)
t.ok(rc == 0 and os.path.exists(so), "the example builds against the prefix",
     " ".join(cmd) + "\n" + err)

libdirs = sorted({os.path.dirname(p) for p in glob.glob(
    os.path.join(dest, "**", "libtessera.so*"), recursive=True)})
modinfo = glob.glob(os.path.join(dest, "**", "bin", "tessera-modinfo"),
                    recursive=True)
rc, out, err = run([modinfo[0], so, os.path.join(work,
                                                 "example-counter.modinfo")],
                   env={"LD_LIBRARY_PATH": ":".join(libdirs)})
t.ok(rc == 0, "the installed tessera-modinfo writes its sidecar", err)

rc, out, err = run([TESSERA, "-plugin-path", work, "-device", "help"])
t.ok(rc == 0 and 'name "example-counter"' in out,
     "-device help lists the out-of-tree device", out + err)

rc, out, err = run([TESSERA, "-plugin-path", work, "-device",
                    "example-counter,help"])
t.ok(rc == 0 and "direction=<" in out and "step=<int" in out,
     "its properties are listed", out + err)

qmp_in = ('{"execute":"qmp_capabilities"}\n'
          '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/c0",'
          '"property":"step"}}\n{"execute":"quit"}\n')
rc, out, err = run([TESSERA, "-plugin-path", work, "-M", "none", "-S",
                    "-display", "none", "-device",
                    "example-counter,id=c0,addr=0x10000000,step=2",
                    "-qmp", "stdio"], input=qmp_in)
replies = [json.loads(x) for x in out.splitlines() if x.strip()]
t.ok(rc == 0 and len(replies) >= 3 and replies[2].get("return") in (2, "2"),
     "the device is instantiated with its properties", out + err)

rc, out, err = run([TESSERA, "-plugin-path", work, "-M", "none", "-S",
                    "-device", "example-counter,addr=0x10000010"], input="")
t.ok(rc == 1 and "not aligned" in err, "its realize errors are reported",
     err)

t.done()
