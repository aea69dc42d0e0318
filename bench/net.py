#!/usr/bin/env python3
"""Network benchmarks (issue 14): bulk TCP through -netdev user on a
virtio-net-pci NIC with the test Linux guest, Tessera and Debian's
qemu-system-riscv64 with the same netdev and device, alternating runs in
one invocation.

    bench/net.py [--runs N] [--mib N] [--netdev user] [--device D]
                 [--tessera PATH] [--qemu PATH]   ('' for none)

guest<-host  the guest's busybox wget fetches MIB MiB from an HTTP server
             on the host's 127.0.0.1 (10.0.2.2 to the guest) into
             /dev/null; timed on the host from typing the command to the
             shell's next prompt.
host<-guest  the guest's busybox httpd serves MIB MiB of zeros (a CGI
             running dd) on port 5000, reached through
             hostfwd=tcp:127.0.0.1:P-:5000; timed on the host from
             connect() to the end of the stream.

The host server's bytes come from memory (no disk in the measurement).
The guest CPU figure is the guest's own busy time (wget's user+sys from
`time`; /proc/stat's non-idle ticks around the host<-guest transfer),
on the guest's clock: how busy the vCPU was, not wall time.  MiB/s medians and the Tessera/QEMU ratio are printed; above
1 means Tessera is faster here.
"""
import argparse
import http.server
import os
import re
import shutil
import socket
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import guest  # noqa: E402
from console import Console  # noqa: E402

FW = guest.DEFAULT_BIOS
CHUNK = b"\0" * (1 << 20)


class Zeros(http.server.BaseHTTPRequestHandler):
    """GET /N: N MiB of zeros, straight from memory."""

    def do_GET(self):
        mib = int(self.path.strip("/"))
        self.send_response(200)
        self.send_header("Content-Length", str(mib << 20))
        self.end_headers()
        for _ in range(mib):
            self.wfile.write(CHUNK)

    def log_message(self, fmt, *args):
        pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def guest_cpu(out):
    """user+sys seconds from busybox time's output."""
    t = dict((k, int(m or 0) * 60 + float(s)) for k, m, s in re.findall(
        r"^(user|sys)\s+(?:(\d+)m\s*)?([\d.]+)s", out, re.M))
    return t["user"] + t["sys"] if len(t) == 2 else None


def stat_busy(before, after):
    """Seconds the guest's CPU was not idle between two `head -1
    /proc/stat` (USER_HZ 100)."""
    a = [int(x) for x in before.split()[1:]]
    b = [int(x) for x in after.split()[1:]]
    busy = sum(b) - sum(a) - ((b[3] + b[4]) - (a[3] + a[4]))
    return busy / 100.0


def one_boot(binary, extra, g, mib, http_port, netdev, device):
    fwd = free_port()
    nic = device + ",netdev=n0"
    if "qemu" in os.path.basename(binary):
        nic += ",romfile="      # Debian packages no riscv option ROM
    argv = [binary] + extra + [
        "-M", "virt", "-smp", "1", "-m", "512M", "-nographic",
        "-bios", FW, "-kernel", g.image, "-initrd", g.initrd,
        "-append", "console=ttyS0",
        "-netdev", "%s,id=n0,hostfwd=tcp:127.0.0.1:%d-:5000" % (netdev, fwd),
        "-device", nic]
    c = Console(argv)
    try:
        c.expect(r"TESSERA-GUEST: init reached", timeout=600)
        c.expect(guest.PROMPT, timeout=120)
        sh = guest.shell
        sh(c, "stty cols 250")
        sh(c, "ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0")
        res = {}

        t0 = time.perf_counter()
        out = sh(c, "time wget -q -O /dev/null http://10.0.2.2:%d/%d"
                 % (http_port, mib), timeout=3600)
        res["guest<-host"] = mib / (time.perf_counter() - t0)
        res["guest<-host cpu"] = guest_cpu(out)

        # busybox httpd runs a CGI that streams the zeros: it ends the
        # connection when done, which nc -l does not.
        sh(c, "mkdir -p /tmp/www/cgi-bin && printf '#!/bin/sh\\necho "
           "Content-Type: application/octet-stream\\necho\\n"
           "exec dd if=/dev/zero bs=1M count=%d 2>/dev/null\\n' > "
           "/tmp/www/cgi-bin/zeros && chmod +x /tmp/www/cgi-bin/zeros && "
           "httpd -p 5000 -h /tmp/www" % mib)
        before = sh(c, "head -1 /proc/stat")
        t0 = time.perf_counter()
        got = 0
        with socket.create_connection(("127.0.0.1", fwd), timeout=600) as s:
            s.sendall(b"GET /cgi-bin/zeros HTTP/1.0\r\n\r\n")
            while True:
                data = s.recv(1 << 20)
                if not data:
                    break
                got += len(data)
        dt = time.perf_counter() - t0
        after = sh(c, "head -1 /proc/stat")
        if got < mib << 20:
            sys.exit("host<-guest: got %d bytes of %d" % (got, mib << 20))
        res["host<-guest"] = mib / dt
        res["host<-guest cpu"] = stat_busy(before, after)
        c.send("poweroff -f\n")
        c.wait_exit(60)
        return res
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mib", type=int, default=512)
    ap.add_argument("--netdev", default="user")
    ap.add_argument("--device", default="virtio-net-pci")
    ap.add_argument("--tessera", default=os.path.join(
        HERE, "..", "build-bench", "tessera-system-riscv64"))
    ap.add_argument("--qemu", default=shutil.which("qemu-system-riscv64"))
    ap.add_argument("--tessera-accel", default="tcg,jit=on",
                    help="Tessera's -accel ('' for none)")
    args = ap.parse_args()
    g = guest.find()
    if not g:
        sys.exit(guest.MISSING)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Zeros)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    accel = ["-accel", args.tessera_accel] if args.tessera_accel else []
    bins = [("tessera", args.tessera, accel)] if args.tessera else []
    if args.qemu:
        bins.append(("qemu", args.qemu, []))
    else:
        print("qemu-system-riscv64 not found: Tessera figures only")
    print("net: -netdev %s, -device %s, %d MiB each way, %d runs each, "
          "median MiB/s (guest CPU s)" % (args.netdev, args.device,
                                          args.mib, args.runs))
    got = {b: [] for b, _, _ in bins}
    for _ in range(args.runs):
        for b, path, extra in bins:
            got[b].append(one_boot(path, extra, g, args.mib,
                                   server.server_address[1], args.netdev,
                                   args.device))
    for what in ("guest<-host", "host<-guest"):
        med = {b: statistics.median(r[what] for r in got[b]) for b in got}
        line = "%-12s" % what
        for b, _, _ in bins:
            cpus = [r[what + " cpu"] for r in got[b]
                    if r[what + " cpu"] is not None]
            cpu = " (%.1f s)" % statistics.median(cpus) if cpus else ""
            line += "   %s %7.1f MiB/s%s" % (b, med[b], cpu)
        if "qemu" in med and "tessera" in med:
            line += "   tessera/qemu %.2f" % (med["tessera"] / med["qemu"])
        print(line)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
