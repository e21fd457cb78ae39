# zlib: deflate/inflate for libgit2 (packfiles, loose objects).
#
# Debian's 1:1.3.dfsg+really1.3.1-1 is upstream 1.3.1 (the "dfsg" part only
# drops non-free contrib files). Static library only, via zlib's configure.
TP_SRCPKG=zlib
TP_VERSION=1:1.3.dfsg+really1.3.1-1
TP_SUITE=trixie
TP_LIBS=(-lz)
TP_FILES=(
	"ede2791e29c1d3b422f9208bdd7edf040c20445ea1e7453a72037576e64fa197 zlib_1.3.dfsg+really1.3.1-1.dsc"
	"60dd315c07f616887caa029408308a018ace66e3d142726a97db164b3b8f69fb zlib_1.3.dfsg+really1.3.1.orig.tar.gz"
	"9ed525955ce9fb0c1b39be8ff98f73450dbfc6305a9a27e6149c8972d38a0a9e zlib_1.3.dfsg+really1.3.1-1.debian.tar.xz"
)

recipe_build() {
	# uname=Linux: zlib's configure would otherwise probe the build host.
	CFLAGS="$TP_CFLAGS" uname=Linux ./configure --static --prefix="$TP_PREFIX"
	make -j"$TP_JOBS" libz.a
	make install DESTDIR="$TP_DESTDIR"
	rm -rf "$TP_DESTDIR$TP_PREFIX/share"
}
