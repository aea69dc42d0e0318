#!/usr/bin/env python3
"""A QMP soak: 200 000 mixed commands over several connections.

Three QMP sockets, one client on each, all at once.  Two clients send
batches and read the replies as a management tool polling all day would;
the third writes a big batch, stops reading for a while, then reads it
all.  Every client reconnects now and then (a greeting each time).  Every
reply must come whole, in order, with the id of its command and the
answer that command gets, and the emulator's RSS may not grow by more
than 1 MiB after a warm-up round that went through the same patterns.

Usage: test-qmp-soak.py [--commands N]
"""
import argparse
import json
import os
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
PATIENCE = 300
GROWTH_LIMIT_KB = 1024
# ASan's quarantine keeps freed blocks resident (256 MiB by default):
# without it, RSS measures what the emulator holds.  The leak check
# stays on.
EMU_ENV = dict(os.environ)
EMU_ENV["ASAN_OPTIONS"] = ":".join(
    x for x in (os.environ.get("ASAN_OPTIONS", ""), "quarantine_size_mb=0")
    if x)
EMU_ENV.setdefault("G_SLICE", "always-malloc")

# (request with %d for the id, check of the answer)
KINDS = [
    ('{"execute": "query-version", "id": %d}',
     lambda m: m["return"]["qemu"]["major"] >= 0),
    ('{"execute": "query-status", "id": %d}',
     lambda m: m["return"]["status"] == "prelaunch"),
    ('{"execute": "qom-list", "arguments": {"path": "/machine"}, "id": %d}',
     lambda m: isinstance(m["return"], list)),
    ('{"execute": "human-monitor-command", "arguments": '
     '{"command-line": "info status"}, "id": %d}',
     lambda m: m["return"].startswith("VM status: paused")),
    ('{"execute": "no-such-command", "id": %d}',
     lambda m: m["error"]["class"] == "CommandNotFound"),
    ('{"execute": "qom-list", "arguments": {"path": 5}, "id": %d}',
     lambda m: m["error"]["class"] == "GenericError"),
    ('{"execute": "query-status", "arguments": {"x": 1}, "id": %d}',
     lambda m: "unexpected" in m["error"]["desc"]),
    ('{"execute": "query-commands", "id": %d}',
     lambda m: any(c["name"] == "quit" for c in m["return"])),
]


class Client:
    """One QMP client; its commands are numbered across its connections."""

    def __init__(self, path, proc):
        self.path, self.proc = path, proc
        self.sock = None
        self.buf = bytearray()
        self.next_id = 0
        self.replies = 0
        self.errors = []

    def connect(self):
        if self.sock:
            self.sock.close()
        self.sock = connect_unix(self.path, self.proc, PATIENCE)
        self.buf.clear()
        if "QMP" not in json.loads(self.line()):
            raise ValueError("no greeting")
        self.sock.sendall(b'{"execute": "qmp_capabilities"}\n')
        if "return" not in json.loads(self.line()):
            raise ValueError("qmp_capabilities refused")

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(1 << 20)
            if not data:
                raise EOFError("connection closed; read so far: %r"
                               % bytes(self.buf[-200:]))
            self.buf += data
        n = self.buf.index(b"\n") + 1
        line = bytes(self.buf[:n])
        del self.buf[:n]
        return line

    def batch(self, count, stall=0):
        """Send count commands; with stall, wait that long before reading
        any reply (the writer runs on, blocking when the emulator stops
        reading)."""
        first = self.next_id
        self.next_id += count
        data = "".join((KINDS[i % len(KINDS)][0] % i) + "\n"
                       for i in range(first, first + count)).encode()
        writer = threading.Thread(target=self.sock.sendall, args=(data,),
                                  daemon=True)
        writer.start()
        if stall:
            time.sleep(stall)
        for i in range(first, first + count):
            line = self.line()
            try:
                msg = json.loads(line)
                ok = msg.get("id") == i and KINDS[i % len(KINDS)][1](msg)
            except (ValueError, KeyError, TypeError, AttributeError):
                ok = False
            if not ok:
                self.errors.append("reply to %d: %r" % (i, line[:300]))
                raise ValueError(self.errors[-1])
            self.replies += 1
        writer.join(PATIENCE)


def run_client(client, plan, failures):
    """plan: list of (commands, batch size, stall seconds); reconnects
    before each step."""
    try:
        for count, size, stall in plan:
            client.connect()
            for _ in range(count // size):
                client.batch(size, stall)
    except (OSError, EOFError, ValueError) as e:
        failures.append("%s: %s" % (client.path, e))


def round_plans(total):
    """Per client, the steps for `total` commands over three clients."""
    steady = total * 2 // 5
    stalling = total - 2 * steady
    big = max(stalling // 4, 1)
    return [
        [(steady // 4, 500, 0)] * 4,
        [(steady // 2, 50, 0)] * 2,
        [(big, big, 2)] * 4,
    ]


def run_round(clients, total):
    """Run the clients' plans at once: (failures, commands planned)."""
    failures = []
    plans = round_plans(total)
    threads = [threading.Thread(target=run_client, args=(c, p, failures))
               for c, p in zip(clients, plans)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    planned = sum(count // size * size for plan in plans
                  for count, size, _ in plan)
    return failures, planned


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commands", type=int, default=200000)
    opts = ap.parse_args()
    if not os.path.exists(TESSERA):
        skip_all("%s not built" % TESSERA)
    t = Tap()
    work = tempfile.mkdtemp(prefix="tessera-soak-")
    paths = [os.path.join(work, "qmp%d.sock" % i) for i in range(3)]
    args = [TESSERA, "-M", "none", "-S", "-display", "none"]
    for p in paths:
        args += ["-qmp", "unix:%s,server=on,wait=off" % p]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=EMU_ENV)
    try:
        clients = [Client(p, proc) for p in paths]
        warm = opts.commands // 10
        failures, planned = run_round(clients, warm)
        done = sum(c.replies for c in clients)
        t.ok(not failures and done == planned,
             "warm-up: %d commands answered" % done, "\n".join(failures))
        base = status_kb(proc.pid, "VmRSS")
        with open("/proc/%d/clear_refs" % proc.pid, "w") as f:
            f.write("5")        # VmHWM := VmRSS
        start = time.monotonic()
        rest = opts.commands - warm
        failures, planned = run_round(clients, rest)
        took = time.monotonic() - start
        peak = status_kb(proc.pid, "VmHWM")
        got = sum(c.replies for c in clients) - done
        t.ok(not failures and got == planned,
             "%d mixed commands over 3 connections, reconnecting, one "
             "client stalling 2 s before reading each batch: %d replies, "
             "all whole and in order, in %.1f s" % (planned, got, took),
             "\n".join(failures))
        growth = (peak or 0) - (base or 0)
        t.ok(base and peak and growth < GROWTH_LIMIT_KB,
             "RSS after warm-up %d kB, peak +%d kB (limit %d kB)"
             % (base or 0, growth, GROWTH_LIMIT_KB))
        for c in clients:
            c.sock.close()
        s = connect_unix(paths[0], proc)
        s.sendall(b'{"execute": "qmp_capabilities"}\n{"execute": "quit"}\n')
        while s.recv(65536):
            pass
        s.close()
    except (OSError, EOFError, ValueError) as e:
        t.ok(False, "soak conversation", e)
        proc.kill()
    finally:
        try:
            _, err = proc.communicate(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        t.ok(proc.returncode == 0, "exit status 0 (no leak found)",
             "status %s\n%s" % (proc.returncode,
                                err.decode(errors="replace")[-3000:]))
        shutil.rmtree(work, ignore_errors=True)
    t.done()


main()
