"""A QMP client for the functional tests, and the one way they connect to
a unix socket the emulator listens on.

The socket's path exists from bind(), a moment before listen(): a client
that connects as soon as the path appears can be refused.  connect_unix
retries until the emulator accepts, exits, or the patience runs out.
"""
import contextlib
import json
import os
import socket
import subprocess
import time

PATIENCE = 60


def connect_unix(path, proc=None, patience=PATIENCE):
    """A socket connected to the unix socket at path.

    proc, if given, is the emulator's Popen: its exit ends the wait with
    EOFError.  Only a guard against hanging a suite, never a timing."""
    deadline = time.monotonic() + patience
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            s.settimeout(patience)
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
            if proc is not None and proc.poll() is not None:
                raise EOFError("the emulator exited (status %d) before "
                               "accepting on %s" % (proc.returncode, path))
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def wait_listening(path, proc, patience=PATIENCE):
    """True once something accepts on the unix socket at path, False if
    the emulator exits or the patience runs out first."""
    try:
        connect_unix(path, proc, patience).close()
        return True
    except (OSError, EOFError):
        return False


class Qmp:
    """QMP over a unix socket: the greeting, commands, replies, events."""

    def __init__(self, path, proc=None, capabilities=True):
        self.sock = connect_unix(path, proc)
        self.file = self.sock.makefile("rwb")
        self.events = []
        self.greeting = self.message()
        if capabilities:
            self.cmd("qmp_capabilities")

    def message(self):
        line = self.file.readline()
        if not line:
            raise EOFError("QMP connection closed")
        return json.loads(line)

    def send(self, req):
        self.file.write((json.dumps(req) + "\n").encode())
        self.file.flush()

    def reply(self):
        """The next reply; events on the way are kept in self.events."""
        while True:
            msg = self.message()
            if "event" in msg:
                self.events.append(msg)
            else:
                return msg

    def cmd(self, name, arguments=None, **kwargs):
        req = {"execute": name}
        args = dict(arguments or {}, **kwargs)
        if args:
            req["arguments"] = args
        self.send(req)
        return self.reply()

    def event(self, name):
        """Wait for an event (it may have come with an earlier reply)."""
        while True:
            for e in self.events:
                if e["event"] == name:
                    self.events.remove(e)
                    return e
            msg = self.message()
            if "event" in msg:
                self.events.append(msg)

    def close(self):
        try:
            self.file.close()
        finally:
            self.sock.close()


@contextlib.contextmanager
def running(argv, workdir, quit=True, **popen_kw):
    """Start argv with a QMP socket in workdir and yield (proc, Qmp).

    On leaving, the emulator is told to quit (unless quit=False: the
    test ended it) and reaped; one still running after that is killed.
    stdout is discarded and stderr is a pipe unless popen_kw says
    otherwise."""
    sock = os.path.join(workdir, "qmp-%d.sock" % time.monotonic_ns())
    popen_kw.setdefault("stdout", subprocess.DEVNULL)
    popen_kw.setdefault("stderr", subprocess.PIPE)
    popen_kw.setdefault("text", True)
    p = subprocess.Popen(list(argv) + ["-qmp", "unix:%s,server=on,wait=off"
                                       % sock], **popen_kw)
    q = None
    try:
        q = Qmp(sock, p)
        yield p, q
        if quit and p.poll() is None:
            q.cmd("quit")
            p.wait(PATIENCE)
    finally:
        if q is not None:
            try:
                q.close()
            except OSError:
                pass
        if p.poll() is None:
            p.kill()
        p.wait()
