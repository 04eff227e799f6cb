# TAP helpers for the CLI tests (sourced). Each test script ends with `done_testing`.
set -u
tap_n=0
# a build whose binaries read no VH_ROOT (a package's) cannot be steered onto a fake host
if [ "${VH_TEST_HOOKS:-yes}" = no ]; then
    echo "1..0 # SKIP built with --disable-test-hooks: the binaries read no VH_ROOT"
    exit 0
fi
tap_failed=0
VH_CLI=${VH_CLI:?VH_CLI must name the vfio-handoff binary}
VH_FAKE_TOOL=${VH_FAKE_TOOL:?VH_FAKE_TOOL must name the vh-fake binary}
VH_SRCDIR=${VH_SRCDIR:?VH_SRCDIR must name the source tree}
scenarios=$VH_SRCDIR/tests/data/scenarios
tap_tmp=$(mktemp -d "${TMPDIR:-/tmp}/vh-cli-XXXXXX")
# background processes a test starts: killed at exit, also when a failure ends the script
# early (they would hold its output open, and its TAP reader would wait for them); a test that
# waits for them itself empties tap_pids, as their pids may be another's afterwards
tap_pids=
reap_at_exit() { tap_pids="$tap_pids $1"; }
tap_reap() {
    [ -n "$tap_pids" ] || return 0
    # shellcheck disable=SC2086
    kill $tap_pids 2>/dev/null
    # shellcheck disable=SC2086
    wait $tap_pids 2>/dev/null
    return 0
}
trap 'tap_reap; rm -rf "$tap_tmp"' EXIT

ok() {
    tap_n=$((tap_n + 1))
    echo "ok $tap_n - $1"
}

not_ok() {
    tap_n=$((tap_n + 1))
    tap_failed=$((tap_failed + 1))
    echo "not ok $tap_n - $1"
    shift
    for line in "$@"; do
        printf '%s\n' "$line" | sed 's/^/#   /'
    done
    # make check-mutants needs only to know that a test caught the mutant: the first failure
    # ends the script (its EXIT trap still cleans up)
    if [ -n "${VH_TEST_BAIL:-}" ]; then
        echo "Bail out! the first failure ends the script (VH_TEST_BAIL)"
        exit 1
    fi
}

skip() {
    tap_n=$((tap_n + 1))
    echo "ok $tap_n # SKIP $1"
}

# is DESCRIPTION EXPECTED ACTUAL
is() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected: $2" "got:      $3"; fi
}

# like DESCRIPTION PATTERN TEXT  (grep -E)
like() {
    if printf '%s\n' "$3" | grep -Eq -- "$2"; then ok "$1"; else not_ok "$1" "no match for: $2" "in: $3"; fi
}

# unlike DESCRIPTION PATTERN TEXT
unlike() {
    if printf '%s\n' "$3" | grep -Eq -- "$2"; then not_ok "$1" "unexpected match for: $2" "in: $3"; else ok "$1"; fi
}

# grammar DESCRIPTION TEXT: TEXT is one error line in the message grammar (HACKING.md),
# "vfio-handoff: THING: REASON (fix: FIX)", its FIX free of parentheses
grammar() {
    if [ "$(printf '%s\n' "$2" | wc -l)" -eq 1 ] &&
        printf '%s\n' "$2" | grep -Eq -- "^vfio-handoff: [^ ]+: .*[^ .] \(fix: [a-z'][^()]*[^ .]\)$"; then
        ok "$1"
    else
        not_ok "$1" "not 'vfio-handoff: THING: REASON (fix: FIX)' on one line" "in: $2"
    fi
}

# tree NAME: builds tests/data/scenarios/NAME.conf once, prints its root
tree() {
    if [ ! -d "$tap_tmp/$1" ]; then
        "$VH_FAKE_TOOL" build "$scenarios/$1.conf" "$tap_tmp/$1" >&2 || return 1
    fi
    echo "$tap_tmp/$1"
}

# run ROOT ARGS...: runs the CLI on a fake root; sets out, err and rc
run() {
    run_root=$1
    shift
    rc=0
    VH_ROOT=$run_root "$VH_CLI" "$@" >"$tap_tmp/out" 2>"$tap_tmp/err" || rc=$?
    out=$(cat "$tap_tmp/out")
    err=$(cat "$tap_tmp/err")
}

done_testing() {
    echo "1..$tap_n"
    [ "$tap_failed" -eq 0 ]
}
