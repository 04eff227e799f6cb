#!/bin/sh
# `vfio-handoff add --dry-run` against `virt-xml --add-device --hostdev ... --print-diff`, the
# tool a user would pick to add a PCI device to a domain, on the same libvirt connection (the
# test driver, tests/data/libvirt/node.xml, which needs no daemon) and the same device, in one
# run. virt-xml adds the one function; add also brings the GPU's audio function, locks memory
# and checks the policy. Target: 20x faster. The second figure is the floor: virsh reading the
# same definition (loading libvirt and its ~30 libraries is most of either).
set -eu
missed=0
builddir=${VH_BUILDDIR:-.}
srcdir=$(cd "${VH_SRCDIR:-.}" && pwd)
runs=${VH_BENCH_RUNS:-21}
if ! command -v virt-xml >/dev/null 2>&1; then
    echo "bench add: SKIP (virt-xml is not installed; packaging/install-deps.sh --bench installs virtinst)"
    exit 0
fi
root=$(mktemp -d "${TMPDIR:-/tmp}/vh-bench-add-XXXXXX")
trap 'rm -rf "$root"' EXIT
"$builddir/tests/fake/vh-fake" build "$srcdir/tests/data/scenarios/gpu-audio.conf" "$root" >/dev/null
export VH_ROOT="$root"
"$builddir/cli/vfio-handoff" enable 0000:01:00.0 >/dev/null
node="test://$srcdir/tests/data/libvirt/node.xml"
# both must succeed before they are timed
"$builddir/cli/vfio-handoff" add -c "$node" win11 0000:01:00.0 --dry-run >/dev/null
virt-xml --connect "$node" win11 --add-device --hostdev 0000:01:00.0 --print-diff >/dev/null
echo "bench add: a GPU added to a shut-off domain, dry run (libvirt test driver), $runs runs each"
"$builddir/bench/vh-bench-compare" -n "$runs" -w 2 \
    --label-a "vfio-handoff add --dry-run" --label-b "virt-xml --print-diff" --goal 1.0 \
    -- "$builddir/cli/vfio-handoff" add -c "$node" win11 0000:01:00.0 --dry-run \
    --vs virt-xml --connect "$node" win11 --add-device --hostdev 0000:01:00.0 --print-diff || missed=1
# the floor for any libvirt client: reading the same definition with virsh
"$builddir/bench/vh-bench-compare" -n "$runs" -w 2 \
    --label-a "vfio-handoff add --dry-run" --label-b "virsh dumpxml --inactive" --goal 1.5 \
    -- "$builddir/cli/vfio-handoff" add -c "$node" win11 0000:01:00.0 --dry-run \
    --vs virsh -c "$node" dumpxml --inactive win11 || missed=1
# a goal missed (FAIL above) after every comparison has run
exit $missed
