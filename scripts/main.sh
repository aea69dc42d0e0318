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
# A qcow2 disk and a user network whose TFTP directory holds hello.txt:
# U-Boot's `virtio info`, `dhcp` and `tftpboot 0x84000000 hello.txt`.
[ -f build/main-disk.qcow2 ] ||
    build/tessera-img create -q -f qcow2 build/main-disk.qcow2 64M
mkdir -p build/main-tftp
echo "Hello from the host, over TFTP" > build/main-tftp/hello.txt
set -- build/tessera-system-riscv64 -M virt -m 256M -nographic \
    -bios "$FW" -kernel "$UBOOT" \
    -drive file=build/main-disk.qcow2,if=none,id=d0 \
    -device virtio-blk-device,drive=d0 \
    -netdev user,id=n0,tftp=build/main-tftp \
    -device virtio-net-device,netdev=n0
echo "Booting: $*"
if [ -t 0 ]; then
    echo "(Ctrl-a x quits, Ctrl-a c switches to the monitor)"
    exec "$@"
fi
# U-Boot waits a few seconds for a key before its boot scan; type after it.
{ sleep 15; printf 'version\n'; sleep 3; printf 'virtio info\n'; sleep 3
  printf 'setenv autoload no; dhcp\n'; sleep 10
  printf 'tftpboot 0x84000000 hello.txt; md.b 0x84000000 0x1e\n'; sleep 10
  printf 'poweroff\n'; sleep 30; } |
    "$@"
