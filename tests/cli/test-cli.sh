#!/bin/sh
# The vfio-handoff command as a person and a script use it, on fake hosts.
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

command -v jq >/dev/null 2>&1 || { echo "1..0 # SKIP jq is not installed (packaging/install-deps.sh installs it)"; exit 0; }

# ---- the command itself
rc=0; version=$("$VH_CLI" --version) || rc=$?
is "--version exits 0" 0 "$rc"
like "--version names the program" '^vfio-handoff [0-9]+\.[0-9]+\.[0-9]+$' "$version"
rc=0; "$VH_CLI" >/dev/null 2>"$tap_tmp/err" || rc=$?
is "no command is a usage error" 2 "$rc"
like "no command prints the usage" '^Usage: vfio-handoff COMMAND' "$(cat "$tap_tmp/err")"
rc=0; "$VH_CLI" frob 2>"$tap_tmp/err" || rc=$?
is "an unknown command is a usage error" 2 "$rc"
is "an unknown command is named, with the fix" \
    "vfio-handoff: frob: unknown command (fix: see 'vfio-handoff --help')" "$(cat "$tap_tmp/err")"
for verb in list groups show check "policy validate" plan; do
    rc=0; help=$("$VH_CLI" $verb --help) || rc=$?
    is "$verb --help exits 0" 0 "$rc"
    like "$verb --help shows its usage and --json" "vfio-handoff $verb.*--json" "$(echo $help)"
done
root=$(tree gpu-audio)
run "$root" list --bogus
is "an unknown option is a usage error" 2 "$rc"
like "an unknown option is named" "^vfio-handoff: list: Unknown option --bogus \(fix: see 'vfio-handoff list --help'\)$" "$err"

# ---- list
run "$root" list
is "list exits 0" 0 "$rc"
like "list shows the GPU as passable, with a reset that may not be clean" '^0000:01:00\.0 +10de:2204 +VGA compatible controller +nouveau +1 +bus\? +yes +- +NVIDIA' "$out"
like "list explains the '?' of its RESET column" "^RESET is the reset the kernel tries first: '\\?' may not leave the device clean \\(pm, bus\\), 'none' has no reset\\." "$out"
like "list says why the root port is not passable" '└ PCI bridge: stays with the host' "$out"
run "$root" list --json
is "list --json exits 0" 0 "$rc"
is "list --json has every device" "0000:00:00.0 0000:00:01.0 0000:01:00.0 0000:01:00.1" \
    "$(echo "$out" | jq -r '[.devices[].address] | join(" ")')"
is "list --json gives group, driver and verdict" '1 "nouveau" true' \
    "$(echo "$out" | jq -c '.devices[2] | .iommu_group, .driver, .passable' | tr '\n' ' ' | sed 's/ $//')"
is "list --json gives the reset and whether it is clean" '"bus" "uncertain"' \
    "$(echo "$out" | jq -c '.devices[2] | .reset, .reset_health' | tr '\n' ' ' | sed 's/ $//')"
run "$root" list extra
is "list takes no arguments" 2 "$rc"

# ---- show
run "$root" show 01:00.0
is "show exits 0" 0 "$rc"
like "show names the companion function" 'companions: +0000:01:00\.1 \(snd_hda_intel\)' "$out"
like "show gives the group and its viability" 'IOMMU group: 1, 3 devices, not viable now' "$out"
like "show says the bus reset may not be clean" '^  reset: +bus \(may not reset cleanly: some devices, GPUs above all, do not come back from a power-state or bus reset; vfio-handoff gives one back only if it answers\)$' "$out"
run "$root" show 10de:1aef --json
is "show accepts a unique vendor:device ID" '"0000:01:00.1"' "$(echo "$out" | jq '.device.address')"
is "show --json lists the companions" '["0000:01:00.0"]' "$(echo "$out" | jq -c '[.device.companions[].address]')"
run "$root" show 0000:09:00.0
is "show of a missing device fails" 1 "$rc"
is "show of a missing device says what to run" \
    "vfio-handoff: 0000:09:00.0: no PCI device at this address (fix: pick one from 'vfio-handoff list')" "$err"
run "$root" show 0000:01:00
is "show of a malformed address is a usage error (exit 2)" 2 "$rc"
is "show of a malformed address names it, with the fix" "vfio-handoff: 0000:01:00: not a device (fix: give a PCI address like 0000:01:00.0 or 01:00.0, or an ID like 10de:2204, as 'vfio-handoff list' shows them)" "$err"
run "$root" show
is "show without a device is a usage error" 2 "$rc"
run "$(tree twin-gpus)" show 10de:2204
is "show of an ambiguous ID fails" 1 "$rc"
is "show of an ambiguous ID lists the matches" \
    "vfio-handoff: 10de:2204: this ID matches 2 devices, 0000:01:00.0, 0000:02:00.0 (fix: name one by its address, e.g. 0000:01:00.0)" "$err"
run "$(tree boot-nvme)" show 0000:03:00.0
like "show explains a group shared with the boot disk" \
    'shares IOMMU group 2 with host-critical 0000:02:00\.0 \(/dev/mapper/vg0-root is mounted at /\)' "$out"
run "$(tree usb-disk)" show 00:14.0 --json
is "show --json marks the USB boot controller host-critical" '"host-critical: /dev/sda1 is mounted at /" "choose another device: the host needs this one"' \
    "$(echo "$out" | jq -c '.device.reasons[0] | .reason, .fix' | paste -sd' ')"
run "$(tree default-route)" show 04:00.0
like "show marks the default-route NIC host-critical" 'host-critical: eno1 carries the default route \(through br0\)' "$out"

# ---- groups
run "$root" groups
is "groups exits 0" 0 "$rc"
like "groups shows group 1 with its bridge and endpoints" \
    'group 1: 3 devices, not viable for vfio now' "$out"
run "$root" groups --json
is "groups --json names the blockers" '["0000:01:00.0","0000:01:00.1"]' \
    "$(echo "$out" | jq -c '.groups[] | select(.group == 1) | .blockers')"
run "$(tree no-iommu)" groups
is "groups without an IOMMU fails" 1 "$rc"
is "groups without an IOMMU says so with the fix" \
    "vfio-handoff: $(tree no-iommu)/sys/kernel/iommu_groups: the kernel publishes no IOMMU groups, the IOMMU is off (fix: run 'vfio-handoff check')" "$err"

# ---- check
run "$root" check
is "check on a ready host exits 0" 0 "$rc"
like "check reports the IOMMU groups" '^PASS +iommu-enabled +the IOMMU is on: 2 IOMMU groups$' "$out"
run "$(tree no-iommu)" check
is "check without an IOMMU exits 1" 1 "$rc"
fails=$(echo "$out" | grep -c '^FAIL' || true)
fixed=$(echo "$out" | grep '^FAIL' | grep -c '(fix: .*)$' || true)
is "check without an IOMMU fails five items" 5 "$fails"
is "every failed item carries its fix on its line" "$fails" "$fixed"
run "$(tree no-iommu)" check --json
is "check --json says passthrough is impossible" "false" "$(echo "$out" | jq '.passthrough_possible')"

# ---- policy validate
proot=$tap_tmp/policy-host
mkdir -p "$proot/etc/vfio-handoff/conf.d"
run "$proot" policy validate
is "policy validate with no files exits 0" 0 "$rc"
like "policy validate says the defaults apply" 'no policy files in .*: the defaults apply and no device is enabled' "$out"
cp "$VH_SRCDIR/tests/data/policy/every-key.conf" "$proot/etc/vfio-handoff/vfio-handoff.conf"
chmod 644 "$proot/etc/vfio-handoff/vfio-handoff.conf"
run "$proot" policy validate
is "policy validate of a file with every key exits 0" 0 "$rc"
is "policy validate counts the enabled devices" "policy: valid (1 file, 2 devices enabled)" "$out"
cp "$VH_SRCDIR/tests/data/policy/bad-unit.conf" "$proot/etc/vfio-handoff/conf.d/50-bad.conf"
chmod 644 "$proot/etc/vfio-handoff/conf.d/50-bad.conf"
run "$proot" policy validate
is "policy validate with mistakes exits 1" 1 "$rc"
like "policy validate names file and line" "/conf.d/50-bad.conf:2: memory-reserve: invalid size '1X'" "$out"
run "$proot" policy validate --json
is "policy validate --json lists the problems" 5 "$(echo "$out" | jq '.problems | length')"
run "$proot" policy validate "$VH_SRCDIR/tests/data/policy/unknown-key.conf"
is "policy validate FILE checks that file alone" 1 "$rc"
run "$proot" policy
is "policy without a subcommand is a usage error" 2 "$rc"

# ---- enable and disable
eroot=$(tree boot-nvme)
dropins=$eroot/etc/vfio-handoff/conf.d
run "$eroot" enable 0000:02:00.0
is "enable refuses the boot NVMe" 1 "$rc"
is "enable names why: the root filesystem" \
    "vfio-handoff: 0000:02:00.0: host-critical: /dev/mapper/vg0-root is mounted at / (fix: choose another device: the host needs this one, or pass --force to enable it anyway)" "$err"
run "$eroot" enable 0000:03:00.0
is "enable refuses a device sharing a group with the boot NVMe" \
    "vfio-handoff: 0000:03:00.0: shares IOMMU group 2 with host-critical 0000:02:00.0 (/dev/mapper/vg0-root is mounted at /) (fix: choose another device: the host needs this one, or pass --force to enable it anyway)" "$err"
run "$(tree usb-disk)" enable 0000:00:14.0
is "enable refuses the USB controller holding the mounted disk" \
    "vfio-handoff: 0000:00:14.0: host-critical: /dev/sda1 is mounted at / (fix: choose another device: the host needs this one, or pass --force to enable it anyway)" "$(echo "$err" | head -n 1)"
run "$(tree default-route)" enable 0000:04:00.0
is "enable refuses the default-route NIC" \
    "vfio-handoff: 0000:04:00.0: host-critical: eno1 carries the default route (through br0) (fix: choose another device: the host needs this one, or pass --force to enable it anyway)" "$err"
run "$eroot" enable 0000:00:1d.0
is "enable refuses a bridge, even a critical one" 1 "$rc"
sroot=$(tree sriov)
run "$sroot" enable 0000:03:00.0 --force
is "enable refuses an SR-IOV PF with VFs enabled, even with --force, naming the VFs" \
    "1 vfio-handoff: 0000:03:00.0: SR-IOV PF with 2 VFs enabled (0000:03:10.0, 0000:03:10.4): handing it off would remove them (fix: pass one of its VFs, or set sriov_numvfs to 0 first)" "$rc $err"
run "$sroot" enable 0000:03:10.4
is "... and enables one of its VFs" 0 "$rc"
like "enable says which VF of which PF it pinned" \
    "identity 8086:1520:0000:0000 \(VF 1 of 0000:03:00.0\) pinned: " "$out"
is "a VF's drop-in pins which VF of which PF it is" \
    "identity=8086:1520:0000:0000|vf-of=0000:03:00.0|vf-index=1|pf-identity=8086:1521:0000:0000" \
    "$(grep -E '^(identity|vf-|pf-)' "$sroot/etc/vfio-handoff/conf.d/50-0000:03:10.4.conf" | paste -sd'|')"
run "$sroot" show 0000:03:10.4 --json
is "show --json gives a VF's pin" '{"of":"0000:03:00.0","index":1,"pf_identity":"8086:1521:0000:0000"} true' \
    "$(echo "$out" | jq -c '.device.policy.vf, .device.policy.identity_matches' | paste -sd' ')"
printf "<domain type='kvm'><name>vf-vm</name><memory unit='GiB'>1</memory><memoryBacking><locked/></memoryBacking><devices><interface type='hostdev'><source><address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x4'/></source></interface></devices></domain>\n" >"$tap_tmp/vf-vm.xml"
run "$sroot" plan --xml "$tap_tmp/vf-vm.xml"
like "plan passes the VF as pinned" "PASS +identity +0000:03:10.4 +holds 8086:1520:0000:0000, VF 1 of 0000:03:00.0, as pinned" "$out"
# the PF's VF count changed and 03:10.4 is its VF 0 now: all its VFs share one identity, so
# only which VF it is tells the renumbering
pf_dir=$(readlink -f "$sroot/sys/bus/pci/devices/0000:03:00.0")
vf0=$(readlink "$pf_dir/virtfn0")
ln -sfn "$(readlink "$pf_dir/virtfn1")" "$pf_dir/virtfn0"
ln -sfn "$vf0" "$pf_dir/virtfn1"
run "$sroot" plan --xml "$tap_tmp/vf-vm.xml"
is "plan refuses a VF renumbered since it was pinned, with the fix" \
    "1 0000:03:10.4  is now VF 0 of 0000:03:00.0, pinned as VF 1 of 0000:03:00.0: the VFs were renumbered (their count changed) (fix: check which VF the domain should have, then pin it again: run 'vfio-handoff enable 0000:03:10.4')" \
    "$rc $(echo "$out" | sed -n 's/^ *FAIL *identity *//p')"
run "$sroot" show 0000:03:10.4
like "show says the VF was renumbered" \
    "identity: +8086:1520:0000:0000 pinned as VF 1 of 0000:03:00.0, but it is now VF 0 of 0000:03:00.0, pinned as VF 1 of 0000:03:00.0: the VFs were renumbered \(their count changed\): the hook refuses it until it is enabled again" "$out"
sed -i '/^vf-index=/d' "$sroot/etc/vfio-handoff/conf.d/50-0000:03:10.4.conf"
run "$sroot" policy validate
like "policy validate refuses half a VF pin" \
    "50-0000:03:10.4.conf:[0-9]+: .*vf-of, vf-index and pf-identity go together \(fix: 'vfio-handoff enable' writes the three for a VF\)" "$out$err"
run "$eroot" enable 0000:04:00.0 0000:02:00.0
is "enable writes nothing when one device is refused" "" "$(ls "$dropins" 2>/dev/null)"
run "$eroot" enable 0000:04:00.0 --domain win11 --domain ml-box
is "enable of a free NVMe exits 0" 0 "$rc"
like "enable says what it wrote" "^enabled 0000:04:00.0 \(.*\) for win11, ml-box, identity 144d:a808:144d:a801 pinned: .*/conf.d/50-0000:04:00.0.conf$" "$out"
is "the drop-in holds the device, its domains and its identity" \
    "[device 0000:04:00.0]|enabled=true|domains=win11;ml-box|identity=144d:a808:144d:a801" \
    "$(grep -v '^#' "$dropins/50-0000:04:00.0.conf" | paste -sd'|')"
is "the drop-in is the only file there (no temporary left)" "50-0000:04:00.0.conf" "$(ls -A "$dropins")"
is "the drop-in is not writable by others" "644" "$(stat -c %a "$dropins/50-0000:04:00.0.conf")"
run "$eroot" policy validate
is "the policy stays valid after enable" 0 "$rc"
if [ -n "${STRACE:-}" ] && "$STRACE" -f -o /dev/null true 2>/dev/null; then
    VH_ROOT=$eroot "$STRACE" -f -qq -e trace=rename,renameat,renameat2 -o "$tap_tmp/rename.log" \
        "$VH_CLI" enable 0000:04:00.0 >/dev/null 2>&1
    like "enable replaces the drop-in atomically (rename of a temporary)" \
        'rename.*conf\.d/\.50-0000:04:00\.0\.conf\.[A-Za-z0-9]{6}".*"[^"]*conf\.d/50-0000:04:00\.0\.conf"' "$(cat "$tap_tmp/rename.log")"
else
    skip "strace is not usable here"
fi
run "$eroot" enable --force 0000:02:00.0
is "enable --force enables the boot NVMe" 0 "$rc"
like "enable --force warns what it means" "^vfio-handoff: warning: 0000:02:00.0: host-critical: /dev/mapper/vg0-root is mounted at /; it is enabled, but the hook refuses to hand it off while the host depends on it \(fix: end the host's use of it first; 'vfio-handoff show 0000:02:00.0' says what it is\)$" "$err"
run "$eroot" disable 0000:02:00.0 0000:04:00.0
is "disable exits 0" 0 "$rc"
is "disable removes the drop-ins" "" "$(ls -A "$dropins")"
run "$eroot" disable 0000:04:00.0
is "disable of a device not enabled is a no-op" "0000:04:00.0 was not enabled by vfio-handoff enable: nothing to do" "$out"
run "$eroot" enable 0000:09:00.0
is "enable of a missing device fails" "vfio-handoff: 0000:09:00.0: no PCI device at this address (fix: pick one from 'vfio-handoff list')" "$err"

# ---- plan
proot=$(tree gpu-audio)
snapshot() {
    (cd "$1" && find . -path ./.fake -prune -o -printf '%p %y %l %m %s\n' | sort && find . -path ./.fake -prune -o -type f -print0 | sort -z | xargs -0 cat | md5sum)
}
run "$proot" plan --xml "$VH_SRCDIR/tests/data/domain/gpu.xml"
is "plan refuses a domain whose device is not enabled" 1 "$rc"
like "plan gives the refusal with its fix" "^  vfio-handoff: gpu-vm: 0000:01:00.0: not enabled for passthrough \(fix: run 'vfio-handoff enable 0000:01:00.0'\)$" "$out"
grammar "... in the message grammar, as the hook says it" "$(echo "$out" | sed -n "s/^  \(vfio-handoff: .*\)$/\1/p")"
run "$proot" enable 01:00.0
before=$(snapshot "$proot")
run "$proot" plan --xml "$VH_SRCDIR/tests/data/domain/gpu.xml"
after=$(snapshot "$proot")
is "plan allows the enabled GPU" 0 "$rc"
is "plan prints every check, passing" 16 "$(echo "$out" | grep -c '^  PASS ')"
is "plan prints the exact sysfs writes in order" "$(cat <<STEPS
   1. write 'vfio-pci' to $proot/sys/bus/pci/devices/0000:01:00.0/driver_override
   2. write '0000:01:00.0' to $proot/sys/bus/pci/drivers/nouveau/unbind
   3. verify $proot/sys/bus/pci/devices/0000:01:00.0/driver is gone
   4. write '0000:01:00.0' to $proot/sys/bus/pci/drivers_probe
   5. verify $proot/sys/bus/pci/devices/0000:01:00.0/driver -> vfio-pci
   6. verify $proot/dev/vfio/1 exists
   7. write 'vfio-pci' to $proot/sys/bus/pci/devices/0000:01:00.1/driver_override
   8. write '0000:01:00.1' to $proot/sys/bus/pci/drivers/snd_hda_intel/unbind
   9. verify $proot/sys/bus/pci/devices/0000:01:00.1/driver is gone
  10. write '0000:01:00.1' to $proot/sys/bus/pci/drivers_probe
  11. verify $proot/sys/bus/pci/devices/0000:01:00.1/driver -> vfio-pci
  12. verify $proot/dev/vfio/1 exists
STEPS
)" "$(echo "$out" | grep -E '^ +[0-9]+\. ')"
is "plan changes nothing on the host (tree snapshot before and after)" "$before" "$after"
run "$proot" plan --xml "$VH_SRCDIR/tests/data/domain/gpu.xml" --json
is "plan --json lists the handoff" '["0000:01:00.0","0000:01:00.1"]' "$(echo "$out" | jq -c '.handoff')"
is "plan --json lists the steps" 12 "$(echo "$out" | jq '.steps | length')"
run "$proot" plan other --xml "$VH_SRCDIR/tests/data/domain/gpu.xml"
is "plan refuses a name that is not the file's domain" "vfio-handoff: $VH_SRCDIR/tests/data/domain/gpu.xml: defines domain 'gpu-vm', not 'other' (fix: name the domain the file defines)" "$err"
echo '<domain><name>x</name><devices><hostdev mode="subsystem" type="pci"><source><address bus="0x100" slot="0" function="0"/></source></hostdev></devices></domain>' >"$tap_tmp/bad.xml"
run "$proot" plan --xml "$tap_tmp/bad.xml"
is "plan names a bad hostdev address" "vfio-handoff: $tap_tmp/bad.xml: hostdev[1]: invalid PCI address bus='0x100', at most 0xff (fix: correct the domain definition, e.g. with 'virsh edit DOMAIN')" "$err"
run "$proot" plan
is "plan without a domain is a usage error" 2 "$rc"
run "$proot" plan -c test:///default test
is "plan reads a domain from libvirt (the test driver)" 0 "$rc"
like "plan says when the hook has nothing to do" "^test has no PCI <hostdev managed='no'>: the hook leaves its start alone\.$" "$out"
run "$proot" plan -c test:///default no-such-domain
is "plan names a domain libvirt does not know" "vfio-handoff: no-such-domain: no such domain in libvirt (fix: pick one from 'virsh list --all')" "$err"

# ---- the policy view in list and show
vroot=$(tree twin-gpus)
run "$vroot" enable 0000:01:00.0 --domain win11
run "$vroot" list
like "list shows the enabled device" '^0000:01:00\.0 .* yes +yes +NVIDIA' "$out"
like "list shows a device that is not enabled" '^0000:02:00\.0 .* yes +- +NVIDIA' "$out"
run "$vroot" show 0000:01:00.0 --json
is "show --json gives the policy: enabled, domains, identity, match" \
    '{"enabled":true,"domains":["win11"],"identity":"10de:2204:0000:0000","identity_matches":true}' \
    "$(echo "$out" | jq -c '.device.policy | {enabled, domains, identity, identity_matches}')"
sed -i 's/^identity=.*/identity=10de:2206:0000:0000/' "$vroot/etc/vfio-handoff/conf.d/50-0000:01:00.0.conf"
run "$vroot" show 0000:01:00.0
like "show warns when the hardware no longer matches the pinned identity" \
    'identity: +pinned 10de:2206:0000:0000, but the device is 10de:2204:0000:0000: the hook refuses it until it is enabled again' "$out"
run "$vroot" show 0000:02:00.0
like "show says how to enable a device" "policy: +not enabled for passthrough \(fix: run 'vfio-handoff enable 0000:02:00.0'\)" "$out"

# ---- add / remove on libvirt's test driver (each run starts from tests/data/libvirt/node.xml)
aroot=$(tree gpu-audio)
node="test://$VH_SRCDIR/tests/data/libvirt/node.xml"
run "$aroot" disable 0000:01:00.0 # plan enabled it above
run "$aroot" add -c "$node" win11 0000:01:00.0
is "add refuses a device that is not enabled" \
    "vfio-handoff: win11: 0000:01:00.0: not enabled for passthrough (fix: run 'vfio-handoff enable 0000:01:00.0')" "$err"
grammar "... in the message grammar" "$err"
is "add refusing exits 1" 1 "$rc"
run "$aroot" enable 0000:01:00.0
before=$(snapshot "$aroot")
run "$aroot" add -c "$node" win11 0000:01:00.0 --dry-run
is "add --dry-run exits 0" 0 "$rc"
is "add --dry-run prints the unified diff (golden file)" \
    "$(cat "$VH_SRCDIR/tests/data/golden/add-dry-run.diff")" "$out"
virsh -c "$node" dumpxml --inactive win11 >"$tap_tmp/win11.xml" 2>/dev/null
if [ -s "$tap_tmp/win11.xml" ] && command -v patch >/dev/null; then
    printf '%s\n' "$out" >"$tap_tmp/add.diff"
    rc=0
    patch -s "$tap_tmp/win11.xml" "$tap_tmp/add.diff" || rc=$?
    is "the --dry-run diff applies to virsh dumpxml's output" 0 "$rc"
    rc=0
    VH_ROOT=$aroot "$VH_CLI" plan --xml "$tap_tmp/win11.xml" >"$tap_tmp/plan" || rc=$?
    is "the domain as add leaves it passes the hook's checks (plan)" 0 "$rc"
else
    skip "virsh or patch missing: cannot apply the diff"
    skip "virsh or patch missing: cannot plan the patched domain"
fi
run "$aroot" add -c "$node" win11 10de:2204
is "add defines the change" 0 "$rc"
like "add says what it changed" "^  added <hostdev managed='no'> for 0000:01:00.1 as guest 0000:02:00.1\$" "$out"
like "add says what happens at start" "^When win11 starts, the hook hands its devices to vfio-pci" "$out"
is "add and its dry run change nothing on the host" "$before" "$(snapshot "$aroot")"
run "$aroot" add -c "$node" running 0000:01:00.0
is "add refuses a running domain, naming how to stop it" \
    "vfio-handoff: running: is running, and its definition alone would not change what it has now (fix: pass --persistent to hot-plug now and in its definition, --live for now only; or run 'virsh shutdown running', then add again)" "$err"
run "$aroot" add -c "$node" ghost 0000:01:00.0
is "add names an unknown domain" "vfio-handoff: ghost: no such domain in libvirt (fix: pick one from 'virsh list --all')" "$err"
run "$aroot" add -c "$node" win11
is "add without a device is a usage error" 2 "$rc"
run "$aroot" add -c "test:///nonexistent/node.xml" win11 0000:01:00.0
like "add names a connection it cannot open, and the fix" "^vfio-handoff: libvirt at test:///nonexistent/node.xml: cannot connect, .* \(fix: start its daemon, 'systemctl start libvirtd' or 'systemctl start virtqemud', or name a running one with -c URI, e.g. -c qemu:///system\)$" "$err"
run "$aroot" remove -c "$node" win11 0000:01:00.0
is "remove of a device that is not there changes nothing" \
    "vfio-handoff: 0000:01:00.0 is not in win11: nothing to remove" "$err"
is "remove says it has nothing to change" "Nothing to change in win11." "$out"
run "$aroot" remove -c "$node" win11 --all 0000:01:00.0
is "remove with both --all and devices is a usage error" 2 "$rc"
run "$aroot" remove -c "$node" win11 --all
is "remove --all of a domain vfio-handoff never changed" \
    "vfio-handoff: vfio-handoff added no devices to win11: nothing to remove" "$err"
run "$aroot" add --help
like "add --help explains the verb" "Add PCI devices to a domain's persistent definition, or with --live hot-plug them into it while it runs" "$out"

# ---- completion (the hidden `complete` verb, and the bash script over it)
run "$aroot" complete re
is "complete offers the verbs by prefix" "remove reattach recover" "$(echo $out)"
run "$aroot" complete show 0000:01:00.
is "complete offers the host's devices" "0000:01:00.0 0000:01:00.1" "$(echo $out)"
run "$aroot" complete add -c "$node" ""
is "complete offers shut-off domains to add" "nas win11" "$(echo "$out" | sort | xargs)"
run "$aroot" complete plan --connect="$node" w
is "complete offers domains to plan, with the URI given" "win11" "$out"
run "$aroot" complete policy ""
is "complete offers policy's subcommand" "validate" "$out"
# every verb's options, as complete knows them, are the ones its --help lists
for verb in check list groups show enable disable add remove status detach reattach recover plan policy; do
    run "$aroot" complete "$verb" --
    known=$(echo "$out" | grep -v '^--help$' | sort | xargs)
    if [ "$verb" = policy ]; then run "$aroot" policy validate --help; else run "$aroot" "$verb" --help; fi
    helped=$(echo "$out" | sed -n 's/^  \(-[a-zA-Z], \)\{0,1\}\(--[a-z-]*\).*/\2/p' | grep -v '^--help$' | sort | xargs)
    is "complete knows exactly the options of $verb --help" "$helped" "$known"
done
if [ -r /usr/share/bash-completion/bash_completion ]; then
    comp() { # the COMPREPLY of the bash script for a command line (as typed, cursor at the end)
        VH_ROOT=$aroot PATH="$(dirname "$VH_CLI"):$PATH" bash -c '
            . /usr/share/bash-completion/bash_completion
            . "$0"
            COMP_LINE=$1 COMP_POINT=${#1}
            read -ra COMP_WORDS <<<"$1"
            case $1 in *" ") COMP_WORDS+=("") ;; esac
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            _vfio_handoff
            echo "${COMPREPLY[*]}"' "$VH_SRCDIR/packaging/bash-completion/vfio-handoff" "$1"
    }
    is "bash completes a verb" "enable" "$(comp "vfio-handoff ena")"
    is "bash completes an address after its colons" "00.0 00.1" "$(comp "vfio-handoff show 0000:01:00.")"
    is "bash completes options" "--dry-run" "$(comp "vfio-handoff add --d")"
else
    skip "bash-completion is not installed: the script is not tried"
fi

# ---- check on this machine (read-only; production roots)
rc=0
"$VH_CLI" check >"$tap_tmp/out" 2>&1 || rc=$?
if [ -z "$(ls -A /sys/kernel/iommu_groups 2>/dev/null)" ]; then
    is "check on this host (no IOMMU) exits 1" 1 "$rc"
    fails=$(grep -c '^FAIL' "$tap_tmp/out" || true)
    fixed=$(grep '^FAIL' "$tap_tmp/out" | grep -c '(fix: .*)$' || true)
    like "check on this host fails the IOMMU items" '^FAIL +iommu-enabled' "$(cat "$tap_tmp/out")"
    is "check on this host gives one fix per failed item" "$fails" "$fixed"
else
    is "check on this host (IOMMU on) exits by its items" \
        "$(grep -q '^FAIL' "$tap_tmp/out" && echo 1 || echo 0)" "$rc"
fi

# ---- one fix prefix in the whole tree: every fix is "(fix: ...)"
others=$(grep -nE "\((see|run|try): " "$VH_SRCDIR"/lib/*/*.c "$VH_SRCDIR"/policy/*.c "$VH_SRCDIR"/hook/*.c "$VH_SRCDIR"/cli/*.c || true)
is "no message in lib, policy, hook or cli uses another fix prefix than 'fix:'" "" "$others"

done_testing
