#!/usr/bin/env python3
"""The plugin ABI (exported SDK calls, public struct layouts, enum values)
matches the checked-in baseline sdk/abi/tessera-abi.txt.  When it does
not, the message says what changed and what to do: bump TS_ABI_MINOR for
additions, TS_ABI_MAJOR for anything else, then regenerate the baseline."""
import difflib
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import BUILD, SOURCE, Tap, skip_all  # noqa: E402

ABI = os.path.join(SOURCE, "sdk", "abi")
sys.path.insert(0, ABI)
for tool in ("nm", "pkg-config", os.environ.get("CC", "cc")):
    if not shutil.which(tool):
        skip_all("%s is not installed" % tool)

p = subprocess.run([sys.executable, os.path.join(ABI, "abi-dump.py"),
                    os.path.join(BUILD, "core", "libtessera.so")],
                   capture_output=True, text=True)
t = Tap()
if not t.ok(p.returncode == 0, "abi-dump.py dumps the built ABI", p.stderr):
    t.done()
now = p.stdout
with open(os.path.join(ABI, "tessera-abi.txt")) as f:
    base = f.read()


def version(text):
    for line in text.splitlines():
        if line.startswith("abi "):
            return line[4:]
    return "?"


diff = list(difflib.unified_diff(base.splitlines(), now.splitlines(),
                                 "baseline", "this build", lineterm="", n=1))
removed = [l for l in diff[2:] if l.startswith("-") and
           not l.startswith("-abi ")]
if not diff:
    t.ok(True, "the ABI matches sdk/abi/tessera-abi.txt (%s)" % version(now))
elif version(base) == version(now):
    kind = ("only additions: bump TS_ABI_MINOR" if not removed else
            "removals or changes: bump TS_ABI_MAJOR")
    t.ok(False, "the ABI changed without an ABI version change",
         "ABI %s differs from sdk/abi/tessera-abi.txt (%s) in "
         "sdk/include/tessera/plugin.h, then run\n"
         "    meson compile -C %s abi-baseline\n"
         "and commit sdk/abi/tessera-abi.txt (rule: sdk/abi/README.md).\n%s"
         % (version(now), kind, os.path.relpath(BUILD), "\n".join(diff)))
else:
    t.ok(False, "the baseline is regenerated after an ABI version change",
         "TS_ABI is %s but the baseline records %s: run\n"
         "    meson compile -C %s abi-baseline\n"
         "and commit sdk/abi/tessera-abi.txt.\n%s"
         % (version(now), version(base), os.path.relpath(BUILD),
            "\n".join(diff)))
t.done()
