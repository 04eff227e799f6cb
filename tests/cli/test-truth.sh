#!/bin/sh
# One truth (issue "One truth"): list, show, groups, check and plan give the answer the hook's
# evaluation gives, policy included; a fix is offered only where following it works. On fake
# hosts (no fake kernel needed: nothing here moves a device).
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

command -v jq >/dev/null 2>&1 || { echo "1..0 # SKIP jq is not installed"; exit 0; }
. "$VH_SRCDIR/tests/cli/fake-host.sh"
# a fake host served by the fake kernel first: a build without it (--without-fuse) skips the
# whole test here, with the reason, as the other tests that need it do
host gpu-audio

# fresh NAME: a new fake host of scenario NAME in $r (not in a command substitution)
fresh_n=0
fresh() {
    fresh_n=$((fresh_n + 1))
    r=$tap_tmp/$1-$fresh_n
    "$VH_FAKE_TOOL" build "$scenarios/$1.conf" "$r" >&2 || { echo "Bail out! cannot build $1"; exit 1; }
}
# policy_file ROOT NAME TEXT: a conf.d file as root writes it (0644)
policy_file() {
    printf '%s\n' "$3" >"$1/etc/vfio-handoff/conf.d/$2"
    chmod 644 "$1/etc/vfio-handoff/conf.d/$2"
}

# ---- 1. a console-handoff GPU: the inventory says what the hook does
GPU=0000:03:00.0 AUD=0000:03:00.1
fresh single-gpu
run "$r" list
like "list: the console GPU is not passable before console-handoff" "^$GPU .* no +- " "$out"
run "$r" show "$GPU"
like "show: its reason's fix is --console-handoff" "fix: run 'vfio-handoff enable --console-handoff $GPU'" "$out"
unlike "show: no plain 'enable' fix where enable refuses" "not enabled for passthrough \(fix" "$out"
run "$r" enable --console-handoff "$GPU"
is "enable --console-handoff (exit 0)" 0 "$rc"
run "$r" list
is "list exits 0" 0 "$rc"
like "list: the console GPU is passable and enabled once console-handoff is set" "^$GPU .* yes +yes " "$out"
unlike "list: no reason under it" "└ host-critical: boot VGA" "$out"
run "$r" show "$GPU"
like "show: passable, as the hook sees it" "passable: +yes: the hook hands it off" "$out"
like "show: says the console is released" "console-handoff: released at each start and restored at each stop \(host-critical: boot VGA" "$out"
run "$r" show "$GPU" --json
is "show --json: passable, enabled, no reasons, the console note" 'true true 0 1' \
    "$(echo "$out" | jq -c '.device | .passable, .enabled, (.reasons | length), (.notes | length)' | paste -sd' ')"
run "$r" groups
like "groups: the console GPU is passable" "^  $GPU .* yes " "$out"
printf '<domain type="kvm"><name>sg</name><memory unit="GiB">2</memory><memoryBacking><locked/></memoryBacking><devices><hostdev mode="subsystem" type="pci" managed="no"><source><address domain="0x0000" bus="0x03" slot="0x00" function="0x0"/></source></hostdev></devices></domain>\n' >"$tap_tmp/sg.xml"
run "$r" plan --xml "$tap_tmp/sg.xml"
is "plan agrees: the start is allowed (exit 0)" 0 "$rc"

# ---- 1. a broken policy: check, show and list say every start is refused
fresh gpu-audio
run "$r" enable 01:00.0
policy_file "$r" 60-bad.conf "[host]
memory-reserve=1X"
run "$r" check
is "check fails on a broken policy (exit 1)" 1 "$rc"
like "check has a policy item with file:line and its fix" \
    "^FAIL +policy +1 error, so the hook refuses every start; the first: .*/conf.d/60-bad.conf:2: memory-reserve: invalid size '1X' .*\(fix: correct it, then run 'vfio-handoff policy validate'\)$" "$out"
run "$r" check --json
is "check --json: the policy item fails" '"fail"' "$(echo "$out" | jq '.checks[] | select(.id == "policy") | .status')"
run "$r" show 01:00.0
like "show: not passable, for the broken policy" "passable: +no: the hook refuses it" "$out"
like "show: names the file and line" "host: the policy has errors, the first: .*60-bad.conf:2" "$out"
run "$r" list
like "list: the enabled GPU is not passable" "^0000:01:00.0 .* no +yes " "$out"
like "list: says once why no device can go" "^No device can be passed now: host: the policy has errors" "$out"
run "$r" plan --xml "$VH_SRCDIR/tests/data/domain/gpu.xml"
like "plan agrees: policy-valid fails" "FAIL +policy-valid" "$out"
rm "$r/etc/vfio-handoff/conf.d/60-bad.conf"
run "$r" check
like "check: the policy item passes once it is mended" "^PASS +policy +[0-9]+ files? read, no errors; 1 device section enabled$" "$out"

# ---- 1. enable is the fix only where enable works
fresh boot-nvme
for d in 0000:00:00.0 0000:00:1c.0 0000:02:00.0; do
    run "$r" show "$d"
    unlike "show $d: no 'enable' fix (enable refuses it)" "fix: run 'vfio-handoff enable $d'" "$out"
    run "$r" enable "$d"
    is "enable $d is refused indeed (exit 1)" 1 "$rc"
done
run "$r" show 0000:04:00.0
like "show of a free device: enable is its fix" "not enabled for passthrough \(fix: run 'vfio-handoff enable 0000:04:00.0'\)" "$out"
like "show of a free device: passable once enabled" "passable: +once enabled" "$out"
run "$r" show 0000:04:00.0 --json
is "show --json: the not-enabled reason carries the enable fix" '"not enabled for passthrough" "run '"'"'vfio-handoff enable 0000:04:00.0'"'"'"' \
    "$(echo "$out" | jq -c '.device.reasons[0] | .reason, .fix' | paste -sd' ')"
run "$r" show 0000:02:00.0 --json
is "show --json: the root disk's controller has no enable fix" 'null' \
    "$(echo "$out" | jq -c '.device.reasons[] | select(.id == "device-enabled") | .fix')"

# ---- check on a virtual machine: the fix is its hypervisor's, not a firmware setup
printf '[host]\nvirtual=QEMU\niommu=none\ninterrupt-remapping=false\nlibvirt=false\ndrivers=\n[device 0000:00:00.0]\nid=8086:29c0\nclass=0x060000\n' >"$tap_tmp/guest.conf"
r=$tap_tmp/guest
"$VH_FAKE_TOOL" build "$tap_tmp/guest.conf" "$r" >&2
run "$r" check
is "check in a guest exits 1" 1 "$rc"
like "check says the host is a VM" "^PASS +host-kind +a virtual machine \(the CPU's hypervisor flag; DMI system vendor QEMU\)" "$out"
like "check in a guest: the IOMMU fix is the hypervisor's" "^FAIL +iommu-firmware .*\(fix: this host is a virtual machine: give it a virtual IOMMU" "$out"
unlike "check in a guest: no firmware setup advice" "firmware setup" "$out"
fresh no-iommu
run "$r" check
like "check on a physical host keeps the firmware fix" "^FAIL +iommu-firmware .*fix: enable VT-d in the firmware setup" "$out"
like "check on a physical host says so" "^PASS +host-kind +a physical machine" "$out"

# ---- 2. enable --domain adds, never silently replaces
node="test://$VH_SRCDIR/tests/data/libvirt/node.xml"
fresh gpu-audio
drop=$r/etc/vfio-handoff/conf.d/50-0000:01:00.0.conf
run "$r" enable 01:00.0 --domain nas -c "$node"
is "enable --domain nas (exit 0, nothing on stderr)" "0 " "$rc $err"
run "$r" add -c "$node" --dry-run win11 01:00.0
is "add for another domain is refused (exit 1)" 1 "$rc"
like "add's fix adds win11 to the domains" "\(fix: run 'vfio-handoff enable 0000:01:00.0 --domain win11'\)" "$err"
run "$r" enable 0000:01:00.0 --domain win11 -c "$node"
is "following add's fix works (exit 0)" 0 "$rc"
like "it says nas was kept" "kept the domains it allowed, 'nas' from its earlier drop-in" "$out"
is "the drop-in allows both" "domains=nas;win11" "$(grep '^domains=' "$drop")"
run "$r" show 01:00.0
like "show lists both domains" "domains: +only nas, win11" "$out"
run "$r" enable 01:00.0
is "enable again without --domain (a new pin) keeps the domains" "domains=nas;win11" "$(grep '^domains=' "$drop")"
run "$r" enable 01:00.0 --replace --domain win11
is "--replace writes only what is given" "domains=win11" "$(grep '^domains=' "$drop")"
run "$r" enable 01:00.0 --replace
is "--replace without --domain: any domain" "" "$(grep '^domains=' "$drop")"
cp "$drop" "$tap_tmp/before"
run "$r" enable 01:00.0 --domain nas
is "--domain on a device any domain may use is refused (exit 1)" 1 "$rc"
grammar "the refusal is one line in the grammar" "$err"
like "the refusal names --replace" "already enabled for any domain, and --domain would narrow that to 'nas' \(fix: run 'vfio-handoff enable 0000:01:00.0 --replace --domain nas' to allow only these\)" "$err"
is "the refusal wrote nothing" "" "$(cmp "$tap_tmp/before" "$drop")"
run "$r" enable 01:00.0 --domain 'bad name/x'
is "a name libvirt refuses is refused (exit 2)" 2 "$rc"
like "it says why" "'bad name/x': invalid domain name \(fix: give a libvirt domain's name, without '/', ';' or newlines\)" "$err"
run "$r" enable 01:00.0 --replace --domain nosuchvm -c "$node"
is "a domain libvirt does not know: enabled (exit 0)" 0 "$rc"
is "... with a warning" "vfio-handoff: warning: nosuchvm: libvirt knows no such domain yet; the device is enabled for it all the same (fix: check the name with 'virsh list --all')" "$err"
fresh single-gpu
run "$r" enable --console-handoff "$GPU"
run "$r" enable "$GPU"
is "enabling the console GPU again keeps console-handoff (exit 0)" 0 "$rc"
is "... in the drop-in" "console-handoff=true" "$(grep '^console-handoff' "$r/etc/vfio-handoff/conf.d/50-$GPU.conf")"

# ---- enable and disable --dry-run: what would be written or removed, with the text; nothing
# changes (Ansible's check mode and diff are made of these)
fresh gpu-audio
drop=$r/etc/vfio-handoff/conf.d/50-0000:01:00.0.conf
run "$r" enable 01:00.0 --domain nas --dry-run
is "enable --dry-run says what it would write, with the drop-in's text (exit 0)" \
    "0 would enable 0000:01:00.0 (NVIDIA Corporation GA102 [GeForce RTX 3090]) for nas, identity 10de:2204:1458:403b pinned: $drop
  | [device 0000:01:00.0]
  | enabled=true
  | domains=nas
  | identity=10de:2204:1458:403b
  its IOMMU group companion 0000:01:00.1 (snd_hda_intel) will be handed off with it" \
    "$rc $(echo "$out" | grep -v '^  | #')"
is "... and writes nothing" "no" "$([ -e "$drop" ] && echo yes || echo no)"
run "$r" enable 01:00.0 --domain nas --dry-run --json
is "... its JSON: outcome would-enable, the text as written" "would-enable [device 0000:01:00.0]" \
    "$(echo "$out" | jq -r '.devices[0] | "\(.outcome) \(.details.text)"' | sed -n '1s/ #.*//p;3p' | xargs)"
run "$r" enable 01:00.0 --domain nas
before=$(cat "$drop")
run "$r" disable 01:00.0 --dry-run --json
is "disable --dry-run --json: would-disable, with the text it would remove (exit 0)" "0 would-disable yes" \
    "$rc $(echo "$out" | jq -r '.devices[0].outcome') $([ "$(echo "$out" | jq -r '.devices[0].details.text')" = "$before" ] && echo yes)"
is "... and removes nothing" "$before" "$(cat "$drop")"
run "$r" disable 01:00.0 --dry-run
is "disable --dry-run in words" "0 would disable 0000:01:00.0: would remove $drop" "$rc $out"

# ---- 6. a default route in another routing table (policy routing) protects its NIC too
fresh default-route
run "$r" show 08:00.0
like "show: the NIC of table 100's default route is host-critical" \
    "host-critical: enp8s0 carries the default route" "$out"
run "$r" enable 08:00.0
is "enable refuses it (exit 1)" 1 "$rc"
grammar "... in the message grammar" "$err"

# ---- 6. mountinfo through libmount: a mount point with a space (the kernel writes \040)
cat >"$tap_tmp/spaced.conf" <<'CONF'
[host]
modules=vfio;vfio_iommu_type1;pci/vfio-pci
[device 0000:05:00.0]
id=1912:0014
class=0x0c0330
driver=xhci_hcd
group=7
[block sdb]
device=0000:05:00.0
path=usb2/2-1/2-1:1.0/host0/target0:0:0/0:0:0:0
dev=8:16
partitions=sdb1=8:17
[mount /media/usb stick]
source=/dev/sdb1
CONF
r=$tap_tmp/spaced
"$VH_FAKE_TOOL" build "$tap_tmp/spaced.conf" "$r" >&2
like "the fake mountinfo escapes the space" '/media/usb\\040stick' "$(cat "$r/proc/self/mountinfo")"
run "$r" show 05:00.0
like "show: the controller of a disk mounted at a path with a space is host-critical, the path as it is" \
    "host-critical: /dev/sdb1 is mounted at /media/usb stick$" "$out"

# ---- 5. tables as the tools next to it print them
fresh boot-nvme
run "$r" list
like "list cuts no name short (the class 'Non-Volatile memory controller')" \
    "^0000:02:00.0 +144d:a808 +Non-Volatile memory controller +nvme " "$out"
like "list: the reason on a line below the row (UTF-8)" "^ +└ host-critical: /dev/mapper/vg0-root is mounted at /" "$out"
rc=0
out=$(LC_ALL=C VH_ROOT=$r "$VH_CLI" list) || rc=$?
like "list in the C locale: ASCII below the row" "^ +\`- host-critical: /dev/mapper/vg0-root is mounted at /" "$out"
unlike "... and no '└'" "└" "$out"
run "$r" list --wide --no-legend
is "list --wide: one line per device" \
    "$(VH_ROOT=$r "$VH_CLI" list --json | jq '.devices | length')" "$(echo "$out" | grep -c .)"
like "list --wide: the reason in the WHY column" \
    "^0000:02:00.0 .* SM981/PM981/PM983 +host-critical: /dev/mapper/vg0-root is mounted at / \(\+1 more\)$" "$out"
run "$r" list --wide
like "list --wide: WHY in the header" "^ADDRESS .* NAME +WHY$" "$out"
run "$r" list --no-legend
unlike "list --no-legend: no header line" "^ADDRESS" "$out"
unlike "list --no-legend: no notes below" "^Every reason" "$out"
run "$r" check -q
is "check -q on a ready host: nothing printed (exit 0)" "0 " "$rc $out"
fresh no-iommu
run "$r" check --quiet
is "check --quiet on a host without an IOMMU: nothing printed (exit 1)" "1 " "$rc $out"

# ---- 2. disable of a device a domain holds warns that its next start is refused
host gpu-audio
enable "$r" 0000:01:00.0
domain sg 0000:01:00.0 >"$tap_tmp/sg-ga.xml"
hook "$r" sg prepare begin "$tap_tmp/sg-ga.xml"
is "the hook hands it to sg (exit 0)" 0 "$rc"
run "$r" disable 01:00.0
is "disable of a held device (exit 0)" 0 "$rc"
is "... warns that sg keeps it, and that its next start is refused" \
    "vfio-handoff: warning: 0000:01:00.0: the domain 'sg' holds it now and keeps it until it stops, but its next start is refused (fix: run 'vfio-handoff enable 0000:01:00.0 --domain sg' to allow it again)" "$err"
run "$r" enable 0000:01:00.0 --domain sg
is "following the fix works (exit 0)" 0 "$rc"
run "$r" status --no-legend
is "status --no-legend: the rows alone" "0000:01:00.0 0000:01:00.1" "$(echo "$out" | awk '{print $1}' | xargs)"

done_testing
