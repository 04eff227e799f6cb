#!/bin/sh
# make check-valgrind: the CLI's read verbs and the hook's whole start and stop (front and
# engine) under valgrind's memcheck on a fake host with the fake kernel. A test fails on any
# memory error or definite leak (valgrind exits 99). The sysfs writer's children (forked, never
# exec'd) are not checked: what other threads of their parent allocated looks lost in them.
. "${VH_SRCDIR:?}/tests/cli/tap.sh"
. "$VH_SRCDIR/tests/cli/fake-host.sh"
command -v valgrind >/dev/null 2>&1 || { echo "1..0 # SKIP valgrind is not installed (packaging/install-deps.sh installs it)"; exit 0; }
export G_SLICE=always-malloc G_DEBUG=gc-friendly
vg() {
    rc=0
    valgrind -q --trace-children=yes --child-silent-after-fork=yes --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite --show-leak-kinds=definite "$@" >"$tap_tmp/vg.out" 2>"$tap_tmp/vg.err" || rc=$?
}
check_vg() { # DESC EXPECTED-RC
    if [ "$rc" = "$2" ]; then ok "valgrind: $1 (exit $rc, no memory error)"; else
        not_ok "valgrind: $1" "exit $rc, expected $2" "$(grep -E '==[0-9]+==' "$tap_tmp/vg.err" | head -n 15)"; fi
}

host gpu-audio
enable "$r" 0000:01:00.0
domain vm 0000:01:00.0 >"$tap_tmp/vm.xml"
for verb in "list" "list --json" "groups" "show 0000:01:00.0" "check" "status --json" "policy validate" "plan --xml $tap_tmp/vm.xml"; do
    # shellcheck disable=SC2086
    VH_ROOT=$r vg "$VH_CLI" $verb
    want=0
    [ "$verb" = check ] && [ "$rc" != 99 ] && want=$rc # the fake host may fail a check
    check_vg "vfio-handoff $verb" "$want"
done
VH_ROOT=$r vg "$VH_HOOK" vm prepare begin - <"$tap_tmp/vm.xml"
check_vg "the hook's prepare hands the GPU off" 0
is "... and it is on vfio-pci" vfio-pci "$(drv "$r" 0000:01:00.0)"
mkdir -p "$r/run/libvirt/qemu" "$r/proc/4242" && echo 4242 >"$r/run/libvirt/qemu/vm.pid"
VH_ROOT=$r vg "$VH_HOOK" vm started begin - <"$tap_tmp/vm.xml"
check_vg "the hook's started" 0
VH_ROOT=$r vg "$VH_CLI" status
check_vg "vfio-handoff status with a device handed off" 0
VH_ROOT=$r vg "$VH_HOOK" vm release end - <"$tap_tmp/vm.xml"
check_vg "the hook's release gives it back" 0
is "... and it is on nouveau again" nouveau "$(drv "$r" 0000:01:00.0)"
sed 's/<memoryBacking><locked\/><\/memoryBacking>//' "$tap_tmp/vm.xml" >"$tap_tmp/unlocked.xml"
VH_ROOT=$r vg "$VH_HOOK" vm prepare begin - <"$tap_tmp/unlocked.xml"
check_vg "a refused prepare (memory not locked)" 1
done_testing
