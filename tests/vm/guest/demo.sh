#!/bin/sh
# make demo: the whole workflow, narrated, in the VM test bed's guest (a real kernel with an
# emulated IOMMU, Debian 12's libvirtd), run by vh-guest-runner in place of run-tests.sh. It
# installs the .deb with apt and prints each command and its output as a user would see them;
# then one TAP case per step that did not do what it should, and a plan line.
set -u
. /share/paths.env
export VH_CLI=vfio-handoff VH_FAKE_TOOL=/share/bin/vh-fake VH_SRCDIR=/share/src
. /share/src/tests/cli/tap.sh
. /share/src/tests/vm/guest/guest-lib.sh
export LIBVIRT_DEFAULT_URI=qemu:///system

# say LINE...: narration, a paragraph
say() {
    echo
    for line in "$@"; do echo "# $line"; done
}
# step EXIT COMMAND...: prints "$ COMMAND" and its output; a step whose exit status is not EXIT
# (or "any") fails the demo
step() {
    want=$1
    shift
    printf '$ %s\n' "$*"
    rc=0
    sh -c "$*" 2>&1 || rc=$?
    if [ "$want" != any ] && [ "$rc" != "$want" ]; then
        printf '(exit %s, expected %s)\n' "$rc" "$want"
        echo "$* (exit $rc, expected $want)" >>"$tap_tmp/failed-steps"
    fi
}

guest_host_setup >/dev/null 2>&1
systemctl start libvirtd
nic=$(child_of 0000:00:11.0)
cp /share/pkg/*.deb /root/
deb=$(basename /share/pkg/*.deb)
plain_domain_xml demo-vm
cp "$tap_tmp/demo-vm.xml" /root/demo-vm.xml
cd /root || exit 1
export DEBIAN_FRONTEND=noninteractive

say "A Debian 12 host (a QEMU guest with an emulated Intel IOMMU) with libvirt running, its root" \
    "on virtio-blk ($root_dev), its default route on $route_if, a USB disk mounted, a framebuffer" \
    "console, and a spare e1000e NIC at $nic. Install vfio-handoff from its package:"
step 0 "apt-get install -y -q ./$deb 2>&1 | grep -E '^(Unpacking|Setting up) vfio-handoff'"
say "Can this host do passthrough?"
step 0 "vfio-handoff check"
say "Which devices could a VM have? (the host's own disk, route NIC, USB disk and console cannot)"
step 0 "vfio-handoff list"
step 0 "vfio-handoff show $nic"
say "Enable the NIC for passthrough (the host-level switch: a policy file, nothing moves yet):"
step 0 "vfio-handoff enable $nic --domain demo-vm"
say "A shut-off domain, defined by the administrator as usual:"
step 0 "virsh define demo-vm.xml"
say "Add the NIC to it (libvirt's API: a managed='no' hostdev, locked memory, recorded in <metadata>):"
step 0 "vfio-handoff add demo-vm $nic"
say "What the hook will check and write when demo-vm starts:"
step 0 "vfio-handoff plan demo-vm"
say "Start it: libvirt runs the hook, which hands the NIC to vfio-pci:"
step 0 "virsh start demo-vm"
step 0 "vfio-handoff status"
step 0 "lspci -k -s $nic | grep 'in use'"
say "What the hook logged (one journal entry per step, with VH_* fields):"
step 0 "journalctl -t vfio-handoff -o cat VH_DOMAIN=demo-vm"
step 0 "journalctl -t vfio-handoff -o verbose VH_STEP=detach | grep -E '^ +(VH_[A-Z_]+|MESSAGE)='"
say "Stop it: the hook gives the NIC back to e1000e:"
step 0 "virsh destroy demo-vm"
wait_driver "$nic" e1000e 20
step 0 "vfio-handoff status"
step 0 "lspci -k -s $nic | grep 'in use'"
say "The host's own disk controller ($root_dev holds /) is refused, with the reason:"
step 1 "vfio-handoff enable $root_dev"
step 1 "vfio-handoff add demo-vm $root_dev"
# a crash libvirt does not recover from by itself: systemd would restart libvirtd at once, and
# its reconnect would find QEMU gone and run the hook's release
mkdir -p /run/systemd/system/libvirtd.service.d
printf '[Service]\nRestart=no\n' >/run/systemd/system/libvirtd.service.d/demo-no-restart.conf
systemctl daemon-reload
say "A crash: the VM runs, then libvirtd and QEMU are killed (kill -9) and libvirtd stays down," \
    "so the hook's release never runs and the NIC is left on vfio-pci:"
step 0 "virsh start demo-vm"
step 0 "kill -9 \$(systemctl show -p MainPID --value libvirtd) \$(cat /run/libvirt/qemu/demo-vm.pid)"
sleep 1
step 0 "vfio-handoff status"
say "recover gives back every device whose domain is gone (--offline: libvirt is down):"
step 0 "vfio-handoff recover --offline"
step 0 "vfio-handoff status"
step 0 "lspci -k -s $nic | grep 'in use'"
rm -f /run/systemd/system/libvirtd.service.d/demo-no-restart.conf
systemctl daemon-reload
step 0 "systemctl start libvirtd"
say "Done with passthrough for this VM: remove undoes add, disable undoes enable:"
step 0 "vfio-handoff remove demo-vm --all"
step 0 "vfio-handoff disable $nic"
printf '\n'

if [ -s "$tap_tmp/failed-steps" ]; then
    not_ok "every step of the demo did what it should" "$(cat "$tap_tmp/failed-steps")"
else
    ok "every step of the demo did what it should"
fi
is "the NIC ends on e1000e, the journal empty" "e1000e " "$(drv "$nic") $(ls "$VH_RUNSTATEDIR/vfio-handoff/devices/" 2>/dev/null)"
done_testing
