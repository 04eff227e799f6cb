#!/bin/sh
# Install what vfio-handoff needs to build and test, and to build its packages, on
# Debian/Ubuntu (apt) or Fedora/RHEL (dnf). Idempotent: packages already present are left alone.
#
#   packaging/install-deps.sh          build + test dependencies
#   packaging/install-deps.sh --vm     also what `make check-vm` needs (QEMU, debootstrap)
#   packaging/install-deps.sh --bench  also what `make bench` compares against (virt-xml)
# The Cockpit page's browser test needs Cockpit (cockpit-ws, cockpit-bridge, cockpit-system),
# Chromium and python3-websocket: installed too where the distribution has them, else that test
# skips, saying so. Cockpit's own socket (port 9090) is left off: the test runs its own cockpit-ws.
set -eu

want_vm=no
want_bench=no
for arg in "$@"; do
    case "$arg" in
    --vm) want_vm=yes ;;
    --bench) want_bench=yes ;;
    -h | --help)
        sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "install-deps.sh: unknown option '$arg' (try --help)" >&2
        exit 2
        ;;
    esac
done

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "install-deps.sh: must run as root (or with sudo available)" >&2
        exit 1
    fi
else
    SUDO=
fi

if command -v apt-get >/dev/null 2>&1; then
    pkgs="build-essential autoconf automake libtool pkgconf make
          libglib2.0-dev libxml2-dev libpci-dev pciutils libvirt-dev libjson-glib-dev
          libkmod-dev libmount-dev libfuse3-dev fuse3 strace valgrind libvirt-clients jq bash-completion patch
          clang libclang-rt-dev util-linux
          libvirt-daemon libvirt-daemon-driver-qemu qemu-system-x86 qemu-system-arm libxml2-utils
          groff-base debhelper lintian rpm python3 python3-jsonschema ansible-core"
    [ "$want_vm" = yes ] && pkgs="$pkgs qemu-utils debootstrap e2fsprogs ovmf"
    [ "$want_bench" = yes ] && pkgs="$pkgs virtinst"
    # not_installed PACKAGE...: those of them dpkg does not have installed
    not_installed() {
        for p in "$@"; do
            dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
                printf ' %s' "$p"
        done
    }
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    missing=$(not_installed $pkgs)
    if [ -n "$missing" ]; then
        echo "install-deps.sh: installing:$missing"
        # A fresh machine may have no package lists yet.
        $SUDO apt-get update -qq
        # shellcheck disable=SC2086
        $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
        echo "install-deps.sh: all build dependencies present"
    fi
    missing=$(not_installed cockpit-ws cockpit-bridge cockpit-system chromium python3-websocket)
    if [ -n "$missing" ]; then
        echo "install-deps.sh: installing, for the Cockpit page's browser test:$missing"
        had_socket=$(systemctl is-enabled cockpit.socket 2>/dev/null || true)
        # shellcheck disable=SC2086
        if $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
            # Debian's cockpit-ws enables and starts cockpit.socket: a web console on port 9090
            # is not what a test dependency should add to a machine
            if [ "$had_socket" != enabled ] && [ -d /run/systemd/system ] &&
                systemctl is-enabled cockpit.socket >/dev/null 2>&1; then
                $SUDO systemctl disable --now cockpit.socket >/dev/null 2>&1 || true
                echo "install-deps.sh: cockpit.socket left off (to use Cockpit: systemctl enable --now cockpit.socket)"
            fi
        else
            echo "install-deps.sh: warning: Cockpit or Chromium cannot be installed here: the Cockpit page's browser test will skip"
        fi
    fi
elif command -v dnf >/dev/null 2>&1; then
    pkgs="gcc make autoconf automake libtool pkgconf-pkg-config
          glib2-devel libxml2-devel pciutils-devel pciutils libvirt-devel json-glib-devel
          kmod-devel libmount-devel fuse3-devel fuse3 strace valgrind libvirt-client jq bash-completion patch
          clang compiler-rt util-linux
          libvirt-daemon-driver-qemu qemu-system-x86-core qemu-system-aarch64-core libxml2
          groff-base rpm-build python3 python3-jsonschema ansible-core"
    [ "$want_vm" = yes ] && pkgs="$pkgs qemu-img debootstrap e2fsprogs edk2-ovmf"
    [ "$want_bench" = yes ] && pkgs="$pkgs virt-install"
    # shellcheck disable=SC2086
    $SUDO dnf install -y -q $pkgs
    # Chromium comes from EPEL on RHEL: where it cannot be installed the browser test skips
    $SUDO dnf install -y -q cockpit-ws cockpit-bridge cockpit-system chromium python3-websocket-client ||
        echo "install-deps.sh: warning: Cockpit or Chromium cannot be installed here: the Cockpit page's browser test will skip"
else
    echo "install-deps.sh: neither apt-get nor dnf found; install the packages listed in README.md by hand" >&2
    exit 1
fi
