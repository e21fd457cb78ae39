# musl libc + musl-gcc wrapper: the toolchain every other recipe and tailpod itself compile with.
#
# Built from Debian's source with the Debian GNU compiler for the target
# (x86_64-linux-gnu-gcc natively, aarch64-linux-gnu-gcc as a cross compiler);
# musl's own gcc wrapper then drives that compiler with a specs file that drops
# the glibc include and library paths. Linux UAPI headers (linux/, asm/,
# asm-generic/ only; no glibc headers) are copied in from linux-libc-dev or
# linux-libc-dev-arm64-cross so tailpod can use e.g. <linux/openat2.h>.
TP_SRCPKG=musl
TP_VERSION=1.2.5-3.1~deb13u1
TP_SUITE=trixie
TP_FILES=(
	"972970614ed9159b04343b7f85bdf16f565b4a903f05d97e57dc730c7b0b8066 musl_1.2.5-3.1~deb13u1.dsc"
	"a9a118bbe84d8764da0ea0d28b3ab3fae8477fc7e4085d90102b8596fc7c75e4 musl_1.2.5.orig.tar.gz"
	"d9030116fd03e4acfa0b665a13a5de46110296b4e30bb8e67be1f08af29f6306 musl_1.2.5.orig.tar.gz.asc"
	"46fdfb271edc2f035d8d4063ff2e299734409693e781e69e4b77e0a9a495072e musl_1.2.5-3.1~deb13u1.debian.tar.xz"
)

# Where the target's kernel UAPI headers live on a Debian build host.
musl_kernel_headers() {
	case $TP_ARCH in
	x86_64) echo "linux-libc-dev /usr/include /usr/include/x86_64-linux-gnu/asm" ;;
	aarch64) echo "linux-libc-dev-arm64-cross /usr/aarch64-linux-gnu/include /usr/aarch64-linux-gnu/include/asm" ;;
	esac
}

# The host compiler and kernel headers end up in the toolchain: key on them.
recipe_key_extra() {
	local pkg
	read -r pkg _ _ <<<"$(musl_kernel_headers)"
	printf 'hostcc %s\n' "$("$TP_TRIPLE-gcc" -dumpfullversion -dumpmachine | tr '\n' ' ')"
	printf 'kernel-headers %s\n' "$(dpkg-query -W -f='${Package} ${Version}' "$pkg")"
}

recipe_build() {
	local pkg inc asm
	./configure \
		--target="$TP_ARCH-linux-musl" \
		CC="$TP_TRIPLE-gcc" CROSS_COMPILE="$TP_TRIPLE-" \
		CFLAGS="$TP_CFLAGS" \
		--prefix="$TP_PREFIX" --syslibdir="$TP_PREFIX/lib" \
		--disable-shared --enable-wrapper=gcc
	make -j"$TP_JOBS"
	make install DESTDIR="$TP_DESTDIR"

	read -r pkg inc asm <<<"$(musl_kernel_headers)"
	echo "== kernel headers from $pkg"
	cp -a "$inc/linux" "$inc/asm-generic" "$TP_DESTDIR$TP_PREFIX/include/"
	cp -a "$asm" "$TP_DESTDIR$TP_PREFIX/include/asm"
}

# The wrapper must see only musl + gcc's own headers and link only musl +
# libgcc; anything from the glibc multiarch dirs means the specs leaked.
recipe_check() {
	local cc=$TP_PREFIX/bin/musl-gcc t=$TP_WORK/check gccinc gcclib bad
	mkdir -p "$t"
	gccinc=$("$TP_TRIPLE-gcc" -print-file-name=include)
	gcclib=$(dirname "$("$TP_TRIPLE-gcc" -print-libgcc-file-name)")

	echo "== include search path of $cc"
	"$cc" -E -v -x c /dev/null -o /dev/null 2>&1 |
		sed -n '/^#include <...> search starts here:/,/^End of search list./p' |
		sed '1d;$d;s/^ *//' >"$t/incdirs"
	cat "$t/incdirs"
	bad=$(grep -v -e "^$TP_PREFIX/include\$" -e "^$gccinc\$" "$t/incdirs" || true)
	[ -z "$bad" ] || { echo "unexpected include dirs: $bad"; return 1; }

	cat >"$t/t.c" <<-'EOF'
		#include <stdio.h>
		#include <linux/openat2.h>
		#ifdef __GLIBC__
		#error glibc headers leaked into the musl toolchain
		#endif
		int main(void)
		{
			struct open_how how = { .resolve = RESOLVE_BENEATH };
			printf("musl toolchain ok %zu\n", sizeof how);
			return 0;
		}
	EOF
	echo "== link trace"
	"$cc" -Os -c "$t/t.c" -o "$t/t.o"
	"$cc" -static "$t/t.o" -o "$t/t" -Wl,--trace >"$t/trace" 2>&1
	cat "$t/trace"
	bad=$(grep -v -e '^/usr/bin/.*ld: mode' -e "$TP_PREFIX/lib/" -e "$gcclib/" -e "^$t/t.o\$" "$t/trace" || true)
	[ -z "$bad" ] || { echo "linked files outside musl/libgcc: $bad"; return 1; }
	grep -q "$TP_PREFIX/lib/libc.a" "$t/trace"

	file "$t/t" >"$t/file"
	cat "$t/file"
	grep -q "statically linked" "$t/file"
	${TP_QEMU:+$TP_QEMU} "$t/t"
}
