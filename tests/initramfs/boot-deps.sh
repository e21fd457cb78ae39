#!/usr/bin/env bash
# boot-deps.sh ARCH: the kernel and the static busybox the initramfs boot test boots, taken from
# Debian's packages for ARCH (x86_64 or aarch64): linux-image-cloud-{amd64,arm64} (its current
# linux-image-VERSION dependency) and busybox-static. The packages are fetched with apt through a
# private state directory (its own lists, for ARCH only), so the host's apt setup and dpkg
# architectures stay untouched; apt checks them against the signed archive indexes.
#
# Cached under $TP_CACHE/boot/ARCH (default /var/cache/tailpod): a warm run touches no network.
# The cache is keyed by this script's content; delete the directory to pick up a newer kernel.
# Prints three lines: KERNEL=path, BUSYBOX=path, VERSIONS=what was unpacked.
set -euo pipefail

die() {
	printf 'boot-deps.sh: error: %s\n' "$*" >&2
	exit 1
}

arch=${1:-}
case $arch in
x86_64) deb_arch=amd64 ;;
aarch64) deb_arch=arm64 ;;
*) die "usage: boot-deps.sh x86_64|aarch64" ;;
esac

cache=${TP_CACHE:-/var/cache/tailpod}/boot
dir=$cache/$arch
key=$(sha256sum "$0" | cut -c1-16)
mirror=${TP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${TP_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

report() {
	printf 'KERNEL=%s\nBUSYBOX=%s\nVERSIONS=%s\n' "$dir/vmlinuz" "$dir/busybox" "$(cat "$dir/versions")"
}

mkdir -p "$cache"
# One fetch at a time per cache (parallel test runs share it).
exec 9>"$cache/.lock"
flock 9

if [ -f "$dir/key" ] && [ "$(cat "$dir/key")" = "$key" ]; then
	report
	exit 0
fi

work=$(mktemp -d "$cache/.fetch-$arch.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/unpack"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
printf 'deb [arch=%s signed-by=%s] %s bookworm main\ndeb [arch=%s signed-by=%s] %s bookworm-security main\n' \
	"$deb_arch" "$keyring" "$mirror" "$deb_arch" "$keyring" "$security" >"$work/sources.list"
apt_opts=(
	-o "APT::Architecture=$deb_arch" -o "APT::Architectures::=$deb_arch"
	-o "Dir::State::Lists=$work/lists" -o "Dir::Etc::SourceList=$work/sources.list"
	-o "Dir::Etc::SourceParts=/nonexistent" -o "Dir::Cache::archives=$work/archives"
	-o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "Debug::NoLocking=1"
	-o "APT::Sandbox::User=root"
)
apt-get "${apt_opts[@]}" -qq update >"$work/apt.log" 2>&1 || {
	cat "$work/apt.log" >&2
	die "apt-get update for $deb_arch failed"
}
# The metapackage names the current kernel package: "Depends: linux-image-6.1.0-NN-cloud-arm64 (= ...)".
kpkg=$(apt-cache "${apt_opts[@]}" show "linux-image-cloud-$deb_arch" |
	sed -n 's/^Depends: \(linux-image-[^ ,]*\).*/\1/p' | head -n 1)
[ -n "$kpkg" ] || die "cannot resolve linux-image-cloud-$deb_arch"
(cd "$work" && apt-get "${apt_opts[@]}" -qq download "$kpkg:$deb_arch" "busybox-static:$deb_arch" \
	>>"$work/apt.log" 2>&1) || {
	cat "$work/apt.log" >&2
	die "apt-get download $kpkg busybox-static failed"
}
for deb in "$work"/*.deb; do
	dpkg-deb -x "$deb" "$work/unpack"
done
kernel=$(find "$work/unpack/boot" -name 'vmlinuz-*' | head -n 1)
[ -n "$kernel" ] && [ -x "$work/unpack/bin/busybox" ] || die "kernel or busybox missing from the packages"

rm -rf "$dir"
mkdir -p "$dir"
cp "$kernel" "$dir/vmlinuz"
cp "$work/unpack/bin/busybox" "$dir/busybox"
for deb in "$work"/*.deb; do
	dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb"
done | paste -sd',' | sed 's/,/, /g' >"$dir/versions"
printf '%s\n' "$key" >"$dir/key"
report
