#!/bin/sh
# The Ansible collection (ansible/): built with ansible-galaxy and installed from its tarball as
# a user would, then driven by playbooks with Debian's ansible-core against localhost, on fake
# hosts (VH_ROOT) and a private libvirtd (qemu:///session): a first run changes, a second
# changes nothing, check mode writes nothing, a refusal fails the task with vfio-handoff's reason
# and fix. ansible-doc renders each module.
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

for tool in ansible-playbook ansible-galaxy ansible-doc jq; do
    command -v "$tool" >/dev/null 2>&1 ||
        { echo "1..0 # SKIP $tool is not installed (packaging/install-deps.sh installs ansible-core and jq)"; exit 0; }
done

# Ansible's own state in the temp dir, not in ~/.ansible
export ANSIBLE_HOME="$tap_tmp/ansible-home" ANSIBLE_LOCAL_TEMP="$tap_tmp/ansible-tmp" \
    ANSIBLE_REMOTE_TEMP="$tap_tmp/ansible-tmp" ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_NOCOLOR=1 \
    ANSIBLE_COLLECTIONS_PATH="$tap_tmp/collections" ANSIBLE_CALLBACKS_ENABLED=ansible.builtin.tree \
    ANSIBLE_CALLBACK_TREE_DIR="$tap_tmp/tree" \
    ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0 ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3

# ---- the collection, as a user gets it: built, then installed from its tarball
rc=0
ansible-galaxy collection build "$VH_SRCDIR/ansible" --output-path "$tap_tmp" >"$tap_tmp/build" 2>&1 || rc=$?
tarball=$(ls "$tap_tmp"/vfio_handoff-passthrough-*.tar.gz 2>/dev/null)
is "ansible-galaxy collection build makes the tarball (exit 0)" "0 yes" "$rc $([ -n "$tarball" ] && echo yes)"
rc=0
ansible-galaxy collection install "$tarball" -p "$tap_tmp/collections" >"$tap_tmp/install" 2>&1 || rc=$?
like "... and ansible-galaxy installs it from there" "^0 .*vfio_handoff.passthrough:.* was installed successfully" \
    "$rc $(tr '\n' ' ' <"$tap_tmp/install")"
for m in device hostdev facts; do
    rc=0
    ansible-doc "vfio_handoff.passthrough.$m" >"$tap_tmp/doc" 2>&1 || rc=$?
    like "ansible-doc renders vfio_handoff.passthrough.$m" "^0 > VFIO_HANDOFF.PASSTHROUGH.$(echo "$m" | tr a-z A-Z) .*OPTIONS" \
        "$rc $(tr '\n' ' ' <"$tap_tmp/doc")"
done

# ---- ansible-test sanity, the tests that run offline (the others fetch their tools with pip),
# in a copy laid out as ansible-test wants it, with its state under the temp dir
if command -v ansible-test >/dev/null 2>&1; then
    at=$tap_tmp/at/ansible_collections/vfio_handoff/passthrough
    mkdir -p "$at" "$tap_tmp/at/home"
    cp -R "$VH_SRCDIR/ansible/." "$at/"
    rm -f "$at/Makefile.am.inc"
    offline="compile future-import-boilerplate metaclass-boilerplate shebang line-endings
        no-smart-quotes empty-init symlinks use-argspec-type-path no-assert no-basestring
        no-dict-iteritems no-get-exception no-illegal-filenames no-main-display
        no-unicode-literals replace-urlopen use-compat-six action-plugin-docs"
    rc=0
    # shellcheck disable=SC2046
    (cd "$at" && HOME="$tap_tmp/at/home" ansible-test sanity --local \
        --python "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
        $(for t in $offline; do echo "--test $t"; done)) >"$tap_tmp/sanity" 2>&1 || rc=$?
    is "ansible-test sanity passes its $(echo $offline | wc -w) offline tests" \
        "0 $(echo $offline | wc -w)" "$rc $(grep -c '^Running sanity test' "$tap_tmp/sanity")"
    [ "$rc" = 0 ] || grep -vi 'locale' "$tap_tmp/sanity" | tail -n 15 | sed 's/^/# /'
else
    skip "ansible-test sanity: ansible-test is not installed (Debian's ansible-core has it)"
fi

# play [--check] [--diff] -- TASK-YAML: runs a one-task playbook on localhost against the fake host
# $r; sets rc (ansible-playbook's exit), res (the last task's JSON result, which the tree
# callback keeps) and log
play() {
    flags=
    while [ "$1" != -- ]; do flags="$flags $1"; shift; done
    shift
    {
        echo "- hosts: localhost"
        echo "  connection: local"
        echo "  gather_facts: false"
        echo "  environment: {VH_ROOT: \"$r\"}"
        echo "  tasks:"
        printf '%s\n' "$1" | sed 's/^/    /'
    } >"$tap_tmp/play.yml"
    rc=0
    rm -rf "$tap_tmp/tree"
    # shellcheck disable=SC2086
    ansible-playbook -i localhost, $flags "$tap_tmp/play.yml" >"$tap_tmp/play.out" 2>&1 || rc=$?
    res=$(jq -c . "$tap_tmp/tree/localhost" 2>/dev/null)
    log=$(cat "$tap_tmp/play.out")
    # a play that did not run its task: what ansible-playbook said, for the log
    [ -n "$res" ] || head -n 20 "$tap_tmp/play.out" | sed 's/^/# ansible: /'
}
field() { echo "$res" | jq -r "$1"; }
build() { # SCENARIO: a fake host in $r (read-only: enable and disable write only its /etc)
    r=$tap_tmp/host-$1-$tap_n
    "$VH_FAKE_TOOL" build "$scenarios/$1.conf" "$r" >&2 || { echo "Bail out! cannot build $1"; exit 1; }
}
cli=$VH_CLI

# ---- device: enable, declaratively
build sriov
drop=$r/etc/vfio-handoff/conf.d/50-0000:03:10.0.conf
vf_task="- vfio_handoff.passthrough.device:
    address: \"0000:03:10.0\"
    domains: [vm1]
    binary: $cli"
play -- "$vf_task"
is "device: the first run enables the VF (changed)" "0 true false domains=vm1" \
    "$rc $(field .changed) $(field '.failed // false') $(grep '^domains=' "$drop" 2>/dev/null)"
play -- "$vf_task"
is "... the second run changes nothing" "0 false" "$rc $(field .changed)"
cp "$drop" "$tap_tmp/before"
play --check --diff -- "- vfio_handoff.passthrough.device:
    address: \"0000:03:10.0\"
    domains: [vm1, vm2]
    binary: $cli"
is "check mode: another domain would change it (changed), and nothing is written" "0 true same" \
    "$rc $(field .changed) $(cmp -s "$tap_tmp/before" "$drop" && echo same)"
like "... and the diff shows the drop-in's new domains" "^\+domains=vm1;vm2$" "$log"
like "... against the old" "^-domains=vm1$" "$log"

# ---- device: a refusal fails the task with the CLI's reason and fix, and writes nothing
build default-route
play -- "- vfio_handoff.passthrough.device:
    address: \"0000:07:00.0\"
    binary: $cli"
is "device: a NIC the host depends on fails the task (ansible-playbook exits 2)" 2 "$rc"
is "... with vfio-handoff's reason and fix" \
    "0000:07:00.0: host-critical: enp7s0 carries the default route (fix: choose another device: the host needs this one, or pass --force to enable it anyway)" \
    "$(field .msg)"
is "... and nothing written" "" "$(ls "$r/etc/vfio-handoff/conf.d/" 2>/dev/null)"

# ---- device: match by IDs, then disable
build sriov
match_task="- vfio_handoff.passthrough.device:
    match: {vendor: \"8086\", device: \"1520\"}
    binary: $cli"
play -- "$match_task"
is "device match: every VF with those IDs is enabled (changed)" "0 true 0000:03:10.0 0000:03:10.4" \
    "$rc $(field .changed) $(field '[.devices[].address] | join(" ")')"
play -- "$match_task"
is "... the second run changes nothing" "0 false" "$rc $(field .changed)"
play --check -- "- vfio_handoff.passthrough.device:
    address: \"0000:03:10.4\"
    state: disabled
    binary: $cli"
is "disabled in check mode: would change, removes nothing" "0 true yes" \
    "$rc $(field .changed) $([ -e "$r/etc/vfio-handoff/conf.d/50-0000:03:10.4.conf" ] && echo yes)"
disable_task="- vfio_handoff.passthrough.device:
    address: \"0000:03:10.4\"
    state: disabled
    binary: $cli"
play -- "$disable_task"
is "disabled: the drop-in is removed (changed)" "0 true no" \
    "$rc $(field .changed) $([ -e "$r/etc/vfio-handoff/conf.d/50-0000:03:10.4.conf" ] && echo yes || echo no)"
play -- "$disable_task"
is "... the second run changes nothing" "0 false" "$rc $(field .changed)"
play -- "- vfio_handoff.passthrough.device:
    match: {vendor: \"dead\", device: \"beef\"}
    binary: $cli"
is "a match of no device fails the task, with the fix" \
    "2 match: no PCI device here has device_id beef, vendor_id dead (fix: see 'vfio-handoff list')" "$rc $(field .msg)"

# ---- facts
play -- "- vfio_handoff.passthrough.facts:
    binary: $cli"
is "facts: check, list and status of the host, as facts (changed false)" \
    "0 false true $(VH_ROOT=$r "$cli" list --json | jq '.devices | length') 0" \
    "$rc $(field .changed) $(field .ansible_facts.vfio_handoff.check.ok) $(field '.ansible_facts.vfio_handoff.list.devices | length') $(field '.ansible_facts.vfio_handoff.status.devices | length')"

# ---- the role: no package to install here; the policy is validated, the host checked
role_task="- ansible.builtin.include_role:
    name: vfio_handoff.passthrough.host
  vars:
    vfio_handoff_install: false
    vfio_handoff_binary: $cli"
play -- "$role_task"
is "the host role passes on a host that can do passthrough" "0" "$rc"
printf '[host]\nmemory-reserve=1X\n' >"$r/etc/vfio-handoff/conf.d/10-bad.conf"
play -- "$role_task"
like "... and fails on a policy with errors, naming the problem" \
    "^2 the policy has errors: memory-reserve: invalid size '1X'" \
    "$rc $(field .msg)"
rm "$r/etc/vfio-handoff/conf.d/10-bad.conf"

# ---- hostdev, against libvirt's own QEMU driver (a private qemu:///session)
need() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }
if need /usr/sbin/libvirtd && need virsh && need qemu-system-x86_64; then
    . "$VH_SRCDIR/tests/cli/session-libvirtd.sh"
    start_session_libvirtd
    sed "s/<domain type='kvm'/<domain type='qemu'/" "$VH_SRCDIR/tests/data/domain/q35.xml" >"$tap_tmp/vm.xml"
    virsh -q -c "$uri" define "$tap_tmp/vm.xml" >/dev/null
    dom=win11
    hostdevs() { virsh -c "$uri" dumpxml --inactive "$dom" | grep -c "<hostdev mode='subsystem' type='pci' managed='no'>"; }
    hd_task() { # STATE
        echo "- vfio_handoff.passthrough.hostdev:
    domain: $dom
    devices: [\"0000:03:10.0\"]
    state: $1
    uri: \"$uri\"
    binary: $cli"
    }
    play --check -- "$(hd_task present)"
    is "hostdev check mode: would add (changed), the definition untouched" "0 true 0" "$rc $(field .changed) $(hostdevs)"
    play --diff -- "$(hd_task present)"
    is "hostdev: the first run adds the VF to $dom (changed)" "0 true 1" "$rc $(field .changed) $(hostdevs)"
    like "... and the diff is the definition's" "^\+ *<hostdev mode='subsystem' type='pci' managed='no'>" "$log"
    play -- "$(hd_task present)"
    is "... the second run changes nothing" "0 false 1" "$rc $(field .changed) $(hostdevs)"
    play -- "$(hd_task absent)"
    is "absent: removed (changed)" "0 true 0" "$rc $(field .changed) $(hostdevs)"
    play -- "$(hd_task absent)"
    is "... the second run changes nothing" "0 false" "$rc $(field .changed)"
    play -- "- vfio_handoff.passthrough.hostdev:
    domain: $dom
    devices: [\"0000:03:00.0\"]
    uri: \"$uri\"
    binary: $cli"
    like "a device not enabled fails the task with vfio-handoff's reason and fix" \
        "^2 win11: 0000:03:00.0: not enabled for passthrough \(fix: run 'vfio-handoff enable 0000:03:00.0'\)$" \
        "$rc $(field .msg)"
else
    skip "hostdev against libvirt: libvirtd, virsh or qemu-system-x86_64 is not installed (packaging/install-deps.sh installs them)"
fi

done_testing
