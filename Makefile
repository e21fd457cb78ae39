# Makefile: builds the static tailpod binaries (one per architecture in ARCHES), the host unit
# tests, and runs the demo and the test suite. `make` alone builds build/ARCH/tailpod for every
# architecture; settings are in config.mk, third-party recipes in third_party/.

include config.mk
include third_party/versions.mk

CORE_SRCS := $(sort $(wildcard core/*.c))
APPLET_SRCS := $(sort $(wildcard applets/*.c applets/*/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/test-*.c))
APPLET_NAMES = $(shell sed -n 's/^APPLET."\([a-z-]*\)".*/\1/p' applets/applets.def)
NATIVE_ARCH := $(shell uname -m)

.PHONY: all deps demo test unit-tests size install versions clean distclean FORCE
.DELETE_ON_ERROR:
# Keep intermediate files (deps.mk, test objects): they are cheap to keep and costly to redo.
.SECONDARY:

# `make V=1` shows the full command lines.
ifeq ($(V),1)
Q :=
else
Q := @
endif

all: $(ARCHES:%=build/%/tailpod)

# --- Debian packages the build and the tests need (idempotent, fast when present) ---------------
deps: build/.deps.stamp

build/.deps.stamp: third_party/deps.sh
	@mkdir -p build
	third_party/deps.sh
	@touch $@

# --- Third-party libraries and toolchain, cached outside the tree --------------------------------
# build.sh is the cache authority (keys over recipes, patches, flags) and takes 0.1 s when warm,
# so it runs on every build; it rewrites deps.mk only when the content changes.
# The per-arch sub-make only reads it.
ifndef ARCH
build/%/deps.mk: build/.deps.stamp FORCE
	$(Q)third_party/build.sh $* --out $@
endif

# --- The static binary, one sub-make per architecture --------------------------------------------
build/%/tailpod: build/%/deps.mk FORCE
	@$(MAKE) --no-print-directory ARCH=$* binary

ifdef ARCH
include build/$(ARCH)/deps.mk

OBJDIR := build/$(ARCH)/obj
OBJS := $(patsubst %.c,$(OBJDIR)/%.o,$(CORE_SRCS) $(APPLET_SRCS))
BUILDINFO := build/$(ARCH)/buildinfo.h
# "unknown" outside a git checkout (a source tarball); "-dirty" when the tree has changes.
GIT_COMMIT := $(shell c=$$(git rev-parse --short=12 HEAD 2>/dev/null) || c=unknown; \
	[ $$c = unknown ] || git diff --quiet HEAD 2>/dev/null || c=$$c-dirty; echo $$c)
# BearSSL has no version call: --version shows the upstream part of the pinned Debian version.
BEARSSL_UPSTREAM_VERSION := $(firstword $(subst +, ,$(TP_VERSION_bearssl)))
BUILD_DATE := $(shell date -u -d @$${SOURCE_DATE_EPOCH:-$$(date +%s)} +%Y-%m-%d)

.PHONY: binary
binary: build/$(ARCH)/tailpod

# Rewritten only when its content changes, so an unchanged tree does not relink.
$(BUILDINFO): FORCE
	@mkdir -p $(dir $@)
	@{ echo '#define TAILPOD_VERSION "$(TAILPOD_VERSION)"'; \
	   echo '#define TAILPOD_COMMIT "$(GIT_COMMIT)"'; \
	   echo '#define TAILPOD_BUILD_DATE "$(BUILD_DATE)"'; \
	   echo '#define TAILPOD_ARCH "$(ARCH)"'; \
	   echo '#define TAILPOD_BEARSSL_VERSION "$(BEARSSL_UPSTREAM_VERSION)"'; } > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@

# Every object that includes it (grep -l buildinfo.h): a clean parallel build must make it first.
$(OBJDIR)/applets/main.o $(OBJDIR)/applets/doctor/install.o: $(BUILDINFO)

$(OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $(ARCH) $<"
	$(Q)$(TP_CC) $(CFLAGS_RELEASE) $(TP_CPPFLAGS) -Icore -Iapplets -Ibuild/$(ARCH) -MMD -MP -c $< -o $@

build/$(ARCH)/tailpod.debug: $(OBJS)
	@echo "  LINK    $@"
	$(Q)$(TP_CC) $(CFLAGS_RELEASE) $(LDFLAGS_RELEASE) $(OBJS) $(TP_LDLIBS) -o $@

build/$(ARCH)/tailpod: build/$(ARCH)/tailpod.debug
	@echo "  STRIP   $@"
	$(Q)$(TP_STRIP) --strip-all -o $@ $<

-include $(OBJS:.o=.d)
endif

# --- Host unit tests of core: glibc, ASan + UBSan ----------------------------------------------
# Core modules on libgit2 are tested black-box against the static binary (tests/peers): the host
# has no libgit2 of the pinned version.
HOST_EXCLUDE := core/gitrepo.c core/gitrepo_local.c core/gitrepo_tree.c core/desired.c core/fetchjail.c
HOST_OBJS := $(patsubst %.c,build/host/%.o,$(filter-out $(HOST_EXCLUDE),$(CORE_SRCS)))
UNIT_BINS := $(patsubst tests/unit/%.c,build/host/%,$(UNIT_SRCS))

build/host/%.o: %.c build/.deps.stamp
	@mkdir -p $(dir $@)
	@echo "  CC      host $<"
	$(Q)$(HOST_CC) $(CFLAGS_UNIT) -Icore -MMD -MP -c $< -o $@

build/host/libcore.a: $(HOST_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

build/host/test-%: build/host/tests/unit/test-%.o build/host/libcore.a
	@echo "  LINK    $@"
	$(Q)$(HOST_CC) $(CFLAGS_UNIT) $< build/host/libcore.a $(LDLIBS_UNIT) -o $@

build/host/tests/unit/%.o: CFLAGS_UNIT += -Itests/unit
# test-fs_read looks at every block before it is freed (FS_READ_SECURE wipes them).
build/host/test-fs_read: LDLIBS_UNIT += -Wl,--wrap=free
# test-age inflates the zlib-compressed CCTV vectors.
build/host/test-age: LDLIBS_UNIT += -lz
# test-stream gzips through core/stream_gz.
build/host/test-stream: LDLIBS_UNIT += -lz
# test-zalloc runs the system zlib's streams on core/zalloc, and threads.
build/host/test-zalloc: LDLIBS_UNIT += -lz -lpthread

unit-tests: $(UNIT_BINS)

# tests/peers/tar.test drives core/tar and core/stream through this host program (the binary
# carries no test applet).
build/host/tar-tool: tests/peers/tar-tool.c build/host/libcore.a
	@echo "  LINK    $@"
	$(Q)$(HOST_CC) $(CFLAGS_UNIT) -Icore $< build/host/libcore.a $(LDLIBS_UNIT) -lz -o $@
test: build/host/tar-tool
# tests/applets/check-scale.test measures check's peak RSS with it.
test: build/host/bench-rusage

# --- mbedTLS for the host unit tests -----------------------------------------------------------
# Debian bookworm's libmbedtls-dev is 2.28, whose API differs from the pinned 3.6, so the modules
# that call mbedTLS (sshkey) are unit-tested against the pinned source, unpacked and verified by
# third_party/build.sh --unpack and built here with the host compiler and the sanitizers.
# Upstream's default config: the recipe's threading option does not matter to single-threaded tests.
HOST_MBEDTLS := build/host/mbedtls
HOST_MBEDCRYPTO := $(HOST_MBEDTLS)/build/library/libmbedcrypto.a
CFLAGS_UNIT += -isystem $(HOST_MBEDTLS)/src/include
LDLIBS_UNIT += $(HOST_MBEDCRYPTO)

# $(call mbedtls_build,DIR,CC,CFLAGS): the pinned mbedTLS source in DIR/src, libmbedcrypto.a in
# DIR/build/library.
define mbedtls_build
	@echo "  BUILD   mbedTLS $(TP_VERSION_mbedtls) in $(1) (log: $(1)/build.log)"
	$(Q)rm -rf $(1) && mkdir -p $(1)
	$(Q)third_party/build.sh --unpack mbedtls $(1)/src 2>$(1)/build.log
	$(Q)cmake -S $(1)/src -B $(1)/build -DCMAKE_C_COMPILER=$(2) -DCMAKE_BUILD_TYPE=None \
		-DCMAKE_C_FLAGS="$(3)" -DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF -DGEN_FILES=OFF \
		-DMBEDTLS_FATAL_WARNINGS=OFF >>$(1)/build.log 2>&1 \
		&& cmake --build $(1)/build --target mbedcrypto --parallel >>$(1)/build.log 2>&1 \
		|| { tail -n 30 $(1)/build.log; exit 1; }
endef

$(HOST_MBEDCRYPTO): third_party/recipes/mbedtls.sh third_party/versions.mk build/.deps.stamp
	$(call mbedtls_build,$(HOST_MBEDTLS),$(HOST_CC),-g -O1 $(CFLAGS_SANITIZE))

# --- libgit2 for the host unit tests of gitrepo and desired -----------------------------------
# The pinned libgit2 source (with its pinned http-parser), built with the host compiler for
# file:// and local repositories only: no https, no ssh (those are tested black-box in
# tests/peers). The tests make their repositories with the system git in a scratch directory.
HOST_GIT2 := build/host/libgit2
HOST_GIT2_LIB := $(HOST_GIT2)/build/libgit2.a
HOST_GIT2_OBJS := $(patsubst %.c,build/host/%.o,$(HOST_EXCLUDE))
GIT2_UNIT_BINS := build/host/test-gitrepo build/host/test-desired

$(HOST_GIT2_LIB): third_party/recipes/libgit2.sh third_party/recipes/http-parser.sh \
		third_party/versions.mk build/.deps.stamp
	@echo "  BUILD   libgit2 $(TP_VERSION_libgit2) in $(HOST_GIT2) (log: $(HOST_GIT2)/build.log)"
	$(Q)rm -rf $(HOST_GIT2) && mkdir -p $(HOST_GIT2)/hp
	$(Q)third_party/build.sh --unpack http-parser $(HOST_GIT2)/hp/src 2>$(HOST_GIT2)/build.log
	$(Q)$(HOST_CC) -g -O1 -DHTTP_PARSER_STRICT=0 -c $(HOST_GIT2)/hp/src/http_parser.c \
		-o $(HOST_GIT2)/hp/http_parser.o && ar rcs $(HOST_GIT2)/hp/libhttp_parser.a \
		$(HOST_GIT2)/hp/http_parser.o
	$(Q)third_party/build.sh --unpack libgit2 $(HOST_GIT2)/src 2>>$(HOST_GIT2)/build.log
	$(Q)cmake -S $(HOST_GIT2)/src -B $(HOST_GIT2)/build -DCMAKE_C_COMPILER=$(HOST_CC) \
		-DCMAKE_BUILD_TYPE=None -DCMAKE_C_FLAGS="-g -O1" -DBUILD_SHARED_LIBS=OFF \
		-DBUILD_TESTS=OFF -DBUILD_CLI=OFF -DBUILD_EXAMPLES=OFF -DBUILD_FUZZERS=OFF \
		-DUSE_THREADS=ON -DUSE_HTTPS=OFF -DUSE_SSH=OFF -DUSE_SHA1=CollisionDetection \
		-DUSE_SHA256=Builtin -DUSE_HTTP_PARSER=http-parser \
		-DHTTP_PARSER_INCLUDE_DIR=$(CURDIR)/$(HOST_GIT2)/hp/src \
		-DHTTP_PARSER_LIBRARY=$(CURDIR)/$(HOST_GIT2)/hp/libhttp_parser.a \
		-DREGEX_BACKEND=regcomp -DUSE_BUNDLED_ZLIB=OFF -DUSE_NTLMCLIENT=OFF -DUSE_GSSAPI=OFF \
		>>$(HOST_GIT2)/build.log 2>&1 \
		&& cmake --build $(HOST_GIT2)/build --target libgit2package --parallel 2 \
		>>$(HOST_GIT2)/build.log 2>&1 || { tail -n 30 $(HOST_GIT2)/build.log; exit 1; }

$(HOST_GIT2_OBJS): CFLAGS_UNIT += -isystem $(HOST_GIT2)/src/include
# glibc hides pipe2 without _GNU_SOURCE; musl shows it by default.
build/host/core/fetchjail.o: CFLAGS_UNIT += -D_GNU_SOURCE
$(HOST_GIT2_OBJS) $(GIT2_UNIT_BINS:build/host/%=build/host/tests/unit/%.o): | $(HOST_GIT2_LIB)
$(GIT2_UNIT_BINS:build/host/%=build/host/tests/unit/%.o): CFLAGS_UNIT += \
	-isystem $(HOST_GIT2)/src/include
$(GIT2_UNIT_BINS): build/host/test-%: build/host/tests/unit/test-%.o $(HOST_GIT2_OBJS) \
		build/host/libcore.a
	@echo "  LINK    $@"
	$(Q)$(HOST_CC) $(CFLAGS_UNIT) $< $(HOST_GIT2_OBJS) build/host/libcore.a $(HOST_GIT2_LIB) \
		$(HOST_GIT2)/hp/libhttp_parser.a $(LDLIBS_UNIT) -lz -lpthread -o $@

# Headers before any host compile, the library before any link.
$(HOST_OBJS) $(UNIT_SRCS:tests/unit/%.c=build/host/tests/unit/%.o): | $(HOST_MBEDCRYPTO)

-include $(HOST_OBJS:.o=.d) $(HOST_GIT2_OBJS:.o=.d) \
	$(UNIT_SRCS:tests/unit/%.c=build/host/tests/unit/%.d)

# --- Fuzzing: libFuzzer harnesses (tests/fuzz), FUZZ_SECONDS each ------------------------------
# `make fuzz` runs every harness for FUZZ_SECONDS from its committed seed corpus
# (tests/fuzz/corpus/NAME); `make test` replays each corpus once (tests/run.sh). The harnesses build
# core's parsers with clang; sshkey links an uninstrumented mbedTLS of its own (gcc's sanitizer
# runtime in the unit-test copy does not mix with clang's).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_MBEDTLS := build/fuzz/mbedtls
FUZZ_MBEDCRYPTO := $(FUZZ_MBEDTLS)/build/library/libmbedcrypto.a
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Icore -I/usr/include/bearssl -isystem $(FUZZ_MBEDTLS)/src/include
FUZZ_NAMES := sshkey known_hosts ini envfile json_parse http_response transform spec kube_yaml \
	age tar tree_cache
FUZZ_BINS := $(FUZZ_NAMES:%=build/fuzz/fuzz-%)
# The harnesses `make test` replays: those that need no mbedTLS build of their own.
FUZZ_REPLAY_BINS := $(filter-out build/fuzz/fuzz-sshkey build/fuzz/fuzz-known_hosts,$(FUZZ_BINS))

.PHONY: fuzz fuzz-bins
fuzz: $(FUZZ_BINS)
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-bins: $(FUZZ_REPLAY_BINS)

$(FUZZ_MBEDCRYPTO): third_party/recipes/mbedtls.sh third_party/versions.mk build/.deps.stamp
	$(call mbedtls_build,$(FUZZ_MBEDTLS),$(FUZZ_CC),-g -O1)

# The base every parser harness links: error.c (error_detail_set), the fs readers, utf8.
FUZZ_BASE := core/error.c core/utf8.c core/fs.c core/fs_read.c
FUZZ_INI := core/ini.c core/ini_parse.c core/ini_arena.c core/ini_scan.c core/ini_emit.c core/ini_edit.c $(FUZZ_BASE)
build/fuzz/fuzz-sshkey: tests/fuzz/fuzz-sshkey.c core/sshkey.c core/sshkey_pem.c core/sshkey_sign.c \
	core/sshwire.c $(FUZZ_BASE) $(FUZZ_MBEDCRYPTO)
build/fuzz/fuzz-known_hosts: tests/fuzz/fuzz-known_hosts.c core/known_hosts.c core/sshwire.c \
	$(FUZZ_BASE) $(FUZZ_MBEDCRYPTO)
build/fuzz/fuzz-ini: tests/fuzz/fuzz-ini.c $(FUZZ_INI)
build/fuzz/fuzz-envfile: tests/fuzz/fuzz-envfile.c core/envfile.c $(FUZZ_BASE)
build/fuzz/fuzz-json_parse: tests/fuzz/fuzz-json_parse.c core/json_parse.c $(FUZZ_BASE)
build/fuzz/fuzz-http_response: tests/fuzz/fuzz-http_response.c core/http_response.c core/http.c core/http_sock.c \
	core/http_ca.c core/clock.c $(FUZZ_BASE)
build/fuzz/fuzz-transform: tests/fuzz/fuzz-transform.c core/transform.c core/transform_merge.c \
	core/transform_name.c core/fileset.c core/sort.c core/diag.c $(FUZZ_INI)
build/fuzz/fuzz-spec: tests/fuzz/fuzz-spec.c core/spec.c core/spec_check.c core/spec_set.c core/arena.c \
	core/spec_parts.c core/parallel.c \
	core/spec_units.c core/spec_text.c core/spec_others.c core/spec_kube.c core/kube_yaml.c \
	core/spec_app.c core/spec_app_paths.c \
	core/quadlet_keys.c core/quadlet_keys_table.c core/podman_version.c core/suggest.c \
	core/transform.c core/transform_merge.c core/transform_name.c core/fileset.c core/sort.c core/diag.c \
	core/spec_secrets.c core/age.c core/age_bech32.c \
	core/hash.c core/sha256_hw.c core/spec_health.c core/http_probe.c core/http_sock.c core/http_response.c \
	core/clock.c $(FUZZ_INI)
build/fuzz/fuzz-kube_yaml: tests/fuzz/fuzz-kube_yaml.c core/kube_yaml.c $(FUZZ_BASE)
build/fuzz/fuzz-age: tests/fuzz/fuzz-age.c core/age.c core/age_bech32.c
build/fuzz/fuzz-tar: tests/fuzz/fuzz-tar.c core/tar.c core/tar_read.c core/tar_pax.c
build/fuzz/fuzz-tree_cache: tests/fuzz/fuzz-tree_cache.c core/tree_cache.c core/fileset.c core/sort.c \
	core/hash.c core/sha256_hw.c $(FUZZ_BASE)
build/fuzz/fuzz-%: build/.deps.stamp
	@mkdir -p $(dir $@)
	@echo "  FUZZ-CC $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(filter %.c,$^) $(filter %.a,$^) -lsodium -lbearssl -o $@

# --- What a newcomer runs ----------------------------------------------------------------------
DEMO_CHECK := check --transforms tests/example/transforms tests/example/repo

demo: build/$(NATIVE_ARCH)/tailpod
	@echo '$$ tailpod --version'; build/$(NATIVE_ARCH)/tailpod --version
	@echo; echo '$$ tailpod --list'; build/$(NATIVE_ARCH)/tailpod --list
	@echo; echo '$$ tailpod $(DEMO_CHECK)'; build/$(NATIVE_ARCH)/tailpod $(DEMO_CHECK)
	@echo; echo '$$ tailpod $(DEMO_CHECK) --render notes'; \
		build/$(NATIVE_ARCH)/tailpod $(DEMO_CHECK) --render notes
	@echo; tests/example/fetch-demo.sh build/$(NATIVE_ARCH)/tailpod
	@echo; tests/example/sync-demo.sh build/$(NATIVE_ARCH)/tailpod

# Figures, not pass/fail: check on generated repos of 100, 1 000 and 10 000 specs, a fetch of
# 1 000 specs over file:// and ssh, one mint through the socket service, a sync of 200 workloads
# in the sandbox (first deploy, then a healthy no-op and its child processes).
.PHONY: bench
bench: build/$(NATIVE_ARCH)/tailpod build/host/bench-rusage build/host/bench-floor \
	build/host/bench-floor-noop
	@tests/bench/check.sh build/$(NATIVE_ARCH)/tailpod build/host/bench-rusage build/host/bench-floor
	@tests/bench/fetch.sh build/$(NATIVE_ARCH)/tailpod build/host/bench-rusage
	@tests/bench/mint-key.sh build/$(NATIVE_ARCH)/tailpod build/host/bench-rusage
	@tests/bench/sync.sh build/$(NATIVE_ARCH)/tailpod build/host/bench-rusage \
		build/host/bench-floor-noop
	@tests/bench/doctor.sh build/$(NATIVE_ARCH)/tailpod build/host/bench-rusage build/host/bench-floor
	@tests/bench/backup.sh build/$(NATIVE_ARCH)/tailpod build/host/bench-rusage build/host/bench-floor

build/host/bench-rusage: tests/bench/rusage.c
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -std=gnu11 -O2 $(WARNINGS) $< -o $@

# Static, as tailpod is: the floor pays no dynamic loader.
build/host/bench-floor: tests/bench/floor.c
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -std=gnu11 -O2 -static $(WARNINGS) $< -o $@

build/host/bench-floor-noop: tests/bench/floor-noop.c
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -std=gnu11 -O2 -static $(WARNINGS) $< -o $@

test: all unit-tests fuzz-bins
	@tests/run.sh --arches "$(ARCHES)" --unit "$(UNIT_BINS)" --fuzz "$(FUZZ_REPLAY_BINS)"

# --- The VM guest (tests/vm): Debian trixie, systemd + rootless Podman, under qemu ----------------
# `make vm-image` builds the guest disk, kernel and initrd into $(TP_CACHE)/vm/VM_ARCH-KEY (rebuilt
# only when tests/vm/mkimage.sh or tests/vm/image/ change) and prints the directory.
# `make vm-boot-smoke` boots it (KVM when it works, TCG otherwise) with tests/vm/smoke as the
# guest's share and checks that the guest reached TAILPOD-VM-SMOKE-OK; console in build/vm/.
# VM_ARCH, not ARCH: ARCH selects the per-architecture sub-make above.
VM_ARCH ?= x86_64
.PHONY: vm-image vm-boot-smoke vm-test
vm-image: build/.deps.stamp
	@tests/vm/mkimage.sh $(VM_ARCH)

vm-boot-smoke: vm-image
	@mkdir -p build/vm
	@tests/vm/boot.sh --arch $(VM_ARCH) --share tests/vm/smoke \
		--log build/vm/smoke-$(VM_ARCH).log --timeout $${TP_VM_TIMEOUT:-600}
	@grep -q TAILPOD-VM-SMOKE-OK build/vm/smoke-$(VM_ARCH).log || \
		{ echo "vm-boot-smoke: no TAILPOD-VM-SMOKE-OK in build/vm/smoke-$(VM_ARCH).log"; exit 1; }
	@echo "vm-boot-smoke: TAILPOD-VM-SMOKE-OK ($(VM_ARCH))"

# `make vm-test [VM_ARCH=aarch64]`: the whole flow (tests/vm/run.sh) — provisioning, the timer's
# first sync, rootless quadlets answering, no-op, drift repair, change and removal, guards,
# mint-key over the socket, a reboot. `make test` runs it for x86_64.
vm-test: build/$(VM_ARCH)/tailpod vm-image
	@mkdir -p build/vm
	@tests/vm/run.sh build/$(VM_ARCH)/tailpod $(VM_ARCH) | tee build/vm/test-$(VM_ARCH).out
	@grep -q '^counts [0-9]* 0$$' build/vm/test-$(VM_ARCH).out

size: all
	@for a in $(ARCHES); do \
		printf '%-8s %8d bytes  %s\n' $$a $$(stat -c %s build/$$a/tailpod) \
			"$$(file -b build/$$a/tailpod | cut -d, -f1-2,4)"; done

versions:
	@third_party/build.sh --print-versions

install: build/$(NATIVE_ARCH)/tailpod
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 build/$(NATIVE_ARCH)/tailpod $(DESTDIR)$(BINDIR)/tailpod
	for a in $(APPLET_NAMES); do ln -sf tailpod $(DESTDIR)$(BINDIR)/tailpod-$$a; done

# --- Deployment artefacts (initramfs/; README "Deploy on Fedora CoreOS") ------------------------
# `make ignition` writes build/tailpod.ign (Ignition spec 3.3.0) and its Butane twin build/tailpod.bu
# for IGNITION_ARCH and checks the config with ignition-validate (a warning fails too: Ignition
# would silently ignore that line). IGNITION_BINARY_URL=https://... makes the config fetch the
# binary instead of embedding it; TAILPOD_GIT_URL and TAILPOD_GIT_BRANCH fill config.env.
# `make initramfs` writes build/tailpod-initramfs-ARCH.cpio.gz (newc, gzip) for every ARCHES entry:
# /usr/bin/tailpod and its tailpod-APPLET links, to append to an existing initrd.
.PHONY: ignition initramfs
IGNITION_ARCH ?= aarch64
IGNITION_BINARY_URL ?=
TAILPOD_GIT_URL ?=
TAILPOD_GIT_BRANCH ?= main

ignition: build/$(IGNITION_ARCH)/tailpod
	@echo "  IGN     build/tailpod.ign build/tailpod.bu ($(IGNITION_ARCH))"
	$(Q)initramfs/mkignition --arch '$(IGNITION_ARCH)' --binary build/$(IGNITION_ARCH)/tailpod \
		--out-ign build/tailpod.ign --out-bu build/tailpod.bu \
		--binary-url '$(IGNITION_BINARY_URL)' --git-url '$(TAILPOD_GIT_URL)' \
		--git-branch '$(TAILPOD_GIT_BRANCH)'
	$(Q)out=$$(ignition-validate build/tailpod.ign 2>&1); rc=$$?; \
		if [ $$rc -ne 0 ] || [ -n "$$out" ]; then echo "$$out"; rm -f build/tailpod.ign; exit 1; fi

initramfs: $(ARCHES:%=build/tailpod-initramfs-%.cpio.gz)

build/tailpod-initramfs-%.cpio.gz: build/%/tailpod initramfs/mkinitramfs applets/applets.def
	@echo "  CPIO    $@"
	$(Q)initramfs/mkinitramfs --binary build/$*/tailpod --applets-def applets/applets.def --out $@

clean:
	rm -rf build

# Also drops the third-party cache; the next build is a cold one.
distclean: clean
	rm -rf $(TP_CACHE)/build

FORCE:
