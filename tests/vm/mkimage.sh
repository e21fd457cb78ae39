#!/usr/bin/env bash
# mkimage.sh [ARCH]: build the tests/vm guest — a Debian trixie system with systemd as init and
# rootless Podman (>= 5), the nearest thing to a Fedora CoreOS host that Debian's packages give —
# as a raw ext4 disk image with its kernel and initrd beside it, for tests/vm/boot.sh.
#
# ARCH is x86_64 (default) or aarch64. Only Debian packages from the mirror are used: a
# `debootstrap --variant=minbase` rootfs, the rest installed by apt inside a chroot (apt, unlike
# debootstrap, resolves alternatives and leaves Recommends out on request), configured from the
# files in tests/vm/image/ (the runner unit, networkd, manager timeouts), then turned into an ext4
# image with `mkfs.ext4 -d` — no loop device, no mount of the image. The only mounts are those
# debootstrap makes (/proc, /sys in the rootfs) and /proc, /sys and the .deb cache for the chroot
# apt, all in private mount namespaces (unshare), so they vanish with them even when the build
# fails or is killed.
#
# The result is cached as $TP_CACHE/vm/ARCH-KEY (TP_CACHE default /var/cache/tailpod), KEY a hash
# of this script, tests/vm/image/ and ARCH: it is rebuilt only when that recipe changes (delete
# the directory to pick up newer Debian packages). It is built in a temporary directory beside it
# and renamed into place, so a directory with that name is always complete; boot.sh boots
# copy-on-write overlays of it and never writes to it. A new build keeps one older image of the
# same ARCH and removes the rest. The directory holds:
#   base.raw      the ext4 root filesystem (sparse), root=/dev/vda
#   vmlinuz       the kernel, initrd.img its initramfs (virtio_pci, virtio_blk, ext4)
#   packages.txt  every installed package and version; info  kernel, podman, size, build time
#   build.log     debootstrap and apt output
# The image directory's path is the last line on stdout; progress goes to stderr.
#
# aarch64 from an x86_64 host runs the arm64 maintainer scripts under qemu-user: it needs
# qemu-user-static (third_party/deps.sh installs it) and its binfmt_misc entry with the F (fix
# binary) flag, which is what makes it work inside a chroot. Without systemd on the host nothing
# registers it, so this script mounts binfmt_misc and registers qemu-aarch64 from
# /usr/lib/binfmt.d/qemu-aarch64.conf when the entry is missing (root; expect ~10 min).
#
# Env: TP_CACHE, TP_DEBIAN_MIRROR (default http://deb.debian.org/debian),
#      TP_DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
die() {
	printf 'mkimage.sh: error: %s\n' "$*" >&2
	exit 1
}
say() { printf 'mkimage.sh: %s\n' "$*" >&2; }

arch=${1:-x86_64}
case $arch in
x86_64) deb_arch=amd64 ;;
aarch64) deb_arch=arm64 ;;
*) die "usage: mkimage.sh [x86_64|aarch64]" ;;
esac
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot)"
for tool in debootstrap mkfs.ext4 unshare flock sha256sum; do
	command -v "$tool" >/dev/null || die "$tool not found; run third_party/deps.sh"
done

suite=trixie
mirror=${TP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${TP_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# What the guest needs beyond minbase. --no-install-recommends keeps it to exactly this and its
# dependencies. The kernel needs an initramfs tool (the kernel's ext4 and virtio drivers are
# modules); libpam-systemd registers logins with logind (user managers, lingering);
# systemd-container gives machinectl and `systemctl -M user@`; kmod loads the 9p modules;
# aardvark-dns answers container names on a Podman network (an app's containers find each other);
# netavark programs a network's firewall with nft (kube play's pod network, an app's .network):
# without nftables every container on a bridge network fails to start, as on no real host.
packages=(
	systemd systemd-sysv libpam-systemd dbus-user-session systemd-container
	podman crun netavark aardvark-dns nftables passt uidmap catatonit conmon
	busybox-static util-linux login passwd procps iproute2 kmod
	"linux-image-$deb_arch" initramfs-tools zstd
)

cache=${TP_CACHE:-/var/cache/tailpod}/vm
key=$(
	cd "$here"
	printf 'arch %s\n' "$arch"
	for f in mkimage.sh $(find image -type f | LC_ALL=C sort); do
		printf 'file %s %s\n' "$f" "$(stat -c %a "$f")"
		cat "$f"
	done
) || die "cannot read the recipe"
key=$(sha256sum <<<"$key" | cut -c1-16)
final=$cache/$arch-$key

mkdir -p "$cache"
# One build per ARCH at a time; a second caller waits and then finds the result.
exec 9>"$cache/.lock-$arch"
flock 9
if [ -f "$final/info" ]; then
	printf '%s\n' "$final"
	exit 0
fi

# qemu-user for a foreign rootfs, see the header.
if [ "$deb_arch" != "$(dpkg --print-architecture)" ]; then
	qemu_arch=$arch
	[ -x "/usr/bin/qemu-$qemu_arch-static" ] || die "qemu-$qemu_arch-static missing; install qemu-user-static"
	binfmt=/proc/sys/fs/binfmt_misc
	[ -f "$binfmt/register" ] || mount -t binfmt_misc binfmt_misc "$binfmt" ||
		die "cannot mount binfmt_misc: an $arch rootfs needs qemu-user via binfmt_misc"
	if [ ! -f "$binfmt/qemu-$qemu_arch" ]; then
		conf=/usr/lib/binfmt.d/qemu-$qemu_arch.conf
		[ -f "$conf" ] || die "$conf missing; install qemu-user-static"
		say "registering qemu-$qemu_arch with binfmt_misc"
		grep -v '^#' "$conf" >"$binfmt/register" || die "cannot register $conf with binfmt_misc"
	fi
	grep -q '^flags: .*F' "$binfmt/qemu-$qemu_arch" ||
		die "binfmt_misc entry qemu-$qemu_arch lacks the F flag: chroot cannot find the interpreter"
fi

# A build killed on the way left its temporary directory (this lock says no build is running).
rm -rf --one-file-system "$cache/.build-$arch-"*
work=$(mktemp -d "$cache/.build-$arch-$key.XXXXXX")
trap 'rm -rf --one-file-system "$work"' EXIT
root=$work/rootfs
out=$work/image
log=$work/build.log
mkdir -p "$root" "$out"
: >"$log"
# .debs are kept between builds (a changed recipe refetches only what changed).
debs=$cache/debs-$arch
mkdir -p "$debs/partial"

t0=$SECONDS
step() { say "$(printf '[%4ds] %s' $((SECONDS - t0)) "$*")"; }
failed() {
	tail -n 40 "$log" >&2
	die "$1 (full log: the lines above; rerun to retry)"
}

step "debootstrap $suite $deb_arch from $mirror"
unshare --mount --propagation private debootstrap --variant=minbase --arch="$deb_arch" \
	--keyring="$keyring" --cache-dir="$debs" "$suite" "$root" "$mirror" >>"$log" 2>&1 ||
	failed "debootstrap $suite failed"

# Configuration the packages' maintainer scripts must already see.
printf '%s\n' \
	"deb $mirror $suite main" \
	"deb $mirror $suite-updates main" \
	"deb $security $suite-security main" >"$root/etc/apt/sources.list"
# No daemons start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
# A small initramfs: the guest's disk and root filesystem drivers only (MODULES=most would pack
# every storage driver and take seconds longer to unpack under TCG); no fsck in the initramfs.
mkdir -p "$root/etc/initramfs-tools/conf.d"
printf 'MODULES=list\n' >"$root/etc/initramfs-tools/conf.d/tailpod-vm.conf"
printf '%s\n' virtio_pci virtio_mmio virtio_blk ext4 >>"$root/etc/initramfs-tools/modules"
printf '%s\n' '# tests/vm guest: the whole virtio disk is the root filesystem (no fsck: throwaway overlay)' \
	'/dev/vda / ext4 rw,relatime 0 0' >"$root/etc/fstab"
cp /etc/resolv.conf "$root/etc/resolv.conf"

# Runs in a private mount namespace: the mounts go away with it.
inside() {
	mount -t proc proc "$root/proc"
	mount -t sysfs sysfs "$root/sys"
	mount --bind "$debs" "$root/var/cache/apt/archives"
	export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
	chroot "$root" apt-get -q update
	chroot "$root" apt-get -q install -y --no-install-recommends "${packages[@]}"
	# The shared .deb cache keeps only what the mirror still has.
	chroot "$root" apt-get -q autoclean
}
step "apt-get install ${packages[*]}"
export -f inside
export root debs
# shellcheck disable=SC2016 # expanded by the inner bash
unshare --mount --propagation private bash -euo pipefail -c 'packages=("$@"); inside' inside \
	"${packages[@]}" >>"$log" 2>&1 || failed "installing the guest packages failed"

step "configuring the guest"
rm -f "$root/usr/sbin/policy-rc.d"
printf 'tailpod-vm\n' >"$root/etc/hostname"
printf '%s\n' '127.0.0.1 localhost' '127.0.1.1 tailpod-vm' '::1 localhost ip6-localhost ip6-loopback' \
	>"$root/etc/hosts"
# qemu user networking's DNS server; networkd alone does not write resolv.conf.
printf 'nameserver 10.0.2.3\n' >"$root/etc/resolv.conf"
install -D -m 0644 "$here/image/20-wired.network" "$root/etc/systemd/network/20-wired.network"
install -D -m 0644 "$here/image/90-tailpod-vm.conf" "$root/etc/systemd/system.conf.d/90-tailpod-vm.conf"
install -D -m 0644 "$here/image/tailpod-vmtest.service" "$root/etc/systemd/system/tailpod-vmtest.service"
install -D -m 0755 "$here/image/tailpod-vmtest" "$root/usr/local/libexec/tailpod-vmtest"
mkdir -p "$root/mnt/tpshare"
# A fixed machine-id: not a first boot (no firstboot prompts), the same journal across reboots.
systemd_id=$(tr -d '-' </proc/sys/kernel/random/uuid)
printf '%s\n' "$systemd_id" >"$root/etc/machine-id"
# Root logs in on the serial console without a password (with tailpod.vmtest=off); the guest is
# reachable only through that console.
chroot "$root" passwd -qd root >>"$log" 2>&1 || failed "passwd -d root"
chroot "$root" systemctl enable systemd-networkd.service systemd-networkd-wait-online.service \
	tailpod-vmtest.service >>"$log" 2>&1 || failed "systemctl enable"
# Timers that would only cost time (or try the network) in a short-lived test guest.
for unit in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
	fstrim.timer man-db.timer; do
	if [ -e "$root/usr/lib/systemd/system/$unit" ] || [ -e "$root/lib/systemd/system/$unit" ]; then
		chroot "$root" systemctl mask "$unit" >>"$log" 2>&1 || failed "systemctl mask $unit"
	fi
done

step "checking the guest"
# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
podman_version=$(chroot "$root" dpkg-query -W -f '${Version}' podman)
[ "${podman_version%%.*}" -ge 5 ] 2>/dev/null || die "podman $podman_version in $suite, need >= 5"
[ -x "$root/usr/libexec/podman/quadlet" ] || die "no /usr/libexec/podman/quadlet in the guest"
mapfile -t kernels < <(cd "$root/boot" && ls vmlinuz-* 2>/dev/null)
[ "${#kernels[@]}" -eq 1 ] || die "expected one kernel in /boot, found: ${kernels[*]:-none}"
kver=${kernels[0]#vmlinuz-}
[ -f "$root/boot/initrd.img-$kver" ] || die "no initrd.img-$kver in /boot"
# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' >"$out/packages.txt"
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$out/initrd.img"

# Nothing the guest needs: apt indexes, documentation, translations.
rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/var/cache/debconf/"*-old \
	"$root/usr/share/doc/"* "$root/usr/share/man/"* "$root/usr/share/info/"* \
	"$root/usr/share/locale/"* "$root/var/log/"*.log "$root/var/log/apt/"* \
	"$root/var/cache/apt/archives/"*.deb
[ -z "$(find "$root/proc" "$root/sys" "$root/var/cache/apt/archives" -mindepth 1 -maxdepth 1 \
	! -name partial ! -name lock 2>/dev/null)" ] || die "$root still has mounts or .debs"

# The filesystem: the rootfs plus 2 GiB for users' homes and container storage, in 256 MiB
# steps; a sparse file, so the cache holds only the used blocks.
used_mb=$(du -sm "$root" | cut -f1)
size_mb=$(((used_mb + 2048 + 255) / 256 * 256))
step "mkfs.ext4 -d (${used_mb} MiB used, ${size_mb} MiB image)"
mkfs.ext4 -q -F -L tailpod-root -d "$root" "$out/base.raw" "${size_mb}M" >>"$log" 2>&1 ||
	failed "mkfs.ext4 -d failed"

{
	printf 'key %s\narch %s\nsuite %s\nkernel %s\npodman %s\n' "$key" "$arch" "$suite" "$kver" "$podman_version"
	printf 'rootfs_mb %s\nimage_mb %s\nallocated_mb %s\n' "$used_mb" "$size_mb" \
		"$(du -sm "$out/base.raw" | cut -f1)"
	printf 'built %s in %ss\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" $((SECONDS - t0))
} >"$out/info"
cp "$log" "$out/build.log"

# Into place, then drop this ARCH's older images but the newest other one (only caches; a second
# checkout with another recipe, or a boot of the previous image still starting, keeps its image).
mv "$out" "$final"
mapfile -t older < <(find "$cache" -mindepth 2 -maxdepth 2 -path "$cache/$arch-*/info" \
	! -path "$final/info" -printf '%T@ %h\n' | sort -rn | tail -n +2 | cut -d' ' -f2-)
for old in "${older[@]}"; do
	rm -rf "$old"
done
step "done: $final"
printf '%s\n' "$final"
