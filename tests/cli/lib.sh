# lib.sh - helpers for command-level tests: TAP output, temp dirs, expectations.
# Source it: . "$SP_TESTS/cli/lib.sh". Uses $SECRETPACK (the binary under test).
set -u
SP=${SECRETPACK:?}
T=$(mktemp -d /tmp/sptest.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
_n=0
ok()     { _n=$((_n + 1)); echo "ok $_n - $*"; }
notok()  { _n=$((_n + 1)); echo "not ok $_n - $*"; }
skip()   { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP ${2:-}"; }
# check NAME CMD...: the command must succeed.
check() { n=$1; shift; if "$@" >"$T/.out" 2>"$T/.err"; then ok "$n"; else notok "$n"; sed 's/^/# /' "$T/.err" | head -5; fi; }
# refuse NAME PATTERN CMD...: must fail (exit != 0 and != 126..) with one stderr line matching PATTERN.
refuse() {
	n=$1; pat=$2; shift 2
	if "$@" >"$T/.out" 2>"$T/.err"; then notok "$n (succeeded)"; return; fi
	if [ "$(wc -l <"$T/.err")" -ne 1 ]; then notok "$n (stderr not one line)"; sed 's/^/# /' "$T/.err" | head -5; return; fi
	if grep -Eq "^secretpack: .*$pat" "$T/.err"; then ok "$n"; else notok "$n (message)"; sed 's/^/# /' "$T/.err"; fi
}
# is NAME EXPECTED ACTUAL
is() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1"; echo "# expected: $2"; echo "#      got: $3"; fi; }
# exit code of a command
rc() { "$@" >/dev/null 2>&1; echo $?; }
