# What the guest's scripts (run-tests.sh, bench-vm.sh) share: sourced, after tap.sh.

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
