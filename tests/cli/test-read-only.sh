#!/bin/sh
# The inventory verbs only read: run them on this machine's real /sys, /proc and /dev under
# strace and fail on any open for writing or any call that changes a file.
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

STRACE=${STRACE:-$(command -v strace || true)}
if [ -z "$STRACE" ]; then
    echo "1..0 # SKIP strace is not installed (packaging/install-deps.sh installs it)"
    exit 0
fi
if ! "$STRACE" -f -o /dev/null true 2>/dev/null; then
    echo "1..0 # SKIP strace cannot trace here (ptrace is not allowed)"
    exit 0
fi

command -v jq >/dev/null 2>&1 || { echo "1..0 # SKIP jq is not installed"; exit 0; }
rc=0
first=$("$VH_CLI" list --json | jq -er '.devices[0].address') || rc=$?
is "list --json names a first device to show" "0" "$rc"
mutating='open,openat,openat2,creat,truncate,ftruncate,unlink,unlinkat,rename,renameat,renameat2,mkdir,mkdirat,rmdir,symlink,symlinkat,link,linkat,chmod,fchmod,fchmodat,chown,fchown,fchownat,lchown,mknod,mknodat,utimensat,setxattr,removexattr'

for args in "list" "list --json" "groups" "groups --json" "show $first" "show $first --json" "check" "check --json"; do
    log=$tap_tmp/strace.log
    rc=0
    # (LeakSanitizer cannot run under ptrace; the rest of the suite checks for leaks)
    # shellcheck disable=SC2086
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        "$STRACE" -f -qq -o "$log" -e trace="$mutating" "$VH_CLI" $args >"$tap_tmp/out" 2>"$tap_tmp/err" || rc=$?
    # check exits 1 where passthrough is not possible on this host, groups where the IOMMU is
    # off (saying so); anything else is a failure
    case "$args:$rc:$(head -n 1 "$tap_tmp/err")" in
    check*:1:* | groups*:1:"vfio-handoff: "*"/kernel/iommu_groups: the kernel publishes no IOMMU groups"* | *:0:*) ;;
    *)
        not_ok "'vfio-handoff $args' on the real host runs (exit $rc)" "$(head -n 3 "$tap_tmp/err")"
        continue
        ;;
    esac
    case "$args" in
    "show $first") like "'vfio-handoff $args' shows that device" "^$first " "$(cat "$tap_tmp/out")" ;;
    "show $first --json") is "'vfio-handoff $args' shows that device" "$first" "$(jq -r .device.address "$tap_tmp/out")" ;;
    esac
    writes=$(grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|(^|[0-9] )(creat|truncate|ftruncate|unlink|unlinkat|rename|renameat2?|mkdir|mkdirat|rmdir|symlink|symlinkat|link|linkat|chmod|fchmod|fchmodat|chown|fchown|fchownat|lchown|mknod|mknodat|utimensat|setxattr|removexattr)\(' "$log" || true)
    opens=$(grep -cE 'open(at)?\(' "$log" || true)
    if [ -z "$writes" ] && [ "$opens" -gt 0 ]; then
        ok "'vfio-handoff $args' on the real host only reads ($opens opens traced)"
    else
        not_ok "'vfio-handoff $args' on the real host only reads" "$writes"
    fi
done

done_testing
