#!/usr/bin/env python3
"""The emulator's NBD server through QMP and HMP, beside Debian's
qemu-system-riscv64 (same command line, same commands: replies, errors
and BLOCK_EXPORT_DELETED events compared), then serving a guest's disk:
nbdinfo --map and qemu-img convert read the -drive behind a virtio-blk
device, stopped and running, byte-identical to the image with its holes
as holes; a writable block-export-add of a -blockdev node takes
qemu-io's writes into the image; mode=safe refuses while a client is
connected, mode=hard drops it; max-connections holds a second client
back until the first leaves."""
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, run, skip_all  # noqa: E402
from qmp import running, connect_unix  # noqa: E402

QEMU = shutil.which("qemu-system-riscv64")
QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")
NBDINFO = shutil.which("nbdinfo")
if not (QEMU_IMG and QEMU_IO):
    skip_all("qemu-img/qemu-io not installed (Debian package qemu-utils)")
if not NBDINFO:
    skip_all("nbdinfo not installed (Debian package libnbd-bin)")

t = Tap()
tmp = tempfile.mkdtemp(prefix="test-nbd-server-qmp-")
MiB = 1024 * 1024


def path(name):
    return os.path.join(tmp, name)


def uri(sock, name):
    return "nbd+unix:///%s?socket=%s" % (name, sock)


def make_images():
    for name in ("disk.qcow2", "node.qcow2"):
        run([QEMU_IMG, "create", "-q", "-f", "qcow2", path(name), "4M"])
    run([QEMU_IO, "-f", "qcow2", "-c", "write -P 0x5a 0 64k",
         "-c", "write -P 0xa5 2M 128k", path("disk.qcow2")])


def argv(exe):
    return [exe, "-M", "virt", "-nographic", "-S",
            "-drive", "if=none,id=d0,file=%s,format=qcow2" % path("disk.qcow2"),
            "-device", "virtio-blk-device,drive=d0",
            "-blockdev", "driver=file,filename=%s,node-name=f1"
            % path("node.qcow2"),
            "-blockdev", "driver=qcow2,file=f1,node-name=n1"]


def start_args(sock):
    return {"addr": {"type": "unix", "data": {"path": sock}}}


def shapes(exe):
    """The replies and events of one command sequence, names made
    comparable ("#block123" -> "#block")."""
    make_images()
    sock = path("shape.sock")
    seq = [
        ("nbd-server-stop", {}),
        ("nbd-server-add", {"device": "d0"}),
        ("block-export-add", {"type": "nbd", "id": "e0", "node-name": "n1"}),
        ("nbd-server-remove", {"name": "x"}),
        ("block-export-del", {"id": "x"}),
        ("nbd-server-start", dict(start_args(sock), **{"tls-creds": "t0"})),
        ("nbd-server-start", start_args(sock)),
        ("nbd-server-start", start_args(sock + "2")),
        ("nbd-server-add", {"device": "nope"}),
        ("nbd-server-add", {"device": "d0"}),
        ("nbd-server-add", {"device": "d0"}),
        ("nbd-server-add", {"device": "d0", "name": "w", "writable": True}),
        ("nbd-server-add", {"device": "n1", "name": "e2", "writable": True,
                            "description": "hello"}),
        ("nbd-server-add", {"device": "n1", "name": "e3", "bitmap": "b0"}),
        ("block-export-add", {"type": "nbd", "id": "e4", "node-name": "n1",
                              "name": "x4"}),
        ("block-export-add", {"type": "nbd", "id": "e5",
                              "node-name": "nope"}),
        ("block-export-add", {"type": "nbd", "id": "e4", "node-name": "n1"}),
        ("block-export-add", {"type": "nbd", "id": "e6", "node-name": "d0"}),
        ("query-block-exports", {}),
        ("nbd-server-remove", {"name": "d0"}),
        ("nbd-server-remove", {"name": "e2", "mode": "hard"}),
        ("nbd-server-remove", {"name": "e4", "mode": "bogus"}),
        ("block-export-del", {"id": "e4"}),
        ("block-export-del", {"id": "e4"}),
        ("query-block-exports", {}),
        ("nbd-server-stop", {}),
        ("query-block-exports", {}),
    ]
    out = []
    with running(argv(exe), tmp) as (p, q):
        for name, args in seq:
            r = q.cmd(name, args)
            if "error" in r:
                r = {"error": r["error"]["desc"]}
            else:
                r = r["return"]
            if name == "query-block-exports":
                r = sorted((e["id"], e["node-name"], e["shutting-down"])
                           for e in r)
            events = [e["data"]["id"] for e in q.events
                      if e["event"] == "BLOCK_EXPORT_DELETED"]
            q.events.clear()
            out.append((name, args, re.sub(r"#block\d+", "#block",
                                           str(r)), events))
    return out


mine = shapes(TESSERA)
if QEMU:
    theirs = shapes(QEMU)
    for m, q in zip(mine, theirs):
        t.ok(m == q, "as QEMU: %s %s" % (m[0], m[1]),
             "tessera: %s\nqemu:    %s" % (m[2:], q[2:]))
else:
    t.skip("QMP shapes beside QEMU", "qemu-system-riscv64 not installed "
           "(Debian package qemu-system-misc)")
t.ok(mine[5][2].startswith("{'error': \"No TLS credentials"),
     "tls-creds is refused with a clear message", mine[5])


def go(sock, name):
    """A client that negotiated export `name` (fixed newstyle, GO)."""
    s = connect_unix(sock)
    s.settimeout(30)
    hello = s.recv(18, socket.MSG_WAITALL)
    assert hello[:8] == b"NBDMAGIC", hello
    s.sendall(struct.pack(">I", 1))
    data = struct.pack(">I", len(name)) + name.encode() + struct.pack(">H", 0)
    s.sendall(struct.pack(">QII", 0x49484156454F5054, 7, len(data)) + data)
    while True:
        magic, opt, rtype, rlen = struct.unpack(">QIII", s.recv(20,
                                                socket.MSG_WAITALL))
        if rlen:
            s.recv(rlen, socket.MSG_WAITALL)
        if rtype == 1:
            return s
        assert rtype == 3, rtype


make_images()
sock = path("nbd.sock")
with running(argv(TESSERA), tmp) as (p, q):
    r = q.cmd("nbd-server-start", start_args(sock))
    r2 = q.cmd("nbd-server-add", {"device": "d0", "description": "guest"})
    t.ok(r == {"return": {}} and r2 == {"return": {}},
         "nbd-server-start and nbd-server-add of a device's drive",
         str(r) + str(r2))
    st, out, err = run([NBDINFO, "--map", uri(sock, "d0")])
    rows = [l.split() for l in out.splitlines() if l.strip()]
    t.ok(rows == [["0", "65536", "0", "data"],
                  ["65536", "2031616", "3", "hole,zero"],
                  ["2097152", "131072", "0", "data"],
                  ["2228224", "1966080", "3", "hole,zero"]],
         "nbdinfo --map of the stopped guest's disk: data and holes",
         out + err)
    q.cmd("cont")
    status = q.cmd("query-status")["return"]["status"]
    st, out, err = run([QEMU_IMG, "convert", "-O", "raw", uri(sock, "d0"),
                        path("guest.raw")])
    st2, out2, err2 = run([QEMU_IMG, "compare", "-U", "-f", "qcow2",
                           "-F", "raw", path("disk.qcow2"),
                           path("guest.raw")])
    t.ok(status == "running" and st == 0 and st2 == 0,
         "qemu-img convert while the guest runs: byte-identical",
         status + err + out2 + err2)
    st, out, err = run([QEMU_IMG, "map", "--output=json", "-f", "raw",
                        uri(sock, "d0")])
    t.ok(st == 0 and '"start": 65536, "length": 2031616, "depth": 0, '
         '"present": true, "zero": true, "data": false' in out,
         "qemu-img map over NBD sees the hole", out + err)

    # A writable export of a -blockdev node nobody else writes.
    r = q.cmd("block-export-add", {"type": "nbd", "id": "wr",
                                   "node-name": "n1", "writable": True})
    st, out, err = run([QEMU_IO, "-f", "raw", "-c", "write -P 0x42 1M 64k",
                        "-c", "write -z 3M 4k", "-c", "flush",
                        uri(sock, "n1")])
    t.ok(r == {"return": {}} and st == 0 and "wrote 65536/65536" in out,
         "qemu-io writes through a writable block-export-add", out + err)

    # mode=safe refuses while a client is connected; hard drops it.
    c = go(sock, "n1")
    r = q.cmd("block-export-del", {"id": "wr"})
    t.ok(r.get("error", {}).get("desc") == "export 'wr' still in use",
         "block-export-del mode=safe refused with a client connected", r)
    r = q.cmd("block-export-del", {"id": "wr", "mode": "hard"})
    ev = q.event("BLOCK_EXPORT_DELETED")
    t.ok(r == {"return": {}} and ev["data"] == {"id": "wr"},
         "mode=hard: removed, BLOCK_EXPORT_DELETED", str(r) + str(ev))
    c.settimeout(30)
    t.ok(c.recv(1) == b"", "the client was dropped")
    c.close()

    # HMP spellings.
    hmp = lambda line: q.cmd("human-monitor-command",
                             {"command-line": line})["return"]
    out = [hmp("nbd_server_add -w n1 viahmp"),
           hmp("nbd_server_remove viahmp"), hmp("nbd_server_remove viahmp"),
           hmp("nbd_server_stop"), hmp("nbd_server_stop")]
    t.ok(out == ["", "", "Error: Export 'viahmp' is not found\n", "",
                 "Error: NBD server not running\n"],
         "HMP nbd_server_add/remove/stop", out)
    out = hmp("nbd_server_start unix:%s" % sock)
    r = q.cmd("query-block-exports")
    t.ok(out == "" and r == {"return": []},
         "HMP nbd_server_start (no exports until added)", str(r))
    hmp("nbd_server_stop")
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    out = hmp("nbd_server_start -a 127.0.0.1:%d" % port)
    r = q.cmd("query-block-exports")["return"]
    st, info, err = run([NBDINFO, "nbd://127.0.0.1:%d/d0" % port])
    t.ok(out == "" and [e["id"] for e in r] == ["d0"] and st == 0 and
         "is_read_only: true" in info,
         "HMP nbd_server_start -a HOST:PORT: every drive, read-only, "
         "over TCP", out + str(r) + err)
    hmp("nbd_server_stop")

    # max-connections: a second client waits in the listen queue.
    args = start_args(sock)
    args["max-connections"] = 1
    q.cmd("nbd-server-start", args)
    q.cmd("nbd-server-add", {"device": "d0"})
    a = connect_unix(sock)
    a.recv(18, socket.MSG_WAITALL)
    b = connect_unix(sock)
    b.settimeout(0.5)
    try:
        early = b.recv(18)
    except socket.timeout:
        early = None
    a.close()
    b.settimeout(30)
    late = b.recv(18, socket.MSG_WAITALL)
    t.ok(early is None and late[:8] == b"NBDMAGIC",
         "max-connections=1: the second client is served once the first "
         "leaves", repr(early))
    b.close()
    t.ok(q.cmd("query-status")["return"]["status"] == "running",
         "the guest kept running throughout")

run([QEMU_IMG, "create", "-q", "-f", "qcow2", path("ref.qcow2"), "4M"])
run([QEMU_IO, "-f", "qcow2", "-c", "write -P 0x42 1M 64k", path("ref.qcow2")])
st, out, err = run([QEMU_IMG, "compare", path("node.qcow2"),
                    path("ref.qcow2")])
t.ok(st == 0, "the export's writes are in the image (qemu-img compare)",
     out + err)

shutil.rmtree(tmp, ignore_errors=True)
t.done()
