#!/bin/sh
# The single-GPU host: the boot VGA that shows the host's console, handed off with
# console-handoff=true. The console (fbcon's vtconsole) and a firmware framebuffer in the GPU's
# memory (efifb) are released before the GPU is taken and restored after it is back, each step
# journaled before it is made; on fake hosts served by the fake kernel.
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

command -v jq >/dev/null 2>&1 || { echo "1..0 # SKIP jq is not installed"; exit 0; }

. "$VH_SRCDIR/tests/cli/fake-host.sh"

GPU=0000:03:00.0 AUD=0000:03:00.1
vtcon() { cat "$r/sys/class/vtconsole/vtcon1/bind"; }
# the driver of @1 (a PCI device) or of efifb's platform device, "-" when none
on() { l=$(readlink "$r/sys/bus/pci/devices/$1/driver") && basename "$l" || echo -; }
pfb() { l=$(readlink "$r/sys/bus/platform/devices/efi-framebuffer.0/driver") && basename "$l" || echo -; }
# prepare, then started with a QEMU that is gone by the next command: recover may act on it
start_vm() {
    hook "$r" "$1" prepare begin "$2"
    prepare_rc=$rc prepare_err=$err
    mkdir -p "$r/run/libvirt/qemu" && echo 777 >"$r/run/libvirt/qemu/$1.pid"
    hook "$r" "$1" started begin "$2"
    rc=$prepare_rc err=$prepare_err
}
klog() { cat "$r/.fake/log" 2>/dev/null; }
# the fake kernel's log lines that match PATTERN, in order, joined by '|'
klog_of() { klog | grep -E "$1" | paste -sd'|'; }
# a process holding NODE: PID, its name
holder() {
    mkdir -p "$r/proc/$1/fd"
    echo "$2" >"$r/proc/$1/comm"
    echo "$1 ($2) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0" >"$r/proc/$1/stat"
    [ -e "$r$3" ] || { mkdir -p "$(dirname "$r$3")" && : >"$r$3"; }
    ln -s "$r$3" "$r/proc/$1/fd/3"
}

# ---- enable: refused without --console-handoff, which it names; with it, written
host single-gpu
run "$r" enable "$GPU"
is "enable of the console GPU is refused, naming --console-handoff (exit 1)" \
    "1 vfio-handoff: $GPU: host-critical: boot VGA; the framebuffer console is on fb0 (amdgpudrmfb) (fix: pass --console-handoff to release the host's console from $GPU at each start and restore it at each stop, or choose another device)" \
    "$rc $err"
grammar "... in the message grammar" "$err"
run "$r" enable --console-handoff "$GPU"
is "enable --console-handoff enables it (exit 0)" 0 "$rc"
like "... and says what it means" "^  console-handoff: the host's console on it is released at each start and restored at each stop$" "$out"
is "... writing console-handoff=true" "console-handoff=true" \
    "$(grep '^console-handoff' "$r/etc/vfio-handoff/conf.d/50-$GPU.conf")"
run "$r" policy validate
is "the policy with console-handoff validates (exit 0)" 0 "$rc"

# ---- without the setting, the hook refuses and names it
domain gpu-vm "$GPU" "$AUD" >"$tap_tmp/gpu.xml"
sed -i '/^console-handoff/d' "$r/etc/vfio-handoff/conf.d/50-$GPU.conf"
before=$(state "$r")
hook "$r" gpu-vm prepare begin "$tap_tmp/gpu.xml"
is "without console-handoff the start is refused, naming the setting (exit 1)" \
    "1 vfio-handoff: gpu-vm: $GPU: host-critical: boot VGA; the framebuffer console is on fb0 (amdgpudrmfb) (fix: run 'vfio-handoff enable --console-handoff $GPU' to set console-handoff=true: the host's console is then released from it at start and restored at stop, and the host has no local console while the VM runs; or choose another device)" \
    "$rc $err"
grammar "... in the message grammar" "$err"
is "... nothing changed: drivers, console" "$before 1" "$(state "$r") $(vtcon)"
echo "console-handoff=true" >>"$r/etc/vfio-handoff/conf.d/50-$GPU.conf"

# ---- plan: every console step, before the GPU's
run "$r" plan --xml "$tap_tmp/gpu.xml"
is "plan allows it (exit 0)" 0 "$rc"
like "plan says why the console is no obstacle" "PASS .*the host needs it only for its console, and console-handoff=true: the console is released at start and restored at stop" "$out"
is "plan's first step releases the console" \
    "write '0' to $r/sys/class/vtconsole/vtcon1/bind" \
    "$(echo "$out" | grep -E "^ +[0-9]+\. " | head -n 1 | sed 's/^ *[0-9]*\. //')"

# ---- start and stop: the console off the GPU first, back on it last
hook "$r" gpu-vm prepare begin "$tap_tmp/gpu.xml"
is "prepare hands off the console GPU (exit 0)" 0 "$rc"
is "the GPU and its audio are on vfio-pci, the console on the dummy device" \
    "vfio-pci vfio-pci 0" "$(drv "$r" "$GPU") $(drv "$r" "$AUD") $(vtcon)"
is "the console was let go before the GPU's driver" \
    "vtcon vtcon1 0|unbind $GPU amdgpu" "$(klog_of "^vtcon|^unbind $GPU")"
is "the journal records what the console was and what was released" \
    "console=fb0 (amdgpudrmfb)|vtcons=vtcon1" \
    "$(grep -E '^(console|vtcons)=' "$r/run/vfio-handoff/devices/$GPU" | paste -sd'|')"
run "$r" status
like "status says what the console was and where it goes back" \
    "^ +└ console: vtcon1 on fb0 \(amdgpudrmfb\), released; bound again once it is back on amdgpu$" "$out"
run "$r" status --json
is "status --json has the console" '{"framebuffer":"fb0 (amdgpudrmfb)","vtconsoles":["vtcon1"],"platform_framebuffers":[]}' \
    "$(echo "$out" | jq -c --arg a "$GPU" '.devices[] | select(.address == $a) | .console')"
: >"$r/.fake/log"
hook "$r" gpu-vm release end "$tap_tmp/gpu.xml"
is "release gives the GPU back, then the console (exit 0)" \
    "0 amdgpu snd_hda_intel 1" "$rc $(drv "$r" "$GPU") $(drv "$r" "$AUD") $(vtcon)"
is "... the console bound again after the GPU's driver" \
    "bind $GPU amdgpu|vtcon vtcon1 1" "$(klog_of "^vtcon|^bind $GPU")"
is "... and the journal is empty" "" "$(journal "$r")"

# ---- a process holding the GPU's DRM node: refused before anything changes
holder 900 Xorg /dev/dri/card0
before=$(state "$r")
hook "$r" gpu-vm prepare begin "$tap_tmp/gpu.xml"
is "a display server holding /dev/dri/card0 makes the start fail, naming it (exit 1)" \
    "1 vfio-handoff: gpu-vm: $GPU: in use: /dev/dri/card0 is open by Xorg (pid 900) (fix: stop the process holding it first)" \
    "$rc $err"
is "... nothing changed: drivers, console, journal" "$before 1 " "$(state "$r") $(vtcon) $(journal "$r")"
rm -rf "$r/proc/900"

# ---- the console cannot be released: nothing is left half-done
printf '[fail]\nvtcon=vtcon1\n' >"$r/.fake/faults"
hook "$r" gpu-vm prepare begin "$tap_tmp/gpu.xml"
like "a console that will not let go fails the start (exit 1)" \
    "^1 vfio-handoff: gpu-vm: $GPU: its console cannot be released: .*/vtcon1/bind: writing '0' failed, Input/output error \\(fix: " "$rc $err"
is "... nothing changed: drivers, console, journal" "$before 1 " "$(state "$r") $(vtcon) $(journal "$r")"
rm -f "$r/.fake/faults"

# ---- the driver does not come back: the console stays on the dummy device, recorded
start_vm gpu-vm "$tap_tmp/gpu.xml"
printf '[fail]\nbind=%s\n' "$GPU" >"$r/.fake/faults"
hook "$r" gpu-vm release end "$tap_tmp/gpu.xml"
is "a GPU whose driver does not bind back stays unbound, its console on the dummy device" \
    "0 - 0" "$rc $(on "$GPU") $(vtcon)"
is "... it stays in the journal, stuck, with its console" "stuck vtcon1" \
    "$(sed -n 's/^state=//p; s/^vtcons=//p' "$r/run/vfio-handoff/devices/$GPU" | paste -sd' ')"
rm -f "$r/.fake/faults"
run "$r" recover --offline
is "recover gives back the GPU, then its console (exit 0)" "0 amdgpu 1 " \
    "$rc $(drv "$r" "$GPU") $(vtcon) $(journal "$r")"

# ---- a firmware framebuffer (efifb) in the GPU's memory, the GPU without a driver
host single-gpu-efifb
GPU=0000:01:00.0
run "$r" enable --console-handoff "$GPU"
domain efi-vm "$GPU" >"$tap_tmp/efi.xml"
holder 901 plymouthd /dev/fb0
before=$(state "$r")
hook "$r" efi-vm prepare begin "$tap_tmp/efi.xml"
is "a process holding efifb's /dev/fb0 makes the start fail, naming it (exit 1)" \
    "1 vfio-handoff: efi-vm: $GPU: in use: /dev/fb0 is open by plymouthd (pid 901) (fix: stop the process holding it first)" \
    "$rc $err"
is "... nothing changed: drivers, console, framebuffer" "$before 1 efi-framebuffer" "$(state "$r") $(vtcon) $(pfb)"
rm -rf "$r/proc/901"
run "$r" plan --xml "$tap_tmp/efi.xml"
is "plan: the console, then efifb, then the GPU" \
    "write '0' to $r/sys/class/vtconsole/vtcon1/bind|write 'efi-framebuffer.0' to $r/sys/bus/platform/drivers/efi-framebuffer/unbind|write 'vfio-pci' to $r/sys/bus/pci/devices/$GPU/driver_override" \
    "$(echo "$out" | grep -E "^ +[0-9]+\. write" | head -n 3 | sed 's/^ *[0-9]*\. //' | paste -sd'|')"
hook "$r" efi-vm prepare begin "$tap_tmp/efi.xml"
is "prepare releases the console and efifb, then hands off the GPU (exit 0)" \
    "0 vfio-pci 0 -" "$rc $(on "$GPU") $(vtcon) $(pfb)"
is "the journal records the firmware framebuffer with its driver" \
    "platform-fbs=efi-framebuffer.0:efi-framebuffer" "$(grep '^platform-fbs=' "$r/run/vfio-handoff/devices/$GPU")"
: >"$r/.fake/log"
hook "$r" efi-vm release end "$tap_tmp/efi.xml"
is "release: the GPU unbound as it was, efifb and the console back" \
    "0 - 1 efi-framebuffer " "$rc $(on "$GPU") $(vtcon) $(pfb) $(journal "$r")"
is "... in reverse order: the GPU, efifb, the console" \
    "unbind $GPU vfio-pci|platform-bind efi-framebuffer.0 efi-framebuffer|vtcon vtcon1 1" \
    "$(klog_of "^vtcon|^platform|^unbind")"

# ---- efifb does not come back: the GPU is back, the record stays for recover
start_vm efi-vm "$tap_tmp/efi.xml"
printf '[fail]\nplatform-bind=efi-framebuffer.0\n' >"$r/.fake/faults"
hook "$r" efi-vm release end "$tap_tmp/efi.xml"
is "efifb that will not bind back leaves the console on the dummy device" "0 - 0 -" \
    "$rc $(on "$GPU") $(vtcon) $(pfb)"
like "... and its record stuck, saying so" \
    "^reason=$GPU: back on its driver, but not its console: .*/bus/platform/drivers/efi-framebuffer/bind: writing 'efi-framebuffer.0' failed" \
    "$(grep '^reason=' "$r/run/vfio-handoff/devices/$GPU")"
rm -f "$r/.fake/faults"
run "$r" recover --offline
is "recover restores efifb and the console (exit 0)" "0 - 1 efi-framebuffer " \
    "$rc $(on "$GPU") $(vtcon) $(pfb) $(journal "$r")"

# ---- Linux 6.0+ removes the firmware framebuffer for good when vfio-pci takes the GPU: said
# before (plan, the hook's log) and after (the release's warning); the GPU goes back all the same
: >"$r/run/vfio-handoff/hook.log"
printf '[sysfb]\nremoved-by=%s\n' "$GPU" >"$r/.fake/faults"
note="$GPU: its firmware framebuffer efi-framebuffer.0 will not come back after the VM, as the kernel removes it when vfio-pci takes the GPU (Linux 6.0 and later), so the console returns only with the GPU's own driver (fix: install or load that driver to have a console after the VM)"
run "$r" plan --xml "$tap_tmp/efi.xml"
is "plan says the firmware framebuffer will not come back" "note: $note" "$(echo "$out" | grep '^note: ')"
hook "$r" efi-vm prepare begin "$tap_tmp/efi.xml"
is "the start goes on (exit 0), efifb removed by the kernel" "0 vfio-pci" "$rc $(on "$GPU")"
like "... the hook's log warns before the VM runs" "step=console result=warning duration_ms=[0-9.]+: $(echo "$note" | sed 's/[().]/\\&/g')$" \
    "$(cat "$r/run/vfio-handoff/hook.log")"
hook "$r" efi-vm release end "$tap_tmp/efi.xml"
is "release gives the GPU back as it was, and drops the record" "0 - " "$rc $(on "$GPU") $(journal "$r")"
like "... warning that the console stays on the dummy device, with the fix" \
    "device=$GPU step=console result=warning duration_ms=[0-9.]+: $GPU: efi-framebuffer\\.0 is gone, removed by the kernel when vfio-pci took the GPU \\(Linux 6\\.0 and later do so\\), so the console stays on the dummy device until a framebuffer driver binds \\(fix: load the GPU's own driver, or reboot the host\\)$" \
    "$(cat "$r/run/vfio-handoff/hook.log")"
rm -f "$r/.fake/faults"

# ---- /proc/iomem: a firmware framebuffer in another device's memory is not this GPU's
host single-gpu-efifb
printf '%s\n' "80000000-8fffffff : PCI Bus 0000:00" "  80000000-80ffffff : 0000:00:02.0" \
    "    80000000-802fffff : efifb" "  90000000-90ffffff : $GPU" >"$r/proc/iomem"
run "$r" show "$GPU" --json
is "with efifb in another device's BAR, the GPU carries no console" "true []" \
    "$(echo "$out" | jq -c '.device.passable, [.device.uses[].kind]' | paste -sd' ')"
printf '%s\n' "90000000-9fffffff : PCI Bus 0000:00" "  90000000-90ffffff : $GPU" \
    "    90000000-902fffff : efifb" >"$r/proc/iomem"
run "$r" show "$GPU" --json
is "with efifb in its own BAR, it carries the console" '["console"]' \
    "$(echo "$out" | jq -c '[.device.uses[].kind]')"

done_testing
