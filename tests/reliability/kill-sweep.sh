#!/bin/sh
# The kill-point sweep: a handoff of 4 devices in 2 IOMMU groups (twin-gpus: two GPUs with
# their audio functions), killed with SIGKILL right after each change it makes to a file —
# every sysfs write, journal temporary write, rename, unlink, mkdir — in prepare, in release
# and in a takeover of a dead domain's devices, by a managed='no' domain or a managed='yes' one
# (vh-killpoint.so counts them). After each kill
# comes the recovery a user (or libvirt) runs: a failed start is followed by libvirt's release,
# then `vfio-handoff recover --offline`. Then every device must be on its original driver with
# driver_override clear, and the journal empty: no record, no temporary, no index.
# The console phases do the same to a single GPU that shows the host's console through efifb
# (single-gpu-efifb, console-handoff=true): after the recovery the console must be bound and
# efifb on its driver again; and console-takeover kills the release of a console GPU at each
# point, then starts another domain on what it left, which must never be refused.
#
# Needs VH_KILLPOINT (the built vh-killpoint.so). Prints one TAP line per phase with the
# points tried and the orphans left.
. "${VH_SRCDIR:?}/tests/cli/tap.sh"
. "$VH_SRCDIR/tests/cli/fake-host.sh"
VH_KILLPOINT=${VH_KILLPOINT:?VH_KILLPOINT must name vh-killpoint.so}
# the library is not built with the sanitizers: let it load beside their runtime
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

J=run/vfio-handoff
# every point (make check-reliability), or every VH_SWEEP_STRIDE-th (make check: the same
# phases, a fifth of the time; the whole sweep runs once, in check-reliability)
stride=${VH_SWEEP_STRIDE:-1}

# killed N CMD...: CMD with kill point N (0: none) in its own process group; sets rc
killed() {
    n=$1
    shift
    head -c 8 /dev/zero >"$tap_tmp/counter"
    rc=0
    # only the hook and its children carry the library: the kill takes their group alone
    VH_KILL_COUNTER=$tap_tmp/counter VH_KILL_AT=$n VH_KILL_LOG=$tap_tmp/points \
        setsid -w env LD_PRELOAD="$VH_KILLPOINT" "$@" >/dev/null 2>&1 || rc=$?
    was_killed=$rc
}

# the console and efifb: "1 efi-framebuffer" when both are bound
console_state() {
    l=$(readlink "$r/sys/bus/platform/devices/efi-framebuffer.0/driver") || l=-
    echo "$(cat "$r/sys/class/vtconsole/vtcon1/bind") $(basename "$l")"
}

# what a user finds afterwards: "" when all is well, else what is wrong
leftovers() {
    now=$(state "$r" | paste -sd'|')
    left=
    [ "$now" = "$expected" ] || left="drivers: $now"
    [ -z "$console" ] || [ "$(console_state)" = "$console" ] || left="$left console: $(console_state)"
    [ -z "$(ls -A "$r/$J/devices" 2>/dev/null)" ] || left="$left records: $(ls -A "$r/$J/devices" | paste -sd' ')"
    [ -z "$(ls -A "$r/$J/domains" 2>/dev/null)" ] || left="$left index: $(ls -A "$r/$J/domains" | paste -sd' ')"
    printf '%s' "$left"
}

setup() {
    case $phase in
    console-*)
        host single-gpu-efifb
        VH_ROOT=$r "$VH_CLI" enable --console-handoff 0000:01:00.0 >/dev/null
        DEVICES=0000:01:00.0
        expected="0000:01:00.0  (null)"
        console="1 efi-framebuffer"
        ;;
    *)
        host twin-gpus
        for d in 0000:01:00.0 0000:02:00.0; do enable "$r" "$d"; done
        DEVICES="0000:01:00.0 0000:01:00.1 0000:02:00.0 0000:02:00.1"
        expected="0000:01:00.0 nouveau (null)|0000:01:00.1 snd_hda_intel (null)|0000:02:00.0 nouveau (null)|0000:02:00.1 snd_hda_intel (null)|0000:03:00.0 igb (null)"
        console=
        ;;
    esac
    domain vm1 $DEVICES >"$tap_tmp/vm1.xml"
    domain vm2 $DEVICES >"$tap_tmp/vm2.xml"
    mkdir -p "$r/run/libvirt/qemu"
}

# started DOMAIN PID: its QEMU runs as PID (a fake /proc entry) and `started` records it
started() {
    mkdir -p "$r/proc/$2" && echo "$2" >"$r/run/libvirt/qemu/$1.pid"
    hook "$r" "$1" started begin "$tap_tmp/$1.xml"
}
# gone DOMAIN PID: its QEMU died without a release (a crash of the host side)
gone() { rm -rf "$r/proc/$2" "$r/run/libvirt/qemu/$1.pid"; }

# sweep PHASE: kills the phase at point 1, 2, ... until a run is no longer killed
sweep() {
    phase=$1 point=$((1 - stride)) orphans=0 refused=0 detail= tried=0
    while :; do
        point=$((point + stride))
        tried=$((tried + 1))
        setup
        case $phase in
        prepare | console-prepare)
            killed "$point" VH_ROOT="$r" "$VH_HOOK" vm1 prepare begin - <"$tap_tmp/vm1.xml"
            hook "$r" vm1 release end "$tap_tmp/vm1.xml" # libvirt, after the failed start
            ;;
        release | console-release)
            hook "$r" vm1 prepare begin "$tap_tmp/vm1.xml"
            started vm1 4001
            gone vm1 4001
            killed "$point" VH_ROOT="$r" "$VH_HOOK" vm1 release end - <"$tap_tmp/vm1.xml"
            ;;
        console-takeover)
            # vm1's release killed at each point, then vm2 starts on what it left: never refused
            hook "$r" vm1 prepare begin "$tap_tmp/vm1.xml"
            started vm1 4001
            gone vm1 4001
            killed "$point" VH_ROOT="$r" "$VH_HOOK" vm1 release end - <"$tap_tmp/vm1.xml"
            take_rc=$rc
            hook "$r" vm2 prepare begin "$tap_tmp/vm2.xml"
            if [ "$rc" -ne 0 ]; then
                refused=$((refused + 1))
                detail="$detail
point $point: vm2's start was refused: $err"
            fi
            hook "$r" vm2 release end "$tap_tmp/vm2.xml"
            rc=$take_rc
            ;;
        takeover-libvirt)
            # vm2 (managed='yes') takes over what the dead vm1 left, killed at each point of its
            # prepare; libvirt finds the devices on vfio-pci and leaves them there at its stop
            hook "$r" vm1 prepare begin "$tap_tmp/vm1.xml"
            started vm1 4001
            gone vm1 4001
            sed "s/managed='no'/managed='yes'/g" "$tap_tmp/vm2.xml" >"$tap_tmp/vm2-lv.xml"
            killed "$point" VH_ROOT="$r" "$VH_HOOK" vm2 prepare begin - <"$tap_tmp/vm2-lv.xml"
            take_rc=$rc
            hook "$r" vm2 release end "$tap_tmp/vm2-lv.xml"
            rc=$take_rc
            ;;
        takeover)
            hook "$r" vm1 prepare begin "$tap_tmp/vm1.xml"
            started vm1 4001
            gone vm1 4001
            killed "$point" VH_ROOT="$r" "$VH_HOOK" vm2 prepare begin - <"$tap_tmp/vm2.xml"
            hook "$r" vm2 release end "$tap_tmp/vm2.xml" # libvirt, after the failed start
            ;;
        esac
        [ -n "${VH_SWEEP_DEBUG:-}" ] && echo "# point $point rc $rc: $(wc -l <"$tap_tmp/points" 2>/dev/null) points" >&2
        run "$r" recover --offline
        left=$(leftovers)
        # the journal accounts for every device the hook moved: recover never has to adopt one
        # as parked (it would give it back, but to whatever the kernel probes, and without the
        # console or the override the record kept)
        case "$out" in *"(parked: "*) left="${left:+$left; }a device lost its record: recover adopted it as parked" ;; esac
        if [ -n "$left" ]; then
            orphans=$((orphans + 1))
            detail="$detail
point $point ($(sed -n "${point}p" "$tap_tmp/points" 2>/dev/null | cut -d' ' -f2-)): $left; recover: $(echo "$out $err" | tail -n 3 | paste -sd' ')"
        fi
        rm -f "$tap_tmp/points"
        stop_kernels
        rm -rf "$r"
        [ "$was_killed" -eq 137 ] || break # the phase ran to its end: every point was tried
    done
    tried=$((tried - 1))
    if [ "$orphans" -eq 0 ] && [ "$refused" -eq 0 ] && [ "$tried" -gt 0 ]; then
        ok "kill sweep, $phase: $tried kill points tried$([ "$stride" -gt 1 ] && echo " (every ${stride}th)"), 0 left anything behind, 0 takeovers refused"
    else
        not_ok "kill sweep, $phase: $tried kill points tried, $orphans left something behind, $refused takeovers refused" "$detail"
    fi
}

for phase in ${VH_SWEEP_PHASES:-prepare release takeover takeover-libvirt console-prepare console-release console-takeover}; do
    sweep "$phase"
done
done_testing
