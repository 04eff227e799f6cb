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

first=$("$VH_CLI" list --json | sed -n 's/^ *"address" : "\(.*\)",$/\1/p' | head -n 1)
mutating='open,openat,openat2,creat,truncate,ftruncate,unlink,unlinkat,rename,renameat,renameat2,mkdir,mkdirat,rmdir,symlink,symlinkat,link,linkat,chmod,fchmod,fchmodat,chown,fchown,fchownat,lchown,mknod,mknodat,utimensat,setxattr,removexattr'

for args in "list" "list --json" "groups" "groups --json" "show $first" "show $first --json" "check" "check --json"; do
    log=$tap_tmp/strace.log
    # shellcheck disable=SC2086
    "$STRACE" -f -qq -o "$log" -e trace="$mutating" "$VH_CLI" $args >/dev/null 2>&1
    writes=$(grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|(^|[0-9] )(creat|truncate|ftruncate|unlink|unlinkat|rename|renameat2?|mkdir|mkdirat|rmdir|symlink|symlinkat|link|linkat|chmod|fchmod|fchmodat|chown|fchown|fchownat|lchown|mknod|mknodat|utimensat|setxattr|removexattr)\(' "$log" || true)
    opens=$(grep -cE 'open(at)?\(' "$log" || true)
    if [ -z "$writes" ] && [ "$opens" -gt 0 ]; then
        ok "'vfio-handoff $args' on the real host only reads ($opens opens traced)"
    else
        not_ok "'vfio-handoff $args' on the real host only reads" "$writes"
    fi
done

done_testing
