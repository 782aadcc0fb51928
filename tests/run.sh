#!/bin/sh
# Runs every suite (unit tests, then command-level tests), counts TAP results,
# and ends with one line "N passed, N failed". Exit 1 if anything failed or a suite crashed.
# Env: SECRETPACK (binary), BUILD (build dir), TESTS (optional: only suites matching this pattern),
# ASAN_BUILD (optional: a second build dir, ASan+UBSan, whose unit and command-level suites run
# again after the first pass, counted in the same closing line), ARM64_BUILD (optional: the arm64
# cross build that dist/t_arm64.sh runs under qemu). The real-engine lane
# (docker/t_engine.sh: its own dockerd, minutes of image builds) starts first, in the background,
# and is counted at the end; SP_ENGINE=0 leaves it out.
set -u
: "${SECRETPACK:?}" "${BUILD:?}"
export SECRETPACK BUILD
here=$(cd "$(dirname "$0")" && pwd)
export SP_TESTS="$here"
log=$(mktemp -d)
trap '[ -z "${engine_pid:-}" ] || kill "$engine_pid" 2>/dev/null; rm -rf "$log"' EXIT
trap 'exit 1' INT TERM
pass=0 fail=0 skip=0 secs=
start=$(date +%s)

run_suite() { # name, command...
	name=$1; shift
	case "$name" in *${TESTS:-}*) ;; *) return ;; esac
	out="$log/$(echo "$name" | tr '/' '_').out"
	t0=$(date +%s)
	"$@" >"$out" 2>&1
	r=$?
	secs=$(($(date +%s) - t0))
	count_suite "$name" "$out" $r
}

count_suite() { # name, TAP file, exit status
	name=$1 out=$2 rc=$3
	p=$(grep -cE '^ok ' "$out")
	f=$(grep -E '^not ok ' "$out" | grep -cvE '# ?(SKIP|skip)')
	s=$(grep -cE '^(not )?ok .*# ?(SKIP|skip)' "$out")
	p=$((p + $(grep -cE '^not ok .*# ?(SKIP|skip)' "$out")))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - $name exited $rc without reporting a failure" >>"$out"; fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - $name ran no test" >>"$out"; fi
	pass=$((pass + p - s)); fail=$((fail + f)); skip=$((skip + s))
	if [ "$f" -gt 0 ]; then
		echo "FAIL $name ($p ok, $f not ok${secs:+, $secs s})"
		grep -E '^not ok |^# ' "$out" | grep -vE '# ?(SKIP|skip)' | head -40 | sed 's/^/    /'
	else
		echo "ok   $name ($p${secs:+, $secs s})"
		grep -E '^(not )?ok .*# ?(SKIP|skip)' "$out" | sed 's/^/    /'
	fi
}

run_all() { # prefix, with_extras
	for t in "$BUILD"/unit/test_*; do
		[ -x "$t" ] || continue
		CMOCKA_MESSAGE_OUTPUT=TAP run_suite "$1unit/$(basename "$t")" "$t"
	done
	for t in "$here"/cli/t_*.sh; do
		[ -f "$t" ] || continue
		case " ${SKIP_SUITES:-} " in
		*" cli/$(basename "$t" .sh) "*) echo "skip $1cli/$(basename "$t" .sh): $SKIP_WHY"; continue ;;
		esac
		run_suite "$1cli/$(basename "$t" .sh)" sh "$t"
	done
	[ "$2" = 1 ] || return 0
	for t in "$here"/oci/t_*.sh "$here"/fuzz/t_*.sh "$here"/dist/t_*.sh "$here"/perf/t_*.sh; do
		[ -f "$t" ] || continue
		run_suite "$(basename "$(dirname "$t")")/$(basename "$t" .sh)" sh "$t"
	done
}

engine_pid=
case "docker/t_engine" in *${TESTS:-}*)
	if [ "${SP_ENGINE:-1}" != 0 ]; then
		sh "$here/docker/t_engine.sh" >"$log/docker_t_engine.out" 2>&1 &
		engine_pid=$!
	fi ;;
esac
run_all "" 1
if [ -n "${ASAN_BUILD:-}" ]; then
	# The same suites against the sanitizer build: any ASan/UBSan report exits 99 and fails.
	SECRETPACK=$ASAN_BUILD/secretpack.unstripped BUILD=$ASAN_BUILD
	ASAN_OPTIONS=detect_leaks=1:exitcode=99 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=99
	export SECRETPACK BUILD ASAN_OPTIONS UBSAN_OPTIONS
	# t_hygiene measures the release binary's core dumps and memory under gdb and ptrace,
	# which ASan replaces with its own; it runs in the first pass.
	SKIP_SUITES="cli/t_hygiene" SKIP_WHY="measures core dumps and memory of the release build"
	# The tamper sweep runs every variant against the release binary above; under ASan every 7th
	# (still every field, every bit position, each command), so that make check keeps its budget.
	SP_SWEEP_STEP=${SP_SWEEP_STEP:-7}
	export SP_SWEEP_STEP
	run_all "asan/" 0
fi

if [ -n "$engine_pid" ]; then
	wait "$engine_pid"
	r=$?; engine_pid= secs=
	count_suite "docker/t_engine" "$log/docker_t_engine.out" $r
fi
echo "$pass passed, $fail failed, $skip skipped ($(($(date +%s) - start)) s)"
[ "$fail" -eq 0 ]
