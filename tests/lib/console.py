"""Drive a guest over its serial console on the emulator's stdio.

`Console.expect(pattern, timeout)` reads until a regular expression shows
up in the output, keeping everything read so far for diagnostics; `send`
types a line.  The emulator is killed on close if it is still running.
"""
import os
import re
import select
import subprocess
import time


class Timeout(Exception):
    pass


class Console:
    def __init__(self, argv, env=None):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env)
        self.buffer = b""
        self.seen = b""           # everything, for diagnostics

    def _read_some(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([self.proc.stdout], [], [], left)
        if not ready:
            return False
        data = os.read(self.proc.stdout.fileno(), 65536)
        if not data:
            raise EOFError("emulator closed its output")
        self.buffer += data
        self.seen += data
        return True

    def expect(self, pattern, timeout=60):
        """Wait for pattern; returns the match and drops the text up to it."""
        regex = re.compile(pattern.encode() if isinstance(pattern, str)
                           else pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = regex.search(self.buffer)
            if m:
                self.buffer = self.buffer[m.end():]
                return m
            try:
                if not self._read_some(deadline):
                    raise Timeout("no %r within %ds" % (pattern, timeout))
            except EOFError:
                raise Timeout("no %r before the emulator exited" % pattern)

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def wait_exit(self, timeout=30):
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            try:
                self._read_some(min(deadline, time.monotonic() + 0.5))
            except EOFError:
                break
        try:
            return self.proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return None

    def tail(self, n=3000):
        return self.seen[-n:].decode(errors="replace")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
