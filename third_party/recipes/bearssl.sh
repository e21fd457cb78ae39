# BearSSL: tailpod's own HTTPS client and hashing (SHA-256, age crypto).
#
# Bookworm's 0.6+dfsg.1-3 (the -4 listed in the index is not on the mirror);
# "dfsg" only drops a prebuilt Windows T0Comp.exe that the build doesn't need.
# Only the static library is built, with BearSSL's own makefiles and a small
# conf file in place of the Unix one (no -fPIC, no shared lib, tools or tests).
# Headers go straight into include/ so code says #include <bearssl.h>, the
# same as with Debian's libbearssl-dev for host-side unit tests.
TP_SRCPKG=bearssl
TP_VERSION=0.6+dfsg.1-3
TP_SUITE=bookworm
TP_LIBS=(-lbearssl)
TP_FILES=(
	"9bd17e07fc9824b0223dcb4ba14adac17981a4d8f1d63b6655819fe8f2ed98d1 bearssl_0.6+dfsg.1-3.dsc"
	"102a625bd8f6155260867a50c508df8d8c3f796985dd744df1a68e5cd1a79004 bearssl_0.6+dfsg.1.orig.tar.xz"
	"051264300dffd810e7ea08f8210d3f9f61773dcd322086c0cbd02bee8d1f73df bearssl_0.6+dfsg.1-3.debian.tar.xz"
)

recipe_build() {
	cat >conf/tailpod.mk <<-CONF
		include conf/Unix.mk
		CC = $CC
		AR = $AR
		CFLAGS = -W -Wall $TP_CFLAGS
		DLL = no
		TOOLS = no
		TESTS = no
	CONF
	make -j"$TP_JOBS" CONF=tailpod lib
	tp_install 644 lib build/libbearssl.a
	tp_install 644 include inc/*.h
}
