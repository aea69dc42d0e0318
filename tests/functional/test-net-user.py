#!/usr/bin/env python3
"""-netdev user (plugins/net-user) with the test Linux guest on a
virtio-net-pci NIC, every peer a real program on this machine.

1. Start-up errors: a hostfwd= on a port another socket holds, bad
   rules and bad addresses are refused in one line with a non-zero exit,
   in the words of Debian's qemu-system-riscv64 (which must say the same
   when installed).
2. The guest's busybox: `udhcpc` gets 10.0.2.15 from 10.0.2.2; `wget`
   fetches a file from a Python HTTP server on the host's 127.0.0.1
   (10.0.2.2 to the guest) with the right SHA-256; `nslookup` through
   slirp's relay at 10.0.2.3 resolves a name (answered by the test's own
   DNS responder) and not a name that does not exist; DHCP names 10.0.2.3
   as the DNS server; hostfwd=tcp:127.0.0.1:P-:80
   reaches busybox httpd in the guest; guestfwd= to a command and to a
   -chardev carry the guest's connections; HMP hostfwd_add/hostfwd_remove
   add and remove a second forward at run time; `info network` shows
   the backend as QEMU does.
3. restrict=on: DHCP still answers, the guest's connection to the host
   does not get through (the HTTP server sees no request).

Run as root, the test puts itself in a network and mount namespace of
its own with only a loopback, and a resolv.conf naming its DNS
responder: slirp's DNS relay forwards to the host's resolver, which must
not be anything but ours.  Without root the DNS checks are skipped and
the guest only ever uses addresses.

The guest's part skips while -device virtio-net-pci is not available.

Usage: test-net-user.py [--emulator PATH] (PATH: e.g. Debian's QEMU, to
check the test itself against it)
"""
import hashlib
import http.server
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, refused_like_qemu, run, skip_all  # noqa: E402
from console import Console, Timeout  # noqa: E402
import guest  # noqa: E402

NS_ENV = "TESSERA_TEST_NETNS"
EMULATOR = TESSERA
if len(sys.argv) == 3 and sys.argv[1] == "--emulator":
    EMULATOR = sys.argv[2]

# ---- a namespace of our own (root only) ------------------------------
if os.geteuid() == 0 and not os.environ.get(NS_ENV) and \
        shutil.which("unshare") and shutil.which("ip"):
    env = dict(os.environ, **{NS_ENV: "1"})
    os.execvpe("unshare", ["unshare", "--net", "--mount", "--",
                           sys.executable] + sys.argv, env)
IN_NS = bool(os.environ.get(NS_ENV))

g = guest.find_or_skip()
st, out, err = run([EMULATOR, "-netdev", "user,help"])
# (QEMU 7.2 has no -netdev TYPE,help)
if EMULATOR == TESSERA and (st != 0 or "hostfwd" not in out):
    skip_all("-netdev user is not available: %s"
             % (err.strip().splitlines() or ["?"])[-1])

QEMU = shutil.which("qemu-system-riscv64")
t = Tap()
tmp = tempfile.mkdtemp(prefix="test-net-user-")
DNS_NAME = "files.tessera.test"

if IN_NS:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    resolv = os.path.join(tmp, "resolv.conf")
    with open(resolv, "w") as f:
        f.write("nameserver 127.0.0.1\n")
    subprocess.run(["mount", "--bind", resolv, "/etc/resolv.conf"],
                   check=True)


# ---- the host's peers -------------------------------------------------
BLOB = os.urandom(3 << 20)
with open(os.path.join(tmp, "blob"), "wb") as f:
    f.write(BLOB)
requests = []


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=tmp, **kw)

    def log_message(self, fmt, *args):
        requests.append(self.path)


httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
HTTP_PORT = httpd.server_address[1]
threading.Thread(target=httpd.serve_forever, daemon=True).start()


def dns_answer(query):
    """An answer to a DNS query: DNS_NAME is 10.0.2.2, nothing else
    exists."""
    qid, flags, qd = struct.unpack(">HHH", query[:6])
    pos, labels = 12, []
    while query[pos]:
        n = query[pos]
        labels.append(query[pos + 1:pos + 1 + n].decode(errors="replace"))
        pos += 1 + n
    qtype = struct.unpack(">H", query[pos + 1:pos + 3])[0]
    question = query[12:pos + 5]
    name = ".".join(labels).lower()
    if name == DNS_NAME and qtype == 1:
        answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + \
            socket.inet_aton("10.0.2.2")
        return struct.pack(">HHHHHH", qid, 0x8180, 1, 1, 0, 0) + \
            question + answer
    rcode = 0 if name == DNS_NAME else 3
    return struct.pack(">HHHHHH", qid, 0x8180 | rcode, 1, 0, 0, 0) + question


def dns_server(sock):
    while True:
        data, peer = sock.recvfrom(512)
        try:
            sock.sendto(dns_answer(data), peer)
        except (IndexError, struct.error):
            pass


if IN_NS:
    dns_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns_sock.bind(("127.0.0.1", 53))
    threading.Thread(target=dns_server, args=(dns_sock,),
                     daemon=True).start()


chardev_got = []
chardev_srv = socket.socket()
chardev_srv.bind(("127.0.0.1", 0))
chardev_srv.listen()


def chardev_peer():
    """The peer of the guestfwd= chardev: greets, keeps what it gets."""
    conn, _ = chardev_srv.accept()
    conn.sendall(b"TESSERA-CHARDEV-FWD\n")
    conn.settimeout(120)
    try:
        while b"from-guest" not in b"".join(chardev_got):
            data = conn.recv(100)
            if not data:
                break
            chardev_got.append(data)
    except OSError:
        pass


threading.Thread(target=chardev_peer, daemon=True).start()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


shell = guest.shell
UDHCPC_SCRIPT = ('#!/bin/sh\\n[ "$1" = bound ] || exit 0\\n'
                 'ip addr add $ip/$mask dev $interface\\n'
                 'ip route add default via $router\\n'
                 'echo nameserver $dns > /etc/resolv.conf\\n')


def dhcp(c):
    """udhcpc on eth0 with a script that configures what it got; its
    output."""
    shell(c, "printf '%s' > /tmp/dhcp.sh; chmod +x /tmp/dhcp.sh"
          % UDHCPC_SCRIPT)
    shell(c, "mkdir -p /etc; ip link set eth0 up")
    return shell(c, "udhcpc -i eth0 -n -q -t 5 -T 2 -s /tmp/dhcp.sh 2>&1",
                 timeout=60)


def guest_sha256(c, url):
    out = shell(c, "wget -q -T 20 -O /tmp/f %s && sha256sum /tmp/f" % url,
                timeout=120)
    m = re.search(r"^([0-9a-f]{64})\s", out, re.M)
    return (m.group(1) if m else None), out


def boot(netdev, extra=()):
    qmp = os.path.join(tmp, "qmp.sock")
    if os.path.exists(qmp):
        os.unlink(qmp)
    nic = "virtio-net-pci,netdev=n0"
    if EMULATOR != TESSERA:
        nic += ",romfile="     # Debian packages no riscv option ROM
    args = ["-netdev", netdev, "-device", nic,
            "-qmp", "unix:%s,server=on,wait=off" % qmp] + list(extra)
    c = guest.boot(EMULATOR, g, args)
    from qmp import Qmp
    return c, Qmp(qmp, c.proc)


def hmp(q, line):
    r = q.cmd("human-monitor-command", **{"command-line": line})
    return r.get("return", r)


c = None
try:
    # ---- 1: start-up errors ---------------------------------------------
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    rule = "tcp:127.0.0.1:%d-:80" % port
    cases = [
        (["-netdev", "user,id=n0,hostfwd=" + rule],
         "Could not set up host forwarding rule '%s'" % rule),
        (["-netdev", "user,id=n0,hostfwd=bogus"],
         "Invalid host forwarding rule 'bogus' (No : separators)"),
        (["-netdev", "user,id=n0,hostfwd=tcp::x-:22"],
         "Invalid host forwarding rule 'tcp::x-:22' (Bad host port)"),
        (["-netdev", "user,id=n0,hostfwd=tcp::1-:0"],
         "Invalid host forwarding rule 'tcp::1-:0' (Bad guest port)"),
        (["-netdev", "user,id=n0,net=10.0.2.0/33"],
         "Invalid netmask provided (must be in range 4-32)"),
        (["-netdev", "user,id=n0,host=192.168.0.2"],
         "Host doesn't belong to network"),
        (["-netdev", "user,id=n0,dhcpstart=10.0.2.3"],
         "DHCP must be different from host and DNS"),
        (["-netdev", "user,id=n0,ipv4=off,ipv6=off"],
         "IPv4 and IPv6 disabled"),
        (["-netdev", "user,id=n0,guestfwd=bogus"],
         "Invalid guest forwarding rule 'bogus'"),
        (["-netdev", "user,id=n0,smb=%s" % tmp],
         "Could not find '/usr/sbin/smbd', please install it"),
    ]
    if os.path.exists("/usr/sbin/smbd"):
        cases.pop()
    if EMULATOR == TESSERA:
        refused_like_qemu(t, cases, QEMU)
    taken.close()
    # ---- 2: DHCP, HTTP both ways, DNS -----------------------------------
    fwd = free_port()
    c, q = boot("user,id=n0,hostfwd=tcp:127.0.0.1:%d-:80,"
                "guestfwd=tcp:10.0.2.100:4321-cmd:echo TESSERA-CMD-FWD,"
                "guestfwd=tcp:10.0.2.101:4322-chardev:gf" % fwd,
                ["-chardev", "socket,id=gf,host=127.0.0.1,port=%d"
                 % chardev_srv.getsockname()[1]])
    out = dhcp(c)
    t.ok(re.search(r"lease of 10\.0\.2\.15 obtained from 10\.0\.2\.2", out),
         "udhcpc: lease of 10.0.2.15 from 10.0.2.2", out)
    addr = shell(c, "ip -4 addr show eth0")
    t.ok("inet 10.0.2.15/24" in addr, "eth0 has 10.0.2.15/24", addr)

    want = hashlib.sha256(BLOB).hexdigest()
    got, out = guest_sha256(c, "http://10.0.2.2:%d/blob" % HTTP_PORT)
    t.ok(got == want, "wget from the host's 127.0.0.1 (as 10.0.2.2): "
         "3 MiB with the right SHA-256", out)

    if IN_NS:
        out = shell(c, "nslookup %s 10.0.2.3" % DNS_NAME, timeout=60)
        t.ok(re.search(r"Address:? *(1: )?10\.0\.2\.2\b", out),
             "nslookup through slirp's DNS relay 10.0.2.3", out)
        out = shell(c, "nslookup no-such.tessera.test 10.0.2.3; "
                    "echo status=$?", timeout=60)
        t.ok("status=1" in out and not re.search(r"Address:? *(1: )?10\.",
                                                 out.split("Name:")[-1]),
             "nslookup of a name that does not exist fails", out)
    else:
        t.skip("DNS through 10.0.2.3", "not root: no namespace with a "
               "DNS server of the test's own")
    out = shell(c, "cat /etc/resolv.conf")
    t.ok("nameserver 10.0.2.3" in out, "DHCP names 10.0.2.3 as the DNS "
         "server", out)

    out = shell(c, "nc 10.0.2.100 4321 < /dev/null", timeout=60)
    t.ok("TESSERA-CMD-FWD" in out, "guestfwd=...-cmd: the guest talks to "
         "a command on the host", out)
    out = shell(c, "echo from-guest | timeout 10 nc 10.0.2.101 4322",
                timeout=60)
    t.ok("TESSERA-CHARDEV-FWD" in out and
         b"from-guest" in b"".join(chardev_got),
         "guestfwd=...-chardev: bytes both ways with a -chardev's peer",
         "%s\nhost got %r" % (out, chardev_got))

    shell(c, "mkdir -p /tmp/www && echo TESSERA-HOSTFWD-$((6*7)) "
          "> /tmp/www/index.html && httpd -p 80 -h /tmp/www")
    try:
        body = http_get("http://127.0.0.1:%d/index.html" % fwd).decode()
    except OSError as e:
        body = repr(e)
    t.ok("TESSERA-HOSTFWD-42" in body,
         "hostfwd=tcp:127.0.0.1:%d-:80 reaches busybox httpd" % fwd, body)

    fwd2 = free_port()
    r = hmp(q, "hostfwd_add n0 tcp:127.0.0.1:%d-:80" % fwd2)
    try:
        body = http_get("http://127.0.0.1:%d/index.html" % fwd2).decode()
    except OSError as e:
        body = repr(e)
    t.ok("TESSERA-HOSTFWD-42" in body, "HMP hostfwd_add: a second forward "
         "works", "%r\n%s" % (r, body))
    r = hmp(q, "hostfwd_remove n0 tcp:127.0.0.1:%d" % fwd2)
    try:
        socket.create_connection(("127.0.0.1", fwd2), timeout=5).close()
        gone = False
    except OSError:
        gone = True
    # QEMU also prints "host forwarding rule for ... removed"; the core's
    # HMP command prints nothing on success for now.
    t.ok(gone and "not found" not in str(r) and "invalid" not in str(r),
         "HMP hostfwd_remove: the port is closed again", r)
    r = hmp(q, "hostfwd_remove n0 tcp:127.0.0.1:%d" % fwd2)
    t.ok("not found" in str(r), "hostfwd_remove of a rule not there says "
         "so", r)

    info = hmp(q, "info network")
    t.ok(re.search(r"n0: index=0,type=user,net=10\.0\.2\.0,restrict=off",
                   str(info)), "info network shows the user backend as "
         "QEMU does", info)
    q.close()
    guest.poweroff(t, c, "user network")
    c = None

    # ---- 3: restrict=on -------------------------------------------------
    c, q = boot("user,id=n0,restrict=on")
    out = dhcp(c)
    t.ok("lease of 10.0.2.15" in out, "restrict=on: DHCP still answers",
         out)
    before = len(requests)
    out = shell(c, "wget -q -T 5 -O /tmp/f http://10.0.2.2:%d/blob; "
                "echo wget-status=$?" % HTTP_PORT, timeout=60)
    m = re.search(r"wget-status=(\d+)", out)
    t.ok(m and m.group(1) != "0" and len(requests) == before,
         "restrict=on: the guest's connection to the host is blocked", out)
    q.close()
    guest.poweroff(t, c, "restricted user network")
    c = None
except Timeout as e:
    t.ok(False, "the guest answered", "%s\n%s" % (e, c.tail() if c else ""))
finally:
    if c:
        c.close()
    httpd.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
