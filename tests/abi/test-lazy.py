#!/usr/bin/env python3
"""Lazy loading: the core maps only the plugins the command line names.

Checked two ways: /proc/PID/maps of a running emulator, and the dynamic
linker's own log (LD_DEBUG=files) for commands that answer and exit."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import BUILD, TESSERA, Tap, run  # noqa: E402

t = Tap()
PLUGINS = os.path.realpath(os.path.join(BUILD, "plugins"))
ABI = os.path.join(BUILD, "tests", "abi")


def mapped_plugins(pid):
    """Plugin files mapped by pid: anything from build/plugins or a test dir."""
    found = set()
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if path.endswith(".so") and (path.startswith(PLUGINS) or
                                         "tessera-lazy-" in path):
                found.add(os.path.basename(path))
    return found


def start(*args):
    p = subprocess.Popen([TESSERA] + list(args) +
                         # -net none: no QEMU default network (user
                         # backend), so only what is named loads
                         ["-S", "-display", "none", "-net", "none",
                          "-qmp", "stdio"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    greeting = p.stdout.readline()
    return p, greeting


def quit(p):
    p.stdin.write('{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n')
    p.stdin.flush()
    out, err = p.communicate(timeout=30)
    return p.returncode, out, err


p, greeting = start("-M", "none")
t.ok(greeting.startswith('{"QMP"'), "-M none -S -qmp stdio greets", greeting)
maps = mapped_plugins(p.pid)
t.ok(maps == set(), "-M none maps no plugin", maps)
rc, out, err = quit(p)
t.ok(rc == 0, "quit ends it with status 0", err)

# One device named: exactly its plugin is mapped, nothing else.
d = tempfile.mkdtemp(prefix="tessera-lazy-")
shutil.copy(os.path.join(ABI, "abi-good.so"), d)
rc, _, err = run([os.path.join(BUILD, "tessera-modinfo"),
                  os.path.join(d, "abi-good.so"),
                  os.path.join(d, "abi-good.modinfo")])
p, greeting = start("-plugin-path", d, "-M", "none", "-device",
                    "abi-good-dev")
maps = mapped_plugins(p.pid)
t.ok(maps == {"abi-good.so"}, "-device abi-good-dev maps only abi-good.so",
     "%s %s" % (maps, greeting))
quit(p)

# A virtio device is its own plugin on the core's transport: naming the
# console maps dev-virtio-console and not its sibling dev-virtio-rng.
p, greeting = start("-M", "virt", "-bios", "none", "-device",
                    "virtio-console-device")
maps = mapped_plugins(p.pid)
t.ok("dev-virtio-console.so" in maps and "dev-virtio-rng.so" not in maps,
     "-device virtio-console-device maps dev-virtio-console.so only of "
     "the virtio plugins", "%s %s" % (maps, greeting))
quit(p)

# Help listings answer from sidecars: the dynamic linker loads no plugin.
for args in (["-M", "help"], ["-device", "help"], ["-accel", "help"],
             ["-audiodev", "help"], ["-blockdev", "driver=help"],
             ["-cpu", "help"]):
    rc, out, err = run([TESSERA, "-plugin-path", d] + args,
                       env={"LD_DEBUG": "files"})
    loaded = [line for line in err.splitlines()
              if "file=" in line and ".so" in line and
              (PLUGINS in line or "tessera-lazy-" in line)]
    t.ok(rc == 0 and not loaded, "%s loads no plugin" % " ".join(args),
         "\n".join(loaded) or err[-2000:])

# The loader's own record agrees with the maps (query-plugins).
p, greeting = start("-plugin-path", d, "-M", "none", "-device",
                    "abi-good-dev")
p.stdin.write('{"execute":"qmp_capabilities"}\n'
              '{"execute":"query-plugins"}\n')
p.stdin.flush()
p.stdout.readline()
reply = p.stdout.readline()
try:
    names = [x["name"] for x in json.loads(reply)["return"]]
except (ValueError, KeyError, TypeError):
    names = None
t.ok(names == ["abi-good"], "query-plugins reports exactly abi-good", reply)
quit(p)

t.done()
