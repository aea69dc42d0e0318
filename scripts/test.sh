#!/bin/sh
# Install what is needed, build with ASan/UBSan and run the test suites:
# unit, abi and functional always; then, when time allows, fuzz (libFuzzer
# targets built with clang in build-fuzz by scripts/fuzz.sh) and slow (long guest boots, the
# 10 MiB UART floods).
#
# The time allowance is TESSERA_TEST_BUDGET seconds from the start of this
# script (default 4800: CI gives the whole job 90 minutes).  fuzz and slow
# start only if enough of it is left, and are stopped when it runs out;
# either way a message says so and the script's status is that of the
# suites that ran.  TESSERA_FUZZ=0 or TESSERA_SLOW=0 skip a suite.
set -e
cd "$(dirname "$0")/.."
start=$(date +%s)
budget=${TESSERA_TEST_BUDGET:-4800}
fuzz_needs=900     # clang build of the core, five 20 s runs, margin
slow_needs=1500    # the slow suite's longest test, with some margin

left() {
    echo $((budget - ($(date +%s) - start)))
}

# run_budgeted SUITE NEEDED COMMAND...: run COMMAND if NEEDED seconds of
# the budget are left, stopping it when the budget is spent.
status=0
run_budgeted() {
    suite=$1 needed=$2
    shift 2
    remaining=$(left)
    if [ "$remaining" -lt "$needed" ]; then
        echo "test.sh: not running the $suite suite: ${remaining}s of the" \
             "${budget}s budget left, it needs about ${needed}s" \
             "(TESSERA_TEST_BUDGET)" >&2
        return 0
    fi
    rc=0
    timeout --kill-after=30 "$remaining" "$@" || rc=$?
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        echo "test.sh: the $suite suite was stopped: the ${budget}s budget" \
             "is spent (TESSERA_TEST_BUDGET)" >&2
    elif [ "$rc" != 0 ]; then
        echo "test.sh: the $suite suite failed" >&2
        status=1
    fi
}

sh scripts/install-deps.sh
if [ -d build ]; then
    meson setup --reconfigure build -Db_sanitize=address,undefined -Dpkgconfig.relocatable=true >/dev/null
else
    meson setup build -Db_sanitize=address,undefined -Dpkgconfig.relocatable=true >/dev/null
fi
meson compile -C build
meson test -C build --print-errorlogs --suite unit --suite abi --suite functional

if [ "${TESSERA_FUZZ:-1}" != 0 ]; then
    if command -v clang >/dev/null; then
        run_budgeted fuzz "$fuzz_needs" sh scripts/fuzz.sh
    else
        echo "test.sh: not running the fuzz suite: clang is not installed" >&2
    fi
fi
if [ "${TESSERA_SLOW:-1}" != 0 ]; then
    run_budgeted slow "$slow_needs" \
        meson test -C build --no-rebuild --print-errorlogs --suite slow
fi
exit $status
