#!/bin/sh
# vfio-handoff export nova: the [pci] device_spec and alias lines of nova.conf for the enabled
# devices, checked against Nova's own rules (tests/data/nova/pci.schema.json, written from Nova's
# source) and, where Debian's python3-nova is installed, parsed by Nova itself. Read-only fake
# hosts (no fake kernel needed: nothing is bound).
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

command -v jq >/dev/null 2>&1 || { echo "1..0 # SKIP jq is not installed"; exit 0; }
python3 -c 'import jsonschema' 2>/dev/null ||
    { echo "1..0 # SKIP python3-jsonschema is not installed (packaging/install-deps.sh installs it)"; exit 0; }

build() { # SCENARIO: a read-only fake host in $r
    r=$tap_tmp/export-$1-$tap_n
    "$VH_FAKE_TOOL" build "$scenarios/$1.conf" "$r" >&2 || { echo "Bail out! cannot build $1"; exit 1; }
}
header="# [pci] of nova.conf for this host, from vfio-handoff's policy ('vfio-handoff export
# nova'). Nova gives an instance <hostdev managed='no'> for these devices; the hook
# hands each to VFIO when the instance starts and gives it back when it stops.
[pci]"
# nova_rules: every device_spec and alias of the JSON in $out against Nova's rules, and the text
# export ($1) saying the same; prints "ok" or what is wrong
nova_rules() {
    printf '%s' "$1" >"$tap_tmp/text"
    printf '%s' "$out" | python3 -c '
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(sys.stdin)
text = open(sys.argv[2]).read().splitlines()
problems = []
for kind in ("device_spec", "alias"):
    sub = dict(schema["$defs"][kind], **{"$defs": schema["$defs"]})
    for item in doc[kind]:
        for e in jsonschema.Draft202012Validator(sub).iter_errors(item):
            problems.append(f"{kind} {item}: {e.message}")
    lines = [json.loads(l.split(" = ", 1)[1]) for l in text if l.startswith(kind + " = ")]
    if lines != doc[kind]:
        problems.append(f"the text {kind} lines {lines} are not the JSON {doc[kind]}")
print("\n".join(problems) or "ok")
' "$VH_SRCDIR/tests/data/nova/pci.schema.json" "$tap_tmp/text"
}

# ---- nothing enabled: an empty [pci], said so
build sriov
run "$r" export nova
is "with no device enabled: exit 0, an empty [pci] that says why" "0 $header
# no device is enabled for any domain: none for Nova (vfio-handoff enable DEVICE)" "$rc $out"

# ---- a PF, a VF, and a VF enabled for one domain only (left out, with the fix)
VH_ROOT=$r "$VH_CLI" enable 0000:03:00.1 0000:03:10.0 >/dev/null
VH_ROOT=$r "$VH_CLI" enable 0000:03:10.4 --domain vm1 >/dev/null
run "$r" export nova
is "export nova prints a device_spec for each device enabled for any domain, managed no, and an alias for each kind (exit 0)" \
    "0 $header
device_spec = {\"address\":\"0000:03:00.1\",\"vendor_id\":\"8086\",\"product_id\":\"1521\",\"managed\":\"no\"}
device_spec = {\"address\":\"0000:03:10.0\",\"vendor_id\":\"8086\",\"product_id\":\"1520\",\"managed\":\"no\"}
alias = {\"name\":\"pci-8086-1521\",\"vendor_id\":\"8086\",\"product_id\":\"1521\",\"device_type\":\"type-PF\"}
alias = {\"name\":\"pci-8086-1520\",\"vendor_id\":\"8086\",\"product_id\":\"1520\",\"device_type\":\"type-VF\"}" \
    "$rc $out"
is "... a device enabled only for some domains is left out, with a warning and the fix" \
    "vfio-handoff: warning: 0000:03:10.4: left out: enabled only for 'vm1', and Nova names its domains instance-XXXXXXXX, so the hook would refuse them (fix: run 'vfio-handoff enable 0000:03:10.4 --replace' to enable it for any domain)" \
    "$err"
text=$out
run "$r" export nova --json
is "export nova --json: the same entries (exit 0), the device left out under left_out" \
    "0 0000:03:00.1 0000:03:10.0 | type-PF type-VF | 0000:03:10.4" \
    "$rc $(echo "$out" | jq -r '[.device_spec[].address] | join(" ")') | $(echo "$out" | jq -r '[.alias[].device_type] | join(" ")') | $(echo "$out" | jq -r '[.left_out[].address] | join(" ")')"
is "... each entry keeps Nova's rules, and the text says what the JSON says" ok "$(nova_rules "$text")"

# ---- the tags, for every device and alias
run "$r" export nova --physical-network physnet1 --resource-class CUSTOM_IGB --traits HW_NIC_SRIOV,CUSTOM_LAB
text=$out
is "--physical-network, --resource-class and --traits tag each device_spec (exit 0)" \
    "0 device_spec = {\"address\":\"0000:03:00.1\",\"vendor_id\":\"8086\",\"product_id\":\"1521\",\"managed\":\"no\",\"physical_network\":\"physnet1\",\"resource_class\":\"CUSTOM_IGB\",\"traits\":\"HW_NIC_SRIOV,CUSTOM_LAB\"}" \
    "$rc $(echo "$out" | grep -m 1 '^device_spec')"
is "... and the aliases ask for the class and traits (not the network: a device_spec tag)" \
    "alias = {\"name\":\"pci-8086-1520\",\"vendor_id\":\"8086\",\"product_id\":\"1520\",\"device_type\":\"type-VF\",\"resource_class\":\"CUSTOM_IGB\",\"traits\":\"HW_NIC_SRIOV,CUSTOM_LAB\"}" \
    "$(echo "$out" | grep '^alias' | tail -n 1)"
run "$r" export nova --physical-network physnet1 --resource-class CUSTOM_IGB --traits HW_NIC_SRIOV,CUSTOM_LAB --json
is "... keeping Nova's rules" ok "$(nova_rules "$text")"

# ---- DEVICE selects; --alias names
run "$r" export nova 03:10.0 --alias sriov-vf
is "export nova DEVICE --alias NAME: that device, that alias name (exit 0)" \
    "0 device_spec = {\"address\":\"0000:03:10.0\",\"vendor_id\":\"8086\",\"product_id\":\"1520\",\"managed\":\"no\"}
alias = {\"name\":\"sriov-vf\",\"vendor_id\":\"8086\",\"product_id\":\"1520\",\"device_type\":\"type-VF\"}" \
    "$rc $(echo "$out" | grep -v '^#' | grep -v '^\[pci\]')"
run "$r" export nova --alias igb
is "--alias over two kinds of device fails (exit 1): Nova refuses one alias for a PF and a VF" \
    "1 vfio-handoff: --alias: the devices are of two kinds, type-PF and type-VF, and Nova refuses one alias 'igb' for both (fix: export each kind with an alias of its own: 'vfio-handoff export nova DEVICE... --alias NAME')" \
    "$rc $(echo "$err" | grep -v warning)"
run "$r" export nova 0000:03:00.0
is "a DEVICE not enabled fails (exit 1), with the fix" \
    "1 vfio-handoff: 0000:03:00.0: not enabled for passthrough, so Nova may not have it (fix: run 'vfio-handoff enable 0000:03:00.0' first)" \
    "$rc $err"
grammar "... in the message grammar" "$err"

# ---- usage errors
run "$r" export yaml
is "an unknown format is a usage error (exit 2), naming the one there is" \
    "2 vfio-handoff: export: 'yaml' is no format it knows (fix: run 'vfio-handoff export nova', the only one)" "$rc $err"
run "$r" export
is "no format is a usage error (exit 2)" \
    "2 vfio-handoff: export: needs a format (fix: run 'vfio-handoff export nova', the only one)" "$rc $err"
run "$r" export nova --traits 'A,,B'
is "an empty trait is a usage error (exit 2)" \
    "2 vfio-handoff: --traits: 'A,,B' has an empty trait (fix: separate trait names by single commas, as HW_GPU_API_VULKAN,CUSTOM_FAST)" "$rc $err"
run "$r" export nova --physical-network ''
is "an empty tag is a usage error (exit 2)" \
    "2 vfio-handoff: --physical-network: '' is empty, too long or has a newline (fix: give a name of at most 255 characters on one line)" "$rc $err"

# ---- what the hook refuses is left out: a host-critical device enabled with --force
build default-route
VH_ROOT=$r "$VH_CLI" enable 0000:07:00.0 --force >/dev/null 2>&1
run "$r" export nova --json
is "a device the host depends on, enabled with --force, is left out with the hook's reason" \
    "0 0000:07:00.0 the hook refuses it: host-critical: enp7s0 carries the default route 0" \
    "$rc $(echo "$out" | jq -r '.left_out[0] | "\(.address) \(.reason)"') $(echo "$out" | jq -r '.device_spec | length')"

# ---- two devices of one IOMMU group: a warning, as the hook hands off the group whole
build gpu-audio
VH_ROOT=$r "$VH_CLI" enable 0000:01:00.0 0000:01:00.1 >/dev/null
run "$r" export nova
like "two exported devices of one group are warned about" \
    "^vfio-handoff: warning: 0000:01:00.0: shares IOMMU group 1 with 0000:01:00.1, and the hook hands off the group whole: an instance given one holds both \(fix: ask for both in one flavor, or export one of them\)$" \
    "$err"

# ---- Nova itself, where it is installed (Debian's python3-nova)
build sriov
VH_ROOT=$r "$VH_CLI" enable 0000:03:00.1 0000:03:10.0 >/dev/null
run "$r" export nova --json --physical-network physnet1
if python3 -c 'import nova.pci.devspec, nova.pci.request' 2>/dev/null; then
    is "Nova's own PciDeviceSpec and alias schema take every entry" ok "$(printf '%s' "$out" | python3 -c '
import json, sys, jsonschema
from nova.pci import devspec, request
doc = json.load(sys.stdin)
for spec in doc["device_spec"]:
    devspec.PciDeviceSpec(dict(spec))
for alias in doc["alias"]:
    jsonschema.validate(alias, request._ALIAS_SCHEMA)
print("ok")' 2>&1 | tail -n 1)"
else
    skip "Nova's own parser: python3-nova is not installed (its 200 packages are not the suite's to install; tests/data/nova/pci.schema.json holds Nova's rules)"
fi

done_testing
