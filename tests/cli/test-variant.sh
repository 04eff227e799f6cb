#!/bin/sh
# VFIO variant drivers (mlx5_vfio_pci, ...): the hook hands a device to the one libvirt would
# pick from the kernel's modules.alias, or the one vfio-driver= or <driver model> names; a
# variant that cannot be had refuses the start and changes nothing; the device goes back to its
# own driver at stop. On fake hosts served by the fake kernel (scenario variant.conf).
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

command -v jq >/dev/null 2>&1 || { echo "1..0 # SKIP jq is not installed"; exit 0; }

. "$VH_SRCDIR/tests/cli/fake-host.sh"

cx6=0000:05:00.0 # 15b3:101e: mlx5_vfio_pci (the most specific alias), registered
cx5=0000:06:00.0 # 15b3:1017: only the vendor-wide alias, vendor_vfio_pci, not registered
nic=0000:07:00.0 # 8086:10d3: no variant, vfio-pci
hooklog() { cat "$r/run/vfio-handoff/hook.log" 2>/dev/null; }
# model DOMAINFILE ADDRESS MODEL: gives ADDRESS's hostdev a <driver model='MODEL'/>
model() {
    bus=$(echo "$2" | cut -d: -f2)
    sed "s|<source><address domain='0x0000' bus='0x$bus'|<driver model='$3'/>&|" "$1" >"$1.tmp" && mv "$1.tmp" "$1"
}

# ---- auto: the most specific alias wins; no alias, vfio-pci
host variant
enable "$r" "$cx6"
enable "$r" "$nic"
enable "$r" "$cx5"
domain vm "$cx6" "$nic" >"$tap_tmp/vm.xml"
run "$r" plan --xml "$tap_tmp/vm.xml" --json
is "plan --json names each device's VFIO driver" '{"0000:05:00.0":"mlx5_vfio_pci","0000:07:00.0":"vfio-pci"}' "$(echo "$out" | jq -c .vfio_drivers)"
run "$r" plan --xml "$tap_tmp/vm.xml"
like "plan says why: the variant modules.alias names" "PASS  vfio-driver +$cx6 +handed to mlx5_vfio_pci, the VFIO variant driver the kernel's modules.alias names for it \(as libvirt picks one\)" "$out"
like "... and where none matches, vfio-pci" "PASS  vfio-driver +$nic +handed to vfio-pci, as no VFIO variant driver matches it" "$out"
like "... and its summary names the variant" "hand 2 devices to VFIO \($cx6 to mlx5_vfio_pci, the rest to vfio-pci\) and let vm start" "$out"
run "$r" show "$cx6"
like "show names the VFIO driver and why" "^  VFIO driver: mlx5_vfio_pci, the VFIO variant driver the kernel's modules.alias names for it \(as libvirt picks one\)$" "$out"
run "$r" show "$nic" --json
is "show --json too" vfio-pci "$(echo "$out" | jq -r .device.vfio_driver)"
hook "$r" vm prepare begin "$tap_tmp/vm.xml"
is "the start is let through (exit 0)" "0 " "$rc $err"
is "the ConnectX VF is on mlx5_vfio_pci, the plain NIC on vfio-pci" "mlx5_vfio_pci vfio-pci" "$(drv "$r" "$cx6") $(drv "$r" "$nic")"
is "... with their groups' nodes and their own VFIO cdevs" "yes yes yes" \
    "$([ -e "$r/dev/vfio/5" ] && echo yes) $([ -e "$r/dev/vfio/7" ] && echo yes) $(ls "$r/sys/bus/pci/devices/$cx6/vfio-dev" >/dev/null 2>&1 && echo yes)"
like "the hook's log names the variant" "device=$cx6 step=detach result=ok .*handed to mlx5_vfio_pci from mlx5_core" "$(hooklog)"
run "$r" status --json
is "status shows it on its variant driver" "mlx5_vfio_pci" "$(echo "$out" | jq -r --arg a "$cx6" '.devices[] | select(.address == $a) | .vfio_driver')"
hook "$r" vm release end "$tap_tmp/vm.xml"
is "at stop each goes back to its own driver" "mlx5_core e1000e" "$(drv "$r" "$cx6") $(drv "$r" "$nic")"
is "... the journal empty, the VFIO nodes gone" " no" "$(journal "$r") $([ -e "$r/dev/vfio/5" ] && echo yes || echo no)"

# ---- a variant that is not there refuses the start, and no fallback to vfio-pci
domain vm5 "$cx5" "$nic" >"$tap_tmp/vm5.xml"
before=$(state "$r")
hook "$r" vm5 prepare begin "$tap_tmp/vm5.xml"
is "a variant that is not registered refuses the start (exit 1), saying how to do without it" \
    "1 vfio-handoff: vm5: $cx5: vendor_vfio_pci: not registered in '$r/sys', and a test host loads no modules (fix: list vendor_vfio_pci in drivers= of the fake host's [host])" "$rc $err"
is "... and changes nothing" "$before" "$(state "$r")"
is "... and journals nothing" "" "$(journal "$r")"

# ---- vfio-driver= overrides auto: the way to do without a variant; enable --vfio-driver
# writes it, enabling again keeps it, --replace or auto drops it
dropin=$r/etc/vfio-handoff/conf.d/50-$cx5.conf
run "$r" enable "$cx5" --vfio-driver vfio-pci
is "enable --vfio-driver vfio-pci (exit 0) says what it writes" \
    "0 enabled $cx5 (Mellanox Technologies MT27800 Family [ConnectX-5]) for any domain, identity 15b3:1017:0000:0000 pinned: $dropin
  vfio-driver: handed to vfio-pci at each start" "$rc $out"
is "... and writes vfio-driver= into the drop-in" "vfio-driver=vfio-pci" "$(grep '^vfio-driver=' "$dropin")"
run "$r" enable "$cx5" --json
is "enabling it again keeps vfio-driver= (JSON vfio_driver)" "0 vfio-pci vfio-driver=vfio-pci" \
    "$rc $(echo "$out" | jq -r '.devices[0].details.vfio_driver') $(grep '^vfio-driver=' "$dropin")"
run "$r" enable "$cx5"
like "... and says so" "kept vfio-driver=vfio-pci from its earlier drop-in" "$out"
run "$r" enable "$cx5" --vfio-driver e1000e
is "enable --vfio-driver naming no VFIO driver is a usage error (exit 2), the drop-in as it was" \
    "2 vfio-handoff: --vfio-driver: 'e1000e' is no VFIO driver (fix: give auto, vfio-pci, or a VFIO variant driver such as mlx5_vfio_pci) vfio-driver=vfio-pci" \
    "$rc $err $(grep '^vfio-driver=' "$dropin")"
run "$r" enable "$cx5" --vfio-driver auto --json
is "--vfio-driver auto drops it (JSON null)" "0 null " \
    "$rc $(echo "$out" | jq -r '.devices[0].details.vfio_driver') $(grep '^vfio-driver=' "$dropin")"
run "$r" enable "$cx5" --vfio-driver vfio-pci
run "$r" enable "$cx5" --replace
is "--replace drops it too" "0 " "$rc $(grep '^vfio-driver=' "$dropin")"
run "$r" enable "$cx5" --vfio-driver vfio-pci
hook "$r" vm5 prepare begin "$tap_tmp/vm5.xml"
is "vfio-driver=vfio-pci: the device goes to plain vfio-pci" "0 vfio-pci" "$rc $(drv "$r" "$cx5")"
hook "$r" vm5 release end "$tap_tmp/vm5.xml"
is "... and back to mlx5_core at stop" mlx5_core "$(drv "$r" "$cx5")"
printf 'vfio-driver=e1000e\n' >"$tap_tmp/bad.conf"
sed -i 's/^vfio-driver=vfio-pci$/vfio-driver=e1000e/' "$r/etc/vfio-handoff/conf.d/50-$cx5.conf"
run "$r" policy validate
like "vfio-driver= naming no VFIO driver is a policy error" "50-$cx5.conf:[0-9]+: vfio-driver: 'e1000e' is no VFIO driver \(expected auto, vfio-pci, or a VFIO variant driver such as mlx5_vfio_pci\)" "$err$out"
sed -i '/^vfio-driver=/d' "$r/etc/vfio-handoff/conf.d/50-$cx5.conf"

# ---- <driver model> in the domain: honoured, checked, and must agree with vfio-driver=
domain vm6 "$cx6" >"$tap_tmp/vm6.xml"
model "$tap_tmp/vm6.xml" "$cx6" vfio-pci
hook "$r" vm6 prepare begin "$tap_tmp/vm6.xml"
is "<driver model='vfio-pci'> over the variant modules.alias names" "0 vfio-pci" "$rc $(drv "$r" "$cx6")"
hook "$r" vm6 release end "$tap_tmp/vm6.xml"
domain vm7 "$cx6" >"$tap_tmp/vm7.xml"
model "$tap_tmp/vm7.xml" "$cx6" e1000e
before=$(state "$r")
hook "$r" vm7 prepare begin "$tap_tmp/vm7.xml"
is "<driver model> naming no VFIO driver refuses the start" \
    "1 vfio-handoff: vm7: $cx6: the domain asks for <driver model='e1000e'>, which is no VFIO driver (fix: correct or remove model= of the hostdev's <driver> with 'virsh edit vm7')" "$rc $err"
is "... and changes nothing" "$before" "$(state "$r")"
printf 'vfio-driver=mlx5_vfio_pci\n' >>"$r/etc/vfio-handoff/conf.d/50-$cx6.conf"
hook "$r" vm6 prepare begin "$tap_tmp/vm6.xml"
is "the domain's model and the policy's vfio-driver= disagreeing refuse the start" \
    "1 vfio-handoff: vm6: $cx6: the domain asks for <driver model='vfio-pci'>, and the policy pins vfio-driver=mlx5_vfio_pci (fix: make them agree: correct or remove model= of the hostdev's <driver> with 'virsh edit vm6', or change vfio-driver= in [device $cx6] of $r/etc/vfio-handoff/conf.d/50-$cx6.conf)" "$rc $err"
grammar "... in the message grammar" "$err"

# ---- a variant that fails to bind: rolled back, no fallback
host variant
enable "$r" "$cx6"
enable "$r" "$nic"
printf '[fail]\nprobe=%s\n' "$cx6" >"$r/.fake/faults"
before=$(state "$r")
hook "$r" vm prepare begin "$tap_tmp/vm.xml"
like "a variant that fails to bind refuses the start, with no fallback to vfio-pci" \
    "^1 vfio-handoff: vm: $cx6: " "$rc $err"
is "... everything given back, as it was" "$before" "$(state "$r")"
is "... the journal empty" "" "$(journal "$r")"
rm -f "$r/.fake/faults"

done_testing
