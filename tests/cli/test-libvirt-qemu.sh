#!/bin/sh
# add and remove against libvirt's own QEMU driver, not only its test driver: a private,
# unprivileged libvirtd (qemu:///session, defining only, no guest starts) over the domain shapes
# in tests/data/domain. Every definition add leaves passes virt-xml-validate, and remove --all
# gives back `virsh dumpxml --inactive` byte for byte, whatever libvirt added on define.
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

need() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }
for tool in /usr/sbin/libvirtd virsh virt-xml-validate xmllint qemu-system-x86_64; do
    if ! need "$tool"; then
        echo "1..0 # SKIP $tool is not installed (packaging/install-deps.sh installs it)"
        exit 0
    fi
done

# ---- the daemon: its own directories, as an unprivileged user (root's would be qemu:///system)
. "$VH_SRCDIR/tests/cli/session-libvirtd.sh"
start_session_libvirtd

# ---- the hosts: a GPU with its audio function (one multifunction guest slot, a root port of
# vfio-handoff's) and an SR-IOV VF (one function, placed by libvirt), both enabled
gpu=$(tree gpu-audio)
vf=$(tree sriov)
run "$gpu" enable 0000:01:00.0
is "the GPU is enabled" 0 "$rc"
run "$vf" enable 0000:03:10.0
is "the VF is enabled" 0 "$rc"

dumpxml() { virsh -c "$uri" dumpxml --inactive "$1" 2>"$tap_tmp/virsh.err"; }

# shape NAME FILE: defines FILE (as a TCG domain: no /dev/kvm here) as NAME; FALSE if libvirt
# refuses it (an emulator it cannot use), with the reason in $why. A definition libvirt has just
# completed (controllers it added) is not always its own fixed point: defined again unchanged, as
# `virsh edit` saves it, libvirt sorts the controllers by type. No tool that defines can give the
# first form back, so that shape is compared in the form any save leaves it, and the test says so.
shape() {
    virsh -q -c "$uri" undefine "$1" --nvram >/dev/null 2>&1
    sed "s/<domain type='kvm'/<domain type='qemu'/" "$2" >"$tap_tmp/shape.xml"
    if ! why=$(virsh -q -c "$uri" define "$tap_tmp/shape.xml" 2>&1 >/dev/null); then
        why=$(printf '%s' "$why" | head -n 1)
        return 1
    fi
    dumpxml "$1" >"$tap_tmp/first.xml"
    virsh -q -c "$uri" define "$tap_tmp/first.xml" >/dev/null 2>&1 || return 1
    dumpxml "$1" >"$tap_tmp/settled.xml"
    cmp -s "$tap_tmp/first.xml" "$tap_tmp/settled.xml" ||
        echo "# $1: libvirt reorders its own first definition when it is defined again unchanged; compared in that form"
    return 0
}

# cycle SHAPE ROOT DEVICE [ROOT DEVICE]: add each device in turn, validate, remove --all, compare
cycle() {
    s=$1
    shift
    dumpxml "$s" >"$tap_tmp/before.xml"
    label="$s + $2"
    while [ $# -ge 2 ]; do
        run "$1" add -c "$uri" "$s" "$2"
        is "$s: add $2 exits 0" 0 "$rc"
        [ "$rc" = 0 ] || printf '%s\n' "$err" | sed 's/^/# /'
        shift 2
        [ $# -ge 2 ] && label="$label + $2"
    done
    dumpxml "$s" >"$tap_tmp/added.xml"
    rc=0
    out=$(virt-xml-validate "$tap_tmp/added.xml" domain 2>&1) || rc=$?
    is "$label: the definition add left passes virt-xml-validate" 0 "$rc"
    [ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
    rc=0
    cmp -s "$tap_tmp/before.xml" "$tap_tmp/added.xml" && rc=1
    is "$label: add changed the definition" 0 "$rc"
    run "$gpu" remove -c "$uri" "$s" --all
    is "$label: remove --all exits 0" 0 "$rc"
    dumpxml "$s" >"$tap_tmp/after.xml"
    rc=0
    diff=$(diff -u "$tap_tmp/before.xml" "$tap_tmp/after.xml") || rc=$?
    is "$label: remove --all gives back dumpxml --inactive byte for byte" 0 "$rc"
    [ "$rc" = 0 ] || printf '%s\n' "$diff" | sed 's/^/# /'
}

for f in "$VH_SRCDIR"/tests/data/domain/q35.xml "$VH_SRCDIR"/tests/data/domain/pc.xml \
    "$VH_SRCDIR"/tests/data/domain/gpu.xml \
    "$VH_SRCDIR"/tests/data/domain/shapes/*.xml; do
    s=$(sed -n 's|.*<name>\(.*\)</name>.*|\1|p' "$f" | head -n 1)
    if ! shape "$s" "$f"; then
        case $f in
        *aarch64*) skip "$s: libvirt's QEMU driver does not define it here: $why" ;;
        *) not_ok "$s: libvirt defines the shape" "$why" ;;
        esac
        continue
    fi
    cycle "$s" "$gpu" 0000:01:00.0
    cycle "$s" "$vf" 0000:03:10.0
    cycle "$s" "$vf" 0000:03:10.0 "$gpu" 0000:01:00.0
done

done_testing
