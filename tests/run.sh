#!/bin/sh
# Runs every suite (unit tests, then command-level tests), counts TAP results,
# and ends with one line "N passed, N failed". Exit 1 if anything failed or a suite crashed.
# Env: SECRETPACK (binary), BUILD (build dir), TESTS (optional: only suites matching this pattern).
set -u
: "${SECRETPACK:?}" "${BUILD:?}"
export SECRETPACK BUILD
here=$(cd "$(dirname "$0")" && pwd)
export SP_TESTS="$here"
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT INT TERM
pass=0 fail=0 skip=0

run_suite() { # name, command...
	name=$1; shift
	case "$name" in *${TESTS:-}*) ;; *) return ;; esac
	out="$log/$(echo "$name" | tr '/' '_').out"
	"$@" >"$out" 2>&1
	rc=$?
	p=$(grep -cE '^ok ' "$out")
	f=$(grep -E '^not ok ' "$out" | grep -cvE '# ?(SKIP|skip)')
	s=$(grep -cE '^(not )?ok .*# ?(SKIP|skip)' "$out")
	p=$((p + $(grep -cE '^not ok .*# ?(SKIP|skip)' "$out")))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - $name exited $rc without reporting a failure" >>"$out"; fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - $name ran no test" >>"$out"; fi
	pass=$((pass + p - s)); fail=$((fail + f)); skip=$((skip + s))
	if [ "$f" -gt 0 ]; then
		echo "FAIL $name ($p ok, $f not ok)"
		grep -E '^not ok |^# ' "$out" | grep -vE '# ?(SKIP|skip)' | head -40 | sed 's/^/    /'
	else
		echo "ok   $name ($p)"
		grep -E '^(not )?ok .*# ?(SKIP|skip)' "$out" | sed 's/^/    /'
	fi
}

for t in "$BUILD"/unit/test_*; do
	[ -x "$t" ] || continue
	CMOCKA_MESSAGE_OUTPUT=TAP run_suite "unit/$(basename "$t")" "$t"
done
for t in "$here"/cli/t_*.sh; do
	[ -f "$t" ] || continue
	run_suite "cli/$(basename "$t" .sh)" sh "$t"
done
for t in "$here"/oci/t_*.sh "$here"/fuzz/t_*.sh; do
	[ -f "$t" ] || continue
	run_suite "$(basename "$(dirname "$t")")/$(basename "$t" .sh)" sh "$t"
done

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
