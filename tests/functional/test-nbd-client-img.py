#!/usr/bin/env python3
"""tessera-img on NBD exports, beside Debian's qemu-img on the same ones.

Debian's qemu-nbd serves (read-only, to any number of clients):
1. a qcow2 image exported as raw, with data, a zeroed range and holes:
   `info` and `map` (human and JSON) print what qemu-img prints, so the
   holes reach the tool through base:allocation block status;
2. a qcow2 file's own bytes: the format is probed through NBD and `info`
   and `map` show the qcow2 as qemu-img does;
3. `convert` from the export: the raw result is byte-identical to
   qemu-img convert's, and sparse; the qcow2 over NBD converted to a
   qcow2 file compares identical (qemu-img compare); `convert -n` to an
   nbdkit memory disk writes what qemu-img then reads back.
`create -b nbd+unix://... -F raw` makes the overlay qemu-img makes, and
its map reaches through to the export.  Tessera's own tessera-nbd as the
server: map the same as qemu-img's through it.  An export that does not exist
fails with one line, as with qemu-img.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, BUILD, skip_all, run  # noqa: E402

QEMU_NBD = shutil.which("qemu-nbd")
QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")
NBDKIT = shutil.which("nbdkit")
if not (QEMU_NBD and QEMU_IMG and QEMU_IO):
    skip_all("qemu-nbd, qemu-img, qemu-io not installed (Debian package "
             "qemu-utils)")
IMG = os.path.join(BUILD, "tessera-img")
t = Tap()
tmp = tempfile.mkdtemp(prefix="test-nbd-client-img-")


def path(name):
    return os.path.join(tmp, name)


def check(args):
    st, out, err = run(args, timeout=120)
    if st != 0:
        raise RuntimeError("%s failed: %s%s" % (args[0], out, err))


def both(args, what):
    """tessera-img and qemu-img with the same arguments: same output."""
    st, out, err = run([IMG] + args, timeout=120)
    qst, qout, qerr = run([QEMU_IMG] + args, timeout=120)
    t.ok(st == 0 and qst == 0 and out == qout,
         "%s: the same as qemu-img" % what,
         "status %d/%d\n--- tessera-img\n%s%s--- qemu-img\n%s%s"
         % (st, qst, out, err, qout, qerr))


servers = []


def serve(sock, name, fmt, image):
    p = subprocess.Popen([QEMU_NBD, "-t", "-r", "-k", sock, "-x", name,
                          "-f", fmt, image], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    servers.append(p)
    for _ in range(100):
        if os.path.exists(sock):
            return
        time.sleep(0.1)
    raise RuntimeError("qemu-nbd did not start")


try:
    check([QEMU_IMG, "create", "-q", "-f", "qcow2", path("a.qcow2"), "16M"])
    check([QEMU_IO, "-f", "qcow2", "-c", "write -P 0x11 1M 192k", "-c",
           "write -z 4M 64k", "-c", "write -P 0x22 9M 4k",
           path("a.qcow2")])
    serve(path("a.sock"), "exp", "qcow2", path("a.qcow2"))
    serve(path("b.sock"), "bytes", "raw", path("a.qcow2"))
    raw_url = "nbd+unix:///exp?socket=%s" % path("a.sock")
    qcow_url = "nbd+unix:///bytes?socket=%s" % path("b.sock")

    both(["info", raw_url], "info of a qcow2 exported as raw")
    both(["map", raw_url], "map of it (holes from base:allocation)")
    both(["map", "--output=json", raw_url], "map --output=json of it")
    both(["info", qcow_url], "info of a qcow2 file's bytes (probed "
         "through NBD)")
    both(["map", "--output=json", qcow_url], "map --output=json of the "
         "qcow2 over NBD")

    # An overlay whose backing file is the export (as qemu-img makes it).
    st, out, err = run([IMG, "create", "-f", "qcow2", "-b", raw_url, "-F",
                        "raw", path("ov.qcow2")])
    qst, qout, qerr = run([QEMU_IMG, "create", "-f", "qcow2", "-b",
                           raw_url, "-F", "raw", path("ovq.qcow2")])
    t.ok(st == 0 and qst == 0 and out.replace("ov.qcow2", "ovq.qcow2") ==
         qout, "create -b nbd+unix://... -F raw: the overlay (size from "
         "the export), as qemu-img", out + err + qout + qerr)
    st, out, err = run([IMG, "map", "--output=json", path("ov.qcow2")])
    qst, qout, qerr = run([QEMU_IMG, "map", "--output=json",
                           path("ovq.qcow2")])
    t.ok(st == 0 and out == qout, "map of the overlay: the backing "
         "export's data and holes, as qemu-img", out + err + qout + qerr)

    # Tessera's own server as the peer: the client sees what qemu-img sees.
    TNBD = os.path.join(BUILD, "tessera-nbd")
    sock = path("t.sock")
    tn = subprocess.Popen([TNBD, "-t", "-r", "-k", sock, "-x", "exp", "-f",
                           "qcow2", path("a.qcow2")],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    servers.append(tn)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.1)
    both(["map", "--output=json", "nbd+unix:///exp?socket=%s" % sock],
         "map --output=json through tessera-nbd")

    st, out, err = run([IMG, "info", "nbd+unix:///nope?socket=%s"
                        % path("a.sock")])
    lines = [l for l in (out + err).splitlines() if l.strip()]
    t.ok(st != 0 and len(lines) == 1 and "Requested export not available"
         in lines[0], "info of an export that does not exist: one line",
         out + err)

    st, out, err = run([IMG, "convert"])
    if "not built yet" in err:
        t.skip("convert from NBD", "tessera-img convert is not built yet")
    else:
        check([QEMU_IMG, "convert", "-O", "raw", raw_url, path("ref.raw")])
        st, out, err = run([IMG, "convert", "-O", "raw", raw_url,
                            path("out.raw")], timeout=120)
        same = False
        if st == 0:
            with open(path("out.raw"), "rb") as a, \
                    open(path("ref.raw"), "rb") as b:
                same = a.read() == b.read()
        t.ok(same, "convert -O raw from NBD: byte-identical to qemu-img "
             "convert's", "status %d\n%s%s" % (st, out, err))
        blocks = os.stat(path("out.raw")).st_blocks * 512 if st == 0 else 0
        t.ok(0 < blocks < 4 << 20, "... and sparse (%d bytes allocated of "
             "16 MiB)" % blocks)
        # The qcow2 over NBD (probed through it) to a qcow2 file.
        st, out, err = run([IMG, "convert", "-O", "qcow2", qcow_url,
                            path("out.qcow2")], timeout=120)
        cst, cout, cerr = run([QEMU_IMG, "compare", path("a.qcow2"),
                               path("out.qcow2")])
        t.ok(st == 0 and cst == 0, "convert -O qcow2 from a qcow2 over NBD: "
             "qemu-img compare finds it identical", out + err + cout + cerr)
        # To an NBD target (-n): nbdkit's memory disk takes the image.
        if NBDKIT:
            sock = path("kit.sock")
            kit = subprocess.Popen([NBDKIT, "-f", "-U", sock, "memory",
                                    "16M"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
            servers.append(kit)
            for _ in range(100):
                if os.path.exists(sock):
                    break
                time.sleep(0.1)
            kit_url = "nbd+unix:///?socket=%s" % sock
            st, out, err = run([IMG, "convert", "-n", "-O", "raw", raw_url,
                                kit_url], timeout=120)
            check([QEMU_IMG, "convert", "-f", "raw", "-O", "raw", kit_url,
                   path("kit.raw")])
            with open(path("kit.raw"), "rb") as a, \
                    open(path("ref.raw"), "rb") as b:
                same = a.read() == b.read()
            t.ok(st == 0 and same, "convert -n to an NBD target (nbdkit "
                 "memory): qemu-img reads the same bytes back",
                 out + err)
        else:
            t.skip("convert to an NBD target", "nbdkit not installed "
                   "(Debian package nbdkit)")
finally:
    for p in servers:
        p.kill()
        p.wait()
    shutil.rmtree(tmp, ignore_errors=True)

t.done()
