# run_lib.sh - shared setup for the t_run_* tests: keys, users, and one namespace per test case.
# Source it after lib.sh. Each case runs in its own mount and PID namespace (unshare), with the
# test users bind-mounted over /etc/passwd and /etc/group there; the host's files are never touched.

if [ "$(id -u)" != 0 ] || ! unshare -m -p -f --mount-proc true 2>/dev/null; then
	skip "secretpack run" "needs root and mount+pid namespaces (unshare)"
	exit 0
fi

chmod 755 "$T" # the app runs as other users and reads its scripts from here
export SP T

mkdir -p "$T/etc" "$T/in"
cat >"$T/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
other:x:1001:1001:other:/home/other:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$T/etc/group" <<'EOF'
root:x:0:
app:x:1000:
other:x:1001:
extra:x:1500:other,app
audit:x:1600:other
nogroup:x:65534:
EOF

"$SP" keygen -o "$T/id" >"$T/id.out" 2>&1 || { notok "keygen"; cat "$T/id.out"; exit 1; }
RCPT=$(tail -n 1 "$T/id.out")
KEYLINE=$(grep '^SPKSEC1' "$T/id")
"$SP" keygen -o "$T/id2" >/dev/null 2>&1 || { notok "keygen 2"; exit 1; }

printf 's3cret-db-password' >"$T/in/db_password"
printf 'tok-4f9a2c' >"$T/in/api_token"
printf 'other-eyes-only' >"$T/in/other_secret"

# seal OUT ARGS...: a bundle for the test identity.
seal() { out=$1; shift; "$SP" seal -r "$RCPT" -o "$out" "$@" >/dev/null 2>"$T/.seal.err" || {
	echo "# seal $out failed:"; sed 's/^/# /' "$T/.seal.err"; return 1; }; }

# newcase: a fresh case directory $C (world-readable so the app can read its scripts); $C/m is
# where the app leaves markers; $C/s is where secrets go.
_case=0
newcase() {
	_case=$((_case + 1))
	C=$T/case$_case
	mkdir -p "$C/m" "$C/s"
	chmod 755 "$C"
	chmod 1777 "$C/m"
	export C
}

# app NAME: writes stdin to $C/NAME.sh, a script the shim can run as `/bin/sh $C/NAME.sh`.
app() { cat >"$C/$1.sh"; chmod 644 "$C/$1.sh"; }

# Prelude run first inside every namespace: the test users, and a tmpfs helper.
NS_PRE='
mount --bind "$T/etc/passwd" /etc/passwd && mount --bind "$T/etc/group" /etc/group || exit 99
tmpfs() { mount -t tmpfs -o "size=4m,mode=${2:-0700}" tmpfs "$1"; }
'
# ns SCRIPT: runs SCRIPT with sh as PID 1 of new mount and PID namespaces. A hung shim fails the
# test instead of hanging it: after 60 s unshare is killed (it ignores SIGTERM), and the namespace
# with it (--kill-child); the status is then 137.
ns() { timeout -s KILL 60 unshare --kill-child -m -p -f --mount-proc sh -c "$NS_PRE$1"; }

# Reading the key requires the identity file; most cases pass it this way.
export SECRETPACK_KEY_FILE="$T/id"

# ran: 1 if the app left its marker in $C/m.
ran() { if [ -e "$C/m/ran" ]; then echo 1; else echo 0; fi; }
# flip FILE OFFSET: flips the low bit of one byte in place.
flip() {
	b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
	printf "\\$(printf %o $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# val KEY: the value of the last "KEY=value" line the app printed (in $T/.out).
val() { awk -v k="$1" 'index($0, k "=") == 1 { v = substr($0, length(k) + 2) } END { print v }' "$T/.out"; }
