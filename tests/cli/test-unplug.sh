#!/bin/sh
# Unplugged live (virsh detach-device --live): a running domain whose libvirt status no longer
# lists a device it was given is no longer its holder. status says so, another domain's start
# takes the device over, recover gives it back; a status of another QEMU says nothing. On fake
# hosts served by the fake kernel.
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

command -v jq >/dev/null 2>&1 || { echo "1..0 # SKIP jq is not installed"; exit 0; }

. "$VH_SRCDIR/tests/cli/fake-host.sh"

GPU=0000:01:00.0 AUD=0000:01:00.1
field() { sed -n "s/^$2=//p" "$r/run/vfio-handoff/devices/$1"; }
# a fake QEMU, pid PID, running DOMAIN
process() {
    mkdir -p "$r/proc/$1/fd"
    echo "$2" >"$r/proc/$1/comm"
    echo "$1 ($2) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0" >"$r/proc/$1/stat"
    printf '%s\0' qemu-system-x86_64 -name "guest=$3,debug-threads=on" >"$r/proc/$1/cmdline"
}

# ---- the domain runs on without its devices (libvirt's status of it, rewritten at each live
# change, no longer lists them)
status_of() { # DOMAIN PID DEVICE...: libvirt's status file of a running DOMAIN
    d=$1 pid=$2
    shift 2
    { echo "<domstatus state='running' reason='booted' pid='$pid'>"; domain "$d" "$@"; echo "</domstatus>"; } >"$r/run/libvirt/qemu/$d.xml"
}
host gpu-audio
enable "$r" "$GPU"
domain vmA "$GPU" "$AUD" >"$tap_tmp/vmA.xml"
domain vmB "$GPU" "$AUD" >"$tap_tmp/vmB.xml"
process 4242 qemu-system-x86 vmA
start vmA "$tap_tmp/vmA.xml" 4242
status_of vmA 4242 "$GPU" "$AUD"
run "$r" status --json
is "while the domain has them, nothing is unplugged" "false false" "$(echo "$out" | jq -r '[.devices[].unplugged] | join(" ")')"
status_of vmA 9999
run "$r" status --json
is "a status of another QEMU than the record's says nothing of them" "false false" "$(echo "$out" | jq -r '[.devices[].unplugged] | join(" ")')"
status_of vmA 4242
run "$r" status --json
is "unplugged live: status --json says so, and no orphan" "true true false" \
    "$(echo "$out" | jq -r '[.devices[].unplugged] + [.devices[0].orphan] | join(" ")')"
run "$r" status
like "... status says where it was unplugged from" "unplugged from vmA, still on vfio-pci: the domain runs on without it" "$out"
like "... and what to do" "^2 unplugged from a running domain: run vfio-handoff recover to give them back, or start a domain that uses them.$" "$out"
hook "$r" vmB prepare begin "$tap_tmp/vmB.xml"
is "another domain's start takes them over (exit 0), on vfio-pci" "0 vfio-pci vfio-pci" "$rc $(drv "$r" "$GPU") $(drv "$r" "$AUD")"
is "... its records now vmB's, going back to the drivers recorded first" "vmB nouveau" "$(field "$GPU" domain) $(field "$GPU" driver)"
hook "$r" vmB release end "$tap_tmp/vmB.xml"
is "... and vmB's stop gives them back" "nouveau snd_hda_intel " "$(drv "$r" "$GPU") $(drv "$r" "$AUD") $(journal "$r")"
start vmA "$tap_tmp/vmA.xml" 4242
status_of vmA 4242 "$AUD"
run "$r" recover --offline
is "recover gives back the one unplugged (exit 0), keeps the one the domain still has" "0 nouveau vfio-pci $AUD" \
    "$rc $(drv "$r" "$GPU") $(drv "$r" "$AUD") $(journal "$r")"
like "... saying why" "gave $GPU back to nouveau \(domain vmA: it runs on without it: unplugged live\)" "$out"
rm -f "$r/run/libvirt/qemu/vmA.xml"
hook "$r" vmA release end "$tap_tmp/vmA.xml"

done_testing
