#!/usr/bin/env python3
"""Command-line options whose effect is on the process itself.

-daemonize: the command returns once the VM is set up, the daemon runs in
its own session with stdio on /dev/null, and it refuses -nographic and
stdio chardevs as QEMU does.  -name process= and debug-threads=on: the
names ps and top show.  -add-fd: an inherited descriptor used through
/dev/fdset/N by a file chardev.  -writeconfig, -k help and -object help,
and -h listing the options.
"""
import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import TESSERA, Tap, skip_all, tessera  # noqa: E402
from qmp import Qmp  # noqa: E402

PROG = os.path.basename(TESSERA)
# Only a guard against hanging the suite, never a pass/fail timing.
PATIENCE = 60


def wait_until(cond, what):
    deadline = time.monotonic() + PATIENCE
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def one_line_error(t, args, fragment, desc, **kw):
    rc, out, err = tessera(*args, **kw)
    lines = err.splitlines()
    t.ok(rc == 1 and len(lines) == 1 and lines[0].startswith(PROG + ": ")
         and fragment in lines[0], desc, "status %d\n%s%s" % (rc, out, err))


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def proc_stat(pid):
    """(ppid, session id) of a process."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(") ", 1)[1].split()
    return int(fields[1]), int(fields[3])


def daemonize_tests(t, work):
    one_line_error(t, ["-daemonize", "-nographic", "-M", "none"],
                   "-nographic cannot be used with -daemonize",
                   "-daemonize refuses -nographic")
    for opt in (["-serial", "stdio"], ["-monitor", "stdio"],
                ["-chardev", "stdio,id=c0"]):
        one_line_error(t, ["-daemonize", "-M", "none", "-display", "none"]
                       + opt, "cannot use stdio with -daemonize",
                       "-daemonize refuses %s %s" % tuple(opt))

    sock = os.path.join(work, "daemon.sock")
    pidfile = os.path.join(work, "daemon.pid")
    # The command must return: run() waits for stdout and stderr to
    # close, which the daemon does once it is ready.
    rc, out, err = tessera("-daemonize", "-M", "none", "-display", "none",
                           "-name", "daemon-test", "-pidfile", pidfile,
                           "-qmp", "unix:%s,server=on,wait=off" % sock,
                           timeout=PATIENCE)
    t.ok(rc == 0 and out == "" and err == "", "-daemonize returns 0 once "
         "the VM is set up", "status %d\n%s%s" % (rc, out, err))
    try:
        with open(pidfile) as f:
            pid = int(f.read())
    except (OSError, ValueError) as e:
        t.ok(False, "the daemon wrote its pid file", str(e))
        return
    ppid, sid = proc_stat(pid)
    t.ok(alive(pid) and ppid != os.getpid() and
         sid != os.getsid(0) and sid != pid,
         "the daemon runs in a session of its own, not as its leader",
         "pid %d ppid %d sid %d" % (pid, ppid, sid))
    cwd = os.readlink("/proc/%d/cwd" % pid)
    fds = [os.readlink("/proc/%d/fd/%d" % (pid, n)) for n in (0, 1, 2)]
    t.ok(cwd == "/" and fds == ["/dev/null"] * 3,
         "the daemon is in / with stdio on /dev/null", "%s %s" % (cwd, fds))
    q = Qmp(sock)
    name = q.cmd("query-name")
    t.ok(name.get("return") == {"name": "daemon-test"},
         "the daemon answers QMP on its socket", json.dumps(name))
    q.cmd("quit")
    q.close()
    try:
        wait_until(lambda: not alive(pid), "daemon exit")
        gone = not os.path.exists(pidfile)
    except TimeoutError:
        os.kill(pid, 9)
        gone = False
    t.ok(gone, "quit ends the daemon and removes its pid file")


def comm_names(pid):
    names = []
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            names.append(f.read().strip())
    return names


def name_tests(t, work):
    for debug in ("on", "off"):
        sock = os.path.join(work, "name-%s.sock" % debug)
        p = subprocess.Popen(
            [TESSERA, "-M", "virt", "-bios", "none", "-S", "-display",
             "none", "-name",
             "guest=g1,process=tsproc,debug-threads=%s" % debug,
             "-qmp", "unix:%s,server=on,wait=off" % sock],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            q = Qmp(sock, p)
            name = q.cmd("query-name").get("return")
            with open("/proc/%d/comm" % p.pid) as f:
                process = f.read().strip()
            comms = comm_names(p.pid)
            q.cmd("quit")
            q.close()
            p.wait(timeout=PATIENCE)
        except (OSError, EOFError, TimeoutError, ValueError) as e:
            p.kill()
            out, err = p.communicate()
            t.ok(False, "-name ...,debug-threads=%s" % debug,
                 "%s\n%s" % (e, err.decode(errors="replace")))
            continue
        if debug == "on":
            t.ok(name == {"name": "g1"} and process == "tsproc" and
                 "CPU 0/TCG" in comms,
                 "-name guest=,process=,debug-threads=on names the guest, "
                 "the process and the vCPU thread",
                 "%s %s %s" % (name, process, comms))
        else:
            t.ok(set(comms) == {"tsproc"}, "without debug-threads, threads "
                 "keep the process name", str(comms))


def add_fd_tests(t, work):
    log = os.path.join(work, "serial.log")
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.set_inheritable(fd, True)
    sock = os.path.join(work, "addfd.sock")
    p = subprocess.Popen(
        [TESSERA, "-M", "none", "-display", "none",
         "-add-fd", "fd=%d,set=3,opaque=wronly:serial.log" % fd,
         "-chardev", "file,id=log,path=/dev/fdset/3", "-mon", "chardev=log",
         "-qmp", "unix:%s,server=on,wait=off" % sock],
        pass_fds=[fd], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(fd)
    try:
        q = Qmp(sock, p)
        q.cmd("quit")
        q.close()
        p.wait(timeout=PATIENCE)
    except (OSError, EOFError, TimeoutError) as e:
        p.kill()
        p.wait()
        t.ok(False, "-add-fd", str(e))
        return
    with open(log) as f:
        text = f.read()
    t.ok("monitor - type 'help'" in text, "a file chardev writes through "
         "/dev/fdset/3 to the descriptor -add-fd gave", repr(text))
    # A descriptor the process did not inherit.
    one_line_error(t, ["-add-fd", "fd=%d,set=1" % 200, "-M", "none"],
                   "-add-fd fd=200,set=1: fd is not valid or already in use",
                   "-add-fd refuses a descriptor that is not open")
    one_line_error(t, ["-add-fd", "fd=2,set=1", "-M", "none"],
                   "fd cannot be a standard I/O stream",
                   "-add-fd refuses stderr")


def listing_tests(t, work):
    rc, out, err = tessera("-k", "help")
    lines = out.splitlines()
    t.ok(rc == 0 and "  fr-ca" in lines and "  en-us" in lines and
         len(lines) == 34, "-k help lists the manual's 33 layouts", out + err)
    one_line_error(t, ["-k", "qwerty"], "keyboard layout 'qwerty' is not "
                   "known", "-k refuses an unknown layout")
    rc, out, err = tessera("-object", "help")
    t.ok(rc == 0 and "memory-backend-ram" in out, "-object help", out + err)
    rc, out, err = tessera("-h")
    t.ok(rc == 0 and all(o in out for o in
                         ("-numa node", "-global driver.prop=value",
                          "-set group.id.arg=value", "-add-fd fd=",
                          "-boot [order=]drives", "-daemonize",
                          "-readconfig", "-writeconfig", "-k language")),
         "-h lists the new options", out)
    rc, out, err = tessera("-version")
    t.ok(rc == 0 and out.startswith("Tessera emulator version "),
         "-version", out + err)
    # -writeconfig - prints the configuration before the VM is built.
    rc, out, err = tessera("-writeconfig", "-", "-M", "none", "-m", "64M",
                           "-numa", "node")
    t.ok(rc == 1 and out == "# qemu config file\n\n[machine]\n"
         "  type = \"none\"\n\n[memory]\n  size = \"64M\"\n\n[numa]\n"
         "  type = \"node\"\n\n" and "NUMA is not supported" in err,
         "-writeconfig - writes the options as a config file", out + err)


def accel_tests(t):
    """An accelerator option without a name is an error, not a crash
    (issue 11: -accel '' and -accel thread=single segfaulted, -M
    virt,accel= aborted on a GLib assertion)."""
    base = ["-M", "virt", "-display", "none", "-S", "-monitor", "none"]
    for arg in ("", "thread=single"):
        one_line_error(t, base + ["-accel", arg], "no accelerator named",
                       "-accel %r: one line naming what is missing" % arg,
                       timeout=30)
    one_line_error(t, base + ["-M", "virt,accel="], "no accelerator found",
                   "-M virt,accel=: QEMU's 'no accelerator found'",
                   timeout=30)


def empty_name_tests(t):
    """An option whose name or type is empty is a one-line error, never a
    crash or a silent default (issue 11's -accel '', for every option
    that names something; -d '' was accepted as 'log nothing').  A VM
    that starts anyway quits at once on the monitor's 'quit'."""
    base = ["-M", "virt", "-display", "none", "-S", "-serial", "none",
            "-monitor", "stdio"]
    cases = [("-d", "no log item named"), ("-cpu", "no CPU model given"),
             ("-device", "Parameter 'driver' is missing"),
             ("-object", "Parameter 'qom-type' is missing"),
             ("-chardev", "is missing"), ("-numa", "Parameter 'type'"),
             ("-mon", "Parameter 'chardev' is missing"),
             ("-global", "are required"), ("-serial", "not a valid char"),
             ("-display", "not supported"), ("-netdev", "Parameter 'id' is missing")]
    for option, fragment in cases:
        one_line_error(t, base + [option, ""], fragment,
                       "%s '': one line naming what is missing" % option,
                       timeout=30, input="quit\n")


def bounded_read_tests(t):
    """A file that never ends is refused, not read until memory runs out
    (issue 11: -readconfig /dev/zero)."""
    one_line_error(t, ["-readconfig", "/dev/zero", "-M", "none"],
                   "larger than", "-readconfig /dev/zero is refused",
                   timeout=30)


def pidfile_tests(t, work):
    """-pidfile is locked while the emulator runs, and only the file it
    wrote is removed at exit (issue 11: a second instance took the file
    over, and the first deleted it when it exited)."""
    pidfile = os.path.join(work, "locked.pid")
    args = ["-M", "none", "-S", "-display", "none", "-monitor", "none",
            "-pidfile", pidfile]
    first = subprocess.Popen([TESSERA] + args, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: os.path.exists(pidfile) and
                   open(pidfile).read().strip() == str(first.pid),
                   "the first instance writes its pid file")
        one_line_error(t, args, "Cannot lock pid file",
                       "a second instance on the same -pidfile is refused",
                       timeout=30)
        t.ok(open(pidfile).read().strip() == str(first.pid),
             "the pid file still names the first instance")
        # Replaced behind the emulator's back: not its file any more.
        other = pidfile + ".new"
        with open(other, "w") as f:
            f.write("12345\n")
        os.rename(other, pidfile)
        first.terminate()
        first.communicate(timeout=30)
        t.ok(os.path.exists(pidfile) and
             open(pidfile).read() == "12345\n",
             "at exit, a pid file that is no longer ours is left alone")
    except (TimeoutError, OSError, subprocess.TimeoutExpired) as e:
        t.ok(False, "-pidfile locking", e)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()


def writeconfig_special_tests(t, work):
    """-writeconfig writes through a symlink or into a FIFO instead of
    replacing it with a regular file (issue 11: run as root, -writeconfig
    /dev/null replaced /dev/null)."""
    args = ["-M", "none", "-m", "64M", "-display", "none", "-S",
            "-monitor", "none"]
    target = os.path.join(work, "target.cfg")
    link = os.path.join(work, "link.cfg")
    open(target, "w").close()
    os.symlink(target, link)
    # -writeconfig writes before the VM is built; a bad -m ends the run
    # right after, so nothing waits.
    rc, out, err = tessera("-writeconfig", link, *args, "-numa", "node")
    t.ok(os.path.islink(link) and "[memory]" in open(target).read(),
         "-writeconfig through a symlink writes its target, the link stays",
         err)
    fifo = os.path.join(work, "config.fifo")
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", fifo], stdout=subprocess.PIPE,
                              text=True)
    rc, out, err = tessera("-writeconfig", fifo, *args, "-numa", "node")
    try:
        got, _ = reader.communicate(timeout=30)
    except subprocess.TimeoutExpired:    # the FIFO was replaced: no writer
        reader.kill()
        got, _ = reader.communicate()
    t.ok(stat.S_ISFIFO(os.lstat(fifo).st_mode) and "[memory]" in got,
         "-writeconfig into a FIFO writes to its reader, the FIFO stays",
         err)


def main():
    if not os.path.exists(TESSERA):
        skip_all("%s not built" % TESSERA)
    t = Tap()
    with tempfile.TemporaryDirectory(prefix="tessera-cli-process-") as work:
        daemonize_tests(t, work)
        name_tests(t, work)
        add_fd_tests(t, work)
        listing_tests(t, work)
    accel_tests(t)
    empty_name_tests(t)
    bounded_read_tests(t)
    with tempfile.TemporaryDirectory(prefix="tessera-pidfile-") as work:
        pidfile_tests(t, work)
        writeconfig_special_tests(t, work)
    t.done()


main()
