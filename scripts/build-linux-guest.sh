#!/bin/sh
# Build Tessera's small riscv64 Linux test guest from Debian 12 packages.
#
#   scripts/build-linux-guest.sh [--out DIR] [--jobs N] [--no-kernel]
#
# What comes out, in DIR (default: build-guest/ in the source tree):
#   Image              Linux 6.1 from Debian's linux-source-6.1, for -kernel
#   initramfs.cpio.gz  static busybox (from busybox's Debian source package),
#                      our /init (guests/linux/init) and /bin/cpubench
#                      (guests/linux/cpubench.c), for -initrd
#   kernel.config      the kernel configuration the script derived
#   cpubench.sum       the line cpubench must print with its default rounds
#   init, cpubench.c   copies of the sources that went into the initramfs
#   work/              sources, build trees and logs, kept for the next run
#
# Running it again reuses work/: nothing is downloaded twice, and make only
# rebuilds what changed.  --no-kernel builds only the initramfs (a minute
# or two), for working on init or cpubench.
#
# Time on the project's 2-core machine (measured, with other builds
# running beside it): the packages about 1 min to install; unpacking,
# fetching busybox's source and building busybox and the initramfs 1.5 min;
# the kernel 17 min (8.5 min of CPU time, so less on an idle machine).  A
# second run with nothing changed takes about 15 s.
#
# Installing packages needs root; when every package is already there the
# script runs as any user.
set -eu

usage() {
    sed -n '4p' "$0" | sed 's/^# */usage: /'
    exit "${1:-0}"
}

src_root=$(cd "$(dirname "$0")/.." && pwd)
out=$src_root/build-guest
jobs=$(nproc)
build_kernel=yes
while [ $# -gt 0 ]; do
    case "$1" in
    --out) [ $# -ge 2 ] || usage 2; out=$2; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    --jobs) [ $# -ge 2 ] || usage 2; jobs=$2; shift 2 ;;
    --jobs=*) jobs=${1#--jobs=}; shift ;;
    --no-kernel) build_kernel=no; shift ;;
    -h|--help) usage 0 ;;
    *) echo "build-linux-guest: unknown option '$1'" >&2; usage 2 ;;
    esac
done
case "$jobs" in
''|*[!0-9]*|0) echo "build-linux-guest: --jobs wants a positive number, not '$jobs'" >&2; exit 2 ;;
esac

mkdir -p "$out/work"
out=$(cd "$out" && pwd)
work=$out/work
guest_src=$src_root/guests/linux
cross=riscv64-linux-gnu-
started=$(date +%s)

# Each long step writes its output to a log in work/; on failure the end of
# the log is shown, so a broken build says why without flooding the screen.
# Steps run in a subshell, so a `cd` in one does not leak into the next.
step() {
    name=$1; shift
    log=$work/$name.log
    printf '[%4ss] %s ... ' "$(( $(date +%s) - started ))" "$name"
    # Not `if "$@"`: a condition turns off set -e inside the functions it
    # calls, and a failing command half-way through a step must stop it.
    set +e
    ( set -e; "$@" ) >"$log" 2>&1
    rc=$?
    set -e
    if [ $rc = 0 ]; then
        echo "done"
    else
        echo "FAILED (full log: $log)"
        tail -n 40 "$log" >&2
        exit 1
    fi
}

# ---------------------------------------------------------------------------
# 1. Packages
# ---------------------------------------------------------------------------
packages="linux-source-6.1 gcc-riscv64-linux-gnu libc6-dev-riscv64-cross \
    gcc make bc bison flex libssl-dev cpio gzip xz-utils dpkg-dev"
missing=
for p in $packages; do
    # Installed, not merely known to dpkg (removed packages keep a status).
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed$' \
        || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "build-linux-guest: missing Debian packages:$missing" >&2
        echo "  run as root to install them, or: apt-get install$missing" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    step apt-install sh -c "apt-get update && apt-get install -y --no-install-recommends $missing"
fi

# `apt-get source busybox` needs a deb-src entry, which a default Debian 12
# install does not have (it only lists binary packages).  If none is
# configured, add one that mirrors the existing binary entries so the
# source comes from the same archive the packages came from.
have_deb_src() {
    grep -Eqs '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
        /etc/apt/sources.list.d/*.sources
}
busybox_dir() {
    for d in "$work"/busybox-*/; do
        [ -f "$d/Makefile" ] && { echo "${d%/}"; return 0; }
    done
    return 0
}
add_deb_src() {
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        # deb822 format (Debian 12's default): same stanzas, source type.
        sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
            > /etc/apt/sources.list.d/tessera-deb-src.sources
    elif [ -f /etc/apt/sources.list ]; then
        grep -E '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list \
            | sed 's/^\([[:space:]]*\)deb\([[:space:]]\)/\1deb-src\2/' \
            > /etc/apt/sources.list.d/tessera-deb-src.list
    else
        echo "build-linux-guest: no apt sources found to derive a deb-src entry from" >&2
        exit 1
    fi
    apt-get update
}
if [ -z "$(busybox_dir)" ] && ! have_deb_src; then
    if [ "$(id -u)" != 0 ]; then
        echo "build-linux-guest: apt has no deb-src entry, needed once for" \
             "'apt-get source busybox'; run as root to add one" >&2
        exit 1
    fi
    step apt-deb-src add_deb_src
fi

# ---------------------------------------------------------------------------
# 2. Sources (unpacked once into work/)
# ---------------------------------------------------------------------------
linux_src=$work/linux-source-6.1
if [ ! -f "$linux_src/.unpacked" ]; then
    rm -rf "$linux_src"
    step linux-unpack tar -C "$work" -xf /usr/src/linux-source-6.1.tar.xz
    touch "$linux_src/.unpacked"
fi
if [ -z "$(busybox_dir)" ]; then
    # apt-get source unpacks with dpkg-source, which applies Debian's
    # patches; as root it warns that it cannot drop privileges, harmless.
    step busybox-source sh -c "cd '$work' && apt-get source busybox"
fi
busybox_src=$(busybox_dir)
[ -n "$busybox_src" ] || { echo "build-linux-guest: busybox source missing" >&2; exit 1; }

# ---------------------------------------------------------------------------
# 3. Busybox, static, for riscv64
# ---------------------------------------------------------------------------
# Start from busybox's defconfig and change only what we must:
#   STATIC  the initramfs has no shared libraries;
#   TC      tc.c uses traffic-control definitions (CBQ) that the 6.1
#           kernel headers of the cross toolchain no longer have.
configure_busybox() {
    cd "$busybox_src"
    make defconfig
    sed -i -e 's/^# CONFIG_STATIC is not set$/CONFIG_STATIC=y/' \
           -e 's/^CONFIG_TC=y$/# CONFIG_TC is not set/' .config
    # Any question the change raises gets its default answer.
    yes '' | make oldconfig
    grep -qx 'CONFIG_STATIC=y' .config
}
build_busybox() {
    cd "$busybox_src"
    make CROSS_COMPILE=$cross -j"$jobs"
}
# Configure only the first time: make would otherwise see a new .config
# and rebuild everything.
if [ ! -f "$busybox_src/.tessera-configured" ]; then
    step busybox-config configure_busybox
    touch "$busybox_src/.tessera-configured"
fi
step busybox-build build_busybox

# ---------------------------------------------------------------------------
# 4. cpubench: for the guest, and for the host to know the expected line
# ---------------------------------------------------------------------------
# -ffp-contract=off: no fused multiply-add, so riscv64 and the host round
# every operation alike (see the comment at the top of cpubench.c).
cflags="-O2 -Wall -Wextra -ffp-contract=off"
step cpubench-build sh -c "
    ${cross}gcc $cflags -static -o '$work/cpubench' '$guest_src/cpubench.c' -lm &&
    gcc $cflags -o '$work/cpubench-host' '$guest_src/cpubench.c' -lm"
"$work/cpubench-host" > "$out/cpubench.sum"
# The sources go beside the binaries, as in the prebuilt fixture, so that
# bench/guest.py can time the same cpubench natively.
cp "$guest_src/cpubench.c" "$guest_src/init" "$out/"

# ---------------------------------------------------------------------------
# 5. The initramfs
# ---------------------------------------------------------------------------
# The kernel's own usr/gen_init_cpio builds the archive from a list, so the
# files belong to root and /dev/console exists without this script being
# root or calling mknod.
root=$work/rootfs
make_rootfs() {
    rm -rf "$root"
    mkdir -p "$root"
    make -C "$busybox_src" CROSS_COMPILE=$cross CONFIG_PREFIX="$root" install
    install -m 755 "$work/cpubench" "$root/bin/cpubench"
    install -m 755 "$guest_src/init" "$root/init"
    for d in dev proc sys tmp root etc; do mkdir -p "$root/$d"; done
    cc -O2 -o "$work/gen_init_cpio" "$linux_src/usr/gen_init_cpio.c"
}
cpio_list() {
    cd "$root"
    # Directories first (find prints parents before children), then the rest.
    find . -mindepth 1 -type d -printf 'dir /%P %m 0 0\n'
    echo "nod /dev/console 0600 0 0 c 5 1"
    echo "nod /dev/null 0666 0 0 c 1 3"
    find . -type f -printf "file /%P $root/%P %m 0 0\n"
    find . -type l -printf 'slink /%P %l 777 0 0\n'
}
pack_initramfs() {
    cpio_list > "$work/initramfs.list"
    "$work/gen_init_cpio" "$work/initramfs.list" | gzip -9 -n > "$out/initramfs.cpio.gz.tmp"
    mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
}
step rootfs make_rootfs
step initramfs pack_initramfs

# ---------------------------------------------------------------------------
# 6. The kernel
# ---------------------------------------------------------------------------
# The config starts from the riscv defconfig and is trimmed to what the
# virt board has, with the debugging options off (they make the kernel
# several times slower under an interpreter).  It is derived in a scratch
# tree and copied to the build tree only when it differs, so an unchanged
# config does not trigger a rebuild.
kcfg=$work/linux-config
kobj=$work/linux-build
kmake() {
    make -C "$linux_src" ARCH=riscv CROSS_COMPILE=$cross "$@"
}
# Options the guest needs, checked after olddefconfig.
kernel_needs="SMP NUMA RISCV_SBI SOC_VIRT SIFIVE_PLIC SERIAL_8250 \
    SERIAL_8250_CONSOLE SERIAL_OF_PLATFORM RTC_CLASS RTC_DRV_GOLDFISH \
    VIRTIO_MMIO VIRTIO_CONSOLE HW_RANDOM HW_RANDOM_VIRTIO VIRTIO_BLK \
    VIRTIO_NET PCI PCI_HOST_GENERIC VIRTIO_PCI \
    POWER_RESET_SYSCON POWER_RESET_SYSCON_POWEROFF \
    BLK_DEV_INITRD RD_GZIP DEVTMPFS TMPFS PROC_FS SYSFS UNIX INET \
    EXT4_FS"
derive_kernel_config() {
    mkdir -p "$kcfg"
    kmake O="$kcfg" defconfig
    c="$linux_src/scripts/config --file $kcfg/.config"
    # Wanted on: the devices of the virt board and what the init uses.
    for o in $kernel_needs; do $c --enable "$o"; done
    # PCI stays (generic host bridge and virtio-pci only), for boards that
    # grow a PCI host later.
    # Off: other SoCs, buses and devices the board lacks, modules (every
    # driver is built in), security modules, network filtering, NFS root,
    # KVM, and the heavy debugging checks of the defconfig.
    for o in MODULES SOC_MICROCHIP_POLARFIRE SOC_SIFIVE SOC_STARFIVE \
        SOC_CANAAN VIRTUALIZATION PCIE_XILINX USB_SUPPORT MMC SPI ATA MD SCSI \
        DRM FB SOUND INPUT_MOUSEDEV NETFILTER NET_SCHED BRIDGE IP_PNP \
        NFS_FS ROOT_NFS BTRFS_FS ISO9660_FS MACB E1000E R8169 \
        SECURITY SECURITY_SELINUX SECURITY_APPARMOR \
        RD_BZIP2 RD_LZMA RD_XZ RD_LZO RD_LZ4 RD_ZSTD \
        DEBUG_FS DEBUG_PAGEALLOC SCHED_STACK_END_CHECK DEBUG_VM \
        DEBUG_VM_PGFLAGS DEBUG_MEMORY_INIT DEBUG_PER_CPU_MAPS \
        SOFTLOCKUP_DETECTOR WQ_WATCHDOG DEBUG_TIMEKEEPING DEBUG_RT_MUTEXES \
        DEBUG_SPINLOCK DEBUG_MUTEXES DEBUG_RWSEMS DEBUG_ATOMIC_SLEEP \
        DEBUG_LIST DEBUG_PLIST DEBUG_SG RCU_EQS_DEBUG MEMTEST; do
        $c --disable "$o"
    done
    kmake O="$kcfg" olddefconfig
    missing_opts=
    for o in $kernel_needs; do
        grep -qx "CONFIG_$o=y" "$kcfg/.config" || missing_opts="$missing_opts $o"
    done
    if [ -n "$missing_opts" ]; then
        echo "kernel options that did not stay on:$missing_opts"
        return 1
    fi
}
build_kernel() {
    kmake O="$kobj" -j"$jobs" Image
}
if [ "$build_kernel" = yes ]; then
    step kernel-config derive_kernel_config
    mkdir -p "$kobj"
    if ! cmp -s "$kcfg/.config" "$kobj/.config"; then
        cp "$kcfg/.config" "$kobj/.config"
    fi
    cp "$kcfg/.config" "$out/kernel.config"
    step kernel-build build_kernel
    cp "$kobj/arch/riscv/boot/Image" "$out/Image"
fi

# ---------------------------------------------------------------------------
echo "built in $(( $(date +%s) - started )) s, in $out:"
ls -l "$out" | sed -n '2,$p' | grep -v ' work$' | sed 's/^/  /'
echo "expected: $(cat "$out/cpubench.sum")"
if [ -f "$out/Image" ]; then
    echo "boot it with:"
    echo "  build/tessera-system-riscv64 -M virt -smp 4 -m 512M -nographic \\"
    echo "      -kernel $out/Image -initrd $out/initramfs.cpio.gz -append console=ttyS0"
else
    echo "no Image yet: run without --no-kernel to build the kernel"
fi
