#!/bin/sh
# `vfio-handoff list --json` against `lspci -Dnnk` over the same fake host of 2,048 devices
# (lspci is pointed at the tree with -A linux-sysfs -O sysfs.path=...), in one run. lspci is what
# a user runs to see devices and drivers; it reports neither IOMMU groups nor verdicts.
set -eu
missed=0
builddir=${VH_BUILDDIR:-.}
count=${VH_BENCH_DEVICES:-2048}
runs=${VH_BENCH_RUNS:-21}
lspci=${LSPCI:-$(command -v lspci || true)}
if [ -z "$lspci" ]; then
    echo "bench list: SKIP (lspci is not installed; packaging/install-deps.sh installs pciutils)"
    exit 0
fi
root=$(mktemp -d "${TMPDIR:-/tmp}/vh-bench-XXXXXX")
trap 'rm -rf "$root"' EXIT
"$builddir/tests/fake/vh-fake" synth "$count" "$root"
export VH_ROOT="$root"
echo "bench list: $count devices (fake tree), $runs runs each, alternating"
"$builddir/bench/vh-bench-compare" -n "$runs" \
    --label-a "vfio-handoff list --json" --label-b "lspci -Dnnk" --goal 1.5 \
    -- "$builddir/cli/vfio-handoff" list --json \
    --vs "$lspci" -A linux-sysfs -O "sysfs.path=$root/sys/bus/pci" -Dnnk || missed=1
# a goal missed (FAIL above) after every comparison has run
exit $missed
