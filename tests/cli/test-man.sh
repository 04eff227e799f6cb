#!/bin/sh
# The manual and the program say the same: every verb of `vfio-handoff --help` has an entry in
# vfio-handoff(8), every option of a verb's --help is in its entry and each option its entry
# names is in its --help; every key the policy loader knows is in vfio-handoff.conf(5) with the
# default it has, and the other way round; the default vfio-handoff.conf is valid and says the
# same defaults; and the three pages render without a warning (groff -ww), every path in them
# substituted.
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

man=${VH_MAN_DIR:?VH_MAN_DIR must name the built packaging/man}
page=$man/vfio-handoff.8
conf_page=$man/vfio-handoff.conf.5

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

# ... and the other way round: every entry of COMMANDS is a verb of --help
page_verbs=$(sed -n '/^\.SH COMMANDS/,/^\.SH /p' "$page" | awk '/^\.TP/ { tp = 1; next } tp { tp = 0; print }' |
    sed 's/\\f[BIRP]//g; s/^\.[BI][RI]* //; s/"//g' | awk '{ print $1 }' | sort -u | xargs)
is "the COMMANDS of vfio-handoff(8) are the verbs of --help" "$(echo "$verbs" | sort -u | xargs)" "$page_verbs"

# --json: the page says which verbs take it; each of them does, and no other
json_help=$(for v in $verbs; do help_options "$v" | grep -q -- '--json' && echo "$v"; done | xargs)
like "OPTIONS names the verbs that take --json" \
    "$(echo "$json_help" | sed 's/ /.*/g')" "$(sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$page" | sed 's/\\f[BIRP]//g; s/\\-/-/g' | tr '\n' ' ')"

# ---- vfio-handoff.conf(5): the keys of each section, as the loader knows them (its "unknown
# key" message lists them) and as the page's .TP entries name them
printf '[host]\nx-unknown=1\n[domain *]\nx-unknown=1\n[device 0000:01:00.0]\nx-unknown=1\n' >"$tap_tmp/unknown.conf"
# as any user: under VH_ROOT the policy's owner is whoever runs the test (as root, root); the
# files are copies of the runner's own
mkdir -p "$tap_tmp/root"
validate() { VH_ROOT=$tap_tmp/root "$VH_CLI" policy validate "$@"; }
rc=0
validate "$tap_tmp/unknown.conf" >"$tap_tmp/unknown.out" 2>&1 || rc=$?
is "policy validate refuses an unknown key in each section (exit 1)" 1 "$rc"
known() { sed -n "s/.*unknown key 'x-unknown' in \\[$1[^]]*\\] (known: \\(.*\\))\$/\\1/p" "$tap_tmp/unknown.out" | tr -d ',' | tr ' ' '\n' | sort | xargs; }
# section_keys HEADING: the keys of the .TP entries below the .SS whose text starts with HEADING
section_keys() {
    awk -v h="$1" '
        /^\.S[SH]/ { line = $0; sub(/^\.S[SH] */, "", line); inside = (index(line, h) == 1); next }
        inside && /^\.TP/ { tp = 1; next }
        inside && tp { tp = 0; print }' "$conf_page" |
        sed 's/\\-/-/g' | grep -oE '(^|\.BR |, " )[a-z][a-z-]*' | grep -oE '[a-z][a-z-]*$' | sort -u | xargs
}
for section in host domain device; do
    keys=$(known "$section")
    [ -n "$keys" ] || not_ok "the loader names the keys of [$section]"
    is "vfio-handoff.conf(5) documents the keys of [$section] the loader knows" "$keys" "$(section_keys "[$section")"
done
# defaults: "(default VALUE)" in the page, "#key=VALUE" in the shipped file
page_defaults=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$conf_page" |
    sed -n 's/^\.BR \([a-z-]*\) " = " .* " (default " \([^ )]*\) *)\{0,1\}$/\1=\2/p' | sort)
cp "$VH_SRCDIR/packaging/vfio-handoff.conf" "$tap_tmp/shipped.conf"
conf=$tap_tmp/shipped.conf
file_defaults=$(sed -n 's/^#\([a-z-]*=.*\)/\1/p' "$conf" | sort)
like "vfio-handoff.conf(5) gives a default for the keys of [host] and [domain *]" "max-devices=6" "$page_defaults"
is "the default vfio-handoff.conf shows the defaults vfio-handoff.conf(5) gives" \
    "$(echo "$page_defaults" | grep -vE '^enabled=true$' | sort -u)" "$(echo "$file_defaults" | grep -vE '^enabled=true$' | sort -u)"
rc=0
out=$(validate "$conf" 2>&1) || rc=$?
is "the default vfio-handoff.conf is valid as shipped" "0 policy: valid (1 file, 0 devices enabled)" "$rc $out"
sed 's/^#\([a-z-]*=\)/\1/' "$conf" >"$tap_tmp/uncommented.conf"
rc=0
out=$(validate "$tap_tmp/uncommented.conf" 2>&1) || rc=$?
is "... and with every key uncommented" "0 policy: valid (1 file, 0 devices enabled)" "$rc $out"

# ---- the pages render, with every path of this build in them
for p in vfio-handoff.8 vfio-handoff-hook.8 vfio-handoff.conf.5; do
    is "$p has every @name@ substituted" "" "$(grep -o '@[a-zA-Z_]*@' "$man/$p" | sort -u | xargs)"
done
if command -v groff >/dev/null 2>&1; then
    for p in vfio-handoff.8 vfio-handoff-hook.8 vfio-handoff.conf.5; do
        rc=0
        warnings=$(groff -man -ww -z -Tutf8 "$man/$p" 2>&1) || rc=$?
        is "$p renders without a warning (groff -ww)" "0 " "$rc $warnings"
        # .BR alternates fonts with no space: a word glued to a reference, as "conf(5)):foreach"
        is "$p has no word glued to a (N) reference" "" \
            "$(groff -man -Tutf8 -P-c -P-b -P-u "$man/$p" 2>/dev/null | grep -E '\([0-9]\)[^ ,.;:)]|\)\):[a-z]' | head -n 3)"
    done
    # every variable a binary or script of the package reads is in ENVIRONMENT
    env_section=$(groff -man -Tutf8 -P-c -P-b -P-u "$man/vfio-handoff.8" 2>/dev/null | sed -n '/^ENVIRONMENT/,/^FILES/p')
    for v in $(cat "$VH_SRCDIR"/cli/*.c "$VH_SRCDIR"/lib/*/*.c "$VH_SRCDIR"/policy/*.c "$VH_SRCDIR"/hook/*.c |
        sed -n 's/.*getenv("\([A-Z_]*\)").*/\1/p' | sort -u) \
        $(sed -n 's/.*\${\([A-Z_]*\):-.*/\1/p' "$VH_SRCDIR/packaging/removal-check.in" | sort -u); do
        like "vfio-handoff(8) ENVIRONMENT says what $v is for" "^       $v" "$env_section"
    done
else
    skip "groff is not installed (packaging/install-deps.sh installs it): the pages are not rendered"
fi

done_testing
