# config.mk: versions, flags and paths of the tailpod build. Third-party versions and checksums
# live in the recipes under third_party/ (the one place they are pinned); `make versions` prints them.

TAILPOD_VERSION := 0.1.0

# Architectures `make` builds; each gets build/ARCH/tailpod.
ARCHES := x86_64 aarch64

# Third-party builds are cached here, keyed by (library, version, arch, flags).
TP_CACHE ?= /var/cache/tailpod
export TP_CACHE

# Installation (make install PREFIX=/usr/local DESTDIR=...).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin

# Warnings are errors: the code must stay clean under both glibc (unit tests) and musl.
WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wno-format-nonliteral -Werror

# Release flags for the static binaries: position-dependent like the third-party libraries
# (`file` must say "statically linked"; static-pie would need every library rebuilt with -fPIE).
CFLAGS_RELEASE := -std=gnu11 -Os -fno-pie -ffunction-sections -fdata-sections \
	-fstack-protector-strong $(WARNINGS)
LDFLAGS_RELEASE := -static -no-pie -Wl,--gc-sections -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack

# Host build of core for the unit tests: glibc, ASan + UBSan, Debian's cmocka, BearSSL and libsodium
# (mbedTLS: see the Makefile).
HOST_CC ?= cc
CFLAGS_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS_UNIT := -std=gnu11 -g -O1 $(CFLAGS_SANITIZE) $(WARNINGS) -I/usr/include/bearssl
LDLIBS_UNIT := -lcmocka -lbearssl -lsodium
