# libgit2: fetch into a bare repository and read trees, without a git binary.
#
# Trixie's 1.9.0+ds-2+deb13u1 (bookworm's 1.5 lacks shallow fetch and the
# SSH-via-libssh2-on-mbedTLS combination we need). Debian's series carries six
# CVE backports. The +ds tarball drops deps/{llhttp,pcre,ntlmclient,zlib}, so
# those come from our own recipes or are switched off, exactly as below.
#
# CERT_LOCATION: libgit2 bakes a default CA path into the library, which
# git_libgit2_init() parses in every run (all of /etc/ssl/certs: ~30 ms, issue
# 16), and CMake insists it exists on the build host (left unset, it asks the
# host's openssl). /dev/null exists everywhere and is neither a file nor a
# directory, so the init loads nothing; tailpod sets the CA itself, for an
# https remote only (core/fetchjail.c: TAILPOD_CA_BUNDLE, else the directory
# /etc/ssl/certs as before).
#
# CMAKE_REQUIRED_LIBRARIES: libgit2 probes libssh2 for
# libssh2_userauth_publickey_frommemory with a test link; against a static
# libssh2 that link needs mbedcrypto, or in-memory SSH keys get disabled.
TP_SRCPKG=libgit2
TP_VERSION=1.9.0+ds-2+deb13u1
TP_SUITE=trixie
TP_DEPS=(zlib mbedtls libssh2 http-parser)
TP_LIBS=(-lgit2)
TP_FILES=(
	"b8a0c37f1a1f515d68c295408c533e48eb8050eba939ecd45b62bec1cac4bc89 libgit2_1.9.0+ds-2+deb13u1.dsc"
	"08f1f9137c4804ac4be4748f7141f8a6a9b7a12c942ac2fd4db5a28f8b65caa2 libgit2_1.9.0+ds.orig.tar.xz"
	"009e775c3a2ba1c8128546c339e71df84f241f178919e006be1a6e1a37100941 libgit2_1.9.0+ds-2+deb13u1.debian.tar.xz"
)

recipe_build() {
	tp_cmake_build \
		-DBUILD_TESTS=OFF \
		-DBUILD_CLI=OFF \
		-DBUILD_EXAMPLES=OFF \
		-DBUILD_FUZZERS=OFF \
		-DUSE_THREADS=ON \
		-DUSE_HTTPS=mbedTLS \
		-DUSE_SHA1=CollisionDetection \
		-DUSE_SHA256=mbedTLS \
		-DUSE_SSH=libssh2 \
		-DUSE_HTTP_PARSER=http-parser \
		-DREGEX_BACKEND=regcomp \
		-DUSE_BUNDLED_ZLIB=OFF \
		-DUSE_NTLMCLIENT=OFF \
		-DUSE_GSSAPI=OFF \
		-DCERT_LOCATION=/dev/null \
		-DENABLE_REPRODUCIBLE_BUILDS=ON \
		-DCMAKE_REQUIRED_LIBRARIES="$TP_DEP_mbedtls/lib/libmbedcrypto.a"
	libgit2_check_features "$TP_WORK/build/src/util/git2_features.h"
}

# Fail the build if CMake quietly picked something other than what we asked.
libgit2_check_features() {
	local want
	for want in GIT_THREADS GIT_HTTPS GIT_MBEDTLS GIT_SSH GIT_SSH_LIBSSH2 \
		GIT_SSH_LIBSSH2_MEMORY_CREDENTIALS GIT_HTTPPARSER_HTTPPARSER \
		GIT_REGEX_REGCOMP GIT_COMPRESSION_ZLIB GIT_SHA1_COLLISIONDETECT GIT_SHA256_MBEDTLS; do
		grep -Eq "^#define $want( 1)?\$" "$1" || { echo "$1: $want is not enabled"; return 1; }
	done
}
