# What the guest's scripts (run-tests.sh, console-uefi.sh, bench-vm.sh) share: sourced, after
# tap.sh.

# mark TEXT: a line in the guest's kernel log (the serial console), to follow a run
mark() { echo "<2>vh: $*" >/dev/kmsg; }

# child_of PORT [N]: the Nth PCI function below a root port (not its port-service children)
child_of() {
    ls "/sys/bus/pci/devices/$1/" | grep -E '^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$' |
        sed -n "${2:-1}p"
}

# drv DEVICE: the driver it is bound to, or "none"
drv() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null || echo none; }

# wait_driver DEVICE DRIVER SECONDS: until DEVICE is on DRIVER, at most SECONDS
wait_driver() {
    n=$(($3 * 10))
    while [ "$n" -gt 0 ] && [ "$(drv "$1")" != "$2" ]; do sleep 0.1; n=$((n - 1)); done
}

# source_address DEVICE: the <address> of a <source> naming host device DEVICE (0000:BB:SS.F)
source_address() {
    echo "<address domain='0x0000' bus='0x$(echo "$1" | cut -c6-7)' slot='0x$(echo "$1" | cut -c9-10)' function='0x$(echo "$1" | cut -c12)'/>"
}

# drivers: every PCI device and its driver, a line each (the state a refusal must leave)
drivers() { for d in /sys/bus/pci/devices/*; do echo "$(basename "$d") $(drv "$(basename "$d")")"; done; }

# plain_domain_xml NAME: $tap_tmp/NAME.xml, a diskless q35 domain with no device
plain_domain_xml() {
    {
        echo "<domain type='qemu'><name>$1</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
        echo "<os><type arch='x86_64' machine='q35'>hvm</type></os>"
        echo "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>"
    } >"$tap_tmp/$1.xml"
}

# plain_domain NAME: defines that domain, its definition as libvirt keeps it in $tap_tmp/NAME.orig
plain_domain() {
    plain_domain_xml "$1"
    virsh -q define "$tap_tmp/$1.xml" >/dev/null
    virsh dumpxml --inactive "$1" >"$tap_tmp/$1.orig"
}

# domain_xml NAME MANAGED DEVICE...: $tap_tmp/NAME.xml, a diskless q35 domain with locked memory
# and a PCI <hostdev managed='MANAGED'> for each DEVICE
domain_xml() {
    name=$1 managed=$2
    shift 2
    {
        echo "<domain type='qemu'><name>$name</name><memory unit='MiB'>128</memory>"
        echo "<memoryBacking><locked/></memoryBacking><vcpu>1</vcpu>"
        echo "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>"
        echo "<emulator>/usr/bin/qemu-system-x86_64</emulator>"
        for d in "$@"; do
            echo "<hostdev mode='subsystem' type='pci' managed='$managed'><source>$(source_address "$d")</source></hostdev>"
        done
        echo "</devices></domain>"
    } >"$tap_tmp/$name.xml"
}

# install_product: vfio-handoff as the host built it: its .deb with apt (no network: its
# dependencies are in the image), or else `make install`'s tree copied into /. When that fails
# the run ends here, with its output and a "Bail out!"
install_product() {
    rc=0
    if ls /share/pkg/*.deb >/dev/null 2>&1; then
        cp /share/pkg/*.deb /tmp/ &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
                /tmp/vfio-handoff_*.deb >"$tap_tmp/install" 2>&1 || rc=$?
    else
        { cp -a /share/install/. / && ldconfig; } >"$tap_tmp/install" 2>&1 || rc=$?
    fi
    if [ "$rc" != 0 ]; then
        sed 's/^/# /' "$tap_tmp/install"
        echo "Bail out! vfio-handoff could not be installed (exit $rc)"
        exit 1
    fi
}

# answer_unplug DOMAIN: what a guest OS (Linux's pciehp) does when asked to unplug the device
# of DOMAIN's first hostdev: it turns the slot's power and power indicator off in the root
# port's Slot Control, and QEMU then removes the device. The nested guests run no OS, so the
# monitor writes that register through the 0xcf8/0xcfc ports, the guest paused meanwhile (its
# firmware may use those ports too). Needs native PCIe hotplug (hotplug_domain ... native)
answer_unplug() {
    au_dom=$1
    au_xml=$(virsh dumpxml "$au_dom")
    au_bus=$(echo "$au_xml" | sed -n "/<hostdev /,/<\/hostdev>/s/.*<address type='pci' domain='0x0000' bus='\(0x[0-9a-f]*\)'.*/\1/p" | head -n 1)
    # shellcheck disable=SC2046
    set -- $(echo "$au_xml" | sed -n "/<controller type='pci' index='$((au_bus))' /,/<\/controller>/s/.*<address type='pci' domain='0x0000' bus='\(0x[0-9a-f]*\)' slot='\(0x[0-9a-f]*\)' function='\(0x[0-9a-f]*\)'.*/\1 \2 \3/p")
    au_port=$(((${1:-0} << 16) | (${2:-0} << 11) | (${3:-0} << 8)))
    virsh -q suspend "$au_dom" >/dev/null
    au_cap=$(($(cfg_read 0x34 b)))
    n=0
    while [ "$au_cap" -ne 0 ] && [ "$(($(cfg_read "$au_cap" b)))" -ne 16 ] && [ "$n" -lt 16 ]; do
        au_cap=$(($(cfg_read $((au_cap + 1)) b)))
        n=$((n + 1))
    done
    # PCI Express capability + 0x18: Slot Control; power controller off (0x400), indicator off (0x300)
    au_ctl=$(($(cfg_read $((au_cap + 0x18)) h)))
    cfg_write $((au_cap + 0x18)) h "$(printf '0x%x' $(((au_ctl & ~0x700) | 0x700)))"
    virsh -q resume "$au_dom" >/dev/null
}
# cfg_read OFFSET b|h, cfg_write OFFSET b|h VALUE: the config space of $au_port in $au_dom
cfg_select() {
    virsh qemu-monitor-command "$au_dom" --hmp "o /w 0xcf8 $(printf '0x%x' $((0x80000000 | au_port | ($1 & 0xfc))))" >/dev/null
}
cfg_read() {
    cfg_select "$1"
    virsh qemu-monitor-command "$au_dom" --hmp "i /$2 $((0xcfc + ($1 & 3)))" | sed -n 's/.*= \(0x[0-9a-f]*\).*/\1/p'
}
cfg_write() {
    cfg_select "$1"
    virsh qemu-monitor-command "$au_dom" --hmp "o /$2 $((0xcfc + ($1 & 3))) $3" >/dev/null
}

# wait_for SECONDS TEST...: until TEST succeeds, at most SECONDS
wait_for() {
    n=$1
    shift
    while [ "$n" -gt 0 ] && ! "$@" 2>/dev/null; do sleep 1; n=$((n - 1)); done
}

# guest_host_setup: what the guest's host depends on, as a real host would: the default route
# through the e1000e behind root port 00:16.0 (route_nic, route_if), a USB disk on the xHCI
# controller at 00:14.0 mounted at /mnt/usb, the framebuffer console on the boot VGA at 00:15.0
# (fb_name); root_dev is the root disk's controller
guest_host_setup() {
    udevadm settle --timeout=60
    # the default route leaves through the e1000e behind root port 00:16.0
    route_nic=$(child_of 0000:00:16.0)
    wait_for 30 test -d "/sys/bus/pci/devices/$route_nic/net"
    route_if=$(ls "/sys/bus/pci/devices/$route_nic/net" | head -n 1)
    ip link set "$route_if" up
    ip addr add 10.77.0.2/24 dev "$route_if"
    ip route add default via 10.77.0.1 dev "$route_if"
    # a USB disk on the xHCI controller at 00:14.0, mounted
    wait_for 60 test -b /dev/sda
    mkdir -p /mnt/usb
    mount /dev/sda /mnt/usb
    # the framebuffer console on the boot VGA at 00:15.0 (bochs-drm)
    wait_for 60 test -e /sys/class/graphics/fb0
    fb_name=$(cat /sys/class/graphics/fb0/name 2>/dev/null)
    root_dev=$(basename "$(dirname "$(readlink -f /sys/block/vda/device)")")
}

# console_state: the console as a user sees it: each vtconsole with its bind and name, then
# /proc/fb
console_state() {
    for v in /sys/class/vtconsole/vtcon*; do
        echo "$(basename "$v") $(cat "$v/bind") $(cat "$v/name")"
    done
    sed 's/^/fb: /' /proc/fb
}

# console_is STATE, journal_empty, fb_registered, holds: conditions for wait_for
console_is() { [ "$(console_state)" = "$1" ]; }
journal_empty() { [ -z "$(ls "$VH_RUNSTATEDIR/vfio-handoff/devices/" 2>/dev/null)" ]; }
fb_registered() { [ -n "$(cat /proc/fb)" ]; }
# holds PID NODE: PID is sleep with NODE as its standard input
holds() { [ "$(cat "/proc/$1/comm")" = sleep ] && [ "$(readlink "/proc/$1/fd/0")" = "$2" ]; }

# vtcon_named TEXT: the vtconsole whose name holds TEXT ("frame buffer", "dummy")
vtcon_named() { grep -l "$1" /sys/class/vtconsole/vtcon*/name | head -n 1 | xargs dirname; }

# console_cycle VGA NODE [firmware]: the boot VGA, which shows the console, handed to a nested
# domain and back with console-handoff=true. A process holding NODE (its DRM or framebuffer
# node) makes the start fail first, naming it, with nothing changed; while the domain runs the
# console is on the dummy device and no framebuffer is left; after it the console is exactly as
# before. With "firmware" the console is on the firmware's framebuffer (efifb), which the kernel
# removes for good when vfio-pci takes the VGA (Linux 6.0+): plan and the hook say so
# beforehand, the release warns, and the fix it gives (load the GPU's driver) brings a console
# back.
console_cycle() {
    vga=$1 node=$2 fw=${3:-}
    before=$(console_state) before_drv=$(drv "$vga")
    fbcon=$(vtcon_named "frame buffer") dummy=$(vtcon_named dummy)
    mark "console cycle of $vga: $(echo "$before" | paste -sd'|')"
    rc=0
    "$VH_CLI" enable --console-handoff "$vga" >"$tap_tmp/enable" 2>&1 || rc=$?
    is "enable --console-handoff of the boot VGA $vga" 0 "$rc"
    [ "$rc" = 0 ] || sed 's/^/#   /' "$tap_tmp/enable"
    domain_xml console-vm no "$vga"
    virsh -q define "$tap_tmp/console-vm.xml" >/dev/null
    sleep 600 <"$node" &
    holder=$!
    wait_for 10 holds "$holder" "$node"
    rc=0
    virsh start console-vm >"$tap_tmp/start" 2>&1 || rc=$?
    like "a process holding $node makes the start fail, naming it and its pid" \
        "^1 .*vfio-handoff: console-vm: $vga: in use: $node is open by sleep \\(pid $holder\\)" \
        "$rc $(cat "$tap_tmp/start" | paste -sd' ')"
    is "... with nothing changed: its driver, the console" "$before_drv $before" "$(drv "$vga") $(console_state)"
    kill "$holder"
    wait "$holder" 2>/dev/null
    out=$("$VH_CLI" plan console-vm 2>&1)
    like "plan shows the console released first" \
        "^ +1\\. write '0' to /sys/class/vtconsole/$(basename "$fbcon")/bind$" "$out"
    [ -z "$fw" ] || like "plan says the firmware framebuffer will not come back" \
        "^note: $vga: its firmware framebuffer [a-z-]+\\.0 will not come back after the VM" "$out"
    cursor=$(journalctl -n 0 --show-cursor -q | sed -n 's/^-- cursor: //p')
    rc=0
    virsh start console-vm >"$tap_tmp/start" 2>&1 || rc=$?
    is "virsh start of a domain with the boot VGA succeeds" 0 "$rc"
    [ "$rc" = 0 ] || sed 's/^/#   /' "$tap_tmp/start"
    # fbcon's vtconsole is unbound, and the kernel removes it once no framebuffer is left
    # (fbcon_fb_unregistered): "0" or "gone"
    l=$(cat "$fbcon/bind" 2>/dev/null) || l=gone
    like "while it runs: the VGA on vfio-pci, the framebuffer console unbound, the dummy console bound, no framebuffer" \
        "^vfio-pci (0|gone) 1 $" "$(drv "$vga") $l $(cat "$dummy/bind") $(cat /proc/fb)"
    like "the nested QEMU shows the VGA (info pci)" "VGA controller: PCI device 1234:1111" \
        "$(virsh qemu-monitor-command console-vm --hmp 'info pci' 2>&1)"
    like "status says what the console was and where it goes back" \
        "└ console: $(basename "$fbcon")" "$("$VH_CLI" status)"
    mark "console cycle: running, $(console_state | paste -sd'|')"
    virsh destroy console-vm >/dev/null 2>&1
    if [ -z "$fw" ]; then
        wait_for 30 console_is "$before"
        is "after virsh destroy: the console exactly as before (vtconsoles, /proc/fb)" "$before" "$(console_state)"
    else
        wait_for 30 journal_empty
        is "after virsh destroy: no framebuffer, the console on the dummy device (efifb is gone)" \
            "1 " "$(cat "$dummy/bind") $(cat /proc/fb)"
        like "... and the hook warned of it, with the fix" \
            "$vga: [a-z-]+\\.0 is gone, removed by the kernel when vfio-pci took the GPU .*\\(fix: load the GPU's own driver, or reboot the host\\)" \
            "$(journalctl --after-cursor "$cursor" -q -t vfio-handoff -o cat 2>/dev/null)"
    fi
    is "... and the VGA on its driver again, the journal empty" "$before_drv " \
        "$(drv "$vga") $(ls "$VH_RUNSTATEDIR/vfio-handoff/devices/" 2>/dev/null)"
    if [ -n "$fw" ]; then
        modprobe bochs
        wait_for 30 fb_registered
        fbcon=$(vtcon_named "frame buffer")
        is "the fix works: with the VGA's driver loaded the console is back on a framebuffer" \
            "bochs-drm 1 fb: 0 bochs-drmdrmfb" "$(drv "$vga") $(cat "$fbcon/bind" 2>/dev/null) $(console_state | grep '^fb: ')"
    fi
    virsh -q undefine console-vm >/dev/null
    "$VH_CLI" disable "$vga" >/dev/null
}
