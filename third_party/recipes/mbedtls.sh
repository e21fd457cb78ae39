# Mbed TLS: TLS for libgit2's HTTPS transport and the crypto backend of libssh2.
#
# Trixie's 3.6.6-0.1~deb13u1 (3.6 LTS with the 2026 security fixes). Debian's
# patch series (GCC 14 build fix, no 3rdparty/ in CMake) comes in through
# dpkg-source. Like Debian's rules we turn on MBEDTLS_THREADING_C with the
# pthread backend, because libgit2 runs TLS from several threads. The config
# header is edited in place (not via MBEDTLS_USER_CONFIG_FILE) so every
# consumer including tailpod sees the same struct layouts without extra -D flags.
#
# Our patch: patches/mbedtls/0001-tls12-accept-rsa-pss-rsae-sigalgs.patch, the
# upstream fix for 3.6.6's TLS 1.2 + RSA certificate handshake regression.
TP_SRCPKG=mbedtls
TP_VERSION=3.6.6-0.1~deb13u1
TP_SUITE=trixie
TP_LIBS=(-lmbedtls -lmbedx509 -lmbedcrypto)
TP_PATCHES=(mbedtls/0001-tls12-accept-rsa-pss-rsae-sigalgs.patch)
TP_FILES=(
	"eb9ed1adbbddcb0d00276fac6fcee0056c64ce01481c2522a16dca75792eb5eb mbedtls_3.6.6-0.1~deb13u1.dsc"
	"8fb65fae8dcae5840f793c0a334860a411f884cc537ea290ce1c52bb64ca007a mbedtls_3.6.6.orig.tar.bz2"
	"210466c522eeebc85cf2f76bd5aef935b4ebac465559cc0a84f9e73a8ed6601c mbedtls_3.6.6-0.1~deb13u1.debian.tar.xz"
)

# Uncomment "//#define NAME" in mbedtls_config.h, and fail if that did nothing
# (a renamed option must not silently drop out).
mbedtls_config_enable() {
	local cfg=include/mbedtls/mbedtls_config.h
	sed -i "s|^//#define $1\$|#define $1|" "$cfg"
	grep -q "^#define $1\$" "$cfg" || { echo "$cfg: cannot enable $1"; return 1; }
}

recipe_build() {
	mbedtls_config_enable MBEDTLS_THREADING_C
	mbedtls_config_enable MBEDTLS_THREADING_PTHREAD
	tp_cmake_build \
		-DUSE_STATIC_MBEDTLS_LIBRARY=ON \
		-DUSE_SHARED_MBEDTLS_LIBRARY=OFF \
		-DENABLE_PROGRAMS=OFF \
		-DENABLE_TESTING=OFF \
		-DGEN_FILES=OFF \
		-DMBEDTLS_FATAL_WARNINGS=OFF
}
