#!/bin/sh
# The house's budgets (tests/lint/budgets.py, HACKING.md "Budgets"): first proves that each rule
# catches a planted breach, then measures the tree: no production file over 600 lines, at most 5
# functions over 60, lib/'s wings along their arrows, no circle of calls in a folder. TAP; the
# long functions it lists go to the log.
LINT_VERBOSE=1
. "${VH_SRCDIR:?VH_SRCDIR must name the source tree}/tests/lint/lint-tap.sh"
check "each budget catches its planted breach" python3 "$src/tests/lint/budgets.py" --self-test
check "cli/, hook/, policy/ and lib/ keep the budgets and the arrows" \
    python3 "$src/tests/lint/budgets.py" "$src"
lint_done
