# Fake hosts served by the fake kernel, and the hook driven as libvirt drives it (sourced after
# tap.sh by the tests that change a host: test-hook.sh, test-hostile.sh, the reliability probes).
VH_HOOK=${VH_HOOK:?VH_HOOK must name vfio-handoff-hook}
export VH_HOOK_ENGINE=${VH_HOOK_ENGINE:?VH_HOOK_ENGINE must name vfio-handoff-hook-engine}

kernels=
# start_kernel ROOT: runs the fake kernel over ROOT/sys as a child of this shell (so that the
# EXIT trap can stop it) and waits until it serves; fails with its exit status in kernel_rc
start_kernel() {
    "$VH_FAKE_TOOL" kernel "$1" 2>"$tap_tmp/kernel.err" &
    k=$!
    kernels="$kernels $k"
    n=0
    while [ ! -e "$1/.fake/kernel.ready" ] && [ $n -lt 500 ] && kill -0 "$k" 2>/dev/null; do
        sleep 0.02
        n=$((n + 1))
    done
    [ -e "$1/.fake/kernel.ready" ] && return 0
    kernel_rc=0
    kill "$k" 2>/dev/null
    wait "$k" 2>/dev/null || kernel_rc=$?
    return 1
}
stop_kernels() {
    # SIGTERM unmounts; a write hung by a fault is released first by removing the faults
    rm -f "$tap_tmp"/host-*/.fake/faults
    for k in $kernels; do kill "$k" 2>/dev/null; done
    for k in $kernels; do wait "$k" 2>/dev/null; done
    kernels=
}
trap 'tap_reap; stop_kernels; rm -rf "$tap_tmp"' EXIT
trap 'exit 130' INT TERM

# host NAME: a fresh fake host with its fake kernel serving, in $r (not called in a command
# substitution, for the reason above)
host() {
    r=$tap_tmp/host-$1-$tap_n
    "$VH_FAKE_TOOL" build "$scenarios/$1.conf" "$r" >&2 || { echo "Bail out! cannot build $1"; exit 1; }
    printf '[host]\nstep-timeout=1s\n' >"$r/etc/vfio-handoff/vfio-handoff.conf"
    chmod 644 "$r/etc/vfio-handoff/vfio-handoff.conf"
    if ! start_kernel "$r"; then
        # built without libfuse3 (exit 77), or FUSE is not usable here: nothing below can run
        if [ "$tap_n" -eq 0 ] && [ "$kernel_rc" = 77 ]; then
            echo "1..0 # SKIP no fake kernel: $(head -n 1 "$tap_tmp/kernel.err")"
            exit 0
        fi
        echo "Bail out! the fake kernel did not start (exit $kernel_rc): $(head -n 1 "$tap_tmp/kernel.err")"
        exit 1
    fi
}

# domain NAME DEVICE...: domain XML with managed='no' PCI hostdevs and locked memory
domain() {
    name=$1
    shift
    printf "<domain type='kvm' id='1'><name>%s</name><memory unit='GiB'>2</memory>" "$name"
    printf "<memoryBacking><locked/></memoryBacking><devices>"
    for d in "$@"; do
        printf "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x%s' bus='0x%s' slot='0x%s' function='0x%s'/></source></hostdev>" \
            "${d%%:*}" "$(echo "$d" | cut -d: -f2)" "$(echo "$d" | cut -d: -f3 | cut -d. -f1)" "${d##*.}"
    done
    printf "</devices></domain>\n"
}

# (run ROOT ARGS...: the CLI on ROOT, from tap.sh)
# hook ROOT DOMAIN OP SUBOP XMLFILE [EXTRA]: runs the hook (EXTRA: its last argument, "-" unless
# given); sets rc, out, err
hook() {
    rc=0
    VH_ROOT=$1 "$VH_HOOK" "$2" "$3" "$4" "${6:--}" <"$5" >"$tap_tmp/out" 2>"$tap_tmp/err" || rc=$?
    out=$(cat "$tap_tmp/out")
    err=$(cat "$tap_tmp/err")
}

# start DOMAIN XMLFILE PID: the hook's prepare and started of DOMAIN on $r, as libvirt runs them
# for a QEMU of pid PID (its pid file there meanwhile); rc and err are prepare's
start() {
    hook "$r" "$1" prepare begin "$2"
    start_rc=$rc start_err=$err
    mkdir -p "$r/run/libvirt/qemu" && echo "$3" >"$r/run/libvirt/qemu/$1.pid"
    hook "$r" "$1" started begin "$2"
    rm -f "$r/run/libvirt/qemu/$1.pid"
    rc=$start_rc err=$start_err
}

drv() { basename "$(readlink "$1/sys/bus/pci/devices/$2/driver" 2>/dev/null)" 2>/dev/null || echo -; }
ovr() { cat "$1/sys/bus/pci/devices/$2/driver_override"; }
# every device's driver and override: the state a refusal must leave untouched
state() { for d in "$1"/sys/bus/pci/devices/*; do b=$(basename "$d"); echo "$b $(drv "$1" "$b") $(ovr "$1" "$b")"; done; }
journal() { ls "$1/run/vfio-handoff/devices" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
enable() { VH_ROOT=$1 "$VH_CLI" enable "$2" >/dev/null; }

