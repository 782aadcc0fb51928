# secretpack - build, test and demo. `make`, `make check`, `make demo`.
CC ?= cc
CFLAGS ?= -O2 -g
BUILD ?= build
STATIC ?= 1
PREFIX ?= /usr/local

PKGS = libsodium libargon2 inih
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
LIBDIR = $(shell pkg-config --variable=libdir libsodium)

WARN = -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Wstrict-prototypes \
       -Wmissing-prototypes -Wvla -Wcast-qual -Wpointer-arith
HARDEN = -fstack-protector-strong -fstack-clash-protection -fcf-protection -D_FORTIFY_SOURCE=2 \
         -fno-strict-aliasing -fno-common
ALL_CPPFLAGS = -D_GNU_SOURCE -Iinclude $(CPPFLAGS)
ALL_CFLAGS = $(WARN) $(HARDEN) $(PKG_CFLAGS) $(CFLAGS)
ifneq ($(filter -fsanitize=%,$(CFLAGS)),)
ALL_CFLAGS := $(filter-out -D_FORTIFY_SOURCE=2,$(ALL_CFLAGS))
endif
LDHARDEN = -Wl,-z,relro,-z,now -Wl,-z,noexecstack

CORE_SRC = $(filter-out src/main.c src/cli.c src/cli_%.c src/cmd_%.c,$(wildcard src/*.c))
CLI_SRC = src/main.c src/cli.c $(wildcard src/cli_*.c) $(wildcard src/cmd_*.c)
CORE_OBJ = $(CORE_SRC:src/%.c=$(BUILD)/obj/%.o)
CLI_OBJ = $(CLI_SRC:src/%.c=$(BUILD)/obj/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)

# Static link. Debian's libsodium.a carries a private copy of Argon2 whose global symbols clash
# with libargon2.a. We rename libsodium's copy (sp_sodium_*) in a derived archive so that every
# Argon2 call resolves to libargon2, and the link map check below proves it.
SODIUM_A = $(BUILD)/libsodium-sp.a
STATIC_LIBS = $(SODIUM_A) $(LIBDIR)/libargon2.a $(LIBDIR)/libinih.a -pthread
DYN_LIBS = $(shell pkg-config --libs $(PKGS)) -pthread

ifeq ($(STATIC),1)
BIN_LDFLAGS = -static $(LDHARDEN) $(LDFLAGS)
BIN_LIBS = $(STATIC_LIBS)
BIN_DEPS = $(SODIUM_A)
else
BIN_LDFLAGS = -pie $(LDHARDEN) $(LDFLAGS)
BIN_LIBS = $(DYN_LIBS)
BIN_DEPS =
endif

DEBS_BUILD = gcc make pkg-config file libsodium-dev libargon2-dev libinih-dev
DEBS_TEST = libcmocka-dev strace runc busybox-static clang valgrind cppcheck clang-tidy gdb gosu git tini

.PHONY: all check check-run demo demo-run deps deps-test unit clean install lint fuzz \
        check-asan check-valgrind

all: secretpack

secretpack: $(BUILD)/secretpack.unstripped
	strip -o $@ $<
	@if [ "$(STATIC)" = 1 ]; then file $@ | grep -q 'statically linked' || \
	  { echo "secretpack: $@ is not statically linked" >&2; rm -f $@; exit 1; }; fi

$(BUILD)/secretpack.unstripped: $(CLI_OBJ) $(CORE_OBJ) $(BIN_DEPS)
	$(CC) $(ALL_CFLAGS) $(BIN_LDFLAGS) -o $@ $(CLI_OBJ) $(CORE_OBJ) $(BIN_LIBS) \
	  -Wl,--trace-symbol=argon2_ctx > $(BUILD)/argon2-link.txt 2>&1
	@if [ "$(STATIC)" = 1 ]; then grep -q 'libargon2.a(.*definition of argon2_ctx' $(BUILD)/argon2-link.txt || \
	  { cat $(BUILD)/argon2-link.txt; echo "secretpack: argon2_ctx does not come from libargon2.a" >&2; rm -f $@; exit 1; }; fi

$(SODIUM_A): | $(BUILD)
	nm -g --defined-only $(LIBDIR)/libsodium.a 2>/dev/null | awk 'NF==3 {print $$3}' | sort -u > $(BUILD)/sodium.syms
	nm -g --defined-only $(LIBDIR)/libargon2.a 2>/dev/null | awk 'NF==3 {print $$3}' | sort -u > $(BUILD)/argon2.syms
	comm -12 $(BUILD)/sodium.syms $(BUILD)/argon2.syms | awk '{print $$1 " sp_sodium_" $$1}' > $(BUILD)/argon2-rename.txt
	test -s $(BUILD)/argon2-rename.txt || { echo "secretpack: no Argon2 clash found; check the libsodium.a recipe" >&2; exit 1; }
	objcopy --redefine-syms=$(BUILD)/argon2-rename.txt $(LIBDIR)/libsodium.a $@

$(BUILD):
	mkdir -p $(BUILD)/obj $(BUILD)/unit

$(BUILD)/obj/%.o: src/%.c $(wildcard include/*.h) src/cli.h src/run.h | $(BUILD)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/unit/%: tests/unit/%.c $(CORE_OBJ) tests/unit/unit.h | $(BUILD)
	$(CC) $(ALL_CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -o $@ $< $(CORE_OBJ) $(DYN_LIBS) -lcmocka

# The fuzz regression test includes the harnesses.
$(BUILD)/unit/test_fuzz_regress: $(wildcard tests/fuzz/*.c tests/fuzz/*.h)

unit: $(UNIT_BIN)

# The README's two commands. Both install missing Debian packages first when run as root.
check: deps-test
	@$(MAKE) --no-print-directory check-run

# make check: the static binary's suites, then the same suites against an ASan+UBSan build.
check-run: secretpack unit
	@$(MAKE) --no-print-directory $(ASAN_MAKE) build-asan/secretpack.unstripped unit
	@tests/lint/lint.sh warnings
	@SECRETPACK=$(CURDIR)/secretpack BUILD=$(CURDIR)/$(BUILD) ASAN_BUILD=$(CURDIR)/build-asan tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory demo-run

demo-run: secretpack
	@contrib/demo.sh $(CURDIR)/secretpack

deps:
	@DEBS="$(DEBS_BUILD)" tests/deps.sh
deps-test:
	@DEBS="$(DEBS_BUILD) $(DEBS_TEST)" tests/deps.sh

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

lint: deps-test
	@tests/lint/lint.sh

install: secretpack
	install -D -m 0755 secretpack $(DESTDIR)$(PREFIX)/bin/secretpack

clean:
	rm -rf build build-* secretpack

# Fuzzing: fuzz-build and fuzz (FUZZ_SECONDS=N); make check runs each harness briefly.
include tests/fuzz/fuzz.mk
