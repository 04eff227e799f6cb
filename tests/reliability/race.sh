#!/bin/sh
# The race test: many domains, one worker process each, start and stop over and over on a few
# devices (twin-gpus: IOMMU groups 1 and 2 and a NIC), each start a real hook prepare, started
# and release on the fake kernel. A worker whose prepare succeeded claims its devices in a
# ledger (mkdir, atomic) and frees them before its release: a claim that finds another domain's
# claim is a double holding. Every hook call runs under a timeout: one that does not return is
# a deadlock. At the end the journal must be empty and every device on its driver.
#
#   VH_RACE_OPS (default 10000) hook calls in all
. "${VH_SRCDIR:?}/tests/cli/tap.sh"
. "$VH_SRCDIR/tests/cli/fake-host.sh"

ops=${VH_RACE_OPS:-10000}
A="0000:01:00.0 0000:01:00.1" B="0000:02:00.0 0000:02:00.1" C="0000:03:00.0"
host twin-gpus
printf '[host]\nstep-timeout=5s\n' >"$r/etc/vfio-handoff/vfio-handoff.conf"
for d in 0000:01:00.0 0000:02:00.0 0000:03:00.0; do enable "$r" "$d"; done
mkdir -p "$r/run/libvirt/qemu" "$tap_tmp/ledger" "$tap_tmp/counts"
# shellcheck disable=SC2086
{
    domain d1 $A >"$tap_tmp/d1.xml"
    domain d2 $B >"$tap_tmp/d2.xml"
    domain d3 $A $B >"$tap_tmp/d3.xml"
    domain d4 $C >"$tap_tmp/d4.xml"
    domain d5 $A $C >"$tap_tmp/d5.xml"
    domain d6 $B $C >"$tap_tmp/d6.xml"
}
devices_of() { grep -o "bus='0x[0-9a-f]*' slot='0x[0-9a-f]*' function='0x[0-9a-f]*'" "$tap_tmp/$1.xml" |
    sed "s/bus='0x\(..\)' slot='0x\(..\)' function='0x\(.\)'/0000:\1:\2.\3/"; }

# call DOMAIN OP SUBOP: one hook call, bounded; prints its exit status
call() {
    rc=0
    VH_ROOT=$r timeout 60 "$VH_HOOK" "$1" "$2" "$3" - <"$tap_tmp/$1.xml" >/dev/null 2>&1 || rc=$?
    echo "$rc"
}

worker() {
    dom=$1 n=$2 done_=0 held=0 refused=0 double=0 hung=0 pid=$((5000 + ${dom#d}))
    while [ "$done_" -lt "$n" ]; do
        rc=$(call "$dom" prepare begin)
        done_=$((done_ + 1))
        [ "$rc" = 124 ] && hung=$((hung + 1))
        if [ "$rc" = 0 ]; then
            held=$((held + 1))
            for d in $(devices_of "$dom"); do
                mkdir "$tap_tmp/ledger/$d" 2>/dev/null || { double=$((double + 1)); echo "$dom: $d claimed by $(cat "$tap_tmp/ledger/$d"/* 2>/dev/null)" >>"$tap_tmp/doubles"; }
                touch "$tap_tmp/ledger/$d/$dom" 2>/dev/null
            done
            mkdir -p "$r/proc/$pid" && echo "$pid" >"$r/run/libvirt/qemu/$dom.pid"
            [ "$(call "$dom" started begin)" = 124 ] && hung=$((hung + 1))
            done_=$((done_ + 1))
            for d in $(devices_of "$dom"); do rm -f "$tap_tmp/ledger/$d/$dom"; rmdir "$tap_tmp/ledger/$d" 2>/dev/null; done
            rm -rf "$r/proc/$pid" "$r/run/libvirt/qemu/$dom.pid"
        else
            refused=$((refused + 1))
        fi
        # libvirt runs release after every stop, and after a start that failed
        [ "$(call "$dom" release end)" = 124 ] && hung=$((hung + 1))
        done_=$((done_ + 1))
    done
    echo "$done_ $held $refused $double $hung" >"$tap_tmp/counts/$dom"
}

t0=$(date +%s)
pids=
for dom in d1 d2 d3 d4 d5 d6; do
    worker "$dom" $((ops / 6 + 1)) &
    pids="$pids $!"
done
for p in $pids; do wait "$p"; done # not the fake kernel, a child too
secs=$(($(date +%s) - t0))
total=0 held=0 refused=0 double=0 hung=0
for f in "$tap_tmp"/counts/*; do
    read -r a b c d e <"$f"
    total=$((total + a)) held=$((held + b)) refused=$((refused + c)) double=$((double + d)) hung=$((hung + e))
done
is "race: $total hook calls from 6 domains in $secs s ($held starts, $refused refused): no double holding" \
    "0" "$double"
[ "$double" -eq 0 ] || sed 's/^/#   /' "$tap_tmp/doubles" | head -n 10
is "race: no hook call hung (deadlock)" 0 "$hung"
is "race: at least $ops hook calls ran" yes "$([ "$total" -ge "$ops" ] && echo yes || echo no)"
is "race: the journal is empty at the end" "" "$(ls -A "$r/run/vfio-handoff/devices")"
is "race: every device is back on its driver" \
    "0000:01:00.0 nouveau (null)|0000:01:00.1 snd_hda_intel (null)|0000:02:00.0 nouveau (null)|0000:02:00.1 snd_hda_intel (null)|0000:03:00.0 igb (null)" \
    "$(state "$r" | paste -sd'|')"
done_testing
