#!/usr/bin/env python3
"""Upgrading plugins under a running emulator.

A long-running guest may load a plugin (device_add) after the package
manager replaced the plugin files with a newer build.  The ABI rule must
decide: a rebuild with the same major loads; a build for another major is
refused with a clear message, and the emulator keeps running."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import BUILD, TESSERA, Tap, core_abi, run  # noqa: E402

ABI = os.path.join(BUILD, "tests", "abi")
t = Tap()


def qmp(p, command, **arguments):
    msg = {"execute": command}
    if arguments:
        msg["arguments"] = arguments
    p.stdin.write(json.dumps(msg) + "\n")
    p.stdin.flush()
    while True:
        reply = json.loads(p.stdout.readline())
        if "event" not in reply:
            return reply


def start_with(plugin_dir):
    p = subprocess.Popen([TESSERA, "-plugin-path", plugin_dir, "-M", "none",
                          "-S", "-display", "none", "-net", "none", "-qmp", "stdio"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    p.stdout.readline()                       # greeting
    qmp(p, "qmp_capabilities")
    return p


def install(d, build_name):
    """What a package upgrade does: replace the .so (atomically)."""
    tmp = os.path.join(d, ".abi-good.so.new")
    shutil.copy(os.path.join(ABI, build_name + ".so"), tmp)
    os.rename(tmp, os.path.join(d, "abi-good.so"))


def plugin_dir():
    d = tempfile.mkdtemp(prefix="tessera-upgrade-")
    install(d, "abi-good")
    rc, _, err = run([os.path.join(BUILD, "tessera-modinfo"),
                      os.path.join(d, "abi-good.so"),
                      os.path.join(d, "abi-good.modinfo")])
    return d


for build, should_load in (("abi-good-v2", True),
                           ("abi-good-next-major", False)):
    d = plugin_dir()
    p = start_with(d)
    before = qmp(p, "query-plugins")
    t.ok(before.get("return") == [], "%s: nothing loaded at start" % build,
         before)
    install(d, build)
    reply = qmp(p, "device_add", driver="abi-good-dev", id="late")
    if should_load:
        t.ok(reply.get("return") == {}, "a same-major rebuild installed "
             "after start loads on device_add", reply)
        loaded = qmp(p, "query-plugins")
        t.ok(loaded.get("return") == [{"name": "abi-good"}],
             "query-plugins shows it", loaded)
    else:
        desc = reply.get("error", {}).get("desc", "")
        t.ok("incompatible" in desc and
             "ABI %d." % (core_abi()[0] + 1) in desc and
             "abi-good.so" in desc,
             "an other-major build installed after start is refused with "
             "file and versions", reply)
        status = qmp(p, "query-status")
        t.ok("return" in status, "the emulator keeps running after the "
             "refusal", status)
    reply = qmp(p, "quit")
    p.communicate(timeout=30)
    t.ok(p.returncode == 0, "%s: quit cleanly" % build, p.returncode)

t.done()
