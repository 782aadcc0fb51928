#!/bin/sh
# Start-up budgets, not timings: `secretpack run --user nobody -- /bin/true` with a 10-secret
# bundle (X25519 key file, a tmpfs DIR in a private namespace) must stay within the instruction
# count (callgrind, the shim up to its execve of the app, X25519 aside) and the system calls
# (strace, the shim up to the same execve) in tests/perf/budgets, which leave 25-30% headroom.
# A regression fails here whatever the machine's load; when start-up gets cheaper, lower them.
# SP_BUDGETS names another budgets file (to see a check fail: a budget below the measurement).
. "$SP_TESTS/cli/lib.sh"
BUDGETS=${SP_BUDGETS:-$SP_TESTS/perf/budgets}

# Sanitizer builds and wrappers measure themselves, not the shim; a dynamic build adds the loader.
desc=$(file -L "$SP" 2>/dev/null)
case $desc in
*ELF*"statically linked"*) ;;
*ELF*)
	skip "start-up budgets" "a dynamic build (STATIC=0, e.g. the ASan pass): the budgets are the static release build's"
	exit 0 ;;
*)
	skip "start-up budgets" "$SP is not the binary itself (a wrapper script, e.g. valgrind)"
	exit 0 ;;
esac
. "$SP_TESTS/cli/run_lib.sh"

i=0
mkdir -p "$T/in10"
while [ $i -lt 10 ]; do printf 'secret-value-%04d-xxxxxxxxxxxxxxxx' $i >"$T/in10/s$i"; i=$((i + 1)); done
seal "$T/b10.spk" "$T/in10"/* || exit 1
chmod 0400 "$T/id"
newcase
export B10="$T/b10.spk"

# budget NAME: its value in the budgets file ("NAME VALUE", # comments).
budget() { awk -v k="$1" '$1 == k { print $2; exit }' "$BUDGETS"; }
# within NAME MEASURED: one TAP line, with the margin left.
within() {
	b=$(budget "$1")
	if [ -z "$b" ]; then notok "$1: no budget in $BUDGETS"; return; fi
	if [ "$2" -le "$b" ]; then
		ok "$1: $2 <= budget $b ($((100 * $2 / (b > 0 ? b : 1)))% of it)"
	else
		notok "$1: $2 over the budget $b"
		echo "# $1: measured $2, budget $b in $BUDGETS: find what start-up does more (strace -f, callgrind), or raise the budget with the reason"
	fi
}
RUN='"$SP" run --user nobody --bundle "$B10" --dir "$C/s" -- /bin/true'

# ---- system calls (strace) ----
if ! command -v strace >/dev/null 2>&1; then
	skip "system-call budgets" "strace not installed"
else
	rm -f "$T/trace"
	ns 'tmpfs "$C/s"; strace -f -qq -o "$T/trace" '"$RUN" >"$T/.out" 2>"$T/.err"
	is "strace run: exit 0" 0 $?
	# The shim's calls: every line up to its execve of the app (that one counted too).
	awk '{ sub(/^[0-9]+ +/, "") } /^(\+\+\+|---)/ { next } { n++ } /^execve\("\/bin\/true"/ { exit }
		END { print n + 0 }' "$T/trace" >"$T/n"
	calls() { awk -v re="$1" '{ sub(/^[0-9]+ +/, "") } /^execve\("\/bin\/true"/ { exit }
		$0 ~ re { n++ } END { print n + 0 }' "$T/trace"; }
	n=$(cat "$T/n")
	echo "# system calls by name: $(awk '{ sub(/^[0-9]+ +/, "") } /^execve\("\/bin\/true"/ { exit }
		/^(\+\+\+|---)/ { next } { sub(/\(.*/, ""); c[$0]++ } END { for (k in c) printf "%s %d, ", k, c[k] }' "$T/trace")"
	within syscalls "$n"
	within mmap "$(calls '^(mmap|munmap|mprotect|madvise)\(')"
	within mlock "$(calls '^(mlock|munlock|mlock2)\(')"
	# No fork in the default mode: only a tmpfs the shim mounted itself keeps a helper.
	is "no process forked before the app's exec" 0 "$(calls '^(clone|clone3|fork|vfork)\(')"
fi

# ---- instructions (callgrind) ----
# The count stops at the execve of the app (--dump-before=execve), which needs the symbol: the
# unstripped build of the same binary (same build id) in $BUILD.
U=${BUILD:-}/secretpack.unstripped
bid() { file -L "$1" 2>/dev/null | sed -n 's/.*BuildID\[[a-z0-9]*\]=\([0-9a-f]*\).*/\1/p'; }
if ! command -v valgrind >/dev/null 2>&1; then
	skip "instruction budget" "valgrind not installed (make deps-test installs it)"
elif [ ! -f "$U" ] || [ -z "$(bid "$SP")" ] || [ "$(bid "$U")" != "$(bid "$SP")" ]; then
	skip "instruction budget" "no unstripped build of $SP in \$BUILD ($U, same build id)"
else
	export U
	mkdir -m 1777 "$T/cg" # written after the drop to nobody
	ns 'tmpfs "$C/s"; valgrind --tool=callgrind --vgdb=no --dump-before=execve \
		--callgrind-out-file="$T/cg/cg.%p" '"$(echo "$RUN" | sed 's/"\$SP"/"$U"/')" >"$T/.out" 2>"$T/.err"
	is "callgrind run: exit 0" 0 $?
	f=$(ls "$T"/cg/cg.*.1 2>/dev/null | head -n 1)
	ir=$(awk '/^summary:/ { print $2; exit }' "$f" 2>/dev/null)
	# X25519 is left out of the budget: libsodium picks its implementation by CPU (sandy2x with
	# AVX, ref10 without), so its count is the machine's, not the shim's.
	x=$(callgrind_annotate --inclusive=yes --threshold=100 "$f" 2>/dev/null |
		awk '$3 ~ /:crypto_scalarmult_curve25519(_base)?$/ { gsub(",", "", $1); n += $1 } END { print n + 0 }')
	if [ -z "$ir" ]; then
		notok "callgrind wrote the count at the app's execve"
		sed 's/^/# /' "$T/.err" | tail -5
	else
		echo "# instructions: $ir in all, $x of them in the two X25519 operations"
		is "callgrind saw the two X25519 operations (the count below leaves them out)" 1 $((x > 0))
		within instructions "$((ir - x))"
	fi
fi

# ---- the check itself ----
# A budget one below the measurement fails: the comparison is not vacuous.
printf 'probe 41\n' >"$T/probe.budgets"
( BUDGETS=$T/probe.budgets; within probe 42 ) >"$T/probe.out"
is "a budget below the measurement fails the check" "not ok" "$(cut -c1-6 "$T/probe.out" | head -n 1)"
