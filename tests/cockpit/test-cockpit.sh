#!/bin/sh
# The Cockpit page (cockpit/) in a real browser: installed for Debian's cockpit-ws and
# cockpit-bridge (a local session, as root, so its superuser is there), on a fake host served by
# the fake kernel (the page's commands get VH_ROOT through the bridge) with the fake libvirt's
# domains, and driven with Debian's headless chromium through the DevTools protocol
# (tests/cockpit/page.py). Its screenshots go to tests/cockpit/screenshots/ in the build tree.
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

ws=
for c in /usr/lib/cockpit/cockpit-ws /usr/libexec/cockpit-ws; do
    [ -x "$c" ] && ws=$c && break
done
[ -n "$ws" ] && command -v cockpit-bridge >/dev/null 2>&1 ||
    { echo "1..0 # SKIP Cockpit is not installed (packaging/install-deps.sh installs cockpit-ws, cockpit-bridge and cockpit-system)"; exit 0; }
chromium=$(command -v chromium || command -v chromium-browser) ||
    { echo "1..0 # SKIP chromium is not installed (packaging/install-deps.sh installs Debian's chromium)"; exit 0; }
python=/usr/bin/python3
[ -x "$python" ] || python=python3
"$python" -c 'import websocket' 2>/dev/null ||
    { echo "1..0 # SKIP python3-websocket is not installed (packaging/install-deps.sh installs it)"; exit 0; }
[ "$(id -u)" -eq 0 ] ||
    { echo "1..0 # SKIP not root: the page changes the host as Cockpit's superuser, which a local session has only as root"; exit 0; }
[ -e "${VH_FAKE_LIBVIRT:-}" ] || { echo "1..0 # SKIP the fake libvirt is not built (make check builds it)"; exit 0; }
page=${VH_COCKPIT_DIST:-$VH_SRCDIR/cockpit/dist}
[ -e "$page/index.js" ] || { echo "Bail out! the page is not built: $page/index.js is missing"; exit 1; }

. "$VH_SRCDIR/tests/cli/fake-host.sh"
browser_pid_file=$tap_tmp/profile/chromium.pid
# the browser too is gone at the end, also when the driver was killed
trap 'tap_reap; [ -s "$browser_pid_file" ] && kill -9 -- -"$(cat "$browser_pid_file")" 2>/dev/null; stop_kernels; rm -rf "$tap_tmp"' EXIT

host workstation
# the hook installed, so that the host check passes but for what it should not
mkdir -p "$r/etc/libvirt/hooks/qemu.d"
cp "$VH_HOOK" "$r/etc/libvirt/hooks/qemu.d/50-vfio-handoff"
# ... before libvirtd started (the host booted now, its libvirtd a second later), as a package
# installs it
sed -i "s/^btime .*/btime $(date +%s)/" "$r/proc/stat"
# two shut-off domains in the fake libvirt; router's memory is locked already, so that it can
# take a device live (a hot-plug does not change what runs)
mkdir -p "$r/libvirt"
for d in win11:4194304:6b7c7e0e-1f7e-4a53-9c1e-2f1d5a0b9f11 router:2097152:0d5f7a44-6a0e-4a43-8d8b-5c0f6c2a1e22; do
    name=${d%%:*} rest=${d#*:}
    locked=
    [ "$name" = router ] && locked="<memoryBacking><locked/></memoryBacking>"
    cat >"$r/libvirt/$name.xml" <<EOF
<domain type='kvm'>
  <name>$name</name>
  <uuid>${rest#*:}</uuid>
  <memory unit='KiB'>${rest%%:*}</memory>
  <currentMemory unit='KiB'>${rest%%:*}</currentMemory>
  $locked
  <vcpu placement='static'>4</vcpu>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
  </devices>
</domain>
EOF
done

# the page installed where the bridge looks for a user's packages
mkdir -p "$tap_tmp/data/cockpit"
ln -s "$page" "$tap_tmp/data/cockpit/vfio-handoff"
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env XDG_DATA_HOME="$tap_tmp/data" VH_ROOT="$r" VH_LIBVIRT_LIBRARY="$VH_FAKE_LIBVIRT" \
    VH_FAKE_LIBVIRT_DIR="$r/libvirt" PATH="$(dirname "$VH_CLI"):$PATH" LANG=C.UTF-8 \
    "$ws" --no-tls --address 127.0.0.1 --port "$port" --local-session=cockpit-bridge \
    >"$tap_tmp/ws.log" 2>&1 &
reap_at_exit $!
n=0
until "$python" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" 2>/dev/null; do
    n=$((n + 1))
    [ $n -lt 100 ] || { echo "Bail out! cockpit-ws did not listen: $(tail -n 3 "$tap_tmp/ws.log" | tr '\n' ' ')"; exit 1; }
    sleep 0.1
done

shots=${VH_SCREENSHOTS:-$PWD/tests/cockpit/screenshots}
rm -rf "$shots" && mkdir -p "$shots"
rc=0
VH_URL="http://127.0.0.1:$port" VH_HOST_ROOT="$r" VH_FAKE_LIBVIRT_DIR="$r/libvirt" VH_SHOTS="$shots" \
    VH_PROFILE="$tap_tmp/profile" VH_CHROMIUM="$chromium" VH_TMP="$tap_tmp" \
    "$python" "$VH_SRCDIR/tests/cockpit/page.py" || rc=$?
if [ "$rc" -ne 0 ]; then
    echo "# cockpit-ws's log:"
    sed 's/^/#   /' "$tap_tmp/ws.log" | tail -n 20
fi
exit "$rc"
