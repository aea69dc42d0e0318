#!/bin/sh
# Install what is needed, build with ASan/UBSan and run the test suites.
# The slow suite (long guest boots) runs when TESSERA_SLOW is not 0.
set -e
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
if [ -d build ]; then
    meson setup --reconfigure build -Db_sanitize=address,undefined -Dpkgconfig.relocatable=true >/dev/null
else
    meson setup build -Db_sanitize=address,undefined -Dpkgconfig.relocatable=true >/dev/null
fi
meson compile -C build
meson test -C build --print-errorlogs --suite unit --suite abi --suite functional
if [ "${TESSERA_SLOW:-1}" != 0 ] && \
   meson test -C build --list 2>/dev/null | grep -q '^tessera:slow'; then
    meson test -C build --print-errorlogs --suite slow
fi
