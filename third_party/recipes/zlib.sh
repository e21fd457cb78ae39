# zlib: deflate/inflate for libgit2 (packfiles, loose objects).
#
# Debian's 1:1.3.dfsg+really1.3.1-1 is upstream 1.3.1 (the "dfsg" part only
# drops non-free contrib files). Static library only, via zlib's configure.
#
# MY_ZCALLOC: zlib's own switch for a program that brings its allocator. libz.a then
# has no zcalloc/zcfree, and tailpod's core/zalloc.c provides them (it keeps a few freed
# stream blocks: libgit2 opens a stream per object read, issue 16). A program linking
# this libz.a without them fails to link, which is the point: never a silent fallback.
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
	CFLAGS="$TP_CFLAGS -DMY_ZCALLOC" uname=Linux ./configure --static --prefix="$TP_PREFIX"
	make -j"$TP_JOBS" libz.a
	make install DESTDIR="$TP_DESTDIR"
	rm -rf "$TP_DESTDIR$TP_PREFIX/share"
}
