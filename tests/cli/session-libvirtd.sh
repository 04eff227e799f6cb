# A private, unprivileged libvirtd (libvirt's own QEMU driver, qemu:///session) for the tests that
# define domains: sourced after tap.sh. start_session_libvirtd starts it under $tap_tmp (as
# nobody when run as root: root's would be qemu:///system) and sets $uri to its socket; the
# script's exit stops it and removes $tap_tmp. Nothing starts a guest.
start_session_libvirtd() {
    lv=$tap_tmp/libvirt
    mkdir -p "$lv/home" "$lv/run"
    as_user=
    if [ "$(id -u)" -eq 0 ]; then
        chmod 711 "$tap_tmp"
        chown -R nobody:"$(id -gn nobody)" "$lv"
        as_user="setpriv --reuid=nobody --regid=$(id -g nobody) --clear-groups"
    fi
    chmod 700 "$lv/run"
    $as_user env -i HOME="$lv/home" XDG_RUNTIME_DIR="$lv/run" XDG_CONFIG_HOME="$lv/home/.config" \
        XDG_CACHE_HOME="$lv/home/.cache" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        /usr/sbin/libvirtd >"$lv/daemon.log" 2>&1 &
    lv_pid=$!
    trap 'kill "$lv_pid" 2>/dev/null; wait "$lv_pid" 2>/dev/null; rm -rf "$tap_tmp"' EXIT
    trap 'exit 130' INT TERM
    uri="qemu+unix:///session?socket=$lv/run/libvirt/libvirt-sock"
    n=0
    until virsh -q -c "$uri" uri >/dev/null 2>&1; do
        n=$((n + 1))
        if [ $n -gt 300 ] || ! kill -0 "$lv_pid" 2>/dev/null; then
            echo "Bail out! libvirtd did not start: $(tail -n 3 "$lv/daemon.log" | tr '\n' ' ')"
            exit 1
        fi
        sleep 0.1
    done
}
