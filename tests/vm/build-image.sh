#!/bin/sh
# Builds the Debian 12 guest image of the VM test bed into DIR: base.ext4 (root filesystem),
# vmlinuz, initrd.img. Needs root (debootstrap, chroot); mounts nothing.
#   build-image.sh DIR MIRROR
set -eu
out=$1
mirror=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$out/root
pkgs=$(grep -v '^#' "$here/image-packages.txt" | grep . | paste -sd, -)

rm -rf "$root"
mkdir -p "$root" "$out/debs"
echo "vm: debootstrap bookworm from $mirror ($(echo "$pkgs" | tr ',' '\n' | wc -l) packages named)"
debootstrap --variant=minbase --include="$pkgs" --cache-dir="$out/debs" bookworm "$root" "$mirror" \
    >"$out/debootstrap.log" 2>&1 || { tail -n 30 "$out/debootstrap.log"; exit 1; }

# configure by chroot only (nothing mounted)
echo vh-guest >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 vh-guest\n' >"$root/etc/hosts"
echo '/dev/vda / ext4 rw,relatime 0 1' >"$root/etc/fstab"
printf 'vfio\nvfio_pci\nvfio_iommu_type1\n9p\n9pnet_virtio\nfuse\n' >"$root/etc/modules-load.d/vh-test.conf"
install -m 0755 "$here/guest/guest-runner" "$root/usr/local/sbin/vh-guest-runner"
install -m 0644 "$here/guest/vh-test.service" "$root/etc/systemd/system/vh-test.service"
ln -sf /etc/systemd/system/vh-test.service "$root/etc/systemd/system/multi-user.target.wants/vh-test.service"
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer man-db.timer; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
# a root login on the serial console, for VH_VM_KEEP=1 debugging
chroot "$root" passwd -d root >/dev/null
rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/var/cache/apt"/*.bin \
    "$root/var/cache/apt/archives"/*.deb "$root/var/lib/apt/lists"/*

cp "$root/boot"/vmlinuz-* "$out/vmlinuz"
cp "$root/boot"/initrd.img-* "$out/initrd.img"
rm -f "$out/base.ext4"
truncate -s 3G "$out/base.ext4"
mke2fs -q -F -t ext4 -E root_owner=0:0 -d "$root" "$out/base.ext4"
rm -rf "$root"
echo "vm: image ready ($(du -sh "$out/base.ext4" | cut -f1) allocated)"
