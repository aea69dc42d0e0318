#!/usr/bin/env python3
"""libtessera.so exports exactly the SDK: every ts_* symbol it exports is
declared in <tessera/*.h>, and every call the headers declare is exported.
The headers are read, not a list, so calls added on any branch are covered.
Anything else exported must be a binary's entry point."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import BUILD, SOURCE, Tap, skip_all  # noqa: E402

sys.path.insert(0, os.path.join(SOURCE, "sdk", "abi"))
import sdk_headers  # noqa: E402

ENTRY_POINTS = {"tessera_main", "tessera_modinfo_main", "tessera_img_main",
                "tessera_nbd_main"}

lib = os.path.join(BUILD, "core", "libtessera.so")
try:
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
except (OSError, subprocess.CalledProcessError) as e:
    skip_all("cannot list %s: %s" % (lib, e))

exported = set()
for line in out.splitlines():
    fields = line.split()
    # "addr T name@@VERSION"; the version nodes themselves are type A
    if len(fields) == 3 and fields[1] != "A":
        exported.add(fields[2].split("@")[0])

declared = set(sdk_headers.functions(unstable=True))
with open(os.path.join(SOURCE, "sdk", "abi", "unimplemented.txt")) as f:
    pending = {w for w in (l.split("#")[0].strip() for l in f) if w}

t = Tap()
extra = sorted(s for s in exported - declared if s.startswith("ts_"))
t.ok(not extra, "every exported ts_* symbol is declared in an SDK header",
     "exported but not in sdk/include/tessera/*.h (or unstable/*.h): %s\n"
     "Either a plugin needs it (declare it in the SDK header it belongs to)"
     " or it is the core's (drop TS_EXPORT, declare it in a core header)."
     % ", ".join(extra))
others = sorted(s for s in exported - ENTRY_POINTS if not s.startswith("ts_"))
t.ok(not others, "nothing but ts_* and the binaries' entry points exported",
     "unexpected exports: %s (core/libtessera.map)" % ", ".join(others))
missing = sorted(declared - exported - pending)
t.ok(not missing, "every call an SDK header declares is exported",
     "declared but not exported: %s\n"
     "Define it with TS_EXPORT, or take the declaration out of the SDK."
     % ", ".join(missing))
done = sorted(pending & exported)
t.ok(not done, "sdk/abi/unimplemented.txt lists only calls still missing",
     "now exported, remove from sdk/abi/unimplemented.txt: %s"
     % ", ".join(done))
stale = sorted(pending - declared)
t.ok(not stale, "sdk/abi/unimplemented.txt lists only declared calls",
     "not declared anywhere: %s" % ", ".join(stale))
for name in sorted(pending & declared - exported):
    t.count += 1
    print("not ok %d - %s is exported # TODO implementation on another "
          "branch (sdk/abi/unimplemented.txt)" % (t.count, name))
t.done()
