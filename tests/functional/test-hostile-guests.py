#!/usr/bin/env python3
"""Hostile bare-metal guests on the virt board: the emulator stays up.

The guests (guests/*.S, M-mode, -bios none -kernel) provoke what a
broken or malicious guest would and report over the UART; each ends
through sifive_test, so the exit status says whether it saw what it
expected:

- wild: loads, stores, atomics and fetches where nothing is mapped or a
  device refuses the size, misaligned accesses to devices: every one
  traps with the right mcause/mepc/mtval (from -kernel and from -device
  loader).  -d guest_errors and -d int log them, and the devices log the
  nonsense they ignore.
- scribble: junk written to every device register in every size and
  read back (virtio devices plugged); refused accesses trap and are
  skipped; the guest gets to the end.
- illegal: reserved encodings, bad rounding modes, read-only CSRs,
  privileged instructions from S and U: mcause 2, mtval the bits.
- flood: 2 MiB (10 MiB in the slow suite) to the UART's THR without
  waiting, into a file (every byte arrives), into -serial null, and into
  a stdout pipe that nobody reads (output is dropped): exit 0, no
  deadlock, bounded memory (peak RSS from /proc, against a run that
  prints nothing).
- spin (interrupts off), sleep (wfi with everything masked), storm (a
  trap that traps forever, to an illegal instruction or to nowhere) and
  reboot (resets the machine as soon as it boots): QMP still answers and
  quits.

Timeouts here only keep a hung emulator from hanging the suite.

Usage: test-hostile-guests.py GUEST_DIR [--accel OPTS]
           [--flood GUEST LINES] [--flood-only]
       (GUEST_DIR empty: no cross compiler, skip; OPTS e.g. tcg,jit=on;
       GUEST the flood guest, built with FLOOD_LINES=LINES; --flood-only
       runs the floods and nothing else)
"""
import atexit
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, skip_all  # noqa: E402
from console import Console, Timeout  # noqa: E402
from qmp import Qmp  # noqa: E402
from proc import status_kb  # noqa: E402

PATIENCE = 60               # hang guard for one step, not a timing check
RSS_LIMIT_KB = 300 * 1024
FLOOD_LINE = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!\n"

GUEST_DIR = sys.argv[1] if len(sys.argv) > 1 else ""
ACCEL = []
FLOOD_GUEST, FLOOD_LINES = "flood", 32768       # flood.S's default: 2 MiB
FLOOD_ONLY = False
args = sys.argv[2:]
while args:
    if args[0] == "--accel" and len(args) > 1:
        ACCEL = ["-accel", args[1]]
        args = args[2:]
    elif args[0] == "--flood" and len(args) > 2:
        FLOOD_GUEST, FLOOD_LINES = args[1], int(args[2])
        args = args[3:]
    elif args[0] == "--flood-only":
        FLOOD_ONLY = True
        args = args[1:]
    else:
        sys.exit("test-hostile-guests.py: unknown argument %r" % args[0])
if not GUEST_DIR:
    skip_all("riscv64-linux-gnu-gcc not found, so the test guests were not "
             "built (Debian package gcc-riscv64-linux-gnu)")

BASE = [TESSERA, "-M", "virt", "-m", "128M", "-bios", "none"] + ACCEL
WORK = tempfile.mkdtemp(prefix="tessera-hostile-")
atexit.register(shutil.rmtree, WORK, ignore_errors=True)   # the flood's file
t = Tap()


def guest(name):
    return os.path.join(GUEST_DIR, "guest-%s.elf" % name)


def read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


# ---- guests that count their traps ---------------------------------------

SUMMARY = r"%s: cases=(\d+) traps=(\d+) wrong=(\d+) missed=(\d+)\r?\n"


def run_counting(name, extra=(), loader=None):
    """Run a counting guest on -nographic (from -kernel, or -device
    `loader`); returns (summary numbers or None, exit status, console
    tail)."""
    image = ["-device", loader] if loader else ["-kernel", guest(name)]
    c = Console(BASE + image + ["-nographic"] + list(extra))
    try:
        m = c.expect(SUMMARY % name, timeout=PATIENCE)
        nums = tuple(int(x) for x in m.groups())
    except Timeout:
        nums = None
    status = c.wait_exit(PATIENCE)
    tail = c.tail()
    c.close()
    return nums, status, tail


def check_counting(name, what, min_cases):
    nums, status, tail = run_counting(name)
    if not t.ok(nums is not None, "%s: the guest reports its cases" % name,
                tail):
        return
    cases, traps, wrong, missed = nums
    t.ok(cases >= min_cases and traps == cases and wrong == 0 and
         missed == 0, "%s: all %d cases trap as expected (%s)"
         % (name, cases, what), tail)
    t.ok(status == 0, "%s: the guest powers off, exit status 0" % name,
         "status %r\n%s" % (status, tail))
    return cases


def trap_guests():
    cases = check_counting("wild", "access fault, misaligned", 25)

    log = os.path.join(WORK, "wild-guest-errors.log")
    nums, status, tail = run_counting("wild", ["-d", "guest_errors", "-D", log])
    text = read_text(log)
    t.ok(status == 0 and "0x40000000" in text and "0x101000" in text,
         "wild: -d guest_errors -D logs the refused accesses (unmapped "
         "0x40000000, goldfish_rtc's 0x101000)",
         "status %r, log:\n%s" % (status, text[:2000]))
    device_lines = [r"^sifive_test: unknown command 0x1234 .*\)$",
                    r"^goldfish_rtc: read of offset 0x1c, .*register$",
                    r"^plic: pending bits are read-only$"]
    t.ok(all(re.search(r, text, re.M) for r in device_lines),
         "wild: the devices log the nonsense they ignore, a line each",
         text[-1000:])

    nums, status, tail = run_counting(
        "wild", loader="loader,file=%s,cpu-num=0" % guest("wild"))
    t.ok(nums is not None and nums[0] == nums[1] and nums[2:] == (0, 0) and
         status == 0, "wild: the same, loaded with -device loader",
         "status %r\n%s" % (status, tail))

    log = os.path.join(WORK, "wild-int.log")
    nums, status, tail = run_counting("wild", ["-d", "int", "-D", log])
    text = read_text(log)
    causes = re.findall(r"exception (\d+)", text)
    t.ok(status == 0 and cases is not None and len(causes) == cases and
         set(causes) == {"1", "4", "5", "6", "7"},
         "wild: -d int logs each trap with its cause (1, 4, 5, 6, 7)",
         "status %r, %d traps logged, log:\n%s" % (status, len(causes),
                                                  text[:2000]))

    c = Console(BASE + ["-kernel", guest("scribble"), "-nographic",
                        "-device", "virtio-rng-device",
                        "-device", "virtio-console-device"])
    try:
        m = c.expect(r"scribble: done, refused accesses: (\d+)\r?\n",
                     timeout=PATIENCE)
        refused = int(m.group(1))
    except Timeout:
        refused = None
    status = c.wait_exit(PATIENCE)
    t.ok(refused and status == 0, "scribble: junk in every size to every "
         "device register (virtio-rng and virtio-console plugged) and back; "
         "%s refused, exit status 0" % refused,
         "status %r\n%s" % (status, c.tail()))
    c.close()

    cases = check_counting("illegal", "mcause 2, mtval = the bits", 30)
    log = os.path.join(WORK, "illegal-int.log")
    nums, status, tail = run_counting("illegal", ["-d", "int", "-D", log])
    text = read_text(log)
    illegal = re.findall(r"exception 2 ", text)
    t.ok(status == 0 and cases is not None and len(illegal) == cases,
         "illegal: -d int logs every illegal instruction",
         "status %r, %d logged, log:\n%s" % (status, len(illegal), text[:2000]))


# ---- the UART flood --------------------------------------------------------
#
# Bounded memory is judged by growth: the flood's peak RSS against that of
# a machine that prints nothing (the spin guest, up for QUIET_SECONDS).
# The runs measured here have LeakSanitizer's check at exit turned off:
# that scan raises the high-water mark by 8-25 MiB in the process's last
# tenth of a second (under ASan the flood's RSS is flat from the first
# second to the guest's poweroff, then jumps as the leak check runs), and
# the quiet run, killed, never does it.  The flood's own leaks still show
# here, as growth, and the other guests run with the leak check.  They
# also get a small quarantine: ASan keeps freed blocks (up to 256 MiB)
# before reusing them, so every copy a growing buffer left behind as it
# was reallocated stayed resident (+2.5 MiB for the 1 MiB output buffer
# of the unread pipe).  The growth limit is a quarter of the volume, plus
# twice the chardev's bounded output buffer where output backs up (the old
# and the new copy while it is reallocated), plus the 1 MiB quarantine
# itself (freed blocks it holds are resident: a 2 MiB flood through a file
# chardev, which buffers nothing, was once seen at +592 kB): a buffer that
# grows with the output costs at least the volume, more than the limit.
FLOOD_BYTES = len(FLOOD_LINE) * FLOOD_LINES
FLOOD_TIMEOUT = PATIENCE + 30 * max(1, FLOOD_BYTES >> 20)   # sanitizers, load
QUARANTINE_KB = 1024
GROWTH_LIMIT_KB = FLOOD_BYTES // 1024 // 4 + QUARANTINE_KB
OUTPUT_BUFFER_KB = 1024     # core/chardev's output buffer (CHARDEV_OUTBUF_LIMIT)
MEASURE_ENV = dict(os.environ)
MEASURE_ENV["ASAN_OPTIONS"] = ":".join(
    x for x in (os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0",
                "quarantine_size_mb=%d" % (QUARANTINE_KB // 1024)) if x)


def watch(proc, timeout):
    """Wait for proc, sampling its peak RSS; returns (status or None on
    timeout, peak RSS in kB, seconds it ran)."""
    start = time.monotonic()
    deadline = start + timeout
    peak = 0
    while proc.poll() is None and time.monotonic() < deadline:
        rss = status_kb(proc.pid, "VmHWM")
        peak = max(peak, rss or 0)
        time.sleep(0.1)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
        return None, peak, time.monotonic() - start
    return proc.returncode, peak, time.monotonic() - start


def stderr_of(path):
    return read_text(path)[-2000:]


QUIET_SECONDS = 10
quiet_kb = []


def quiet_rss_kb():
    """Peak RSS of a machine that is up and printing nothing (the spin
    guest) for QUIET_SECONDS: the flood may add some buffering to that,
    not the flood's size.  Measured once."""
    if not quiet_kb:
        p = subprocess.Popen(BASE + ["-kernel", guest("spin"),
                                     "-display", "none", "-serial", "null"],
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=MEASURE_ENV)
        status, peak, _ = watch(p, QUIET_SECONDS)
        quiet_kb.append(peak if status is None else 0)   # still running
        t.ok(quiet_kb[0] > 0, "a machine that prints nothing for %d s: peak "
             "RSS %d kB" % (QUIET_SECONDS, quiet_kb[0]), "status %r" % status)
    return quiet_kb[0]


def check_rss(label, status, peak, allowance_kb=0):
    """Only a run that got to the end says anything about its memory."""
    quiet = quiet_rss_kb()
    limit = GROWTH_LIMIT_KB + allowance_kb
    t.ok(status == 0 and quiet > 0 and 0 < peak < RSS_LIMIT_KB and
         peak - quiet < limit,
         "flood, %s: memory stays bounded (peak RSS %d kB, %+d kB over a "
         "quiet run; limits %d kB and %+d kB)"
         % (label, peak, peak - quiet, RSS_LIMIT_KB, limit))


def flood(label, serial_args, expect_file=None):
    err = os.path.join(WORK, "flood-%s.err" % label)
    with open(err, "w") as errf:
        p = subprocess.Popen(BASE + ["-kernel", guest(FLOOD_GUEST),
                                     "-display", "none"] + serial_args,
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=errf,
                             env=MEASURE_ENV)
        status, peak, seconds = watch(p, FLOOD_TIMEOUT)
    t.ok(status == 0, "flood, %s: the emulator exits 0 after the guest "
         "powers off (%d bytes, %.0f s)" % (label, FLOOD_BYTES, seconds),
         "status %r\n%s" % (status, stderr_of(err)))
    check_rss(label, status, peak)
    if expect_file:
        try:
            with open(expect_file, "rb") as f:
                data = f.read()
        except OSError:
            data = b""
        body = b"flood: start\n" + FLOOD_LINE * FLOOD_LINES + b"flood: done\n"
        t.ok(data == body, "flood, %s: every byte reached the file in order "
             "(%d bytes)" % (label, len(body)),
             "got %d bytes; starts %r, ends %r"
             % (len(data), data[:80], data[-80:]))
        os.unlink(expect_file)


def flood_unread_pipe():
    """-nographic with stdout a pipe nobody reads until the emulator has
    exited: output that does not fit is dropped (never waited for, nor
    buffered without bound), so the guest's poweroff still ends it.  The
    pipe then holds the start of the output."""
    err = os.path.join(WORK, "flood-pipe.err")
    with open(err, "w") as errf:
        p = subprocess.Popen(BASE + ["-kernel", guest(FLOOD_GUEST),
                                     "-nographic"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=errf, env=MEASURE_ENV)
        status, peak, seconds = watch(p, FLOOD_TIMEOUT)
        got = p.stdout.read() if status is not None else b""
        p.stdin.close()
        p.stdout.close()
    t.ok(status == 0, "flood, stdout pipe never read: no deadlock, the "
         "emulator exits 0 after the guest powers off",
         "status %r\n%s" % (status, stderr_of(err)))
    # The chardev keeps what the pipe does not take, up to its bound.
    check_rss("stdout pipe never read", status, peak,
              2 * OUTPUT_BUFFER_KB)
    t.ok(got.startswith(b"flood: start\r\n") or
         got.startswith(b"flood: start\n"),
         "flood, stdout pipe never read: the pipe holds the start of the "
         "output (%d of %d bytes)"
         % (len(got), 25 + FLOOD_BYTES),
         "starts %r" % got[:80])


def floods():
    out = os.path.join(WORK, "flood.out")
    flood("file chardev", ["-serial", "file:" + out], expect_file=out)
    flood("-serial null", ["-serial", "null"])
    flood_unread_pipe()



# ---- guests that never stop: the monitor still works ----------------------

def runaway(name, banner, checks):
    """Start a guest that never ends, wait for its banner, run `checks`
    over QMP, then quit: the emulator must exit 0."""
    sock = os.path.join(WORK, "%s.qmp" % name)
    c = Console(BASE + ["-kernel", guest(name), "-nographic",
                        "-qmp", "unix:%s,server=on,wait=off" % sock])
    q = None
    try:
        c.expect(banner, timeout=PATIENCE)
        q = Qmp(sock)
        checks(q)
        reply = q.cmd("quit")
        t.ok(reply.get("return") == {}, "%s: QMP quit is accepted" % name,
             reply)
        status = c.wait_exit(PATIENCE)
        t.ok(status == 0, "%s: the emulator exits 0 on quit" % name,
             "status %r\n%s" % (status, c.tail()))
    except (Timeout, OSError, EOFError, ValueError) as e:
        t.ok(False, "%s: monitor answers and quits" % name,
             "%s\n%s" % (e, c.tail()))
    finally:
        if q:
            q.close()
        c.close()


def status_running(name):
    def check(q):
        r = q.cmd("query-status").get("return", {})
        t.ok(r.get("running") is True and r.get("status") == "running",
             "%s: query-status answers: running" % name, r)
    return check


def registers(q):
    r = q.cmd("human-monitor-command",
              {"command-line": "info registers"})
    return r.get("return", "")


def field(regs, name):
    m = re.search(r"\b%s\s+([0-9a-f]+)" % name, regs)
    return int(m.group(1), 16) if m else None


def storm_checks(name, cause):
    def storming(regs):
        return (field(regs, "mcause") == cause and
                field(regs, "mepc") == field(regs, "mtvec"))

    def check(q):
        status_running(name)(q)
        # The banner goes out just before the storm starts: look until
        # the hart is in it.
        deadline = time.monotonic() + PATIENCE
        regs = registers(q)
        while not storming(regs) and time.monotonic() < deadline:
            time.sleep(0.1)
            regs = registers(q)
        t.ok(storming(regs),
             "%s: info registers shows the hart trapping on its own "
             "vector (mcause %d, mepc = mtvec)" % (name, cause), regs)
    return check


def runaway_reboot():
    sock = os.path.join(WORK, "reboot.qmp")
    c = Console(BASE + ["-kernel", guest("reboot"), "-nographic",
                        "-qmp", "unix:%s,server=on,wait=off" % sock])
    q = None
    try:
        for _ in range(REBOOTS):
            c.expect(r"reboot: booted, resetting", timeout=PATIENCE)
        t.ok(True, "reboot: the machine resets and boots again, %d times"
             % REBOOTS)
        q = Qmp(sock)
        status_running("reboot")(q)
        c.expect(r"reboot: booted, resetting", timeout=PATIENCE)
        reply = q.cmd("quit")
        t.ok(reply.get("return") == {}, "reboot: QMP quit is accepted", reply)
        status = c.wait_exit(PATIENCE)
        t.ok(status == 0, "reboot: the emulator exits 0 on quit",
             "status %r\n%s" % (status, c.tail()))
    except (Timeout, OSError, EOFError, ValueError) as e:
        t.ok(False, "reboot: keeps rebooting, monitor answers and quits",
             "%s\n%s" % (e, c.tail()))
    finally:
        if q:
            q.close()
        c.close()


REBOOTS = 50


def runaways():
    runaway("spin", r"spin: looping with interrupts off", status_running("spin"))
    runaway("sleep", r"sleep: waiting with every interrupt masked",
            status_running("sleep"))
    runaway("storm", r"storm: trapping forever", storm_checks("storm", 2))
    runaway("storm-fetch", r"storm: trapping forever",
            storm_checks("storm-fetch", 1))
    runaway_reboot()


if FLOOD_ONLY:
    floods()
else:
    trap_guests()
    floods()
    runaways()
t.done()
