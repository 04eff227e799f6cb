#!/bin/sh
# Every failure names its fix (issue "One truth", item 3): usage errors, libvirt's and GLib's
# errors, permissions; one exit code for one mistake in every verb; help VERB; a failed write to
# stdout. On fake hosts and libvirt's test driver; nothing here moves a device.
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

command -v jq >/dev/null 2>&1 || { echo "1..0 # SKIP jq is not installed"; exit 0; }
. "$VH_SRCDIR/tests/cli/fake-host.sh"
# a fake host served by the fake kernel first: a build without it (--without-fuse) skips the
# whole test here, with the reason, as the other tests that need it do
host gpu-audio
node="test://$VH_SRCDIR/tests/data/libvirt/node.xml"

fresh_n=0
fresh() {
    fresh_n=$((fresh_n + 1))
    r=$tap_tmp/$1-$fresh_n
    "$VH_FAKE_TOOL" build "$scenarios/$1.conf" "$r" >&2 || { echo "Bail out! cannot build $1"; exit 1; }
}
fresh gpu-audio

# ---- help VERB is VERB --help; unknown commands and options say which
run "$r" help list
help_out=$out help_rc=$rc
run "$r" list --help
is "help list prints list --help (exit 0)" "0 $out" "$help_rc $help_out"
run "$r" help frob
is "help of an unknown command is a usage error (exit 2)" 2 "$rc"
grammar "... in the message grammar" "$err"
run "$r" --frob
is "an unknown option is called an option (exit 2)" \
    "2 vfio-handoff: --frob: unknown option (fix: see 'vfio-handoff --help')" "$rc $err"

# ---- a failed write to stdout fails the verb
rc=0
VH_ROOT=$r "$VH_CLI" list --json >/dev/full 2>"$tap_tmp/err" || rc=$?
is "list --json > /dev/full exits 1" 1 "$rc"
grammar "... and says why" "$(cat "$tap_tmp/err")"
rc=0
VH_ROOT=$r "$VH_CLI" list >/dev/full 2>/dev/null || rc=$?
is "list > /dev/full exits 1" 1 "$rc"

# ---- one mistake, one exit code: a malformed DEVICE is a usage error (2) in every verb
for verb in show enable disable detach reattach; do
    run "$r" $verb zz:00.0
    is "$verb of a malformed DEVICE: exit 2" 2 "$rc"
    is "$verb of a malformed DEVICE: the same message" \
        "vfio-handoff: zz:00.0: not a device (fix: give a PCI address like 0000:01:00.0 or 01:00.0, or an ID like 10de:2204, as 'vfio-handoff list' shows them)" "$err"
done
for verb in show enable detach reattach; do
    run "$r" $verb 10de:9999
    is "$verb of an ID no device has: exit 1" 1 "$rc"
done
run "$r" show 01:00.0 00:00.0
is "show of two devices says so (exit 2)" \
    "2 vfio-handoff: show: takes one DEVICE, got 2 (fix: run 'vfio-handoff show 01:00.0', then 'vfio-handoff show 00:00.0')" "$rc $err"
run "$r" show
is "show of none (exit 2)" 2 "$rc"
grammar "... in the message grammar" "$err"

# ---- every verb takes an ID where it takes a DEVICE: reattach too
host gpu-audio
enable "$r" 0000:01:00.0
run "$r" detach 10de:2204
is "detach by ID (exit 0)" 0 "$rc"
run "$r" reattach 10de:2204
is "reattach by ID gives it back (exit 0)" "0 nouveau" "$rc $(drv "$r" 0000:01:00.0)"

# ---- not root: said before anything is written, with the command under sudo as the fix
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
    fresh gpu-audio
    chmod -R a+rX "$tap_tmp"
    chmod a+x "$tap_tmp"
    as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups env VH_ROOT="$r" "$VH_CLI" "$@"; }
elif [ "$(id -u)" -ne 0 ]; then
    fresh gpu-audio
    chmod a-w "$r/etc/vfio-handoff" "$r/etc/vfio-handoff/conf.d" "$r/run" 2>/dev/null
    mkdir -p "$r/etc/vfio-handoff/conf.d"
    as_nobody() { VH_ROOT="$r" "$VH_CLI" "$@"; }
else
    as_nobody=
fi
if command -v as_nobody >/dev/null 2>&1; then
    for cmd in "enable 01:00.0 --domain nas" "disable 01:00.0" "detach 01:00.0" "reattach 01:00.0" "recover --offline"; do
        rc=0
        # shellcheck disable=SC2086
        err=$(as_nobody $cmd 2>&1 >/dev/null) || rc=$?
        verb=${cmd%% *}
        like "$verb as a user: must be run as root, the fix runs it under sudo (exit 1)" \
            "^vfio-handoff: $verb: must be run as root, '[^']*' is not writable by this user \\(fix: run 'sudo vfio-handoff $cmd'\\)$" "$err"
        is "... exit 1" 1 "$rc"
    done
    is "... and nothing was written" "" "$(ls "$r/run" 2>/dev/null; ls "$r/etc/vfio-handoff/conf.d" 2>/dev/null)"
    chmod -R u+w "$r" 2>/dev/null
else
    for i in 1 2 3 4 5 6 7 8 9 10 11; do skip "setpriv is not installed: cannot run as another user"; done
fi

# ---- usage mistakes name what was given
run "$r" remove -c "$node" win11 --all 01:00.0
is "remove with --all and DEVICEs says both were given (exit 2)" \
    "2 vfio-handoff: remove: --all and DEVICEs exclude each other, and both were given (fix: run 'vfio-handoff remove win11 --all' for every one, or name only the DEVICEs)" "$rc $err"
run "$r" policy frob
is "policy frob names frob (exit 2)" \
    "2 vfio-handoff: frob: not a policy subcommand (fix: run 'vfio-handoff policy validate', the only one)" "$rc $err"
run "$r" plan --xml "$VH_SRCDIR/tests/data/domain/gpu.xml" -c "$node"
is "plan --xml with -c is a usage error (exit 2)" 2 "$rc"
grammar "... in the message grammar" "$err"

# ---- policy validate FILE of a draft that would be ignored: its content is checked all the same
cp "$VH_SRCDIR/tests/data/policy/bad-unit.conf" "$tap_tmp/draft.conf"
chmod 664 "$tap_tmp/draft.conf"
run "$r" policy validate "$tap_tmp/draft.conf"
like "a group-writable draft: said, with its fix" "draft.conf: would be ignored: writable by group or others \(fix: run 'chmod go-w " "$out"
like "... and its content is checked" "draft.conf:2: memory-reserve: invalid size '1X'" "$out"
run "$r" policy validate "$tap_tmp/missing.conf"
like "policy validate of a missing file names the fix" "missing.conf: ignored: cannot read it, No such file or directory \(fix: check that the path exists\)" "$out"

# ---- GLib's and libvirt's errors, wrapped
run "$r" plan --xml "$tap_tmp/missing.xml"
is "plan --xml of a missing file names it, with a fix (exit 1)" \
    "1 vfio-handoff: $tap_tmp/missing.xml: cannot be read, No such file or directory (fix: give a domain definition saved with 'virsh dumpxml DOMAIN > FILE')" "$rc $err"
run "$r" add -c "bogus:///x" win11 01:00.0
is "add with a URI libvirt cannot open (exit 1)" 1 "$rc"
like "... names the URI and how to fix it" "^vfio-handoff: libvirt at bogus:///x: cannot connect, .* \\(fix: start its daemon, 'systemctl start libvirtd' or 'systemctl start virtqemud', or name a running one with -c URI, e.g. -c qemu:///system\\)$" "$err"
rc=0
err=$(VH_ROOT=$r LIBVIRT_DEFAULT_URI="test:///nonexistent.xml" "$VH_CLI" plan nosuchvm 2>&1 >/dev/null) || rc=$?
like "plan with LIBVIRT_DEFAULT_URI unreachable names it" "^vfio-handoff: libvirt at test:///nonexistent.xml \\(LIBVIRT_DEFAULT_URI\\): cannot connect, .*\\(fix: " "$err"

# ---- check: a domains= pin libvirt does not know
fresh gpu-audio
run "$r" enable 01:00.0 --domain nas --domain renamed-vm
run "$r" check -c "$node"
like "check warns about a pin naming a domain libvirt does not know" \
    "^WARN +policy-domains +\\[device 0000:01:00.0\\] at .*/conf.d/50-0000:01:00.0.conf:[0-9]+ allows 'renamed-vm', which libvirt does not know: renamed or not defined yet \\(fix: correct the name there, or run 'vfio-handoff enable 0000:01:00.0 --replace --domain NAME'\\)$" "$out"
run "$r" enable 01:00.0 --replace --domain nas
run "$r" check -c "$node"
like "check passes once every pinned domain is known" "^PASS +policy-domains +libvirt knows every domain the policy names$" "$out"

# ---- enable of a device in use now: enabled, with a warning
fresh default-route
run "$r" enable 05:00.0
is "enable of an addressed NIC: enabled (exit 0), with a warning" \
    "0 vfio-handoff: warning: 0000:05:00.0: in use: enp5s0 is up with an address; it is enabled, but the hook refuses to hand it off while it is (fix: take the interface down or remove its addresses first)" "$rc $err"

# ---- the hook run by hand says what it is
rc=0
out=$("$VH_HOOK" --help) || rc=$?
like "vfio-handoff-hook --help says what it is" "^Usage: vfio-handoff-hook DOMAIN OPERATION" "$out"
is "... exit 0" 0 "$rc"
rc=0
err=$("$VH_HOOK" 2>&1) || rc=$?
is "vfio-handoff-hook with no arguments is a usage error (exit 2)" 2 "$rc"
like "... in the grammar" "^vfio-handoff-hook: arguments: missing, .* \\(fix: run 'vfio-handoff plan DOMAIN' to see what it would do, or see 'man vfio-handoff-hook'\\)$" "$err"

done_testing
