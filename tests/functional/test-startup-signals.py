#!/usr/bin/env python3
"""SIGTERM and SIGINT while start-up blocks (issue 11).

Start-up can block for as long as nobody acts: a socket chardev with
server=on,wait=on waits for its first client, and -pidfile, -dtb or
-readconfig naming a FIFO wait for a writer or reader.  Only
SIGKILL used to end that.  Now a signal ends it as the default action does
in QEMU 7.2 (the process is killed by that signal), with one line saying
so, and the files it had created (pid file, unix socket) removed and the
terminal put back.  Once the main loop runs, a signal is an orderly
shutdown with status 0, as before.
"""
import os
import signal
import subprocess
import sys
import tempfile
import termios
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import TESSERA, Tap, skip_all  # noqa: E402
from qmp import Qmp  # noqa: E402

PROG = os.path.basename(TESSERA)
# Only a guard against hanging the suite, never a pass/fail timing.
PATIENCE = 60
BASE = ["-M", "virt", "-display", "none", "-monitor", "none", "-S"]


def wait_until(cond, proc):
    deadline = time.monotonic() + PATIENCE
    while not cond():
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def inode(path):
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def blocked_on_fifo(pid):
    """Whether the process sleeps in a FIFO's open, waiting for the other
    end (the kernel's wait_for_partner)."""
    try:
        with open("/proc/%d/wchan" % pid) as f:
            return f.read().strip() == "wait_for_partner"
    except OSError:
        return False


class Run:
    """The emulator started with stderr in a file (read while it runs)."""
    count = 0

    def __init__(self, work, args, **kw):
        Run.count += 1
        self.err_path = os.path.join(work, "stderr-%d" % Run.count)
        with open(self.err_path, "w") as err:
            self.proc = subprocess.Popen([TESSERA] + args, stdout=err,
                                         stderr=err, **kw)

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def end(self, sig):
        """Send sig; the exit status, or None if it is still running."""
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def check_ended(t, run, sig, what, gone=(), stays=()):
    rc = run.end(sig)
    err = run.stderr()
    name = signal.Signals(sig).name
    t.ok(rc == -sig, "%s: %s ends it, killed by the signal as QEMU is"
         % (what, name), "status %r\n%s" % (rc, err))
    t.ok(err.endswith("%s: terminating on signal %d\n" % (PROG, sig)),
         "%s: %s: one line says so" % (what, name), err)
    for path in gone:
        t.ok(not os.path.lexists(path), "%s: %s is removed"
             % (what, os.path.basename(path)))
    for path in stays:
        t.ok(os.path.lexists(path), "%s: %s (not ours) stays"
             % (what, os.path.basename(path)))


def socket_wait_tests(t, work):
    for sig in (signal.SIGTERM, signal.SIGINT):
        sock = os.path.join(work, "wait.sock")
        pidfile = os.path.join(work, "wait.pid")
        run = Run(work, BASE + [
            "-pidfile", pidfile,
            "-chardev", "socket,id=c0,path=%s,server=on,wait=on" % sock,
            "-serial", "chardev:c0"])
        if not wait_until(lambda: "waiting for connection" in run.stderr(),
                          run.proc):
            t.ok(False, "socket wait=on: the emulator waits for a client",
                 run.stderr())
            run.end(signal.SIGKILL)
            continue
        check_ended(t, run, sig, "socket chardev waiting for its client",
                    gone=(pidfile, sock))


def fifo_tests(t, work):
    fifo = os.path.join(work, "nobody.fifo")
    os.mkfifo(fifo)
    pidfile = os.path.join(work, "fifo.pid")
    cases = [
        ("-pidfile FIFO", ["-pidfile", fifo], ()),
        ("-dtb FIFO", ["-pidfile", pidfile, "-dtb", fifo], (pidfile,)),
        ("-readconfig FIFO", ["-readconfig", fifo], ()),
    ]
    for what, args, gone in cases:
        run = Run(work, BASE + args)
        if not wait_until(lambda: blocked_on_fifo(run.proc.pid), run.proc):
            t.ok(False, "%s: the emulator blocks opening it" % what,
                 run.stderr())
            run.end(signal.SIGKILL)
            continue
        check_ended(t, run, signal.SIGTERM, what, gone=gone, stays=(fifo,))


def terminal_tests(t, work):
    """stdio in raw mode, then a wait=on socket: the signal puts the
    terminal back as it found it."""
    master, slave = os.openpty()
    try:
        before = termios.tcgetattr(slave)
        sock = os.path.join(work, "tty.sock")
        run = Run(work, ["-M", "virt", "-display", "none", "-S",
                         "-monitor", "none", "-chardev", "stdio,id=s0",
                         "-chardev",
                         "socket,id=c0,path=%s,server=on,wait=on" % sock,
                         "-serial", "chardev:s0", "-serial", "chardev:c0"],
                  stdin=slave)
        if not wait_until(lambda: "waiting for connection" in run.stderr(),
                          run.proc):
            t.ok(False, "stdio + socket wait=on: the emulator waits",
                 run.stderr())
            run.end(signal.SIGKILL)
            return
        raw = termios.tcgetattr(slave)
        t.ok(not raw[3] & termios.ECHO, "the terminal is raw while the "
             "emulator waits (the test sees what it tests)")
        check_ended(t, run, signal.SIGTERM, "stdio + socket wait=on",
                    gone=(sock,))
        t.ok(termios.tcgetattr(slave) == before,
             "stdio + socket wait=on: the terminal is restored")
    finally:
        os.close(master)
        os.close(slave)


def running_tests(t, work):
    """Once the main loop runs, the signal is an orderly shutdown."""
    qmp_sock = os.path.join(work, "qmp.sock")
    pidfile = os.path.join(work, "running.pid")
    run = Run(work, BASE + ["-pidfile", pidfile, "-qmp",
                            "unix:%s,server=on,wait=off" % qmp_sock])
    try:
        Qmp(qmp_sock, run.proc).close()
    except (OSError, EOFError) as e:
        t.ok(False, "running VM: QMP answers", e)
        run.end(signal.SIGKILL)
        return
    rc = run.end(signal.SIGTERM)
    err = run.stderr()
    t.ok(rc == 0 and "terminating on signal 15" in err,
         "running VM: SIGTERM is an orderly shutdown, status 0",
         "status %r\n%s" % (rc, err))
    t.ok(not os.path.lexists(pidfile) and not os.path.lexists(qmp_sock),
         "running VM: pid file and QMP socket removed")


def not_ours_tests(t, work):
    """Only the files we created are removed: a second instance on the
    same socket path replaces the socket with its own (as QEMU does), and
    a pid file may be replaced behind our back; neither is removed when
    the first instance ends, at start-up or running (QEMU removes the
    second's socket)."""
    shared = os.path.join(work, "shared.sock")
    pidfile = os.path.join(work, "replaced.pid")
    second = Run(work, BASE + ["-qmp", "unix:%s,server=on,wait=off"
                               % shared])
    try:
        Qmp(shared, second.proc).close()
        # The first blocks waiting for a client on the same path, so it
        # has replaced the second's socket with its own.
        first = Run(work, BASE + [
            "-pidfile", pidfile,
            "-chardev", "socket,id=c0,path=%s,server=on,wait=on" % shared,
            "-serial", "chardev:c0"])
        if not wait_until(lambda: "waiting for connection"
                          in first.stderr(), first.proc):
            t.ok(False, "the first instance waits for a client",
                 first.stderr())
            first.end(signal.SIGKILL)
            return
        # Now a third takes the path over while the first still waits,
        # and the pid file is replaced.
        firsts = os.stat(shared).st_ino
        third = Run(work, BASE + ["-qmp", "unix:%s,server=on,wait=off"
                                  % shared])
        try:
            # Until the third binds, a client would reach the first.
            if not wait_until(lambda: inode(shared) not in (firsts, None),
                              third.proc):
                raise OSError("the third instance never took the path")
            Qmp(shared, third.proc).close()
            with open(pidfile + ".new", "w") as f:
                f.write("12345\n")
            os.rename(pidfile + ".new", pidfile)
            rc = first.end(signal.SIGTERM)
            t.ok(rc == -signal.SIGTERM and os.path.exists(shared) and
                 open(pidfile).read() == "12345\n",
                 "a signal at start-up leaves a socket and a pid file that "
                 "are no longer ours", "status %r" % rc)
            try:
                Qmp(shared, third.proc).close()
                t.ok(True, "the instance that took the path still answers")
            except (OSError, EOFError) as e:
                t.ok(False, "the instance that took the path still answers",
                     e)
            # The third ends in order; the second's socket was replaced
            # by the first's long ago: it must not remove the third's.
            rc = second.end(signal.SIGTERM)
            t.ok(rc == 0 and os.path.exists(shared),
                 "an orderly exit leaves a socket that is no longer ours",
                 "status %r" % rc)
        finally:
            rc = third.end(signal.SIGTERM)
        t.ok(rc == 0 and not os.path.exists(shared),
             "the socket's owner removes it at exit", "status %r" % rc)
    except (OSError, EOFError) as e:
        t.ok(False, "second instance on a shared socket path", e)
    finally:
        if second.proc.poll() is None:
            second.end(signal.SIGKILL)


def main():
    if not os.path.exists(TESSERA):
        skip_all("%s not built" % TESSERA)
    t = Tap()
    with tempfile.TemporaryDirectory(prefix="tessera-startup-sig-") as work:
        socket_wait_tests(t, work)
        fifo_tests(t, work)
        terminal_tests(t, work)
        running_tests(t, work)
        not_ours_tests(t, work)
    t.done()


main()
