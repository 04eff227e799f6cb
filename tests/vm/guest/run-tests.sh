#!/bin/sh
# The VM suite, run inside the guest (a real kernel with an emulated Intel IOMMU) by
# vh-guest-runner. Prints TAP. Everything it changes belongs to the guest.
set -u
export VH_CLI=/usr/local/bin/vfio-handoff VH_FAKE_TOOL=/share/bin/vh-fake VH_SRCDIR=/share/src
. /share/src/tests/cli/tap.sh
mark() { echo "<2>vh: $*" >/dev/kmsg; }

# ---- install the build as a user would (make install, copied into /)
cp -a /share/install/. / && ldconfig

# ---- the host-protection cases the guest itself depends on
udevadm settle --timeout=60
wait_for() { # wait_for SECONDS TEST...
    n=$1
    shift
    while [ "$n" -gt 0 ] && ! "$@" 2>/dev/null; do sleep 1; n=$((n - 1)); done
}
# child_of PORT [N]: the Nth PCI function below a root port (not its port-service children)
child_of() {
    ls "/sys/bus/pci/devices/$1/" | grep -E '^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$' |
        sed -n "${2:-1}p"
}
# the default route leaves through the e1000e behind root port 00:16.0
route_nic=$(child_of 0000:00:16.0)
wait_for 30 test -d "/sys/bus/pci/devices/$route_nic/net"
route_if=$(ls "/sys/bus/pci/devices/$route_nic/net" | head -n 1)
ip link set "$route_if" up
ip addr add 10.77.0.2/24 dev "$route_if"
ip route add default via 10.77.0.1 dev "$route_if"
# a USB disk on the xHCI controller at 00:14.0, mounted
wait_for 60 test -b /dev/sda
mkdir -p /mnt/usb
mount /dev/sda /mnt/usb
# the framebuffer console on the boot VGA at 00:15.0 (bochs-drm)
wait_for 60 test -e /sys/class/graphics/fb0
fb_name=$(cat /sys/class/graphics/fb0/name 2>/dev/null)
root_dev=$(basename "$(dirname "$(readlink -f /sys/block/vda/device)")")
mark "setup done: route via $route_if ($route_nic), usb disk mounted, fb0 $fb_name"

# ---- the guest's libvirtd, for the hook's tests (socket-activated: the first call starts it)
rc=0
virsh -c qemu:///system version >"$tap_tmp/virsh" 2>&1 || rc=$?
is "the guest's libvirtd answers (virsh version)" 0 "$rc"
like "the guest's libvirt is Debian 12's" 'Using library: libvirt 9\.' "$(cat "$tap_tmp/virsh")"

# ---- check: IOMMU and interrupt remapping
rc=0
out=$("$VH_CLI" check 2>&1) || rc=$?
is "check exits 0 in the guest" 0 "$rc"
like "check reports the IOMMU" '^PASS +iommu-enabled +the IOMMU is on: [0-9]+ IOMMU groups$' "$out"
like "check reports interrupt remapping" '^PASS +interrupt-remapping +interrupt remapping is on$' "$out"
like "check finds the vfio modules" '^PASS +vfio-modules' "$out"
like "check finds the running libvirt daemon" '^PASS +libvirt-daemon +libvirtd is running' "$out"

# ---- list --json against lspci and the kernel's groups
json=$("$VH_CLI" list --json)
expected=$(lspci -Dnnk | awk -f /share/src/tests/cli/lspci.awk | sort)
actual=$(echo "$json" | jq -r '.devices[] | "\(.address) \(.vendor_id):\(.device_id) \(.driver // "-")"' | sort)
is "list --json matches lspci -Dnnk ($(echo "$expected" | wc -l) devices)" "$expected" "$actual"
expected=$(for g in /sys/kernel/iommu_groups/*; do
    for d in "$g"/devices/*; do echo "$(basename "$g") $(basename "$d")"; done
done | sort)
actual=$(echo "$json" | jq -r '.devices[] | select(.iommu_group != null) | "\(.iommu_group) \(.address)"' | sort)
is "list --json matches /sys/kernel/iommu_groups ($(echo "$expected" | wc -l) members)" "$expected" "$actual"

# ---- host-critical devices, each with its own reason
reason() { "$VH_CLI" show "$1" --json | jq -r '[.reasons[] | select(.kind == "host-critical") | .text] | first // "none"'; }
is "the root disk's controller is host-critical" \
    "host-critical: /dev/vda is mounted at /" "$(reason "$root_dev")"
is "the default-route NIC is host-critical" \
    "host-critical: $route_if carries the default route" "$(reason "$route_nic")"
is "the USB controller holding the mounted disk is host-critical" \
    "host-critical: /dev/sda is mounted at /mnt/usb" "$(reason 0000:00:14.0)"
is "the boot VGA with the framebuffer console is host-critical" \
    "host-critical: boot VGA; the framebuffer console is on fb0 ($fb_name)" "$(reason 0000:00:15.0)"
table=$("$VH_CLI" list)
like "list shows the root disk's reason" "└ host-critical: /dev/vda is mounted at /" "$table"

# ---- the spare NICs are passable: own groups, the two-function group, the bridge group
for rp in 0000:00:10.0 0000:00:11.0 0000:00:12.0 0000:00:13.0; do
    for nic in $(echo "$json" | jq -r --arg rp "$rp" \
        '.devices[] | select(.endpoint and (.class | startswith("02"))) | .address'); do
        parent=$("$VH_CLI" show "$nic" --json | jq -r '.parent_bridges | last')
        [ "$parent" = "$rp" ] || continue
        is "spare NIC $nic (below $rp) is passable" true \
            "$(echo "$json" | jq -r --arg a "$nic" '.devices[] | select(.address == $a) | .passable')"
    done
done
is "the two-function group's NICs are each other's companions" 1 \
    "$("$VH_CLI" show "$(child_of 0000:00:12.0)" --json | jq '.companions | length')"

# ---- the fake kernel against the real one: the same binding sequence, the same results
spare=$(child_of 0000:00:10.0)
group=$(basename "$(readlink "/sys/bus/pci/devices/$spare/iommu_group")")
ids=$(echo "$json" | jq -r --arg a "$spare" '.devices[] | select(.address == $a) | "\(.vendor_id):\(.device_id)"')
real=$(/share/bin/vh-sysfs-sequence /sys /dev "$spare" e1000e)
cat >"$tap_tmp/nic.conf" <<CONF
[host]
[device $spare]
id=$ids
class=0x020000
driver=e1000e
group=$group
CONF
fake_root=$tap_tmp/fake
fake="(the fake host could not be built)"
if "$VH_FAKE_TOOL" build "$tap_tmp/nic.conf" "$fake_root"; then
    "$VH_FAKE_TOOL" kernel "$fake_root" &
    kernel_pid=$!
    wait_for 10 test -e "$fake_root/.fake/kernel.ready"
    fake=$(/share/bin/vh-sysfs-sequence "$fake_root/sys" "$fake_root/dev" "$spare" e1000e)
    kill "$kernel_pid"
    wait "$kernel_pid"
fi
is "the fake kernel's bind/unbind/drivers_probe results match the real kernel's" "$real" "$fake"
echo "$real" | sed 's/^/# real: /'

# ---- timings of the kernel's own work here (the floor a handoff cannot beat)
t0=$(date +%s%N)
/share/bin/vh-sysfs-sequence /sys /dev "$spare" e1000e >/dev/null
t1=$(date +%s%N)
echo "# timing: the 19-step binding sequence on a real e1000e took $(((t1 - t0) / 1000000)) ms"

done_testing
