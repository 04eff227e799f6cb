#!/bin/sh
# Devices left on vfio-pci by someone else (parked), and libvirt's own managed='yes' devices,
# which vfio-handoff watches so that one libvirt leaves on vfio-pci still goes home (HACKING.md,
# "Why libvirt leaves devices on vfio-pci"). On fake hosts served by the fake kernel.
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

command -v jq >/dev/null 2>&1 || { echo "1..0 # SKIP jq is not installed"; exit 0; }

. "$VH_SRCDIR/tests/cli/fake-host.sh"

nic=0000:03:00.0
sysdev() { echo "$r/sys/bus/pci/devices/$nic"; }
# what libvirt's managed detach (and virsh nodedev-detach) writes: virPCIDeviceBindToStub
libvirt_detach() {
    echo vfio-pci >"$(sysdev)/driver_override"
    echo "$nic" >"$(sysdev)/driver/unbind"
    echo "$nic" >"$r/sys/bus/pci/drivers_probe"
}
# ... and its reattach: virPCIDeviceUnbindFromStub
libvirt_reattach() {
    echo >"$(sysdev)/driver_override"
    echo "$nic" >"$(sysdev)/driver/unbind"
    echo "$nic" >"$r/sys/bus/pci/drivers_probe"
}
# a process (not QEMU) that holds the NIC's VFIO group, as DPDK would
holder() {
    mkdir -p "$r/proc/5555/fd"
    echo dpdk >"$r/proc/5555/comm"
    echo "5555 (dpdk) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0" >"$r/proc/5555/stat"
    ln -s "$r/dev/vfio/3" "$r/proc/5555/fd/3"
}
hooklog() { cat "$r/run/vfio-handoff/hook.log" 2>/dev/null; }
libvirts_domain() { # NAME DEVICE: a domain with one managed='yes' PCI hostdev
    domain "$1" "$2" | sed "s/managed='no'/managed='yes'/" >"$tap_tmp/$1.xml"
}
fix="run 'vfio-handoff reattach --adopt $nic', or 'virsh nodedev-reattach pci_0000_03_00_0'"

# ---- a NIC libvirt left on vfio-pci: parked, in status, show and list, with the fix
host twin-gpus
libvirt_detach
run "$r" status
is "status exits 0 with a parked device" 0 "$rc"
is "status names the parked device, who probably left it and the fix" \
    "Parked: on vfio-pci, but neither held nor handed off by vfio-handoff
$nic: parked on vfio-pci: no one holds it and nothing will give it back; probably left by libvirt (a managed='yes' domain, virsh nodedev-detach) or a script: its driver_override is vfio-pci (fix: $fix)" "$out"
run "$r" status --json
is "status --json lists it under parked" \
    "$nic|vfio-pci|libvirt (a managed='yes' domain, virsh nodedev-detach) or a script: its driver_override is vfio-pci|$fix" \
    "$(echo "$out" | jq -r '.parked[] | "\(.address)|\(.driver_override)|\(.left_by)|\(.fix)"')"
run "$r" show "$nic"
like "show says it is parked" "^ +parked on vfio-pci: no one holds it .*\(fix: $fix\)$" "$out"
run "$r" show "$nic" --json
is "show --json has the parked object" "$fix" "$(echo "$out" | jq -r '.device.parked.fix')"
run "$r" list --json
is "list --json: parked only for that device" "$nic" "$(echo "$out" | jq -r '.devices[] | select(.parked != null) | .address')"
run "$r" list
like "list shows it under the device" "└ parked on vfio-pci: no one holds it" "$out"

# ---- reattach: without --adopt refused with the fix; with it, back on igb
run "$r" reattach "$nic"
is "reattach of a parked device without --adopt is refused (exit 1)" 1 "$rc"
is "... naming --adopt" "vfio-handoff: $nic: on vfio-pci, but not by vfio-handoff: left as it is (fix: run 'vfio-handoff reattach --adopt $nic' to give it back)" "$err"
grammar "... in the message grammar" "$err"
run "$r" reattach --adopt "$nic"
is "reattach --adopt gives it back (exit 0)" 0 "$rc"
is "... and says where it went" "adopted $nic: gave it back to igb" "$out"
is "it is on igb, its driver_override clear" "igb (null)" "$(drv "$r" "$nic") $(ovr "$r" "$nic")"
run "$r" status
is "status has nothing left to report" "No device is handed off." "$out"
run "$r" reattach --adopt "$nic"
is "reattach --adopt of a device on its driver is a no-op" "0 $nic is not handed off: nothing to do" "$rc $out"

# ---- a device a process holds is not parked, and --adopt refuses it
libvirt_detach
holder
run "$r" status --json
is "a device held by a process is not parked" 0 "$(echo "$out" | jq '.parked | length')"
run "$r" reattach --adopt "$nic"
is "reattach --adopt refuses a device a process holds (exit 1)" 1 "$rc"
is "... naming the process, its name and the node, with no --adopt in the fix" "vfio-handoff: $nic: held now by process 5555 (dpdk), through /dev/vfio/3: left on vfio-pci (fix: stop process 5555 first)" "$err"
is "... and leaves it on vfio-pci" vfio-pci "$(drv "$r" "$nic")"
rm -rf "$r/proc/5555"

# ---- iommufd: a process holding the device's own node (/dev/vfio/devices/vfioN, as QEMU does
# when libvirt 12.1+ opens it through /dev/iommu) holds it as one holding its group's does
cdev=$(ls "$(sysdev)/vfio-dev" 2>/dev/null)
is "on vfio-pci, the device has its VFIO cdev" vfio0 "$cdev"
mkdir -p "$r/proc/5556/fd"
echo qemu-system-x86 >"$r/proc/5556/comm"
echo "5556 (qemu-system-x86) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0" >"$r/proc/5556/stat"
: >"$r/dev/iommu"
ln -s "$r/dev/iommu" "$r/proc/5556/fd/3"
ln -s "$r/dev/vfio/devices/$cdev" "$r/proc/5556/fd/4"
run "$r" status --json
is "a device held through its cdev is not parked" 0 "$(echo "$out" | jq '.parked | length')"
run "$r" show "$nic" --json
is "show --json names the cdev's holder" "open-node /dev/vfio/devices/vfio0 qemu-system-x86 (pid 5556)" "$(echo "$out" | jq -r '.device.uses[] | "\(.kind) \(.subject) \(.detail)"')"
run "$r" reattach --adopt "$nic"
is "reattach --adopt refuses a device held through its cdev (exit 1), naming the node" \
    "1 vfio-handoff: $nic: held now by process 5556 (qemu-system-x86), through /dev/vfio/devices/vfio0: left on vfio-pci (fix: stop process 5556 first)" "$rc $err"
is "... and leaves it on vfio-pci" vfio-pci "$(drv "$r" "$nic")"
rm -rf "$r/proc/5556" "$r/dev/iommu"

# ---- bound by vfio-pci's ID list (vfio-pci.ids=): parked, and --adopt says why it cannot
sed "s/^driver=igb$/driver=vfio-pci\nnative-driver=vfio-pci/" "$scenarios/twin-gpus.conf" >"$tap_tmp/ids.conf"
scenarios_keep=$scenarios
scenarios=$tap_tmp
host ids
scenarios=$scenarios_keep
run "$r" status --json
is "a device vfio-pci claimed by its ID is parked, with that reason" \
    "vfio-pci's ID list (vfio-pci.ids= at boot, or new_id by hand): it has no driver_override" \
    "$(echo "$out" | jq -r '.parked[0].left_by')"
run "$r" reattach --adopt "$nic"
is "reattach --adopt of it fails (exit 1) and says why" \
    "1 vfio-handoff: $nic: went back to vfio-pci, as its ID is in vfio-pci's list (fix: remove vfio-pci.ids= from the kernel command line or its modprobe.d option, or bind a driver by hand)" \
    "$rc $err"

# ---- libvirt's live hot-unplug of an enabled managed='yes' device: no hook runs, and libvirt
# leaves it on vfio-pci when its list of detached devices has a stale entry for it; recover
# gives it back, as the device is enabled. Not enabled, it is left to reattach --adopt
left="parked: libvirt left it on vfio-pci (after a managed='yes' hot-unplug or run), and it is enabled for passthrough"
host twin-gpus
enable "$r" "$nic"
libvirt_detach
run "$r" recover --dry-run
is "recover --dry-run: it would give back what libvirt left of an enabled device (exit 0)" \
    "0 would give $nic back to the driver the kernel picks ($left)" "$rc $out"
is "... and changes nothing" vfio-pci "$(drv "$r" "$nic")"
holder
run "$r" recover
is "held by a process, it is not libvirt's leftover: recover leaves it" \
    "0 The journal is empty: nothing to recover. vfio-pci" "$rc $out $(drv "$r" "$nic")"
rm -rf "$r/proc/5555"
run "$r" recover --json
is "recover gives it back to the driver the kernel picks (exit 0, JSON outcome adopted)" \
    "0 adopted igb gave $nic back to igb ($left)" \
    "$rc $(echo "$out" | jq -r '.devices[0] | "\(.outcome) \(.driver) \(.message)"')"
is "... on igb, its driver_override clear" "igb (null)" "$(drv "$r" "$nic") $(ovr "$r" "$nic")"
run "$r" recover
is "... and a second recover has nothing to do" "0 The journal is empty: nothing to recover." "$rc $out"
host twin-gpus
libvirt_detach
run "$r" recover
is "a device not enabled that libvirt left is not recover's: left parked (exit 0)" \
    "0 The journal is empty: nothing to recover. vfio-pci" "$rc $out $(drv "$r" "$nic")"

# ---- the hook: a release that held nothing says so; a start that finds a parked device too
host twin-gpus
enable "$r" "$nic"
domain nic-vm "$nic" >"$tap_tmp/nic-vm.xml"
hook "$r" nic-vm release end "$tap_tmp/nic-vm.xml"
is "release of a domain that held nothing exits 0" 0 "$rc"
like "... and its log line does not claim a give back" \
    "step=give-back result=ok duration_ms=[0-9.]+: vfio-handoff held no device for this domain: nothing to give back$" "$(hooklog)"
hook "$r" nic-vm prepare begin "$tap_tmp/nic-vm.xml"
hook "$r" nic-vm release end "$tap_tmp/nic-vm.xml"
like "release after a handoff counts what it gave back" \
    "step=give-back result=ok duration_ms=[0-9.]+: 1 device back on its driver$" "$(hooklog)"
: >"$r/run/vfio-handoff/hook.log"
libvirt_detach
hook "$r" nic-vm prepare begin "$tap_tmp/nic-vm.xml"
is "a start with a parked device succeeds" 0 "$rc"
like "... and logs that someone else parked it, with the fix" \
    "device=$nic step=parked result=warning .*already on vfio-pci, parked by someone else \(probably libvirt .*\): used as it is, and not given back when the domain stops \(fix: after it stops, $fix\)$" \
    "$(hooklog)"
hook "$r" nic-vm release end "$tap_tmp/nic-vm.xml"
is "... its release leaves it where it was found" vfio-pci "$(drv "$r" "$nic")"
like "... and says it held nothing" "nothing to give back$" "$(hooklog)"

# ---- libvirt's own device (managed='yes'), enabled: libvirt leaves it, vfio-handoff brings it home
host twin-gpus
enable "$r" "$nic"
libvirts_domain lv-vm "$nic"
hook "$r" lv-vm prepare begin "$tap_tmp/lv-vm.xml"
is "prepare of a managed='yes' domain exits 0 and changes no driver" "0 igb" "$rc $(drv "$r" "$nic")"
is "its driver is journaled as libvirt's" "owner=libvirt driver=igb" \
    "$(grep -E '^(owner|driver)=' "$r/run/vfio-handoff/devices/$nic" | tr '\n' ' ' | sed 's/ $//')"
like "... and logged" "device=$nic step=watch result=ok .*managed='yes': libvirt detaches it; its driver igb is recorded" "$(hooklog)"
run "$r" status
like "status shows it as libvirt's" "^$nic +lv-vm \(libvirt's\) +held " "$out"
run "$r" status --json
is "status --json: owner libvirt" libvirt "$(echo "$out" | jq -r '.devices[0].owner')"
libvirt_detach
# libvirt lost track of it (its inactive list): at destroy it leaves it on vfio-pci
hook "$r" lv-vm release end "$tap_tmp/lv-vm.xml"
is "release gives back what libvirt left on vfio-pci" "0 igb (null)" "$rc $(drv "$r" "$nic") $(ovr "$r" "$nic")"
is "... the journal is empty" "" "$(journal "$r")"
like "... and the log says libvirt left it" \
    "device=$nic step=give-back result=ok .*managed='yes', but libvirt left it on vfio-pci: given back to igb$" "$(hooklog)"
like "... and the summary counts it" "1 device back on its driver$" "$(hooklog)"

# libvirt gives it back itself: vfio-handoff only drops its record
hook "$r" lv-vm prepare begin "$tap_tmp/lv-vm.xml"
libvirt_detach
libvirt_reattach
: >"$r/run/vfio-handoff/hook.log"
hook "$r" lv-vm release end "$tap_tmp/lv-vm.xml"
is "when libvirt gives it back, release changes nothing" "0 igb" "$rc $(drv "$r" "$nic")"
is "... drops the record" "" "$(journal "$r")"
is "... and says libvirt did it" \
    "vfio-handoff: domain=lv-vm op=release device=$nic step=give-back result=ok duration_ms=0.0: managed='yes': libvirt gave it back itself (on igb)" \
    "$(hooklog)"

# a process took the group meanwhile: kept for it
hook "$r" lv-vm prepare begin "$tap_tmp/lv-vm.xml"
mkdir -p "$r/run/libvirt/qemu" && echo 6666 >"$r/run/libvirt/qemu/lv-vm.pid"
hook "$r" lv-vm started begin "$tap_tmp/lv-vm.xml"
rm -f "$r/run/libvirt/qemu/lv-vm.pid"
libvirt_detach
holder
hook "$r" lv-vm release end "$tap_tmp/lv-vm.xml"
is "a device libvirt left that a process holds stays on vfio-pci" vfio-pci "$(drv "$r" "$nic")"
like "... and the log names the process and the fix" "result=warning .*: $nic: held now by process 5555 \(dpdk\), through /dev/vfio/3, so it is kept on vfio-pci, not given back \(fix: stop process 5555 first, then run 'vfio-handoff recover'\)$" "$(hooklog)"
is "... and the record stays, so that the device still goes home" "$nic" "$(journal "$r")"
run "$r" status
like "status calls it taken over by the process, not an orphan" "^$nic +lv-vm \(libvirt's\) +held .* taken over by 5555 \(dpdk\)$" "$out"
unlike "... and counts no orphan" "orphan" "$out"
run "$r" recover --offline
is "recover keeps it while the process holds it (exit 0)" "0 vfio-pci" "$rc $(drv "$r" "$nic")"
like "... naming the process and the fix" "^kept $nic: held now by process 5555 \(dpdk\), through /dev/vfio/3, so it stays on vfio-pci \(fix: stop process 5555 first, then run 'vfio-handoff recover'\)$" "$out"
rm -rf "$r/proc/5555"
run "$r" recover --offline
is "once the process is gone, recover gives it back" "0 igb " "$rc $(drv "$r" "$nic") $(journal "$r")"

# not enabled: libvirt's business alone, nothing recorded
host twin-gpus
libvirts_domain lv-vm "$nic"
hook "$r" lv-vm prepare begin "$tap_tmp/lv-vm.xml"
is "a managed='yes' device not enabled is not watched" "0 " "$rc $(journal "$r")"

# a managed='no' domain cannot take libvirt's device while its domain runs
host twin-gpus
enable "$r" "$nic"
libvirts_domain lv-vm "$nic"
hook "$r" lv-vm prepare begin "$tap_tmp/lv-vm.xml"
mkdir -p "$r/run/libvirt/qemu" "$r/proc/4343" && echo 4343 >"$r/run/libvirt/qemu/lv-vm.pid"
hook "$r" lv-vm started begin "$tap_tmp/lv-vm.xml"
libvirts_domain lv2-vm "$nic"
hook "$r" lv2-vm prepare begin "$tap_tmp/lv2-vm.xml"
is "another managed='yes' domain does not take the watch of a running one (libvirt refuses it)" \
    "0 domain=lv-vm" "$rc $(grep '^domain=' "$r/run/vfio-handoff/devices/$nic")"
hook "$r" lv2-vm release end "$tap_tmp/lv2-vm.xml" # libvirt, after the start it refused
libvirt_detach
domain nic-vm "$nic" >"$tap_tmp/nic-vm.xml"
hook "$r" nic-vm prepare begin "$tap_tmp/nic-vm.xml"
is "a managed='no' start of a device libvirt's running domain holds is refused" \
    "1 vfio-handoff: nic-vm: $nic: held by the running domain 'lv-vm' (pid 4343, journal) (fix: run 'virsh shutdown lv-vm' first)" "$rc $err"
rm -rf "$r/proc/4343"
run "$r" recover --offline
is "recover --offline gives back libvirt's device once its QEMU is gone" "0 igb" "$rc $(drv "$r" "$nic")"

done_testing
