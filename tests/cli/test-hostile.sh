#!/bin/sh
# Hostile input and leftovers of a crash, each on a fresh fake host with the fake kernel: every
# case ends with one clear line, a non-zero exit where something was refused, and nothing on the
# host changed that should not be (tests/RELIABILITY.md lists what is tried and why).
. "${VH_SRCDIR:?}/tests/cli/tap.sh"
. "$VH_SRCDIR/tests/cli/fake-host.sh"

J=run/vfio-handoff
records() { ls -A "$1/$J/devices" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }

# ---- a domain name with leading and trailing spaces (libvirt accepts it, argv carries it)
host gpu-audio
enable "$r" 0000:01:00.0
domain " sp " 0000:01:00.0 >"$tap_tmp/sp.xml"
domain "sp" 0000:01:00.0 >"$tap_tmp/plain.xml"
hook "$r" " sp " prepare begin "$tap_tmp/sp.xml"
is "' sp ': prepare hands the GPU off (exit 0)" "0 vfio-pci" "$rc $(drv "$r" 0000:01:00.0)"
run "$r" status --json
is "' sp ': the journal names the domain as libvirt does" "[ sp ]" "[$(printf '%s' "$out" | jq -r '.devices[0].domain')]"
mkdir -p "$r/run/libvirt/qemu" "$r/proc/4343" && echo 4343 >"$r/run/libvirt/qemu/ sp .pid"
hook "$r" " sp " started begin "$tap_tmp/sp.xml"
is "' sp ': started records its QEMU pid" "qemu-pid=4343" "$(grep qemu-pid "$r/$J/devices/0000:01:00.0")"
hook "$r" sp release end "$tap_tmp/plain.xml"
is "' sp ': the release of the domain 'sp' leaves its devices" "vfio-pci" "$(drv "$r" 0000:01:00.0)"
hook "$r" sp prepare begin "$tap_tmp/plain.xml"
is "' sp ': the domain 'sp' is refused the held GPU (exit 1)" "1" "$rc"
is "... naming ' sp ' as the holder, quoted for the shell in the fix" "vfio-handoff: sp: 0000:01:00.0: held by the running domain ' sp ' (pid 4343, journal) (fix: run 'virsh shutdown \" sp \"' first)" "$err"
hook "$r" " sp " release end "$tap_tmp/sp.xml"
is "' sp ': its own release gives the GPU back" "nouveau snd_hda_intel " "$(drv "$r" 0000:01:00.0) $(drv "$r" 0000:01:00.1) $(records "$r")"

# ... and the other way round: ' sp ' may not take what 'sp' holds
hook "$r" sp prepare begin "$tap_tmp/plain.xml"
mkdir -p "$r/proc/4444" && echo 4444 >"$r/run/libvirt/qemu/sp.pid"
hook "$r" sp started begin "$tap_tmp/plain.xml"
hook "$r" " sp " prepare begin "$tap_tmp/sp.xml"
is "' sp ' is refused the GPU 'sp' holds (exit 1)" 1 "$rc"
like "... naming 'sp' as the holder" "held by the running domain 'sp' \(pid 4444" "$err"
hook "$r" sp release end "$tap_tmp/plain.xml"
is "... and the release of 'sp' gives it back" "nouveau " "$(drv "$r" 0000:01:00.0) $(records "$r")"

# ---- a name of 300 characters (legal in libvirt) is journaled and given back
long=$(head -c 300 /dev/zero | tr '\0' n)
domain "$long" 0000:01:00.0 >"$tap_tmp/long.xml"
hook "$r" "$long" prepare begin "$tap_tmp/long.xml"
is "a 300-character name: prepare hands the GPU off (exit 0)" "0 vfio-pci" "$rc $(drv "$r" 0000:01:00.0)"
hook "$r" "$long" release end "$tap_tmp/long.xml"
is "a 300-character name: release gives it back, the index is gone" "nouveau  " \
    "$(drv "$r" 0000:01:00.0) $(records "$r") $(ls -A "$r/$J/domains")"

# ---- leftovers of a writer killed between its write and its rename
for tmp in ".tmp-0000:01:00.0-deadbeef" "0000:01:00.0.AB12CD"; do
    host gpu-audio
    enable "$r" 0000:01:00.0
    domain vm 0000:01:00.0 >"$tap_tmp/vm.xml"
    mkdir -p "$r/$J/devices" && chmod 700 "$r/$J" "$r/$J/devices"
    printf '[hold]\naddress=0000:01:00.0\ndomain=ghost\nstate=detaching\n' >"$r/$J/devices/$tmp"
    run "$r" status
    is "temporary $tmp: status shows no hold (exit 0)" "0 No device is handed off." "$rc $out"
    hook "$r" vm prepare begin "$tap_tmp/vm.xml"
    is "temporary $tmp: it blocks no domain (prepare exit 0)" "0 vfio-pci" "$rc $(drv "$r" 0000:01:00.0)"
    is "temporary $tmp: the lock's holder removed it" "0000:01:00.0 0000:01:00.1" "$(records "$r")"
    hook "$r" vm release end "$tap_tmp/vm.xml"
done

# ---- a record that cannot be read is reported, never dropped
host gpu-audio
mkdir -p "$r/$J/devices" && chmod 700 "$r/$J" "$r/$J/devices"
printf '[hold]\naddress=0000:01:00.0\ndomain=vm\nstate=hel' >"$r/$J/devices/0000:01:00.0"
run "$r" status
is "a truncated record: status exits 1" 1 "$rc"
unreadable="vfio-handoff: $r/$J/devices/0000:01:00.0: an unreadable journal record: has an unknown state 'hel'; 0000:01:00.0 may still be on vfio-pci (fix: check it with 'vfio-handoff show 0000:01:00.0', give it back with 'virsh nodedev-reattach pci_0000_01_00_0', then remove the file)"
is "... and names it with what to do" "$unreadable" "$err"
grammar "... in the message grammar" "$err"
run "$r" status --json
is "a truncated record: status --json lists it (exit 1)" "1 0000:01:00.0" "$rc $(printf '%s' "$out" | jq -r '.unreadable[0].name')"
run "$r" recover --offline
is "a truncated record: recover exits 1 and names it" "1 $unreadable" "$rc $(echo "$err" | head -n 1)"

# ---- records are not trusted: a path in the address, a record under another device's name
host gpu-audio
mkdir -p "$r/$J/devices" && chmod 700 "$r/$J" "$r/$J/devices"
printf '[hold]\naddress=../../../../X\ndomain=vm\nstate=held\nqemu-pid=1\n' >"$r/$J/devices/0000:01:00.0"
printf '[hold]\naddress=0000:01:00.0\nowner=by-hand\nstate=held\ndriver=nouveau\n' >"$r/$J/devices/0000:01:00.1"
before=$(state "$r")
run "$r" recover --offline
is "a record naming '../../../../X': recover exits 1, writes nothing outside the run dir" "1 no" \
    "$rc $([ -e "$r/X" ] || [ -e "$r/run/X" ] || [ -e "$r/$J/X" ] && echo yes || echo no)"
like "... naming the record" "devices/0000:01:00.0: an unreadable journal record: names the device '../../../../X', not the one of its file name" "$err"
run "$r" reattach 0000:01:00.1
is "reattach of a device whose record names another is refused (exit 1)" 1 "$rc"
is "... with the reason" "vfio-handoff: 0000:01:00.1: its journal record names the device '0000:01:00.0', not the one of its file name: left as it is (fix: see 'vfio-handoff status')" "$err"
is "... and nothing changed" "$before" "$(state "$r")"
printf '[hold]\naddress=0000:01:00.0\ndomain=vm\nstate=held\ndriver=../../../../../tmp\n' >"$r/$J/devices/0000:01:00.0"
run "$r" status --json
is "a driver name with a path in it is refused" "names a driver that is not a driver name" "$(printf '%s' "$out" | jq -r '.unreadable[] | select(.name == "0000:01:00.0") | .reason')"

# ---- the run directory and the lock file
host gpu-audio
enable "$r" 0000:01:00.0
domain vm 0000:01:00.0 >"$tap_tmp/vm.xml"
mkdir -p "$tap_tmp/open-$tap_n" && chmod 0777 "$tap_tmp/open-$tap_n"
mkdir -p "$r/run" && ln -s "$tap_tmp/open-$tap_n" "$r/$J"
before=$(state "$r")
hook "$r" vm prepare begin "$tap_tmp/vm.xml"
is "a run directory that is a symbolic link: prepare refused (exit 1)" 1 "$rc"
is "... with the reason" "vfio-handoff: vm: $r/$J: is a symbolic link or a file, not a directory (fix: remove it; vfio-handoff creates it itself)" "$err"
grammar "... in the message grammar" "$err"
is "... nothing changed" "$before" "$(state "$r")"
rm "$r/$J" && mkdir -m 0777 "$r/$J"
hook "$r" vm prepare begin "$tap_tmp/vm.xml"
is "a run directory writable by all: prepare refused" "1 vfio-handoff: vm: $r/$J: writable by group or others (mode 0777) (fix: run 'chmod 0700 $r/$J')" "$rc $err"
chmod 0700 "$r/$J" && ln -s /etc/passwd "$r/$J/lock"
hook "$r" vm prepare begin "$tap_tmp/vm.xml"
is "a lock file that is a symbolic link: prepare refused" "1 vfio-handoff: vm: $r/$J/lock: is a symbolic link (fix: remove it; nothing else should create it)" "$rc $err"
is "... nothing changed" "$before" "$(state "$r")"

# ---- the policy's directories and files
host gpu-audio
enable "$r" 0000:01:00.0
conf=$r/etc/vfio-handoff/conf.d
chmod 0777 "$conf"
run "$r" policy validate
is "conf.d writable by all: policy validate fails (exit 1)" 1 "$rc"
like "... naming it and the fix" "conf.d.*ignored, and every file in it: writable by group or others \(fix: run 'chmod go-w $conf'\)" "$out$err"
hook "$r" vm prepare begin "$tap_tmp/vm.xml"
is "... and the hook refuses on it, one fix in all" "1 vfio-handoff: vm: host: the policy has errors, the first: $conf: ignored, and every file in it: writable by group or others (fix: run 'chmod go-w $conf', then run 'vfio-handoff policy validate')" "$rc $err"
chmod 0755 "$conf"
if [ "$(id -u)" -eq 0 ]; then
    chown 65534 "$conf"
    run "$r" policy validate
    like "conf.d owned by another user: policy validate names it" "conf.d.*ignored, and every file in it: owned by uid 65534" "$out$err"
    chown 0 "$conf"
else
    skip "conf.d owned by another user: needs root to chown"
fi
mv "$conf/50-0000:01:00.0.conf" "$tap_tmp/real.conf" && ln -s "$tap_tmp/real.conf" "$conf/50-0000:01:00.0.conf"
run "$r" policy validate
like "a policy file that is a symbolic link is ignored" "50-0000:01:00.0.conf.*ignored: cannot read it, .* \(fix: make it a regular file, not a symbolic link\)" "$out$err"

# ---- the pre-scan: every way of writing a hostdev the engine reads reaches the policy check
host gpu-audio
src="<source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>"
n=0
for tag in "<hostdev mode='subsystem' type='pci' qmanaged='yes'>" \
    "<hostdev mode='subsystem' type='pci' note=\"managed='yes'\">" \
    "<hostdev mode='subsystem' type = 'pci' managed = 'no'>" \
    "<hostdev mode='subsystem' alias='>' type='pci'>" \
    "<hostdev
 mode='subsystem'	type='pci'>"; do
    n=$((n + 1))
    printf "<domain><name>vm</name><memory unit='GiB'>1</memory><memoryBacking><locked/></memoryBacking><devices>%s%s</hostdev></devices></domain>" "$tag" "$src" >"$tap_tmp/scan$n.xml"
    hook "$r" vm prepare begin "$tap_tmp/scan$n.xml"
    is "pre-scan case $n reaches the policy (refused: not enabled)" "1 vfio-handoff: vm: 0000:01:00.0: not enabled for passthrough (fix: run 'vfio-handoff enable 0000:01:00.0')" "$rc $err"
    # at prepare the front runs the engine for any PCI hostdev; a restore only for one that
    # libvirt may not manage, which the engine refuses
    hook "$r" vm restore begin "$tap_tmp/scan$n.xml"
    is "pre-scan case $n reaches the engine at restore (refused)" "1 vfio-handoff: vm: restoring a saved state: refused, it names 1 PCI device that vfio-handoff hands off (managed='no'), which cannot move with it (fix: set refuse-migration=false in [host] to allow it)" "$rc $err"
done

# ---- the engine keeps the reason a domain XML is refused
printf "<domain><name>vm</name><devices><hostdev mode='subsystem' type='pci'><source><address bus='0x01' slot='0x40' function='0x0'/></source></hostdev></devices></domain>" >"$tap_tmp/badaddr.xml"
hook "$r" vm prepare begin "$tap_tmp/badaddr.xml"
is "a bad source address: refused with the parse reason" "1 vfio-handoff: vm: stdin: the domain XML libvirt passed cannot be read: hostdev[1]: invalid PCI address slot='0x40', at most 0x1f (fix: correct the domain definition, e.g. with 'virsh edit DOMAIN')" "$rc $err"
{ printf '<domain><name>vm</name><devices>'; i=0; while [ $i -lt 300 ]; do printf '<a>'; i=$((i + 1)); done; printf "<hostdev type='pci'/>"; } >"$tap_tmp/deep.xml"
hook "$r" vm prepare begin "$tap_tmp/deep.xml"
like "a malformed, deep document: refused with libxml2's reason" "^1 vfio-handoff: vm: stdin: the domain XML libvirt passed cannot be read: XML: malformed, .+ \(fix: give a libvirt domain definition, e.g. saved with 'virsh dumpxml DOMAIN > FILE'\)$" "$rc $err"
printf '<?xml version="1.0"?>\n<!DOCTYPE domain [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">]>\n<domain><name>&g;</name><devices><hostdev mode="subsystem" type="pci">%s</hostdev></devices></domain>\n' "$src" >"$tap_tmp/bomb.xml"
hook "$r" vm prepare begin "$tap_tmp/bomb.xml"
like "an entity bomb: the front passes it to the engine, which refuses it quickly" "^1 vfio-handoff: vm: " "$rc $err"
printf '<?xml version="1.0"?>\n<!DOCTYPE domain [<!ENTITY x SYSTEM "file:///etc/shadow">]>\n<domain><name>&x;</name><devices><hostdev mode="subsystem" type="pci">%s</hostdev></devices></domain>\n' "$src" >"$tap_tmp/ext.xml"
hook "$r" vm prepare begin "$tap_tmp/ext.xml"
unlike "an external entity is never read" "root:" "$err"

# ---- release with 4 MiB or more on stdin still gives back what the journal holds
host gpu-audio
enable "$r" 0000:01:00.0
domain vm 0000:01:00.0 >"$tap_tmp/vm.xml"
hook "$r" vm prepare begin "$tap_tmp/vm.xml"
{ sed 's|</domain>$||' "$tap_tmp/vm.xml" | tr -d '\n'; printf '<!--'; head -c 4194304 /dev/zero | tr '\0' x; printf -- '--></domain>\n'; } >"$tap_tmp/big.xml"
hook "$r" vm release end "$tap_tmp/big.xml"
is "release with a 4 MiB+ stdin: exit 0, both devices back, the journal empty" "0 nouveau snd_hda_intel " \
    "$rc $(drv "$r" 0000:01:00.0) $(drv "$r" 0000:01:00.1) $(records "$r")"
{ printf "<domain><name>other</name><devices><!--"; head -c 4194304 /dev/zero | tr '\0' x; printf -- '--></devices></domain>\n'; } >"$tap_tmp/big-plain.xml"
hook "$r" other prepare begin "$tap_tmp/big-plain.xml"
is "a 4 MiB+ domain that names no hostdev is not ours (prepare exit 0)" "0 " "$rc $err"

# ---- garbage in sysfs: an SR-IOV count of 1e8, an IOMMU group named 'abc' (a plain tree)
g=$(tree sriov)
for f in "$g"/sys/bus/pci/devices/*/sriov_numvfs; do echo 100000000 >"$f"; done
t0=$(date +%s)
rc=0
VH_ROOT=$g timeout 60 "$VH_CLI" list >/dev/null 2>&1 || rc=$?
is "sriov_numvfs of 1e8: list answers at once (exit 0)" "0 yes" "$rc $([ $(($(date +%s) - t0)) -lt 5 ] && echo yes || echo no)"
g=$(tree gpu-audio)
mkdir -p "$g/sys/kernel/iommu_groups/abc"
ln -sfn ../../../kernel/iommu_groups/abc "$(readlink -f "$g/sys/bus/pci/devices/0000:01:00.0")/iommu_group"
run "$g" show 0000:01:00.0 --json
is "an IOMMU group named 'abc' is no group (not group 0)" "0 null" "$rc $(printf '%s' "$out" | jq -r '.iommu_group')"

# ---- in a container or chroot, the host's mounts are PID 1's
host boot-nvme
mkdir -p "$r/proc/1/ns" "$r/proc/self/ns"
cp "$r/proc/self/mountinfo" "$r/proc/1/mountinfo"
echo "1 0 0:50 / / rw - overlay overlay rw" >"$r/proc/self/mountinfo"
ln -s "mnt:[4026531841]" "$r/proc/1/ns/mnt" && ln -s "mnt:[4026532999]" "$r/proc/self/ns/mnt"
run "$r" enable 0000:02:00.0
is "in another mount namespace: the root disk's controller is still refused (exit 1)" 1 "$rc"
like "... as host-critical" "host-critical: /dev/mapper/vg0-root is mounted at /" "$err"

done_testing
