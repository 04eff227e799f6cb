# What the lint tests share (sourced): check DESCRIPTION COMMAND... runs a lint as one TAP case,
# its output as comments (indented under a failure); lint_done prints the plan and the status.
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
        [ -n "${LINT_VERBOSE:-}" ] && printf '%s\n' "$out" | sed 's/^/# /'
    else
        fails=$((fails + 1))
        echo "not ok $n - $desc"
        printf '%s\n' "$out" | sed 's/^/#   /'
    fi
    return 0
}
lint_done() {
    echo "1..$n"
    [ "$fails" -eq 0 ]
}
