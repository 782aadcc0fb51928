#!/bin/sh
# t_fuzz.sh - builds the libFuzzer harnesses and runs each on its seed corpus: one TAP line each.
# Env: BUILD (build dir; fuzzers in $BUILD/fuzz), FUZZ_SECONDS (per harness, default 3),
# FUZZ_WORK (keep the work corpora there as corpus-NAME; default: a fresh temporary dir),
# FUZZ_CC (default clang). Crash reproducers are kept in $BUILD/fuzz/artifacts.
. "$SP_TESTS/cli/lib.sh"
: "${BUILD:?}"
repo=$(cd "$SP_TESTS/.." && pwd)
secs=${FUZZ_SECONDS:-3}
cc=${FUZZ_CC:-clang}
out=$BUILD/fuzz

# Only a toolchain that cannot build and run a fuzzer at all is a reason to skip.
probe() {
	command -v "$cc" >/dev/null 2>&1 || return 1
	cat >"$T/probe.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
EOF
	"$cc" -fsanitize=fuzzer,address,undefined -o "$T/probe" "$T/probe.c" >"$T/probe.log" 2>&1 &&
	    "$T/probe" -runs=1 >>"$T/probe.log" 2>&1
}

max_len() {
	case $1 in
	fuzz_bundle) echo 140000 ;; # two content chunks fit
	fuzz_index) echo 70000 ;;
	fuzz_armor) echo 65536 ;;
	fuzz_passwd) echo 16384 ;;  # lines past SP_USER_LINE_MAX
	fuzz_manifest) echo 8192 ;;
	*) echo 4096 ;;
	esac
}

if ! probe; then
	skip "fuzz" "clang/libFuzzer unavailable"
	exit 0
fi
if ! make -s -C "$repo" BUILD="$BUILD" FUZZ_CC="$cc" fuzz-build >"$T/build.log" 2>&1; then
	notok "fuzz-build"
	tail -20 "$T/build.log" | sed 's/^/# /'
	exit 0
fi
mkdir -p "$out/artifacts"
for h in fuzz_bundle fuzz_index fuzz_armor fuzz_keys fuzz_manifest fuzz_passwd; do
	work=${FUZZ_WORK:-$T}/corpus-$h
	log=$out/$h.log
	mkdir -p "$work"
	"$out/$h" -max_total_time="$secs" -max_len="$(max_len "$h")" -timeout=30 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$out/artifacts/$h-" \
	    "$work" "$SP_TESTS/fuzz/corpus/$h" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
		ok "$h: $execs execs, no crash"
	else
		art=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
		notok "$h: exit $rc, reproducer ${art:-none} (log $log)"
		grep -E 'ERROR|SUMMARY|invariant failed|runtime error' "$log" | head -5 | sed 's/^/# /'
	fi
done
