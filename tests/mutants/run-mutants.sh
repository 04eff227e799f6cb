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
# for one mutant's tests, default 300), VH_MUTANT_WORKERS (trees mutated side by side, each in
# its own copy, default: the number of CPUs; the tests of one mutant mostly wait on one another,
# so two trees keep two cores busy).
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${VH_BUILDDIR:-.}" && pwd)
list=$src/tests/mutants/mutants.txt
jobs=$(nproc 2>/dev/null || echo 2)
limit=${VH_MUTANT_TIMEOUT:-300}
# a mutant the kill sweep guards may show at one kill point only: every point, not make check's
# every fifth
export VH_SWEEP_STRIDE=1

work=$(mktemp -d "${TMPDIR:-/tmp}/vh-mutants-XXXXXX")
trap 'rm -rf "$work"' EXIT
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
    awk -F '\t' -v names=" $* " 'index(names, " " $1 " ") > 0' "$work/mutants.tsv" >"$work/chosen.tsv"
    mv "$work/chosen.tsv" "$work/mutants.tsv"
fi
workers=${VH_MUTANT_WORKERS:-$jobs}
n_mutants=$(wc -l <"$work/mutants.tsv")
[ "$workers" -le "$n_mutants" ] || workers=$n_mutants
[ "$workers" -ge 1 ] || workers=1

# apply FILE FROM TO COUNTFILE: replace the one occurrence of FROM by TO (awk -v decodes their
# escapes: \n a newline, \\ a backslash); fails, with the count in COUNTFILE, unless FROM
# occurs once
apply() {
    awk -v from="$2" -v to="$3" '
    { text = text $0 "\n" }
    END {
        n = 0; rest = text
        while ((i = index(rest, from)) > 0) { n++; rest = substr(rest, i + length(from)) }
        if (n != 1) { printf "%d", n > "/dev/stderr"; exit 1 }
        i = index(text, from)
        printf "%s%s%s", substr(text, 1, i - 1), to, substr(text, i + length(from))
    }' "$1" >"$1.mutant" 2>"$4" || { rm -f "$1.mutant"; return 1; }
    mv "$1.mutant" "$1"
}

echo "# mutants: copying the distributed tree and building it, once for each of $workers workers"
for w in $(seq 1 "$workers"); do
    make -s -C "$build" distdir distdir="$work/src$w" >"$work/distdir.log" 2>&1 ||
        { cat "$work/distdir.log"; echo "run-mutants: make distdir failed" >&2; exit 1; }
done
# no -Werror: a mutant may leave a function unused, which is not what it tests
pids=
for w in $(seq 1 "$workers"); do
    (cd "$work/src$w" && ./configure -q && make -s -j"$jobs" && make -s -j"$jobs" check TESTS=) \
        >"$work/build$w.log" 2>&1 &
    pids="$pids $!"
done
for p in $pids; do
    wait "$p" || { tail -n 30 "$work"/build*.log; echo "run-mutants: the unmutated tree does not build" >&2; exit 1; }
done
# the tests must pass unmutated, or every mutant would look killed: each worker runs its share
all=$(cut -f3 "$work/mutants.tsv" | tr ' ' '\n' | sort -u)
pids=
for w in $(seq 1 "$workers"); do
    share=$(echo "$all" | awk -v w="$w" -v n="$workers" '(NR - 1) % n == w - 1' | paste -sd' ')
    (cd "$work/src$w" && make -s check TESTS="$share") >"$work/baseline$w.log" 2>&1 &
    pids="$pids $!"
done
for p in $pids; do
    wait "$p" || { grep -hE '^(FAIL|ERROR)' "$work"/baseline*.log; echo "run-mutants: the tests fail without any mutant" >&2; exit 1; }
done
cat "$work"/baseline*.log >"$work/baseline.log"

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

# run_until_killed W TESTS: in worker W's tree, runs the tests one after the other, in the order
# given, and stops at the first that fails: a mutant is killed once one test catches it (the
# rest would only cost time); TRUE when all pass. The log of the last one run is in
# $work/mutant$W.log.
run_until_killed() {
    for t in $2; do
        timeout "$limit" make -s check TESTS="$t" >"$work/mutant$1.log" 2>&1 || return 1
    done
    return 0
}

# worker W: every mutant whose line number is W modulo the workers, in its own tree; a line
# per mutant on stdout and in $work/results$W
worker() {
    w=$1
    cd "$work/src$w"
    i=0
    tab=$(printf '\t')
    while IFS="$tab" read -r name file tests from to; do
        i=$((i + 1))
        [ $(((i - 1) % workers)) -eq $((w - 1)) ] || continue
        cp -p "$file" "$work/original$w"
        if ! apply "$file" "$from" "$to" "$work/count$w"; then
            line="BROKEN    $name: the text to mutate occurs $(cat "$work/count$w") times in $file, not once"
        elif ! make -s check TESTS= >"$work/mutant$w.log" 2>&1; then
            line="BROKEN    $name: does not build
$(sed 's/^/#   /' "$work/mutant$w.log" | grep -E 'error' | head -n 3)"
        elif run_until_killed "$w" "$tests"; then
            if only_skipping "$tests"; then
                line="skipped   $name ($file): $tests skip here ($skip_reason)"
            else
                line="SURVIVED  $name ($file): $tests all pass"
            fi
        else
            by=$(sed -n 's/^\(FAIL\|ERROR\): \([^ ]*\) .*/\2/p' "$work/mutant$w.log" | sort -u | paste -sd' ')
            line="killed    $name ($file) by ${by:-a timeout after ${limit}s}"
        fi
        echo "$line"
        echo "$line" >>"$work/results$w"
        # the original back, newer than what the mutant built, so make rebuilds it
        cp "$work/original$w" "$file"
        touch "$file"
    done <"$work/mutants.tsv"
}

pids=
for w in $(seq 1 "$workers"); do
    : >"$work/results$w"
    worker "$w" &
    pids="$pids $!"
done
for p in $pids; do wait "$p" || true; done

results=$(cat "$work"/results*)
count() { printf '%s\n' "$results" | grep -c "^$1 " || true; }
killed=$(count killed)
survived=$(count SURVIVED)
skipped=$(count skipped)
broken=$(count BROKEN)
tally="mutants: $killed killed, $survived survived"
[ "$skipped" -gt 0 ] && tally="$tally, $skipped skipped"
[ "$broken" -gt 0 ] && tally="$tally, $broken broken"
echo "$tally"
[ "$survived" -eq 0 ] && [ "$broken" -eq 0 ] && [ "$killed" -gt 0 ] &&
    [ $((killed + skipped)) -eq "$n_mutants" ]
