#!/bin/sh
# Static analysis gate: cppcheck, clang-tidy and a -Werror warnings build under gcc and clang, on src/*.c.
# Usage: tests/lint/lint.sh [cppcheck] [clang-tidy] [warnings]   (no argument: all three)
# Prints every finding, one line per step and a total; exits 1 on any finding or a missing tool.
# Each step must first find fault with tests/lint/canary.c, so a tool or configuration that has
# silently stopped checking fails the gate instead of passing it.
# Env: JOBS (parallel clang-tidy runs), LINT_CC (compilers for the warnings step, default "gcc clang").
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.." || exit 1

usage="usage: tests/lint/lint.sh [cppcheck] [clang-tidy] [warnings]"
steps=${*:-cppcheck clang-tidy warnings}
for s in $steps; do
	case "$s" in
	cppcheck | clang-tidy | warnings) ;;
	-h | --help) echo "$usage"; exit 0 ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
done

SRCS=$(ls src/*.c)
CANARY=tests/lint/canary.c
JOBS=${JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 4)}
DEFS="-std=c11 -D_GNU_SOURCE -Iinclude"
# The Makefile's warnings and hardening flags, plus -Wconversion (which brings -Wsign-conversion in C).
WARN="-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wformat=2 -Wstrict-prototypes \
-Wmissing-prototypes -Wvla -Wcast-qual -Wpointer-arith -Werror"
HARDEN="-O2 -fstack-protector-strong -fstack-clash-protection -fcf-protection -D_FORTIFY_SOURCE=2 \
-fno-strict-aliasing -fno-common"

tmp=$(mktemp -d /tmp/splint.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
total=0 failed=""

# finding lines in a tool's output (gcc, clang, clang-tidy and our cppcheck template share the shape)
count() { grep -cE '^[^ :]+:[0-9]+:[0-9]+: (warning|error|style|performance|portability):' "$1"; }

report() { # step, what ran, findings, output file
	if [ "$3" -eq 0 ]; then
		echo "ok   $1 ($2)"
	else
		echo "FAIL $1 ($2): $3 finding(s)"
		grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$' "$4" | sed 's/^/    /' | head -200
		total=$((total + $3)) failed="$failed $1"
	fi
}

need() { # tool, step
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "FAIL $2: $1 not installed (make deps-test installs it)"
	total=$((total + 1)) failed="$failed $2"
	return 1
}

canary() { # step, output file with the tool's view of canary.c
	[ "$(count "$2")" -gt 0 ] && return 0
	echo "FAIL $1: nothing found in $CANARY: the tool or its configuration checks nothing"
	sed 's/^/    /' "$2" | head -20
	total=$((total + 1)) failed="$failed $1"
	return 1
}

pkg_cflags() { # step: sets cflags, or counts a failure
	cflags=$(pkg-config --cflags libsodium libargon2 inih 2>"$tmp/pkg.err") && return 0
	echo "FAIL $1: pkg-config: $(cat "$tmp/pkg.err")"
	total=$((total + 1)) failed="$failed $1"
	return 1
}

cppcheck_run() { # output file, sources...
	out=$1; shift
	cppcheck --enable=warning,style,performance,portability --error-exitcode=1 --inline-suppr \
	    --std=c11 --platform=unix64 --library=posix -D_GNU_SOURCE -I include \
	    --suppressions-list="$here/cppcheck.supp" --quiet \
	    --template='{file}:{line}:{column}: {severity}: {message} [{id}]' "$@" >"$out" 2>&1
}

step_cppcheck() {
	need cppcheck cppcheck || return
	cppcheck_run "$tmp/cppcheck.canary" "$CANARY"
	canary cppcheck "$tmp/cppcheck.canary" || return
	# shellcheck disable=SC2086
	cppcheck_run "$tmp/cppcheck.out" $SRCS
	rc=$?
	n=$(count "$tmp/cppcheck.out")
	[ "$rc" -ne 0 ] && [ "$n" -eq 0 ] && n=1
	report cppcheck "$(cppcheck --version)" "$n" "$tmp/cppcheck.out"
}

step_tidy() {
	need clang-tidy clang-tidy || return
	pkg_cflags clang-tidy || return
	export LINT_TIDY_FLAGS="$DEFS $cflags" LINT_TIDY_CONFIG="$here/clang-tidy.yaml" LINT_OUT="$tmp/tidy"
	mkdir -p "$tmp/tidy"
	# one clang-tidy per file; the output and exit status land in $LINT_OUT/<file>.{out,rc}
	# shellcheck disable=SC2016,SC2086
	printf '%s\n' $SRCS $CANARY | xargs -P "$JOBS" -I{} sh -c '
		o="$LINT_OUT/$(basename "$1")"
		clang-tidy --quiet --config-file="$LINT_TIDY_CONFIG" "$1" -- $LINT_TIDY_FLAGS >"$o.out" 2>&1
		echo $? >"$o.rc"' sh {}
	canary clang-tidy "$tmp/tidy/canary.c.out" || return
	n=0
	: >"$tmp/tidy.out"
	for f in $SRCS; do
		o="$tmp/tidy/$(basename "$f")"
		c=$(count "$o.out")
		[ "$(cat "$o.rc" 2>/dev/null || echo 1)" -ne 0 ] && [ "$c" -eq 0 ] && c=1
		[ "$c" -gt 0 ] && cat "$o.out" >>"$tmp/tidy.out"
		n=$((n + c))
	done
	report clang-tidy "$(clang-tidy --version | sed -n 's/.*LLVM version /LLVM /p')" "$n" "$tmp/tidy.out"
}

step_warnings() {
	pkg_cflags warnings || return
	for cc in ${LINT_CC:-gcc clang}; do
		need "$cc" "warnings/$cc" || continue
		# shellcheck disable=SC2086
		$cc $DEFS $WARN $HARDEN -c -o "$tmp/canary.o" "$CANARY" >"$tmp/$cc.canary" 2>&1
		canary "warnings/$cc" "$tmp/$cc.canary" || continue
		: >"$tmp/$cc.out"
		bad=0
		for f in $SRCS; do
			# shellcheck disable=SC2086
			$cc $DEFS $cflags $WARN $HARDEN -c -o "$tmp/$cc.o" "$f" >>"$tmp/$cc.out" 2>&1 || bad=$((bad + 1))
		done
		n=$(count "$tmp/$cc.out")
		[ "$bad" -gt 0 ] && [ "$n" -eq 0 ] && n=$bad
		report "warnings/$cc" "$cc $($cc -dumpfullversion -dumpversion 2>/dev/null | head -1)" "$n" "$tmp/$cc.out"
	done
}

for s in $steps; do
	case "$s" in
	cppcheck) step_cppcheck ;;
	clang-tidy) step_tidy ;;
	warnings) step_warnings ;;
	esac
done

if [ "$total" -eq 0 ]; then
	echo "lint: no findings ($(echo "$SRCS" | wc -l) files: $steps)"
	exit 0
fi
echo "lint: $total finding(s) in:$failed"
exit 1
