#!/bin/sh
# Build an optimised, sanitizer-free Tessera in build-bench/ and run every
# benchmark side by side with Debian's QEMU.  Figures go to stdout; copy
# them into BENCHMARKS.md with the machine and the date.
set -e
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
[ -d build-bench ] || meson setup build-bench --buildtype=release >/dev/null
meson compile -C build-bench >/dev/null
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "qemu: $(qemu-system-riscv64 --version | head -1)"
echo "date: $(date -u +%Y-%m-%d)"
python3 bench/startup.py
python3 bench/guest.py
python3 bench/loop.py
python3 bench/disk.py
python3 bench/net.py
python3 bench/img.py
