#!/usr/bin/env python3
"""Options real QEMU command lines use that Tessera refused or crashed on,
checked beside Debian's QEMU 7.2 (the real peer): -nodefaults,
-no-user-config, -vga, -usb and the machine's usb=/graphics=/kernel=
properties, `-M virt,help`, and the options that must say "not supported
yet" instead of "invalid option" (-audio-help, -tpmdev, -option-rom,
-enable-sync-profile).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, run, refused_like_qemu, skip_all  # noqa: E402
import qmp  # noqa: E402

QEMU = shutil.which("qemu-system-riscv64")
if not QEMU:
    skip_all("qemu-system-riscv64 not installed (Debian package "
             "qemu-system-misc)")
t = Tap()
WORK = tempfile.mkdtemp(prefix="test-cli-qemu-gaps-")


def starts(argv, patience=1.5):
    """argv runs (paused) for `patience` seconds without exiting; its
    stdout and stderr meanwhile."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(patience)
    alive = p.poll() is None
    if alive:
        p.terminate()
    out, err = p.communicate(timeout=30)
    return alive, out, err


OURS = [TESSERA, "-M", "virt", "-S", "-bios", "none"]
THEIRS = [QEMU, "-M", "virt", "-S"]

# Accepted as QEMU accepts them.
for extra in (["-nodefaults", "-display", "none"],
              ["-no-user-config", "-display", "none"],
              ["-vga", "none", "-display", "none"],
              ["-usb", "-display", "none"],
              ["-M", "virt,usb=on,graphics=off", "-display", "none"]):
    alive, out, err = starts(OURS + extra)
    qalive, qout, qerr = starts(THEIRS + extra)
    quiet = [l for l in err.splitlines() if "terminating on signal" not in l]
    t.ok(alive and qalive and not quiet,
         "%s is accepted (QEMU too)" % " ".join(extra),
         "ours alive=%s err=%r; QEMU alive=%s err=%r" % (alive, err, qalive,
                                                       qerr))

# -nodefaults -nographic: no serial port and no monitor on stdio.
p = subprocess.Popen(OURS + ["-nodefaults", "-nographic"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
time.sleep(1)
p.stdin.write("info status\n")
p.stdin.flush()
time.sleep(1)
p.terminate()
out, err = p.communicate(timeout=30)
t.ok("(qemu)" not in out and "VM status" not in out,
     "-nodefaults -nographic puts no monitor on stdio", repr(out))
p = subprocess.Popen(OURS + ["-nographic"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     text=True)
time.sleep(1)
p.stdin.write("\x01cinfo status\n")
p.stdin.flush()
time.sleep(1)
p.terminate()
out, err = p.communicate(timeout=30)
t.ok("VM status: paused" in out,
     "(without -nodefaults, -nographic's monitor answers)", repr(out))

# -vga: a card is warned about, an unknown one refused, as QEMU does.
warn = ("A -vga option was passed but this machine type does not use that "
        "option; No VGA device has been created")
alive, out, err = starts(OURS + ["-vga", "std", "-display", "none"])
qalive, qout, qerr = starts(THEIRS + ["-vga", "std", "-display", "none"])
t.ok(alive and warn in err and warn in qerr,
     "-vga std: QEMU's warning, and it runs on", "%r / %r" % (err, qerr))
refused_like_qemu(t, [(["-vga", "nosuch"], "unknown vga type: nosuch"),
                      (["-M", "virt,usb=maybe"], "'usb'")], QEMU)
st, out, err = run([TESSERA, "-vga", "help"])
st2, qout, qerr = run([QEMU, "-vga", "help"])
t.ok(st == 0 and out.startswith("none") and out.splitlines()[0] in qout,
     "-vga help lists 'none' as QEMU words it", out)

# -M virt,help: the board's properties and the generic ones, all of them
# names QEMU's virt has.
st, out, err = run([TESSERA, "-M", "virt,help"])
st2, qout, qerr = run([QEMU, "-M", "virt,help"])
ours_names = re.findall(r"^  ([a-z0-9-]+)=", out, re.M)
qemu_order = re.findall(r"^  ([a-z0-9-]+)=", qout, re.M)
qemu_names = set(qemu_order)
t.ok(st == 0 and out.startswith("virt-machine options:") and
     {"aia", "aia-guests", "kernel", "append", "usb"} <= set(ours_names),
     "-M virt,help lists the board's properties", out)
ours_only = [n for n in ours_names if n not in qemu_names and
             n not in ("pflash0", "pflash1")]
shared = [n for n in ours_names if n in qemu_names]
t.ok(not ours_only and shared == [n for n in qemu_order if n in shared],
     "... each a property QEMU's virt has (pflash0/1 are QEMU's too, on "
     "other boards), in QEMU's order", "not in QEMU: %s\nours: %s" %
     (ours_only, ours_names))

# -M virt,kernel= is -kernel.
missing = os.path.join(WORK, "no-such-kernel")
st, out, err = run(OURS + ["-display", "none", "-M",
                           "virt,kernel=%s" % missing])
t.ok(st != 0 and missing in err, "-M virt,kernel=FILE loads FILE as "
     "-kernel does (a missing one is named)", err)

# Known options Tessera cannot do yet: precise, not "invalid option".
for args in (["-audio-help"], ["-tpmdev", "passthrough,id=t0"],
             ["-option-rom", "x.rom"], ["-enable-sync-profile"]):
    st, out, err = run(OURS + args)
    t.ok(st != 0 and "is not supported yet" in err and
         "invalid option" not in err,
         "%s: 'not supported yet'" % args[0], err)


def hotplug_answers(argv):
    """device_add of a virtio-mmio device once the machine exists, twice
    (the first refusal must leave nothing behind, not even the id)."""
    with qmp.running(argv + ["-display", "none"], WORK) as (p, q):
        answers = [q.cmd("device_add", driver="virtio-rng-device", id="r1")
                   for _ in range(2)]
    return [a.get("error", {}).get("desc") for a in answers]


def drive_ro(argv):
    """query-block's "ro" of drive d0 made read-only by -set."""
    img = os.path.join(WORK, "d.raw")
    with open(img, "wb") as f:
        f.truncate(1 << 20)
    with qmp.running(argv + ["-display", "none", "-drive",
                             "if=none,id=d0,file=%s,format=raw" % img,
                             "-set", "drive.d0.readonly=on"], WORK) as (p, q):
        blocks = q.cmd("query-block").get("return", [])
    return [b.get("inserted", {}).get("ro") for b in blocks
            if b.get("device") == "d0"]


ours, theirs = drive_ro(OURS), drive_ro(THEIRS)
t.ok(ours == theirs == [True], "-set drive.d0.readonly=on makes the drive "
     "read-only, as in QEMU", "ours %s, QEMU %s" % (ours, theirs))
refused_like_qemu(t, [(["-set", "drive.dx.readonly=on"],
                       'there is no drive "dx" defined')])

def fdset_drive(argv, cache):
    """-add-fd of a file that is unlinked before the emulator starts, as
    a -drive /dev/fdset/2: the drive's size and query-block's filename
    (or the error).  Only the descriptor can reach the file."""
    img = os.path.join(WORK, "gone.raw")
    with open(img, "wb") as f:
        f.truncate(3 << 20)
    # Read-only and read-write, as libvirt passes them (QEMU probes the
    # image read-only first).
    fd = os.open(img, os.O_RDWR)
    rfd = os.open(img, os.O_RDONLY)
    os.unlink(img)
    try:
        with qmp.running(argv + ["-display", "none", "-add-fd",
                                 "fd=%d,set=2" % fd, "-add-fd",
                                 "fd=%d,set=2" % rfd, "-drive",
                                 "if=none,id=d0,format=raw,cache=%s,"
                                 "file=/dev/fdset/2" % cache], WORK,
                         pass_fds=(fd, rfd)) as (p, q):
            blocks = q.cmd("query-block").get("return", [])
    except (OSError, EOFError, ValueError) as e:
        return ("error", str(e))
    finally:
        os.close(fd)
        os.close(rfd)
    ins = [b.get("inserted", {}) for b in blocks if b.get("device") == "d0"]
    return ("ok", [(i.get("file"), i.get("image", {}).get("virtual-size"))
                   for i in ins])


ours, theirs = (fdset_drive(OURS, "writeback"),
                fdset_drive(THEIRS, "writeback"))
t.ok(ours == theirs == ("ok", [("/dev/fdset/2", 3 << 20)]),
     "-drive file=/dev/fdset/2 opens the descriptor -add-fd passed (the "
     "file itself is unlinked), as QEMU", "ours %r, QEMU %r" % (ours, theirs))
ours, theirs = fdset_drive(OURS, "none"), fdset_drive(THEIRS, "none")
t.ok(ours == theirs == ("ok", [("/dev/fdset/2", 3 << 20)]),
     "... also with cache=none (O_DIRECT set on the descriptor), as QEMU",
     "ours %r, QEMU %r" % (ours, theirs))

ours = hotplug_answers(OURS)
theirs = hotplug_answers(THEIRS)
t.ok(ours == theirs and theirs[0] and "hotplug" in theirs[0],
     "QMP device_add of virtio-rng-device after the machine is built is "
     "refused as QEMU does: %s" % theirs, "ours %s" % ours)
shutil.rmtree(WORK, ignore_errors=True)
t.done()
