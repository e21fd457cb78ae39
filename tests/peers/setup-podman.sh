#!/usr/bin/env bash
# setup-podman.sh: fetch Podman's quadlet generator for the peer tests and print its path.
#
# Debian bookworm's podman (4.3.1) predates the quadlet keys tailpod checks, so the binary comes
# from Debian trixie's podman package (5.4.2; core/quadlet_keys_table.c covers 4.4.0 on). trixie is
# not in the host's apt sources and must not become one: apt runs here with a private sources
# list, list directory, cache and an empty dpkg status, so it can download but never install or
# upgrade anything on the host. The .deb is pinned by version and SHA-256 and unpacked (dpkg-deb
# -x, no maintainer scripts) under the cache; later runs reuse it. Exit status 0 with the path of
# quadlet on stdout, or 1 with the reason on stderr: the peer test then fails, it never skips.
set -euo pipefail

PODMAN_VERSION=5.4.2+ds1-2+b2
declare -A PODMAN_SHA256=(
	[amd64]=e3987a9d1e6d46cbd4ee11bd067927a5f7f886e41c7a2dbe5b89a436905d44a0
	[arm64]=3df3cd889c6d04b8090894cb32dd54911fe774b15373d750fc8c53821d8b7b2a
)
MIRROR=${TAILPOD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

die() {
	echo "setup-podman: $*" >&2
	exit 1
}

arch=$(dpkg --print-architecture)
sha=${PODMAN_SHA256[$arch]:-}
[ -n "$sha" ] || die "no pinned podman package for architecture $arch"
cache=${TP_CACHE:-/var/cache/tailpod}/peers/podman-$PODMAN_VERSION-$arch
quadlet=$cache/root/usr/libexec/podman/quadlet

if [ -x "$quadlet" ] && [ -e "$cache/ok" ]; then
	echo "$quadlet"
	exit 0
fi

# One setup at a time: tests for two architectures may start it together.
mkdir -p "$cache"
exec 9>"$cache/lock"
flock -w 600 9 || die "timed out waiting for $cache/lock"
if [ -x "$quadlet" ] && [ -e "$cache/ok" ]; then
	echo "$quadlet"
	exit 0
fi

apt_dir=$cache/apt
rm -rf "$apt_dir" "$cache/root" "$cache/ok"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/deb"
echo "deb [signed-by=$KEYRING] $MIRROR trixie main" >"$apt_dir/sources.list"
: >"$apt_dir/status"
apt_opts=(
	-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o "Dir::Etc::sourceparts=-"
	-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
	-o "Dir::State::status=$apt_dir/status" -o "APT::Architecture=$arch"
	-o "APT::Architectures=$arch" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root"
)
apt-get "${apt_opts[@]}" -qq update >"$apt_dir/update.log" 2>&1 ||
	die "apt-get update of trixie failed (see $apt_dir/update.log)"
(cd "$apt_dir/deb" && apt-get "${apt_opts[@]}" -qq download "podman=$PODMAN_VERSION") \
	>"$apt_dir/download.log" 2>&1 ||
	die "cannot download podman=$PODMAN_VERSION from trixie (see $apt_dir/download.log);" \
		"if trixie moved on, update the pin in $0"
deb=$(ls "$apt_dir"/deb/podman_*.deb)
echo "$sha  $deb" | sha256sum -c --quiet - >/dev/null 2>&1 ||
	die "$deb does not match the pinned SHA-256 $sha"
dpkg-deb -x "$deb" "$cache/root"
version=$("$quadlet" -version 2>&1) || die "$quadlet does not run here: $version"
[ "$version" = "${PODMAN_VERSION%%+*}" ] || die "$quadlet says version '$version'"
rm -rf "$apt_dir/lists" "$apt_dir/cache"
touch "$cache/ok"
echo "$quadlet"
