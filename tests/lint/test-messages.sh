#!/bin/sh
# The message grammar lint (tests/lint/messages.py): first proves it catches planted bad
# messages, then lints the tree. TAP.
. "${VH_SRCDIR:?VH_SRCDIR must name the source tree}/tests/lint/lint-tap.sh"
check "the lint catches every planted bad message" python3 "$src/tests/lint/messages.py" --self-test
check "every message of cli/, hook/, policy/ and lib/ is THING: REASON (fix: FIX)" \
    python3 "$src/tests/lint/messages.py" "$src"
lint_done
