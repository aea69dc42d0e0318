#!/usr/bin/env python3
"""tessera-nbd, the counterpart of qemu-nbd, against real NBD clients:
Debian's nbdinfo (the export's facts and `--map` with its holes),
nbdcopy and qemu-img convert read a qcow2 image with data and holes
byte for byte; qemu-img map over NBD sees the holes as holes; writes by
qemu-io and nbdcopy land in the image (qemu-img compare); -r refuses
writes; without -t the server exits when its client leaves; options
and refusals as qemu-nbd's."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, BUILD, run, skip_all  # noqa: E402
from qmp import connect_unix  # noqa: E402

NBD = os.path.join(BUILD, "tessera-nbd")
NBDINFO = shutil.which("nbdinfo")
NBDCOPY = shutil.which("nbdcopy")
QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")
if not (NBDINFO and NBDCOPY):
    skip_all("nbdinfo/nbdcopy not installed (Debian package libnbd-bin)")
if not (QEMU_IMG and QEMU_IO):
    skip_all("qemu-img/qemu-io not installed (Debian package qemu-utils)")

t = Tap()
tmp = tempfile.mkdtemp(prefix="test-nbd-server-tool-")
MiB = 1024 * 1024


def path(name):
    return os.path.join(tmp, name)


def image(name, writes):
    """A 4 MiB qcow2 image with data where `writes` says, holes between."""
    run([QEMU_IMG, "create", "-q", "-f", "qcow2", path(name), "4M"])
    cmds = []
    for pattern, off, length in writes:
        cmds += ["-c", "write -P %d %d %d" % (pattern, off, length)]
    st, out, err = run([QEMU_IO, "-f", "qcow2"] + cmds + [path(name)])
    assert st == 0, err


def serve(img, *opts):
    """tessera-nbd on a unix socket; (process, socket path)."""
    sock = path("nbd-%d.sock" % len(os.listdir(tmp)))
    p = subprocess.Popen([NBD, "-k", sock] + list(opts) + [img],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    connect_unix(sock, p).close()       # listening (and one client gone)
    return p, sock


def stop(p):
    if p.poll() is None:
        p.terminate()
    try:
        out, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return p.returncode, err


def uri(sock, name=""):
    return "nbd+unix:///%s?socket=%s" % (name, sock)


WRITES = [(0x55, 0, 64 * 1024), (0xaa, 1 * MiB, 128 * 1024),
          (0x11, 3 * MiB + 4096, 512)]
image("src.qcow2", WRITES)

# ---- reading: facts, map, bytes ------------------------------------------
p, sock = serve(path("src.qcow2"), "-f", "qcow2", "-t", "-r", "-x", "disk",
                "-D", "a test disk")
st, out, err = run([NBDINFO, uri(sock, "disk")])
t.ok(st == 0 and "export-size: 4194304" in out and
     "description: a test disk" in out and "is_read_only: true" in out and
     "base:allocation" in out and "newstyle-fixed" in out and
     "structured" in out,
     "nbdinfo: size, description, read-only, base:allocation", out + err)
st, out, err = run([NBDINFO, "--list", uri(sock)])
t.ok(st == 0 and 'export="disk"' in out, "nbdinfo --list names the export",
     out + err)
st, out, err = run([NBDINFO, "--map", uri(sock, "disk")])
rows = [l.split() for l in out.splitlines() if l.strip()]
want = [["0", "65536", "0", "data"],
        ["65536", "983040", "3", "hole,zero"],
        ["1048576", "131072", "0", "data"],
        ["1179648", "1966080", "3", "hole,zero"],
        ["3145728", "65536", "0", "data"],
        ["3211264", "983040", "3", "hole,zero"]]
t.ok(st == 0 and rows == want, "nbdinfo --map: data and holes as the "
     "qcow2 clusters", out + err)
st, out, err = run([QEMU_IMG, "convert", "-O", "raw", uri(sock, "disk"),
                    path("conv.raw")])
st2, out2, err2 = run([QEMU_IMG, "compare", "-U", "-f", "qcow2", "-F", "raw",
                       path("src.qcow2"), path("conv.raw")])
t.ok(st == 0 and st2 == 0, "qemu-img convert nbd://... is byte-identical",
     err + out2 + err2)
st, out, err = run([NBDCOPY, uri(sock, "disk"), path("copy.raw")])
t.ok(st == 0 and open(path("copy.raw"), "rb").read() ==
     open(path("conv.raw"), "rb").read(), "nbdcopy reads the same bytes",
     err)
st, out, err = run([QEMU_IMG, "map", "--output=json", "-f", "raw",
                    uri(sock, "disk")])
t.ok(st == 0 and '"start": 65536, "length": 983040, "depth": 0, '
     '"present": true, "zero": true, "data": false' in out,
     "qemu-img map over NBD: a hole is zero, not data", out + err)
st, err = stop(p)
t.ok(st == 0, "SIGTERM ends a persistent server with status 0", err)
t.ok(not os.path.exists(sock), "its socket is removed")

# ---- writing ---------------------------------------------------------------
image("rw.qcow2", WRITES)
shutil.copy(path("rw.qcow2"), path("ref.qcow2"))
p, sock = serve(path("rw.qcow2"), "-f", "qcow2", "-t", "--discard=unmap")
cmds = ["write -P 0x77 2M 64k", "write -z 0 4k", "discard 1M 64k",
        "write -P 0x33 4000 100"]
args = []
for c in cmds:
    args += ["-c", c]
st, out, err = run([QEMU_IO, "-f", "raw"] + args + [uri(sock)])
run([QEMU_IO, "-f", "qcow2"] + args + [path("ref.qcow2")])
t.ok(st == 0 and "wrote 65536/65536" in out, "qemu-io writes, zeroes, "
     "discards through the export", out + err)
# nbdcopy writes a whole raw file into the export.
with open(path("pattern.raw"), "wb") as f:
    f.write(bytes(range(256)) * (4 * MiB // 256))
p.send_signal(15)
stop(p)
st, out, err = run([QEMU_IMG, "compare", "-f", "qcow2", "-F", "qcow2",
                    path("rw.qcow2"), path("ref.qcow2")])
t.ok(st == 0, "the writes landed as qemu-io's own on a copy (qemu-img "
     "compare)", out + err)
p, sock = serve(path("rw.qcow2"), "-f", "qcow2", "-t", "--cache=none")
st, out, err = run([NBDCOPY, path("pattern.raw"), uri(sock)])
stop(p)
st2, out2, err2 = run([QEMU_IMG, "compare", "-f", "raw", "-F", "qcow2",
                       path("pattern.raw"), path("rw.qcow2")])
t.ok(st == 0 and st2 == 0, "nbdcopy into the export: the image holds "
     "the file", err + out2 + err2)

# ---- one client, then exit (no -t) -----------------------------------------
p, sock = serve(path("src.qcow2"), "-f", "qcow2", "-r")
try:
    p.wait(30)
except subprocess.TimeoutExpired:
    pass
t.ok(p.poll() == 0, "without -t the server exits when its client leaves",
     stop(p)[1])

# ---- TCP: -b, -p -------------------------------------------------------------
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
p = subprocess.Popen([NBD, "-b", "127.0.0.1", "-p", str(port), "-r",
                      path("src.qcow2")], stderr=subprocess.PIPE, text=True)
st, out, err = 1, "", ""
for _ in range(100):
    st, out, err = run([NBDINFO, "--size", "nbd://127.0.0.1:%d" % port])
    if st == 0 or p.poll() is not None:
        break
    time.sleep(0.1)
t.ok(st == 0 and out.strip() == "4194304",
     "-b 127.0.0.1 -p PORT: served over TCP", err)
stop(p)

# ---- --fork, --pid-file ----------------------------------------------------
sock = path("forked.sock")
st, out, err = run([NBD, "--fork", "--pid-file", path("pid"), "-k", sock,
                    "-r", "-t", path("src.qcow2")])
pid = int(open(path("pid")).read()) if os.path.exists(path("pid")) else 0
st2, out2, err2 = run([NBDINFO, "--size", uri(sock)])
t.ok(st == 0 and pid and out2.strip() == "4194304",
     "--fork: the parent returns once the server listens", err + err2)
if pid:
    os.kill(pid, 15)

# ---- the command line ------------------------------------------------------
st, out, err = run([NBD, "--help"])
t.ok(st == 0 and "--export-name" in out and "--persistent" in out,
     "--help lists qemu-nbd's options")
st, out, err = run([NBD, "--version"])
t.ok(st == 0 and out.startswith("tessera-nbd "), "--version", out)
for args, want in [([], "Please specify a file"),
                   (["--cache=bogus", "x"], "Invalid cache mode 'bogus'"),
                   (["-p", "99999", "x"], "Invalid port '99999'"),
                   (["-c", "/dev/nbd0", "x"], "not supported"),
                   (["--tls-creds", "t0", "x"], "TLS is not supported"),
                   (["-k", path("x.sock"), path("missing.qcow2")],
                    "Could not open"),
                   (["--frob", "x"], "unrecognized option '--frob'")]:
    st, out, err = run([NBD] + args)
    t.ok(st == 1 and err.startswith("tessera-nbd: ") and want in err,
         "refused: %s" % " ".join(args), err)

shutil.rmtree(tmp, ignore_errors=True)
t.done()
