#!/bin/sh
# `secretpack run --init`: PID 1 that forwards signals, reaps orphans, passes the app's status on,
# removes the secrets when the app exits, and keeps no key text in its own environment.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"

seal "$T/b.spk" "$T/in/db_password" "db/password=$T/in/db_password" || exit 1
SECRETPACK_PASSPHRASE='correct horse battery staple' "$SP" seal -p -o "$T/pp.spk" "$T/in/db_password" \
	>/dev/null 2>"$T/.seal.err" || { notok "seal -p"; sed 's/^/# /' "$T/.seal.err"; exit 1; }
export B="$T/b.spk" BP="$T/pp.spk"
SPEXE=$(readlink -f "$SP")

# waitfor FILE: up to 5 s for FILE to appear.
# (5 s; 120 s under valgrind, where the default Argon2id alone takes tens of seconds)
WAITMAX=50; [ -n "${SP_REAL:-}" ] && WAITMAX=1200
waitfor() { i=0; while [ ! -e "$1" ] && [ $i -lt $WAITMAX ]; do sleep 0.1; i=$((i + 1)); done; [ -e "$1" ]; }

# bg SCRIPT: a namespace in the background whose PID 1 execs the shim; sets UPID (unshare) and
# SPID (the shim, as seen from here).
bg() {
	# (A background job starts with SIGINT and SIGQUIT ignored; the app must be able to trap them.)
	env --default-signal=INT,QUIT unshare --kill-child -m -p -f --mount-proc sh -c "$NS_PRE$1" >"$T/.out" 2>"$T/.err" &
	UPID=$!
	SPID= i=0
	while [ -z "$SPID" ] && [ $i -lt 50 ]; do
		SPID=$(cat "/proc/$UPID/task/$UPID/children" 2>/dev/null || pgrep -P $UPID)
		SPID=${SPID% }
		sleep 0.1; i=$((i + 1))
	done
}
# bgwait: the status of the background namespace; killed (137) if it has not ended within 10 s.
bgwait() {
	(i=0; while kill -0 $UPID 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	 kill -KILL $UPID 2>/dev/null) >/dev/null 2>&1 &
	wait $UPID
}

# The app: records the signals it gets, exits 7 on TERM; marks that it runs, waits.
newcase
app waiter <<'EOF'
for s in INT HUP QUIT USR1 USR2 WINCH; do trap "echo $s >>\"\$C/m/signals\"" $s; done
trap 'echo TERM >>"$C/m/signals"; exit 7' TERM
echo "pid=$$" >"$C/m/pid"
: >"$C/m/ran"
while :; do sleep 0.1; done
EOF

# forward NAME SECRET: the shim (already started by bg) holds no SECRET text in its environment,
# forwards each signal to the app (one at a time: the app may see only one of two pending ones),
# and exits with the app's status.
forward() {
	if ! waitfor "$C/m/ran"; then notok "$1: app started"; kill -KILL $UPID; wait $UPID; return; fi
	ok "$1: app started"
	if [ -n "${SP_REAL:-}" ]; then
		is "$1: the namespace's PID 1 is the shim (under valgrind)" 1 "$(grep -c -F "$SP_REAL" "/proc/$SPID/cmdline")"
	else
		is "$1: the namespace's PID 1 is the shim" "$SPEXE" "$(readlink "/proc/$SPID/exe")"
	fi
	is "$1: the app is not PID 1" 1 "$(grep -c -v '^pid=1$' "$C/m/pid")"
	tr '\0' '\n' <"/proc/$SPID/environ" >"$C/shim-environ"
	is "$1: /proc/<shim>/environ readable from outside" 1 "$(grep -c -x -F "C=$C" "$C/shim-environ")"
	if [ -n "${SP_REAL:-}" ]; then
		skip "$1: /proc/<shim>/environ holds no secret text" \
			"under valgrind, whose own copy of the initial environment is what /proc shows"
	else
		is "$1: /proc/<shim>/environ holds no secret text" 0 "$(grep -c -F -e "$2" "$C/shim-environ")"
	fi
	for s in INT HUP QUIT USR1 USR2 WINCH; do
		kill -$s "$SPID"
		i=0; while ! grep -q "^$s\$" "$C/m/signals" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
	done
	kill -TERM "$SPID"
	bgwait
	is "$1: app's exit status 7 passed on after TERM" 7 $?
	is "$1: INT HUP QUIT USR1 USR2 WINCH TERM forwarded to the app" "INT HUP QUIT USR1 USR2 WINCH TERM " \
		"$(cat "$C/m/signals" 2>/dev/null | tr "\n" " ")"
}

bg 'tmpfs "$C/s"; unset SECRETPACK_KEY_FILE; export SECRETPACK_KEY="$(cat "$T/id")"
	exec "$SP" run --init --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/waiter.sh"'
forward "--init with SECRETPACK_KEY" "$KEYLINE"

rm -f "$C/m/ran" "$C/m/signals" "$C/m/pid"
bg 'tmpfs "$C/s"; unset SECRETPACK_KEY_FILE; export SECRETPACK_PASSPHRASE="correct horse battery staple"
	exec "$SP" run --init --bundle "$BP" --dir "$C/s" --user app -- /bin/sh "$C/waiter.sh"'
forward "--init with SECRETPACK_PASSPHRASE" "correct horse"

# Status of an app killed by a signal: 128 + N.
is "--init: app killed by SIGKILL -> 137" 137 \
	"$(rc ns 'tmpfs "$C/s"; exec "$SP" run --init --bundle "$B" --dir "$C/s" --user app -- /bin/sh -c "kill -KILL \$\$"')"
is "--init: app killed by SIGTERM -> 143" 143 \
	"$(rc ns 'tmpfs "$C/s"; exec "$SP" run --init --bundle "$B" --dir "$C/s" --user app -- /bin/sh -c "kill -TERM \$\$"')"
is "--init: normal exit status passed on" 3 \
	"$(rc ns 'tmpfs "$C/s"; exec "$SP" run --init --bundle "$B" --dir "$C/s" --user app -- /bin/sh -c "exit 3"')"
is "--init: command not found -> 127" 127 \
	"$(rc ns 'tmpfs "$C/s"; exec "$SP" run --init --bundle "$B" --dir "$C/s" --user app -- "$C/nonexistent"')"

# Orphans re-parented to the shim are reaped while the app runs.
newcase
app reaper <<'EOF'
( sh -c 'sleep 0.2; awk "/^PPid:/ { print \$2 }" /proc/$$/status >"$C/m/orphan"' & )
i=0; while [ ! -s "$C/m/orphan" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
i=0; z=1
while [ $i -lt 30 ]; do
	z=$(grep -l '^State:[[:space:]]*Z' /proc/[0-9]*/status 2>/dev/null | wc -l)
	[ "$z" -eq 0 ] && break
	sleep 0.1; i=$((i + 1))
done
echo "zombies=$z"
grep -s -e '^Name' -e '^State' -e '^PPid' /proc/[0-9]*/status | sed 's/^/# /'
EOF
ns 'tmpfs "$C/s"; exec "$SP" run --init --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/reaper.sh"' \
	>"$T/.out" 2>"$T/.err"
is "--init reaping: exit 0" 0 $?
is "--init reaping: the orphan was re-parented to PID 1" 1 "$(cat "$C/m/orphan" 2>/dev/null)"
is "--init reaping: no <defunct> process left" 0 "$(val zombies)"
[ "$(val zombies)" = 0 ] || grep '^#' "$T/.out"

# Every secret it wrote is removed when the app exits (the shim is PID 1 of an inner namespace).
newcase
app reader <<'EOF'
echo "db=$(cat "$C/s/db_password")|$(cat "$C/s/db/password")"
chmod u+w "$C/s" && : >"$C/s/unrelated" # a file of the app's own (DIR is the app's)
exit 4
EOF
ns 'tmpfs "$C/s"
	unshare -p -f --mount-proc "$SP" run --init --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/reader.sh"
	rc=$?; ls -A "$C/s" >"$C/after"; exit $rc' >"$T/.out" 2>"$T/.err"
is "--init cleanup: app's status passed on" 4 $?
is "--init cleanup: the app saw its secrets" "s3cret-db-password|s3cret-db-password" "$(val db)"
is "--init cleanup: every secret it wrote is gone, other files stay" "unrelated" "$(cat "$C/after")"

# Without --init the app replaces the shim: it is PID 1 itself.
is "no --init: the app is PID 1" "pid=1" \
	"$(ns 'tmpfs "$C/s"; exec "$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh -c "echo pid=\$\$"')"
