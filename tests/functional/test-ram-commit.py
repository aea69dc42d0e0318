#!/usr/bin/env python3
"""Guest RAM the host cannot back is refused (issue 11).

-m 1T on a 23 GiB host without swap was accepted (the RAM was mapped with
MAP_NORESERVE) and a guest touching it drove the host into the OOM killer.
Now RAM is mapped with the kernel's commit accounting, as QEMU maps it: a
size larger than the host's RAM + swap (refused by Linux's default
heuristic and by vm.overcommit_memory=2 alike) is one line naming it and
status 1.  -mem-prealloc populates all of it before the guest runs.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import TESSERA, Tap, skip_all, tessera  # noqa: E402
from proc import status_kb  # noqa: E402

PROG = os.path.basename(TESSERA)
GiB = 1 << 30
MiB = 1 << 20
# -monitor stdio reading "quit": a VM that starts ends at once, so a size
# that is wrongly accepted shows as status 0 instead of hanging.
QUIT = ["-M", "virt", "-display", "none", "-S", "-serial", "none",
        "-monitor", "stdio"]


def meminfo():
    fields = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, value = line.split(":", 1)
            fields[key] = int(value.split()[0]) * 1024
    return fields


def overcommit_mode():
    with open("/proc/sys/vm/overcommit_memory") as f:
        return int(f.read())


def rss_with(args):
    """VmRSS of a stopped VM with these extra options, once it is up."""
    p = subprocess.Popen([TESSERA] + QUIT + args, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        # The monitor answers from the main loop, once the machine is
        # built.
        p.stdin.write("info status\n")
        p.stdin.flush()
        banner = ""
        while "VM status" not in banner:
            line = p.stdout.readline()
            if not line:
                break
            banner += line
        rss = status_kb(p.pid, "VmRSS")
        rss = rss * 1024 if rss is not None else None
        out, err = p.communicate("quit\n", timeout=60)
        return p.returncode, rss, banner + out + err
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()


def main():
    if not os.path.exists(TESSERA):
        skip_all("%s not built" % TESSERA)
    t = Tap()
    mem = meminfo()
    host = mem["MemTotal"] + mem.get("SwapTotal", 0)
    if overcommit_mode() == 1:
        t.skip("-m beyond RAM + swap is refused",
               "vm.overcommit_memory=1: the host promises any size")
    else:
        gib = (2 * host + GiB - 1) // GiB
        rc, out, err = tessera(*QUIT, "-m", "%dG" % gib, input="quit\n",
                               timeout=60)
        lines = err.splitlines()
        t.ok(rc == 1 and len(lines) == 1 and
             lines[0].startswith(PROG + ": cannot set up guest memory") and
             ("of %d GiB: " % gib) in lines[0],
             "-m %dG (twice RAM + swap) is one line naming the size, "
             "status 1" % gib, "status %d\n%s%s" % (rc, out, err))

    rc, out, err = tessera(*QUIT, "-m", "256M", input="quit\n", timeout=60)
    t.ok(rc == 0 and err == "", "-m 256M starts (and quits)",
         "status %d\n%s%s" % (rc, out, err))

    rc, plain, text = rss_with(["-m", "256M"])
    rc2, full, text2 = rss_with(["-m", "256M", "-mem-prealloc"])
    t.ok(rc == 0 and rc2 == 0 and plain is not None and full is not None and
         full >= 256 * MiB and full - plain >= 200 * MiB,
         "-mem-prealloc: the 256 MiB are resident before the guest runs",
         "status %d/%d, RSS %s without, %s with\n%s%s"
         % (rc, rc2, plain, full, text, text2))
    t.done()


main()
