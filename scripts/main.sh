#!/bin/sh
# The main job: install what is needed, build, and run the default guest.
# Until the RISC-V board lands this starts the core, lists the machines and
# runs an empty machine under QMP.
set -e
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
if [ -d build ]; then
    meson setup --reconfigure build -Db_sanitize=none >/dev/null
else
    meson setup build >/dev/null
fi
meson compile -C build
build/tessera-system-riscv64 -M help
printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"query-version"}' \
    '{"execute":"quit"}' |
    build/tessera-system-riscv64 -M none -S -display none -qmp stdio
