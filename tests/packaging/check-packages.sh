#!/bin/sh
# make check-packages: the Debian and RPM packages build from the release tarball (make deb,
# make rpm), lintian finds nothing in the .deb, and both hold the files users expect: the same
# list, the policy file as a configuration file, the dependencies dlopen() hides. Prints TAP.
# Needs dpkg-buildpackage (debhelper), lintian and rpmbuild (Debian's rpm package is enough).
#   VH_BUILDDIR   the configured build tree (default .)
set -u
# tap.sh asks for the programs of the CLI tests; these tests run none of them
VH_SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
VH_CLI=${VH_CLI:-unused} VH_FAKE_TOOL=${VH_FAKE_TOOL:-unused}
export VH_SRCDIR VH_CLI VH_FAKE_TOOL
. "$VH_SRCDIR/tests/cli/tap.sh"
build=$(cd "${VH_BUILDDIR:-.}" && pwd)

# what both packages must hold (their own doc, licence and build-id files aside)
expected='/etc/libvirt/hooks/qemu.d/50-vfio-handoff
/etc/vfio-handoff/conf.d
/etc/vfio-handoff/vfio-handoff.conf
/usr/bin/vfio-handoff
/usr/lib/tmpfiles.d/vfio-handoff.conf
/usr/libexec/vfio-handoff/removal-check
/usr/libexec/vfio-handoff/vfio-handoff-hook
/usr/libexec/vfio-handoff/vfio-handoff-hook-engine
/usr/share/bash-completion/completions/vfio-handoff
/usr/share/man/man5/vfio-handoff.conf.5
/usr/share/man/man8/vfio-handoff-hook.8
/usr/share/man/man8/vfio-handoff.8
/usr/share/vfio-handoff/schema/add.schema.json
/usr/share/vfio-handoff/schema/check.schema.json
/usr/share/vfio-handoff/schema/detach.schema.json
/usr/share/vfio-handoff/schema/disable.schema.json
/usr/share/vfio-handoff/schema/domains.schema.json
/usr/share/vfio-handoff/schema/enable.schema.json
/usr/share/vfio-handoff/schema/export.schema.json
/usr/share/vfio-handoff/schema/groups.schema.json
/usr/share/vfio-handoff/schema/list.schema.json
/usr/share/vfio-handoff/schema/plan.schema.json
/usr/share/vfio-handoff/schema/policy.schema.json
/usr/share/vfio-handoff/schema/reattach.schema.json
/usr/share/vfio-handoff/schema/recover.schema.json
/usr/share/vfio-handoff/schema/remove.schema.json
/usr/share/vfio-handoff/schema/show.schema.json
/usr/share/vfio-handoff/schema/status.schema.json
/usr/share/vfio-handoff/schema/vfio-handoff.schema.json'
# leaves: a file, a link, or a directory nothing else in the list is below
leaves() { sed 's/\.gz$//' | sort -u | awk '{ l[NR] = $0 } END { for (i = 1; i <= NR; i++) if (index(l[i + 1], l[i] "/") != 1) print l[i] }'; }
ours() { grep -vE '^/usr/share/(doc|licenses)(/|$)|^/usr/lib/\.build-id|^/(etc|usr|usr/lib|usr/libexec|usr/share|usr/share/man|usr/share/man/man[58]|usr/share/bash-completion|usr/share/bash-completion/completions|usr/lib/tmpfiles.d|etc/libvirt|etc/libvirt/hooks|etc/libvirt/hooks/qemu.d|etc/vfio-handoff|usr/bin|usr/libexec/vfio-handoff|usr/share/vfio-handoff)$'; }

# what the Cockpit page's package must hold
cockpit_expected='/usr/share/cockpit/vfio-handoff/index.css
/usr/share/cockpit/vfio-handoff/index.html
/usr/share/cockpit/vfio-handoff/index.js
/usr/share/cockpit/vfio-handoff/manifest.json'
# (its lintian override aside: the page's index.html is not documentation)
cockpit_ours() { grep -vE '^/usr/share/(doc|licenses|lintian)(/|$)|^/(usr|usr/share|usr/share/cockpit|usr/share/cockpit/vfio-handoff)$'; }

# ---- Debian
deb=
if command -v dpkg-buildpackage >/dev/null 2>&1 && command -v dh >/dev/null 2>&1; then
    rc=0
    make -s -C "$build" deb DEB_BUILD_OPTIONS=nocheck >"$tap_tmp/deb.log" 2>&1 || rc=$?
    is "make deb builds the package from the release tarball (dpkg-buildpackage -us -uc -b)" 0 "$rc"
    [ "$rc" = 0 ] || sed 's/^/#   /' "$tap_tmp/deb.log" | tail -n 20
    deb=$(ls "$build"/packages/vfio-handoff_*.deb 2>/dev/null | head -n 1)
    cockpit_deb=$(ls "$build"/packages/cockpit-vfio-handoff_*_all.deb 2>/dev/null | head -n 1)
    changes=$(ls "$build"/packages/vfio-handoff_*.changes 2>/dev/null | head -n 1)
else
    skip "dpkg-buildpackage or debhelper is not installed (packaging/install-deps.sh installs them on Debian): no .deb is built"
fi
if [ -n "$deb" ]; then
    if command -v lintian >/dev/null 2>&1; then
        lintian --no-tag-display-limit "$changes" >"$tap_tmp/lintian" 2>&1
        is "lintian finds no error and no warning in the two .debs and the .changes" "" \
            "$(grep -E '^[EW]: ' "$tap_tmp/lintian")"
    else
        skip "lintian is not installed (packaging/install-deps.sh installs it): the .deb is not linted"
    fi
    is "the .deb holds the hook, its link in qemu.d, the CLI, the policy, tmpfiles.d, the man pages" \
        "$expected" "$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||' | ours | leaves)"
    is "the hook's link in qemu.d points at the installed hook" \
        "/usr/libexec/vfio-handoff/vfio-handoff-hook" \
        "$(dpkg-deb -c "$deb" | awk '$6 == "./etc/libvirt/hooks/qemu.d/50-vfio-handoff" { print $8 }')"
    # a package's binaries read no VH_* variable (--disable-test-hooks): the hook runs as root
    # whatever environment reaches it, and must never exec what VH_HOOK_ENGINE names
    dpkg-deb -x "$deb" "$tap_tmp/root"
    is "the .deb's hook, engine and CLI name no VH_ROOT or VH_HOOK_ENGINE (built --disable-test-hooks)" "" \
        "$(grep -lE 'VH_ROOT|VH_HOOK_ENGINE' "$tap_tmp/root/usr/libexec/vfio-handoff/"* "$tap_tmp/root/usr/bin/vfio-handoff" 2>&1)"
    dpkg-deb -e "$deb" "$tap_tmp/control"
    is "vfio-handoff.conf is its one conffile" "/etc/vfio-handoff/vfio-handoff.conf" "$(cat "$tap_tmp/control/conffiles")"
    is "it depends on libvirt0 and libkmod2, which the CLI and the hook dlopen()" "libkmod2 libvirt0 (>= 6.5.0)" \
        "$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//' | grep -E '^(libkmod2|libvirt0)( |$)' | sort | xargs)"
    like "prerm refuses the removal while devices are handed off" '^    /usr/libexec/vfio-handoff/removal-check$' \
        "$(cat "$tap_tmp/control/prerm")"
    like "postinst restarts a running libvirt daemon through deb-systemd-invoke (policy-rc.d)" \
        'deb-systemd-invoke try-restart "\$unit"' "$(cat "$tap_tmp/control/postinst")"
    is "the .deb holds no Cockpit page: cockpit-vfio-handoff does" "" \
        "$(dpkg-deb -c "$deb" | awk '{ print $6 }' | grep cockpit)"
    if [ -n "$cockpit_deb" ]; then
        is "cockpit-vfio-handoff's .deb holds the page in /usr/share/cockpit/vfio-handoff" "$cockpit_expected" \
            "$(dpkg-deb -c "$cockpit_deb" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||' | cockpit_ours | leaves)"
        is "... it is for every architecture, and depends on cockpit-bridge and this vfio-handoff" \
            "all cockpit-bridge (>= 266), vfio-handoff (>= $(dpkg-deb -f "$deb" Version))" \
            "$(dpkg-deb -f "$cockpit_deb" Architecture) $(dpkg-deb -f "$cockpit_deb" Depends)"
    else
        not_ok "make deb builds cockpit-vfio-handoff_*_all.deb too" "$(ls "$build/packages")"
    fi
fi

# ---- RPM
if command -v rpmbuild >/dev/null 2>&1; then
    rc=0
    make -s -C "$build" rpm >"$tap_tmp/rpm.log" 2>&1 || rc=$?
    is "make rpm builds the package from the release tarball (rpmbuild -ta)" 0 "$rc"
    [ "$rc" = 0 ] || sed 's/^/#   /' "$tap_tmp/rpm.log" | tail -n 20
    rpm=$(ls "$build"/packages/vfio-handoff-*.rpm 2>/dev/null | grep -v '\.src\.rpm$' | head -n 1)
    cockpit_rpm=$(ls "$build"/packages/cockpit-vfio-handoff-*.noarch.rpm 2>/dev/null | head -n 1)
    if [ -n "$rpm" ]; then
        is "rpm -qlp lists the same files as the .deb" "$expected" "$(rpm -qlp "$rpm" 2>/dev/null | ours | leaves)"
        is "vfio-handoff.conf is %config(noreplace)" "/etc/vfio-handoff/vfio-handoff.conf" \
            "$(rpm -qp --configfiles "$rpm" 2>/dev/null)"
        like "it requires libvirt-libs and kmod-libs, which the CLI and the hook dlopen()" \
            '^kmod-libs .*libvirt-libs >= 6\.5\.0' "$(rpm -qp --requires "$rpm" 2>/dev/null | grep -E '^(kmod|libvirt)-libs' | sort | xargs)"
        like "%preun refuses the removal while devices are handed off" 'removal-check \|\| exit 1' \
            "$(rpm -qp --scripts "$rpm" 2>/dev/null)"
    fi
    if [ -n "$cockpit_rpm" ]; then
        is "rpm -qlp lists the Cockpit page in cockpit-vfio-handoff's noarch .rpm" "$cockpit_expected" \
            "$(rpm -qlp "$cockpit_rpm" 2>/dev/null | cockpit_ours | leaves)"
        like "... it requires cockpit-bridge and this vfio-handoff" '^cockpit-bridge >= 266 vfio-handoff = ' \
            "$(rpm -qp --requires "$cockpit_rpm" 2>/dev/null | grep -E '^(cockpit-bridge|vfio-handoff)' | sort | xargs)"
    else
        not_ok "make rpm builds cockpit-vfio-handoff-*.noarch.rpm too" "$(ls "$build/packages")"
    fi
else
    skip "rpmbuild is not installed (packaging/install-deps.sh installs rpm): no RPM is built"
fi

done_testing
