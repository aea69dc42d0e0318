#!/bin/sh
# Build the libFuzzer targets with clang (ASan/UBSan, -Dfuzzing=true) in
# build-fuzz and run the fuzz suite: each target for TESSERA_FUZZ_SECONDS
# (default 20) from its seeds; a crash or sanitizer report fails.  Only the
# core and the targets are built there, not the plugins.  scripts/test.sh
# runs this when time allows.
set -e
cd "$(dirname "$0")/.."
if [ -d build-fuzz ]; then
    reconfigure=--reconfigure
else
    reconfigure=
fi
CC=clang meson setup $reconfigure build-fuzz -Dfuzzing=true \
    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
meson compile -C build-fuzz fuzz-opts fuzz-qmp fuzz-loader fuzz-dtb \
    fuzz-readconfig fuzz-qcow2 fuzz-socket-framing fuzz-nbd-client \
    fuzz-nbd-server fuzz-gdb-packet
meson test -C build-fuzz --no-rebuild --print-errorlogs --suite fuzz
