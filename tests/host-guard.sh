#!/bin/sh
# host-guard.sh TAP LABEL CMD...: runs CMD and proves that it left this machine as it found it;
# appends the proof to the file TAP as TAP lines and exits with CMD's status.
#
# As root, CMD runs in a private mount namespace where /etc and /usr/local are overlays whose
# upper layers are kept aside: whatever CMD writes there lands in them, never in the real
# directories, and shows. Before CMD, a foreign hook (qemu.d/10-foreign), a libvirt `qemu`
# hook and an installed vfio-handoff hook (qemu.d/50-vfio-handoff) are put in
# /etc/libvirt/hooks of that namespace; afterwards they must be there unchanged and nothing
# else written. Where there can be no private namespace (not root; a chroot whose / is not a
# mount point, where new mounts would reach the host) it compares listings of
# /etc/libvirt/hooks and /usr/local before and after, and the seeded-hooks case is a skip that
# says why. In both, no `vh-fake
# kernel` process and no FUSE mount of the fake kernel may be left, and no cockpit-ws,
# cockpit-bridge or chromium the Cockpit page's browser test started.
set -u

fuse_mounts() { grep -c ' fuse\.vhsysfs ' /proc/self/mounts || true; }

# ---- inside the namespace (this script again, with VH_GUARD_SCRATCH set)
if [ -n "${VH_GUARD_SCRATCH:-}" ]; then
    s=$VH_GUARD_SCRATCH
    hooks=/etc/libvirt/hooks
    seed() {
        mkdir -p "$s/t" && mount -t tmpfs vh-guard "$s/t" || return 1
        for d in /etc /usr/local; do
            n=$(echo "$d" | tr / _)
            mkdir -p "$d" "$s/t/$n.u" "$s/t/$n.w" &&
                mount -t overlay vh-guard -o "lowerdir=$d,upperdir=$s/t/$n.u,workdir=$s/t/$n.w" "$d" ||
                return 1
        done
        mkdir -p "$hooks/qemu.d" &&
            printf '#!/bin/sh\n# a hook of another tool\nexit 0\n' >"$hooks/qemu.d/10-foreign" &&
            printf '#!/bin/sh\n# the qemu hook of another tool\nexit 0\n' >"$hooks/qemu" &&
            chmod 755 "$hooks/qemu.d/10-foreign" "$hooks/qemu" &&
            ln -sfn /usr/libexec/vfio-handoff/vfio-handoff-hook "$hooks/qemu.d/50-vfio-handoff"
    }
    state() { # what the seeded hooks are: content or link target
        for f in "$hooks/qemu.d/10-foreign" "$hooks/qemu" "$hooks/qemu.d/50-vfio-handoff"; do
            if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; else echo "$f $(sha256sum <"$f" 2>&1 | cut -c1-16)"; fi
        done
    }
    written() { (cd "$s/t/$1.u" && find . -mindepth 1 | sort); }
    seed 2>"$s/setup.err" || exit 1
    state >"$s/hooks.seeded"
    written _etc >"$s/etc.seeded"
    written _usr_local >"$s/usr-local.seeded"
    fuse_mounts >"$s/mounts.before"
    rc=0
    "$@" || rc=$?
    echo "$rc" >"$s/rc"
    state | diff "$s/hooks.seeded" - | sed -n 's/^> //p' >"$s/hooks.changed"
    written _etc | comm -13 "$s/etc.seeded" - | sed 's|^\.|/etc|' >"$s/etc.after"
    written _usr_local | comm -13 "$s/usr-local.seeded" - | sed 's|^\.|/usr/local|' >"$s/usr-local.after"
    echo $(($(fuse_mounts) - $(cat "$s/mounts.before"))) >"$s/mounts.after"
    exit "$rc"
fi

# ---- outside
tap=$1
label=$2
shift 2
say() { echo "$1 - $label: $2" >>"$tap"; }
# (by process name: a command line may mention the fake kernel without being one); those that
# ran before are not the stage's
fake_kernels() { pgrep -x 'vh-fake|cockpit-ws|cockpit-bridge|chromium' 2>/dev/null | sort; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/vh-guard-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM
fake_kernels >"$scratch/kernels.before"

# why there can be no private namespace here, if there cannot
if [ "$(id -u)" -ne 0 ]; then
    no_ns="a private mount namespace needs root"
elif ! grep -qw overlay /proc/filesystems; then
    no_ns="the kernel has no overlay filesystem"
elif ! unshare --mount --propagation private true 2>"$scratch/unshare.err"; then
    # e.g. in a chroot whose / is not a mount point: its mounts could not be kept private
    no_ns="no private mount namespace here ($(head -n 1 "$scratch/unshare.err"))"
else
    no_ns=
fi

if [ -z "$no_ns" ]; then
    rc=0
    VH_GUARD_SCRATCH=$scratch unshare --mount --propagation private sh "$0" "$@" || rc=$?
    if [ ! -f "$scratch/rc" ]; then
        say "not ok" "a private /etc for the run could not be set up: $(head -n 2 "$scratch/setup.err" | paste -sd' ')"
        exit 1
    fi
    if [ -s "$scratch/etc.after" ] || [ -s "$scratch/usr-local.after" ]; then
        say "not ok" "nothing written to /etc and /usr/local (written: $(cat "$scratch/etc.after" "$scratch/usr-local.after" | head -n 8 | paste -sd' '))"
    else
        say "ok" "nothing written to /etc and /usr/local"
    fi
    if [ -s "$scratch/hooks.changed" ]; then
        say "not ok" "a foreign hook, a qemu hook and an installed hook survive (now: $(paste -sd' ' "$scratch/hooks.changed"))"
    else
        say "ok" "a foreign hook, a qemu hook and an installed hook in /etc/libvirt/hooks survive"
    fi
    mounts=$(cat "$scratch/mounts.after")
else
    listing() {
        for d in /etc/libvirt/hooks /usr/local; do
            [ -e "$d" ] && find "$d" -printf '%p %y %m %s %T@ %l\n' 2>/dev/null
        done | sort
    }
    before=$(fuse_mounts)
    listing >"$scratch/before"
    rc=0
    "$@" || rc=$?
    listing >"$scratch/after"
    if cmp -s "$scratch/before" "$scratch/after"; then
        say "ok" "/etc/libvirt/hooks and /usr/local unchanged (listings before and after)"
    else
        say "not ok" "/etc/libvirt/hooks and /usr/local unchanged ($(diff "$scratch/before" "$scratch/after" | grep '^[<>]' | head -n 5 | paste -sd' '))"
    fi
    echo "ok - # SKIP $label: seeded hooks survive: $no_ns" >>"$tap"
    mounts=$(($(fuse_mounts) - before))
fi
if [ "$mounts" -gt 0 ]; then
    say "not ok" "no fake kernel mount left ($mounts left)"
else
    say "ok" "no fake kernel mount left"
fi
# processes on their way out end with their parent: give them a moment
n=0
while left=$(fake_kernels | comm -13 "$scratch/kernels.before" -) && [ -n "$left" ] && [ $n -lt 30 ]; do
    sleep 0.1
    n=$((n + 1))
done
if [ -n "$left" ]; then
    say "not ok" "no fake kernel, cockpit-ws or chromium process left (pids $(echo "$left" | paste -sd' '): $(for p in $left; do cat /proc/$p/comm 2>/dev/null; done | sort -u | paste -sd' '))"
else
    say "ok" "no fake kernel, cockpit-ws or chromium process left"
fi
exit "$rc"
