"""Where the test Linux guest is.

Looked for in $TESSERA_GUEST_DIR, then build-guest/ in the source tree
(what scripts/build-linux-guest.sh makes), then the prebuilt copy in
../shared/fixtures/riscv64-linux next to the source tree.
"""
import os
import re
from collections import namedtuple

from tap import SOURCE, skip_all

DEFAULT_BIOS = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
MISSING = ("no test Linux guest: build one with scripts/build-linux-guest.sh "
           "or set TESSERA_GUEST_DIR")

Guest = namedtuple("Guest", "dir image initrd cpubench_line")


def candidates():
    if os.environ.get("TESSERA_GUEST_DIR"):
        yield os.environ["TESSERA_GUEST_DIR"]
    yield os.path.join(SOURCE, "build-guest")
    yield os.path.join(SOURCE, "..", "shared", "fixtures", "riscv64-linux")


def find():
    for d in candidates():
        image = os.path.join(d, "Image")
        initrd = os.path.join(d, "initramfs.cpio.gz")
        if os.path.exists(image) and os.path.exists(initrd):
            line = None
            sum_file = os.path.join(d, "cpubench.sum")
            if os.path.exists(sum_file):
                with open(sum_file) as f:
                    line = f.read().strip() or None
            return Guest(os.path.abspath(d), image, initrd, line)
    return None


def find_or_skip():
    """The guest and the firmware it boots with, or a TAP skip."""
    g = find()
    if not g:
        skip_all(MISSING)
    if not os.path.exists(DEFAULT_BIOS):
        skip_all("%s not installed (Debian package opensbi)" % DEFAULT_BIOS)
    return g


# busybox's prompt: the working directory, then " # ".
PROMPT = r"/[^\r\n#]* # "


def shell(console, line, timeout=60):
    """Type a shell command on the guest's console; return its output
    (without the echoed command), read up to the next prompt."""
    console.send(line + "\n")
    m = console.expect(r"(?s)" + re.escape(line) + r"\r?\n(.*?)" + PROMPT,
                       timeout=timeout)
    return m.group(1).decode(errors="replace")


def wait_for_shell(console):
    """Wait for the guest's init and its shell prompt, printing the
    console's tail as TAP comments if they do not come, then widen the
    terminal so that long command lines come back on one line."""
    try:
        console.expect(r"TESSERA-GUEST: init reached", timeout=240)
        console.expect(PROMPT, timeout=60)
    except Exception:
        print("# " + console.tail().replace("\n", "\n# "))
        raise
    shell(console, "stty cols 250")


def boot(emulator, g, extra, smp=1):
    """Start the test guest g (find_or_skip's) on emulator, the serial
    console on stdio, with extra options; return the Console once the
    guest's shell answers."""
    from console import Console
    c = Console([emulator, "-M", "virt", "-m", "256M", "-nographic",
                 "-smp", str(smp), "-kernel", g.image, "-initrd", g.initrd,
                 "-append", "console=ttyS0"] + list(extra))
    wait_for_shell(c)
    return c


def poweroff(t, c, what):
    """Power the guest off and check, on Tap t, that the emulator ends
    with status 0."""
    c.send("poweroff -f\n")
    status = c.wait_exit(60)
    t.ok(status == 0, "%s: poweroff -f ends the emulator with status 0"
         % what, "status %r\n%s" % (status, c.tail()))
