#!/usr/bin/env python3
"""blk-nbd against real NBD servers, with the test Linux guest.

One boot, five virtio-blk disks, each served over NBD and reached by a
different spelling:

1. Debian's qemu-nbd over a UNIX socket, a qcow2 image (ext2 made on the
   host with a file of known checksum) exported as raw, opened as
   -drive file=nbd+unix:///exp?socket=PATH (format probed through NBD):
   the guest mounts it, reads the file's checksum, writes a new file.
   A qcow2 file served as plain bytes (qemu-nbd -f raw) and opened as
   nbd:127.0.0.1:PORT:exportname=q (the legacy syntax) without a format:
   probed as qcow2 through NBD.
   A qcow2 overlay whose backing file is nbd+tcp://127.0.0.1:PORT/base (a
   read-only qemu-nbd of the same file system): the file reads the same.
2. qemu-nbd over TCP, another qcow2 with a pattern at 2 MiB, opened as
   -blockdev driver=nbd,server.type=inet,... under a raw node: the
   guest reads the pattern and writes 1 MiB at 8 MiB.
3. nbdkit's memory plugin, opened with the legacy nbd:unix:PATH name
   and discard=unmap: the guest writes and reads two regions at once
   (several requests in flight on the one connection), reads them back
   past its cache, and discards one.

After the guest powers off, the host checks with tools that know nothing
of Tessera: debugfs reads the new file out of the qcow2 (via qemu-img
convert), the TCP image holds the guest's bytes at 8 MiB, and nbdkit
still serves the guest's data with the discarded range a hole (nbdinfo
--map).
"""
import hashlib
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, skip_all, run  # noqa: E402
import guest  # noqa: E402

QEMU_NBD = shutil.which("qemu-nbd")
QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")
NBDKIT = shutil.which("nbdkit")
NBDINFO = shutil.which("nbdinfo")
MKE2FS = shutil.which("mke2fs") or "/sbin/mke2fs"
DEBUGFS = shutil.which("debugfs") or "/sbin/debugfs"
if not (QEMU_NBD and QEMU_IMG and QEMU_IO):
    skip_all("qemu-nbd, qemu-img, qemu-io not installed (Debian package "
             "qemu-utils)")
if not os.path.exists(MKE2FS) or not os.path.exists(DEBUGFS):
    skip_all("mke2fs/debugfs not installed (Debian package e2fsprogs)")
g = guest.find_or_skip()
t = Tap()
shell = guest.shell
tmp = tempfile.mkdtemp(prefix="test-nbd-client-")


def path(name):
    return os.path.join(tmp, name)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def check(args, what):
    st, out, err = run(args, timeout=120)
    if st != 0:
        raise RuntimeError("%s failed: %s%s" % (what, out, err))
    return out


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(p, what, sock=None, port=None):
    for _ in range(100):
        if sock and os.path.exists(sock):
            return
        if port:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                return
            except OSError:
                pass
        if p.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError("%s did not start" % what)


servers = []


def serve(args, what, sock=None, port=None):
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    servers.append(p)
    wait_for(p, what, sock, port)
    return p


c = None
try:
    # ---- the images ----------------------------------------------------
    rnd = random.Random(15)
    known = bytes(rnd.getrandbits(8) for _ in range(192 * 1024))
    os.mkdir(path("tree"))
    with open(path("tree/known"), "wb") as f:
        f.write(known)
    check([MKE2FS, "-q", "-t", "ext2", "-d", path("tree"), path("fs.raw"),
           "16M"], "mke2fs")
    check([QEMU_IMG, "convert", "-f", "raw", "-O", "qcow2", path("fs.raw"),
           path("fs.qcow2")], "qemu-img convert")
    check([QEMU_IMG, "create", "-q", "-f", "qcow2", path("data.qcow2"),
           "16M"], "qemu-img create")
    check([QEMU_IO, "-f", "qcow2", "-c", "write -P 0x5a 2M 1M",
           path("data.qcow2")], "qemu-io write")

    # ---- the servers ---------------------------------------------------
    unix_sock = path("qemu-nbd.sock")
    serve([QEMU_NBD, "-k", unix_sock, "-f", "qcow2", "-x", "exp",
           path("fs.qcow2")], "qemu-nbd (unix)", sock=unix_sock)
    port = free_port()
    serve([QEMU_NBD, "-b", "127.0.0.1", "-p", str(port), "-f", "qcow2",
           "-x", "data", path("data.qcow2")], "qemu-nbd (tcp)", port=port)
    # The qcow2 file's own bytes (qemu-nbd -f raw): the format is
    # probed through NBD and qcow2 runs over the nbd node.
    check([QEMU_IMG, "create", "-q", "-f", "qcow2", path("probe.qcow2"),
           "8M"], "qemu-img create")
    check([QEMU_IO, "-f", "qcow2", "-c", "write -P 0x6b 1M 512k",
           path("probe.qcow2")], "qemu-io write")
    probe_port = free_port()
    serve([QEMU_NBD, "-b", "127.0.0.1", "-p", str(probe_port), "-f", "raw",
           "-x", "q", path("probe.qcow2")], "qemu-nbd (qcow2 bytes)",
          port=probe_port)
    # A read-only base served to any number of clients (-t), under a
    # qcow2 overlay whose backing file is an nbd:// URL.
    base_port = free_port()
    serve([QEMU_NBD, "-t", "-r", "-b", "127.0.0.1", "-p", str(base_port),
           "-f", "raw", "-x", "base", path("fs.raw")], "qemu-nbd (base)",
          port=base_port)
    check([QEMU_IMG, "create", "-q", "-f", "qcow2", "-b",
           "nbd+tcp://127.0.0.1:%d/base" % base_port, "-F", "raw",
           path("overlay.qcow2")], "qemu-img create (overlay)")
    kit_sock = path("nbdkit.sock")
    if NBDKIT:
        serve([NBDKIT, "-f", "-U", kit_sock, "memory", "32M"], "nbdkit",
              sock=kit_sock)

    args = ["-drive", "file=nbd+unix:///exp?socket=%s,if=none,id=q0"
            % unix_sock,
            "-device", "virtio-blk-device,drive=q0,serial=QNBD-UNIX",
            "-blockdev", "driver=nbd,node-name=tcp0,server.type=inet,"
            "server.host=127.0.0.1,server.port=%d,export=data" % port,
            "-blockdev", "driver=raw,node-name=tcp1,file=tcp0",
            "-device", "virtio-blk-device,drive=tcp1,serial=QNBD-TCP",
            "-drive", "file=%s,format=qcow2,if=none,id=ov0"
            % path("overlay.qcow2"),
            "-device", "virtio-blk-device,drive=ov0,serial=OVERLAY",
            "-drive", "file=nbd:127.0.0.1:%d:exportname=q,if=none,id=pq0"
            % probe_port,
            "-device", "virtio-blk-device,drive=pq0,serial=PROBED"]
    if NBDKIT:
        args += ["-drive", "file=nbd:unix:%s,format=raw,if=none,id=k0,"
                 "discard=unmap" % kit_sock,
                 "-device", "virtio-blk-device,drive=k0,serial=NBDKIT"]
    c = guest.boot(TESSERA, g, args)
    out = shell(c, "for d in /sys/block/vd*; do echo $(cat $d/serial) "
                "${d##*/}; done")
    dev = dict(l.split() for l in out.splitlines() if len(l.split()) == 2)
    want = ["QNBD-UNIX", "QNBD-TCP", "OVERLAY", "PROBED"] + (["NBDKIT"] if NBDKIT else [])
    t.ok(all(w in dev for w in want), "the guest sees the NBD disks", out)

    # 1: qemu-nbd over UNIX, ext2 in a qcow2
    out = shell(c, "mkdir -p /mnt && mount -t ext2 /dev/%s /mnt && "
                "sha256sum /mnt/known" % dev["QNBD-UNIX"], timeout=120)
    t.ok(sha(known) in out, "qemu-nbd (unix, qcow2 as raw): the guest "
         "reads a file of known checksum", out)
    out = shell(c, "dd if=/dev/urandom of=/mnt/new bs=64k count=8 "
                "2>/dev/null; sha256sum /mnt/new; umount /mnt && "
                "echo UNMOUNTED", timeout=120)
    new_sum = out.split()[0] if out.split() else ""
    t.ok("UNMOUNTED" in out, "the guest writes a file and unmounts", out)

    # 1b: the same file system through a qcow2 whose backing file is NBD
    out = shell(c, "mkdir -p /mnt2 && mount -t ext2 /dev/%s /mnt2 && "
                "sha256sum /mnt2/known; umount /mnt2" % dev["OVERLAY"],
                timeout=120)
    t.ok(sha(known) in out, "a qcow2 overlay with an nbd+tcp:// backing file: "
         "the guest reads the file through it", out)

    # 1c: a qcow2 file served as bytes, its format probed through NBD
    out = shell(c, "cat /sys/block/%s/size; dd if=/dev/%s bs=512k skip=2 "
                "count=1 2>/dev/null | sha256sum" % (dev["PROBED"],
                                                     dev["PROBED"]))
    t.ok("16384" in out.split() and sha(b"\x6b" * (512 << 10)) in out,
         "nbd:HOST:PORT:exportname= to a qcow2 file's bytes: probed as "
         "qcow2 through NBD "
         "(8 MiB disk, the data at 1 MiB)", out)

    # 2: qemu-nbd over TCP
    out = shell(c, "dd if=/dev/%s bs=1M skip=2 count=1 2>/dev/null | "
                "sha256sum" % dev["QNBD-TCP"])
    t.ok(sha(b"\x5a" * (1 << 20)) in out, "qemu-nbd (tcp, -blockdev "
         "driver=nbd): the guest reads the pattern at 2 MiB", out)
    out = shell(c, "dd if=/dev/urandom of=/tmp/t bs=1M count=1 2>/dev/null;"
                " dd if=/tmp/t of=/dev/%s bs=1M seek=8 conv=fsync "
                "2>/dev/null; echo rc=$?; sha256sum /tmp/t"
                % dev["QNBD-TCP"], timeout=120)
    tcp_sum = out.split()[-2] if len(out.split()) >= 2 else ""
    t.ok("rc=0" in out, "the guest writes 1 MiB at 8 MiB", out)

    # 3: nbdkit memory: two regions written and read back concurrently
    if NBDKIT:
        shell(c, "D=/dev/%s" % dev["NBDKIT"])
        shell(c, "w() { dd if=/dev/urandom of=/tmp/r$1 bs=64k count=16; "
              "dd if=/tmp/r$1 of=$D bs=64k seek=$(($1*64)) count=16 "
              "conv=fsync; }")
        shell(c, "r() { dd if=$D bs=64k skip=$(($1*64)) count=16 "
              "iflag=direct | sha256sum; sha256sum < /tmp/r$1; }")
        out = shell(c, "(w 0; r 0) 2>/dev/null & (w 1; r 1) 2>/dev/null & "
                    "wait", timeout=120)
        sums = re.findall(r"^([0-9a-f]{64})\s", out, re.M)
        t.ok(len(sums) == 4 and len(set(sums)) == 2,
             "nbdkit memory (legacy nbd:unix:): two regions written and "
             "read back at once match", out)
        out = shell(c, "sha256sum < /tmp/r0; blkdiscard -o 4194304 "
                    "-l 1048576 $D; echo rc=$?")
        kit_sum = out.split()[0] if out.split() else ""
        t.ok("rc=0" in out, "blkdiscard of the second region", out)
    guest.poweroff(t, c, "guest")
    c = None

    # ---- the host's view -----------------------------------------------
    for p in servers[:3]:
        # qemu-nbd serves one client, then ends; wait for it to let go
        # of the image.
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
    check([QEMU_IMG, "convert", "-f", "qcow2", "-O", "raw",
           path("fs.qcow2"), path("fs.out")], "qemu-img convert")
    p = subprocess.run([DEBUGFS, "-R", "cat /new", path("fs.out")],
                       capture_output=True)
    t.ok(sha(p.stdout) == new_sum, "the new file is in the qcow2 image "
         "(debugfs)", "%s vs %s" % (sha(p.stdout), new_sum))
    check([QEMU_IMG, "convert", "-f", "qcow2", "-O", "raw",
           path("data.qcow2"), path("data.out")], "qemu-img convert")
    with open(path("data.out"), "rb") as f:
        f.seek(8 << 20)
        t.ok(sha(f.read(1 << 20)) == tcp_sum, "the guest's 1 MiB is at "
             "8 MiB in the TCP export's qcow2")
    if NBDKIT:
        url = "nbd+unix:///?socket=%s" % kit_sock
        check([QEMU_IMG, "convert", "-f", "raw", "-O", "raw", url,
               path("kit.out")], "qemu-img convert from nbdkit")
        with open(path("kit.out"), "rb") as f:
            t.ok(sha(f.read(1 << 20)) == kit_sum, "nbdkit still serves the "
                 "guest's first region")
        if NBDINFO:
            st, out, err = run([NBDINFO, "--map", url])
            hole = [l for l in out.splitlines()
                    if l.split()[:2] == ["4194304", "1048576"] or
                    (l.split() and int(l.split()[0]) <= 4194304 <
                     int(l.split()[0]) + int(l.split()[1]))]
            t.ok(st == 0 and hole and "hole" in hole[0],
                 "the discarded region is a hole in nbdkit (nbdinfo --map)",
                 out + err)
        else:
            t.skip("discarded region is a hole", "nbdinfo not installed "
                   "(Debian package libnbd-bin)")
    else:
        t.skip("nbdkit memory disk", "nbdkit not installed (Debian package "
               "nbdkit)")
finally:
    if c:
        c.close()
    for p in servers:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(tmp, ignore_errors=True)

t.done()
