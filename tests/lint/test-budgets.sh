#!/bin/sh
# The house's budgets (tests/lint/budgets.py, HACKING.md "The layout"): first proves that each
# rule catches a planted breach, then measures the tree: no production file over 600 lines, at
# most 5 functions over 60, lib/'s wings along their arrows, no circle of calls in a folder.
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is not installed"; exit 0; }
src=${VH_SRCDIR:?VH_SRCDIR must name the source tree}
n=0
fails=0
check() {
    n=$((n + 1))
    desc=$1
    shift
    if out=$("$@" 2>&1); then
        echo "ok $n - $desc"
        printf '%s\n' "$out" | sed 's/^/# /'
    else
        fails=$((fails + 1))
        echo "not ok $n - $desc"
        printf '%s\n' "$out" | sed 's/^/#   /'
    fi
}
check "each budget catches its planted breach" python3 "$src/tests/lint/budgets.py" --self-test
check "cli/, hook/, policy/ and lib/ keep the budgets and the arrows" \
    python3 "$src/tests/lint/budgets.py" "$src"
echo "1..$n"
[ "$fails" -eq 0 ]
