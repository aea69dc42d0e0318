#!/usr/bin/env python3
"""The command line's help listings and its one-line errors, as a user
sees them: `-device help` and friends print a list and exit 0; a bad
-smp or -m fails with exit status 1 and a single line naming the option.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import TESSERA, Tap, skip_all, tessera  # noqa: E402

PROG = os.path.basename(TESSERA)


def listing(t, option, header, entry, must=()):
    """`option help` prints header, then entries matching entry."""
    rc, out, err = tessera(option, "help")
    lines = out.splitlines()
    body = lines[1:]
    names = set()
    for line in body:
        m = re.match(entry, line)
        if m:
            names.add(m.group(1))
    t.ok(rc == 0 and err == "" and lines and lines[0] == header and
         len(names) == len(body) and set(must) <= names,
         "%s help lists %s" % (option, ", ".join(must) or "(its entries)"),
         "status %d\n%s%s" % (rc, out, err))


def one_line_error(t, args, words, desc):
    rc, out, err = tessera(*args)
    lines = err.splitlines()
    t.ok(rc == 1 and out == "" and len(lines) == 1 and
         lines[0].startswith(PROG + ": ") and
         all(w in lines[0] for w in words),
         desc, "status %d\n%s%s" % (rc, out, err))


def main():
    if not os.path.exists(TESSERA):
        skip_all("%s not built" % TESSERA)
    t = Tap()

    listing(t, "-machine", "Supported machines are:",
            r"^(\S+)\s+\S.*$", must=["none"])
    # -device help: test-device-help.py
    listing(t, "-accel", "Accelerators supported in Tessera:",
            r"^  (\S+)(?:\s+\S.*)?$", must=["tcg"])
    listing(t, "-audiodev", "Available audio drivers:",
            r"^  (\S+)(?:\s+\S.*)?$")
    rc, out, err = tessera("-smp", "help")
    t.ok(rc == 0 and out.splitlines() == ["smp-opts options:"] + [
        "  %s=<num>" % k for k in ("clusters", "cores", "cpus", "dies",
                                   "maxcpus", "sockets", "threads")],
         "-smp help lists its keys as QEMU does", out + err)
    rc, out, err = tessera("-boot", "help")
    t.ok(rc == 0 and out.startswith("boot-opts options:\n  menu=<bool "
                                    "(on/off)>\n  once=<str>\n"),
         "-boot help lists its keys as QEMU does", out + err)
    rc, out, err = tessera("-global", "help")
    t.ok(rc == 0 and out == "global options:\n  driver=<str>\n"
         "  property=<str>\n  value=<str>\n",
         "-global help lists its keys as QEMU does", out + err)
    listing(t, "-chardev", "Available chardev backend types:",
            r"^  (\S+)$",
            must=["null", "stdio", "file", "pipe", "pty", "socket", "udp",
                  "ringbuf", "serial"])

    # -M none: the errors must come from -smp and -m themselves, not from
    # a missing default machine.
    base = ["-M", "none", "-display", "none"]
    one_line_error(t, base + ["-smp", "0"], ["-smp 0:", "CPUs 0"],
                   "-smp 0 fails in one line")
    one_line_error(t, base + ["-smp", "cpus=0"], ["-smp cpus=0:", "CPUs 0"],
                   "-smp cpus=0 fails in one line")
    one_line_error(t, base + ["-m", "0x"], ["-m 0x:", "size"],
                   "-m 0x fails in one line")
    one_line_error(t, base + ["-m", "help"], ["-m help:", "size"],
                   "-m help is a bad size, as in QEMU (it used to start the "
                   "machine with the default size)")
    rc, out, err = tessera(*(base + ["-S", "-m", "0", "-qmp", "stdio"]),
                           input='{"execute":"qmp_capabilities"}\n'
                                 '{"execute":"quit"}\n')
    t.ok(rc == 0 and '"return"' in out,
         "-m 0 starts with the default size, as in QEMU", out + err)

    one_line_error(t, base + ["-parallel", "stdio"],
                   ["-parallel stdio:", "not supported yet"],
                   "-parallel with a device fails as not supported yet")
    rc, out, err = tessera(*(base + ["-S", "-parallel", "none", "-qmp",
                                     "stdio"]),
                           input='{"execute":"qmp_capabilities"}\n'
                                 '{"execute":"quit"}\n')
    t.ok(rc == 0 and '"return"' in out, "-parallel none is accepted",
         out + err)

    rc, out, err = tessera("-version")
    t.ok(rc == 0 and out.startswith("Tessera emulator version ") and
         "Copyright" in out, "-version, with a copyright line", out + err)
    rc, out, err = tessera("-h")
    t.ok(rc == 0 and "usage:" in out and "-monitor" in out and
         "-qmp-pretty" in out and "-mon " in out,
         "-h shows usage with the monitor options", out + err)
    t.ok(all(h in out for h in ("Standard options:",
                                "Character device options:",
                                "Debug/expert options:")),
         "-h groups options under the manual's headings", out)
    t.done()


main()
