#!/bin/sh
# The libvirt hook, driven as libvirt drives it (argv DOMAIN OP SUBOP -, the domain XML on
# stdin) on fake hosts served by the fake kernel (a FUSE filesystem with the kernel's binding
# semantics), so every sysfs write really happens and is checked by reading back.
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

command -v jq >/dev/null 2>&1 || { echo "1..0 # SKIP jq is not installed"; exit 0; }

. "$VH_SRCDIR/tests/cli/fake-host.sh"

# ---- start and stop of a GPU with its HDMI audio function
host gpu-audio
enable "$r" 0000:01:00.0
domain gpu-vm 0000:01:00.0 >"$tap_tmp/gpu.xml"
hook "$r" gpu-vm prepare begin "$tap_tmp/gpu.xml"
is "prepare hands the GPU off (exit 0)" 0 "$rc"
is "prepare writes nothing on stdout" "" "$out"
is "the GPU is on vfio-pci" vfio-pci "$(drv "$r" 0000:01:00.0)"
is "its audio companion is on vfio-pci too" vfio-pci "$(drv "$r" 0000:01:00.1)"
is "/dev/vfio/1 exists" yes "$([ -e "$r/dev/vfio/1" ] && echo yes)"
is "the journal holds both" "0000:01:00.0 0000:01:00.1" "$(journal "$r")"
mkdir -p "$r/run/libvirt/qemu" "$r/proc/4242" && echo 4242 >"$r/run/libvirt/qemu/gpu-vm.pid"
hook "$r" gpu-vm started begin "$tap_tmp/gpu.xml"
is "started records the QEMU pid" "qemu-pid=4242" "$(grep qemu-pid "$r/run/vfio-handoff/devices/0000:01:00.0")"
hook "$r" gpu-vm release end "$tap_tmp/gpu.xml"
is "release exits 0" 0 "$rc"
is "release writes nothing on stdout" "" "$out"
is "the GPU is back on nouveau" nouveau "$(drv "$r" 0000:01:00.0)"
is "the audio function is back on snd_hda_intel" snd_hda_intel "$(drv "$r" 0000:01:00.1)"
is "driver_override is clear again" "(null) (null)" "$(ovr "$r" 0000:01:00.0) $(ovr "$r" 0000:01:00.1)"
is "the journal is empty" "" "$(journal "$r")"
is "/dev/vfio/1 is gone" no "$([ -e "$r/dev/vfio/1" ] && echo yes || echo no)"
hook "$r" gpu-vm release end "$tap_tmp/gpu.xml"
is "release a second time is a no-op (exit 0)" 0 "$rc"

# ---- refusals: one line on stderr, exit 1, nothing changed
refusal() { # DESC ROOT DOMAIN XML EXPECTED
    before=$(state "$2")
    hook "$2" "$3" prepare begin "$4"
    is "refused: $1 (exit 1)" 1 "$rc"
    is "refused: $1 (the reason)" "$5" "$err"
    grammar "refused: $1 (the message grammar)" "$err"
    is "refused: $1 (nothing changed)" "$before" "$(state "$2")"
    hook "$2" "$3" release end "$4"
    is "refused: $1 (release after the failed prepare is a no-op)" "0 $before" "$rc $(state "$2")"
}
host gpu-audio
refusal "a device not enabled" "$r" gpu-vm "$tap_tmp/gpu.xml" \
    "vfio-handoff: gpu-vm: 0000:01:00.0: not enabled for passthrough (fix: run 'vfio-handoff enable 0000:01:00.0')"
VH_ROOT=$r "$VH_CLI" enable 0000:01:00.0 --domain win11 >/dev/null
refusal "a domain not allowed" "$r" gpu-vm "$tap_tmp/gpu.xml" \
    "vfio-handoff: gpu-vm: 0000:01:00.0: may be used only by 'win11', not by 'gpu-vm' (fix: run 'vfio-handoff enable 0000:01:00.0 --domain gpu-vm')"
VH_ROOT=$r "$VH_CLI" enable --replace 0000:01:00.0 >/dev/null
sed 's/<memoryBacking><locked\/><\/memoryBacking>//' "$tap_tmp/gpu.xml" >"$tap_tmp/unlocked.xml"
refusal "memory not locked" "$r" gpu-vm "$tap_tmp/unlocked.xml" \
    "vfio-handoff: gpu-vm: does not lock its memory, and lock-memory=required (fix: lock its memory: 'vfio-handoff add gpu-vm DEVICE' does it, as does <memoryBacking><locked/></memoryBacking> added with 'virsh edit gpu-vm', or --memorybacking locked=on given to virt-install; or set lock-memory=off in [host] of the policy, which leaves it to libvirt)"
sed -i 's/^identity=.*/identity=10de:2206:1458:403b/' "$r/etc/vfio-handoff/conf.d/50-0000:01:00.0.conf"
refusal "hardware changed" "$r" gpu-vm "$tap_tmp/gpu.xml" \
    "vfio-handoff: gpu-vm: 0000:01:00.0: now holds 10de:2204:1458:403b, not the pinned 10de:2206:1458:403b: the hardware changed (fix: check the hardware, then pin it again: run 'vfio-handoff enable 0000:01:00.0')"
host boot-nvme
VH_ROOT=$r "$VH_CLI" enable --force 0000:02:00.0 >/dev/null 2>&1
domain nvme-vm 0000:02:00.0 >"$tap_tmp/nvme.xml"
refusal "the boot disk" "$r" nvme-vm "$tap_tmp/nvme.xml" \
    "vfio-handoff: nvme-vm: 0000:02:00.0: host-critical: /dev/mapper/vg0-root is mounted at / (fix: choose another device: the host needs this one)"

# ---- a failure at the 3rd of 4 devices: everything taken is given back
host twin-gpus
enable "$r" 0000:01:00.0
enable "$r" 0000:02:00.0
domain twin-vm 0000:01:00.0 0000:02:00.0 >"$tap_tmp/twin.xml"
before=$(state "$r")
printf '[fail]\nprobe=0000:02:00.0\n' >"$r/.fake/faults"
hook "$r" twin-vm prepare begin "$tap_tmp/twin.xml"
is "a device the kernel refuses fails the start (exit 1)" 1 "$rc"
is "the refusal names the device and the kernel's error" \
    "vfio-handoff: twin-vm: 0000:02:00.0: $r/sys/bus/pci/drivers_probe: writing '0000:02:00.0' failed, Invalid argument (fix: see the kernel log, 'journalctl -k', for what failed)" "$err"
grammar "... in the message grammar" "$err"
is "the devices already handed off are given back" "$before" "$(state "$r")"
is "the journal is empty after the rollback" "" "$(journal "$r")"
rm -f "$r/.fake/faults"

# ---- plan prints the writer's own steps: the writes prepare makes, one for one
host twin-gpus
enable "$r" 0000:01:00.0
enable "$r" 0000:02:00.0
domain four-vm 0000:01:00.0 0000:01:00.1 0000:02:00.0 0000:02:00.1 >"$tap_tmp/four.xml"
run "$r" plan --xml "$tap_tmp/four.xml" --json
is "plan allows the 4-device domain" 0 "$rc"
# the kernel sees each path with its links resolved (bus/pci/devices/X -> devices/pci.../X)
rr=$(readlink -f "$r")
echo "$out" | jq -r '.steps[] | select(.action == "write") | "\(.path) \(.value)"' |
    while read -r path value; do
        printf '%s %s\n' "$(readlink -f "$path" | sed "s|^$rr/||")" "$value"
    done >"$tap_tmp/planned"
rm -f "$r/.fake/writes"
hook "$r" four-vm prepare begin "$tap_tmp/four.xml"
is "prepare hands off the 4 devices" "0 vfio-pci vfio-pci vfio-pci vfio-pci" \
    "$rc $(drv "$r" 0000:01:00.0) $(drv "$r" 0000:01:00.1) $(drv "$r" 0000:02:00.0) $(drv "$r" 0000:02:00.1)"
is "plan lists as many writes as prepare made" "$(wc -l <"$r/.fake/writes")" "$(wc -l <"$tap_tmp/planned")"
# the devices are detached in parallel: compare each device's writes, in their order
for d in 0000:01:00.0 0000:01:00.1 0000:02:00.0 0000:02:00.1; do
    is "plan's writes for $d are prepare's, in order" "$(grep -F "$d" "$r/.fake/writes")" \
        "$(grep -F "$d" "$tap_tmp/planned")"
done
like "... and they are the whole handoff (override, unbind, probe per device)" \
    "^12$" "$(wc -l <"$tap_tmp/planned" | tr -d ' ')"

# ---- an unbind that hangs in the kernel: the hook gives up after step-timeout (1 s)
host gpu-audio
enable "$r" 0000:01:00.0
printf '[hang]\nunbind=0000:01:00.1\n' >"$r/.fake/faults"
t0=$(date +%s%N)
hook "$r" gpu-vm prepare begin "$tap_tmp/gpu.xml"
t1=$(date +%s%N)
is "a hanging unbind fails the start (exit 1)" 1 "$rc"
like "the refusal says the kernel is stuck" "^vfio-handoff: gpu-vm: 0000:01:00.1: .*/drivers/snd_hda_intel/unbind: writing '0000:01:00.1' did not finish in 1000 ms, the kernel is stuck on it \\(fix: .*\\)$" "$err"
ms=$(((t1 - t0) / 1000000))
if [ "$ms" -lt 2000 ]; then ok "the hook returned within step-timeout + 1 s ($ms ms)"; else not_ok "the hook returned within step-timeout + 1 s" "took $ms ms"; fi
is "the stuck device stays in the journal for recover" "state=stuck" "$(grep '^state=' "$r/run/vfio-handoff/devices/0000:01:00.1")"
is "the other device was given back" nouveau "$(drv "$r" 0000:01:00.0)"
rm -f "$r/.fake/faults"

# ---- two domains racing for one device: exactly one wins
host gpu-audio
enable "$r" 0000:01:00.0
domain vm-a 0000:01:00.0 >"$tap_tmp/a.xml"
domain vm-b 0000:01:00.0 >"$tap_tmp/b.xml"
(VH_ROOT=$r "$VH_HOOK" vm-a prepare begin - <"$tap_tmp/a.xml" 2>"$tap_tmp/err-a"; echo $? >"$tap_tmp/rc-a") &
(VH_ROOT=$r "$VH_HOOK" vm-b prepare begin - <"$tap_tmp/b.xml" 2>"$tap_tmp/err-b"; echo $? >"$tap_tmp/rc-b") &
wait_for_rc() { n=0; while [ ! -s "$1" ] && [ $n -lt 500 ]; do sleep 0.02; n=$((n + 1)); done; }
wait_for_rc "$tap_tmp/rc-a"
wait_for_rc "$tap_tmp/rc-b"
is "exactly one of two racing starts succeeds" "0 1" "$(cat "$tap_tmp/rc-a" "$tap_tmp/rc-b" | sort | tr '\n' ' ' | sed 's/ $//')"
like "the loser is told who holds the device" \
    "^vfio-handoff: vm-[ab]: 0000:01:00.0: held by the domain 'vm-[ab]', which is starting \\(journal\\)" \
    "$(cat "$tap_tmp/err-a" "$tap_tmp/err-b")"
grammar "... in the message grammar" "$(cat "$tap_tmp/err-a" "$tap_tmp/err-b")"
winner=vm-a
[ "$(cat "$tap_tmp/rc-b")" = 0 ] && winner=vm-b
# the winner's QEMU ran as pid 31337 and died without a release: a stale holder
mkdir -p "$r/run/libvirt/qemu" && echo 31337 >"$r/run/libvirt/qemu/$winner.pid"
hook "$r" "$winner" started begin "$tap_tmp/a.xml"
domain vm-c 0000:01:00.0 >"$tap_tmp/c.xml"
hook "$r" vm-c prepare begin "$tap_tmp/c.xml"
is "a stale holder (QEMU gone) is taken over" 0 "$rc"
is "the journal now names the new domain" "domain=vm-c" "$(grep '^domain=' "$r/run/vfio-handoff/devices/0000:01:00.0")"
is "it keeps the driver to give back to" "driver=nouveau" "$(grep '^driver=' "$r/run/vfio-handoff/devices/0000:01:00.0")"
hook "$r" vm-c release end "$tap_tmp/c.xml"
is "the taken-over device goes back to its driver" "nouveau snd_hda_intel" "$(drv "$r" 0000:01:00.0) $(drv "$r" 0000:01:00.1)"

# ---- migrate, restore, reconnect, and ops that are none of the hook's business
host gpu-audio
enable "$r" 0000:01:00.0
hook "$r" gpu-vm prepare begin "$tap_tmp/gpu.xml"
hook "$r" gpu-vm migrate begin "$tap_tmp/gpu.xml"
is "migrate of a domain with handed-off devices is refused" 1 "$rc"
is "the refusal says why and how to allow it" \
    "vfio-handoff: gpu-vm: migration: refused, the 2 PCI devices handed off to it cannot move with it (fix: set refuse-migration=false in [host] to allow it)" "$err"
grammar "... in the message grammar" "$err"
hook "$r" gpu-vm2 restore begin "$tap_tmp/gpu.xml"
is "restore of a saved state naming a device is refused, and claims no handoff" \
    "1 vfio-handoff: gpu-vm2: restoring a saved state: refused, it names 1 PCI device that vfio-handoff hands off (managed='no'), which cannot move with it (fix: set refuse-migration=false in [host] to allow it)" "$rc $err"
grammar "... in the message grammar" "$err"
: >"$r/run/vfio-handoff/hook.log"
hook "$r" gpu-vm3 migrate begin "$tap_tmp/gpu.xml"
is "an incoming migration of a definition that only names devices is let in (an offline one moves no device)" "0 " "$rc $err"
like "... and the log says a start here hands it off" \
    "op=migrate device=- step=check result=ok duration_ms=[0-9.]*: migration: its definition names 1 PCI device that vfio-handoff hands off: none is handed off now, and a start here hands it off by this host's policy" \
    "$(cat "$r/run/vfio-handoff/hook.log")"
is "... and nothing is handed off" "" "$(journal "$r" | tr ' ' '\n' | xargs -r -I@ grep -l '^domain=gpu-vm3$' "$r/run/vfio-handoff/devices/@")"
for op in "reconnect begin" "start begin" "stopped end" "restore end" "attach begin"; do
    # shellcheck disable=SC2086
    hook "$r" gpu-vm $op "$tap_tmp/gpu.xml"
    is "$op exits 0 and writes nothing on stdout" "0 " "$rc $out"
done
: >"$r/run/vfio-handoff/hook.log"
hook "$r" gpu-vm release end "$tap_tmp/gpu.xml" destroyed
is "release with libvirt's shutoff reason (10.5 and later) exits 0" "0 " "$rc $out"
like "... and its log says why the domain stopped" \
    "op=release device=- step=give-back result=ok duration_ms=[0-9.]*: 2 devices back on their drivers; the domain was destroyed \('virsh destroy'\)" \
    "$(cat "$r/run/vfio-handoff/hook.log")"
hook "$r" gpu-vm release end "$tap_tmp/gpu.xml" "power cut"
like "... a reason of a later libvirt is logged as it is" \
    "nothing to give back; the domain stopped \(libvirt says 'power cut'\)" "$(cat "$r/run/vfio-handoff/hook.log")"

# ---- after a crash: status shows the orphans, recover gives them back
host gpu-audio
enable "$r" 0000:01:00.0
hook "$r" gpu-vm prepare begin "$tap_tmp/gpu.xml"
mkdir -p "$r/run/libvirt/qemu" && echo 777 >"$r/run/libvirt/qemu/gpu-vm.pid"
hook "$r" gpu-vm started begin "$tap_tmp/gpu.xml"
# QEMU (pid 777) died and the daemon never ran release: the devices stay on vfio-pci
run "$r" status --json
is "status --json (golden file, times left out)" "$(cat "$VH_SRCDIR/tests/data/golden/status.json")" \
    "$(echo "$out" | jq -c 'del(.devices[].since)')"
like "status --json: since is an RFC 3339 time with its zone" \
    '^"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})"$' "$(echo "$out" | jq '.devices[0].since')"
run "$r" status --brief
is "status --brief: a line per device handed off, ADDRESS DOMAIN (exit 0)" \
    "0 0000:01:00.0 gpu-vm|0000:01:00.1 gpu-vm" "$rc $(echo "$out" | paste -sd'|')"
rc=0
VH_ROOT=$r sh "$VH_REMOVAL_CHECK" >"$tap_tmp/out" 2>"$tap_tmp/err" || rc=$?
is "the package's removal check refuses while devices are handed off, naming them (exit 1)" \
    "1 vfio-handoff: package: not removed while devices are handed off, as nothing would give them back: 0000:01:00.0 to gpu-vm, 0000:01:00.1 to gpu-vm (fix: shut their domains down, or run 'vfio-handoff reattach DEVICE' for those detached by hand, then remove again)" \
    "$rc $(cat "$tap_tmp/err")"
grammar "... in the message grammar" "$(cat "$tap_tmp/err")"
run "$r" status --brief --json
is "status --brief --json is a usage error (exit 2)" \
    "2 vfio-handoff: status: --json and --brief exclude each other (fix: give one of them)" "$rc $err"
run "$r" status
like "status flags the orphans and says what to run" "^2 orphans and 0 stuck: run vfio-handoff recover to give them back\.$" "$out"
before=$(state "$r")
run "$r" recover --dry-run --offline
is "recover --dry-run says what it would do" \
    "would give 0000:01:00.1 back to snd_hda_intel (domain gpu-vm: its QEMU (pid 777) is gone)|would give 0000:01:00.0 back to nouveau (domain gpu-vm: its QEMU (pid 777) is gone)" \
    "$(echo "$out" | paste -sd'|')"
is "recover --dry-run changes nothing" "$before $(journal "$r")" "$(state "$r") $(journal "$r")"
run "$r" recover --offline
is "recover gives both back (exit 0)" 0 "$rc"
is "after recover each device is on its original driver" "nouveau snd_hda_intel" "$(drv "$r" 0000:01:00.0) $(drv "$r" 0000:01:00.1)"
is "after recover driver_override is clear" "(null) (null)" "$(ovr "$r" 0000:01:00.0) $(ovr "$r" 0000:01:00.1)"
is "after recover the journal is empty" "" "$(journal "$r")"
run "$r" status --brief
is "status --brief prints nothing when no device is handed off (exit 0)" "0 " "$rc $out"
rc=0
VH_ROOT=$r sh "$VH_REMOVAL_CHECK" >"$tap_tmp/out" 2>&1 || rc=$?
is "the package's removal check lets an empty journal go (exit 0, silent)" "0 " "$rc $(cat "$tap_tmp/out")"
run "$r" recover --offline
is "recover with an empty journal has nothing to do" "The journal is empty: nothing to recover." "$out"
# a start cut short leaves records without a pid (libvirt runs prepare before QEMU exists)
hook "$r" gpu-vm prepare begin "$tap_tmp/gpu.xml"
run "$r" recover --offline
is "recover --offline keeps a hold without a pid taken seconds ago (exit 1)" 1 "$rc"
like "... saying that the start may still be under way" "^kept 0000:01:00.0: held by gpu-vm: its start began [0-9]+ s ago and may still be under way \(run recover again in a minute\)$" "$out"
age_records() { sed -i 's/^updated=.*/updated=1000/' "$1"/run/vfio-handoff/devices/*; }
age_records "$r"
mkdir -p "$r/proc/5151" && echo 5151 >"$r/run/libvirt/qemu/gpu-vm.pid"
run "$r" recover --offline
is "recover --offline keeps it while libvirt's pid file names a live QEMU (exit 0)" "0 0000:01:00.0 0000:01:00.1" "$rc $(journal "$r")"
like "... and says so" "^kept 0000:01:00.0: held by gpu-vm, and libvirt's pid file names its QEMU \(pid 5151\), which is running$" "$out"
rm -f "$r/run/libvirt/qemu/gpu-vm.pid"
run "$r" recover --offline
is "recover --offline gives back a start that did not finish (exit 0)" 0 "$rc"
like "... and says why" "^gave 0000:01:00.0 back to nouveau \(domain gpu-vm: its start did not finish: no QEMU pid was recorded, no process holds the device, and libvirt names no running QEMU for it\)$" "$out"
is "... both devices on their drivers, the journal empty" "nouveau snd_hda_intel " "$(drv "$r" 0000:01:00.0) $(drv "$r" 0000:01:00.1) $(journal "$r")"

# ---- detach and reattach by hand
run "$r" detach 0000:01:00.0
is "detach hands the device and its companion to vfio-pci" "0 vfio-pci vfio-pci" "$rc $(drv "$r" 0000:01:00.0) $(drv "$r" 0000:01:00.1)"
run "$r" status
like "status shows devices detached by hand" "^0000:01:00\.0 +\(by hand\) +held" "$out"
run "$r" status --brief
is "status --brief names no domain for them ('-')" "0000:01:00.0 -|0000:01:00.1 -" "$(echo "$out" | paste -sd'|')"
rc=0
VH_ROOT=$r sh "$VH_REMOVAL_CHECK" 2>"$tap_tmp/err" || rc=$?
like "the removal check names devices detached by hand as such (exit 1)" \
    "^1 vfio-handoff: package: not removed .*: 0000:01:00\\.0 \\(detached by hand\\), 0000:01:00\\.1 \\(detached by hand\\) \\(fix: " "$rc $(cat "$tap_tmp/err")"
hook "$r" gpu-vm prepare begin "$tap_tmp/gpu.xml"
is "a domain may use a device detached by hand" 0 "$rc"
hook "$r" gpu-vm release end "$tap_tmp/gpu.xml"
is "the domain's release leaves a device detached by hand on vfio-pci" vfio-pci "$(drv "$r" 0000:01:00.0)"
run "$r" recover --offline
like "recover leaves devices detached by hand to reattach" "^kept 0000:01:00\.0: detached by hand" "$out"
run "$r" reattach 0000:01:00.0 0000:01:00.1
is "reattach gives them back to their drivers" "0 nouveau snd_hda_intel" "$rc $(drv "$r" 0000:01:00.0) $(drv "$r" 0000:01:00.1)"
is "reattach clears the journal" "" "$(journal "$r")"
run "$r" reattach 0000:01:00.0
is "reattach of a device not handed off is a no-op" "0000:01:00.0 is not handed off: nothing to do" "$out"
r_keep=$r
host boot-nvme
r2=$r
r=$r_keep
run "$r2" detach 0000:04:00.0
is "detach refuses a device that is not enabled" "vfio-handoff: 0000:04:00.0: not enabled for passthrough (fix: run 'vfio-handoff enable 0000:04:00.0')" "$err"
grammar "... in the message grammar" "$err"
VH_ROOT=$r2 "$VH_CLI" enable --force 0000:02:00.0 >/dev/null 2>&1
run "$r2" detach 0000:02:00.0
is "detach refuses the boot disk like the hook does" "vfio-handoff: 0000:02:00.0: host-critical: /dev/mapper/vg0-root is mounted at / (fix: choose another device: the host needs this one)" "$err"

# ---- a GPU that does not come back from its reset (config space all ones) is never rebound:
# its driver's probe of it can hang the host
host gpu-audio
enable "$r" 0000:01:00.0
hook "$r" gpu-vm prepare begin "$tap_tmp/gpu.xml"
mkdir -p "$r/run/libvirt/qemu" && echo 777 >"$r/run/libvirt/qemu/gpu-vm.pid"
hook "$r" gpu-vm started begin "$tap_tmp/gpu.xml"
printf '[wedge]\nreset=0000:01:00.0\n' >"$r/.fake/faults"
# what vfio-pci does when QEMU lets the device go
printf 1 >"$r/sys/bus/pci/devices/0000:01:00.0/reset"
hook "$r" gpu-vm release end "$tap_tmp/gpu.xml"
is "release of a wedged GPU exits 0 (libvirt ignores it)" 0 "$rc"
is "the wedged GPU stays on vfio-pci, its audio function goes home" "vfio-pci snd_hda_intel" \
    "$(drv "$r" 0000:01:00.0) $(drv "$r" 0000:01:00.1)"
is "... the fake kernel's log shows no unbind of it after the reset" "" \
    "$(sed -n '/^wedged 0000:01:00.0/,$p' "$r/.fake/log" | grep '0000:01:00.0' | grep -v '^wedged')"
like "the hook logs it as wedged, saying what to do" \
    "device=0000:01:00.0 step=give-back result=wedged duration_ms=[0-9.]+: 0000:01:00.0: does not answer after its reset, its config space reads 0xffff; kept on vfio-pci, as giving it back to nouveau could hang the host \\(fix: reboot the host to reset it, or run 'vfio-handoff reattach --force 0000:01:00.0' to give it back anyway\\)$" \
    "$(cat "$r/run/vfio-handoff/hook.log")"
run "$r" status --json
is "status --json marks it wedged, with the reason" \
    "wedged|0000:01:00.0: does not answer after its reset, its config space reads 0xffff, reset methods bus (fix: reboot the host to reset it)" \
    "$(echo "$out" | jq -r '.devices[] | select(.address == "0000:01:00.0") | .state + "|" + .reason')"
run "$r" status
like "status says what wedged means and what to do" "^1 wedged: not back from the reset, so kept on vfio-pci, as rebinding the driver could hang the host \(fix: reboot the host, or run 'vfio-handoff reattach --force DEVICE' to give one back anyway\)\.$" "$out"
hook "$r" other-vm prepare begin "$tap_tmp/gpu.xml"
is "a wedged GPU goes to no domain (exit 1, nothing changed)" \
    "1 vfio-handoff: other-vm: 0000:01:00.0: wedged: it did not answer after its reset when 'gpu-vm' stopped (its config space read 0xffff), so it stays on vfio-pci (fix: reboot the host to reset it; 'vfio-handoff status' shows it) vfio-pci snd_hda_intel" \
    "$rc $err $(drv "$r" 0000:01:00.0) $(drv "$r" 0000:01:00.1)"
grammar "... in the message grammar" "$err"
run "$r" recover --offline
is "recover keeps it and says why (exit 1)" \
    "1 wedged 0000:01:00.0: does not answer after its reset, its config space reads 0xffff; kept on vfio-pci, as giving it back to nouveau could hang the host (fix: reboot the host to reset it, or run 'vfio-handoff reattach --force 0000:01:00.0' to give it back anyway) vfio-pci" \
    "$rc $(echo "$out" | head -n 1) $(drv "$r" 0000:01:00.0)"
run "$r" reattach 0000:01:00.0
is "reattach refuses it without --force (exit 1)" \
    "1 vfio-handoff: 0000:01:00.0: does not answer after its reset, its config space reads 0xffff; kept on vfio-pci, as giving it back to nouveau could hang the host (fix: reboot the host to reset it, or run 'vfio-handoff reattach --force 0000:01:00.0' to give it back anyway) vfio-pci" \
    "$rc $err $(drv "$r" 0000:01:00.0)"
grammar "... in the message grammar" "$err"
run "$r" reattach --force 0000:01:00.0
is "reattach --force gives it back anyway" "0 gave 0000:01:00.0 back to nouveau nouveau " \
    "$rc $out $(drv "$r" 0000:01:00.0) $(journal "$r")"
rm -f "$r/.fake/faults"

# ---- the fast path: a domain without PCI hostdevs never reaches the engine, nor does one with
# only managed='yes' ones, except at prepare (the engine watches libvirt's enabled devices)
echo "<domain type='kvm'><name>plain</name><devices><hostdev mode='subsystem' type='usb' managed='no'><source><vendor id='0x1234'/><product id='0xbeef'/></source></hostdev></devices></domain>" >"$tap_tmp/plain.xml"
echo "<domain type='kvm'><name>plain</name><devices><hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev></devices></domain>" >"$tap_tmp/libvirts.xml"
# a stand-in engine that leaves a mark: release exits 0 whatever the engine does, so only the
# mark tells whether the front exec'd it
printf '#!/bin/sh\necho "$@" >>"%s/engine-ran"\n' "$tap_tmp" >"$tap_tmp/engine"
chmod +x "$tap_tmp/engine"
front() { # DESCRIPTION XML EXPECTED OP SUBOP
    rm -f "$tap_tmp/engine-ran"
    rc=0
    VH_ROOT=$r VH_HOOK_ENGINE=$tap_tmp/engine "$VH_HOOK" plain "$4" "$5" - <"$2" >"$tap_tmp/out" 2>&1 || rc=$?
    is "$1" "0  $3" "$rc $(cat "$tap_tmp/out") $([ -e "$tap_tmp/engine-ran" ] && echo ran || echo no)"
}
for op in "prepare begin" "release end" "started begin" "migrate begin"; do
    # shellcheck disable=SC2086
    front "fast path: $op of a domain without PCI hostdevs exits 0 without the engine" "$tap_tmp/plain.xml" no $op
done
for op in "release end" "started begin" "migrate begin"; do
    # shellcheck disable=SC2086
    front "fast path: $op of a domain with only managed='yes' hostdevs exits 0 without the engine" "$tap_tmp/libvirts.xml" no $op
done
front "prepare of a domain with managed='yes' hostdevs runs the engine" "$tap_tmp/libvirts.xml" ran prepare begin
# ... and the same stand-in is exec'd for a domain with our devices, so the mark can show
rm -f "$tap_tmp/engine-ran"
VH_ROOT=$r VH_HOOK_ENGINE=$tap_tmp/engine "$VH_HOOK" gpu-vm release end - <"$tap_tmp/gpu.xml" >/dev/null 2>&1
is "the front execs the engine for a domain with our devices" "gpu-vm release end -" "$(cat "$tap_tmp/engine-ran" 2>/dev/null)"
# ---- the journal, not the XML, says what a domain holds: a hostdev unplugged while it ran
# is no longer in the XML at release, and must still go back
host gpu-audio
enable "$r" 0000:01:00.0
hook "$r" gpu-vm prepare begin "$tap_tmp/gpu.xml"
sed 's|<hostdev .*</hostdev>||' "$tap_tmp/gpu.xml" >"$tap_tmp/unplugged.xml"
hook "$r" gpu-vm release end "$tap_tmp/unplugged.xml"
is "release gives back what the journal holds, though the XML no longer names it" \
    "0 nouveau snd_hda_intel " "$rc $(drv "$r" 0000:01:00.0) $(drv "$r" 0000:01:00.1) $(journal "$r")"

# ---- libvirt's defaults: a hostdev without mode is a subsystem one, a source address field
# left out is 0 (tests/unit/test-domain checks the reading against libvirt's test driver)
host gpu-audio
enable "$r" 0000:01:00.0
echo "<domain type='kvm'><name>gpu-vm</name><memory unit='gib'>2</memory><memoryBacking><locked/></memoryBacking><devices><hostdev type='pci'><source><address bus='1' slot='0'/></source></hostdev></devices></domain>" >"$tap_tmp/defaults.xml"
hook "$r" gpu-vm prepare begin "$tap_tmp/defaults.xml"
is "a hostdev without mode, domain or function is handed off" "0 vfio-pci vfio-pci" \
    "$rc $(drv "$r" 0000:01:00.0) $(drv "$r" 0000:01:00.1)"
hook "$r" gpu-vm release end "$tap_tmp/defaults.xml"
is "... and given back" "0 nouveau snd_hda_intel" "$rc $(drv "$r" 0000:01:00.0) $(drv "$r" 0000:01:00.1)"

# ---- the other forms of a PCI device on vfio-pci: an SR-IOV VF as <interface type='hostdev'>
# and QEMU's userspace NVMe driver as <disk type='nvme'>, both managed='no'
host twin-gpus
enable "$r" 0000:03:00.0
echo "<domain type='kvm'><name>vf-vm</name><memory unit='GiB'>2</memory><memoryBacking><locked/></memoryBacking><devices><interface type='hostdev'><source><address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source></interface></devices></domain>" >"$tap_tmp/vf.xml"
hook "$r" vf-vm prepare begin "$tap_tmp/vf.xml"
is "an <interface type='hostdev'> (managed='no' by default) is handed off" "0 vfio-pci" "$rc $(drv "$r" 0000:03:00.0)"
hook "$r" vf-vm release end "$tap_tmp/vf.xml"
is "... and given back" "0 igb" "$rc $(drv "$r" 0000:03:00.0)"
# an SR-IOV VF's config space reads vendor ID 0xffff by design: it answers all the same
host sriov
enable "$r" 0000:03:10.0
domain vf-vm 0000:03:10.0 >"$tap_tmp/vf.xml"
hook "$r" vf-vm prepare begin "$tap_tmp/vf.xml"
is "a VF is handed off" "0 vfio-pci" "$rc $(drv "$r" 0000:03:10.0)"
hook "$r" vf-vm release end "$tap_tmp/vf.xml"
is "... and given back, though its vendor ID reads 0xffff (not wedged)" "0 igbvf " \
    "$rc $(drv "$r" 0000:03:10.0) $(journal "$r")"
host boot-nvme
enable "$r" 0000:04:00.0
echo "<domain type='kvm'><name>nvme-vm</name><memory unit='GiB'>2</memory><memoryBacking><locked/></memoryBacking><devices><disk type='nvme' device='disk'><source type='pci' managed='no' namespace='1'><address domain='0x0000' bus='0x04' slot='0x00' function='0x0'/></source><target dev='vdb' bus='virtio'/></disk></devices></domain>" >"$tap_tmp/nvme-disk.xml"
hook "$r" nvme-vm prepare begin "$tap_tmp/nvme-disk.xml"
is "a <disk type='nvme'> with <source managed='no'> is handed off" "0 vfio-pci" "$rc $(drv "$r" 0000:04:00.0)"
hook "$r" nvme-vm release end "$tap_tmp/nvme-disk.xml"
is "... and given back" "0 nvme" "$rc $(drv "$r" 0000:04:00.0)"
sed "s/managed='no' //" "$tap_tmp/nvme-disk.xml" >"$tap_tmp/nvme-managed.xml"
hook "$r" nvme-vm prepare begin "$tap_tmp/nvme-managed.xml"
is "without managed=, libvirt manages an NVMe disk's controller itself: left alone" "0 nvme" "$rc $(drv "$r" 0000:04:00.0)"

# ---- the policy's problems go to the hook's log; the rest of the policy still applies
host gpu-audio
enable "$r" 0000:01:00.0
printf '[host]\nstep-timeout=1s\nstep-timout=5s\n' >"$r/etc/vfio-handoff/vfio-handoff.conf"
hook "$r" gpu-vm prepare begin "$tap_tmp/gpu.xml"
is "an unknown key does not stop the start" "0 vfio-pci" "$rc $(drv "$r" 0000:01:00.0)"
like "... and the hook logs it, with the file, the line and what to run" \
    "^vfio-handoff: domain=gpu-vm op=prepare device=- step=policy result=warning duration_ms=0\.0: .*/etc/vfio-handoff/vfio-handoff\.conf:3: .*step-timout.* \(fix: run 'vfio-handoff policy validate'\)$" \
    "$(cat "$r/run/vfio-handoff/hook.log")"
hook "$r" gpu-vm release end "$tap_tmp/gpu.xml"

# ---- the hook contract (vh-hook-contract.h), the same in the front and the engine
host gpu-audio
# sized SIZE: gpu.xml padded with a comment to exactly SIZE bytes
sized() {
    body=$(sed 's|</domain>$||' "$tap_tmp/gpu.xml" | tr -d '\n')
    pad=$(($1 - ${#body} - 17)) # <!-- --> and </domain> and a newline
    { printf '%s<!--' "$body"; head -c "$pad" /dev/zero | tr '\0' x; printf -- '--></domain>\n'; } >"$2"
}
sized 4194304 "$tap_tmp/4mib.xml"
sized 4194305 "$tap_tmp/4mib+1.xml"
is "the padded domains are 4 MiB and one byte more" "4194304 4194305" \
    "$(wc -c <"$tap_tmp/4mib.xml" | tr -d ' ') $(wc -c <"$tap_tmp/4mib+1.xml" | tr -d ' ')"
hook "$r" gpu-vm prepare begin "$tap_tmp/4mib.xml"
is "a domain XML of exactly 4 MiB reaches the engine (its policy check answers)" \
    "1 vfio-handoff: gpu-vm: 0000:01:00.0: not enabled for passthrough (fix: run 'vfio-handoff enable 0000:01:00.0')" "$rc $err"
hook "$r" gpu-vm prepare begin "$tap_tmp/4mib+1.xml"
is "one byte more is refused by the front" \
    "1 vfio-handoff: gpu-vm: the domain XML on stdin: larger than 4 MiB, the most vfio-handoff reads, and it may name a <hostdev> (fix: make the definition smaller: 'virsh edit' it)" "$rc $err"
# an engine that cannot run: prepare refuses the start; started, release and reconnect must
# not fail libvirt (a failed started or reconnect would take a running VM down)
for op in "prepare begin 1" "started begin 0" "release end 0" "reconnect begin 0" "migrate begin 1"; do
    set -- $op
    rc=0
    VH_ROOT=$r VH_HOOK_ENGINE=/nonexistent "$VH_HOOK" gpu-vm "$1" "$2" - <"$tap_tmp/gpu.xml" >/dev/null 2>"$tap_tmp/err" || rc=$?
    is "with no engine to run, $1 $2 exits $3" "$3" "$rc"
done
like "... and the refusal names the engine" "^vfio-handoff: gpu-vm: cannot run /.*/vfio-handoff-hook-engine \(fix: reinstall vfio-handoff\)$" "$(cat "$tap_tmp/err")"

printf '[host]\nenabled=false\n' >"$r/etc/vfio-handoff/vfio-handoff.conf"
before=$(state "$r")
hook "$r" gpu-vm prepare begin "$tap_tmp/gpu.xml"
is "with [host] enabled=false the hook does nothing at all" "0 $before" "$rc $(state "$r")"

done_testing
