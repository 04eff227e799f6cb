#!/bin/sh
# The hook's fast path — a domain start with no devices of ours, which every domain start and
# stop pays — against /bin/true and against the bash dispatcher users install today, with a
# realistic live domain XML on stdin, in one run. Target: within 1.5x of /bin/true.
set -eu
missed=0
builddir=${VH_BUILDDIR:-.}
srcdir=${VH_SRCDIR:-.}
runs=${VH_BENCH_RUNS:-201}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vh-bench-hook-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# a live definition as libvirt passes it at prepare: ~6 KB, a disk, NICs, USB, graphics
{
    echo "<domain type='kvm' id='7'><name>desktop</name><uuid>0b1e6b8e-7f51-4c7a-8a51-2f1a9e0c4d11</uuid>"
    echo "<memory unit='KiB'>8388608</memory><currentMemory unit='KiB'>8388608</currentMemory><vcpu placement='static'>4</vcpu>"
    echo "<os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type><boot dev='hd'/></os><features><acpi/><apic/></features>"
    echo "<cpu mode='host-passthrough' check='none' migratable='on'/><clock offset='utc'/><devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
    echo "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/desktop.qcow2'/><target dev='vda' bus='virtio'/><address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/></disk>"
    for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
        echo "<controller type='pci' index='$i' model='pcie-root-port'><model name='pcie-root-port'/><target chassis='$i' port='0x$((i + 15))'/><alias name='pci.$i'/><address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x$((i % 8))'/></controller>"
    done
    echo "<interface type='network'><mac address='52:54:00:6b:3c:58'/><source network='default'/><model type='virtio'/><address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></interface>"
    echo "<hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='0x046d'/><product id='0xc52b'/></source></hostdev>"
    echo "<graphics type='spice' autoport='yes'><listen type='address'/></graphics><video><model type='virtio' heads='1' primary='yes'/></video>"
    echo "<memballoon model='virtio'><address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0'/></memballoon></devices></domain>"
} >"$tmp/domain.xml"
mkdir -p "$tmp/hooks/qemu.d"
cp "$srcdir/bench/bash-dispatcher.sh" "$tmp/hooks/qemu"
echo "bench hook: fast path (prepare begin of a domain with no devices of ours), $(wc -c <"$tmp/domain.xml") bytes of XML on stdin, $runs runs each"
"$builddir/bench/vh-bench-compare" -n "$runs" -w 5 --stdin "$tmp/domain.xml" \
    --label-a "vfio-handoff-hook" --label-b "/bin/true" --goal 1.5 \
    -- "$builddir/hook/vfio-handoff-hook" desktop prepare begin - --vs /bin/true || missed=1
"$builddir/bench/vh-bench-compare" -n "$runs" -w 5 --stdin "$tmp/domain.xml" \
    --label-a "vfio-handoff-hook" --label-b "bash dispatcher" --goal 1.0 \
    -- "$builddir/hook/vfio-handoff-hook" desktop prepare begin - --vs "$tmp/hooks/qemu" desktop prepare begin - || missed=1
# a goal missed (FAIL above) after every comparison has run
exit $missed
