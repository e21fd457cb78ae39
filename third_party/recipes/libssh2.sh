# libssh2: the SSH transport of libgit2 (fetch over ssh:// with a deploy key).
#
# Trixie's 1.11.1-1+deb13u2: upstream 1.11.1 plus Debian's CVE backports.
# Crypto backend mbedTLS, so tailpod carries one TLS/crypto library, not two.
# Caveat of that backend (see README.md): no ed25519 keys and no OpenSSH-format
# ("BEGIN OPENSSH PRIVATE KEY") RSA keys; deploy keys must be ECDSA or PEM RSA.
# SSH-level zlib compression stays off: git packs are already compressed.
TP_SRCPKG=libssh2
TP_VERSION=1.11.1-1+deb13u2
TP_SUITE=trixie
TP_DEPS=(mbedtls)
TP_LIBS=(-lssh2)
TP_FILES=(
	"f584c22bccd948a432cc56f64adb896af2cb26d9b38bcaac13cdc7907e766599 libssh2_1.11.1-1+deb13u2.dsc"
	"d9ec76cbe34db98eec3539fe2c899d26b0c837cb3eb466a56b0f109cabf658f7 libssh2_1.11.1.orig.tar.gz"
	"f5618c9356a1d5a8059d6cf64015d86547f06b2b8b1f542fbbaf381a736c8075 libssh2_1.11.1.orig.tar.gz.asc"
	"ee81e3ea0d65fdbc979c50f1433966d0139e33ac09242d7dc7c83567139126a7 libssh2_1.11.1-1+deb13u2.debian.tar.xz"
)

recipe_build() {
	tp_cmake_build \
		-DCRYPTO_BACKEND=mbedTLS \
		-DBUILD_STATIC_LIBS=ON \
		-DBUILD_EXAMPLES=OFF \
		-DBUILD_TESTING=OFF \
		-DENABLE_ZLIB_COMPRESSION=OFF \
		-DENABLE_DEBUG_LOGGING=OFF
}
