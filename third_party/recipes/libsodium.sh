# libsodium: Ed25519 signatures for SSH deploy keys (libssh2 on mbedTLS has no ed25519).
#
# Trixie's 1.0.18-1+deb13u1: upstream 1.0.18 plus Debian's CVE-2025-69277 fix.
# Debian's orig tarball is the git tag without a generated configure, so we run
# autoreconf as Debian's rules do (dh --with autoreconf); the host autotools
# versions therefore go into the cache key. --enable-minimal keeps the
# high-level API, crypto_sign_ed25519_* included, and drops the obsolete and
# low-level extras. configure adds -fPIC unconditionally; the cache variable
# below answers its probe with "no" so the objects stay position-dependent like
# the rest of the binary. Its -fstack-protector stays. Test links need -static:
# Debian's gcc defaults to PIE, which musl's non-PIC libc.a cannot satisfy.
TP_SRCPKG=libsodium
TP_VERSION=1.0.18-1+deb13u1
TP_SUITE=trixie
TP_LIBS=(-lsodium)
TP_FILES=(
	"6954dd20ba6576b98802cd89fb7661c724d86e628da4af6cea6fac195534b628 libsodium_1.0.18-1+deb13u1.dsc"
	"d59323c6b712a1519a5daf710b68f5e7fde57040845ffec53850911f10a5d4f4 libsodium_1.0.18.orig.tar.gz"
	"86110bbca36b16567bc35971486c4e6bd4aaf59e74310bc0faf76840ac4e2afe libsodium_1.0.18-1+deb13u1.debian.tar.xz"
)

recipe_key_extra() {
	local tool
	for tool in autoconf automake libtoolize; do
		printf '%s %s\n' "$tool" "$("$tool" --version | head -n1)"
	done
}

recipe_build() {
	autoreconf -fi
	ax_cv_check_cflags___fPIC=no ./configure \
		--build="$(gcc -dumpmachine)" --host="$TP_ARCH-linux-musl" \
		--prefix="$TP_PREFIX" \
		--disable-shared --enable-static \
		--enable-minimal --disable-pie \
		CC="$CC" AR="$AR" RANLIB="$RANLIB" CFLAGS="$TP_CFLAGS" LDFLAGS=-static
	grep -q '^#define SODIUM_LIBRARY_MINIMAL 1' src/libsodium/include/sodium/version.h
	make -j"$TP_JOBS"
	make install DESTDIR="$TP_DESTDIR"
	rm -rf "$TP_DESTDIR$TP_PREFIX/lib/libsodium.la" "$TP_DESTDIR$TP_PREFIX/share"
}

# The functions tailpod calls must survive --enable-minimal.
recipe_check() {
	local lib=$TP_PREFIX/lib/libsodium.a syms sym
	syms=$("$TP_TRIPLE-nm" -g --defined-only "$lib")
	for sym in crypto_sign_ed25519_detached crypto_sign_ed25519_verify_detached \
		crypto_sign_ed25519_sk_to_pk crypto_sign_ed25519_seed_keypair sodium_memzero sodium_init \
		sodium_version_string; do
		grep -q " T $sym\$" <<<"$syms" || { echo "$lib: $sym missing"; return 1; }
	done
	echo "libsodium: signing symbols present"
}
