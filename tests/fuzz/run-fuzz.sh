#!/bin/sh
# make fuzz: builds the libFuzzer targets of tests/fuzz/ with clang (ASan + UBSan) and runs each
# for SECONDS on its seed corpus (tests/fuzz/corpus/TARGET, copied: what it finds stays in the
# build tree). Prints TAP, one line per target with its executions and crashes; a crash or a
# differential failure is a "not ok" with the input that caused it. The sources the targets
# share are compiled once, and the targets run one a core at once (libFuzzer uses one).
#
#   run-fuzz.sh SRCDIR BUILDDIR SECONDS [TARGET...]
set -u
src=$(cd "$1" && pwd) build=$(cd "$2" && pwd) secs=$3
shift 3
targets=${*:-"domain prescan journal units policy"}
out=$build/tests/fuzz
mkdir -p "$out"
CLANG=${CLANG:-clang}
jobs=$(nproc 2>/dev/null || echo 2)
count=$(echo $targets | wc -w)
echo "1..$count"
if ! command -v "$CLANG" >/dev/null 2>&1; then
    n=0
    for t in $targets; do n=$((n + 1)); echo "ok $n # SKIP fuzz-$t: clang is not installed (packaging/install-deps.sh installs it)"; done
    exit 0
fi
pkgs="glib-2.0 gio-2.0 libxml-2.0 libpci libkmod mount"
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
flags="-g -O1 -fno-omit-frame-pointer $san"
incs="-I$build -I$src/lib/base -I$src/lib/host -I$src/lib/journal -I$src/lib/handoff -I$src/lib/domain -I$src/policy -I$src/hook -DVH_RUNSTATEDIR=\"/run\" -DVH_SYSCONFDIR=\"/etc\" -DVH_LIBVIRT_HOOKS_DIR=\"/etc/libvirt/hooks\""
cflags="$flags $incs $(pkg-config --cflags $pkgs)"

# the sources every target links, compiled once, one a core at once
obj=$out/obj
rm -rf "$obj"
mkdir -p "$obj"
export CLANG cflags obj
# shellcheck disable=SC2016
ls "$src"/lib/*/*.c "$src"/policy/*.c "$src/hook/vh-hook-prescan.c" |
    xargs -P "$jobs" -I{} sh -c 'o=$obj/$(echo "{}" | tr / _).o; $CLANG $cflags -fsanitize=fuzzer-no-link -c "{}" -o "$o" 2>"$o.log" || { cat "$o.log"; exit 1; }' \
        >"$out/objects.build.log" 2>&1
objects_ok=$?

# fuzz TARGET: builds and runs one target; its TAP line (without the number) in result-TARGET
fuzz() {
    t=$1
    bin=$out/fuzz-$t
    res=$out/result-$t
    if [ "$objects_ok" -ne 0 ]; then
        { echo "not ok - fuzz-$t: does not build"; sed 's/^/#   /' "$out/objects.build.log" | head -n 20; } >"$res"
        return
    fi
    # shellcheck disable=SC2086
    if ! $CLANG $cflags -fsanitize=fuzzer -o "$bin" "$src/tests/fuzz/fuzz-$t.c" "$obj"/*.o \
        $(pkg-config --libs $pkgs) -ldl >"$out/fuzz-$t.build.log" 2>&1; then
        { echo "not ok - fuzz-$t: does not build"; sed 's/^/#   /' "$out/fuzz-$t.build.log" | head -n 20; } >"$res"
        return
    fi
    corpus=$out/corpus-$t
    mkdir -p "$corpus" "$out/artifacts-$t"
    cp -n "$src/tests/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null
    rc=0
    # a GLib warning (a GError set twice, a critical) is a crash too
    (cd "$out" && G_DEBUG=fatal-warnings ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$bin" -max_total_time="$secs" \
        -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$out/artifacts-$t/" "$corpus" >"$out/fuzz-$t.log" 2>&1) || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz-$t.log" | tail -n 1)
    # libFuzzer writes a slow-unit-* for any input that took over 10 s once, also when the
    # whole machine stalled meanwhile (the run's exec/s drops with it): run alone again, an
    # input that ends within 2 s is not slow and is set aside (said, not counted); one that is
    # still slow, like every crash-*, timeout-*, leak-* or oom-*, is a failure
    for slow in "$out/artifacts-$t"/slow-unit-*; do
        [ -f "$slow" ] || continue
        t0=$(date +%s%N)
        alone=0
        (cd "$out" && G_DEBUG=fatal-warnings timeout 10 "$bin" -runs=1 "$slow" >/dev/null 2>&1) || alone=$?
        ms=$((($(date +%s%N) - t0) / 1000000))
        if [ "$alone" -eq 0 ] && [ "$ms" -lt 2000 ]; then
            echo "# fuzz-$t: $(basename "$slow") ran in $ms ms alone: the machine stalled, not the code; set aside in $out/stalls-$t" >>"$res.notes"
            mkdir -p "$out/stalls-$t"
            mv "$slow" "$out/stalls-$t/"
        fi
    done
    crashes=$(find "$out/artifacts-$t" -type f | wc -l)
    if [ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ]; then
        echo "ok - fuzz-$t: ${runs:-0} executions in $secs s, 0 crashes" >"$res"
    else
        echo "not ok - fuzz-$t: ${runs:-0} executions, $crashes crash input(s) in $out/artifacts-$t (exit $rc)" >"$res"
        grep -E "ERROR|differential|runtime error|Assertion|assertion" "$out/fuzz-$t.log" | head -n 5 | sed 's/^/#   /' >>"$res"
    fi
    [ -f "$res.notes" ] && cat "$res.notes" >>"$res"
}

rm -f "$out"/result-*
running=0
for t in $targets; do
    fuzz "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait
n=0
for t in $targets; do
    n=$((n + 1))
    if [ -f "$out/result-$t" ]; then
        sed "1s/^\(not ok\|ok\) -/\1 $n -/" "$out/result-$t"
    else
        echo "not ok $n - fuzz-$t: ended without a result"
    fi
done
