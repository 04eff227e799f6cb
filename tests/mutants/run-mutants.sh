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
# for one mutant's tests, default 300), VH_MUTANT_BASELINE_LOG (see below), VH_MUTANT_WORKERS
# (mutants judged at once, each in a tree of its own; default: one a core, at most 4). The
# tests wait on processes and the fake kernel as much as they compute: two workers on two
# cores judge the mutants about 1.5 times as fast as one.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${VH_BUILDDIR:-.}" && pwd)
list=$src/tests/mutants/mutants.txt
jobs=$(nproc 2>/dev/null || echo 2)
limit=${VH_MUTANT_TIMEOUT:-300}
# a unit test runs in seconds: one that has not ended in a minute hangs, which is the mutant
# caught (writer-child-keeps-lock makes the writer's child wait forever on its own socket)
unit_limit=${VH_MUTANT_UNIT_TIMEOUT:-60}
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
# \n a newline, \\ a backslash); fails, with the count in $wdir/count, unless FROM occurs once
apply() {
    awk -v from="$2" -v to="$3" '
    { text = text $0 "\n" }
    END {
        n = 0; rest = text
        while ((i = index(rest, from)) > 0) { n++; rest = substr(rest, i + length(from)) }
        if (n != 1) { printf "%d", n > "/dev/stderr"; exit 1 }
        i = index(text, from)
        printf "%s%s%s", substr(text, 1, i - 1), to, substr(text, i + length(from))
    }' "$1" >"$1.mutant" 2>"$wdir/count" || { rm -f "$1.mutant"; return 1; }
    mv "$1.mutant" "$1"
}

workers=${VH_MUTANT_WORKERS:-$jobs}
[ "$workers" -gt 4 ] && workers=4
n_mutants=$(wc -l <"$work/mutants.tsv")
[ $# -gt 0 ] && n_mutants=$#
[ "$workers" -gt "$n_mutants" ] && workers=$n_mutants
[ "$workers" -lt 1 ] && workers=1
# tree N: a copy of the distributed tree in $work/wN, configured and built; no -Werror: a
# mutant may leave a function unused, which is not what it tests
tree() {
    mkdir -p "$work/w$1/tmp"
    make -s -C "$build" distdir distdir="$work/w$1/src" >"$work/w$1/distdir.log" 2>&1 ||
        { cat "$work/w$1/distdir.log"; echo "run-mutants: make distdir failed" >&2; return 1; }
    (cd "$work/w$1/src" && ./configure -q && make -s -j"$2" && make -s -j"$2" check TESTS=) \
        >"$work/w$1/build.log" 2>&1 ||
        { tail -n 30 "$work/w$1/build.log"; echo "run-mutants: the unmutated tree does not build" >&2; return 1; }
}
echo "# mutants: copying the distributed tree and building it, for each of $workers workers"
tree 1 "$jobs" || exit 1
cd "$work/w1/src"
# the tests must pass unmutated, or every mutant would look killed: VH_MUTANT_BASELINE_LOG may
# name the test-suite.log of a `make check` of the same sources that passed (tests/run-all.sh
# passes its first stage's), which then stands for this run
all=$(cut -f3 "$work/mutants.tsv" | tr ' ' '\n' | grep -v = | sort -u | paste -sd' ')
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
        case "$t" in *=*) continue ;; esac
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
        *.sh | *=*) ;;
        *) progs="$progs $t" ;;
        esac
    done
    # one after the other: `make all` recurses, and both would build the library at once
    # shellcheck disable=SC2086
    make -s -j"$wjobs" all && make -s -j"$wjobs" $progs
}

# runs the tests one after the other, in the order given, and stops at the first that fails:
# a mutant is killed once one test catches it (the rest would only cost time); TRUE when all
# pass. The log of the last one run is in $wdir/mutant.log. check_PROGRAMS is emptied: what the
# tests need is built (build_for), and the rest would be relinked for nothing.
run_until_killed() {
    assign=
    for t in $1; do
        case "$t" in *=*) assign="$assign $t" ;; esac
    done
    for t in $1; do
        case "$t" in
        *=*) continue ;;
        tests/unit/*) bound=$unit_limit ;;
        *) bound=$limit ;;
        esac
        # shellcheck disable=SC2086
        env $assign timeout "$bound" make -s -j"$wjobs" check TESTS="$t" check_PROGRAMS= \
            >"$wdir/mutant.log" 2>&1 || return 1
    done
    return 0
}

# worker N: in its own tree, judges each mutant no other worker has taken yet (the first free
# worker takes the next one: mkdir is atomic), a line each to $work/wN/results
worker() {
    wdir=$work/w$1
    export TMPDIR="$wdir/tmp"
    cd "$wdir/src"
    i=0
    while IFS="$tab" read -r name file tests from to; do
        if [ -n "$2" ]; then
            case " $2 " in *" $name "*) ;; *) continue ;; esac
        fi
        i=$((i + 1))
        mkdir "$work/claims/$i" 2>/dev/null || continue
        judge "$name" "$file" "$tests" "$from" "$to" </dev/null | tee -a "$wdir/results"
    done <"$work/mutants.tsv"
}

# judge NAME FILE TESTS FROM TO: applies one mutant, builds, runs its tests; one line
judge() {
    name=$1 file=$2 tests=$3
    cp -p "$file" "$wdir/original"
    if ! apply "$file" "$4" "$5"; then
        echo "BROKEN    $name: the text to mutate occurs $(cat "$wdir/count") times in $file, not once"
        return
    fi
    t0=$(date +%s)
    if ! build_for "$tests" >"$wdir/mutant.log" 2>&1; then
        echo "BROKEN    $name: does not build"
        sed 's/^/#   /' "$wdir/mutant.log" | grep -E 'error' | head -n 3
    elif t1=$(date +%s) && run_until_killed "$tests"; then
        if only_skipping "$tests"; then
            echo "skipped   $name ($file): $tests skip here ($skip_reason)"
        else
            echo "SURVIVED  $name ($file): $tests all pass"
        fi
    else
        by=$(sed -n 's/^\(FAIL\|ERROR\): \([^ ]*\) .*/\2/p' "$wdir/mutant.log" | sort -u | paste -sd' ')
        echo "killed    $name ($file) by ${by:-a timeout, a test hung} (build $((t1 - t0)) s, tests $(($(date +%s) - t1)) s)"
    fi
    # the original back, newer than what the mutant built, so make rebuilds it
    cp "$wdir/original" "$file"
    touch "$file"
}

tab=$(printf '\t')
t_start=$(date +%s)
rm -rf "$work/claims"
mkdir -p "$work/claims"
# each worker's make at one job when there are several
wjobs=$jobs
[ "$workers" -gt 1 ] && wjobs=1
pids=
trap 'kill $pids 2>/dev/null; exit 130' INT TERM
if [ "$workers" -gt 1 ]; then
    # the other trees are built while the first judges (each build at one job)
    n=2
    while [ "$n" -le "$workers" ]; do
        (tree "$n" 1 >"$work/w$n.tree.log" 2>&1 && worker "$n" "$*") &
        pids="$pids $!"
        n=$((n + 1))
    done
fi
worker 1 "$*"
wait
for n in $(seq 2 "$workers"); do
    [ -s "$work/w$n.tree.log" ] && cat "$work/w$n.tree.log"
done
results=$(cat "$work"/w*/results 2>/dev/null || true)
count() { printf '%s\n' "$results" | grep -c "^$1" || true; }
killed=$(count 'killed ')
survived=$(count 'SURVIVED ')
skipped=$(count 'skipped ')
broken=$(count 'BROKEN ')
judged=$((killed + survived + skipped + broken))
if [ "$judged" -ne "$n_mutants" ]; then
    echo "BROKEN    $((n_mutants - judged)) mutants were not judged (a worker's tree did not build)"
    broken=$((broken + n_mutants - judged))
fi
echo "# mutants: judged by $workers worker(s) in $(($(date +%s) - t_start)) s"

tally="mutants: $killed killed, $survived survived"
[ "$skipped" -gt 0 ] && tally="$tally, $skipped skipped"
[ "$broken" -gt 0 ] && tally="$tally, $broken broken"
echo "$tally"
[ "$survived" -eq 0 ] && [ "$broken" -eq 0 ] && [ "$killed" -gt 0 ]
