#!/usr/bin/env python3
"""Boot the test Linux guest on the virt board with virtio-rng and
virtio-console, and use both from the guest's shell.

Checks that Linux's virtio_rng becomes the hwrng and /dev/hwrng gives
bytes that change from read to read, that text written to /dev/hvc0
arrives on the console's chardev (a Unix socket the test connects to),
and that text typed into that socket is read from /dev/hvc0 in the guest.
"""
import os
import re
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA  # noqa: E402
from console import Console, Timeout  # noqa: E402
import guest  # noqa: E402
from qmp import connect_unix  # noqa: E402

g = guest.find_or_skip()

t = Tap()
PROMPT = guest.PROMPT


shell = guest.shell


def connect(c, path, timeout=30):
    """Connect to the console's socket once the emulator listens on it."""
    try:
        return connect_unix(path, c.proc, timeout)
    except EOFError:
        c.wait_exit(1)                  # collect what it said
        raise Timeout("the emulator exited before making %s" % path)


def receive_until(sock, pattern, timeout=30):
    """Read from the socket until pattern shows up; return all read."""
    sock.settimeout(1)
    data = b""
    deadline = time.monotonic() + timeout
    while not re.search(pattern, data) and time.monotonic() < deadline:
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            continue
        if not chunk:
            break
        data += chunk
    return data


tmp = tempfile.mkdtemp(prefix="test-virtio-")
sock_path = os.path.join(tmp, "hvc.sock")
c = Console([TESSERA, "-M", "virt", "-m", "256M", "-nographic",
             "-kernel", g.image, "-initrd", g.initrd,
             "-append", "console=ttyS0",
             "-device", "virtio-rng-device",
             "-chardev", "socket,id=hvc,path=%s,server=on,wait=off" %
             sock_path,
             "-device", "virtio-console-device,chardev=hvc"])
sock = None
try:
    sock = connect(c, sock_path)
    c.expect(r"TESSERA-GUEST: init reached", timeout=240)
    c.expect(PROMPT, timeout=60)
    shell(c, "stty cols 200")

    out = shell(c, "cat /sys/class/misc/hw_random/rng_current")
    t.ok(out.strip() == "virtio_rng.0", "virtio_rng is the guest's hwrng",
         out)
    a = shell(c, "head -c 32 /dev/hwrng | od -An -tx1")
    b = shell(c, "head -c 32 /dev/hwrng | od -An -tx1")
    bytes_a = a.split()
    t.ok(len(bytes_a) == 32 and a != b and len(set(bytes_a)) > 4,
         "/dev/hwrng gives 32 bytes that change between reads",
         a + "\n" + b)

    shell(c, "echo hello-from-hvc0 > /dev/hvc0")
    got = receive_until(sock, rb"hello-from-hvc0")
    t.ok(b"hello-from-hvc0" in got, "guest output on /dev/hvc0 reaches "
         "the chardev", got)

    # The reader opens hvc0 first, so the line cannot arrive before it.
    shell(c, "stty -F /dev/hvc0 -echo; "
             "(read -t 60 l < /dev/hvc0; echo \"got:$l\") &")
    time.sleep(1)
    sock.sendall(b"typed-on-the-host\n")
    c.expect(r"got:typed-on-the-host", timeout=60)
    t.ok(True, "input on the chardev is read from /dev/hvc0")

    out = shell(c, "cat /proc/interrupts")
    counts = [int(m.group(1)) for m in
              re.finditer(r"^\s*\d+:\s+(\d+)\s.*virtio", out, re.M)]
    t.ok(len(counts) == 2 and all(n > 0 for n in counts),
         "both devices interrupted the guest", out)

    c.send("poweroff -f\n")
    status = c.wait_exit(60)
    t.ok(status == 0, "poweroff -f ends the emulator with status 0",
         "status %r\n%s" % (status, c.tail()))
except (Timeout, OSError) as e:
    t.ok(False, "guest session", "%s\n%s" % (e, c.tail()))
finally:
    if sock:
        sock.close()
    c.close()
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    os.rmdir(tmp)
t.done()
