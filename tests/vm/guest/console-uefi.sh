#!/bin/sh
# The VM suite's second boot, under UEFI (OVMF) with the VGA's own driver (bochs) kept out: the
# firmware's framebuffer, efifb, holds the VGA's memory and shows the console. The boot VGA is
# handed to a nested domain with console-handoff=true and back, as run-tests.sh does under
# SeaBIOS with bochs-drm; here the kernel (6.1) removes efifb for good when vfio-pci takes the
# VGA, so the console comes back only with the VGA's driver, as the hook warns. Then, with that
# driver loaded, the cycle again: the console comes back exactly. Prints TAP; everything it
# changes belongs to the guest.
set -u
. /share/paths.env
export VH_CLI=$VH_BINDIR/vfio-handoff VH_FAKE_TOOL=/share/bin/vh-fake VH_SRCDIR=/share/src
. /share/src/tests/cli/tap.sh
. /share/src/tests/vm/guest/guest-lib.sh
export LIBVIRT_DEFAULT_URI=qemu:///system

vga=0000:00:15.0
systemctl start libvirtd
install_product
udevadm settle --timeout=60
wait_for 60 test -e /sys/class/graphics/fb0

# ---- what UEFI left: efifb on the VGA's memory, the framebuffer console on it
is "the guest booted under UEFI" yes "$([ -d /sys/firmware/efi ] && echo yes || echo no)"
pfb=$(basename "$(dirname "$(dirname "$(readlink -f /sys/class/graphics/fb0)")")")
like "fb0 is a firmware framebuffer: $pfb bound to $(basename "$(readlink /sys/bus/platform/devices/"$pfb"/driver)"), '$(cat /sys/class/graphics/fb0/name)'" \
    '^(efi|simple)-framebuffer\.0$' "$pfb"
is "the VGA has no driver of its own (bochs kept out)" "" "$(drv "$vga")"
is "the framebuffer console is bound" 1 "$(cat "$(vtcon_named "frame buffer")/bind")"
grep -A3 " : $vga" /proc/iomem | sed 's/^/# iomem: /'
out=$("$VH_CLI" show "$vga" --json)
is "show: the VGA carries the console through $pfb" '["console"]' \
    "$(echo "$out" | jq -c '[.device.uses[].kind]')"

console_cycle "$vga" /dev/fb0 firmware
is "the kernel removed $pfb when vfio-pci took the VGA (Linux 6.0+)" gone \
    "$([ -e "/sys/bus/platform/devices/$pfb" ] && echo present || echo gone)"

# ---- the usual UEFI host: the VGA's own driver (bochs-drm, loaded above) replaced the firmware's
# framebuffer; its console goes and comes back exactly, as under SeaBIOS
console_cycle "$vga" /dev/dri/card0

done_testing
