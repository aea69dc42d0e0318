#!/usr/bin/env python3
"""QMP object-add / object-del and HMP object_add / object_del beside
Debian's QEMU 7.2 (the real peer): both emulators, started with the same
throttle group in use by a drive, answer the same sequence of commands,
and every answer (success, or the error's class and text) is compared.

The sequence covers what -object can make today (throttle-group in its
JSON "limits" and x- forms, memory-backend-ram), ids shared across kinds
(QEMU keeps one /objects container), an unknown type, a missing id, a
group a drive uses (in use, not deletable) and deleting twice.  At the
end the group made at run time is used: a drive added by drive_add with
throttling.group= joins it, so object-add made a working group and not
just a name.
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, skip_all  # noqa: E402
from qmp import running  # noqa: E402

QEMU = shutil.which("qemu-system-riscv64")
if not QEMU:
    skip_all("qemu-system-riscv64 not installed (Debian package "
             "qemu-system-misc)")
t = Tap()
tmp = tempfile.mkdtemp(prefix="test-object-add-")
with open(os.path.join(tmp, "a.raw"), "wb") as f:
    f.truncate(1 << 20)

START = ["-object", "throttle-group,id=tg1,x-iops-total=10",
         "-drive", "if=none,id=d0,file=a.raw,format=raw,"
         "throttling.group=tg1,throttling.iops-total=10"]


def qmp(name, **args):
    return ("qmp", name, args)


def hmp(line):
    return ("hmp", line)


STEPS = [
    qmp("object-add", **{"qom-type": "throttle-group", "id": "tg0",
                         "limits": {"iops-total": 100}}),
    qmp("object-add", **{"qom-type": "throttle-group", "id": "tg0",
                         "limits": {"iops-total": 100}}),
    qmp("object-add", **{"qom-type": "throttle-group", "id": "tg2",
                         "x-iops-total": 5}),
    qmp("object-add", **{"qom-type": "nosuch", "id": "n1"}),
    qmp("object-add", **{"qom-type": "throttle-group"}),
    qmp("object-add", **{"qom-type": "memory-backend-ram", "id": "m0",
                         "size": 1048576}),
    qmp("object-add", **{"qom-type": "throttle-group", "id": "m0"}),
    qmp("object-del", id="tg0"),
    qmp("object-del", id="tg0"),
    qmp("object-del", id="tg1"),
    qmp("object-del", id="m0"),
    qmp("object-del"),
    hmp("object_add throttle-group,id=tg5,x-iops-total=3"),
    hmp("object_add throttle-group,id=tg5,x-iops-total=3"),
    hmp("object_del tg5"),
    hmp("object_del tg5"),
    hmp("object_add nosuch,id=x"),
    hmp("drive_add 0 if=none,id=d1,file=a.raw,format=raw,"
        "throttling.group=tg2,throttling.iops-total=5"),
    qmp("object-del", id="tg2"),
]


def norm_hmp(text):
    return (text or "").replace("\r\n", "\n")


def run(argv):
    answers = []
    with running(argv + START, tmp, cwd=tmp) as (p, q):
        for step in STEPS:
            if step[0] == "qmp":
                r = q.cmd(step[1], step[2])
                if "error" in r:
                    answers.append(("error", r["error"].get("class"),
                                    r["error"].get("desc")))
                else:
                    answers.append(("return", r.get("return")))
            else:
                r = q.cmd("human-monitor-command",
                          **{"command-line": step[1]})
                answers.append(("hmp", norm_hmp(r.get("return"))))
    return answers


qemu = run([QEMU, "-M", "virt", "-nodefaults", "-S", "-display", "none"])
ours = run([TESSERA, "-M", "virt", "-S", "-display", "none", "-bios",
            "none", "-monitor", "none", "-serial", "none"])


def describe(step):
    if step[0] == "qmp":
        return "%s %s" % (step[1], step[2])
    return step[1]


for step, mine, theirs in zip(STEPS, ours, qemu):
    t.ok(mine == theirs, "%s answers as QEMU does: %s" %
         (describe(step), theirs), "ours %r, QEMU %r" % (mine, theirs))

# The group object-add made is a working one: QEMU and Tessera both
# refused to delete it once the drive joined (the last step).
t.ok(qemu[-1][0] == "error" and "in use" in qemu[-1][2],
     "(QEMU itself refuses to delete a group a drive joined)")
shutil.rmtree(tmp, ignore_errors=True)
t.done()
