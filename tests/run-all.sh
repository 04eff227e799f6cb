#!/bin/sh
# Runs every test of vfio-handoff from a clean checkout: installs the build dependencies
# (asking sudo for that step only when not root), then
#   1. the regular build with warnings as errors: make check (unit, fake kernel, CLI tests)
#   2. an AddressSanitizer + UndefinedBehaviorSanitizer build: make check
#   3. make distcheck (the release tarball builds and passes its tests)
#   4. make check-vm: the VM test bed, a real kernel with an emulated IOMMU (needs root; the
#      guest image is built once and cached, see tests/vm/vm-run.sh)
# and ends with one line "tests: N passed, N failed". Exit status 0 only when all passed.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)

packaging/install-deps.sh --vm
[ -x configure ] || NOCONFIGURE=1 ./autogen.sh

passed=0
failed=0
count_tap() {
    # a TAP stream: "ok N" and "not ok N" lines (skips count as passed)
    p=$(grep -c '^ok ' "$1" || true)
    f=$(grep -c '^not ok ' "$1" || true)
    passed=$((passed + p))
    failed=$((failed + f))
}

count() {
    # automake's summary of one test-suite.log: "# PASS:  N" and "# FAIL:  N" (+ ERROR)
    p=$(sed -n 's/^# PASS: *//p' "$1" | head -n 1)
    f=$(sed -n 's/^# FAIL: *//p' "$1" | head -n 1)
    e=$(sed -n 's/^# ERROR: *//p' "$1" | head -n 1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0} + ${e:-0}))
}

status=0
stage() {
    name=$1
    dir=$2
    tally=$3 # "count": add this stage's test-suite.log to the totals
    shift 3
    echo "==> $name"
    mkdir -p "$dir"
    if ! (cd "$dir" && "$@"); then
        status=1
        echo "==> $name: FAILED"
        [ -f "$dir/test-suite.log" ] && grep -E '^(FAIL|ERROR)' "$dir/test-suite.log" | head -n 40
    fi
    if [ "$tally" = count ] && [ -f "$dir/test-suite.log" ]; then
        count "$dir/test-suite.log"
    fi
    return 0
}

stage "build and make check (-Werror)" "$top/_build" count \
    sh -c "'$top/configure' --enable-werror -q && make -s -j$jobs && make -s -j$jobs check"
stage "sanitizers (ASan + UBSan): make check" "$top/_build-san" count \
    sh -c "'$top/configure' --enable-werror --enable-sanitizers -q && make -s -j$jobs && make -s -j$jobs check"
# distcheck reruns the same tests on the tarball; its pass/fail is the stage's status
stage "make distcheck" "$top/_build" no sh -c "make -s -j$jobs distcheck >/dev/null"

stage "make check-vm (real kernel, emulated IOMMU)" "$top/_build" no \
    sh -c "make -s check-vm"
[ -f "$top/_build/tests/vm/vm.tap" ] && count_tap "$top/_build/tests/vm/vm.tap"

if [ "$passed" -eq 0 ]; then
    echo "tests: no test ran"
    exit 1
fi
echo "tests: $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
