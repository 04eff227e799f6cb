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

# plain_domain NAME: defines a diskless q35 domain with no device, its definition as libvirt
# keeps it in $tap_tmp/NAME.orig
plain_domain() {
    {
        echo "<domain type='qemu'><name>$1</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
        echo "<os><type arch='x86_64' machine='q35'>hvm</type></os>"
        echo "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>"
    } >"$tap_tmp/$1.xml"
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
