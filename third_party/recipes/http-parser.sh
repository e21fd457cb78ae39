# http-parser: the HTTP/1.x parser libgit2's smart-HTTP transport uses.
#
# Debian's +ds libgit2 tarball drops the bundled llhttp, and Debian links
# libgit2 against this package instead (USE_HTTP_PARSER=http-parser), so we
# do the same. Bookworm's 2.9.4-5 (the -6 listed in the index is not on the
# mirror); its patch series carries CVE-2020-8287. One .c file, compiled by
# hand: upstream's static "package" target appends -O3 -Werror to our flags.
TP_SRCPKG=http-parser
TP_VERSION=2.9.4-5
TP_SUITE=bookworm
TP_LIBS=(-lhttp_parser)
TP_FILES=(
	"3ef34ef3eb1889482a790b5f1db2ed1aa5736da3bd3a04954fe5dfce4c0035f8 http-parser_2.9.4-5.dsc"
	"467b9e30fd0979ee301065e70f637d525c28193449e1b13fbcb1b1fab3ad224f http-parser_2.9.4.orig.tar.gz"
	"2e7306f26c7edcd5c236a32e574c3e4bbb77638917e1b7762ee072194a688682 http-parser_2.9.4-5.debian.tar.xz"
)

recipe_build() {
	# Strict mode off, as in upstream's library build.
	# shellcheck disable=SC2086 # TP_CFLAGS is a list of flags
	"$CC" $TP_CFLAGS -Wall -DHTTP_PARSER_STRICT=0 -c http_parser.c -o http_parser.o
	"$AR" rcs libhttp_parser.a http_parser.o
	tp_install 644 lib libhttp_parser.a
	tp_install 644 include http_parser.h
}
