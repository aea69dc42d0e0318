"""Debian's OpenSBI fw_jump + U-Boot (S-mode) on the virt board, for the
functional tests that drive U-Boot over the serial console."""
import os

FW_JUMP = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin"
UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"


def missing():
    """Why U-Boot cannot run here (a TAP skip reason), or None."""
    for path, pkg in ((FW_JUMP, "opensbi"), (UBOOT, "u-boot-qemu")):
        if not os.path.exists(path):
            return "%s not installed (Debian package %s)" % (path, pkg)
    return None


def argv(tessera, *extra):
    """The command line booting U-Boot, with extra options."""
    return [tessera, "-M", "virt", "-m", "256M", "-nographic"] + \
        list(extra) + ["-bios", FW_JUMP, "-kernel", UBOOT]


def command(console, line, timeout=60):
    """Type a U-Boot command; return its output up to the next prompt."""
    console.send(line + "\n")
    m = console.expect(r"(?s)(.*?)\n=> ", timeout=timeout)
    return m.group(1).decode(errors="replace")


def quit(console):
    """Ctrl-a x, the mux's way out; returns the exit status."""
    console.send("\x01x")
    status = console.wait_exit(20)
    console.close()
    return status
