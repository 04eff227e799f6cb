#!/bin/sh
# add and remove --live: a running domain's devices checked as at a start, handed off journaled
# for the domain, hot-plugged; rolled back when libvirt refuses; unplugged, awaited, given back;
# a device the guest keeps stays journaled until recover. On fake hosts served by the fake
# kernel, with the fake libvirt of tests/fake/vh-fake-libvirt.c (libvirt's test driver cannot
# hot-plug; the real libvirtd does it in the VM test bed).
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

command -v jq >/dev/null 2>&1 || { echo "1..0 # SKIP jq is not installed"; exit 0; }
[ -e "${VH_FAKE_LIBVIRT:-}" ] || { echo "1..0 # SKIP the fake libvirt is not built (make check builds it)"; exit 0; }

. "$VH_SRCDIR/tests/cli/fake-host.sh"

nic=0000:03:00.0 gpu=0000:01:00.0 aud=0000:01:00.1
export VH_LIBVIRT_LIBRARY="$VH_FAKE_LIBVIRT"
# running NAME: a running domain NAME with no hostdev, its QEMU pid 4242, in the fake libvirt
running() {
    export VH_FAKE_LIBVIRT_DIR="$r/libvirt"
    mkdir -p "$r/libvirt" "$r/run/libvirt/qemu" "$r/proc/4242/fd"
    domain "$1" >"$r/libvirt/$1.xml"
    cp "$r/libvirt/$1.xml" "$r/libvirt/$1.live.xml"
    echo qemu-system-x86 >"$r/proc/4242/comm"
    echo "4242 (qemu-system-x86) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0" >"$r/proc/4242/stat"
    echo 4242 >"$r/run/libvirt/qemu/$1.pid"
}
live_has() { grep -c "bus='0x$(echo "$1" | cut -d: -f2)' slot='0x00' function='0x${1##*.}'" "$r/libvirt/vm.live.xml"; }
field() { sed -n "s/^$2=//p" "$r/run/vfio-handoff/devices/$1"; }

# ---- add --live: checked, handed off journaled for the domain, hot-plugged
host twin-gpus
enable "$r" "$nic"
running vm
before=$(state "$r")
run "$r" add vm "$nic" --live --dry-run
is "add --live --dry-run says what it would hot-plug (exit 0)" \
    "0 vm (running):
  would hot-plug $nic, on vfio-pci (from igb)" "$rc $out"
is "... and changes nothing" "$before" "$(state "$r")$(journal "$r")"
run "$r" add vm "$nic" --live
is "add --live of an enabled NIC into a running domain (exit 0)" \
    "0 vm (running):
  hot-plugged $nic, on vfio-pci (from igb)" "$rc $out"
is "... it is on vfio-pci, in the domain's live definition" "vfio-pci 1" "$(drv "$r" "$nic") $(live_has "$nic")"
is "... journaled for the domain, with its QEMU's pid, going back to igb" "vm 4242 igb" \
    "$(field "$nic" domain) $(field "$nic" qemu-pid) $(field "$nic" driver)"
is "... the persistent definition untouched" "0" "$(grep -c '<hostdev' "$r/libvirt/vm.xml")"
run "$r" status --json
is "status shows it held by the running domain" "vm false false" \
    "$(echo "$out" | jq -r '.devices[0] | "\(.domain) \(.orphan) \(.unplugged)"')"
run "$r" add vm "$nic" --live
is "adding it again changes nothing (exit 0)" "0 Nothing to change in vm." "$rc $out"
run "$r" domains --json
is "domains --json: vm runs, the NIC in its live devices alone" \
    'true [] [{"address":"'"$nic"'","managed":false,"driver_model":null}]' \
    "$(echo "$out" | jq -c '.domains[0] | .running, .hostdevs, .live_hostdevs' | paste -sd' ')"
run "$r" domains
is "domains: a line for vm, running, its definition without PCI devices (exit 0)" \
    "0 DOMAIN  STATE    MEMORY  LOCKED  PCI DEVICES
vm      running  2 GiB   yes     -" "$rc $out"

# ---- remove --live: unplugged, awaited, given back
run "$r" remove vm "$nic" --live
is "remove --live (exit 0): unplugged and given back" \
    "0 vm (running):
  unplugged $nic, back on igb" "$rc $out"
is "... on igb, gone from the live definition, the journal empty" "igb 0 " \
    "$(drv "$r" "$nic") $(live_has "$nic") $(journal "$r")"

# ---- a refused add changes nothing: the policy's limit, a device not enabled
printf '[domain vm]\nmax-devices=1\n' >"$r/etc/vfio-handoff/conf.d/10-limit.conf"
chmod 644 "$r/etc/vfio-handoff/conf.d/10-limit.conf"
enable "$r" "$gpu"
before=$(state "$r")
: >"$r/libvirt/calls"
run "$r" add vm "$gpu" --live
is "add --live over max-devices is refused (exit 1), with the fix" \
    "1 vfio-handoff: vm: asks for 2 devices, more than max-devices=1 (fix: remove hostdevs from 'vm', or raise max-devices in [domain vm])" "$rc $err"
is "... nothing handed off, nothing journaled, libvirt not asked" "$before" "$(state "$r")$(journal "$r")$(cat "$r/libvirt/calls")"
rm "$r/etc/vfio-handoff/conf.d/10-limit.conf"
run "$r" add vm 0000:02:00.0 --live
is "add --live of a device not enabled is refused (exit 1)" \
    "1 vfio-handoff: vm: 0000:02:00.0: not enabled for passthrough (fix: run 'vfio-handoff enable 0000:02:00.0')" "$rc $err"

# ---- libvirt refuses the hot-plug: what was taken is given back
echo "internal error: No more available PCI slots" >"$r/libvirt/attach-error"
before=$(state "$r")
run "$r" add vm "$gpu" --live
is "libvirt's refusal fails add --live (exit 1), with its reason and the fix" \
    "1 vfio-handoff: vm: libvirt refused to hot-plug $gpu, internal error: No more available PCI slots; what was taken is given back (fix: correct what libvirt names, e.g. give a q35 domain a free <controller type='pci' model='pcie-root-port'/> per device, then add again)" "$rc $err"
grammar "... in the message grammar" "$err"
is "... both functions back on their drivers, the journal empty" "$before" "$(state "$r")$(journal "$r")"
# ... the second of two refused, the first hot-plugged: the guest's QEMU keeps the group open
# until it lets go of the first, so both stay journaled for the domain, and the error says so
echo "bus='0x01' slot='0x00' function='0x1'" >"$r/libvirt/attach-error-for"
ln -s "$r/dev/vfio/1" "$r/proc/4242/fd/5"
run "$r" add vm "$gpu" --live
is "libvirt refusing the second device: the first stays with the guest until it lets go (exit 1)" \
    "1 vfio-handoff: vm: libvirt refused to hot-plug $aud, internal error: No more available PCI slots; the rest was given back, but 2 devices stay on VFIO, journaled for vm, until the guest lets go of what was hot-plugged before it (fix: run 'vfio-handoff recover' once 'virsh dumpxml vm' no longer lists any, or 'virsh shutdown vm')" "$rc $err"
is "... both journaled for vm, on vfio-pci" "vfio-pci vfio-pci vm vm" \
    "$(drv "$r" "$gpu") $(drv "$r" "$aud") $(field "$gpu" domain) $(field "$aud" domain)"
rm "$r/proc/4242/fd/5" "$r/libvirt/attach-error-for"
{ echo "<domstatus state='running' reason='booted' pid='4242'>"; cat "$r/libvirt/vm.live.xml"; echo "</domstatus>"; } >"$r/run/libvirt/qemu/vm.xml"
run "$r" recover --offline
is "... once the guest lets go, recover gives them back" "0 nouveau snd_hda_intel " "$rc $(drv "$r" "$gpu") $(drv "$r" "$aud") $(journal "$r")"
rm "$r/run/libvirt/qemu/vm.xml"
rm "$r/libvirt/attach-error"

# ---- the guest keeps a device: it stays journaled; once it is gone, recover gives it back
run "$r" add vm "$nic" --live
touch "$r/libvirt/guest-keeps"
run "$r" remove vm "$nic" --live --timeout 1
is "a device the guest keeps fails remove --live (exit 1), saying what to do" \
    "1 vfio-handoff: vm: $nic: the guest has not let go of it in 1 s, so it stays on VFIO, journaled for vm (fix: run 'vfio-handoff recover' once 'virsh dumpxml vm' no longer lists it, or 'virsh shutdown vm': its stop gives it back)" "$rc $err"
is "... still on vfio-pci, still journaled for vm" "vfio-pci vm" "$(drv "$r" "$nic") $(field "$nic" domain)"
# the guest lets go later: libvirt drops it from the live definition and its status file
rm "$r/libvirt/guest-keeps"
domain vm >"$r/libvirt/vm.live.xml"
{ echo "<domstatus state='running' reason='booted' pid='4242'>"; cat "$r/libvirt/vm.live.xml"; echo "</domstatus>"; } >"$r/run/libvirt/qemu/vm.xml"
run "$r" status --json
is "status then says it was unplugged" true "$(echo "$out" | jq -r '.devices[0].unplugged')"
run "$r" recover
is "recover gives it back (exit 0)" "0 igb " "$rc $(drv "$r" "$nic") $(journal "$r")"
rm "$r/run/libvirt/qemu/vm.xml"

# ---- --persistent: the running domain and its definition; not running: --live refused, and
# --persistent changes the definition alone
run "$r" add vm "$nic" --persistent
is "add --persistent hot-plugs and defines (exit 0)" "0 vfio-pci 1 1" \
    "$rc $(drv "$r" "$nic") $(live_has "$nic") $(grep -c "<hostdev mode='subsystem' type='pci' managed='no'>" "$r/libvirt/vm.xml")"
like "... saying both" "Defined the new configuration of vm in libvirt" "$out"
run "$r" remove vm "$nic" --persistent
is "remove --persistent unplugs, gives back and takes it from the definition (exit 0)" "0 igb 0 0 " \
    "$rc $(drv "$r" "$nic") $(live_has "$nic") $(grep -c '<hostdev' "$r/libvirt/vm.xml") $(journal "$r")"
rm "$r/libvirt/vm.live.xml"
run "$r" add vm "$nic" --live
is "add --live of a domain that does not run is refused (exit 1), with the fix" \
    "1 vfio-handoff: vm: is not running, and --live changes a running domain (fix: leave out --live to add to its definition, for its next start)" "$rc $err"
run "$r" add vm "$nic" --persistent
is "add --persistent of a domain that does not run changes its definition alone, as virsh's (exit 0)" \
    "0 igb 1 " "$rc $(drv "$r" "$nic") $(grep -c "<hostdev mode='subsystem' type='pci' managed='no'>" "$r/libvirt/vm.xml") $(journal "$r")"
run "$r" remove vm "$nic" --persistent
is "remove --persistent of it likewise (exit 0)" "0 0" "$rc $(grep -c '<hostdev' "$r/libvirt/vm.xml")"
run "$r" remove vm --all --live
is "remove --all --live is a usage error" \
    "2 vfio-handoff: remove: --all changes the definition only (fix: name the DEVICEs to unplug with --live)" "$rc $err"

done_testing
