#!/usr/bin/env python3
"""Monitors facing a peer that sends commands and reads the replies late.

A management tool may pipeline thousands of commands and read the replies
afterwards.  Every reply must then arrive whole, in order, with its "id",
and the emulator's memory must stay flat: it stops reading a peer's
commands while that peer's replies back up, and never drops or cuts a
reply (QEMU behaves so; issue 11 saw 12 193 of 50 000 QMP replies and one
cut line).  Run for QMP and HMP on unix sockets, and for QMP and HMP on a
mux chardev.  Then the per-connection leak: many connections, each read
its greeting, and the emulator's memory stays flat.

Usage: test-monitor-backlog.py [--commands N] [--connects N]
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import TESSERA, Tap, skip_all  # noqa: E402
from qmp import connect_unix  # noqa: E402
from proc import status_kb  # noqa: E402

# Only a guard against hanging the suite, never a timing check.
PATIENCE = 120

# ASan keeps freed blocks (256 MiB by default) before reusing them, and
# they count as resident: a small quarantine keeps RSS meaningful.  The
# leak check stays on: the emulator's exit status says whether it found
# any (the suite runs with G_SLICE=always-malloc, so that json-glib's
# blocks are seen).
QUARANTINE_MB = 1
EMU_ENV = dict(os.environ)
EMU_ENV["ASAN_OPTIONS"] = ":".join(
    x for x in (os.environ.get("ASAN_OPTIONS", ""),
                "quarantine_size_mb=%d" % QUARANTINE_MB) if x)
EMU_ENV.setdefault("G_SLICE", "always-malloc")

# How much RSS may grow over a flood after warm-up.  The monitor holds at
# most 64 KiB of replies plus the replies to one 512-byte read of
# commands (+0.1 MiB without sanitizers); the rest is ASan's allocator
# (+2.3 MiB seen for HMP) and its quarantine.  A leak of one reply per
# command (1.45 kB each, issue 11) is 70 MiB over 50 000.
GROWTH_LIMIT_KB = 4096 + QUARANTINE_MB * 1024


class Emulator:
    """tessera-system-riscv64 -M none with the given monitor options."""

    def __init__(self, args):
        self.proc = subprocess.Popen(
            [TESSERA, "-M", "none", "-S", "-display", "none"] + args,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env=EMU_ENV)

    def rss(self):
        return status_kb(self.proc.pid, "VmRSS")

    def peak(self):
        return status_kb(self.proc.pid, "VmHWM")

    def reset_peak(self):
        # Writing 5 to clear_refs resets VmHWM to the current RSS.
        try:
            with open("/proc/%d/clear_refs" % self.proc.pid, "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    def finish(self):
        """Exit status and stderr (kills it if it does not end)."""
        try:
            _, err = self.proc.communicate(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return self.proc.returncode, err.decode(errors="replace")


class Sender(threading.Thread):
    """Writes every command at once, without reading; notes when done."""

    def __init__(self, sock, data):
        super().__init__(daemon=True)
        self.sock, self.data = sock, data
        self.error = None
        self.done = threading.Event()

    def run(self):
        try:
            self.sock.sendall(self.data)
        except OSError as e:
            self.error = e
        finally:
            self.sock.close()
        self.done.set()


class Peer:
    """Bytes from the emulator, buffered; reads with patience."""

    # Once the sender is done, this long without a byte means nothing
    # more is coming (lost replies), rather than the emulator being slow.
    IDLE = 5

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()

    def fill(self, sender=None):
        """Read more; False on EOF, or when the sender is done and the
        emulator has been silent for IDLE seconds."""
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            self.sock.settimeout(self.IDLE)
            try:
                data = self.sock.recv(1 << 20)
            except socket.timeout:
                if sender is None or sender.done.is_set():
                    return False
                continue
            if not data:
                return False
            self.buf += data
            return True
        raise TimeoutError("no end in sight; read so far: %r"
                           % bytes(self.buf[-300:]))

    def line(self, sender=None):
        """The next line (with its end), or what is left at the end."""
        while b"\n" not in self.buf:
            if not self.fill(sender):
                rest, self.buf = bytes(self.buf), bytearray()
                return rest
        n = self.buf.index(b"\n") + 1
        line = bytes(self.buf[:n])
        del self.buf[:n]
        return line


def flood(sock, lines):
    """Send lines (bytes) from a thread; wait until the writer is done or
    stuck (the emulator stopped reading), without reading anything.
    Returns the sender and whether it got everything out unread."""
    # Its own socket object: the reader's short timeouts are not its.
    out = sock.dup()
    out.settimeout(PATIENCE)
    sender = Sender(out, b"".join(lines))
    sender.start()
    # Let the unread replies pile up: until the writer has finished, or
    # a moment at most (it blocks for good once the emulator stops
    # reading; without that it was done in well under a second).
    sender.done.wait(1.5)
    return sender, sender.done.is_set()


def qmp_requests(count):
    """Mixed requests with ids; the answer each must get."""
    kinds = [
        ('{"execute": "query-version", "id": %d}\n', "return"),
        ('{"execute": "query-status", "id": %d}\n', "return"),
        ('{"execute": "no-such-command", "id": %d}\n', "error"),
        ('{"execute": "qom-list", "arguments": {"path": "/"}, "id": %d}\n',
         "return"),
    ]
    lines, want = [], []
    for i in range(count):
        text, key = kinds[i % len(kinds)]
        lines.append((text % i).encode())
        want.append(key)
    return lines, want


def qmp_case(t, work, name, args, path, count):
    emu = Emulator(args)
    sock = None
    try:
        sock = connect_unix(path, emu.proc)
        reader = Peer(sock)
        greeting = json.loads(reader.line())
        if not t.ok("QMP" in greeting, "%s: greeting" % name, greeting):
            return
        sock.sendall(b'{"execute": "qmp_capabilities"}\n')
        json.loads(reader.line())
        # Warm up: the same commands, read as they come.
        warm, _ = qmp_requests(2000)
        sock.sendall(b"".join(warm))
        for _ in warm:
            reader.line()
        base = emu.rss()
        emu.reset_peak()

        lines, want = qmp_requests(count)
        sender, unread_done = flood(sock, lines)
        bad = []
        got = 0
        for i, key in enumerate(want):
            line = reader.line(sender)
            if not line:
                bad.append("no more replies after %d" % got)
                break
            try:
                msg = json.loads(line)
            except ValueError:
                bad.append("reply %d is not whole JSON: %r" % (i, line[:200]))
                break
            if msg.get("id") != i or key not in msg:
                bad.append("reply %d: %r" % (i, msg))
                break
            got += 1
        sender.join(PATIENCE)
        if sender.error:
            bad.append("sending: %s" % sender.error)
        peak = emu.peak()
        t.ok(not bad and got == count,
             "%s: %d pipelined commands read late get %d whole replies, "
             "in order, each with its id" % (name, count, got),
             "\n".join(bad))
        t.ok(not unread_done,
             "%s: the emulator stops reading commands while replies are "
             "unread" % name,
             "all %d commands were taken with no reply read" % count)
        growth = (peak or 0) - (base or 0)
        t.ok(base and peak and growth < GROWTH_LIMIT_KB,
             "%s: memory stays flat (%d kB after warm-up, peak +%d kB, "
             "limit %d kB)" % (name, base or 0, growth, GROWTH_LIMIT_KB))
        sock.sendall(b'{"execute": "quit", "id": "bye"}\n')
        while reader.fill():
            pass
        rest = bytes(reader.buf)
        t.ok(b'"id": "bye"' in rest, "%s: quit is answered" % name, rest[-300:])
    except (OSError, EOFError, ValueError) as e:
        t.ok(False, "%s: conversation" % name, e)
        emu.proc.kill()
    finally:
        if sock:
            sock.close()
        status, err = emu.finish()
        t.ok(status == 0, "%s: exit status 0 (no leak found)" % name,
             "status %s\n%s" % (status, err[-3000:]))


PROMPT = b"(tessera) "
RESULT = re.compile(rb"\r\n(0x[0-9a-f]+)\r\n")


def hmp_case(t, work, name, args, path, count):
    emu = Emulator(args)
    sock = None
    try:
        sock = connect_unix(path, emu.proc)
        reader = Peer(sock)
        while PROMPT not in reader.buf:
            if not reader.fill():
                raise EOFError("closed before the prompt: %r" % reader.buf)
        warm = [b"p %d\n" % i for i in range(1, 2001)]
        sock.sendall(b"".join(warm))
        reader.buf.clear()
        while reader.buf.count(PROMPT) < len(warm):
            if not reader.fill():
                raise EOFError("closed during warm-up")
        base = emu.rss()
        emu.reset_peak()

        # "p N" prints N in hex: each answer says which command it answers;
        # "help" after each, so that there is a lot to read (about 850
        # bytes a pair).  Padded with blanks, so that the commands are more
        # than the host's socket buffers hold (about 50 bytes a pair).
        pairs = count // 2
        lines = [(b"p %d" % i).ljust(44) + b"\nhelp\n"
                 for i in range(1, pairs + 1)]
        sender, unread_done = flood(sock, lines)
        reader.buf.clear()
        prompts = 0
        while prompts < 2 * pairs:
            # A prompt may straddle two reads; one that ended the last
            # read is counted already.
            tail = len(reader.buf) - len(PROMPT) + 1
            if not reader.fill(sender):
                break
            prompts += reader.buf.count(PROMPT, max(tail, 0))
        out = reader.buf
        sender.join(PATIENCE)
        if sender.error:
            out += b"\nsending: %s" % str(sender.error).encode()
        peak = emu.peak()
        values = [int(m, 16) for m in RESULT.findall(bytes(out))]
        first_bad = next((i for i, v in enumerate(values) if v != i + 1),
                         None)
        helps = out.count(b"print|p /fmt expr")
        t.ok(values == list(range(1, pairs + 1)) and helps == pairs,
             "%s: %d pipelined commands read late get %d + %d whole "
             "answers, in order" % (name, 2 * pairs, len(values), helps),
             "first wrong answer at %s: %r" % (
                 first_bad, values[first_bad:first_bad + 3]
                 if first_bad is not None else values[-3:]))
        t.ok(not unread_done,
             "%s: the emulator stops reading commands while output is "
             "unread" % name,
             "all %d commands were taken with no output read" % count)
        growth = (peak or 0) - (base or 0)
        t.ok(base and peak and growth < GROWTH_LIMIT_KB,
             "%s: memory stays flat (%d kB after warm-up, peak +%d kB, "
             "limit %d kB)" % (name, base or 0, growth, GROWTH_LIMIT_KB))
        sock.sendall(b"quit\n")
        while reader.fill():
            pass
    except (OSError, EOFError, ValueError) as e:
        t.ok(False, "%s: conversation" % name, e)
        emu.proc.kill()
    finally:
        if sock:
            sock.close()
        status, err = emu.finish()
        t.ok(status == 0, "%s: exit status 0 (no leak found)" % name,
             "status %s\n%s" % (status, err[-3000:]))


def greeting_case(t, work, connects):
    """Connect, read the greeting, hang up; over and over."""
    path = os.path.join(work, "greet.sock")
    emu = Emulator(["-qmp", "unix:%s,server=on,wait=off" % path])

    def one():
        s = connect_unix(path, emu.proc)
        s.settimeout(PATIENCE)
        f = s.makefile("rb")
        line = f.readline()
        # The emulator sees the hangup after the greeting went out; a
        # command round trip makes sure it has finished with the last
        # connection before the next one is counted.
        s.sendall(b'{"execute": "qmp_capabilities"}\n')
        f.readline()
        f.close()
        s.close()
        return line

    try:
        warm = connects // 10
        for _ in range(warm):
            one()
        base = emu.rss()
        emu.reset_peak()
        lines = [one() for _ in range(connects)]
        peak = emu.peak()
        t.ok(all(b'"QMP"' in x for x in lines),
             "greetings: each of %d connections is greeted" % connects)
        growth = (peak or 0) - (base or 0)
        # A leak of 1.5 kB per greeting (issue 11) is about 1.5 MiB per
        # 1000 connections.
        limit = connects * 3 // 4 // 10 + QUARANTINE_MB * 1024
        t.ok(base and peak and growth < limit,
             "greetings: memory stays flat over %d connections (%d kB "
             "after warm-up, peak +%d kB, limit %d kB)"
             % (connects, base or 0, growth, limit))
        s = connect_unix(path, emu.proc)
        s.sendall(b'{"execute": "qmp_capabilities"}\n'
                  b'{"execute": "quit"}\n')
        while s.recv(65536):
            pass
        s.close()
    except (OSError, EOFError, ValueError) as e:
        t.ok(False, "greetings: conversation", e)
        emu.proc.kill()
    finally:
        status, err = emu.finish()
        t.ok(status == 0, "greetings: exit status 0 (no leak found)",
             "status %s\n%s" % (status, err[-3000:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commands", type=int, default=50000)
    ap.add_argument("--connects", type=int, default=2000)
    opts = ap.parse_args()
    if not os.path.exists(TESSERA):
        skip_all("%s not built" % TESSERA)
    t = Tap()
    work = tempfile.mkdtemp(prefix="tessera-backlog-")
    try:
        q = os.path.join(work, "qmp.sock")
        qmp_case(t, work, "QMP on a socket",
                 ["-qmp", "unix:%s,server=on,wait=off" % q], q,
                 opts.commands)
        h = os.path.join(work, "hmp.sock")
        hmp_case(t, work, "HMP on a socket",
                 ["-monitor", "unix:%s,server=on,wait=off" % h], h,
                 opts.commands)
        # Through a mux: fewer, still megabytes of output.
        mq = os.path.join(work, "mux-qmp.sock")
        qmp_case(t, work, "QMP on a mux",
                 ["-chardev", "socket,id=mx,path=%s,server=on,wait=off,"
                  "mux=on" % mq, "-mon", "chardev=mx,mode=control"], mq,
                 opts.commands * 2 // 5)
        mh = os.path.join(work, "mux-hmp.sock")
        hmp_case(t, work, "HMP on a mux",
                 ["-chardev", "socket,id=mx,path=%s,server=on,wait=off,"
                  "mux=on" % mh, "-mon", "chardev=mx,mode=readline"], mh,
                 opts.commands * 2 // 5)
        greeting_case(t, work, opts.connects)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    t.done()


main()
