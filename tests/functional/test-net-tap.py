#!/usr/bin/env python3
"""-netdev tap (plugins/net-tap) with the test Linux guest, inside a
network namespace the test makes (root only: SKIP otherwise).

1. Refusals in one line: vhost=on (no vhost-net), fd= with ifname=,
   a failing ifup script, an fd that is not open (QEMU's words, compared
   with Debian's qemu-system-riscv64 where it does not crash itself).
2. Two NICs on two taps: one the emulator makes (ifname=, with an ifup
   script the test writes, which gives the host side its address, and a
   downscript that leaves a mark), one the test makes and hands over as
   fd= (with IFF_VNET_HDR).  Through each the guest pings an address in
   the namespace, fetches a 3 MiB file from a Python HTTP server there
   with the right SHA-256 (large frames, offloads on the vnet header),
   and the host fetches a page from busybox httpd in the guest.
   `info network` shows both as QEMU does; on exit the downscript ran.

The guest's part skips while -device virtio-net-pci is not available.

Usage: test-net-tap.py [--emulator PATH]
"""
import fcntl
import hashlib
import http.server
import os
import re
import shutil
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

if os.geteuid() != 0:
    skip_all("not root: a tap device and a network namespace need it")
if not os.path.exists("/dev/net/tun"):
    skip_all("no /dev/net/tun on this host")
if not shutil.which("unshare") or not shutil.which("ip"):
    skip_all("unshare or ip missing (Debian packages util-linux, iproute2)")
if not os.environ.get(NS_ENV):
    env = dict(os.environ, **{NS_ENV: "1"})
    os.execvpe("unshare", ["unshare", "--net", "--mount", "--",
                           sys.executable] + sys.argv, env)

g = guest.find_or_skip()
st, out, err = run([EMULATOR, "-netdev", "tap,help"])
# (QEMU 7.2 has no -netdev TYPE,help)
if EMULATOR == TESSERA and (st != 0 or "vnet_hdr" not in out):
    skip_all("-netdev tap is not available: %s"
             % (err.strip().splitlines() or ["?"])[-1])

QEMU = shutil.which("qemu-system-riscv64")
t = Tap()
tmp = tempfile.mkdtemp(prefix="test-net-tap-")
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)

# Documentation networks (RFC 5737), inside our own namespace only.
NETS = [("tstap0", "192.0.2"), ("tstap1", "198.51.100")]

BLOB = os.urandom(3 << 20)
with open(os.path.join(tmp, "blob"), "wb") as f:
    f.write(BLOB)


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=tmp, **kw)

    def log_message(self, fmt, *args):
        pass


IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x0002, 0x1000, 0x4000
TUNSETIFF = 0x400454ca


def make_tap(name):
    """A tap the test makes (vnet header on), as libvirt would; its fd."""
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack(
        "16sH22s", name.encode(), IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, b""))
    return fd


def host_side(dev, net):
    subprocess.run(["ip", "addr", "add", net + ".1/24", "dev", dev],
                   check=True)
    subprocess.run(["ip", "link", "set", dev, "up"], check=True)


class FdConsole(Console):
    """The console with an fd passed on to the emulator."""

    def __init__(self, argv, fds):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT,
                                     pass_fds=fds)
        self.buffer = b""
        self.seen = b""


shell = guest.shell


c = None
try:
    # ---- 1: refusals ----------------------------------------------------
    cases = [
        (["-netdev", "tap,id=t0,fd=3,ifname=x"],
         "ifname=, script=, downscript=, vnet_hdr=, helper=, queues=, "
         "fds=, and vhostfds= are invalid with fd="),
        (["-netdev", "tap,id=t0,ifname=tsbad0,script=/bin/false,"
          "downscript=no"],
         "network script /bin/false failed with status 256"),
        (["-netdev", "tap,id=t0,fd=99"],
         "t0: Can't use file descriptor 99: Bad file descriptor"),
        (["-netdev", "tap,id=t0,vnet_hdr=maybe,script=no"],
         "Parameter 'vnet_hdr' expects 'on' or 'off'"),
    ]
    if EMULATOR == TESSERA:
        refused_like_qemu(t, cases, QEMU)
        # QEMU 7.2 itself aborts on an assertion here.
        refused_like_qemu(t, [(["-netdev", "tap,id=t0,vhost=on,script=no,"
                                "downscript=no"],
                               "vhost-net is not supported")])
    # ---- 2: a guest on two taps ----------------------------------------
    ifup = os.path.join(tmp, "ifup")
    ifdown = os.path.join(tmp, "ifdown")
    mark = os.path.join(tmp, "down-mark")
    with open(ifup, "w") as f:
        f.write("#!/bin/sh\nip addr add %s.1/24 dev \"$1\"\n"
                "ip link set \"$1\" up\n" % NETS[0][1])
    with open(ifdown, "w") as f:
        f.write("#!/bin/sh\necho \"$1\" > %s\n" % mark)
    os.chmod(ifup, 0o755)
    os.chmod(ifdown, 0o755)
    fd = make_tap(NETS[1][0])
    host_side(*NETS[1])

    # Every address of the namespace (its own: lo and the two taps).
    server = http.server.ThreadingHTTPServer(("0.0.0.0", 8080), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    nic = "virtio-net-pci,netdev=%s"
    if EMULATOR != TESSERA:
        nic += ",romfile="      # Debian packages no riscv option ROM
    argv = [EMULATOR, "-M", "virt", "-m", "256M", "-nographic",
            "-kernel", g.image, "-initrd", g.initrd,
            "-append", "console=ttyS0",
            "-netdev", "tap,id=t0,ifname=%s,script=%s,downscript=%s"
            % (NETS[0][0], ifup, ifdown),
            "-device", nic % "t0",
            "-netdev", "tap,id=t1,fd=%d" % fd, "-device", nic % "t1",
            "-monitor", "unix:%s/mon.sock,server=on,wait=off" % tmp]
    c = FdConsole(argv, [fd])
    os.close(fd)
    guest.wait_for_shell(c)
    want = hashlib.sha256(BLOB).hexdigest()
    for i, (dev, net) in enumerate(NETS):
        eth = "eth%d" % i
        shell(c, "ip addr add %s.15/24 dev %s && ip link set %s up"
              % (net, eth, eth))
        out = shell(c, "ping -c 2 -W 5 %s.1" % net, timeout=60)
        t.ok(re.search(r"2 packets received", out),
             "%s (%s): the guest pings %s.1 in the namespace"
             % (eth, dev, net), out)
        out = shell(c, "wget -q -T 20 -O /tmp/f http://%s.1:8080/blob && "
                    "sha256sum /tmp/f" % net, timeout=120)
        t.ok(want in out, "%s: 3 MiB from the namespace's HTTP server with "
             "the right SHA-256" % eth, out)
    shell(c, "mkdir -p /tmp/www && echo TESSERA-TAP-$((6*7)) > "
          "/tmp/www/index.html && httpd -p 80 -h /tmp/www")
    for dev, net in NETS:
        try:
            with urllib.request.urlopen("http://%s.15/index.html" % net,
                                        timeout=30) as r:
                body = r.read().decode()
        except OSError as e:
            body = repr(e)
        t.ok("TESSERA-TAP-42" in body, "%s: the namespace reaches busybox "
             "httpd in the guest" % dev, body)

    from qmp import connect_unix
    mon = connect_unix(os.path.join(tmp, "mon.sock"), c.proc)
    mon.sendall(b"info network\n")
    seen = b""
    # The answer ends at the prompt that follows it (the greeting has one
    # before it).
    try:
        while seen.count(b"(qemu)") < 2 and len(seen) < 65536:
            data = mon.recv(4096)
            if not data:
                break
            seen += data
    except OSError:
        pass
    mon.close()
    info = seen.decode(errors="replace")
    t.ok(re.search(r"t0: index=0,type=tap,ifname=%s,script=%s,"
                   r"downscript=%s" % (NETS[0][0], re.escape(ifup),
                                       re.escape(ifdown)), info) and
         re.search(r"t1: index=0,type=tap,fd=\d+", info),
         "info network shows both taps as QEMU does", info)
    guest.poweroff(t, c, "tap network")
    c = None
    try:
        with open(mark) as f:
            down = f.read().strip()
    except OSError:
        down = None
    t.ok(down == NETS[0][0], "the downscript ran with the interface's name",
         down)
    server.shutdown()
except Timeout as e:
    t.ok(False, "the guest answered", "%s\n%s" % (e, c.tail() if c else ""))
finally:
    if c:
        c.close()
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
