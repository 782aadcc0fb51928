# fuzz.mk - libFuzzer harnesses for every parser of untrusted bytes (tests/fuzz, doc/TESTING.md).
# Included by the Makefile. `make fuzz-build` builds them into $(BUILD)/fuzz; `make fuzz` runs each
# for FUZZ_SECONDS on a work corpus in $(BUILD)/fuzz/corpus-NAME plus the committed seeds.
fuzz_saved_goal := $(.DEFAULT_GOAL)

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR = $(BUILD)/fuzz
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) $(WARN) \
	$(shell pkg-config --cflags libsodium libargon2 inih)
FUZZ_CPPFLAGS = -D_GNU_SOURCE -Iinclude -Itests/fuzz
FUZZ_LIBS = $(shell pkg-config --libs libsodium libargon2 inih) -pthread
FUZZ_HARNESSES = fuzz_bundle fuzz_index fuzz_armor fuzz_keys fuzz_manifest fuzz_passwd

# The core sources each harness needs; never main.c, cli.c, cmd_*.c or sp_io.c.
FUZZ_SRC_fuzz_bundle = sp_bundle sp_crypto sp_kdf sp_err sp_secmem
FUZZ_SRC_fuzz_index = sp_bundle sp_crypto sp_kdf sp_err sp_secmem
FUZZ_SRC_fuzz_armor = sp_encoding sp_crypto sp_err
FUZZ_SRC_fuzz_keys = sp_identity sp_encoding sp_crypto sp_kdf sp_err sp_secmem
FUZZ_SRC_fuzz_manifest = sp_manifest sp_bundle sp_encoding sp_crypto sp_kdf sp_err sp_secmem
FUZZ_SRC_fuzz_passwd = sp_user sp_err
# Harnesses that reach Argon2id remember its results (kdf_memo.c): one derivation per salt and
# costs instead of one per input.
FUZZ_KDF_MEMO = fuzz_bundle fuzz_keys

.PHONY: fuzz-build fuzz

fuzz-build: $(FUZZ_HARNESSES:%=$(FUZZ_DIR)/%)

fuzz: fuzz-build
	@SP_TESTS=$(CURDIR)/tests SECRETPACK=$(CURDIR)/secretpack BUILD=$(abspath $(BUILD)) \
	  FUZZ_CC=$(FUZZ_CC) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_WORK=$(abspath $(FUZZ_DIR)) \
	  sh tests/fuzz/t_fuzz.sh

# Order-only $(BUILD): the Makefile's rule makes obj/ and unit/ with it, which must happen even
# when fuzz-build is the first thing built there.
$(FUZZ_DIR)/obj/%.o: src/%.c $(wildcard include/*.h) | $(BUILD)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/obj/%.o: tests/fuzz/%.c tests/fuzz/forge.h $(wildcard include/*.h) | $(BUILD)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

define FUZZ_LINK
$(FUZZ_DIR)/$(1): $(FUZZ_DIR)/obj/$(1).o $(FUZZ_DIR)/obj/forge.o \
    $(FUZZ_SRC_$(1):%=$(FUZZ_DIR)/obj/%.o) \
    $(if $(filter $(1),$(FUZZ_KDF_MEMO)),$(FUZZ_DIR)/obj/kdf_memo.o)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -fsanitize=fuzzer \
	  $(if $(filter $(1),$(FUZZ_KDF_MEMO)),-Xlinker --wrap=sp_kdf_derive) -o $$@ $$^ $$(FUZZ_LIBS)
endef
$(foreach h,$(FUZZ_HARNESSES),$(eval $(call FUZZ_LINK,$(h))))

.DEFAULT_GOAL := $(fuzz_saved_goal)
