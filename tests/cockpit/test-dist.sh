#!/bin/sh
# The Cockpit page as shipped (cockpit/dist, kept in the tree so that building and packaging need
# no node): its manifest is Cockpit's, its HTML loads only what Cockpit serves and what dist/
# holds (no network at run time), and, where node and the page's npm packages are (cd cockpit
# && npm ci), dist/ is exactly what its sources build: it never drifts from them.
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

page=$VH_SRCDIR/cockpit
command -v jq >/dev/null 2>&1 || { echo "1..0 # SKIP jq is not installed"; exit 0; }

is "manifest.json: the menu entry PCI Passthrough, right after Virtual machines (60), before Accounts (70)" \
    '"PCI Passthrough" 61' "$(jq -c '.menu.index.label, .menu.index.order' "$page/dist/manifest.json" | paste -sd' ')"
is "... and it needs a Cockpit with superuser channels (266)" '"266"' "$(jq -c '.requires.cockpit' "$page/dist/manifest.json")"
# every src= and href= of the page: Cockpit's own base1, or a file of dist/
refs=$(grep -oE '(src|href)="[^"]*"' "$page/dist/index.html" | sed 's/^[a-z]*="//; s/"$//')
bad=
for ref in $refs; do
    case "$ref" in
    ../base1/*) ;;
    po.js) ;; # the page's translations, which Cockpit's bridge makes from po.LANG.js files
    *) [ -e "$page/dist/$ref" ] || bad="$bad $ref" ;;
    esac
done
is "index.html loads only Cockpit's base1 and dist/'s own files" "" "$bad"
is "... and nothing from the network: no URL in dist/" "" \
    "$(grep -ohE '(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/[^"'"'"') ]*' "$page/dist/index.html" "$page/dist/index.css" | grep -v '^//' | sort -u)"
like "index.css uses Cockpit's own fonts, in ../../static/fonts" 'url\("?\.\./\.\./static/fonts/RedHatText-Regular\.woff2' \
    "$(grep -o 'url([^)]*)' "$page/dist/index.css" | grep RedHatText-Regular)"

if [ -d "$page/node_modules/esbuild" ] && command -v node >/dev/null 2>&1; then
    rc=0
    (cd "$page" && node build.js --outdir "$tap_tmp/dist") >"$tap_tmp/build.log" 2>&1 || rc=$?
    is "node build.js builds the page (exit 0)" "0" "$rc"
    is "... dist/ in the tree is what the sources build (fix: make cockpit-dist, and commit it)" "" \
        "$(diff -r "$page/dist" "$tap_tmp/dist" 2>&1 | head -n 5)"
else
    skip "node or cockpit/node_modules is missing (cd cockpit && npm ci): dist/ is not rebuilt to compare"
fi
done_testing
