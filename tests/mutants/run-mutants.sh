#!/bin/sh
# make check-mutants: breaks the safety-critical behaviour one small change at a time
# (tests/mutants/mutants.txt) and runs the tests that guard it; each mutant must be caught.
# Works on a private copy of the distributed tree, so the source and build trees are never
# changed, also when it is interrupted. Prints a line per mutant, then
# "mutants: N killed, N survived" (then "N skipped" for mutants whose tests all skip here, and
# "N broken" for a mutant that does not apply or build).
#   run-mutants.sh              every mutant
#   run-mutants.sh NAME...      only these
# Environment: VH_BUILDDIR (the configured build tree, default .), VH_MUTANT_TIMEOUT (seconds
# for one mutant's tests, default 300), VH_MUTANT_BASELINE_LOG (see below).
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${VH_BUILDDIR:-.}" && pwd)
list=$src/tests/mutants/mutants.txt
jobs=$(nproc 2>/dev/null || echo 2)
limit=${VH_MUTANT_TIMEOUT:-300}
# a mutant the kill sweep guards may show at one kill point only: every point, not make check's
# every fifth
export VH_SWEEP_STRIDE=1
# one failure is enough to kill a mutant: a test script stops at its first (tests/cli/tap.sh)
export VH_TEST_BAIL=1

work=$(mktemp -d "${TMPDIR:-/tmp}/vh-mutants-XXXXXX")
trap 'rm -rf "$work"' EXIT
# a test a mutant breaks stops where it fails, before its clean-up: what it leaves in its
# temporary directory goes with this run's
mkdir "$work/tmp"
export TMPDIR="$work/tmp"
trap 'exit 130' INT TERM

# NAME|FILE|TESTS|FROM|TO, one a line: the first three " | " split the fields; the rest is
# FROM => TO, which may hold "|" itself
parse() {
    awk '
    /^[ \t]*(#|$)/ { next }
    {
        line = $0; n = 0
        while (n < 3 && (i = index(line, " | ")) > 0) { f[++n] = substr(line, 1, i - 1); line = substr(line, i + 3) }
        j = index(line, " => ")
        if (n < 3 || j == 0) { printf "mutants.txt:%d: not NAME | FILE | TESTS | FROM => TO\n", NR > "/dev/stderr"; bad = 1; next }
        printf "%s\t%s\t%s\t%s\t%s\n", f[1], f[2], f[3], substr(line, 1, j - 1), substr(line, j + 4)
    }
    END { exit bad }' "$list"
}
parse >"$work/mutants.tsv" || exit 2
if [ $# -gt 0 ]; then
    for name in "$@"; do
        awk -F '\t' -v n="$name" '$1 == n { found = 1 } END { exit !found }' "$work/mutants.tsv" ||
            { echo "run-mutants: no mutant named '$name' in tests/mutants/mutants.txt" >&2; exit 2; }
    done
fi

# apply FILE FROM TO: replace the one occurrence of FROM by TO (awk -v decodes their escapes:
# \n a newline, \\ a backslash); fails, with the count in $work/count, unless FROM occurs once
apply() {
    awk -v from="$2" -v to="$3" '
    { text = text $0 "\n" }
    END {
        n = 0; rest = text
        while ((i = index(rest, from)) > 0) { n++; rest = substr(rest, i + length(from)) }
        if (n != 1) { printf "%d", n > "/dev/stderr"; exit 1 }
        i = index(text, from)
        printf "%s%s%s", substr(text, 1, i - 1), to, substr(text, i + length(from))
    }' "$1" >"$1.mutant" 2>"$work/count" || { rm -f "$1.mutant"; return 1; }
    mv "$1.mutant" "$1"
}

echo "# mutants: copying the distributed tree and building it once"
make -s -C "$build" distdir distdir="$work/src" >"$work/distdir.log" 2>&1 ||
    { cat "$work/distdir.log"; echo "run-mutants: make distdir failed" >&2; exit 1; }
cd "$work/src"
# no -Werror: a mutant may leave a function unused, which is not what it tests
{ ./configure -q && make -s -j"$jobs" && make -s -j"$jobs" check TESTS=; } \
    >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log"; echo "run-mutants: the unmutated tree does not build" >&2; exit 1; }
# the tests must pass unmutated, or every mutant would look killed: VH_MUTANT_BASELINE_LOG may
# name the test-suite.log of a `make check` of the same sources that passed (tests/run-all.sh
# passes its first stage's), which then stands for this run
all=$(cut -f3 "$work/mutants.tsv" | tr ' ' '\n' | sort -u | paste -sd' ')
given=${VH_MUTANT_BASELINE_LOG:-}
if [ -n "$given" ] && [ -f "$given" ] && grep -q '^# FAIL: *0$' "$given" &&
    grep -q '^# ERROR: *0$' "$given"; then
    echo "# mutants: the unmutated tests passed in $given"
    cp "$given" "$work/baseline.log"
else
    make -s -j"$jobs" check TESTS="$all" >"$work/baseline.log" 2>&1 ||
        { grep -E '^(FAIL|ERROR)' "$work/baseline.log"; echo "run-mutants: the tests fail without any mutant" >&2; exit 1; }
fi

# a test that skips here (no fake kernel, say) cannot catch anything: a mutant that only such
# tests guard is not judged here, and says why
skipping=$(sed -n 's/^SKIP: \([^ ]*\).*/\1/p' "$work/baseline.log" | sort -u | paste -sd' ')
skip_reason=$(sed -n 's/^SKIP: [^ ]* .*# SKIP //p; s/^SKIP: [^ ]* - //p' "$work/baseline.log" | head -n 1)
only_skipping() {
    for t in $1; do
        case " $skipping " in *" $t "*) ;; *) return 1 ;; esac
    done
    return 0
}

# builds what a mutant's TESTS run: the programs (CLI, hook), the tools the script tests use, and
# the unit tests named, not every check program (each relinks against the mutated library:
# that was most of a mutant's build)
build_for() {
    progs="tests/fake/vh-fake tests/reliability/vh-killpoint.so"
    for t in $1; do
        case "$t" in
        *.sh) ;;
        *) progs="$progs $t" ;;
        esac
    done
    # one after the other: `make all` recurses, and both would build the library at once
    # shellcheck disable=SC2086
    make -s -j"$jobs" all && make -s -j"$jobs" $progs
}

# runs the tests one after the other, in the order given, and stops at the first that fails:
# a mutant is killed once one test catches it (the rest would only cost time); TRUE when all
# pass. The log of the last one run is in $work/mutant.log. check_PROGRAMS is emptied: what the
# tests need is built (build_for), and the rest would be relinked for nothing.
run_until_killed() {
    for t in $1; do
        timeout "$limit" make -s -j"$jobs" check TESTS="$t" check_PROGRAMS= >"$work/mutant.log" 2>&1 ||
            return 1
    done
    return 0
}

killed=0
survived=0
skipped=0
broken=0
tab=$(printf '\t')
while IFS="$tab" read -r name file tests from to; do
    if [ $# -gt 0 ]; then
        case " $* " in *" $name "*) ;; *) continue ;; esac
    fi
    cp -p "$file" "$work/original"
    if ! apply "$file" "$from" "$to"; then
        broken=$((broken + 1))
        echo "BROKEN    $name: the text to mutate occurs $(cat "$work/count") times in $file, not once"
        continue
    fi
    t0=$(date +%s)
    if ! build_for "$tests" >"$work/mutant.log" 2>&1; then
        broken=$((broken + 1))
        echo "BROKEN    $name: does not build"
        sed 's/^/#   /' "$work/mutant.log" | grep -E 'error' | head -n 3
    elif t1=$(date +%s) && run_until_killed "$tests"; then
        if only_skipping "$tests"; then
            skipped=$((skipped + 1))
            echo "skipped   $name ($file): $tests skip here ($skip_reason)"
        else
            survived=$((survived + 1))
            echo "SURVIVED  $name ($file): $tests all pass"
        fi
    else
        killed=$((killed + 1))
        by=$(sed -n 's/^\(FAIL\|ERROR\): \([^ ]*\) .*/\2/p' "$work/mutant.log" | sort -u | paste -sd' ')
        echo "killed    $name ($file) by ${by:-a timeout after ${limit}s} (build $((t1 - t0)) s, tests $(($(date +%s) - t1)) s)"
    fi
    # the original back, newer than what the mutant built, so make rebuilds it
    cp "$work/original" "$file"
    touch "$file"
done <"$work/mutants.tsv"

tally="mutants: $killed killed, $survived survived"
[ "$skipped" -gt 0 ] && tally="$tally, $skipped skipped"
[ "$broken" -gt 0 ] && tally="$tally, $broken broken"
echo "$tally"
[ "$survived" -eq 0 ] && [ "$broken" -eq 0 ] && [ "$killed" -gt 0 ]
