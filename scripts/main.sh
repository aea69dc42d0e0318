#!/bin/sh
# The main job: install what is needed, build, and boot the default guest:
# Debian's OpenSBI (fw_jump) and U-Boot on the RISC-V virt board, to
# U-Boot's interactive `=>` prompt on this terminal.  Ctrl-a x quits;
# Ctrl-a c switches to the monitor and back.
#
# Without a terminal (a CI log, a pipe) the same guest boots, answers
# `version` and powers itself off, so the job ends on its own.
set -e
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
if [ -d build ]; then
    meson setup --reconfigure build -Db_sanitize=none >/dev/null
else
    meson setup build >/dev/null
fi
meson compile -C build

FW=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
UBOOT=/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin
set -- build/tessera-system-riscv64 -M virt -m 256M -nographic \
    -bios "$FW" -kernel "$UBOOT"
echo "Booting: $*"
if [ -t 0 ]; then
    echo "(Ctrl-a x quits, Ctrl-a c switches to the monitor)"
    exec "$@"
fi
# U-Boot waits a few seconds for a key before its boot scan; type after it.
{ sleep 15; printf 'version\n'; sleep 3; printf 'poweroff\n'; sleep 30; } |
    "$@"
