#!/bin/sh
# `secretpack run`: all or nothing on a bad bundle, a hostile secrets directory, exec failures.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"

seal "$T/exp.spk" --expires 1s "$T/in/db_password" "$T/in/api_token" || exit 1
t_exp=$(date +%s)
seal "$T/good.spk" "$T/in/db_password" "$T/in/api_token" || exit 1
seal "$T/ctx.spk" --context prod "$T/in/db_password" "$T/in/api_token" || exit 1
seal "$T/nested.spk" "db/password=$T/in/db_password" || exit 1
size=$(wc -c <"$T/good.spk")
cp "$T/good.spk" "$T/tampered.spk"; flip "$T/tampered.spk" $((size - 20))
head -c $((size - 1)) "$T/good.spk" >"$T/truncated.spk"
printf 'just some text, not a bundle\n' >"$T/text.spk"
export B="$T/good.spk"

newcase
app ok <<'EOF'
: >"$C/m/ran"
echo "db=$(cat "$C/s/db_password")"
EOF

# bad NAME PATTERN BUNDLE [RUN OPTIONS...]: refused with PATTERN; app not started; DIR empty.
bad() {
	bn=$1 pat=$2 BB=$3; shift 3
	OPTS="$*"; export BB OPTS
	rm -f "$C/m/ran" "$C/after"
	refuse "$bn: refused" "$pat" \
		ns 'tmpfs "$C/s"; "$SP" run $OPTS --bundle "$BB" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"; \
			rc=$?; ls -A "$C/s" >"$C/after"; exit $rc'
	is "$bn: app not started, nothing left in DIR" "0|" "$(ran)|$(cat "$C/after" 2>/dev/null)"
}
bad "tampered payload byte" "tampered" "$T/tampered.spk"
bad "truncated bundle" "truncated" "$T/truncated.spk"
bad "second bundle tampered (first one good)" "tampered" "$T/tampered.spk" --bundle "$T/nested.spk"
bad "not a bundle" "not a secretpack bundle" "$T/text.spk"
bad "missing bundle" "$T/missing.spk" "$T/missing.spk"
SECRETPACK_KEY_FILE=$T/id2
bad "wrong key" "wrong key" "$T/good.spk"
SECRETPACK_KEY_FILE=$T/id
bad "wrong context" "context" "$T/ctx.spk" --context staging
bad "context missing" "context" "$T/ctx.spk"
bad "context given, bundle has none" "context" "$T/good.spk" --context prod
check "right context: accepted" \
	ns 'tmpfs "$C/s"; "$SP" run --context prod --bundle "$T/ctx.spk" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"'

# The same failure when the shim mounted the tmpfs itself: nothing on disk, nothing in its mount.
rm -f "$C/m/ran"
refuse "tampered, shim-mounted tmpfs: refused" "tampered" \
	ns '"$SP" run --bundle "$T/tampered.spk" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"; \
		rc=$?; ls -A "$C/s" >"$C/after"; exit $rc'
is "tampered, shim-mounted tmpfs: app not started, nothing left" "0||" \
	"$(ran)|$(cat "$C/after")|$(ls -A "$C/s")"

# Hostile directory: objects planted at entry paths are never followed, opened or appended to.
printf 'original' >"$C/target"
rm -f "$C/m/ran"
refuse "symlink planted at an entry path: refused" "symlink" \
	ns 'tmpfs "$C/s"; ln -s "$C/target" "$C/s/db_password"; \
		"$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"; \
		rc=$?; ls -A "$C/s" >"$C/after"; stat -c %F "$C/s/db_password" >>"$C/after"; exit $rc'
is "planted symlink: target untouched" "original" "$(cat "$C/target")"
is "planted symlink: still the only thing in DIR, app not started" "db_password|symbolic link|0" \
	"$(tr '\n' '|' <"$C/after")$(ran)"

rm -f "$C/m/ran"
refuse "FIFO planted at an entry path: refused, never opened" "symlink|special" \
	ns 'tmpfs "$C/s"; mkfifo "$C/s/api_token"; \
		timeout -s KILL 10 "$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"; \
		rc=$?; ls -A "$C/s" >"$C/after"; stat -c %F "$C/s/api_token" >>"$C/after"; exit $rc'
is "planted FIFO: still the only thing in DIR, app not started" "api_token|fifo|0" \
	"$(tr '\n' '|' <"$C/after")$(ran)"

rm -f "$C/m/ran"
refuse "directory planted at an entry path: refused" "symlink|director" \
	ns 'tmpfs "$C/s"; mkdir "$C/s/db_password"; \
		"$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"; \
		rc=$?; ls -A "$C/s" >"$C/after"; exit $rc'
is "planted directory: nothing else written, app not started" "db_password|0" "$(tr '\n' '|' <"$C/after")$(ran)"

# Nested name under a planted symlink: nothing written through it.
mkdir "$C/elsewhere"
rm -f "$C/m/ran"
refuse "symlink planted as a nested name's directory: refused" "symlink" \
	ns 'tmpfs "$C/s"; ln -s "$C/elsewhere" "$C/s/db"; \
		"$SP" run --bundle "$T/nested.spk" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"'
is "planted directory symlink: nothing written through it, app not started" "|0" "$(ls -A "$C/elsewhere")|$(ran)"

# A hard link to a file elsewhere, and a stale regular file: replaced, never written through.
rm -f "$C/m/ran"
ns 'mkdir -p "$C/t"; tmpfs "$C/t"; mkdir -m 0700 "$C/t/s"; \
	printf victim >"$C/t/victim"; ln "$C/t/victim" "$C/t/s/db_password"; \
	printf "stale contents, longer than the secret" >"$C/t/s/api_token"; \
	"$SP" run --bundle "$B" --dir "$C/t/s" --user app -- /bin/sh -c ": >\"\$C/m/ran\""; rc=$?; \
	{ cat "$C/t/victim"; echo "|$(stat -c %h "$C/t/victim")"; } >"$C/after"; \
	cat "$C/t/s/db_password" "$C/t/s/api_token" >"$C/after2" 2>/dev/null; exit $rc' >"$T/.out" 2>"$T/.err"
if [ $? -eq 0 ]; then
	is "planted hard link: victim untouched and no longer linked" "victim|1" "$(tr -d '\n' <"$C/after")"
	is "planted hard link and stale file: replaced by the secrets" "s3cret-db-passwordtok-4f9a2c" "$(cat "$C/after2")"
else
	is "planted hard link: victim untouched" "victim|2" "$(tr -d '\n' <"$C/after")"
	is "planted hard link: refused without starting the app" 0 "$(ran)"
fi

# Exec failures and exit status.
newcase
printf '#!/bin/sh\nexit 0\n' >"$C/noexec.sh"; chmod 644 "$C/noexec.sh"
refuse127() { # NAME STATUS COMMAND: exec fails with STATUS, one message, nothing left in DIR.
	X=$3; export X
	ns 'tmpfs "$C/s"; "$SP" run --bundle "$B" --dir "$C/s" --user app -- "$X"; \
		rc=$?; ls -A "$C/s" >"$C/after"; exit $rc' >"$T/.out" 2>"$T/.err"
	is "$1: exit $2" "$2" $?
	is "$1: one line on stderr naming it" "1|1" "$(wc -l <"$T/.err" | tr -d ' ')|$(grep -c -F "$X" "$T/.err")"
	is "$1: the secrets written for it are removed again" "" "$(cat "$C/after")"
}
refuse127 "command not found" 127 "$C/nonexistent"
refuse127 "command not executable" 126 "$C/noexec.sh"
# No helper process stays root for this: the process that failed to exec, uid 1000 by then,
# empties DIR itself. DIR is left empty, the app user's and private; a retry as another user
# takes it over (only an empty one, so nothing of the first run was left) and starts.
app retry <<'EOF'
: >"$C/m/ran"
echo "db=$(cat "$C/s/db_password")"
EOF
ns 'tmpfs "$C/s"; "$SP" run --bundle "$B" --dir "$C/s" --user app -- "$C/nonexistent" 2>/dev/null
	echo "rc=$? dir=$(stat -c "%u %a" "$C/s") n=$(ls -A "$C/s" | wc -l)"
	"$SP" run --bundle "$B" --dir "$C/s" --user other -- /bin/sh "$C/retry.sh"' >"$T/.out" 2>"$T/.err"
is "exec fails as uid 1000: exit 127, DIR empty, uid 1000's, mode 0700" "rc=127 dir=1000 700 n=0" \
	"$(grep '^rc=' "$T/.out")"
is "exec fails: a retry as another user takes DIR over and starts with the secrets" "1|s3cret-db-password" \
	"$(ran)|$(val db)"
is "app's exit status passed through" 5 \
	"$(rc ns 'tmpfs "$C/s"; "$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh -c "exit 5"')"
is "bare command name found through PATH" 6 \
	"$(rc ns 'tmpfs "$C/s"; "$SP" run --bundle "$B" --dir "$C/s" --user app -- sh -c "exit 6"')"
is "no command: usage error" 2 "$(rc ns 'tmpfs "$C/s"; "$SP" run --bundle "$B" --dir "$C/s" --user app')"
is "unknown option: usage error" 2 \
	"$(rc ns 'tmpfs "$C/s"; "$SP" run --no-such-option --bundle "$B" --dir "$C/s" -- /bin/true')"

# Expired: sealed with --expires 1s at the start.
newcase
app ok <<'EOF'
: >"$C/m/ran"
EOF
wait_s=$((t_exp + 2 - $(date +%s)))
[ $wait_s -gt 0 ] && sleep $wait_s
bad "expired bundle" "expired" "$T/exp.spk"
