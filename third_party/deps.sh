#!/usr/bin/env bash
# tailpod third_party/deps.sh: install the Debian packages the build and tests need.
#
# Idempotent and quiet: when the deb-src entry and every package are already in
# place it prints nothing and returns in well under a second (dpkg-query only,
# apt is never called). Otherwise it writes the deb-src entry, runs
# `apt-get update` once, and installs what is missing.
#
# Env: TP_DEBIAN_MIRROR  deb-src mirror (default: the Debian mirror this
#                        machine already uses, http://deb.debian.org/debian)
set -euo pipefail

# Everything the third_party build, the tailpod build and the test suites use.
# One list, so the lead can append test peers (git, openssh-server, ...) here.
TP_APT_PACKAGES=(
	build-essential cmake pkgconf patch
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static
	dpkg-dev file xz-utils bzip2 ca-certificates openssl
	libbearssl-dev libcmocka-dev clang-format
	autoconf automake libtool
	libsodium-dev openssh-client openssh-server clang
	systemd cpio ignition qemu-system-x86 qemu-system-arm python3-yaml
	git python3 strace age libarchive-tools
	debootstrap qemu-utils
)

TP_SRC_LIST=/etc/apt/sources.list.d/tailpod-src.sources
TP_MIRROR=${TP_DEBIAN_MIRROR:-http://deb.debian.org/debian}

die() {
	printf 'deps.sh: error: %s\n' "$*" >&2
	exit 1
}

# The deb-src entry apt-get source needs: trixie for the security-patched
# libgit2/mbedtls/libssh2/zlib/musl, bookworm for bearssl and http-parser.
src_list_text() {
	printf '%s\n' \
		'Types: deb-src' \
		"URIs: $TP_MIRROR" \
		'Suites: bookworm trixie' \
		'Components: main' \
		'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'
}

need_root() {
	[ "$(id -u)" -eq 0 ] || die "$1 needs root; run: sudo $0"
}

# Prints 1 when the file had to be (re)written.
ensure_src_list() {
	local want
	want=$(src_list_text)
	if [ -f "$TP_SRC_LIST" ] && [ "$(cat "$TP_SRC_LIST")" = "$want" ]; then
		return 0
	fi
	need_root "writing $TP_SRC_LIST"
	printf '%s\n' "$want" >"$TP_SRC_LIST.tmp"
	mv -f "$TP_SRC_LIST.tmp" "$TP_SRC_LIST"
	echo 1
}

# apt keeps one Sources index per suite; without them apt-get source fails.
have_src_indexes() {
	compgen -G '/var/lib/apt/lists/*_dists_trixie_main_source_Sources*' >/dev/null &&
		compgen -G '/var/lib/apt/lists/*_dists_bookworm_main_source_Sources*' >/dev/null
}

# Names of packages from TP_APT_PACKAGES that are not fully installed.
missing_packages() {
	local status
	status=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${TP_APT_PACKAGES[@]}" 2>/dev/null || true)
	local p
	for p in "${TP_APT_PACKAGES[@]}"; do
		# dpkg-query prints "ii  name" for installed packages; an architecture
		# suffix (name:amd64) may follow for multi-arch ones.
		if ! grep -Eq "^ii +$p(:[a-z0-9]+)?\$" <<<"$status"; then
			printf '%s\n' "$p"
		fi
	done
}

main() {
	local changed missing
	changed=$(ensure_src_list)
	mapfile -t missing < <(missing_packages)

	if [ -z "$changed" ] && have_src_indexes && [ "${#missing[@]}" -eq 0 ]; then
		return 0
	fi
	need_root "apt-get"
	echo "deps.sh: apt-get update" >&2
	apt-get update -qq
	if [ "${#missing[@]}" -gt 0 ]; then
		echo "deps.sh: installing ${missing[*]}" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
	fi
	have_src_indexes || die "apt-get update did not fetch the bookworm/trixie Sources indexes; check $TP_SRC_LIST"
}

main "$@"
