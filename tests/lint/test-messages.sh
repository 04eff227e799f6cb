#!/bin/sh
# The message grammar lint (tests/lint/messages.py): first proves it catches planted bad
# messages, then lints the tree. TAP.
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
    else
        fails=$((fails + 1))
        echo "not ok $n - $desc"
        printf '%s\n' "$out" | sed 's/^/#   /'
    fi
}
check "the lint catches every planted bad message" python3 "$src/tests/lint/messages.py" --self-test
check "every message of cli/, hook/, policy/ and lib/ is THING: REASON (fix: FIX)" \
    python3 "$src/tests/lint/messages.py" "$src"
echo "1..$n"
[ "$fails" -eq 0 ]
