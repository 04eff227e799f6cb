#!/bin/sh
# The VM suite, run inside the guest (a real kernel with an emulated Intel IOMMU) by
# vh-guest-runner. Prints TAP. Everything it changes belongs to the guest.
set -u
# where `make install` put things, as configured (bindir, pkglibexecdir, libvirthooksdir,
# runstatedir)
. /share/paths.env
export VH_CLI=$VH_BINDIR/vfio-handoff VH_FAKE_TOOL=/share/bin/vh-fake VH_SRCDIR=/share/src
. /share/src/tests/cli/tap.sh
. /share/src/tests/vm/guest/guest-lib.sh

# ---- install vfio-handoff as a user would: its package, with apt, while libvirtd runs. libvirt
# lists its hooks when its daemon starts, and this one started at boot with no qemu hook: the
# package must restart it, or the hook is never called
systemctl start libvirtd
daemon_pid() { systemctl show -p MainPID --value libvirtd; }
pid_before=$(daemon_pid)
install_product

# ---- the host-protection cases the guest itself depends on
guest_host_setup
mark "setup done: route via $route_if ($route_nic), usb disk mounted, fb0 $fb_name"

# ---- what the package did: the hook linked in qemu.d, the running daemon restarted so that it
# calls it, the policy and the journal's directory there
if [ -e /share/pkg ]; then
    is "apt install ./vfio-handoff_*.deb installed the package" "install ok installed" \
        "$(dpkg-query -W -f='${Status}' vfio-handoff 2>&1)"
    pid_after=$(daemon_pid)
    like "the package restarted the running libvirtd (pid $pid_before, now $pid_after)" '^[1-9][0-9]* yes$' \
        "$pid_after $([ "$pid_after" != "$pid_before" ] && echo yes)"
    is "the default policy file is a conffile, and conf.d/ and the journal's directory are there" \
        "/etc/vfio-handoff/vfio-handoff.conf yes 700" \
        "$(dpkg-query -W -f='${Conffiles}' vfio-handoff | awk '{ print $1 }' | xargs) $([ -d /etc/vfio-handoff/conf.d ] && echo yes) $(stat -c %a "$VH_RUNSTATEDIR/vfio-handoff")"
    is "its three man pages are installed" \
        "/usr/share/man/man5/vfio-handoff.conf.5.gz /usr/share/man/man8/vfio-handoff-hook.8.gz /usr/share/man/man8/vfio-handoff.8.gz" \
        "$(for f in $(dpkg -L vfio-handoff | grep '^/usr/share/man/man[58]/'); do [ -f "$f" ] && echo "$f"; done | sort | xargs)"
fi
out=$("$VH_CLI" check 2>&1)
like "check finds the hook installed" "^PASS +libvirt-hook +the hook $VH_HOOKSDIR/qemu.d/50-vfio-handoff is installed$" "$out"
like "check finds that the running libvirtd has seen it (no restart by hand)" "^PASS +libvirt-daemon +libvirtd is running" "$out"

# ---- the guest's libvirtd, for the hook's tests
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
like "check says whether the kernel has iommufd" '^PASS +iommufd +(iommufd is on|iommufd is available|this kernel has no iommufd)' "$out"

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
reason() { "$VH_CLI" show "$1" --json | jq -r '[.device.reasons[] | select(.id == "not-host-critical") | .reason] | first // "none"'; }
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
# policy routing on a real kernel: a default route in table 100 only (ip rule selects it), which
# the main table's /proc/net/route does not show; rtnetlink does
ip route del default via 10.77.0.1 dev "$route_if"
ip route add default via 10.77.0.1 dev "$route_if" table 100
ip rule add from 10.77.0.2 lookup 100
is "a default route in table 100 behind an ip rule: its NIC is host-critical still" \
    "host-critical: $route_if carries the default route" "$(reason "$route_nic")"
ip rule del from 10.77.0.2 lookup 100
ip route del default via 10.77.0.1 dev "$route_if" table 100
ip route add default via 10.77.0.1 dev "$route_if"

# ---- the spare NICs are passable: own groups, the two-function group, the bridge group
for rp in 0000:00:10.0 0000:00:11.0 0000:00:12.0 0000:00:13.0; do
    for nic in $(echo "$json" | jq -r --arg rp "$rp" \
        '.devices[] | select(.endpoint and (.class | startswith("02"))) | .address'); do
        parent=$("$VH_CLI" show "$nic" --json | jq -r '.device.parent_bridges | last')
        [ "$parent" = "$rp" ] || continue
        is "spare NIC $nic (below $rp) is passable" true \
            "$(echo "$json" | jq -r --arg a "$nic" '.devices[] | select(.address == $a) | .passable')"
    done
done
is "the two-function group's NICs are each other's companions" 1 \
    "$("$VH_CLI" show "$(child_of 0000:00:12.0)" --json | jq '.device.companions | length')"

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

# ---- the hook with the real libvirtd: virsh start hands devices off, destroy gives them back
nested() { # NAME DEVICE...: defines a diskless domain with managed='no' PCI hostdevs
    nested_name=$1
    shift
    domain_xml "$nested_name" no "$@"
    virsh -q define "$tap_tmp/$nested_name.xml" >/dev/null
}
ovr() { cat "/sys/bus/pci/devices/$1/driver_override"; }
export LIBVIRT_DEFAULT_URI=qemu:///system
nic=$(child_of 0000:00:11.0)
two=$(child_of 0000:00:12.0 1)
two_b=$(child_of 0000:00:12.0 2)
bridge=$(child_of 0000:00:13.0)
bridged=$(child_of "$bridge" 1)
bridged_b=$(child_of "$bridge" 2)
rc=0
"$VH_CLI" enable "$nic" "$two" "$bridged" >"$tap_tmp/enable" 2>&1 || rc=$?
is "enable of the NICs for the nested domains" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/#   /' "$tap_tmp/enable"
is "the hook is installed where libvirt runs it" "$VH_PKGLIBEXECDIR/vfio-handoff-hook" \
    "$(readlink "$VH_HOOKSDIR/qemu.d/50-vfio-handoff")"

nested nic-vm "$nic"
t0=$(date +%s%N)
rc=0
virsh start nic-vm >"$tap_tmp/start" 2>&1 || rc=$?
t1=$(date +%s%N)
is "virsh start of a domain with a managed='no' NIC succeeds" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/#   /' "$tap_tmp/start"
is "the NIC is on vfio-pci while it runs" vfio-pci "$(drv "$nic")"
like "the nested QEMU shows the device (info pci)" "Ethernet controller: PCI device 8086:10d3" \
    "$(virsh qemu-monitor-command nic-vm --hmp 'info pci' 2>&1)"
virsh destroy nic-vm >/dev/null 2>&1
wait_driver "$nic" e1000e 20
is "virsh destroy gives it back to e1000e" e1000e "$(drv "$nic")"
is "driver_override is clear again" "(null)" "$(ovr "$nic")"
echo "# timing: virsh start with the hook handing off 1 NIC took $(((t1 - t0) / 1000000)) ms (TCG)"

# start_destroy DESCRIPTION DOMAIN DRIVER DEVICE...: the domain (naming the first device)
# starts with every DEVICE on vfio-pci, and destroy gives them all back to DRIVER
start_destroy() {
    desc=$1 dom=$2 back=$3
    shift 3
    nested "$dom" "$1"
    rc=0
    virsh start "$dom" >"$tap_tmp/start" 2>&1 || rc=$?
    is "$desc: the start succeeds" 0 "$rc"
    [ "$rc" = 0 ] || sed 's/^/#   /' "$tap_tmp/start"
    is "$desc: handed off together" "$(for d in "$@"; do printf 'vfio-pci '; done)" \
        "$(for d in "$@"; do printf '%s ' "$(drv "$d")"; done)"
    virsh destroy "$dom" >/dev/null 2>&1
    for d in "$@"; do wait_driver "$d" "$back" 20; done
    is "$desc: destroy gives them back to $back" "$(for d in "$@"; do printf '%s ' "$back"; done)" \
        "$(for d in "$@"; do printf '%s ' "$(drv "$d")"; done)"
}
# libvirt alone fails these: the group is not viable unless every function is on vfio-pci
start_destroy "one function of a two-function group" two-vm e1000e "$two" "$two_b"
start_destroy "a device in a group with a PCI bridge (the bridge keeps no driver)" bridge-vm e1000 \
    "$bridged" "$bridged_b"

spare2=$(child_of 0000:00:10.0)
nested refused-vm "$spare2"
before=$(drivers)
rc=0
virsh start refused-vm >"$tap_tmp/start" 2>&1 || rc=$?
is "a start the policy refuses fails" 1 "$rc"
like "virsh shows the hook's one-line reason" \
    "vfio-handoff: refused-vm: $spare2: not enabled for passthrough \(fix: run 'vfio-handoff enable $spare2'\)" "$(cat "$tap_tmp/start")"
is "a refused start leaves every driver as it was" "$before" \
    "$(drivers)"
if [ -e /share/pkg ]; then
    # the packaged hook reads no VH_* variable: whatever VH_HOOK_ENGINE names is never run as
    # root, and VH_ROOT does not move it off the real host
    printf '#!/bin/sh\ntouch %s/engine-ran\n' "$tap_tmp" >"$tap_tmp/engine"
    chmod +x "$tap_tmp/engine"
    rc=0
    VH_HOOK_ENGINE=$tap_tmp/engine VH_ROOT=/nonexistent "$VH_HOOKSDIR/qemu.d/50-vfio-handoff" \
        refused-vm prepare begin - <"$tap_tmp/refused-vm.xml" >/dev/null 2>"$tap_tmp/hook.err" || rc=$?
    is "the packaged hook ignores VH_HOOK_ENGINE and VH_ROOT: its own engine refuses on the real host" \
        "1 no vfio-handoff: refused-vm: $spare2: not enabled for passthrough (fix: run 'vfio-handoff enable $spare2')" \
        "$rc $([ -e "$tap_tmp/engine-ran" ] && echo ran || echo no) $(cat "$tap_tmp/hook.err")"
fi

virsh start nic-vm >/dev/null 2>&1
pid=$(cat /run/libvirt/qemu/nic-vm.pid 2>/dev/null)
is "the journal records the running QEMU's pid" "qemu-pid=$pid" "$(grep '^qemu-pid=' "$VH_RUNSTATEDIR/vfio-handoff/devices/$nic")"
kill -9 "$pid"
wait_driver "$nic" e1000e 30
is "after kill -9 of the nested QEMU the NIC is back on e1000e" e1000e "$(drv "$nic")"
is "and the journal is empty" "" "$(ls "$VH_RUNSTATEDIR/vfio-handoff/devices/" 2>/dev/null)"
journalctl -t vfio-handoff -o json --no-pager 2>/dev/null |
    jq -r 'select(.VH_STEP == "detach" or .VH_STEP == "give-back") | "# timing: hook \(.VH_OP) \(.VH_STEP) \(.VH_DEVICE // "-") \(.VH_DURATION_MS) ms"' | head -n 12

# ---- 4 devices: handed off together (in parallel) vs one domain after another
hook_run() { # DOMAIN OP SUBOP XML
    "$VH_HOOKSDIR/qemu.d/50-vfio-handoff" "$1" "$2" "$3" - <"$4" >/dev/null 2>&1
}
"$VH_CLI" enable "$spare2" >/dev/null
nested quad-vm "$spare2" "$nic" "$two"
virsh -q undefine quad-vm >/dev/null
t0=$(date +%s%N)
hook_run quad-vm prepare begin "$tap_tmp/quad-vm.xml"
t1=$(date +%s%N)
is "4 devices in one domain are handed off" "vfio-pci vfio-pci vfio-pci vfio-pci" \
    "$(drv "$spare2") $(drv "$nic") $(drv "$two") $(drv "$two_b")"
hook_run quad-vm release end "$tap_tmp/quad-vm.xml"
parallel=$(((t1 - t0) / 1000000))
for d in "$spare2" "$nic" "$two"; do
    nested "one-$d" "$d"
    virsh -q undefine "one-$d" >/dev/null
done
t0=$(date +%s%N)
for d in "$spare2" "$nic" "$two"; do
    hook_run "one-$d" prepare begin "$tap_tmp/one-$d.xml"
done
t1=$(date +%s%N)
for d in "$spare2" "$nic" "$two"; do hook_run "one-$d" release end "$tap_tmp/one-$d.xml"; done
is "all 4 are back on their drivers" "e1000e e1000e e1000e e1000e" \
    "$(drv "$spare2") $(drv "$nic") $(drv "$two") $(drv "$two_b")"
echo "# timing: 4 devices handed off together (parallel): $parallel ms; the same devices one domain after another: $(((t1 - t0) / 1000000)) ms"
# the floor: the same writes by hand, with nothing checked
d=$spare2
t0=$(date +%s%N)
echo vfio-pci >"/sys/bus/pci/devices/$d/driver_override"
echo "$d" >"/sys/bus/pci/devices/$d/driver/unbind"
echo "$d" >/sys/bus/pci/drivers_probe
t1=$(date +%s%N)
echo "$d" >/sys/bus/pci/drivers/vfio-pci/unbind
echo >"/sys/bus/pci/devices/$d/driver_override"
echo "$d" >/sys/bus/pci/drivers/e1000e/bind
t2=$(date +%s%N)
echo "# timing: raw sysfs floor for one e1000e: to vfio-pci $(((t1 - t0) / 1000000)) ms, back $(((t2 - t1) / 1000000)) ms (the hook's per-device times are above)"
is "the floor measurement left the NIC on e1000e" e1000e "$(drv "$d")"

# ---- add / remove with the real libvirtd: from a plain definition to a start, no hand edit
plain_domain added-vm
rc=0
"$VH_CLI" add added-vm "$two" --dry-run >"$tap_tmp/add.diff" 2>&1 || rc=$?
is "add --dry-run on a shut-off domain exits 0" 0 "$rc"
is "add --dry-run defines nothing" "$(cat "$tap_tmp/added-vm.orig")" "$(virsh dumpxml --inactive added-vm)"
rc=0
"$VH_CLI" add added-vm "$two" >"$tap_tmp/add" 2>&1 || rc=$?
is "add of a function of a two-function NIC succeeds" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/#   /' "$tap_tmp/add"
virsh dumpxml --inactive added-vm >"$tap_tmp/added-vm.new"
is "libvirt has both functions as managed='no' hostdevs" 2 \
    "$(grep -c "<hostdev mode='subsystem' type='pci' managed='no'>" "$tap_tmp/added-vm.new")"
guest_slots=$(sed -n "/<hostdev /,/<\/hostdev>/p" "$tap_tmp/added-vm.new" | grep "<address type='pci'" |
    sed -E "s/.* bus='([^']*)' slot='([^']*)' function='([^']*)'( multifunction='on')?.*/\1:\2.\3\4/")
bus_slot=$(echo "$guest_slots" | head -n 1 | cut -d. -f1)
is "in one guest slot as functions 0 (multifunction) and 1" \
    "$bus_slot.0x0 multifunction='on' $bus_slot.0x1" "$(echo $guest_slots)"
like "with locked memory" "<locked/>" "$(cat "$tap_tmp/added-vm.new")"
rc=0
virsh start added-vm >"$tap_tmp/start" 2>&1 || rc=$?
is "virsh start of the domain as add left it succeeds" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/#   /' "$tap_tmp/start"
is "both functions are on vfio-pci while it runs" "vfio-pci vfio-pci" "$(drv "$two") $(drv "$two_b")"
like "the guest sees one two-function device (info pci)" "Bus +[0-9]+, device +0, function 1:" \
    "$(virsh qemu-monitor-command added-vm --hmp 'info pci' 2>&1)"
rc=0
"$VH_CLI" add added-vm "$nic" >"$tap_tmp/add" 2>&1 || rc=$?
is "add on a running domain is refused" 1 "$rc"
is "add without --live names how to hot-plug or stop it" "vfio-handoff: added-vm: is running, and its definition alone would not change what it has now (fix: pass --persistent to hot-plug now and in its definition, --live for now only; or run 'virsh shutdown added-vm', then add again)" \
    "$(cat "$tap_tmp/add")"
virsh destroy added-vm >/dev/null 2>&1
wait_driver "$two" e1000e 20
wait_driver "$two_b" e1000e 20
is "destroy gives both back" "e1000e e1000e" "$(drv "$two") $(drv "$two_b")"
rc=0
"$VH_CLI" remove added-vm "$two" >"$tap_tmp/remove" 2>&1 || rc=$?
is "remove succeeds" 0 "$rc"
is "remove restores the original definition" "$(cat "$tap_tmp/added-vm.orig")" "$(virsh dumpxml --inactive added-vm)"
virsh -q undefine added-vm >/dev/null

# ---- add --live with the real libvirtd: a running q35 domain (spare root ports, no USB or
# balloon to take them) gets the NIC hot-plugged, checked and handed off as at a start. Its
# nested guest runs no OS. With native PCIe hotplug (QEMU's ACPI hotplug off) QEMU unplugs a
# device at once from a slot the guest never powered on, as a guest OS answering the request
# would; with ACPI hotplug (q35's default) nothing answers, a guest that keeps the device
hotplug_domain() { # NAME PORTS [native|acpi] [DEVICE...]: a running diskless q35 domain
    hp_name=$1 hp_ports=$2 hp_mode=${3:-acpi}
    shift 2
    [ $# -gt 0 ] && shift
    {
        echo "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
        echo "<name>$hp_name</name><memory unit='MiB'>128</memory>"
        echo "<memoryBacking><locked/></memoryBacking><vcpu>1</vcpu>"
        echo "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>"
        echo "<emulator>/usr/bin/qemu-system-x86_64</emulator>"
        echo "<controller type='pci' index='0' model='pcie-root'/>"
        i=1
        while [ "$i" -le "$hp_ports" ]; do
            echo "<controller type='pci' index='$i' model='pcie-root-port'/>"
            i=$((i + 1))
        done
        for d in "$@"; do
            echo "<hostdev mode='subsystem' type='pci' managed='no'><source>$(source_address "$d")</source></hostdev>"
        done
        echo "<controller type='usb' model='none'/><memballoon model='none'/></devices>"
        if [ "$hp_mode" = native ]; then
            echo "<qemu:commandline><qemu:arg value='-global'/>"
            echo "<qemu:arg value='ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off'/></qemu:commandline>"
        fi
        echo "</domain>"
    } >"$tap_tmp/$hp_name.xml"
    virsh -q define "$tap_tmp/$hp_name.xml" >/dev/null && virsh -q start "$hp_name" >/dev/null
}
# hostdev_xml FILE DEVICE MANAGED: a hostdev for virsh attach-device / detach-device
hostdev_xml() {
    echo "<hostdev mode='subsystem' type='pci' managed='$3'><source>$(source_address "$2")</source></hostdev>" >"$1"
}
live_hostdevs() { virsh dumpxml "$1" | grep -c '<hostdev'; }
no_live_hostdev() { [ "$(live_hostdevs "$1")" = 0 ]; }
like "with no VFIO variant driver for it in the kernel's modules.alias, the NIC goes to vfio-pci" \
    "^  VFIO driver: vfio-pci, as no VFIO variant driver matches it$" "$("$VH_CLI" show "$nic")"
hotplug_domain live-vm 2 native
rc=0
"$VH_CLI" add live-vm "$nic" --live >"$tap_tmp/add" 2>&1 || rc=$?
is "add --live of an enabled NIC into a running domain (exit 0)" \
    "0 live-vm (running):
  hot-plugged $nic, on vfio-pci (from e1000e)" "$rc $(cat "$tap_tmp/add")"
is "... on vfio-pci, in the live definition, not in the persistent one" "vfio-pci 1 0" \
    "$(drv "$nic") $(virsh dumpxml live-vm | grep -c "<hostdev mode='subsystem' type='pci' managed='no'>") $(virsh dumpxml --inactive live-vm | grep -c '<hostdev')"
like "... seen by the nested QEMU (info pci)" "Ethernet controller: PCI device 8086:10d3" \
    "$(virsh qemu-monitor-command live-vm --hmp 'info pci' 2>&1)"
is "... journaled for the domain with its QEMU's pid" "live-vm $(cat /run/libvirt/qemu/live-vm.pid 2>/dev/null)" \
    "$(sed -n 's/^domain=//p' "$VH_RUNSTATEDIR/vfio-handoff/devices/$nic") $(sed -n 's/^qemu-pid=//p' "$VH_RUNSTATEDIR/vfio-handoff/devices/$nic")"
rc=0
"$VH_CLI" remove live-vm "$nic" --live >"$tap_tmp/remove" 2>&1 || rc=$?
is "remove --live: unplugged and given back (exit 0)" "0 live-vm (running):
  unplugged $nic, back on e1000e" "$rc $(cat "$tap_tmp/remove")"
is "... on e1000e, the journal empty, not in the live definition, gone from the nested QEMU" \
    "e1000e  0 0" \
    "$(drv "$nic") $(ls "$VH_RUNSTATEDIR/vfio-handoff/devices/" 2>/dev/null) $(live_hostdevs live-vm) $(virsh qemu-monitor-command live-vm --hmp 'info pci' 2>&1 | grep -c 'PCI device 8086:10d3')"
virsh destroy live-vm >/dev/null 2>&1
rc=0
"$VH_CLI" add live-vm "$nic" --live >"$tap_tmp/add" 2>&1 || rc=$?
is "add --live of a domain that does not run is refused (exit 1), with the fix" \
    "1 vfio-handoff: live-vm: is not running, and --live changes a running domain (fix: leave out --live to add to its definition, for its next start)" \
    "$rc $(cat "$tap_tmp/add")"
virsh -q start live-vm >/dev/null
printf '[domain live-vm]\nmax-devices=1\n' >/etc/vfio-handoff/conf.d/10-live-vm.conf
before=$(drivers)
rc=0
"$VH_CLI" add live-vm "$two" --live >"$tap_tmp/add" 2>&1 || rc=$?
is "add --live over the domain's max-devices is refused (exit 1), with the fix" \
    "1 vfio-handoff: live-vm: asks for 2 devices, more than max-devices=1 (fix: remove hostdevs from 'live-vm', or raise max-devices in [domain live-vm])" \
    "$rc $(cat "$tap_tmp/add")"
is "... and changes nothing: no driver, no journal, no hostdev" "$before 0" \
    "$(drivers)$(ls "$VH_RUNSTATEDIR/vfio-handoff/devices/" 2>/dev/null) $(live_hostdevs live-vm)"
rm -f /etc/vfio-handoff/conf.d/10-live-vm.conf
virsh destroy live-vm >/dev/null 2>&1
virsh -q undefine live-vm >/dev/null
# a guest that keeps the device (ACPI hotplug, no OS to answer)
hotplug_domain keep-vm 2
"$VH_CLI" add keep-vm "$nic" --live >/dev/null 2>&1
rc=0
"$VH_CLI" remove keep-vm "$nic" --live --timeout 2 >"$tap_tmp/remove" 2>&1 || rc=$?
is "remove --live: a guest that never lets go fails it (exit 1), saying what to do" \
    "1 vfio-handoff: keep-vm: $nic: the guest has not let go of it in 2 s, so it stays on VFIO, journaled for keep-vm (fix: run 'vfio-handoff recover' once 'virsh dumpxml keep-vm' no longer lists it, or 'virsh shutdown keep-vm': its stop gives it back)" \
    "$rc $(cat "$tap_tmp/remove")"
is "... the NIC stays on vfio-pci, held by the domain" "vfio-pci keep-vm" \
    "$(drv "$nic") $("$VH_CLI" status --brief | sed -n "s/^$nic //p")"
virsh destroy keep-vm >/dev/null 2>&1
wait_driver "$nic" e1000e 20
is "the domain's stop gives the hot-plugged NIC back to e1000e, the journal empty" "e1000e " \
    "$(drv "$nic") $(ls "$VH_RUNSTATEDIR/vfio-handoff/devices/" 2>/dev/null)"
virsh -q undefine keep-vm >/dev/null

# ---- plain virsh detach-device --live of a device the hook handed off at start (the guest
# answers: answer_unplug): status says it is unplugged, recover gives it back, another domain
# starts with it (a takeover without recover: test-unplug.sh, on the fake kernel)
hostdev_xml "$tap_tmp/nic-no.xml" "$nic" no
plain_detach() { # DOMAIN: virsh detach-device --live of the NIC, answered; "rc hostdevs driver"
    rc=0
    virsh detach-device "$1" "$tap_tmp/nic-no.xml" --live >"$tap_tmp/detach" 2>&1 &
    detach_pid=$!
    sleep 1
    answer_unplug "$1"
    wait "$detach_pid" || rc=$?
    wait_for 10 no_live_hostdev "$1"
    echo "$rc $(live_hostdevs "$1") $(drv "$nic")"
}
hotplug_domain hp-vm 1 native "$nic"
is "virsh detach-device --live of the NIC the hook handed off (exit 0): gone from the live definition, still on vfio-pci" \
    "0 0 vfio-pci" "$(plain_detach hp-vm)"
sed 's/^/# virsh: /' "$tap_tmp/detach"
like "status names it unplugged from its running domain" \
    "unplugged from hp-vm, still on vfio-pci" "$("$VH_CLI" status 2>&1)"
is "status --json: unplugged" true \
    "$("$VH_CLI" status --json | jq -r --arg a "$nic" '.devices[] | select(.address == $a) | .unplugged')"
rc=0
"$VH_CLI" recover >"$tap_tmp/recover" 2>&1 || rc=$?
like "recover gives it back (exit 0), saying why" \
    "^0 gave $nic back to e1000e \(domain hp-vm: it runs on without it: unplugged live\)" \
    "$rc $(cat "$tap_tmp/recover")"
is "... on e1000e, the journal empty, hp-vm still running" "e1000e  running" \
    "$(drv "$nic") $(ls "$VH_RUNSTATEDIR/vfio-handoff/devices/" 2>/dev/null) $(virsh domstate hp-vm)"
nested other-vm "$nic"
rc=0
virsh start other-vm >"$tap_tmp/start" 2>&1 || rc=$?
is "another domain then starts with it" "0 vfio-pci other-vm" \
    "$rc $(drv "$nic") $("$VH_CLI" status --brief | sed -n "s/^$nic //p")"
virsh destroy other-vm >/dev/null 2>&1
wait_driver "$nic" e1000e 20
is "... and its stop gives it back, the journal empty" "e1000e " \
    "$(drv "$nic") $(ls "$VH_RUNSTATEDIR/vfio-handoff/devices/" 2>/dev/null)"
virsh destroy hp-vm >/dev/null 2>&1
virsh -q undefine hp-vm >/dev/null
virsh -q undefine other-vm >/dev/null

# ---- a managed='yes' NIC attached and detached live by libvirt alone: no hook runs. This
# daemon has had the NIC in managed='no' domains, so its list of detached devices has a stale
# entry (HACKING.md) and it leaves the NIC parked on vfio-pci; recover gives it back
hostdev_xml "$tap_tmp/nic-yes.xml" "$nic" yes
hotplug_domain my-vm 1 native
rc=0
virsh attach-device my-vm "$tap_tmp/nic-yes.xml" --live >"$tap_tmp/attach" 2>&1 || rc=$?
is "virsh attach-device --live of the managed='yes' NIC (exit 0): libvirt puts it on vfio-pci" \
    "0 vfio-pci 1" "$rc $(drv "$nic") $(live_hostdevs my-vm)"
rc=0
virsh detach-device my-vm "$tap_tmp/nic-yes.xml" --live >"$tap_tmp/detach" 2>&1 || rc=$?
wait_for 10 no_live_hostdev my-vm
is "virsh detach-device --live (exit 0): libvirt 9.0 leaves it on vfio-pci, its driver_override set" \
    "0 0 vfio-pci vfio-pci" "$rc $(live_hostdevs my-vm) $(drv "$nic") $(ovr "$nic")"
like "status reports it parked" "^$nic: parked on vfio-pci: no one holds it" "$("$VH_CLI" status 2>&1)"
rc=0
"$VH_CLI" recover >"$tap_tmp/recover" 2>&1 || rc=$?
like "recover gives it back to e1000e (exit 0)" \
    "^0 gave $nic back to e1000e \(parked: libvirt left it on vfio-pci" "$rc $(cat "$tap_tmp/recover")"
is "... on e1000e, its driver_override clear" "e1000e (null)" "$(drv "$nic") $(ovr "$nic")"
virsh destroy my-vm >/dev/null 2>&1
virsh -q undefine my-vm >/dev/null

# ---- a domain OpenStack Nova defined, in the shape its libvirt driver writes
# (LibvirtConfigGuestHostdevPCI: managed='no', no <driver>; Nova's metadata, no vfio-handoff's;
# neither <locked/> nor a hard limit). export nova lists the NIC; with lock-memory=off, as it says
# a Nova host sets, the instance's start hands the NIC off and its stop gives it back
nova_xml() { # NAME DEVICE
    echo "<domain type=\"qemu\"><uuid>8f0a6c9e-2b7d-4a55-9c1e-3d2f4b6a7c80</uuid><name>$1</name>"
    echo "<memory>131072</memory><vcpu>1</vcpu><metadata>"
    echo "<nova:instance xmlns:nova=\"http://openstack.org/xmlns/libvirt/nova/1.1\">"
    echo "<nova:package version=\"26.2.2\"/><nova:name>web-1</nova:name>"
    echo "<nova:flavor name=\"m1.pci\"><nova:memory>128</nova:memory><nova:disk>0</nova:disk>"
    echo "<nova:swap>0</nova:swap><nova:ephemeral>0</nova:ephemeral><nova:vcpus>1</nova:vcpus></nova:flavor>"
    echo "</nova:instance></metadata>"
    echo "<sysinfo type=\"smbios\"><system><entry name=\"manufacturer\">OpenStack Foundation</entry>"
    echo "<entry name=\"product\">OpenStack Nova</entry></system></sysinfo>"
    echo "<os><type machine=\"q35\">hvm</type><smbios mode=\"sysinfo\"/></os>"
    echo "<features><acpi/><apic/></features><cputune><shares>1024</shares></cputune><clock offset=\"utc\"/>"
    echo "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
    echo "<hostdev mode=\"subsystem\" type=\"pci\" managed=\"no\"><source><address domain=\"0x0000\" bus=\"0x$(echo "$2" | cut -c6-7)\" slot=\"0x$(echo "$2" | cut -c9-10)\" function=\"0x$(echo "$2" | cut -c12)\"/></source></hostdev>"
    echo "<memballoon model=\"virtio\"><stats period=\"10\"/></memballoon></devices></domain>"
}
like "export nova gives Nova the enabled NIC, managed no" \
    "^device_spec = \\{\"address\":\"$nic\",\"vendor_id\":\"8086\",\"product_id\":\"10d3\",\"managed\":\"no\"\\}$" \
    "$("$VH_CLI" export nova 2>/dev/null)"
nova_xml instance-0000002a "$nic" >"$tap_tmp/nova.xml"
rc=0
virsh -q define "$tap_tmp/nova.xml" >"$tap_tmp/define" 2>&1 || rc=$?
is "libvirt takes the Nova-shaped definition" "0 " "$rc $(cat "$tap_tmp/define")"
rc=0
virsh start instance-0000002a >"$tap_tmp/start" 2>&1 || rc=$?
like "with lock-memory=required (the default) its start is refused, naming lock-memory" \
    "^1 .*instance-0000002a: does not lock its memory, and lock-memory=required \(fix: " \
    "$rc $(tr '\n' ' ' <"$tap_tmp/start")"
printf '[host]\nlock-memory=off\n' >/etc/vfio-handoff/conf.d/10-nova.conf
rc=0
virsh start instance-0000002a >"$tap_tmp/start" 2>&1 || rc=$?
is "with lock-memory=off, virsh start of the Nova instance hands the NIC off" "0 vfio-pci instance-0000002a" \
    "$rc $(drv "$nic") $("$VH_CLI" status --brief | sed -n "s/^$nic //p")"
[ "$rc" = 0 ] || sed 's/^/#   /' "$tap_tmp/start"
virsh destroy instance-0000002a >/dev/null 2>&1
wait_driver "$nic" e1000e 20
is "... and its stop gives it back to e1000e, the journal empty" "e1000e " \
    "$(drv "$nic") $(ls "$VH_RUNSTATEDIR/vfio-handoff/devices/" 2>/dev/null)"
rm -f /etc/vfio-handoff/conf.d/10-nova.conf
virsh -q undefine instance-0000002a >/dev/null

# libvirt's own refusal (no root port left): every device given back
hotplug_domain full-vm 0
rc=0
"$VH_CLI" add full-vm "$nic" --live >"$tap_tmp/add" 2>&1 || rc=$?
like "libvirt refusing the hot-plug fails add --live (exit 1), with libvirt's reason" \
    "^1 vfio-handoff: full-vm: libvirt refused to hot-plug $nic, .*; what was taken is given back \(fix: .*\)$" \
    "$rc $(cat "$tap_tmp/add")"
is "... the NIC is back on e1000e, the journal empty" "e1000e " \
    "$(drv "$nic") $(ls "$VH_RUNSTATEDIR/vfio-handoff/devices/" 2>/dev/null)"
virsh destroy full-vm >/dev/null 2>&1
virsh -q undefine full-vm >/dev/null

# ---- one NIC used by a managed='yes' domain and a vfio-handoff domain in turn, on one daemon.
# libvirt keeps a device a managed='no' domain used in its list of detached devices, as not its
# own to give back, for the daemon's life: its next managed='yes' domain leaves the device on
# vfio-pci (HACKING.md, "Why libvirt leaves devices on vfio-pci"). The hook watches libvirt's
# enabled devices and gives back what libvirt leaves.
systemctl restart libvirtd # a daemon that has not seen the NIC yet
wait_for 30 virsh -q version
domain_xml lv-vm yes "$nic"
virsh -q define "$tap_tmp/lv-vm.xml" >/dev/null
cycle() { # DOMAIN DRIVER: start, note the driver, destroy, wait until DRIVER; "rc during after"
    rc=0
    virsh start "$1" >"$tap_tmp/start" 2>&1 || rc=$?
    during=$(drv "$nic")
    virsh destroy "$1" >/dev/null 2>&1
    wait_driver "$nic" "$2" 20
    echo "$rc $during $(drv "$nic")"
}
is "managed='yes' first, on a fresh daemon: libvirt gives the NIC back" "0 vfio-pci e1000e" \
    "$(cycle lv-vm e1000e)"
is "then the vfio-handoff domain: handed off and given back" "0 vfio-pci e1000e" \
    "$(cycle nic-vm e1000e)"
since=$(date '+%Y-%m-%d %H:%M:%S')
is "then managed='yes' again, on the same daemon: back on e1000e" "0 vfio-pci e1000e" \
    "$(cycle lv-vm e1000e)"
like "... because the hook gave back what libvirt left on vfio-pci" \
    "$nic.*managed='yes', but libvirt left it on vfio-pci: given back to e1000e" \
    "$(journalctl -t vfio-handoff --since "$since" --no-pager -o json | jq -r '"\(.VH_DEVICE) \(.MESSAGE)"')"
is "and the vfio-handoff domain once more" "0 vfio-pci e1000e" "$(cycle nic-vm e1000e)"
is "the journal is empty after the four runs" "" "$(ls "$VH_RUNSTATEDIR/vfio-handoff/devices/" 2>/dev/null)"
# not enabled, the NIC is not watched: libvirt leaves it, and vfio-handoff reports it parked
"$VH_CLI" disable "$nic" >/dev/null
is "not enabled, libvirt's managed='yes' run leaves it on vfio-pci" "0 vfio-pci vfio-pci" \
    "$(cycle lv-vm vfio-pci)"
is "status --json reports it parked, with the fix" \
    "$nic run 'vfio-handoff reattach --adopt $nic', or 'virsh nodedev-reattach pci_$(echo "$nic" | tr :. __)'" \
    "$("$VH_CLI" status --json | jq -r '.parked[] | "\(.address) \(.fix)"')"
like "show says so" "parked on vfio-pci: no one holds it" "$("$VH_CLI" show "$nic")"
rc=0
out=$("$VH_CLI" reattach --adopt "$nic" 2>&1) || rc=$?
is "reattach --adopt gives it back to e1000e" "0 adopted $nic: gave it back to e1000e e1000e" \
    "$rc $out $(drv "$nic")"
"$VH_CLI" enable "$nic" >/dev/null
virsh -q undefine lv-vm >/dev/null

# ---- SR-IOV: an NVMe PF with two VFs (QEMU's NVMe SR-IOV) below 00:17.0, and a spare NVMe
# controller with a namespace below 00:18.0
ctrl_of() { for c in /sys/class/nvme/*; do [ "$(tr -d ' ' <"$c/serial")" = "$1" ] && basename "$c"; done; }
pf_ctrl=$(ctrl_of vhsriov0)
pf=$(basename "$(readlink -f "/sys/class/nvme/$pf_ctrl/device")")
# QEMU's VFs start offline, as on SR-IOV NVMe drives: the PF assigns each (secondary controller
# 1 and 2) its queues and an interrupt, then brings it online once the VFs exist
for sc in 1 2; do
    nvme virt-mgmt "/dev/$pf_ctrl" -c $sc -r 0 -a 8 -n 2 && nvme virt-mgmt "/dev/$pf_ctrl" -c $sc -r 1 -a 8 -n 1
done >"$tap_tmp/virt-mgmt" 2>&1
echo 0 >"/sys/bus/pci/devices/$pf/sriov_drivers_autoprobe"
echo 2 >"/sys/bus/pci/devices/$pf/sriov_numvfs"
for sc in 1 2; do nvme virt-mgmt "/dev/$pf_ctrl" -c $sc -a 9; done >>"$tap_tmp/virt-mgmt" 2>&1
echo 1 >"/sys/bus/pci/devices/$pf/sriov_drivers_autoprobe"
vf1=$(basename "$(readlink -f "/sys/bus/pci/devices/$pf/virtfn0")")
vf2=$(basename "$(readlink -f "/sys/bus/pci/devices/$pf/virtfn1")")
for vf in "$vf1" "$vf2"; do echo "$vf" >/sys/bus/pci/drivers_probe; done
wait_driver "$vf1" nvme 20
wait_driver "$vf2" nvme 20
group() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }
is "the PF's two VFs are online on nvme, each in its own IOMMU group" "nvme nvme 3 groups" \
    "$(drv "$vf1") $(drv "$vf2") $(printf '%s\n' "$(group "$pf")" "$(group "$vf1")" "$(group "$vf2")" | sort -u | wc -l) groups"
[ "$(drv "$vf1")" = nvme ] || sed 's/^/#   /' "$tap_tmp/virt-mgmt"
rc=0
out=$("$VH_CLI" enable "$pf" --force 2>&1) || rc=$?
is "enable refuses the PF, naming its VFs" \
    "1 vfio-handoff: $pf: SR-IOV PF with 2 VFs enabled ($vf1, $vf2): handing it off would remove them (fix: pass one of its VFs, or set sriov_numvfs to 0 first)" "$rc $out"
rc=0
"$VH_CLI" enable "$vf1" >"$tap_tmp/enable" 2>&1 || rc=$?
is "enable of a VF pins which VF of which PF it is" "0 vf-of=$pf vf-index=0" \
    "$rc $(grep -E '^vf-(of|index)=' "/etc/vfio-handoff/conf.d/50-$vf1.conf" | paste -sd' ')"
plain_domain sriov-vm
rc=0
"$VH_CLI" add sriov-vm "$vf1" >"$tap_tmp/add" 2>&1 || rc=$?
is "add of the VF to a shut-off domain succeeds" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/#   /' "$tap_tmp/add"
numvfs() { cat "/sys/bus/pci/devices/$pf/sriov_numvfs"; }
rc=0
virsh start sriov-vm >"$tap_tmp/start" 2>&1 || rc=$?
is "virsh start hands the VF off; the PF and the other VF are untouched" \
    "0 vfio-pci nvme nvme 2" "$rc $(drv "$vf1") $(drv "$pf") $(drv "$vf2") $(numvfs)"
[ "$rc" = 0 ] || sed 's/^/#   /' "$tap_tmp/start"
like "the nested QEMU shows the VF (info pci)" "Class 0264: PCI device 1b36:0010|NVMe|1b36:0010" \
    "$(virsh qemu-monitor-command sriov-vm --hmp 'info pci' 2>&1)"
# the PF while its VF is held: enabled by hand (as an administrator might), it is still refused
printf '[device %s]\nenabled=true\n' "$pf" >"/etc/vfio-handoff/conf.d/50-$pf.conf"
domain_xml pf-vm no "$pf"
virsh -q define "$tap_tmp/pf-vm.xml" >/dev/null
before=$(drivers)
rc=0
virsh start pf-vm >"$tap_tmp/start" 2>&1 || rc=$?
is "a domain with the PF is refused while its VF is handed off" 1 "$rc"
like "virsh shows why, naming the VFs" \
    "vfio-handoff: pf-vm: $pf: SR-IOV PF with 2 VFs enabled \($vf1, $vf2\): handing it off would remove them" \
    "$(cat "$tap_tmp/start")"
is "the refusal changed no driver" "$before" \
    "$(drivers)"
rm -f "/etc/vfio-handoff/conf.d/50-$pf.conf"
virsh -q undefine pf-vm >/dev/null
virsh destroy sriov-vm >/dev/null 2>&1
wait_driver "$vf1" nvme 20
is "virsh destroy gives the VF back to nvme, the rest untouched" "nvme nvme nvme 2" \
    "$(drv "$vf1") $(drv "$pf") $(drv "$vf2") $(numvfs)"
rc=0
"$VH_CLI" remove sriov-vm --all >"$tap_tmp/remove" 2>&1 || rc=$?
is "remove --all restores the definition add started from" "0 $(cat "$tap_tmp/sriov-vm.orig")" \
    "$rc $(virsh dumpxml --inactive sriov-vm)"
virsh -q undefine sriov-vm >/dev/null

# <disk type='nvme'>: QEMU's own NVMe driver, on the spare controller through vfio-pci
spare_ctrl=$(ctrl_of vhspare0)
nvme_dev=$(basename "$(readlink -f "/sys/class/nvme/$spare_ctrl/device")")
"$VH_CLI" enable "$nvme_dev" >/dev/null
{
    echo "<domain type='qemu'><name>nvme-vm</name><memory unit='MiB'>128</memory>"
    echo "<memoryBacking><locked/></memoryBacking><vcpu>1</vcpu>"
    echo "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>"
    echo "<emulator>/usr/bin/qemu-system-x86_64</emulator>"
    echo "<disk type='nvme' device='disk'><driver name='qemu' type='raw'/>"
    echo "<source type='pci' managed='no' namespace='1'>$(source_address "$nvme_dev")</source>"
    echo "<target dev='vda' bus='virtio'/></disk></devices></domain>"
} >"$tap_tmp/nvme-vm.xml"
virsh -q define "$tap_tmp/nvme-vm.xml" >/dev/null
rc=0
virsh start nvme-vm >"$tap_tmp/start" 2>&1 || rc=$?
is "a domain with <disk type='nvme' managed='no'> starts with the controller on vfio-pci" \
    "0 vfio-pci" "$rc $(drv "$nvme_dev")"
[ "$rc" = 0 ] || sed 's/^/#   /' "$tap_tmp/start"
like "the nested QEMU opened it with its own NVMe driver" "nvme://$nvme_dev/1|driver: nvme" \
    "$(virsh qemu-monitor-command nvme-vm --hmp 'info block' 2>&1)"
virsh destroy nvme-vm >/dev/null 2>&1
wait_driver "$nvme_dev" nvme 20
wait_for 20 test -d "/sys/class/nvme/$(ctrl_of vhspare0)"
is "virsh destroy gives it back to nvme, its namespace back" "nvme yes" \
    "$(drv "$nvme_dev") $(ls /sys/bus/pci/devices/$nvme_dev/nvme/*/ 2>/dev/null | grep -q n1 && echo yes || echo no)"
virsh -q undefine nvme-vm >/dev/null
is "the journal is empty after the NVMe cases" "" "$(ls "$VH_RUNSTATEDIR/vfio-handoff/devices/" 2>/dev/null)"

# ---- the single-GPU host: the boot VGA (bochs-drm, the framebuffer console on its fb0) handed
# to a nested domain with console-handoff=true and back (console-uefi.sh does it again under
# UEFI, where efifb holds the VGA's memory)
console_cycle 0000:00:15.0 /dev/dri/card0

# ---- removing the package: refused while a device is handed off; once it is gone, a start no
# longer runs the hook; purge takes the policy (last: the hook is gone after this)
if [ -e /share/pkg ]; then
    nested remove-vm "$nic"
    rc=0
    virsh start remove-vm >"$tap_tmp/start" 2>&1 || rc=$?
    is "remove-vm starts with the NIC handed off" "0 vfio-pci" "$rc $(drv "$nic")"
    rc=0
    DEBIAN_FRONTEND=noninteractive apt-get remove -y -q vfio-handoff >"$tap_tmp/remove" 2>&1 || rc=$?
    is "apt remove while remove-vm holds the NIC fails (exit 100)" 100 "$rc"
    like "... saying why, naming the device and its domain, with the fix" \
        "vfio-handoff: package: not removed while devices are handed off, as nothing would give them back: $nic to remove-vm \\(fix: shut their domains down" \
        "$(cat "$tap_tmp/remove")"
    is "... and leaves the package and its hook installed" "install ok installed $VH_PKGLIBEXECDIR/vfio-handoff-hook" \
        "$(dpkg-query -W -f='${Status}' vfio-handoff) $(readlink "$VH_HOOKSDIR/qemu.d/50-vfio-handoff")"
    virsh destroy remove-vm >/dev/null 2>&1
    wait_driver "$nic" e1000e 20
    is "virsh destroy after the refused removal gives the NIC back" e1000e "$(drv "$nic")"
    rc=0
    DEBIAN_FRONTEND=noninteractive apt-get remove -y -q vfio-handoff >"$tap_tmp/remove" 2>&1 || rc=$?
    is "apt remove once nothing is handed off succeeds" 0 "$rc"
    [ "$rc" = 0 ] || sed 's/^/#   /' "$tap_tmp/remove"
    is "... the hook is gone from qemu.d, the policy stays until purge" "no yes" \
        "$([ -e "$VH_HOOKSDIR/qemu.d/50-vfio-handoff" ] || [ -L "$VH_HOOKSDIR/qemu.d/50-vfio-handoff" ] && echo yes || echo no) $([ -f /etc/vfio-handoff/vfio-handoff.conf ] && echo yes || echo no)"
    cursor=$(journalctl -n 0 --show-cursor -q | sed -n 's/^-- cursor: //p')
    virsh start remove-vm >"$tap_tmp/start" 2>&1 # QEMU cannot open a NIC left on e1000e
    virsh destroy remove-vm >/dev/null 2>&1
    is "after apt remove a start runs no hook: the NIC stays on e1000e, nothing journaled or logged" \
        "e1000e  0" \
        "$(drv "$nic") $(ls "$VH_RUNSTATEDIR/vfio-handoff/devices/" 2>/dev/null) $(journalctl --after-cursor "$cursor" -q -t vfio-handoff 2>/dev/null | wc -l)"
    virsh -q undefine remove-vm >/dev/null
    rc=0
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q vfio-handoff >"$tap_tmp/remove" 2>&1 || rc=$?
    is "apt purge removes the policy, drop-ins included" "0 no" \
        "$rc $([ -e /etc/vfio-handoff ] && echo yes || echo no)"
fi

# ---- timings of the kernel's own work here (the floor a handoff cannot beat)
t0=$(date +%s%N)
/share/bin/vh-sysfs-sequence /sys /dev "$spare" e1000e >/dev/null
t1=$(date +%s%N)
echo "# timing: the 19-step binding sequence on a real e1000e took $(((t1 - t0) / 1000000)) ms"

done_testing
