#!/bin/bash
# For comparison only: the qemu hook dispatcher many passthrough users install today
# (PassthroughPOST/VFIO-Tools' libvirt_hooks/qemu, reproduced here): it runs scripts from
# qemu.d/GUEST/OP/SUBOP/ and does nothing for a domain that has none.
GUEST_NAME="$1"
HOOK_NAME="$2"
STATE_NAME="$3"
BASEDIR="$(dirname "$0")"
HOOKPATH="$BASEDIR/qemu.d/$GUEST_NAME/$HOOK_NAME/$STATE_NAME"
set -e
if [ -f "$HOOKPATH" ]; then
    eval \""$HOOKPATH"\" "$@"
elif [ -d "$HOOKPATH" ]; then
    while read -r file; do
        eval \""$file"\" "$@"
    done <<<"$(find -L "$HOOKPATH" -maxdepth 1 -type f -executable -print)"
fi
