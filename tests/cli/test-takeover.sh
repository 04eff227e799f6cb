#!/bin/sh
# Nothing takes a device from a running VM: every give-back (release, recover, reattach, a
# libvirt-owned record's release) asks who holds the device's IOMMU group now, by what each
# process's open file is, never by its name; a start on a device a stale record names takes the
# record over; a console GPU is taken over from a dead holder at the first try; recover asks
# libvirt before it takes the journal lock; [host] enabled=false stops new handoffs only. On fake
# hosts served by the fake kernel.
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

command -v jq >/dev/null 2>&1 || { echo "1..0 # SKIP jq is not installed"; exit 0; }

. "$VH_SRCDIR/tests/cli/fake-host.sh"

GPU=0000:01:00.0 AUD=0000:01:00.1
hooklog() { cat "$r/run/vfio-handoff/hook.log" 2>/dev/null; }
field() { sed -n "s/^$2=//p" "$r/run/vfio-handoff/devices/$1"; }
# a fake process PID named COMM running the domain DOMAIN ("-": none), its fd 3 open on the
# host's NODE (its link points at the fake host's node, which the open file is)
process() {
    mkdir -p "$r/proc/$1/fd"
    echo "$2" >"$r/proc/$1/comm"
    echo "$1 ($2) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0" >"$r/proc/$1/stat"
    if [ "$3" = - ]; then
        printf '%s\0' "$2" >"$r/proc/$1/cmdline"
    else
        printf '%s\0' qemu-system-x86_64 -name "guest=$3,debug-threads=on" >"$r/proc/$1/cmdline"
    fi
    ln -s "$r$4" "$r/proc/$1/fd/3"
}
managed_yes() { domain "$@" | sed "s/managed='no'/managed='yes'/g"; }
# what libvirt does for a managed='yes' device at a start: the override, and a probe
libvirt_detach() {
    echo vfio-pci >"$r/sys/bus/pci/devices/$1/driver_override"
    [ -e "$r/sys/bus/pci/devices/$1/driver" ] && echo "$1" >"$r/sys/bus/pci/devices/$1/driver/unbind"
    echo "$1" >"$r/sys/bus/pci/drivers_probe"
}

# ---- 0. a holder is a process whose open file is the node, not one whose link names it
host gpu-audio
enable "$r" "$GPU"
domain vm2 "$GPU" >"$tap_tmp/vm2.xml"
# what a process in a mount namespace of its own shows: a link that reads /dev/vfio/1, to a
# file that is not the host's node (the old reading of the link's text took it for a holder)
mkdir -p "$r/proc/7777/fd" && echo faker >"$r/proc/7777/comm"
ln -s /dev/vfio/1 "$r/proc/7777/fd/3"
hook "$r" vm2 prepare begin "$tap_tmp/vm2.xml"
is "a link that only names /dev/vfio/1 holds nothing: the start goes on (exit 0)" "0 vfio-pci" \
    "$rc $(drv "$r" "$GPU")"
run "$r" status --json
is "... and status names no one as holding it" "null" "$(echo "$out" | jq -c '.devices[0].taken_over_by')"
# a real process in a user and mount namespace of its own, with a tmpfs on /dev and a file of it
# named /dev/vfio/1 open: the very link a root reading /proc sees
ns_pid=
if unshare -Urm true 2>/dev/null; then
    unshare -Urm sh -c 'mount -t tmpfs vh /dev && mkdir /dev/vfio && : >/dev/vfio/1 && exec sleep 300 3</dev/vfio/1' &
    ns_pid=$!
    reap_at_exit "$ns_pid"
    n=0
    until [ "$(readlink "/proc/$ns_pid/fd/3" 2>/dev/null)" = /dev/vfio/1 ] || [ $n -ge 100 ]; do
        sleep 0.05
        n=$((n + 1))
    done
fi
if [ -n "$ns_pid" ] && [ "$(readlink "/proc/$ns_pid/fd/3" 2>/dev/null)" = /dev/vfio/1 ]; then
    ln -s "/proc/$ns_pid" "$r/proc/8888"
    run "$r" status --json
    is "a process with /dev/vfio/1 of its own tmpfs open (unshare -Urm) is no holder" "null" \
        "$(echo "$out" | jq -c '.devices[0].taken_over_by')"
    # the positive control: a real process with the host's node open
    sleep 300 3<"$r/dev/vfio/1" &
    real_pid=$!
    reap_at_exit "$real_pid"
    ln -s "/proc/$real_pid" "$r/proc/8889"
    run "$r" status --json
    is "... while a process with the host's node open is one" "8889 sleep" \
        "$(echo "$out" | jq -r '.devices[0].taken_over_by | "\(.pid) \(.comm)"')"
    hook "$r" vm2 release end "$tap_tmp/vm2.xml"
    is "... and the release keeps the device for it" "vfio-pci $GPU $AUD" "$(drv "$r" "$GPU") $(journal "$r")"
    kill "$real_pid" "$ns_pid" 2>/dev/null
    wait "$real_pid" "$ns_pid" 2>/dev/null
    tap_pids= # reaped: their pids may be another's now
    rm -f "$r/proc/8888" "$r/proc/8889"
else
    [ -n "$ns_pid" ] && { kill "$ns_pid" 2>/dev/null; wait "$ns_pid" 2>/dev/null; tap_pids=; }
    skip "a process in a mount namespace of its own: unshare -Urm cannot run here (user namespaces off)"
    skip "... the positive control, which needs the same"
    skip "... and the release that keeps the device"
fi
hook "$r" vm2 release end "$tap_tmp/vm2.xml"
is "with no holder, the release gives the GPU back" "nouveau " "$(drv "$r" "$GPU") $(journal "$r")"

# ---- 1. the chain: vmA's release is lost, vmB (managed='yes') starts on the same GPU
host gpu-audio
enable "$r" "$GPU"
domain vmA "$GPU" >"$tap_tmp/vmA.xml"
managed_yes vmB "$GPU" >"$tap_tmp/vmB.xml"
mkdir -p "$r/proc/4242"
start vmA "$tap_tmp/vmA.xml" 4242
is "vmA holds the GPU and its audio function" "0 vfio-pci $GPU $AUD" "$rc $(drv "$r" "$GPU") $(journal "$r")"
rm -rf "$r/proc/4242" # vmA's QEMU died; libvirtd never ran its release
hook "$r" vmB prepare begin "$tap_tmp/vmB.xml"
is "vmB (managed='yes') starts on the GPU vmA left (exit 0)" 0 "$rc"
is "... and takes vmA's stale records over as libvirt's, its companion's too, keeping where they go back" \
    "libvirt vmB nouveau libvirt vmB snd_hda_intel" \
    "$(field "$GPU" owner) $(field "$GPU" domain) $(field "$GPU" driver) $(field "$AUD" owner) $(field "$AUD" domain) $(field "$AUD" driver)"
like "... and logs the takeover" "device=$GPU step=watch result=ok .*on vfio-pci where 'vmA' \(gone\) left it: taken over, and given back to nouveau" "$(hooklog)"
process 5151 qemu-system-x86 vmB /dev/vfio/1
mkdir -p "$r/run/libvirt/qemu" && echo 5151 >"$r/run/libvirt/qemu/vmB.pid"
hook "$r" vmB started begin "$tap_tmp/vmB.xml"
run "$r" status
unlike "status calls nothing an orphan" "orphan" "$out"
like "... and shows vmB's QEMU running" "^$GPU +vmB \(libvirt's\) +held .* 5151 \(running\)$" "$out"
run "$r" recover --offline
is "recover keeps it (exit 0, on vfio-pci)" "0 vfio-pci" "$rc $(drv "$r" "$GPU")"
hook "$r" vmA release end "$tap_tmp/vmA.xml"
is "vmA's late release changes nothing" "0 vfio-pci $GPU $AUD" "$rc $(drv "$r" "$GPU") $(journal "$r")"
rm -rf "$r/proc/5151"
hook "$r" vmB release end "$tap_tmp/vmB.xml"
is "vmB's release gives both back to their drivers, as vmA found them" "nouveau snd_hda_intel " \
    "$(drv "$r" "$GPU") $(drv "$r" "$AUD") $(journal "$r")"

# ---- the same chain when nothing took the record over: every give-back asks who holds it now
host gpu-audio
enable "$r" "$GPU"
domain vmA "$GPU" >"$tap_tmp/vmA.xml"
mkdir -p "$r/proc/4242"
start vmA "$tap_tmp/vmA.xml" 4242
rm -rf "$r/proc/4242"
process 5151 qemu-system-x86 vmB /dev/vfio/1 # vmB runs with it, unseen by the journal
run "$r" status
like "status shows the record as taken over by vmB's QEMU" "^$GPU +vmA +held .* taken over by 5151 \(vmB\)$" "$out"
unlike "... not as an orphan" "orphan" "$out"
run "$r" status --json
is "status --json: not an orphan, taken over by pid, comm and domain" \
    'false {"pid":5151,"comm":"qemu-system-x86","domain":"vmB","via":"/dev/vfio/1"}' \
    "$(echo "$out" | jq -c '.devices[0].orphan, .devices[0].taken_over_by' | paste -sd' ')"
held_msg="held now by process 5151 (qemu-system-x86) of the domain 'vmB', through /dev/vfio/1"
for how in "" --force --adopt; do
    run "$r" reattach $how "$GPU"
    is "reattach $how refuses it (exit 1), naming the holder and no flag" \
        "1 vfio-handoff: $GPU: $held_msg: left on vfio-pci (fix: run 'virsh shutdown vmB' first, then run 'vfio-handoff reattach $GPU')" \
        "$rc $err"
    is "... and leaves it on vfio-pci, journaled" "vfio-pci $GPU $AUD" "$(drv "$r" "$GPU") $(journal "$r")"
done
run "$r" recover --offline --dry-run
like "recover --dry-run says it would keep it" "^would keep $GPU: held now by process 5151 \(/dev/vfio/1\)" "$out"
hook "$r" vmA release end "$tap_tmp/vmA.xml"
is "vmA's late release exits 0 and keeps it on vfio-pci" "0 vfio-pci" "$rc $(drv "$r" "$GPU")"
like "... logging who holds it" "device=$GPU step=give-back result=ok .*held now by process 5151 \(qemu-system-x86\) of the domain 'vmB', through /dev/vfio/1: kept on vfio-pci for it, and given back when it stops$" "$(hooklog)"
is "... and hands the records over to vmB, as libvirt's" "libvirt vmB 5151 libvirt vmB" \
    "$(field "$GPU" owner) $(field "$GPU" domain) $(field "$GPU" qemu-pid) $(field "$AUD" owner) $(field "$AUD" domain)"
run "$r" recover --offline
is "recover keeps it too (exit 0)" "0 vfio-pci" "$rc $(drv "$r" "$GPU")"
like "... saying vmB's QEMU runs" "^kept $GPU: held by vmB, and its QEMU \(pid 5151\) is running$" "$out"
rm -rf "$r/proc/5151"
hook "$r" vmB release end "$tap_tmp/vmB.xml"
is "vmB's release gives both back (libvirt left them on vfio-pci)" "nouveau snd_hda_intel " \
    "$(drv "$r" "$GPU") $(drv "$r" "$AUD") $(journal "$r")"

# a process that is no domain: recover keeps the record, and gives it back once it lets go
host gpu-audio
enable "$r" "$GPU"
mkdir -p "$r/proc/4242"
start vmA "$tap_tmp/vmA.xml" 4242
rm -rf "$r/proc/4242"
process 6000 dpdk-testpmd - /dev/vfio/1
run "$r" recover --offline
is "recover keeps a device a process holds (exit 0)" "0 vfio-pci $GPU $AUD" "$rc $(drv "$r" "$GPU") $(journal "$r")"
like "... naming it, with the fix" "^kept $GPU: held now by process 6000 \(dpdk-testpmd\), through /dev/vfio/1, so it stays on vfio-pci \(fix: stop process 6000 first, then run 'vfio-handoff recover'\)$" "$out"
rm -rf "$r/proc/6000"
run "$r" recover --offline
is "... and gives it back once the process is gone" "0 nouveau " "$rc $(drv "$r" "$GPU") $(journal "$r")"

# ---- 3. libvirt's own records: a release leaves a device another domain runs with
host gpu-audio
enable "$r" "$GPU"
managed_yes vmX "$GPU" "$AUD" >"$tap_tmp/vmX.xml"
hook "$r" vmX prepare begin "$tap_tmp/vmX.xml"
is "the GPU's audio companion, not enabled itself, is watched with it" "libvirt libvirt" \
    "$(field "$GPU" owner) $(field "$AUD" owner)"
libvirt_detach "$GPU"
libvirt_detach "$AUD"
# vmX's start failed; libvirt detached the GPU again for vmY, whose QEMU is spawned (its status
# file is written) but has not opened the group yet
mkdir -p "$r/run/libvirt/qemu"
{
    echo "<domstatus state='paused' reason='starting up' pid='9191'>"
    managed_yes vmY "$GPU" "$AUD"
    echo "</domstatus>"
} >"$r/run/libvirt/qemu/vmY.xml"
hook "$r" vmX release end "$tap_tmp/vmX.xml"
is "vmX's release leaves the GPU on vfio-pci for vmY (exit 0)" "0 vfio-pci vfio-pci" \
    "$rc $(drv "$r" "$GPU") $(drv "$r" "$AUD")"
is "... and hands its records to vmY" "vmY vmY" "$(field "$GPU" domain) $(field "$AUD" domain)"
like "... and says so" "device=$GPU step=give-back result=ok .*held now by the domain 'vmY', which libvirt runs or starts with it: kept on vfio-pci for it" "$(hooklog)"
rm -f "$r/run/libvirt/qemu/vmY.xml"
hook "$r" vmY release end "$tap_tmp/vmX.xml"
is "vmY's release gives them back" "nouveau snd_hda_intel " "$(drv "$r" "$GPU") $(drv "$r" "$AUD") $(journal "$r")"
# vmY is still starting (its prepare ran, libvirt detached the GPU for it, no QEMU yet): the
# journal's starting mark says so
host gpu-audio
enable "$r" "$GPU"
managed_yes vmX "$GPU" "$AUD" >"$tap_tmp/vmX.xml"
managed_yes vmY "$GPU" "$AUD" >"$tap_tmp/vmY.xml"
hook "$r" vmX prepare begin "$tap_tmp/vmX.xml"
hook "$r" vmY prepare begin "$tap_tmp/vmY.xml"
is "vmY's start is marked as starting with the GPU" "domain=vmY device=$GPU device=$AUD" \
    "$(cat "$r/run/vfio-handoff/domains/vmY/starting" | paste -sd' ')"
libvirt_detach "$GPU"
libvirt_detach "$AUD"
hook "$r" vmX release end "$tap_tmp/vmX.xml"
is "vmX's failed start's release leaves the GPU to the starting vmY" "0 vfio-pci vmY vmY" \
    "$rc $(drv "$r" "$GPU") $(field "$GPU" domain) $(field "$AUD" domain)"
mkdir -p "$r/proc/9292" "$r/run/libvirt/qemu" && echo 9292 >"$r/run/libvirt/qemu/vmY.pid"
hook "$r" vmY started begin "$tap_tmp/vmY.xml"
is "vmY's started drops its mark and records its QEMU" "no 9292" \
    "$([ -e "$r/run/vfio-handoff/domains/vmY/starting" ] && echo yes || echo no) $(field "$GPU" qemu-pid)"
rm -rf "$r/proc/9292" "$r/run/libvirt/qemu/vmY.pid"
hook "$r" vmY release end "$tap_tmp/vmY.xml"
is "vmY's release gives them back, and leaves no index" "nouveau snd_hda_intel  " \
    "$(drv "$r" "$GPU") $(drv "$r" "$AUD") $(journal "$r") $(ls "$r/run/vfio-handoff/domains")"
# domains= is honoured: a device enabled for win11 is not watched for vmX
VH_ROOT=$r "$VH_CLI" enable "$GPU" --replace --domain win11 >/dev/null
hook "$r" vmX prepare begin "$tap_tmp/vmX.xml"
is "a device enabled for another domain only is not watched (domains=)" "0 " "$rc $(journal "$r")"

# ---- 4. a console GPU is taken over from a dead holder at the first try: what vmA released
# (fbcon's vtcon1; efifb, whose unbind of an unbound device fails with ENODEV) is not released
# again, and comes back when the GPU goes home
pfb() { l=$(readlink "$r/sys/bus/platform/devices/efi-framebuffer.0/driver") && basename "$l" || echo -; }
vt() { cat "$r/sys/class/vtconsole/vtcon1/bind"; }
for case in "single-gpu 0000:03:00.0 amdgpu" "single-gpu-efifb 0000:01:00.0 -"; do
    set -- $case
    host "$1"
    G=$2
    on() { l=$(readlink "$r/sys/bus/pci/devices/$G/driver") && basename "$l" || echo -; }
    VH_ROOT=$r "$VH_CLI" enable --console-handoff "$G" >/dev/null
    domain vmA "$G" >"$tap_tmp/cA.xml"
    domain vmB "$G" >"$tap_tmp/cB.xml"
    before="$(vt) $(pfb)"
    start vmA "$tap_tmp/cA.xml" 777 # QEMU 777 is gone at once
    is "$1: vmA takes the console GPU" "0 vfio-pci 0" "$rc $(on) $(vt)"
    if [ "$1" = single-gpu-efifb ]; then
        # efifb bound again meanwhile, and its unbind fails: the start is refused, and nothing
        # of the console goes back onto the GPU, which stays on vfio-pci
        echo efi-framebuffer.0 >"$r/sys/bus/platform/drivers/efi-framebuffer/bind"
        printf '[fail]\nplatform-unbind=efi-framebuffer.0\n' >"$r/.fake/faults"
        hook "$r" vmB prepare begin "$tap_tmp/cB.xml"
        is "$1: a takeover whose console step fails is refused (exit 1)" 1 "$rc"
        is "$1: ... and binds no console onto the GPU left on vfio-pci" "vfio-pci 0 vmA" \
            "$(on) $(vt) $(field "$G" domain)"
        rm -f "$r/.fake/faults"
        echo efi-framebuffer.0 >"$r/sys/bus/platform/drivers/efi-framebuffer/unbind"
    fi
    hook "$r" vmB prepare begin "$tap_tmp/cB.xml"
    is "$1: vmB takes it over from the dead vmA at the first try (exit 0)" "0 vfio-pci 0" \
        "$rc $(on) $(vt)"
    is "$1: ... with vmA's record of the console" "vmB vtcon1" "$(field "$G" domain) $(field "$G" vtcons)"
    hook "$r" vmB release end "$tap_tmp/cB.xml"
    is "$1: vmB's release gives the GPU and the console back" "0 $3 $before " \
        "$rc $(on) $(vt) $(pfb) $(journal "$r")"
done

# ---- 5. recover asks libvirt before it takes the lock: a libvirt whose daemon, when contacted,
# runs a release hook (socket activation, Debian's default) is not kept waiting for the lock
if command -v python3 >/dev/null 2>&1; then
    host gpu-audio
    enable "$r" "$GPU"
    mkdir -p "$r/proc/4242"
    start vmA "$tap_tmp/vmA.xml" 4242
    rm -rf "$r/proc/4242"
    sock=$tap_tmp/libvirt-sock
    # the "daemon": on the first connection it runs vmA's release hook, then hangs up
    VH_ROOT=$r python3 -c '
import os, socket, subprocess, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(1); s.settimeout(20)
open(sys.argv[1] + ".ready", "w").close()
c, _ = s.accept()
with open(sys.argv[4]) as xml:
    subprocess.run([sys.argv[2], sys.argv[3], "release", "end", "-"], stdin=xml)
c.close()
' "$sock" "$VH_HOOK" vmA "$tap_tmp/vmA.xml" &
    fake=$!
    reap_at_exit "$fake"
    n=0
    while [ ! -e "$sock.ready" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
    t0=$(date +%s)
    run "$r" recover -c "qemu+unix:///system?socket=$sock"
    t1=$(date +%s)
    wait "$fake" 2>/dev/null
    tap_pids=
    is "the release the daemon ran gave the GPU back" "nouveau " "$(drv "$r" "$GPU") $(journal "$r")"
    unlike "... without waiting for recover's lock" "holds the lock" "$(hooklog)"
    is "recover fails (exit 1): that libvirt hung up" 1 "$rc"
    like "... and says why, with the fix" "^vfio-handoff: libvirt at .*: cannot connect, .*\(fix: start its daemon, .*; or run 'vfio-handoff recover --offline' to judge by the QEMU pids instead of asking libvirt\)$" "$err"
    is "... within the hook's lock wait (4 s here)" yes "$([ $((t1 - t0)) -lt 4 ] && echo yes || echo "no: $((t1 - t0)) s")"
else
    for c in 1 2 3 4 5; do skip "recover before the lock: python3 (the fake libvirt daemon) is not installed"; done
fi

# ---- 7. [host] enabled=false stops new handoffs only: a release still gives back
host gpu-audio
enable "$r" "$GPU"
start vmA "$tap_tmp/vmA.xml" 4242
printf '[host]\nenabled=false\nstep-timeout=1s\n' >"$r/etc/vfio-handoff/vfio-handoff.conf"
hook "$r" vmA release end "$tap_tmp/vmA.xml"
is "with enabled=false, the release still gives back what was handed off" "0 nouveau snd_hda_intel " \
    "$rc $(drv "$r" "$GPU") $(drv "$r" "$AUD") $(journal "$r")"
hook "$r" vmA prepare begin "$tap_tmp/vmA.xml"
is "... while a start hands nothing off" "0 nouveau " "$rc $(drv "$r" "$GPU") $(journal "$r")"

done_testing
