# secretpack - build, test and demo. `make`, `make check`, `make demo`.
CC ?= cc
CFLAGS ?= -Os -g
STATIC ?= 1
PREFIX ?= /usr/local

# The one source of the version: -V, the man pages and the release file names.
VERSION := $(shell cat VERSION 2>/dev/null || echo unknown)

# Target architecture: ARCH=amd64 or ARCH=arm64 (Debian names), else the one $(CC) builds for.
# Another architecture than the host's is a cross build with Debian's toolchain and multiarch
# -dev packages (make deps ARCH=arm64 installs them); it goes to build-ARCH/secretpack.
HOST_ARCH := $(shell uname -m | sed 's/^x86_64$$/amd64/;s/^aarch64$$/arm64/')
ifeq ($(origin ARCH),undefined)
ARCH := $(shell $(CC) -dumpmachine 2>/dev/null | sed -n 's/^x86_64-.*/amd64/p;s/^aarch64-.*/arm64/p')
endif
TRIPLET_amd64 = x86_64-linux-gnu
TRIPLET_arm64 = aarch64-linux-gnu
ifneq ($(ARCH),$(HOST_ARCH))
ifeq ($(TRIPLET_$(ARCH)),)
$(error ARCH=$(ARCH): the build knows amd64 and arm64)
endif
CROSS ?= $(TRIPLET_$(ARCH))-
ifeq ($(origin CC),default)
CC = $(CROSS)gcc
endif
PKG_CONFIG = PKG_CONFIG_LIBDIR=/usr/lib/$(TRIPLET_$(ARCH))/pkgconfig:/usr/share/pkgconfig pkg-config
BUILD ?= build-$(ARCH)
BIN = $(BUILD)/secretpack
endif
BUILD ?= build
BIN ?= secretpack
PKG_CONFIG ?= pkg-config
NM = $(CROSS)nm
OBJCOPY = $(CROSS)objcopy
STRIP = $(CROSS)strip

PKGS = libsodium libargon2 inih
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
LIBDIR = $(shell $(PKG_CONFIG) --variable=libdir libsodium)

WARN = -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Wstrict-prototypes \
       -Wmissing-prototypes -Wvla -Wcast-qual -Wpointer-arith
# Control-flow protection differs per architecture: CET on x86-64, PAC/BTI on arm64.
HARDEN_ARCH_amd64 = -fcf-protection
HARDEN_ARCH_arm64 = -mbranch-protection=standard
HARDEN = -fstack-protector-strong -fstack-clash-protection $(HARDEN_ARCH_$(ARCH)) -D_FORTIFY_SOURCE=2 \
         -fno-strict-aliasing -fno-common
# Reproducible builds: no build directory in the objects (debug info and the build-id computed
# over it), whatever directory the tree is built in. SOURCE_DATE_EPOCH dates the tarball.
REPRO_FLAGS = -ffile-prefix-map=$(CURDIR)=.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || stat -c %Y VERSION)
export SOURCE_DATE_EPOCH
# Size (issue 11, tests/dist/t_size.sh): each function and object in its own section, so that the
# link keeps only what is called (--gc-sections); no .eh_frame for our own code (nothing unwinds
# through it: no C++, no pthread_cancel; -g gives debuggers .debug_frame in secretpack.unstripped).
# Our code is built with -Os (CFLAGS): the crypto is libsodium's, as Debian built it.
SIZE_CFLAGS = -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables
SIZE_LDFLAGS = -Wl,--gc-sections
ALL_CPPFLAGS = -D_GNU_SOURCE -Iinclude $(CPPFLAGS)
ALL_CFLAGS = $(WARN) $(HARDEN) $(SIZE_CFLAGS) $(REPRO_FLAGS) $(PKG_CFLAGS) $(CFLAGS)
ifneq ($(filter -fsanitize=%,$(CFLAGS)),)
# The sanitizers' stack traces unwind through our frames.
ALL_CFLAGS := $(filter-out -D_FORTIFY_SOURCE=2 -fno-asynchronous-unwind-tables,$(ALL_CFLAGS))
endif
LDHARDEN = -Wl,-z,relro,-z,now -Wl,-z,noexecstack

CORE_SRC = $(filter-out src/main.c src/cli.c src/cli_%.c src/cmd_%.c,$(sort $(wildcard src/*.c)))
CLI_SRC = src/main.c src/cli.c $(sort $(wildcard src/cli_*.c)) $(sort $(wildcard src/cmd_*.c))
CORE_OBJ = $(CORE_SRC:src/%.c=$(BUILD)/obj/%.o)
CLI_OBJ = $(CLI_SRC:src/%.c=$(BUILD)/obj/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)

# Static link. Debian's libsodium.a carries a private copy of Argon2 whose global symbols clash
# with libargon2.a. We rename libsodium's copy (sp_sodium_*) in a derived archive so that every
# Argon2 call resolves to libargon2, and the link map check below proves it.
SODIUM_A = $(BUILD)/libsodium-sp.a
STATIC_LIBS = $(SODIUM_A) $(LIBDIR)/libargon2.a $(LIBDIR)/libinih.a -pthread
DYN_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS)) -pthread

ifeq ($(STATIC),1)
BIN_LDFLAGS = -static $(LDHARDEN) $(SIZE_LDFLAGS) $(LDFLAGS)
BIN_LIBS = $(STATIC_LIBS)
BIN_DEPS = $(SODIUM_A)
else
BIN_LDFLAGS = -pie $(LDHARDEN) $(SIZE_LDFLAGS) $(LDFLAGS)
BIN_LIBS = $(DYN_LIBS)
BIN_DEPS =
endif

DEBS_BUILD = gcc make pkg-config file libsodium-dev libargon2-dev libinih-dev
DEBS_TEST = libcmocka-dev strace runc busybox-static clang valgrind cppcheck clang-tidy gdb gosu git tini python3-yaml zsh fish age catatonit dumb-init hyperfine time
# The arm64 cross build and its run under qemu (make check, make dist, make deps ARCH=arm64).
DEBS_ARM64 = gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static \
             libsodium-dev:arm64 libargon2-dev:arm64 libinih-dev:arm64 libcmocka-dev:arm64

# make bench: the peers it measures against, and its tools (bench/run.sh, doc/BENCHMARKS.md).
DEBS_BENCH = age gosu tini catatonit dumb-init hyperfine valgrind strace time python3

# The real-engine lane (tests/docker/t_engine.sh) installs these itself, and skips when it cannot.
DEBS_ENGINE = docker.io docker-compose debootstrap
export DEBS_ENGINE

.PHONY: all check check-run check-arm64 demo demo-run deps deps-test deps-arm64 unit clean install \
        uninstall dist man lint fuzz check-asan check-valgrind check-engine

all: $(BIN)

secretpack $(BUILD)/secretpack: $(BUILD)/secretpack.unstripped
	$(STRIP) -o $@ $<
	@if [ "$(STATIC)" = 1 ]; then file $@ | grep -q 'statically linked' || \
	  { echo "secretpack: $@ is not statically linked" >&2; rm -f $@; exit 1; }; fi

$(BUILD)/secretpack.unstripped: $(CLI_OBJ) $(CORE_OBJ) $(BIN_DEPS)
	$(CC) $(ALL_CFLAGS) $(BIN_LDFLAGS) -o $@ $(CLI_OBJ) $(CORE_OBJ) $(BIN_LIBS) \
	  -Wl,--trace-symbol=argon2_ctx -Wl,-Map=$(BUILD)/secretpack.map > $(BUILD)/argon2-link.txt 2>&1
	@if [ "$(STATIC)" = 1 ]; then grep -q 'libargon2.a(.*definition of argon2_ctx' $(BUILD)/argon2-link.txt || \
	  { cat $(BUILD)/argon2-link.txt; echo "secretpack: argon2_ctx does not come from libargon2.a" >&2; rm -f $@; exit 1; }; \
	  ! grep -o 'libsodium-sp\.a([^)]*argon2[^)]*)' $(BUILD)/secretpack.map || \
	  { echo "secretpack: libsodium's Argon2 is linked (see src/sp_sodium_link.c)" >&2; rm -f $@; exit 1; }; fi

$(SODIUM_A): | $(BUILD)
	$(NM) -g --defined-only $(LIBDIR)/libsodium.a 2>/dev/null | awk 'NF==3 {print $$3}' | sort -u > $(BUILD)/sodium.syms
	$(NM) -g --defined-only $(LIBDIR)/libargon2.a 2>/dev/null | awk 'NF==3 {print $$3}' | sort -u > $(BUILD)/argon2.syms
	comm -12 $(BUILD)/sodium.syms $(BUILD)/argon2.syms | awk '{print $$1 " sp_sodium_" $$1}' > $(BUILD)/argon2-rename.txt
	test -s $(BUILD)/argon2-rename.txt || { echo "secretpack: no Argon2 clash found; check the libsodium.a recipe" >&2; exit 1; }
	$(OBJCOPY) --redefine-syms=$(BUILD)/argon2-rename.txt $(LIBDIR)/libsodium.a $@

$(BUILD):
	mkdir -p $(BUILD)/obj $(BUILD)/unit

# The version reaches the binary through main.c alone.
$(BUILD)/obj/main.o: VERSION
$(BUILD)/obj/main.o: ALL_CPPFLAGS += -DSECRETPACK_VERSION='"$(VERSION)"'

# Makefile: a change of flags rebuilds the objects (a stale -O2 object would pass for a -Os one).
$(BUILD)/obj/%.o: src/%.c $(wildcard include/*.h) src/cli.h src/run.h Makefile | $(BUILD)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/unit/%: tests/unit/%.c $(CORE_OBJ) tests/unit/unit.h tests/unit/memio.h | $(BUILD)
	$(CC) $(ALL_CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -o $@ $< $(CORE_OBJ) $(DYN_LIBS) -lcmocka

# The fuzz regression test includes the harnesses.
$(BUILD)/unit/test_fuzz_regress: $(wildcard tests/fuzz/*.c tests/fuzz/*.h)

unit: $(UNIT_BIN)

# The README's two commands. Both install missing Debian packages first when run as root.
check: deps-test
	@$(MAKE) --no-print-directory check-run

# make check: the static binary's suites, then the same suites against an ASan+UBSan build.
check-run: secretpack unit man check-arm64
	@$(MAKE) --no-print-directory $(ASAN_MAKE) build-asan/secretpack.unstripped unit
	@tests/lint/lint.sh warnings
	@SECRETPACK=$(CURDIR)/secretpack BUILD=$(CURDIR)/$(BUILD) ASAN_BUILD=$(CURDIR)/build-asan \
	  ARM64_BUILD=$(ARM64_BUILD) tests/run.sh

# The arm64 binary and the vector test, cross-built once for tests/dist/t_arm64.sh (qemu);
# without the cross compiler that suite says why it skips.
ARM64_NEEDS = /usr/bin/aarch64-linux-gnu-gcc /usr/bin/qemu-aarch64-static \
              $(addprefix /usr/lib/aarch64-linux-gnu/,libsodium.a libargon2.a libinih.a libcmocka.so)
ARM64_BUILD = $(if $(filter-out $(wildcard $(ARM64_NEEDS)),$(ARM64_NEEDS)),,$(CURDIR)/build-arm64)
check-arm64:
	@if [ -n "$(ARM64_BUILD)" ]; then $(MAKE) --no-print-directory ARCH=arm64 BUILD=build-arm64 \
	  build-arm64/secretpack build-arm64/unit/test_vectors; fi

demo: deps
	@$(MAKE) --no-print-directory demo-run

demo-run: secretpack
	@contrib/demo.sh $(CURDIR)/secretpack

deps:
	@DEBS="$(DEBS_BUILD)" tests/deps.sh
	@if [ "$(ARCH)" = arm64 ] && [ "$(HOST_ARCH)" != arm64 ]; then DEBS="$(DEBS_ARM64)" tests/deps.sh; fi
deps-test:
	@DEBS="$(DEBS_BUILD) $(DEBS_TEST)" tests/deps.sh
	@DEBS="$(DEBS_ARM64)" DEBS_OPTIONAL="the arm64 checks" tests/deps.sh
deps-arm64:
	@DEBS="$(DEBS_BUILD) $(DEBS_ARM64)" tests/deps.sh

# Issue-4 style checks: sanitizers, valgrind, static analysis, fuzzing.
ASAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_MAKE = BUILD=build-asan STATIC=0 CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined"
# Every suite (unit, command-level, OCI) against the ASan+UBSan build alone.
check-asan: deps-test
	@$(MAKE) --no-print-directory $(ASAN_MAKE) build-asan/secretpack.unstripped unit
	@ASAN_OPTIONS=detect_leaks=1:exitcode=99 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=99 \
	  SECRETPACK=$(CURDIR)/build-asan/secretpack.unstripped BUILD=$(CURDIR)/build-asan tests/run.sh

check-valgrind: deps-test
	@$(MAKE) --no-print-directory BUILD=build-vg STATIC=0 build-vg/secretpack.unstripped
	@rm -rf build-vg/reports && mkdir -m 1777 build-vg/reports
	@SP_VG_DIR=$(CURDIR)/build-vg/reports SP_REAL=$(CURDIR)/build-vg/secretpack.unstripped \
	  SECRETPACK=$(CURDIR)/tests/valgrind.sh BUILD=$(CURDIR)/build-vg TESTS=cli/ tests/run.sh
	@n=$$(find build-vg/reports -type f -size +0 | wc -l); \
	  if [ "$$n" -ne 0 ]; then find build-vg/reports -type f -size +0 -exec cat {} +; \
	  echo "secretpack: valgrind reported errors in $$n runs (build-vg/reports)" >&2; exit 1; fi; \
	  echo "valgrind: $$(ls build-vg/reports | wc -l) runs of the binary, no memory error, no leak"

# The real-engine lane alone: its own dockerd, contrib/Dockerfile with both builders, compose.
check-engine: deps-test secretpack
	@SECRETPACK=$(CURDIR)/secretpack BUILD=$(CURDIR)/$(BUILD) TESTS=docker/ tests/run.sh

lint: deps-test
	@tests/lint/lint.sh

# make bench: start-up, KDF, bulk throughput, peak RSS and sizes against gosu, tini, catatonit,
# age and raw libsodium (bench/stream.c, built with the binary's flags and libraries); one table
# of medians and ratios (doc/BENCHMARKS.md). BASE=/path/to/secretpack adds a "before" column
# measured in the same runs. Needs root (namespaces, --user).
.PHONY: bench bench-run deps-bench
bench: deps-bench
	@$(MAKE) --no-print-directory bench-run
deps-bench:
	@DEBS="$(DEBS_BUILD) $(DEBS_BENCH)" tests/deps.sh
bench-run: $(BIN) $(BUILD)/bench/stream
	@bench/run.sh $(CURDIR)/$(BIN) $(CURDIR)/$(BUILD)/bench/stream

$(BUILD)/bench/stream: bench/stream.c $(wildcard include/*.h) $(BIN_DEPS) | $(BUILD)
	@mkdir -p $(BUILD)/bench
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(BIN_LDFLAGS) -o $@ bench/stream.c $(BIN_LIBS)

# Man pages carry the version from VERSION.
MANPAGES = $(BUILD)/man/secretpack.1 $(BUILD)/man/secretpack-manifest.5
man: $(MANPAGES)
$(BUILD)/man/%: doc/% VERSION
	@mkdir -p $(BUILD)/man
	sed 's/@VERSION@/$(VERSION)/g' doc/$* > $@

# Conventional places under PREFIX (DESTDIR for staging); uninstall removes exactly these.
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR = $(PREFIX)/share/fish/vendor_completions.d
INSTALLED = $(BINDIR)/secretpack $(MANDIR)/man1/secretpack.1 $(MANDIR)/man5/secretpack-manifest.5 \
            $(BASHCOMPDIR)/secretpack $(ZSHCOMPDIR)/_secretpack $(FISHCOMPDIR)/secretpack.fish

install: $(BIN) $(MANPAGES)
	install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/secretpack
	install -D -m 0644 $(BUILD)/man/secretpack.1 $(DESTDIR)$(MANDIR)/man1/secretpack.1
	install -D -m 0644 $(BUILD)/man/secretpack-manifest.5 $(DESTDIR)$(MANDIR)/man5/secretpack-manifest.5
	install -D -m 0644 contrib/completion/secretpack.bash $(DESTDIR)$(BASHCOMPDIR)/secretpack
	install -D -m 0644 contrib/completion/_secretpack $(DESTDIR)$(ZSHCOMPDIR)/_secretpack
	install -D -m 0644 contrib/completion/secretpack.fish $(DESTDIR)$(FISHCOMPDIR)/secretpack.fish

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

# Release artefacts: static binaries for amd64 and arm64, man pages, completions, the source
# tarball and SHA256SUMS. Byte-identical for one commit wherever it is built (t_repro.sh).
DIST = dist
DIST_FILES = secretpack-$(VERSION)-linux-amd64 secretpack-$(VERSION)-linux-arm64 secretpack.1 \
             secretpack-manifest.5 secretpack.bash _secretpack secretpack.fish secretpack-$(VERSION).tar.gz
dist: deps-arm64
	@rm -rf $(DIST) && mkdir -p $(DIST)
	@$(MAKE) --no-print-directory ARCH=amd64 BUILD=build-dist-amd64 build-dist-amd64/secretpack man
	@$(MAKE) --no-print-directory ARCH=arm64 BUILD=build-dist-arm64 build-dist-arm64/secretpack
	cp build-dist-amd64/secretpack $(DIST)/secretpack-$(VERSION)-linux-amd64
	cp build-dist-arm64/secretpack $(DIST)/secretpack-$(VERSION)-linux-arm64
	cp build-dist-amd64/man/secretpack.1 build-dist-amd64/man/secretpack-manifest.5 $(DIST)/
	cp contrib/completion/secretpack.bash contrib/completion/_secretpack contrib/completion/secretpack.fish $(DIST)/
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	  git archive --format=tar --prefix=secretpack-$(VERSION)/ HEAD; \
	else \
	  find . -path ./.git -prune -o -path './build*' -prune -o -path ./$(DIST) -prune -o \
	    -path ./secretpack -prune -o -print0 | LC_ALL=C sort -z | \
	  tar --null --no-recursion -T - --transform 's,^\.,secretpack-$(VERSION),' \
	    --mtime=@$(SOURCE_DATE_EPOCH) --owner=0 --group=0 --numeric-owner -cf -; \
	fi | gzip -n -9 > $(DIST)/secretpack-$(VERSION).tar.gz
	cd $(DIST) && sha256sum $(DIST_FILES) > SHA256SUMS
	@cat $(DIST)/SHA256SUMS

clean:
	rm -rf build build-* secretpack $(DIST)

# Fuzzing: fuzz-build and fuzz (FUZZ_SECONDS=N); make check runs each harness briefly.
include tests/fuzz/fuzz.mk
