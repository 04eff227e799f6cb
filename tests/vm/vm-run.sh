#!/bin/sh
# The VM test bed: boots a Debian 12 guest (real kernel, emulated Intel IOMMU with interrupt
# remapping, emulated NICs/USB/VGA) with the project's build installed in it, runs
# tests/vm/guest/run-tests.sh there, and prints its TAP. Exit status 0 only when every guest
# case passed. Nothing here touches this machine's own devices: the guest's are emulated.
#
# Environment:
#   VH_BUILDDIR    the configured build tree (default .)
#   VH_VM_CACHE    where the guest image is cached (default ~/.cache/vfio-handoff/vm)
#   VH_VM_MIRROR   Debian mirror for debootstrap (default: this machine's apt source)
#   VH_VM_KEEP=1   keep the guest up after the tests, with its console here (login: root)
#   VH_VM_TIMEOUT  seconds before the guest is stopped (default 900)
#   VH_VM_BOOT_ONLY=1  boot the guest and power it off: one case, "the guest booted"
#   VH_VM_SCRIPT   the script the guest runs (default tests/vm/guest/run-tests.sh; make
#                  bench-vm runs tests/vm/guest/bench-vm.sh)
#   VH_QEMU        the QEMU system emulator (default qemu-system-x86_64)
#   VH_VM_FIRMWARE bios (SeaBIOS, the default) or uefi (OVMF from Debian's ovmf package: the
#                  firmware leaves a framebuffer, efifb, in the VGA's memory)
#   VH_VM_APPEND   more kernel command line for the guest (modprobe.blacklist=bochs: the VGA
#                  keeps the firmware's framebuffer instead of its own driver)
#   VH_VM_DEB      the .deb the guest installs with apt (make check-vm builds it with make deb);
#                  without it the guest gets `make install`'s tree, at these paths:
#   VH_BINDIR, VH_PKGLIBEXECDIR, VH_HOOKSDIR, VH_RUNSTATEDIR: where `make install` puts things
# A run that cannot give results (QEMU does not start, the guest panics or gives none) is a
# failing case ("not ok"), never a silent one.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${VH_BUILDDIR:-.}" && pwd)
cache=${VH_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfio-handoff/vm}
timeout_s=${VH_VM_TIMEOUT:-900}
t_start=$(date +%s)

qemu=${VH_QEMU:-qemu-system-x86_64}
say() { echo "# vm: $*"; }
fail() {
    echo "not ok - the VM test bed ran: $*"
    echo "Bail out! $*"
    exit 1
}

if [ "$(id -u)" -ne 0 ]; then
    echo "1..0 # SKIP the VM test bed needs root (debootstrap builds the guest image)"
    exit 77
fi
for tool in "$qemu" qemu-img debootstrap mke2fs; do
    command -v "$tool" >/dev/null 2>&1 ||
        fail "$tool: missing (fix: run 'packaging/install-deps.sh --vm')"
done
# OVMF: Debian's ovmf, or Fedora's edk2-ovmf
for d in /usr/share/OVMF /usr/share/edk2/ovmf; do
    ovmf_code=$d/OVMF_CODE.fd ovmf_vars=$d/OVMF_VARS.fd
    [ -f "$ovmf_code" ] && break
done
case ${VH_VM_FIRMWARE:-bios} in
bios) ;;
uefi)
    [ -f "$ovmf_code" ] && [ -f "$ovmf_vars" ] ||
        fail "$ovmf_code: missing, the UEFI boot needs OVMF (fix: run 'packaging/install-deps.sh --vm', which installs ovmf)"
    ;;
*) fail "VH_VM_FIRMWARE=$VH_VM_FIRMWARE: unknown firmware (fix: set bios or uefi)" ;;
esac

mirror=${VH_VM_MIRROR:-}
if [ -z "$mirror" ]; then
    mirror=$(sed -n 's/^URIs: *\([^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
    [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 ~ /debian\/?$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
    [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
fi

# ---- the image, cached by a hash of everything that builds it
key=$(cat "$src/tests/vm/build-image.sh" "$src/tests/vm/image-packages.txt" \
    "$src/tests/vm/guest/guest-runner" "$src/tests/vm/guest/vh-test.service" |
    sha256sum | cut -c1-16)
image=$cache/$key
if [ -f "$image/base.ext4" ] && [ -f "$image/vmlinuz" ] && [ -f "$image/initrd.img" ]; then
    say "image $key cached in $cache"
else
    say "building image $key in $cache (once; about 2 minutes)"
    mkdir -p "$image"
    "$src/tests/vm/build-image.sh" "$image" "$mirror" | sed 's/^/# /' ||
        fail "the guest image could not be built (log: $image/debootstrap.log)"
fi
t_image=$(date +%s)

# ---- this run: a throw-away overlay, a USB disk, and the share with the build
run=$(mktemp -d "${TMPDIR:-/tmp}/vh-vm-XXXXXX")
qemu_pid=
cleanup() {
    [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
    rm -rf "$run"
}
trap cleanup EXIT INT TERM
share=$run/share
mkdir -p "$share/bin" "$share/src/tests/cli" "$share/src/tests/vm/guest"
# the product as users install it: the .deb (VH_VM_DEB, as make check-vm builds it) with its
# paths, or else what `make install` puts where the tree was configured
if [ -n "${VH_VM_DEB:-}" ]; then
    [ -f "$VH_VM_DEB" ] || fail "$VH_VM_DEB: no such package (fix: run 'make deb')"
    mkdir -p "$share/pkg"
    cp "$VH_VM_DEB" "$share/pkg/"
    VH_BINDIR=/usr/bin VH_PKGLIBEXECDIR=/usr/libexec/vfio-handoff VH_HOOKSDIR=/etc/libvirt/hooks
    VH_RUNSTATEDIR=/run
else
    make -s -C "$build" install DESTDIR="$share/install" >"$run/install.log" 2>&1 ||
        { cat "$run/install.log"; fail "make install into the guest's tree failed"; }
fi
cp "$build/tests/fake/vh-fake" "$build/tests/vm/vh-sysfs-sequence" "$share/bin/"
cp "$src/tests/cli/tap.sh" "$src/tests/cli/lspci.awk" "$share/src/tests/cli/"
cp "$src/tests/vm/guest/guest-lib.sh" "$share/src/tests/vm/guest/"
if [ "${VH_VM_BOOT_ONLY:-}" = 1 ]; then
    printf '%s\n' '#!/bin/sh' 'echo "ok 1 - the guest booted ($(cut -d" " -f1 /proc/uptime) s of uptime)"' \
        'echo 1..1' >"$share/run-tests.sh"
else
    cp "${VH_VM_SCRIPT:-$src/tests/vm/guest/run-tests.sh}" "$share/run-tests.sh"
fi
{
    echo "VH_BINDIR='${VH_BINDIR:-/usr/local/bin}'"
    echo "VH_PKGLIBEXECDIR='${VH_PKGLIBEXECDIR:-/usr/local/libexec/vfio-handoff}'"
    echo "VH_HOOKSDIR='${VH_HOOKSDIR:-/etc/libvirt/hooks}'"
    echo "VH_RUNSTATEDIR='${VH_RUNSTATEDIR:-/run}'"
} >"$share/paths.env"
[ -n "${VH_BENCH_ROUNDS:-}" ] && echo "VH_BENCH_ROUNDS='$VH_BENCH_ROUNDS'" >"$share/bench.env"
[ "${VH_VM_KEEP:-}" = 1 ] && touch "$share/keep"
qemu-img create -q -f qcow2 -F raw -b "$image/base.ext4" "$run/overlay.qcow2"
truncate -s 32M "$run/usb.img"
mke2fs -q -F -t ext4 "$run/usb.img"
truncate -s 16M "$run/nvme.img" # the spare NVMe controller's namespace

# ---- acceleration: KVM only where the CPU has VT-x/AMD-V (a /dev/kvm alone is not enough)
if grep -qE '^flags.* (vmx|svm)( |$)' /proc/cpuinfo && [ -w /dev/kvm ]; then
    accel="-machine q35,accel=kvm,kernel-irqchip=split -cpu host"
    say "accelerator: KVM"
else
    accel="-machine q35 -accel tcg,thread=multi,tb-size=512 -cpu max"
    say "accelerator: TCG (no VT-x/AMD-V here)"
fi

if [ "${VH_VM_KEEP:-}" = 1 ]; then
    serial="-serial mon:stdio"
else
    serial="-serial file:$run/console.log"
fi
# the IOMMU groups of ../shared/notes/vm-lab.md, plus the guest's own host-critical devices,
# an NVMe controller with SR-IOV (2 VFs; QEMU 7.2) below root port 00:17.0, and a spare NVMe
# controller with a namespace below 00:18.0 (for <disk type='nvme'>).
# no_timer_check: at boot the kernel busy-waits ten ticks to see that the timer interrupt
# arrives through the IO-APIC (timer_irq_works(), arch/x86/kernel/apic/io_apic.c); with
# interrupt remapping on, a miss is fatal ("timer doesn't work through Interrupt-remapped
# IO-APIC"), as there is no ExtINT fallback. Under TCG the emulated timer is delivered late
# whenever the host is busy, so the check fails at random. KVM and Hyper-V guests skip it
# themselves (paravirt setup sets no_timer_check); a TCG guest has no such path.
# UEFI: OVMF's code read-only, a copy of its variable store for this run; OVMF boots the kernel
# from fw_cfg as SeaBIOS does, through its EFI stub, and hands it the VGA's GOP framebuffer
firmware=
if [ "${VH_VM_FIRMWARE:-bios}" = uefi ]; then
    cp "$ovmf_vars" "$run/OVMF_VARS.fd"
    firmware="-drive if=pflash,format=raw,unit=0,readonly=on,file=$ovmf_code -drive if=pflash,format=raw,unit=1,file=$run/OVMF_VARS.fd"
    say "firmware: UEFI (OVMF)"
fi
# shellcheck disable=SC2086
set -- $accel -m 3072 -smp 2 -nodefaults -display none -no-reboot $serial $firmware \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0,115200 intel_iommu=on no_timer_check panic=-1 quiet ${VH_VM_APPEND:-}" \
    -device intel-iommu,intremap=on,caching-mode=on \
    -drive "file=$run/overlay.qcow2,if=none,id=root,format=qcow2,cache=unsafe" \
    -device virtio-blk-pci,drive=root,bus=pcie.0,addr=0x1.0 \
    -virtfs "local,path=$share,mount_tag=share,security_model=none" \
    -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x10.0 -device e1000e,bus=rp1 \
    -device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,addr=0x11.0 -device e1000e,bus=rp2 \
    -device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,addr=0x12.0 \
    -device e1000e,bus=rp3,addr=0x0.0,multifunction=on -device e1000e,bus=rp3,addr=0x0.1 \
    -device pcie-root-port,id=rp4,bus=pcie.0,chassis=4,addr=0x13.0 \
    -device pcie-pci-bridge,id=br1,bus=rp4 \
    -device e1000,bus=br1,addr=0x1 -device e1000,bus=br1,addr=0x2 \
    -device pcie-root-port,id=rp5,bus=pcie.0,chassis=5,addr=0x16.0 -device e1000e,bus=rp5 \
    -device qemu-xhci,id=xhci,bus=pcie.0,addr=0x14.0 \
    -drive "file=$run/usb.img,if=none,id=usbdisk,format=raw" \
    -device usb-storage,bus=xhci.0,drive=usbdisk \
    -device VGA,bus=pcie.0,addr=0x15.0 \
    -device pcie-root-port,id=rp6,bus=pcie.0,chassis=6,addr=0x17.0 \
    -device nvme-subsys,id=nvs0,nqn=nqn.2026-12.dev.vfio-handoff:sriov \
    -device nvme,bus=rp6,serial=vhsriov0,subsys=nvs0,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,max_ioqpairs=6,msix_qsize=4 \
    -device pcie-root-port,id=rp7,bus=pcie.0,chassis=7,addr=0x18.0 \
    -drive "file=$run/nvme.img,if=none,id=nvmedisk,format=raw" \
    -device nvme,bus=rp7,serial=vhspare0,drive=nvmedisk

say "booting the guest"
if [ "${VH_VM_KEEP:-}" = 1 ]; then
    say "VH_VM_KEEP=1: the guest stays up after its tests; log in as root, 'poweroff' to end"
    "$qemu" "$@" || true
else
    rc=0
    timeout "$timeout_s" "$qemu" "$@" >"$run/qemu.log" 2>&1 || rc=$?
    [ "$rc" -eq 124 ] && say "the guest did not finish within ${timeout_s}s"
    [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && say "$qemu exited with status $rc"
fi
t_end=$(date +%s)

status=0
if [ -f "$share/result.tap" ]; then
    cat "$share/result.tap"
fi
# what went wrong when the guest's own TAP cannot say it
why=
if [ ! -f "$share/result.tap" ]; then
    why="the guest produced no results"
elif ! grep -q '^1\.\.' "$share/result.tap"; then
    why="the guest's results end early (no plan line)"
elif [ ! -f "$share/exit-code" ]; then
    why="the guest did not finish its run"
elif [ "$(cat "$share/exit-code")" != 0 ] && ! grep -q '^not ok' "$share/result.tap"; then
    why="the guest's test script exited $(cat "$share/exit-code")"
fi
panic=$(grep -m 1 'Kernel panic' "$run/console.log" 2>/dev/null || true)
[ -n "$panic" ] && why="${why:-the guest kernel panicked}: ${panic#*] }"
if [ -n "$why" ] || grep -q '^not ok' "$share/result.tap" 2>/dev/null; then
    status=1
    echo "# ---- guest log (stderr of the guest tests)"
    sed 's/^/# /' "$share/guest.log" 2>/dev/null | tail -n 60
    echo "# ---- serial console (last 60 lines)"
    sed 's/^/# /' "$run/console.log" 2>/dev/null | tail -n 60
    [ -f "$run/qemu.log" ] && sed 's/^/# qemu: /' "$run/qemu.log" | tail -n 20
    [ -n "$why" ] && echo "not ok - the VM test bed ran: $why"
fi
say "timings: image $((t_image - t_start)) s, boot and guest tests $((t_end - t_image)) s, total $((t_end - t_start)) s"
exit "$status"
