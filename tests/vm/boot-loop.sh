#!/bin/sh
# boot-loop.sh [N]: boots the VM test bed's guest N times (default 20) and nothing else, to
# show that it boots every time: prints each boot's guest uptime at the test and any failure
# (a panic shows with its message), then "boots: N ok, N failed". Exit 0 only if all booted.
set -u
n=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
ok=0
failed=0
times=
i=1
while [ "$i" -le "$n" ]; do
    out=$(VH_VM_BOOT_ONLY=1 sh "$here/vm-run.sh" 2>&1)
    rc=$?
    up=$(echo "$out" | sed -n 's/^ok 1 - the guest booted (\([0-9.]*\) s of uptime)$/\1/p')
    if [ "$rc" -eq 77 ]; then
        echo "$out" | head -n 1
        exit 77
    elif [ "$rc" -eq 0 ] && [ -n "$up" ]; then
        ok=$((ok + 1))
        times="$times $up"
        echo "boot $i: ok, the guest was up after $up s"
    else
        failed=$((failed + 1))
        echo "boot $i: FAILED: $(echo "$out" | grep -m 1 '^not ok' || echo "exit $rc")"
    fi
    i=$((i + 1))
done
if [ -n "$times" ]; then
    echo "$times" | tr ' ' '\n' | grep . | sort -n |
        awk '{ t[NR] = $1 } END { printf "boot times (guest uptime at the test): min %s s, median %s s, max %s s\n", t[1], t[int((NR + 1) / 2)], t[NR] }'
fi
echo "boots: $ok ok, $failed failed"
[ "$failed" -eq 0 ]
