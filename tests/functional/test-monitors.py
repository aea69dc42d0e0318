#!/usr/bin/env python3
"""Monitors on real chardevs, driven by real peers.

QMP on a unix socket server, spoken through socat; HMP on a tcp server
chardev with telnet=on, spoken through a plain socket (the telnet option
negotiation the server sends is stripped).  The HMP port is whatever the
kernel gives `port=0`, read back with query-chardev, so that no two runs
race for a port.  Then the command-line cases: -qmp-pretty, -monitor
stdio, -nographic's monitor, and bad monitor options.
"""
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import TESSERA, Tap, skip_all, tessera  # noqa: E402
from qmp import wait_listening  # noqa: E402

# How long to wait for an answer before calling the test failed.  Not a
# timing check: only a guard against hanging the suite.
PATIENCE = 30

IAC, SB, SE = 255, 250, 240


class Peer:
    """Line-oriented reading from a file descriptor, with a deadline."""

    def __init__(self, fd):
        self.fd = fd
        self.buffer = b""
        self.seen = b""

    def read_some(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no answer; read so far: %r" % self.seen[-500:])
        ready, _, _ = select.select([self.fd], [], [], left)
        if not ready:
            raise TimeoutError("no answer; read so far: %r" % self.seen[-500:])
        data = self.recv()
        if not data:
            raise EOFError("peer closed; read so far: %r" % self.seen[-500:])
        self.seen += data
        self.buffer += data

    def recv(self):
        return os.read(self.fd, 65536)


class Qmp(Peer):
    """QMP through `socat - UNIX-CONNECT:path`."""

    def __init__(self, path):
        self.proc = subprocess.Popen(["socat", "-", "UNIX-CONNECT:" + path],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        super().__init__(self.proc.stdout.fileno())
        self.events = []

    def message(self):
        deadline = time.monotonic() + PATIENCE
        while b"\n" not in self.buffer:
            self.read_some(deadline)
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def send_raw(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def reply(self):
        """The next reply; events on the way are kept in self.events."""
        while True:
            msg = self.message()
            if "event" in msg:
                self.events.append(msg)
            else:
                return msg

    def cmd(self, name, arguments=None, id=None):
        req = {"execute": name}
        if arguments is not None:
            req["arguments"] = arguments
        if id is not None:
            req["id"] = id
        self.send_raw(json.dumps(req) + "\n")
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
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Telnet(Peer):
    """The human monitor on a telnet=on tcp chardev."""

    PROMPT = b"(tessera) "

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=PATIENCE)
        super().__init__(self.sock.fileno())
        self.pending_iac = b""

    def recv(self):
        return self.strip_telnet(self.sock.recv(65536))

    def strip_telnet(self, data):
        """Drop IAC sequences (WILL/WONT/DO/DONT x, SB ... SE, IAC IAC
        is a literal 255); a sequence may be split across reads."""
        data = self.pending_iac + data
        self.pending_iac = b""
        out = bytearray()
        i = 0
        while i < len(data):
            b = data[i]
            if b != IAC:
                out.append(b)
                i += 1
                continue
            if i + 1 >= len(data):
                self.pending_iac = data[i:]
                break
            op = data[i + 1]
            if op == IAC:
                out.append(IAC)
                i += 2
            elif 251 <= op <= 254:
                if i + 2 >= len(data):
                    self.pending_iac = data[i:]
                    break
                i += 3
            elif op == SB:
                end = data.find(bytes([IAC, SE]), i + 2)
                if end < 0:
                    self.pending_iac = data[i:]
                    break
                i = end + 2
            else:
                i += 2
        # The peer has data even when all of it was negotiation: return
        # something non-empty so that it does not look like EOF.
        return bytes(out) if out or not data else b"\0"

    def until_prompt(self):
        deadline = time.monotonic() + PATIENCE
        while self.PROMPT not in self.buffer:
            self.read_some(deadline)
        text, self.buffer = self.buffer.split(self.PROMPT, 1)
        return text.replace(b"\0", b"").decode(errors="replace")

    def command(self, line):
        """Send a line; the text up to the next prompt, without the echo."""
        self.sock.sendall(line.encode() + b"\r\n")
        text = self.until_prompt()
        lines = text.replace("\r", "").split("\n")
        if lines and line in lines[0]:
            lines = lines[1:]         # the echo of what we typed
        return "\n".join(lines).strip()

    def close(self):
        self.sock.close()


def one_line_error(rc, err, *words):
    lines = [x for x in err.splitlines() if x.strip()]
    return (rc == 1 and len(lines) == 1 and
            lines[0].startswith(os.path.basename(TESSERA) + ": ") and
            all(w in lines[0] for w in words))


def drive_qmp(t, q):
    greeting = q.message()
    qmp = greeting.get("QMP", {})
    t.ok("version" in qmp and qmp.get("capabilities") == [],
         "QMP greeting over the unix socket has version and capabilities",
         greeting)
    version = qmp.get("version", {}).get("qemu", {})

    r = q.cmd("query-status")
    t.ok(r.get("error", {}).get("class") == "CommandNotFound",
         "commands before qmp_capabilities are refused", r)
    r = q.cmd("qmp_capabilities")
    t.ok(r == {"return": {}}, "qmp_capabilities", r)

    r = q.cmd("query-status")
    status = r.get("return", {})
    t.ok(status.get("running") is False and
         status.get("status") in ("prelaunch", "paused"),
         "query-status: not running with -S", r)
    r = q.cmd("query-name")
    t.ok(r.get("return") == {"name": "monitors-test"}, "query-name gives -name",
         r)

    r = q.cmd("no-such-command", id="x1")
    t.ok(r.get("error", {}).get("class") == "CommandNotFound" and
         r.get("id") == "x1" and "no-such-command" in
         r.get("error", {}).get("desc", ""),
         "unknown command: CommandNotFound, id echoed", r)

    q.send_raw('{"execute": "query-status", \n')
    q.send_raw('"arguments": }\n')
    r = q.reply()
    t.ok(r.get("error", {}).get("class") == "GenericError",
         "malformed JSON: GenericError", r)
    r = q.cmd("query-status", id=2)
    t.ok("return" in r and r.get("id") == 2,
         "the session goes on after malformed JSON", r)

    r = q.cmd("cont")
    t.ok(r == {"return": {}}, "cont", r)
    e = q.event("RESUME")
    t.ok("timestamp" in e and "seconds" in e["timestamp"],
         "cont sends RESUME with a timestamp", e)
    r = q.cmd("query-status")
    t.ok(r.get("return", {}).get("running") is True and
         r["return"].get("status") == "running", "running after cont", r)

    r = q.cmd("stop")
    t.ok(r == {"return": {}}, "stop", r)
    e = q.event("STOP")
    t.ok(e.get("event") == "STOP", "stop sends STOP", e)

    r = q.cmd("human-monitor-command",
              {"command-line": "info status"})
    t.ok("VM status: paused" in str(r.get("return")),
         "human-monitor-command 'info status'", r)

    r = q.cmd("query-chardev")
    port = None
    for c in r.get("return", []):
        m = re.match(r"(?:disconnected:)?tcp:127\.0\.0\.1:(\d+),server=on",
                     c.get("filename", ""))
        if m:
            port = int(m.group(1))
    t.ok(port, "query-chardev shows the HMP chardev's port", r)
    return version, port


def drive_hmp(t, h, version, q):
    banner = h.until_prompt()
    t.ok("monitor" in banner and "help" in banner,
         "HMP banner over telnet", banner)

    out = h.command("info version")
    want = "%s.%s.%s" % (version.get("major"), version.get("minor"),
                         version.get("micro"))
    t.ok(out.startswith(want), "info version matches query-version", out)

    out = h.command("info status")
    t.ok(out == "VM status: paused", "info status (stopped over QMP)", out)

    out = h.command("p 1+2*3")
    try:
        value = int(out.split()[-1], 0)
    except (ValueError, IndexError):
        value = None
    t.ok(value == 7, "p 1+2*3", out)

    out = h.command("help")
    names = set(re.findall(r"^(\S+)", out, re.M))
    want = {"help|?", "info", "quit|q", "stop", "cont|c", "print|p"}
    t.ok(want <= names,
         "help lists the commands", out)

    out = h.command("nosuchcmd")
    t.ok("unknown command" in out and "nosuchcmd" in out,
         "unknown HMP command is reported", out)

    h.sock.sendall(b"quit\r\n")
    e = q.event("SHUTDOWN")
    t.ok(e.get("data", {}).get("reason") == "host-qmp-quit",
         "HMP quit: QMP sees SHUTDOWN", e)


def sockets_test(t, work):
    sock = os.path.join(work, "qmp.sock")
    p = subprocess.Popen(
        [TESSERA, "-M", "none", "-S", "-display", "none",
         "-name", "monitors-test",
         "-qmp", "unix:%s,server=on,wait=off" % sock,
         "-monitor", "tcp:127.0.0.1:0,server=on,wait=off,telnet=on"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    q = h = None
    try:
        if not t.ok(wait_listening(sock, p), "the QMP socket appears",
                    p.poll()):
            return
        q = Qmp(sock)
        version, port = drive_qmp(t, q)
        if port:
            h = Telnet(port)
            drive_hmp(t, h, version, q)
        try:
            out, err = p.communicate(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        t.ok(p.returncode == 0, "HMP quit ends the process with status 0",
             "status %s\n%s%s" % (p.returncode, out, err))
        t.ok(not os.path.exists(sock), "the unix socket is removed at exit")
    except (TimeoutError, EOFError, OSError, ValueError) as e:
        t.ok(False, "monitor conversation", e)
    finally:
        for peer in (h, q):
            if peer:
                peer.close()
        if p.poll() is None:
            p.kill()
            p.communicate()


def device_del_test(t, work):
    """device_del removes the one device it names, and nothing else (issue
    11: an empty id named /machine/peripheral itself and removed every
    -device, reporting success)."""
    sock = os.path.join(work, "qmp-del.sock")
    p = subprocess.Popen(
        [TESSERA, "-M", "virt", "-S", "-display", "none", "-monitor", "none",
         "-qmp", "unix:%s,server=on,wait=off" % sock,
         "-device", "virtio-rng-device,id=rng0",
         "-device", "virtio-rng-device,id=rng1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    q = None
    try:
        if not t.ok(wait_listening(sock, p), "device_del: the QMP socket "
                    "appears", p.poll()):
            return
        q = Qmp(sock)
        q.message()
        q.cmd("qmp_capabilities")

        def peripherals():
            r = q.cmd("qom-list", {"path": "/machine/peripheral"})
            return sorted(c["name"] for c in r.get("return", [])
                          if c.get("type", "").startswith("child<"))

        for bad in ("", "/machine/peripheral", "/machine", "rng0/x",
                    "nosuch"):
            r = q.cmd("device_del", {"id": bad})
            t.ok(r.get("error", {}).get("class") == "DeviceNotFound" and
                 peripherals() == ["rng0", "rng1"],
                 "device_del id=%r is refused and removes nothing" % bad, r)
        board = [c["name"] for c in
                 q.cmd("qom-list", {"path": "/machine"}).get("return", [])
                 if c.get("type", "") == "child<ns16550a>"]
        if board:
            r = q.cmd("device_del", {"id": "/machine/" + board[0]})
            t.ok("error" in r and "uart0" in str(q.cmd(
                     "qom-list", {"path": "/machine"})),
                 "device_del of the board's %s is refused" % board[0], r)
        r = q.cmd("device_del", {"id": "rng0"})
        t.ok(r.get("return") == {} and peripherals() == ["rng1"],
             "device_del id=rng0 removes rng0 only", r)
        r = q.cmd("device_del", {"id": "/machine/peripheral/rng1"})
        t.ok(r.get("return") == {} and peripherals() == [],
             "device_del takes a QOM path too, as QEMU's does", r)
        q.cmd("quit")
        p.communicate(timeout=PATIENCE)
    except (TimeoutError, EOFError, OSError, ValueError,
            subprocess.TimeoutExpired) as e:
        t.ok(False, "device_del conversation", e)
    finally:
        if q:
            q.close()
        if p.poll() is None:
            p.kill()
            p.communicate()


def stdio_tests(t):
    base = ["-M", "none", "-S", "-display", "none"]

    rc, out, err = tessera(*base, "-qmp-pretty", "stdio",
                           input='{"execute":"qmp_capabilities"}\n'
                                 '{"execute":"query-status"}\n'
                                 '{"execute":"quit"}\n', timeout=PATIENCE)
    dec = json.JSONDecoder()
    msgs, pos, text = [], 0, out
    try:
        while text[pos:].strip():
            while text[pos].isspace():
                pos += 1
            obj, pos = dec.raw_decode(text, pos)
            msgs.append(obj)
    except ValueError:
        pass
    t.ok(rc == 0 and len(msgs) >= 4 and "QMP" in msgs[0] and
         msgs[2].get("return", {}).get("running") is False and
         out.count("\n") > 3 * len(msgs),
         "-qmp-pretty stdio: indented JSON over several lines", out + err)

    # -M none loads no board plugin: virt's limits come from its sidecar
    rc, out, err = tessera(*base, "-qmp", "stdio",
                           input='{"execute":"qmp_capabilities"}\n'
                                 '{"execute":"query-machines"}\n'
                                 '{"execute":"quit"}\n', timeout=PATIENCE)
    virt = None
    for line in out.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        for m in msg.get("return", []) if isinstance(msg.get("return"), list) else []:
            if m.get("name") == "virt":
                virt = m
    t.ok(rc == 0 and virt is not None and virt.get("cpu-max", 0) > 1 and
         virt.get("default-cpu-type") == "rv64-cpu",
         "query-machines without the board loaded: virt's cpu-max and "
         "default CPU type from its sidecar", virt or out + err)

    # QMP on -add-fd's sets: listed, removed; add-fd needs a descriptor
    # passed with SCM_RIGHTS, which stdio cannot carry
    rfd, wfd = os.pipe()
    os.set_inheritable(rfd, True)
    p = subprocess.run([TESSERA, *base, "-qmp", "stdio",
                        "-add-fd", "fd=%d,set=3,opaque=pipe" % rfd],
                       input='{"execute":"qmp_capabilities"}\n'
                             '{"execute":"query-fdsets"}\n'
                             '{"execute":"remove-fd","arguments":{"fdset-id":3}}\n'
                             '{"execute":"query-fdsets"}\n'
                             '{"execute":"remove-fd","arguments":{"fdset-id":3}}\n'
                             '{"execute":"add-fd"}\n'
                             '{"execute":"quit"}\n',
                       capture_output=True, text=True, timeout=PATIENCE,
                       pass_fds=(rfd,))
    os.close(rfd)
    os.close(wfd)
    replies = []
    for line in p.stdout.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if "return" in msg or "error" in msg:
            replies.append(msg)
    sets = replies[1].get("return") if len(replies) > 1 else None
    t.ok(p.returncode == 0 and isinstance(sets, list) and len(sets) == 1 and
         sets[0].get("fdset-id") == 3 and
         sets[0].get("fds", [{}])[0].get("opaque") == "pipe",
         "query-fdsets lists -add-fd's set", p.stdout + p.stderr)
    t.ok(len(replies) >= 6 and replies[2].get("return") == {} and
         replies[3].get("return") == [] and
         "not found" in replies[4].get("error", {}).get("desc", "") and
         "SCM_RIGHTS" in replies[5].get("error", {}).get("desc", ""),
         "remove-fd empties it (then reports it gone); add-fd without a "
         "passed descriptor is an error", p.stdout)

    rc, out, err = tessera(*base, "-monitor", "stdio",
                           input="info status\nquit\n", timeout=PATIENCE)
    t.ok(rc == 0 and "VM status: paused" in out,
         "-monitor stdio: HMP on standard input/output", out + err)
    t.ok(out.rstrip().endswith("quit"),
         "-monitor stdio: no prompt after quit", repr(out[-80:]))

    rc, out, err = tessera(*base, "-mon", "chardev=m0,mode=control",
                           "-chardev", "stdio,id=m0",
                           input='{"execute":"qmp_capabilities"}\n'
                                 '{"execute":"quit"}\n', timeout=PATIENCE)
    t.ok(rc == 0 and out.startswith('{"QMP"') and '"return"' in out,
         "-chardev stdio,id=m0 -mon chardev=m0,mode=control: QMP", out + err)

    rc, out, err = tessera("-M", "none", "-S", "-nographic",
                           input="info status\nquit\n", timeout=PATIENCE)
    t.ok(rc == 0 and "VM status: paused" in out,
         "-nographic: HMP on the stdio mux (no serial port on -M none)",
         out + err)

    rc, out, err = tessera(*base, "-serial", "mon:stdio",
                           input="info status\nquit\n", timeout=PATIENCE)
    t.ok(rc == 0 and "VM status: paused" in out,
         "-serial mon:stdio puts a human monitor on the port's mux",
         out + err)

    # Two monitors on one mux: the one attached last (QMP) has the input
    # until Ctrl-a c hands it to the next (HMP), whose banner comes then.
    rc, out, err = tessera(*base, "-chardev", "stdio,mux=on,id=c0",
                           "-mon", "c0", "-mon", "c0,mode=control",
                           input='{"execute":"qmp_capabilities"}\n'
                                 '\x01cinfo status\nquit\n',
                           timeout=PATIENCE)
    ret = out.find('{"return": {}}')
    banner = out.find("monitor - type 'help'")
    status = out.find("VM status: paused")
    t.ok(rc == 0 and out.startswith('{"QMP"') and
         0 < ret < banner < status,
         "QMP and HMP on one mux, switched with Ctrl-a c", out + err)

    rc, out, err = tessera(*base, "-monitor", "nosuchbackend:x")
    t.ok(one_line_error(rc, err, "-monitor nosuchbackend:x",
                        "nosuchbackend"),
         "-monitor with an unknown backend fails in one line", err)

    rc, out, err = tessera(*base, "-mon", "chardev=missing")
    t.ok(one_line_error(rc, err, "-mon chardev=missing", "'missing'",
                        "not found"),
         "-mon naming a missing chardev fails naming it", err)

    rc, out, err = tessera(*base, "-chardev", "null,id=n0", "-mon",
                           "n0,mode=bogus")
    t.ok(one_line_error(rc, err, "mode", "bogus"),
         "-mon with a bad mode fails in one line", err)

    rc, out, err = tessera(*base, "-chardev", "null,id=n0", "-mon",
                           "n0,pretty=on")
    t.ok(one_line_error(rc, err, "pretty", "HMP"),
         "-mon pretty=on on a human monitor is refused", err)

    rc, out, err = tessera(*base, "-chardev", "null,id=n0", "-mon", "n0",
                           "-mon", "n0")
    t.ok(one_line_error(rc, err, "n0", "in use"),
         "two monitors on one chardev without mux=on are refused", err)

    rc, out, err = tessera(*base, "-qmp", "stdio", "-monitor", "stdio")
    t.ok(one_line_error(rc, err, "stdio"),
         "two monitors on stdio are refused", err)


def main():
    if not shutil.which("socat"):
        skip_all("socat not installed")
    if not os.path.exists(TESSERA):
        skip_all("%s not built" % TESSERA)
    t = Tap()
    work = tempfile.mkdtemp(prefix="tessera-monitors-")
    try:
        sockets_test(t, work)
        device_del_test(t, work)
        stdio_tests(t)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    t.done()


main()
