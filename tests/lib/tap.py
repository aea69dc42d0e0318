"""Minimal TAP producer and helpers shared by the Python tests.

Each check prints one TAP line as it happens; the plan comes last, so a
test that dies half-way shows what it had done.  `skip_all` prints the
TAP way of saying a test could not run and why.
"""
import os
import subprocess
import sys

BUILD = os.environ.get("TESSERA_BUILD_ROOT") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build")
SOURCE = os.environ.get("TESSERA_SOURCE_ROOT") or os.path.join(
    os.path.dirname(__file__), "..", "..")
TESSERA = os.path.join(BUILD, "tessera-system-riscv64")


class Tap:
    def __init__(self):
        self.count = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None, todo=None):
        """todo: the reason a failure is known and tracked elsewhere; the
        line then says so (TAP's TODO) and does not fail the test."""
        self.count += 1
        if todo:
            desc += " # TODO " + todo
        print(("ok" if cond else "not ok") + " %d - %s" % (self.count, desc))
        if not cond:
            if not todo:
                self.failed += 1
            if diag:
                for line in str(diag).splitlines():
                    print("# " + line)
        sys.stdout.flush()
        return cond

    def skip(self, desc, reason):
        self.count += 1
        print("ok %d - %s # SKIP %s" % (self.count, desc, reason))

    def done(self):
        print("1..%d" % self.count)
        sys.exit(1 if self.failed else 0)


def skip_all(reason):
    print("1..0 # SKIP %s" % reason)
    sys.exit(0)


def run(args, timeout=60, env=None, input=None):
    """Run a command, return (exit status, stdout, stderr) as text."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                       env=full_env, input=input)
    return p.returncode, p.stdout, p.stderr


def tessera(*args, **kw):
    return run([TESSERA] + list(args), **kw)


def refused_like_qemu(t, cases, qemu=None):
    """For each (args, want) in cases: `-M virt -S` with args fails with
    one line of stderr containing want; and, if qemu (a path) is given,
    QEMU fails with want in its stderr too."""
    for args, want in cases:
        st, out, err = run([TESSERA, "-M", "virt", "-nographic", "-S"] +
                           args, timeout=30)
        lines = [l for l in err.splitlines() if l.strip()]
        good = st != 0 and len(lines) == 1 and want in lines[0]
        t.ok(good, "refused with one line: %s" % " ".join(args[-1:]),
             "status %d\n%s" % (st, err))
        if qemu:
            st, out, qerr = run([qemu, "-M", "virt", "-nographic", "-S"] +
                                args, timeout=30)
            t.ok(st != 0 and want in qerr, "QEMU says the same: %s" % want,
                 qerr)


def core_abi():
    """The plugin ABI (major, minor) this source tree's SDK declares."""
    import re
    text = open(os.path.join(SOURCE, "sdk", "include", "tessera",
                             "plugin.h")).read()
    major = int(re.search(r"#define TS_ABI_MAJOR (\d+)", text).group(1))
    minor = int(re.search(r"#define TS_ABI_MINOR (\d+)", text).group(1))
    return major, minor
