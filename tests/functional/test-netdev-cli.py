#!/usr/bin/env python3
"""The network options and monitor commands as a user sees them, each
checked against Debian's QEMU 7.2 run the same way: -netdev's one-line
errors (core and socket backend), -netdev help from the sidecars, what
the riscv virt board does with -nic and -net nic without model= (the
backend is made, the NIC is not, with QEMU's warnings), HMP info network
for hubs and sockets, and QMP netdev_add / netdev_del / set_link /
query-rx-filter replies and errors.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, run, refused_like_qemu  # noqa: E402
from qmp import Qmp  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp()
qemu = shutil.which("qemu-system-riscv64")
BASE = ["-M", "virt", "-display", "none", "-S", "-bios", "none",
        "-serial", "none"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen()
busy_port = busy.getsockname()[1]

cases = [
    (["-netdev", "socket"], "Parameter 'id' is missing"),
    (["-netdev", "id=x"], "Parameter 'type' is missing"),
    (["-netdev", "nosuch,id=x"],
     "Parameter 'type' does not accept value 'nosuch'"),
    (["-netdev", "socket,id=1x"], "Parameter 'id' expects an identifier"),
    (["-netdev", "socket,id=x"],
     "exactly one of listen=, connect=, mcast= or udp= is required"),
    (["-netdev", "socket,id=x,listen=:1,connect=:2"],
     "exactly one of listen=, connect=, mcast= or udp= is required"),
    (["-netdev", "socket,id=x,foo=1"], "Invalid parameter 'foo'"),
    (["-netdev", "hubport,id=h"], "Parameter 'hubid' is missing"),
    (["-netdev", "hubport,id=h,hubid=x"],
     "Parameter 'hubid' expects an int64 value"),
    (["-netdev", "hubport,id=h,hubid=0,netdev=zz"], "netdev 'zz' not found"),
    (["-netdev", "hubport,id=h,hubid=0", "-netdev", "hubport,id=h,hubid=1"],
     "Duplicate ID 'h' for netdev"),
    (["-netdev", "socket,id=x,listen=foo"],
     "host address 'foo' doesn't contain ':' separating host from port"),
    (["-netdev", "socket,id=x,connect=127.0.0.1:abc"],
     "port number 'abc' is invalid"),
    (["-netdev", "socket,id=x,udp=127.0.0.1:5000"],
     "localaddr= is mandatory with udp="),
    (["-netdev", "socket,id=x,listen=:1,localaddr=127.0.0.1:2"],
     "localaddr= is only valid with mcast= or udp="),
    (["-netdev", "socket,id=x,mcast=127.0.0.1:5000"],
     "specified mcastaddr 127.0.0.1 (0x7f000001) does not contain a "
     "multicast address"),
    (["-netdev", "socket,id=x,fd=abc"], "Invalid file descriptor number 'abc'"),
    (["-netdev", "socket,id=x,listen=127.0.0.1:%d" % busy_port],
     "can't bind ip=127.0.0.1 to socket: Address already in use"),
    (["-nic", "nosuch"], "Parameter 'type' does not accept value 'nosuch'"),
    (["-nic", "hubport,mac=zz"], "invalid syntax for ethernet address"),
    (["-net", "nic,macaddr=zz"], "invalid syntax for ethernet address"),
    (["-net", "nic,foo=1"], "Invalid parameter 'foo'"),
    (["-net", "nic,netdev=zz"], "netdev 'zz' not found"),
    (["-net", "hubport,hubid=0"],
     "network backend 'hubport' is only supported with -netdev/-nic"),
]
refused_like_qemu(t, cases, qemu)
busy.close()

# ---- -netdev help ------------------------------------------------------

st, out, err = run([TESSERA, "-netdev", "help"])
ours = out.splitlines()
t.ok(st == 0 and ours[:1] == ["Available netdev backend types:"] and
     "socket" in ours and "hubport" in ours,
     "-netdev help lists the types, QEMU's heading, one per line", out + err)
if qemu:
    st, qout, _ = run([qemu, "-netdev", "help"])
    theirs = qout.splitlines()
    t.ok(all(n in theirs for n in ours[1:]),
         "every type listed is one QEMU lists too", "%s\n%s" % (ours, theirs))
st, out, err = run([TESSERA, "-netdev", "socket,help"])
t.ok(st == 0 and "listen=<str>" in out and "mcast=<str>" in out,
     "-netdev socket,help lists the backend's options", out + err)


# ---- -writeconfig / -readconfig ----------------------------------------

cfg = os.path.join(tmp, "net.cfg")
st, out, err = run([TESSERA] + BASE + ["-monitor", "stdio", "-netdev",
                                       "hubport,id=hw,hubid=3",
                                       "-writeconfig", cfg], input="quit\n")
text = open(cfg).read() if os.path.exists(cfg) else ""
t.ok('[netdev "hw"]' in text and 'type = "hubport"' in text and
     'hubid = "3"' in text, "-writeconfig writes a [netdev] section", text)
p = subprocess.run([TESSERA] + BASE + ["-monitor", "stdio", "-readconfig",
                                       cfg], input="info network\nquit\n",
                   capture_output=True, text=True, timeout=60)
t.ok("hub 3" in p.stdout and " \\ hw" in p.stdout,
     "-readconfig creates it again", p.stdout + p.stderr)


# ---- -nic / -net nic without a model on riscv virt ----------------------

def warnings(prog, args):
    """The warnings at start, with QEMU's generated ids made equal."""
    p = subprocess.run([prog] + BASE + ["-monitor", "stdio"] + args,
                       input="quit\n", capture_output=True, text=True,
                       timeout=60)
    lines = [re.sub(r"#net\d+", "#netN", l.split(": ", 1)[1])
             for l in p.stderr.splitlines() if ": warning: " in l]
    return p.returncode, lines


port = free_port()
for args in (["-nic", "socket,listen=127.0.0.1:%d" % port],
             ["-net", "nic", "-net", "socket,listen=127.0.0.1:%d" % port],
             ["-net", "nic,model=nosuch"]):
    st, ours = warnings(TESSERA, args)
    t.ok(st == 0 and any("was not created" in l for l in ours),
         "%s: the NIC is not created, with a warning" % " ".join(args),
         ours)
    if qemu:
        _, theirs = warnings(qemu, args)
        t.ok(ours == theirs, "%s: the same warnings as QEMU" % " ".join(args),
             "ours:   %s\nQEMU's: %s" % (ours, theirs))


# With model= naming a NIC device, the NIC is made (QEMU 7.2's virt
# would not: our decision, see core/net/README.md).
st, out, err = run([TESSERA, "-M", "virt", "-nic", "model=help"])
if "virtio-net-pci" not in out:
    t.skip("-nic model=virtio-net-pci", "dev-virtio-net not built")
else:
    p3, p4 = free_port(), free_port()
    info_network_args = [
        "-nic", "socket,listen=127.0.0.1:%d,model=virtio-net-pci,"
        "mac=52:54:00:aa:bb:cc" % p3,
        "-net", "nic,model=virtio-net-device",
        "-net", "socket,listen=127.0.0.1:%d" % p4]
    p = subprocess.run([TESSERA] + BASE + ["-monitor", "stdio"] +
                       info_network_args, input="info network\nquit\n",
                       capture_output=True, text=True, timeout=60)
    t.ok("virtio-net-pci.0: index=0,type=nic,model=virtio-net-pci,"
         "macaddr=52:54:00:aa:bb:cc" in p.stdout and
         " \\ hub0port0: virtio-net-device.0: index=0,type=nic,"
         "model=virtio-net-device,macaddr=52:54:00:12:34:56" in p.stdout,
         "-nic and -net nic with model= make the NIC, joined to its backend",
         p.stdout + p.stderr)


# ---- info network ------------------------------------------------------

def info_network(prog, args):
    p = subprocess.run([prog] + BASE + ["-monitor", "stdio"] + args,
                       input="info network\nquit\n", capture_output=True,
                       text=True, timeout=60)
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", p.stdout).replace("\r", "")
    return [l for l in text.splitlines()
            if re.match(r"^(hub \d+| \\ |[\w#.-]+: index=)", l)]


p1, p2, p3 = free_port(), free_port(), free_port()
net_args = ["-netdev", "socket,id=s0,listen=127.0.0.1:%d" % p1,
            "-netdev", "socket,id=s1,listen=127.0.0.1:%d" % p2,
            "-netdev", "hubport,id=h1,hubid=0",
            "-netdev", "hubport,id=h2,hubid=0,netdev=s0",
            "-netdev", "hubport,id=h3,hubid=4"]
ours = info_network(TESSERA, net_args)
t.ok("hub 0" in ours and " \\ h2: s0: index=0,type=socket," in ours and
     "s1: index=0,type=socket," in ours,
     "info network shows hubs, ports and the backend alone", ours)
if qemu:
    theirs = info_network(qemu, net_args)
    t.ok(ours == theirs, "info network reads as QEMU's",
         "ours:   %s\nQEMU's: %s" % (ours, theirs))


# ---- HMP commands -----------------------------------------------------

HMP_LINES = ["set_link zz off", "set_link h1 maybe", "set_link s1 off",
             "hostfwd_add s0 tcp::5555-:22", "hostfwd_add zz tcp::5555-:22",
             "hostfwd_remove s1 tcp::5555", "netdev_add nosuch,id=x",
             "netdev_del s1", "netdev_del s1",
             # A user network's forwarding rules: removed, then gone.
             "hostfwd_add u0 tcp:127.0.0.1:%d-:22" % p3,
             "hostfwd_remove u0 tcp:127.0.0.1:%d" % p3,
             "hostfwd_remove u0 tcp:127.0.0.1:%d" % p3,
             "hostfwd_remove u0 bogus"]


def hmp_replies(prog, args):
    p = subprocess.run([prog] + BASE + ["-monitor", "stdio"] + args,
                       input="\n".join(HMP_LINES + ["quit"]) + "\n",
                       capture_output=True, text=True, timeout=60)
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", p.stdout).replace("\r", "")
    # What is left once the prompts and the echoed commands are gone.
    return [l for l in text.splitlines()
            if l.strip() and not re.match(r"^\((qemu|tessera)\)", l) and
            not re.search(r"(QEMU|Tessera) [0-9.]+ monitor", l)]


hmp_args = net_args + ["-netdev", "user,id=u0"]
ours = hmp_replies(TESSERA, hmp_args)
t.ok("host forwarding rule for tcp:127.0.0.1:%d removed" % p3 in ours and
     "host forwarding rule for tcp:127.0.0.1:%d not found" % p3 in ours and
     "invalid format" in ours,
     "HMP hostfwd_remove says what it removed, and what it did not find",
     ours)
t.ok("Error: Device 'zz' not found" in ours and
     "invalid device specified" in ours and
     "unrecognized netdev id 'zz'" in ours and
     "Error: Device 's1' not found" in ours,
     "HMP set_link, hostfwd_add/remove, netdev_add/del answer", ours)
if qemu:
    theirs = hmp_replies(qemu, hmp_args)
    t.ok(ours == theirs, "HMP replies read as QEMU's",
         "ours:   %s\nQEMU's: %s" % (ours, theirs))


# ---- -set netdev.ID.KEY=VALUE ---------------------------------------------

p4 = free_port()
SET_HMP = ["hostfwd_remove u1 tcp:127.0.0.1:%d" % p4]


def set_replies(prog):
    p = subprocess.run([prog] + BASE + [
        "-monitor", "stdio", "-netdev", "user,id=u1",
        "-set", "netdev.u1.hostfwd=tcp:127.0.0.1:%d-:22" % p4],
        input="\n".join(SET_HMP + ["quit"]) + "\n", capture_output=True,
        text=True, timeout=60)
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", p.stdout).replace("\r", "")
    return [l for l in text.splitlines() if "forwarding rule" in l]


ours = set_replies(TESSERA)
t.ok(ours == ["host forwarding rule for tcp:127.0.0.1:%d removed" % p4],
     "-set netdev.u1.hostfwd= adds the rule to the -netdev given before",
     ours)
if qemu:
    t.ok(ours == set_replies(qemu), "-set netdev: as QEMU", ours)
refused_like_qemu(t, [
    (["-set", "netdev.nx.ipv6=off"], 'there is no netdev "nx" defined'),
], qemu)


# ---- QMP ----------------------------------------------------------------

def qmp_session(prog):
    sock = os.path.join(tmp, "qmp-%d.sock" % time.monotonic_ns())
    p = subprocess.Popen([prog] + BASE + ["-monitor", "none",
                          "-netdev", "hubport,id=h0,hubid=0",
                          "-qmp", "unix:%s,server=on,wait=off" % sock],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    return p, Qmp(sock, p)


def shape(r):
    """What a reply says, without what differs by build."""
    if "error" in r:
        return ("error", r["error"]["class"], r["error"]["desc"])
    return ("return", json.dumps(r["return"], sort_keys=True))


def qmp_script(prog):
    p, q = qmp_session(prog)
    lp = free_port()
    out = []
    try:
        for cmd, args in [
                ("netdev_add", {"type": "socket", "id": "s9",
                                "listen": "127.0.0.1:%d" % lp}),
                ("netdev_add", {"type": "socket", "id": "s9",
                                "listen": "127.0.0.1:%d" % lp}),
                ("netdev_add", {"type": "nosuch", "id": "x"}),
                ("netdev_add", {"type": "socket", "id": "y"}),
                ("set_link", {"name": "s9", "up": False}),
                ("set_link", {"name": "zz", "up": True}),
                ("query-rx-filter", {"name": "h0"}),
                ("query-rx-filter", {"name": "zz"}),
                ("query-rx-filter", {}),
                ("netdev_del", {"id": "s9"}),
                ("netdev_del", {"id": "s9"})]:
            out.append((cmd, shape(q.cmd(cmd, args))))
    finally:
        try:
            q.cmd("quit")
        except Exception:
            pass
        p.wait(timeout=20)
    return out


ours = qmp_script(TESSERA)
want = {0: "return", 1: "error", 5: "error", 9: "return", 10: "error"}
t.ok(all(ours[i][1][0] == k for i, k in want.items()) and
     ours[10][1][1] == "DeviceNotFound" and
     ours[7][1][2] == "invalid net client name: zz",
     "QMP netdev_add/set_link/query-rx-filter/netdev_del answer and refuse",
     "\n".join(map(str, ours)))
if qemu:
    theirs = qmp_script(qemu)
    for a, b in zip(ours, theirs):
        t.ok(a == b, "QMP %s: as QEMU answers" % a[0],
             "ours:   %s\nQEMU's: %s" % (a, b))

shutil.rmtree(tmp, ignore_errors=True)
t.done()
