#!/bin/sh
# `secretpack run`: what DIR must look like and what becomes of it - the path and the directories
# above it, what an earlier run left (replaced, revoked entries gone), a stop at any point of the
# set-up (signal, file size limit, full tmpfs), a failed exec on a tmpfs the shim mounted.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"

seal "$T/b.spk" "$T/in/db_password" "$T/in/api_token" || exit 1
seal "$T/one.spk" "$T/in/db_password" || exit 1
seal "$T/n1.spk" "db/password=$T/in/db_password" "db/old=$T/in/api_token" "top=$T/in/api_token" || exit 1
seal "$T/n2.spk" "db/password=$T/in/api_token" || exit 1
head -c 300000 /dev/urandom >"$T/in/big"
seal "$T/big.spk" "$T/in/big" "$T/in/db_password" || exit 1
export B="$T/b.spk"

newcase
app ok <<'EOF'
: >"$C/m/ran"
echo "list=$(cd "${D:-$C/s}" && find . -mindepth 1 | sort | tr '\n' ' ')"
echo "db=$(cat "${D:-$C/s}/db_password" 2>/dev/null)"
echo "nested=$(cat "${D:-$C/s}/db/password" 2>/dev/null)"
EOF
RUN='"$SP" run --bundle "$B" --dir "$D" --user app -- /bin/sh "$C/ok.sh"'
# bad NAME PATTERN SCRIPT: refused with one line matching PATTERN, app not started.
bad() {
	rm -f "$C/m/ran"
	refuse "$1: refused" "$2" ns "$3"
	is "$1: app not started" 0 "$(ran)"
}
# good NAME SCRIPT: the namespace SCRIPT succeeds and the app ran.
good() {
	rm -f "$C/m/ran"
	ns "$2" >"$T/.out" 2>"$T/.err"
	is "$1" "0|1" "$?|$(ran)"
	[ -s "$T/.err" ] && sed 's/^/# stderr: /' "$T/.err"
	return 0
}

# ---- the path ----

mkdir -p "$C/real"; ln -s "$C/real" "$C/link"
D="$C/link/"; export D
bad "--dir with a trailing slash through a symlink" "$C/link: a symlink or not a directory" \
	'tmpfs "$C/real"; '"$RUN"'; rc=$?; ls -A "$C/real" >"$C/after"; exit $rc'
is "trailing slash: nothing written through the symlink" "" "$(cat "$C/after")"
D=/; export D
bad "--dir /" "not the root directory" "$RUN"
D="$C/s/../s"; export D
bad "--dir with '..'" "'\.' or '\.\.' in the path" "$RUN"
D="$C/s//"; export D
good "--dir with doubled and trailing slashes on a real directory: used" 'tmpfs "$C/s"; '"$RUN"
is "doubled slashes: the app reads its secret" "s3cret-db-password" "$(val db)"

# ---- the directories above DIR ----

mkdir -m 0777 "$C/open"; chmod 0777 "$C/open"
D="$C/open/s"; export D
bad "DIR below a 0777 non-sticky parent" "$C/open is writable by others \(mode 0777, not sticky\).*chmod go-w $C/open" \
	'mkdir "$D"; tmpfs "$D"; '"$RUN"
mkdir -m 1777 "$C/sticky"; chmod 1777 "$C/sticky"
D="$C/sticky/s"; export D
good "DIR below a 1777 sticky parent: accepted" 'mkdir "$D"; tmpfs "$D"; '"$RUN"
mkdir -m 0755 "$C/theirs"; chown 1001:1001 "$C/theirs"
D="$C/theirs/s"; export D
bad "DIR below a parent of another user (uid 1001)" "$C/theirs is owned by uid 1001" \
	'mkdir "$D"; tmpfs "$D"; '"$RUN"
# A symlinked ancestor (/var/run -> /run in many images) is fine when both ends are safe...
mkdir -m 0755 "$C/run"; ln -s "$C/run" "$C/varrun"
D="$C/varrun/s"; export D
good "DIR below a symlinked ancestor to a safe directory: accepted" 'mkdir "$C/run/s"; tmpfs "$C/run/s"; '"$RUN"
# ...and refused when it points into a directory others can write.
ln -s "$C/open" "$C/openlink"
D="$C/openlink/s"; export D
bad "DIR below a symlinked ancestor to a 0777 directory" "$C/open(link)? is writable by others" \
	'mkdir -p "$C/open/s"; tmpfs "$C/open/s"; '"$RUN"

# ---- what an earlier run left ----

# Two starts on the same tmpfs: the entry the second bundle no longer has is gone, nested ones too.
D="$C/s"; export D
good "earlier runs, then bundles without some of their entries: every start succeeds" \
	'tmpfs "$C/s"; "$SP" run --bundle "$B" --dir "$D" --user app -- /bin/true || exit 9
	"$SP" run --bundle "$T/one.spk" --dir "$D" --user app -- /bin/sh "$C/ok.sh" >"$C/first.out" || exit 8
	"$SP" run --bundle "$T/n1.spk" --dir "$D" --user app -- /bin/true || exit 7
	"$SP" run --bundle "$T/n2.spk" --dir "$D" --user app -- /bin/sh "$C/ok.sh"'
is "revoked entry (api_token): gone after the second start" "list=./db_password " \
	"$(grep '^list=' "$C/first.out")"
is "nested entries of an earlier run (db/old, top): gone, db/password replaced" \
	"./db ./db/password |tok-4f9a2c" "$(val list)|$(val nested)"

# A DIR a run left, with something another user put in it: refused, and left as it was.
bad "earlier run's DIR holding another user's file" "holds planted, owned by another user.*empty the directory" \
	'tmpfs "$C/s"; "$SP" run --bundle "$B" --dir "$D" --user app -- /bin/true || exit 9
	chmod 0700 "$C/s"; printf evil >"$C/s/planted"; chown 1001:1001 "$C/s/planted"; chmod 0500 "$C/s"
	'"$RUN"'; rc=$?; echo "$(stat -c "%a %u" "$C/s")|$(ls -A "$C/s" | tr "\n" " ")" >"$C/after"; exit $rc'
is "refused earlier DIR: mode, owner and content as they were" "500 1000|api_token db_password planted " \
	"$(cat "$C/after")"
# A directory no run left (here 0755, like /run given by mistake) must be empty.
bad "a non-empty 0755 directory (e.g. --dir /run by mistake)" "not empty \(it holds keep\) and not left by an earlier run \(mode 0755" \
	'tmpfs "$C/s" 0755; printf mine >"$C/s/keep"; '"$RUN"'; rc=$?
	echo "$(stat -c "%a %u" "$C/s")|$(cat "$C/s/keep")" >"$C/after"; exit $rc'
is "non-empty directory: untouched, mode given back" "755 0|mine" "$(cat "$C/after")"

# ---- stopped during the set-up ----

# SIGTERM while the shim waits for a bundle (a FIFO): nothing left, exit 128+15.
mkfifo "$C/fifo"
rm -f "$C/m/ran"
ns 'tmpfs "$C/s"; "$SP" run --bundle "$C/fifo" --dir "$D" --user app -- /bin/sh "$C/ok.sh" 2>"$C/err" & pid=$!
	i=0; while [ -z "$(ls -A "$C/s")" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	ls -A "$C/s" >"$C/during"; kill -TERM $pid; sleep 0.2
	timeout 5 sh -c "cat \"\$T/b.spk\" >\"\$C/fifo\""; wait $pid; rc=$?
	ls -A "$C/s" >"$C/after"; exit $rc' >/dev/null 2>&1
is "SIGTERM during set-up: exit 143" 143 $?
is "SIGTERM during set-up: the stage was there when it came" 1 "$(grep -c '^\.secretpack-stage-' "$C/during")"
is "SIGTERM during set-up: nothing left, app not started" "|0" "$(cat "$C/after")|$(ran)"
is "SIGTERM during set-up: one line" 1 "$(grep -c '^secretpack: run: stopped by signal 15' "$C/err")"

# A signal the shim was started ignoring (nohup's SIGHUP) stays ignored: the start goes on.
rm -f "$C/m/ran"
ns 'tmpfs "$C/s"; trap "" HUP; "$SP" run --bundle "$C/fifo" --dir "$D" --user app -- /bin/sh "$C/ok.sh" & pid=$!
	i=0; while [ -z "$(ls -A "$C/s")" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	kill -HUP $pid; sleep 0.2
	timeout 5 sh -c "cat \"\$T/b.spk\" >\"\$C/fifo\""; wait $pid' >"$T/.out" 2>"$T/.err"
is "ignored SIGHUP during set-up: the app starts" "0|1|s3cret-db-password" "$?|$(ran)|$(val db)"

# A file size limit below an entry's size: one line, nothing left (no SIGXFSZ death half-way).
bad "ulimit -f below a 300 KB entry" "the file size limit \(ulimit -f\) is below the entry's 300000 bytes" \
	'tmpfs "$C/s"; ulimit -f 100; "$SP" run --bundle "$T/big.spk" --dir "$D" --user app -- /bin/sh "$C/ok.sh"
	rc=$?; ls -A "$C/s" >"$C/after"; exit $rc'
is "ulimit -f: nothing left" "" "$(cat "$C/after")"

# A 4k tmpfs: says it is full and how big it must be; that size works.
bad "a 4k tmpfs" "$C/s is full: the secrets need 8192 bytes: give the tmpfs at least [0-9]+k \(e\.g\. --tmpfs $C/s:size=[0-9]+k\)" \
	'mount -t tmpfs -o size=4k,mode=0700 tmpfs "$C/s"; '"$RUN"'; rc=$?; ls -A "$C/s" >"$C/after"; exit $rc'
is "full tmpfs: nothing left" "" "$(cat "$C/after")"
SIZE=$(sed -n 's/.*size=\([0-9]*k\)).*/\1/p' "$T/.err"); export SIZE
good "the size the message gives: enough" 'mount -t tmpfs -o size=$SIZE,mode=0700 tmpfs "$C/s"; '"$RUN"

# DIR to be created on a read-only file system (docker run --read-only without --tmpfs).
mkdir -p "$C/ro"
D="$C/ro/secrets"; export D
bad "DIR missing on a read-only file system" "$C/ro/secrets: cannot create it on a read-only file system: add --tmpfs $C/ro/secrets" \
	'mount --bind "$C/ro" "$C/ro" && mount -o remount,ro,bind "$C/ro" || exit 99; '"$RUN"

# ---- exec fails after the shim mounted its own tmpfs and dropped privileges ----

printf '#!/bin/sh\nexit 0\n' >"$C/noexec.sh"; chmod 644 "$C/noexec.sh"
printf '#!/nonexistent/interpreter\n' >"$C/badinterp.sh"; chmod 755 "$C/badinterp.sh"
D="$C/s"; export D
for x in "nonexistent:127" "noexec.sh:126" "badinterp.sh:127"; do
	X="$C/${x%%:*}"; want=${x##*:}; export X
	rm -f "$C/m/ran"
	ns '"$SP" run --bundle "$B" --dir "$D" --user app -- "$X"; rc=$?
		{ findmnt -n "$D" | wc -l; ls -A "$D" | wc -l; } >"$C/after"
		"$SP" run --bundle "$B" --dir "$D" --user app -- /bin/sh "$C/ok.sh" >"$C/retry.out" 2>&1; echo $? >>"$C/after"
		exit $rc' >/dev/null 2>&1
	is "own tmpfs, exec of ${x%%:*} fails: exit $want" "$want" $?
	is "own tmpfs, exec of ${x%%:*} fails: nothing mounted, nothing left; a retry starts" "0|0|0|1" \
		"$(tr '\n' '|' <"$C/after")$(ran)"
done
