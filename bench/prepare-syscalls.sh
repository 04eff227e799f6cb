#!/bin/sh
# What a hook `prepare` of a 4-device domain reads, counted with strace -f on a fake host served
# by the fake kernel (root and /dev/fuse needed): how often each policy file is opened, how often
# the sysfs device directory is listed and each device's config space read, and the syscalls
# in all. Usage: bench/prepare-syscalls.sh [BUILDDIR] (default: the current directory).
# Writes only below a temporary directory; the real /sys is never touched.
set -eu
b=$(cd "${1:-.}" && pwd)
src=${VH_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
fake=$b/tests/fake/vh-fake
hook=$b/hook/vfio-handoff-hook
command -v strace >/dev/null || { echo "prepare-syscalls: strace: not installed (apt-get install strace)" >&2; exit 77; }
[ -x "$fake" ] || { echo "prepare-syscalls: $fake: not built (run: make tests/fake/vh-fake)" >&2; exit 1; }
t=$(mktemp -d)
k=
cleanup() { if [ -n "$k" ]; then kill "$k" 2>/dev/null; wait "$k" 2>/dev/null || true; fi; rm -rf "$t"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
r=$t/host
"$fake" build "$src/tests/data/scenarios/twin-gpus.conf" "$r" >/dev/null
printf '[host]\nstep-timeout=2s\n[device 0000:01:00.0]\n[device 0000:02:00.0]\n' >"$r/etc/vfio-handoff/vfio-handoff.conf"
chmod 644 "$r/etc/vfio-handoff/vfio-handoff.conf"
"$fake" kernel "$r" 2>"$t/kernel.err" &
k=$!
n=0
while [ ! -e "$r/.fake/kernel.ready" ] && [ $n -lt 500 ]; do sleep 0.02; n=$((n + 1)); done
[ -e "$r/.fake/kernel.ready" ] || { echo "prepare-syscalls: the fake kernel did not start: $(cat "$t/kernel.err")" >&2; exit 77; }
{
    printf "<domain type='kvm'><name>four</name><memory unit='GiB'>2</memory>"
    printf "<memoryBacking><locked/></memoryBacking><devices>"
    for d in 01:00.0 01:00.1 02:00.0 02:00.1; do
        printf "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0' bus='0x%s' slot='0x%s' function='0x%s'/></source></hostdev>" \
            "${d%%:*}" "$(echo "$d" | cut -d: -f2 | cut -d. -f1)" "${d##*.}"
    done
    printf "</devices></domain>\n"
} >"$t/four.xml"
rc=0
VH_HOOK_ENGINE=$b/hook/vfio-handoff-hook-engine VH_ROOT=$r strace -f -qq -o "$t/trace" "$hook" four prepare begin - <"$t/four.xml" 2>"$t/err" || rc=$?
[ "$rc" = 0 ] || { echo "prepare-syscalls: prepare failed ($rc): $(cat "$t/err")" >&2; exit 1; }
for d in 01:00.0 01:00.1 02:00.0 02:00.1; do
    [ "$(basename "$(readlink "$r/sys/bus/pci/devices/0000:$d/driver")")" = vfio-pci ] ||
        { echo "prepare-syscalls: 0000:$d is not on vfio-pci after prepare" >&2; exit 1; }
done
count() { grep -cE "$1" "$t/trace" || true; }
echo "prepare of 4 devices ($b):"
echo "  opens of vfio-handoff.conf:           $(count "open(at)?\(.*etc/vfio-handoff/vfio-handoff\.conf\"")"
echo "  listings of conf.d:                   $(count "open(at)?\(.*etc/vfio-handoff/conf\.d\".*O_DIRECTORY")"
echo "  listings of sys/bus/pci/devices:      $(grep -E "open(at)?\(.*sys/bus/pci/devices\".*O_DIRECTORY" "$t/trace" | grep -vc O_PATH || true)"
echo "  reads of a device's config space:     $(count "open(at)?\(.*/config\"") ($(ls "$r/sys/bus/pci/devices" | wc -l) devices)"
echo "  opens of /proc/meminfo:               $(count "open(at)?\(.*proc/meminfo\"")"
echo "  opens of journal records:             $(count "open(at)?\(.*vfio-handoff/devices/0000")"
echo "  writer processes forked:              $(grep -E "(clone|clone3|fork|vfork)\(" "$t/trace" | grep -vc CLONE_THREAD || true)"
echo "  syscalls in all (every process):      $(wc -l <"$t/trace")"
