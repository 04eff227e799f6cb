#!/bin/sh
# `list --json` lists exactly the devices, IDs and drivers that `lspci -Dnnk` shows: on this
# machine's /sys, and on fake hosts (lspci pointed at the same tree).
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

LSPCI=${LSPCI:-$(command -v lspci || true)}
if [ -z "$LSPCI" ] || ! command -v jq >/dev/null 2>&1; then
    echo "1..0 # SKIP lspci or jq is not installed (packaging/install-deps.sh installs them)"
    exit 0
fi

from_lspci() {
    awk -f "$VH_SRCDIR/tests/cli/lspci.awk" | sort
}

from_list() {
    jq -r '.devices[] | "\(.address) \(.vendor_id):\(.device_id) \(.driver // "-")"' | sort
}

compare() {
    desc=$1
    expected=$2
    actual=$3
    if [ -n "$expected" ] && [ "$expected" = "$actual" ]; then
        ok "$desc ($(echo "$expected" | wc -l) devices)"
    else
        not_ok "$desc" "lspci:" "$expected" "list --json:" "$actual"
    fi
}

# this machine's own /sys (read-only)
expected=$("$LSPCI" -Dnnk 2>/dev/null | from_lspci)
actual=$("$VH_CLI" list --json | from_list)
compare "this host: list --json matches lspci -Dnnk" "$expected" "$actual"

for s in gpu-audio bridge-group boot-nvme sriov usb-disk console; do
    root=$(tree "$s")
    expected=$("$LSPCI" -A linux-sysfs -O "sysfs.path=$root/sys/bus/pci" -Dnnk 2>/dev/null | from_lspci)
    actual=$(VH_ROOT=$root "$VH_CLI" list --json | from_list)
    compare "fake host $s: list --json matches lspci" "$expected" "$actual"
done

done_testing
