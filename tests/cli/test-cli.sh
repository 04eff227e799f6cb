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
    "vfio-handoff: unknown command 'frob' (see: vfio-handoff --help)" "$(cat "$tap_tmp/err")"
for verb in list groups show check "policy validate"; do
    rc=0; help=$("$VH_CLI" $verb --help) || rc=$?
    is "$verb --help exits 0" 0 "$rc"
    like "$verb --help shows its usage and --json" "vfio-handoff $verb.*--json" "$(echo $help)"
done
root=$(tree gpu-audio)
run "$root" list --bogus
is "an unknown option is a usage error" 2 "$rc"
like "an unknown option is named" "^vfio-handoff: Unknown option --bogus \(see: vfio-handoff list --help\)$" "$err"

# ---- list
run "$root" list
is "list exits 0" 0 "$rc"
like "list shows the GPU as passable" '^0000:01:00\.0 +10de:2204 +VGA compatible controller +nouveau +1 +yes +NVIDIA' "$out"
like "list says why the root port is not passable" '└ PCI bridge: stays with the host' "$out"
run "$root" list --json
is "list --json exits 0" 0 "$rc"
is "list --json has every device" "0000:00:00.0 0000:00:01.0 0000:01:00.0 0000:01:00.1" \
    "$(echo "$out" | jq -r '[.devices[].address] | join(" ")')"
is "list --json gives group, driver and verdict" '1 "nouveau" true' \
    "$(echo "$out" | jq -c '.devices[2] | .iommu_group, .driver, .passable' | tr '\n' ' ' | sed 's/ $//')"
run "$root" list extra
is "list takes no arguments" 2 "$rc"

# ---- show
run "$root" show 01:00.0
is "show exits 0" 0 "$rc"
like "show names the companion function" 'companions: +0000:01:00\.1 \(snd_hda_intel\)' "$out"
like "show gives the group and its viability" 'IOMMU group: 1, 3 devices, not viable now' "$out"
run "$root" show 10de:1aef --json
is "show accepts a unique vendor:device ID" '"0000:01:00.1"' "$(echo "$out" | jq '.address')"
is "show --json lists the companions" '["0000:01:00.0"]' "$(echo "$out" | jq -c '[.companions[].address]')"
run "$root" show 0000:09:00.0
is "show of a missing device fails" 1 "$rc"
is "show of a missing device says what to run" \
    "vfio-handoff: no PCI device at '0000:09:00.0' (see: vfio-handoff list)" "$err"
run "$root" show 0000:01:00
is "show of a malformed address fails" 1 "$rc"
like "show of a malformed address names it" "^vfio-handoff: invalid device '0000:01:00' \(expected" "$err"
run "$root" show
is "show without a device is a usage error" 2 "$rc"
run "$(tree twin-gpus)" show 10de:2204
is "show of an ambiguous ID fails" 1 "$rc"
is "show of an ambiguous ID lists the matches" \
    "vfio-handoff: ID '10de:2204' matches 2 devices (0000:01:00.0, 0000:02:00.0): name one by its address" "$err"
run "$(tree boot-nvme)" show 0000:03:00.0
like "show explains a group shared with the boot disk" \
    'shares IOMMU group 2 with host-critical 0000:02:00\.0 \(/dev/mapper/vg0-root is mounted at /\)' "$out"
run "$(tree usb-disk)" show 00:14.0 --json
is "show --json marks the USB boot controller host-critical" '"host-critical: /dev/sda1 is mounted at /"' \
    "$(echo "$out" | jq '.reasons[0].text')"
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
    "vfio-handoff: the kernel publishes no IOMMU groups: the IOMMU is off (run: vfio-handoff check)" "$err"

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
is "policy validate --json lists the issues" 5 "$(echo "$out" | jq '.issues | length')"
run "$proot" policy validate "$VH_SRCDIR/tests/data/policy/unknown-key.conf"
is "policy validate FILE checks that file alone" 1 "$rc"
run "$proot" policy
is "policy without a subcommand is a usage error" 2 "$rc"

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

done_testing
