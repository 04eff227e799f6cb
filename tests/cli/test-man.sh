#!/bin/sh
# The manual and --help say the same: every verb of `vfio-handoff --help` has an entry in
# vfio-handoff(8), every option of a verb's --help is in its entry and each option its entry
# names is in its --help; and the page renders without a warning (groff -ww).
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

page=${VH_MAN_PAGE:?VH_MAN_PAGE must name the built vfio-handoff.8}

# the verbs of the top-level usage: its "  VERB   text" lines
verbs=$("$VH_CLI" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' | grep -v '^complete$')
[ -n "$verbs" ] || { echo "Bail out! vfio-handoff --help lists no verbs"; exit 1; }

# entry VERB: the text of VERB's .TP entry in the page (up to the next .TP or section), with
# the font escapes and hyphen escapes gone
entry() {
    awk -v verb="$1" '
        /^\.(TP|SH|SS)/ { if (inside) exit; tp = ($1 == ".TP"); next }
        tp { tp = 0; line = $0; gsub(/\\f[BIRP]/, "", line); gsub(/"/, "", line)
             split(line, w, " "); if (w[1] == verb || w[2] == verb) inside = 1 }
        inside { print }' "$page" | sed 's/\\-/-/g; s/\\f[BIRP]//g'
}

# options VERB: the long options of VERB's --help, --help itself aside (-c, --connect as -c)
help_options() {
    if [ "$1" = policy ]; then set -- policy validate; fi
    "$VH_CLI" "$@" --help | sed -n 's/^  \(-[a-zA-Z], \)\{0,1\}\(--[a-z-]*\).*/\2/p' |
        grep -v '^--help$' | sed 's/^--connect$/-c/' | sort -u | xargs
}

for verb in $verbs; do
    text=$(entry "$verb")
    if [ -z "$text" ]; then
        not_ok "vfio-handoff(8) has an entry for '$verb'"
        continue
    fi
    ok "vfio-handoff(8) has an entry for '$verb'"
    in_page=$(printf '%s\n' "$text" | grep -oE '(^|[^a-z-])(--[a-z][a-z-]*|-c)( |$|[],.;:)])' |
        grep -oE -- '--[a-z][a-z-]*|-c' | sort -u | xargs)
    # options every verb takes, described once under OPTIONS
    in_page=$(echo "$in_page" | tr ' ' '\n' | grep -vE '^--(help|version)$' | xargs)
    is "the options of '$verb': --help and vfio-handoff(8) agree" "$(help_options "$verb")" "$in_page"
done

# --json: the page says which verbs take it; each of them does, and no other
json_help=$(for v in $verbs; do help_options "$v" | grep -q -- '--json' && echo "$v"; done | xargs)
like "OPTIONS names the verbs that take --json" \
    "$(echo "$json_help" | sed 's/ /.*/g')" "$(sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$page" | sed 's/\\f[BIRP]//g; s/\\-/-/g' | tr '\n' ' ')"

if command -v groff >/dev/null 2>&1; then
    rc=0
    warnings=$(groff -man -ww -z -Tutf8 "$page" 2>&1) || rc=$?
    is "vfio-handoff(8) renders without a warning (groff -ww)" "0 " "$rc $warnings"
else
    skip "groff is not installed (packaging/install-deps.sh installs it): the page is not rendered"
fi

done_testing
