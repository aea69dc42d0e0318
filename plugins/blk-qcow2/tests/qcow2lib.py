"""Helpers shared by the blk-qcow2 tests: the engine's tool and qemu-img /
qemu-io (Debian's qemu-utils, the real peer) on images in a temporary
directory."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "lib"))
import tap  # noqa: E402

TOOL = sys.argv[1] if len(sys.argv) > 1 else None
QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")


def need_peers():
    if not TOOL:
        tap.skip_all("usage: test.py QCOW2_TOOL")
    if not QEMU_IMG or not QEMU_IO:
        tap.skip_all("qemu-img/qemu-io not installed (Debian package qemu-utils)")


def run(*args, timeout=120, check=False):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s%s" % (" ".join(map(str, args)),
                                                      p.returncode, p.stdout, p.stderr))
    return p


def tool(*args, **kw):
    return run(TOOL, *args, **kw)


def qimg(*args, **kw):
    return run(QEMU_IMG, *args, **kw)


def qio(img, fmt, *cmds):
    args = [QEMU_IO, "-f", fmt]
    for c in cmds:
        args += ["-c", c]
    return run(*(args + [img]), check=True)


def check_clean(img):
    """qemu-img check: (clean, output). Leaks are not corruption."""
    p = qimg("check", "-f", "qcow2", img)
    return p.returncode == 0, p.stdout + p.stderr


def check_no_corruption(img):
    p = qimg("check", "-f", "qcow2", img)
    # 0: clean, 3: leaks only; 2: corruptions, 1: check failed
    return p.returncode in (0, 3), p.stdout + p.stderr


def to_raw(img, out, snapshot=None):
    args = ["convert", "-f", "qcow2", "-O", "raw"]
    if snapshot:
        args += ["-l", "snapshot.name=" + snapshot]
    qimg(*(args + [img, out]), check=True)


def same_file(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def tempdir():
    # Memory-backed when possible: the engine flushes to order metadata,
    # and fsync on a loaded disk would make the tests slow, not better.
    shm = "/dev/shm"
    base = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None
    return tempfile.mkdtemp(prefix="qcow2-test-", dir=base)
