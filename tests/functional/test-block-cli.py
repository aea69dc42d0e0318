#!/usr/bin/env python3
"""The block layer from the command line and the monitors, as a user and
libvirt see it: -blockdev driver=help answered from sidecars with no
driver loaded, the one-line QEMU errors for malformed -drive/-blockdev
options, QMP query-block / query-named-block-nodes / query-blockstats /
blockdev-add / blockdev-del / block_resize / block-set-write-threshold,
HMP info block / info blockstats / drive_add / drive_del / eject, and
image locking against Debian's QEMU as a real peer, both ways, with
force-share for a reader.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, TESSERA, tessera, run  # noqa: E402
from qmp import Qmp  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp()
PROG = "tessera-system-riscv64"
BASE = ["-M", "virt", "-display", "none", "-S", "-bios", "none",
        "-monitor", "none", "-serial", "none"]


def refused(*args):
    """Run a Tessera that should exit with an error; one that starts
    instead (it would wait forever with -S) counts as not refused."""
    try:
        return tessera(*(BASE + list(args)), timeout=60)
    except subprocess.TimeoutExpired:
        return None, "", "it started instead of refusing"


def image(name, size):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.truncate(size)
    return path


disk = image("disk.img", 4 << 20)
flash = image("flash.img", 32 << 20)

# ---- driver=help from sidecars, nothing loaded ---------------------------

rc, out, err = tessera("-blockdev", "driver=help")
t.ok(rc == 0 and all(d in out for d in ("file", "raw", "null-co")),
     "-blockdev driver=help lists file, raw and null-co", out + err)
rc, out, err = tessera("-blockdev", "driver=file,help")
t.ok(rc == 0 and "filename=<str>" in out and "locking=<enum>" in out,
     "-blockdev driver=file,help lists the driver's options", out + err)


def start(*args, env=None):
    sock = os.path.join(tmp, "qmp-%d.sock" % time.monotonic_ns())
    p = subprocess.Popen([TESSERA] + BASE + list(args) +
                         ["-qmp", "unix:%s,server=on,wait=off" % sock],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=dict(os.environ, **(env or {})))
    return p, Qmp(sock, p)


def stop(p, q):
    try:
        q.cmd("quit")
        q.close()
    except (OSError, EOFError):
        pass
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    return p.stderr.read()


p, q = start("-blockdev", "driver=null-co,node-name=n0")
loaded = q.cmd("query-plugins").get("return", [])
names = [x.get("name", x) if isinstance(x, dict) else x for x in loaded]
maps = open("/proc/%d/maps" % p.pid).read()
t.ok("blk-null" in str(names) and "blk-file" not in str(names) and
     "blk-raw" not in str(names), "only the driver the command line names "
     "is loaded (query-plugins)", str(names))
t.ok("blk-null.so" in maps and "blk-file.so" not in maps and
     "blk-raw.so" not in maps, "only blk-null.so is mapped "
     "(/proc/PID/maps)")
stop(p, q)

# ---- malformed options: one line, exit 1 ---------------------------------

bad = [
    (["-drive", "file=%s,if=none,format=raw,foo=bar" % disk],
     "Block format 'raw' does not support the option 'foo'"),
    (["-drive", "file=%s,if=none,format=raw,cache=bogus" % disk],
     "invalid cache option"),
    (["-drive", "file=%s,if=none,format=raw,aio=bogus" % disk],
     "invalid aio option"),
    (["-drive", "file=%s,if=none,format=raw,rerror=enospc" % disk],
     "'enospc' invalid read error action"),
    (["-drive", "file=%s,if=none,format=raw,werror=x" % disk],
     "'x' invalid write error action"),
    (["-drive", "file=%s,if=none,format=raw,media=floppy" % disk],
     "'floppy' invalid media"),
    (["-drive", "file=%s,if=none,format=raw,aio=native" % disk],
     "aio=native was specified, but it requires cache.direct=on"),
    (["-drive", "file=%s,if=none,format=raw,index=1,unit=2" % disk],
     "index cannot be used with bus and unit"),
    (["-drive", "file=%s,if=none,format=bogus" % disk],
     "Unknown driver 'bogus'"),
    (["-drive", "file=%s,if=xyz" % disk], "unsupported bus type 'xyz'"),
    (["-drive", "if=none,format=raw"],
     "A block device must be specified for \"file\""),
    (["-drive", "file=%s,if=none,format=raw,node-name=1x" % disk],
     "Invalid node-name: '1x'"),
    (["-drive", "file=%s,if=none,format=raw,throttling.iops-total=abc" %
      disk], "Parameter 'throttling.iops-total' expects a number"),
    (["-drive", "file=/nonexistent/x.img,if=none,format=raw"],
     "Could not open '/nonexistent/x.img': No such file or directory"),
    (["-drive", "file=%s,if=none,format=raw,id=a" % disk,
      "-drive", "file=%s,if=none,format=raw,id=a" % disk],
     "Duplicate ID 'a' for drive"),
    (["-drive", "file=%s,format=raw,if=sd" % disk],
     "machine type does not support if=sd,bus=0,unit=0"),
    (["-fda", disk], "-fda %s: machine type does not support "
     "if=floppy,bus=0,unit=0" % disk),
    (["-sd", disk], "machine type does not support if=sd,bus=0,unit=0"),
    (["-mtdblock", disk], "machine type does not support if=mtd,bus=0"),
    (["-blockdev", "driver=file,filename=%s,node-name=a,foo=1" % disk],
     "Parameter 'foo' is unexpected"),
    (["-blockdev", "driver=raw,file=zz"],
     "'node-name' must be specified for the root node"),
    (["-blockdev", "driver=raw,file=zz,node-name=r"],
     "Cannot find device=\"\" nor node-name=\"zz\""),
    (["-blockdev", "driver=file,node-name=a"],
     "Parameter 'filename' is missing"),
    (["-blockdev", "driver=xx"],
     "Parameter 'driver' does not accept value 'xx'"),
    (["-blockdev", "driver=file,filename=%s,node-name=a,read-only=maybe" %
      disk], "Parameter 'read-only' expects 'on' or 'off'"),
    (["-blockdev", "driver=file,filename=%s,node-name=a,"
      "detect-zeroes=unmap" % disk],
     "setting detect-zeroes to unmap is not allowed without setting "
     "discard operation to unmap"),
    (["-blockdev", "driver=file,filename=%s,node-name=a,force-share=on" %
      disk], "force-share=on can only be used with read-only images"),
    (["-blockdev", "driver=file,filename=%s,node-name=a" % disk,
      "-blockdev", "driver=null-co,node-name=a"],
     "Duplicate nodes with node-name='a'"),
    (["-blockdev", "driver=raw,node-name=r,offset=8M,file.driver=file,"
      "file.filename=%s" % disk], "has to be smaller or equal to the "
     "actual size of the containing file (4194304)"),
    (["-drive", "file=%s,if=none,format=raw,throttling.iops-total=100,"
      "throttling.iops-read=5" % disk], "bps/iops/max total values and "
     "read/write values cannot be used at the same time"),
    (["-drive", "file=%s,if=none,format=raw,throttling.bps-total-max=9" %
      disk], "bps_max/iops_max require corresponding bps/iops values"),
    (["-drive", "file=%s,if=none,format=raw,throttling.iops-total=100,"
      "throttling.iops-total-max=50" % disk],
     "bps_max/iops_max cannot be lower than bps/iops"),
    (["-drive", "file=%s,if=none,format=raw,throttling.bogus=1" % disk],
     "Block format 'raw' does not support the option 'throttling.bogus'"),
]
qcow2_missing = not os.path.exists(os.path.join(
    os.path.dirname(TESSERA), "plugins", "blk-qcow2.modinfo"))
if qcow2_missing:
    bad.append((["-snapshot", "-drive", "file=%s,if=none,format=raw" % disk],
                "needs the qcow2 driver for its temporary overlay"))
for args, want in bad:
    rc, out, err = refused(*args)
    # QEMU's warning for a guessed raw format may come first (-fda FILE).
    lines = [x for x in err.splitlines() if x.strip() and
             not x.startswith(" ") and ": warning: " not in x]
    t.ok(rc == 1 and len(lines) == 1 and lines[0].startswith(PROG + ": ")
         and want in lines[0], "%s: one line with '%s', exit 1" %
         (" ".join(args)[:60], want[:50]), "status %d: %s" % (rc, err))

# ---- QMP and HMP ---------------------------------------------------------

p, q = start("-drive", "file=%s,if=none,format=raw,id=d0,cache=writethrough,"
             "node-name=top0" % disk,
             "-blockdev", "driver=null-co,node-name=n0,size=1M")
blocks = q.cmd("query-block")["return"]
d0 = [b for b in blocks if b["device"] == "d0"]
t.ok(len(d0) == 1 and d0[0]["inserted"]["drv"] == "raw" and
     d0[0]["inserted"]["node-name"] == "top0" and
     d0[0]["inserted"]["image"]["virtual-size"] == 4 << 20 and
     d0[0]["inserted"]["image"]["filename"] == disk and
     d0[0]["inserted"]["cache"] == {"writeback": False, "direct": False,
                                    "no-flush": False} and
     d0[0]["inserted"]["ro"] is False and d0[0]["removable"] is False,
     "query-block: the -drive with its node, image and cache", blocks)
named = q.cmd("query-named-block-nodes")["return"]
drvs = sorted((n["node-name"] if not n["node-name"].startswith("#")
               else "#", n["drv"]) for n in named)
t.ok(("top0", "raw") in drvs and ("#", "file") in drvs and
     ("n0", "null-co") in drvs, "query-named-block-nodes: raw over file, "
     "and the -blockdev node", drvs)
stats = q.cmd("query-blockstats")["return"]
t.ok(any(s["device"] == "d0" and s["stats"]["wr_operations"] == 0 and
         "rd_total_time_ns" in s["stats"] for s in stats),
     "query-blockstats: d0's counters", stats)

other = image("other.img", 1 << 20)
r = q.cmd("blockdev-add", driver="raw", **{"node-name": "o1"},
          file={"driver": "file", "filename": other})
t.ok(r.get("return") == {} and any(
    n["node-name"] == "o1" for n in q.cmd("query-named-block-nodes")
    ["return"]), "blockdev-add: a raw node over a file, nested JSON", r)
r = q.cmd("blockdev-add", driver="raw", **{"node-name": "o1"},
          file={"driver": "file", "filename": other})
t.ok("Duplicate nodes with node-name='o1'" in
     r.get("error", {}).get("desc", ""), "blockdev-add: a taken name", r)
r = q.cmd("blockdev-del", **{"node-name": "o1"})
t.ok(r.get("return") == {} and not any(
    n["node-name"] == "o1" for n in q.cmd("query-named-block-nodes")
    ["return"]), "blockdev-del removes it", r)
r = q.cmd("blockdev-del", **{"node-name": "o1"})
t.ok("Failed to find node with node-name='o1'" in
     r.get("error", {}).get("desc", ""), "blockdev-del of a gone node", r)
r = q.cmd("blockdev-del", **{"node-name": "top0"})
t.ok("error" in r, "blockdev-del of a -drive's node is refused", r)

r = q.cmd("block_resize", device="d0", size=8 << 20)
t.ok(r.get("return") == {} and os.path.getsize(disk) == 8 << 20 and
     [b for b in q.cmd("query-block")["return"] if b["device"] == "d0"][0]
     ["inserted"]["image"]["virtual-size"] == 8 << 20,
     "block_resize grows the image file and what query-block shows", r)
r = q.cmd("block_resize", device="nope", size=1 << 20)
t.ok(r.get("error", {}).get("class") == "DeviceNotFound",
     "block_resize of an unknown device: DeviceNotFound", r)
r = q.cmd("block-set-write-threshold", **{"node-name": "top0",
                                           "write-threshold": 1 << 20})
t.ok(r.get("return") == {} and [b for b in q.cmd("query-block")["return"]
                                if b["device"] == "d0"][0]["inserted"]
     ["write_threshold"] == 1 << 20, "block-set-write-threshold shows in "
     "query-block", r)


def hmp(line):
    return q.cmd("human-monitor-command",
                 **{"command-line": line}).get("return", "")


out = hmp("info block")
t.ok("d0 (top0): %s (raw)" % disk in out and "Cache mode:       "
     "writethrough" in out and "n0:" not in out,
     "HMP info block: the backends, not a node no device uses (as QEMU)",
     out)
out = hmp("info block -n")
t.ok("n0: null-co:// (null-co)" in out, "HMP info block -n: every node",
     out)
out = hmp("info blockstats")
t.ok(out.startswith("d0: rd_bytes=0 wr_bytes=0"), "HMP info blockstats",
     out)
out = hmp("drive_add 0 if=none,file=%s,format=raw,id=d1" % other)
t.ok(out.strip() == "OK" and any(b["device"] == "d1" for b in
                                 q.cmd("query-block")["return"]),
     "HMP drive_add of an if=none drive", out)
out = hmp("drive_del d1")
t.ok(out == "" and not any(b["device"] == "d1" for b in
                           q.cmd("query-block")["return"]),
     "HMP drive_del removes it", out)
out = hmp("eject d0")
t.ok("Device 'd0' is not removable" in out, "HMP eject: not removable",
     out)
out = hmp("block_resize d0 4M")
t.ok(out == "" and os.path.getsize(disk) == 4 << 20, "HMP block_resize",
     out)
stop(p, q)

# throttling.*: the limits and the group show in query-block.
p, q = start("-drive", "file=%s,if=none,format=raw,id=t1,"
             "throttling.iops-total=100,throttling.bps-write=1048576,"
             "throttling.group=g1" % disk,
             "-drive", "file=%s,if=none,format=raw,id=t2,"
             "throttling.iops-total=100,throttling.bps-write=1048576,"
             "throttling.group=g1" % other)
b = {x["device"]: x["inserted"] for x in q.cmd("query-block")["return"]}
t.ok(b["t1"]["iops"] == 100 and b["t1"]["bps_wr"] == 1048576 and
     b["t1"]["bps"] == 0 and b["t1"]["group"] == "g1" and
     b["t2"]["group"] == "g1", "throttling limits and group in "
     "query-block", b)
stop(p, q)

# -hda and -cdrom on virt: if=none drives at index 0 and 2, as QEMU
# names them; a CD-ROM is read-only.
p, q = start("-hda", disk, "-cdrom", other)
b = {x["device"]: x for x in q.cmd("query-block")["return"]}
t.ok("none0" in b and "none2" in b and b["none0"]["inserted"]["ro"] is False
     and b["none2"]["inserted"]["ro"] is True and
     b["none0"]["inserted"]["file"] == disk,
     "-hda and -cdrom become drives none0 and none2 (read-only)", b)
err = stop(p, q)
t.ok("probing guessed raw" in err, "a guessed raw format is warned about "
     "as QEMU does", err)

# -snapshot: a temporary qcow2 overlay over the image, made with the
# qcow2 driver's create; its file is gone from the directory at once.
if qcow2_missing:
    t.skip("-snapshot puts a temporary qcow2 overlay on the drive",
           "no blk-qcow2 in this build")
else:
    snapdir = os.path.join(tmp, "snap")
    os.mkdir(snapdir)
    before = open(disk, "rb").read()
    p, q = start("-snapshot", "-drive", "file=%s,format=raw,if=none,id=s0" %
                 disk, env={"TMPDIR": snapdir})
    b = [x for x in q.cmd("query-block")["return"] if x["device"] == "s0"]
    ins = b[0]["inserted"] if b else {}
    t.ok(ins.get("drv") == "qcow2" and ins.get("backing_file") == disk and
         ins["image"]["backing-image"]["format"] == "raw" and
         ins["file"].startswith(snapdir) and
         os.listdir(snapdir) == [], "-snapshot: a qcow2 overlay backed by "
         "the image, its temporary file already unlinked", b)
    stop(p, q)
    t.ok(open(disk, "rb").read() == before and os.listdir(snapdir) == [],
         "-snapshot leaves the image as it was and no file behind")

# backing.OPT without a driver or filename tunes the backing file the
# overlay records (QEMU's -drive file=ov.qcow2,backing.read-only=off).
if qcow2_missing or not shutil.which("qemu-img"):
    t.skip("backing.read-only=off opens the recorded backing file "
           "read-write", "no blk-qcow2 in this build or no qemu-img "
           "(Debian package qemu-utils)")
else:
    ov = os.path.join(tmp, "ov.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", disk,
                    "-F", "raw", ov], check=True)
    seen = {}
    for extra in ("", ",backing.read-only=off"):
        sock = os.path.join(tmp, "ov%d.sock" % len(seen))
        p = subprocess.Popen([TESSERA] + BASE + [
            "-drive", "file=%s,if=none,id=ov0%s" % (ov, extra),
            "-qmp", "unix:%s,server=on,wait=off" % sock],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            q = Qmp(sock, p)
        except EOFError:            # refused: keep what it said
            seen[extra] = [p.communicate()[1].strip()]
            continue
        seen[extra] = [(n["drv"], n["ro"]) for n in
                       q.cmd("query-named-block-nodes")["return"]
                       if n["file"] == disk]
        stop(p, q)
    t.ok(("raw", True) in seen[""] and
         ("raw", False) in seen[",backing.read-only=off"] and
         ("raw", True) not in seen[",backing.read-only=off"],
         "backing.read-only=off opens the recorded backing file read-write "
         "(read-only without it)", seen)

# ---- locking against QEMU ------------------------------------------------

qemu = shutil.which("qemu-system-riscv64")
qemu_io = shutil.which("qemu-io")
qemu_img = shutil.which("qemu-img")
if not (qemu and qemu_io and qemu_img):
    for what in ("QEMU refused while Tessera writes",
                 "Tessera refused while QEMU writes", "force-share"):
        t.skip("locking: " + what, "qemu-system-riscv64/qemu-io/qemu-img "
               "not installed (Debian: qemu-system-misc, qemu-utils)")
    shutil.rmtree(tmp)
    t.done()

PFLASH = "if=pflash,unit=1,format=raw,file=" + flash
p, q = start("-drive", PFLASH)
rc, out, err = run([qemu_io, "-f", "raw", "-c", "write 0 512", flash])
t.ok(rc != 0 and "Failed to get \"write\" lock" in out + err,
     "qemu-io cannot write while Tessera's flash bank has the image",
     out + err)
rc, out, err = run([qemu, "-M", "virt", "-display", "none", "-S",
                    "-monitor", "none", "-serial", "none", "-drive",
                    "file=%s,if=virtio,format=raw" % flash], timeout=30)
t.ok(rc != 0 and "Failed to get \"write\" lock" in err and
     "Is another process using the image" in err,
     "QEMU with a virtio disk on it is refused too", err)
rc, out, err = run([qemu_img, "info", "-U", flash])
t.ok(rc == 0 and "file format: raw" in out,
     "qemu-img info --force-share reads it meanwhile", out + err)
rc, out, err = refused("-drive", PFLASH)
t.ok(rc == 1 and "Failed to get \"write\" lock" in err,
     "a second Tessera is refused the same way", err)
stop(p, q)

qemu_qmp = os.path.join(tmp, "qemu.qmp")
qp = subprocess.Popen([qemu, "-M", "virt", "-display", "none", "-S",
                       "-monitor", "none", "-serial", "none",
                       "-qmp", "unix:%s,server=on,wait=off" % qemu_qmp,
                       "-drive", "file=%s,if=virtio,format=raw" % flash],
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
# QEMU takes its locks while it opens the image and narrows or widens them
# when the disk is attached; its monitor answers only once the machine is
# built, so a reply to query-status means the locks are the final ones.
# (Watching /proc/locks for the first lock raced with the second step.)
try:
    Qmp(qemu_qmp, qp).cmd("query-status")
except (OSError, EOFError):
    pass
rc, out, err = run([qemu_io, "-f", "raw", "-c", "write 0 512", flash])
t.ok(qp.poll() is None and "lock" in out + err, "QEMU runs with a virtio "
     "disk on the image and holds its lock", (out + err +
                                              (qp.stderr.read().decode()
                                               if qp.poll() is not None
                                               else "")))
rc, out, err = refused("-drive", PFLASH)
t.ok(rc == 1 and "Failed to get \"write\" lock" in err and
     "Is another process using the image [%s]?" % flash in err,
     "Tessera is refused while QEMU writes the image", err)
rc, out, err = refused("-drive", PFLASH + ",readonly=on")
t.ok(rc == 1 and "Failed to get shared \"write\" lock" in err,
     "a read-only Tessera that does not share writes is refused", err)
p, q = start("-drive", PFLASH + ",readonly=on,force-share=on")
b = q.cmd("query-block").get("return", [])
t.ok(any(x["device"] == "pflash1" and x["inserted"]["ro"] for x in b),
     "force-share=on,readonly=on: Tessera reads the image QEMU writes", b)
stop(p, q)
qp.terminate()
qp.wait()

shutil.rmtree(tmp)
t.done()
