#!/bin/sh
# `secretpack run` in a hostile runtime: objects planted at entry paths and at DIR itself, a full
# tmpfs, bad key files, odd /etc/passwd files, absurd argument counts and sizes near the kernel's.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"

seal "$T/b.spk" "$T/in/db_password" "$T/in/api_token" || exit 1
seal "$T/nested.spk" "db/password=$T/in/db_password" || exit 1
head -c 204800 /dev/urandom >"$T/in/big"
seal "$T/big.spk" "$T/in/db_password" "$T/in/big" || exit 1
export B="$T/b.spk"

# The app: leaves its marker and says who it is, what it read, and what DIR is.
newcase
app ok <<'EOF'
: >"$C/m/ran"
echo "ids=$(id -u) $(id -g)"
echo "db=$(cat "${D:-$C/s}/db_password" 2>/dev/null)"
echo "fs=$(stat -f -c %T "${D:-$C/s}")"
EOF
# bad NAME PATTERN SCRIPT: the namespace SCRIPT (which runs the shim) is refused with one line
# matching PATTERN, and the app never starts.
bad() {
	rm -f "$C/m/ran"
	refuse "$1: refused" "$2" ns "$3"
	is "$1: app not started" 0 "$(ran)"
}
RUN='"$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"'
# after: what is left in DIR (one name per line, sorted, file types) for the comparisons below.
AFTER='rc=$?; (cd "$C/s" && for f in $(ls -A | sort); do echo "$f:$(stat -c %F "$f")"; done) >"$C/after"; exit $rc'
left() { tr '\n' '|' <"$C/after"; }

# ---- objects planted at entry paths (DIR a tmpfs) ----

printf 'victim' >"$C/victim"
bad "symlink to a file outside DIR at an entry path" "symlink" \
	'tmpfs "$C/s"; ln -s "$C/victim" "$C/s/db_password"; '"$RUN; $AFTER"
is "planted symlink: target untouched, nothing else in DIR" "victim|db_password:symbolic link|" \
	"$(cat "$C/victim")|$(left)"

bad "dangling symlink at an entry path" "symlink" \
	'tmpfs "$C/s"; ln -s "$C/created-through-link" "$C/s/api_token"; '"$RUN; $AFTER"
is "dangling symlink: its target not created" 0 "$([ -e "$C/created-through-link" ] && echo 1 || echo 0)"

# A FIFO: a reader waits on it; if the shim opened it for writing, the reader would finish.
bad "FIFO at an entry path" "symlink|special" \
	'tmpfs "$C/s"; mkfifo "$C/s/api_token"; (cat "$C/s/api_token" >"$C/fifo.out"; echo $? >"$C/fifo.rc") &
	timeout -s KILL 10 '"$RUN"'; rc=$?; sleep 0.2
	[ -e "$C/fifo.rc" ] && echo opened >"$C/fifo.opened"; kill $! 2>/dev/null; exit $rc'
is "planted FIFO: never opened by the shim (its reader still waiting)" 0 \
	"$([ -e "$C/fifo.opened" ] && echo 1 || echo 0)"

# A character device (1,3 = /dev/null): never opened. strace -y shows every open's directory.
TRACE=
# (LeakSanitizer cannot run under ptrace: leak checks off for this one traced run of an ASan build.)
command -v strace >/dev/null 2>&1 &&
	TRACE="env ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 strace -f -y -qq -e trace=open,openat,openat2,creat -o $C/trace"
export TRACE
bad "character device (mknod c 1 3) at an entry path" "symlink|special" \
	'tmpfs "$C/s"; mknod "$C/s/db_password" c 1 3; $TRACE '"$RUN"'; rc=$?
	stat -c "%n:%F:%t,%T" "$C/s/db_password" >"$C/after"; ls -A "$C/s" | wc -l >>"$C/after"; exit $rc'
is "planted device: still the same device, alone in DIR" "$C/s/db_password:character special file:1,3|1|" \
	"$(left)"
if [ -n "$TRACE" ]; then
	is "planted device: no open of DIR/db_password (strace -y)" 0 \
		"$(grep -c -e "<$C/s>, \"db_password\"" -e "open(\"$C/s/db_password\"" "$C/trace")"
	is "planted device: the trace saw the open of DIR (the check can fail)" 1 \
		"$(grep -q -e "openat(AT_FDCWD<[^>]*>, \"$C/s\"" \
		"$C/trace" && echo 1 || echo 0)"
else
	skip "planted device: no open of DIR/db_password" "strace not installed"
fi

bad "directory at an entry path" "symlink|director" \
	'tmpfs "$C/s"; mkdir "$C/s/db_password"; '"$RUN; $AFTER"
is "planted directory: left alone, nothing else written" "db_password:directory|" "$(left)"

# Hard link: a file with two names was not left by a run: refused, the other name untouched.
rm -f "$C/m/ran"
refuse "hard link at an entry path: refused" "hard links" \
	ns 'tmpfs "$C/s"; mkdir -m 0700 "$C/s/d"; printf victim >"$C/s/victim"; ln "$C/s/victim" "$C/s/d/db_password"
	"$SP" run --bundle "$B" --dir "$C/s/d" --user app -- /bin/sh -c ": >\"\$C/m/ran\""; rc=$?
	echo "$(cat "$C/s/victim")|$(stat -c %h "$C/s/victim")|$(cat "$C/s/d/db_password")" >"$C/after"
	exit $rc'
is "hard link: app not started, the linked file untouched" "0|victim|2|victim" "$(ran)|$(cat "$C/after")"

# A nested name's directory already there: replaced only if it is what a run leaves (a real
# directory, 0500, ours or the app's); world-writable, someone else's or any other mode is refused.
RUNN='"$SP" run --bundle "$T/nested.spk" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"'
bad "world-writable directory (0777) as a nested name's parent" "symlink|director|writable" \
	'tmpfs "$C/s"; mkdir -m 0777 "$C/s/db"; '"$RUNN; $AFTER"
is "world-writable parent: left empty" "db:directory|" "$(left)"
bad "another user's directory (uid 1001) as a nested name's parent" "symlink|director|another user" \
	'tmpfs "$C/s"; mkdir -m 0755 "$C/s/db"; chown 1001:1001 "$C/s/db"; '"$RUNN; $AFTER"
bad "root's own 0755 directory (not a mode a run leaves) as a nested name's parent" "director" \
	'tmpfs "$C/s"; mkdir -m 0755 "$C/s/db"; '"$RUNN; $AFTER"
is "root's 0755 directory: left as it was" "db:directory|" "$(left)"
rm -f "$C/m/ran"
check "root's own 0500 directory (as a run leaves it) as a nested name's parent: replaced" \
	ns 'tmpfs "$C/s"; mkdir -m 0500 "$C/s/db"; '"$RUNN"

# ---- DIR itself ----

mkdir "$C/real"
bad "DIR a symlink to a tmpfs" "symlink or not a directory" \
	'tmpfs "$C/real"; ln -s "$C/real" "$C/dlink"; "$SP" run --bundle "$B" --dir "$C/dlink" --user app -- \
	/bin/sh "$C/ok.sh"; rc=$?; ls -A "$C/real" >"$C/after"; exit $rc'
is "DIR a symlink: nothing written through it" "" "$(cat "$C/after")"
bad "DIR a dangling symlink" "symlink or not a directory" \
	'ln -s "$C/made-through-link" "$C/dangling"; "$SP" run --bundle "$B" --dir "$C/dangling" --user app -- \
	/bin/sh "$C/ok.sh"'
is "DIR a dangling symlink: its target not created" 0 "$([ -e "$C/made-through-link" ] && echo 1 || echo 0)"
mkfifo "$C/dfifo"
bad "DIR a FIFO (never opened: no hang)" "symlink or not a directory" \
	'timeout -s KILL 10 "$SP" run --bundle "$B" --dir "$C/dfifo" --user app -- /bin/sh "$C/ok.sh"'
printf 'keep me' >"$C/dfile"
bad "DIR a regular file" "symlink or not a directory" \
	'"$SP" run --bundle "$B" --dir "$C/dfile" --user app -- /bin/sh "$C/ok.sh"'
is "DIR a regular file: file unchanged" "keep me" "$(cat "$C/dfile")"
bad "DIR a character device" "symlink or not a directory" \
	'mknod "$C/ddev" c 1 3; "$SP" run --bundle "$B" --dir "$C/ddev" --user app -- /bin/sh "$C/ok.sh"'

# DIR missing: created; with CAP_SYS_ADMIN a tmpfs is mounted on it, without it refused and removed.
rm -f "$C/m/ran"
ns 'D="$C/new" "$SP" run --bundle "$B" --dir "$C/new" --user app -- /bin/sh "$C/ok.sh"' >"$T/.out" 2>"$T/.err"
is "DIR missing, root: created, a tmpfs mounted, app started" "0|tmpfs|s3cret-db-password" \
	"$?|$(val fs)|$(val db)"
rmdir "$C/new" 2>/dev/null
bad "DIR missing, no CAP_SYS_ADMIN" "is not a tmpfs.*--tmpfs" \
	'setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin "$SP" run --bundle "$B" --dir "$C/new2" \
	--user app -- /bin/sh "$C/ok.sh"'
is "DIR missing, no CAP_SYS_ADMIN: the directory it created is removed again" 0 \
	"$([ -e "$C/new2" ] && echo 1 || echo 0)"
bad "DIR's parent missing" "cannot create it" \
	'"$SP" run --bundle "$B" --dir "$C/nope/s" --user app -- /bin/sh "$C/ok.sh"'
bad "DIR on a disk, no CAP_SYS_ADMIN" "is not a tmpfs.*--tmpfs" \
	'setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin '"$RUN; $AFTER"
is "DIR on a disk: nothing written" "" "$(left)"

# A tmpfs that fills up mid-write (64 KiB, a 200 KiB entry after a small one).
bad "tmpfs full mid-write (size=64k, 200 KiB entry)" "is full: the secrets need [0-9]+ bytes: give the tmpfs at least [0-9]+k \(e\.g\. --tmpfs .*:size=[0-9]+k\)" \
	'mount -t tmpfs -o size=64k,mode=0700 tmpfs "$C/s"; "$SP" run --bundle "$T/big.spk" --dir "$C/s" \
	--user app -- /bin/sh "$C/ok.sh"; '"$AFTER"
is "tmpfs full: nothing partial left (no staging directory, no file)" "" "$(left)"

# ---- key files ----

bad "key file missing" "$C/no-such-key: no such file" \
	'tmpfs "$C/s"; SECRETPACK_KEY_FILE="$C/no-such-key" '"$RUN"
cp "$T/id" "$C/id644"; chmod 644 "$C/id644"
bad "key file mode 0644" "id644: readable by every user \\(mode 0644\\).*on the host 'chown root:root" 'tmpfs "$C/s"; SECRETPACK_KEY_FILE="$C/id644" '"$RUN"
mkdir "$C/iddir"
bad "key file a directory" "iddir: not a regular file" 'tmpfs "$C/s"; SECRETPACK_KEY_FILE="$C/iddir" '"$RUN"
cp "$T/id" "$C/id000"; chown 1000:1000 "$C/id000"; chmod 000 "$C/id000"
bad "key file mode 000, shim not root (uid 1000)" "id000: permission denied: secretpack runs as uid 1000" \
	'tmpfs "$C/s"; chown 1000:1000 "$C/s"; SECRETPACK_KEY_FILE="$C/id000" setpriv --reuid 1000 --regid 1000 \
	--clear-groups "$SP" run --bundle "$B" --dir "$C/s" -- /bin/sh "$C/ok.sh"'
mkfifo "$C/idfifo"
bad "key file a FIFO (refused, no hang)" "idfifo: not a regular file" \
	'tmpfs "$C/s"; SECRETPACK_KEY_FILE="$C/idfifo" timeout -s KILL 3 '"$RUN"

# ---- /etc/passwd ----

# pw NAME SPEC PATTERN: with $C/passwd as /etc/passwd, --user SPEC is refused with PATTERN.
# pwok NAME SPEC IDS: ... the app runs with "uid gid" IDS.
PWRUN='mount --bind "$C/passwd" /etc/passwd; tmpfs "$C/s"; "$SP" run --bundle "$B" --dir "$C/s" \
	--user "$U" -- /bin/sh "$C/ok.sh"'
pw() { U=$2; export U; bad "$1" "$3" "$PWRUN"; }
pwok() {
	U=$2; export U
	rm -f "$C/m/ran"
	ns "$PWRUN" >"$T/.out" 2>"$T/.err"
	is "$1: --user $2 runs as $3" "0|$3" "$?|$(val ids)"
}
long=$(head -c 10240 /dev/zero | tr '\0' g)
cat >"$C/passwd" <<EOF
root:x:0:0:root:/root:/bin/sh
garbage without colons
two:fields

a:b:c:d:e:f:g:h:i
# a comment
::0:0::/:/bin/sh
toolong:x:1002:1002:$long:/home/toolong:/bin/sh
neg:x:-1:-1::/:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
EOF
pwok "unrelated malformed, empty, comment and 10 KiB lines are ignored" app "1000 1000"
pwok "numeric uid found past malformed lines" 1000 "1000 1000"
pw "a 10 KiB line naming the user" toolong "line 8: malformed"
pw "uid -1" neg "line 9: malformed entry \(bad uid"
pw "a user that does not exist" ghost "no such user"
pw "a bad user name" 'app;id' "bad user name"
pw "a group that does not exist" app:ghost "no such group"

printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\napp:x:0:0::/root:/bin/sh\n' >"$C/passwd"
pw "the user listed twice (second time as uid 0)" app "listed more than once"
for uid in 4294967296 4294967295 99999999999 " 1000" "+1000" "0x3e8" ""; do
	printf 'app:x:%s:1000::/home/app:/bin/sh\n' "$uid" >"$C/passwd"
	pw "uid '$uid'" app "malformed entry \(bad uid"
done
printf 'app:x:1000:::/home/app:/bin/sh\n' >"$C/passwd"
pw "empty gid" app "malformed entry \(bad uid or gid"
printf 'app:x:1000:1000:/home/app:/bin/sh\n' >"$C/passwd"
pw "six fields" app "expected 7 fields"
printf 'app:x:1000:1000::/home/app:/bin/sh:extra\n' >"$C/passwd"
pw "eight fields" app "expected 7 fields"
printf '::0:0::/:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n' >"$C/passwd"
pw "uid 0 whose first entry has an empty name" 0 "bad name"

# root and numeric ids: an explicit choice is honoured; a bare uid without an entry needs a group.
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n' >"$C/passwd"
pwok "--user root is the operator's explicit choice" root "0 0"
pwok "--user 0 with a root entry" 0 "0 0"
printf 'app:x:1000:1000::/home/app:/bin/sh\n' >"$C/passwd"
pw "--user 0 without a passwd entry" 0 "name a group too"
pwok "--user 0:0 without a passwd entry" 0:0 "0 0"
pw "--user 4242 without a passwd entry" 4242 "name a group too"
pwok "--user 4242:4242 without a passwd entry" 4242:4242 "4242 4242"
pw "--user 4294967295" 4294967295 "out of range"
pw "--user 0:4294967296" 0:4294967296 "out of range"
: >"$C/passwd"
pw "an empty /etc/passwd" app "no such user"
rm -f "$C/passwd"; mkfifo "$C/passwd"
pw "/etc/passwd a FIFO (refused, no hang)" app "/etc/passwd: not a regular file"
rm -f "$C/passwd"
head -c $((4 * 1024 * 1024 + 1)) /dev/zero | tr '\0' '\n' >"$C/passwd"
pw "/etc/passwd over 4 MiB" app "/etc/passwd: exceeds a size or count limit"
rm -f "$C/passwd"

# ---- argument counts and sizes ----

newcase
app ok <<'EOF'
: >"$C/m/ran"
echo "n=$#"
echo "sum=$(printf '%s\n' "$@" | cksum)"
echo "files=$(ls "$C/s" | wc -l)"
echo "big=${#BIG}"
EOF
i=0
while [ $i -lt 65 ]; do
	printf '%s' "$i" >"$T/in/e$i"
	seal "$T/m$i.spk" "$T/in/e$i" || exit 1
	i=$((i + 1))
done
many() { # COUNT [FILE]: --bundle COUNT times, FILE or m0..m(COUNT-1).
	j=0 a=
	while [ $j -lt "$1" ]; do a="$a --bundle $T/${2:-m$j.spk}"; j=$((j + 1)); done
	echo "$a"
}
A=$(many 64); export A
rm -f "$C/m/ran"
ns 'tmpfs "$C/s"; "$SP" run $A --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"' >"$T/.out" 2>"$T/.err"
is "64 --bundle (the limit), 64 distinct bundles: all opened" "0|64" "$?|$(val files)"
A=$(many 65); export A
is "65 --bundle: usage error" 2 "$(rc ns 'tmpfs "$C/s"; "$SP" run $A --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"')"
A=$(many 2000 b.spk); export A
rm -f "$C/m/ran"
ns 'tmpfs "$C/s"; "$SP" run $A --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"' >"$T/.out" 2>"$T/.err"
is "2000 --bundle of one file: usage error (exit 2), no crash" 2 $?
is "2000 --bundle: one line naming the limit, app not started" "1|1|0" \
	"$(wc -l <"$T/.err" | tr -d ' ')|$(grep -c 'too many --bundle' "$T/.err")|$(ran)"
A=$(many 2 b.spk); export A
bad "the same bundle twice" "duplicate entry name" \
	'tmpfs "$C/s"; "$SP" run $A --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"; '"$AFTER"
is "the same bundle twice: DIR left empty" "" "$(left)"

# An environment string of MAX_ARG_STRLEN (128 KiB, NUL included) reaches the app intact.
rm -f "$C/m/ran"
ns 'tmpfs "$C/s"; BIG=$(head -c 131067 /dev/zero | tr "\0" x); export BIG
	"$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"' >"$T/.out" 2>"$T/.err"
is "a 131071-byte NAME=value environment string: passed on intact" "0|131067" "$?|$(val big)"

unset A
# argv: N arguments of 4 KiB filling ARG_MAX but 64 KiB, then a last argument as long as the
# kernel still lets the shim start (found by bisection in the namespace). The app (with fewer
# arguments than the shim) must get them all intact, or the shim must fail cleanly.
ARGMAX=$(getconf ARG_MAX)
N=$(((ARGMAX - 65536) / 4110))
export N
cat >"$C/argv.sh" <<'EOF'
args() { awk -v n="$N" 'BEGIN { s = sprintf("%4090s", ""); gsub(/ /, "x", s); for (i = 0; i < n; i++) print i s }'; }
set -- $(args)
# try P: the shim with the N arguments and one of P bytes; 0 if the shim could be started.
try() {
	p=$1
	shift
	umount "$C/s" 2>/dev/null; tmpfs "$C/s"; rm -f "$C/m/ran"
	pad=$(head -c "$p" /dev/zero | tr "\0" p)
	"$SP" run --bundle "$BB" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh" "$@" "$pad" >"$C/try.out" 2>"$C/try.err"
	echo $? >"$C/try.rc"
	ls -A "$C/s" | wc -l >"$C/try.left"
	! grep -q "Argument list too long" "$C/try.err" || grep -q "^secretpack: " "$C/try.err"
}
lo=0 hi=131000
while [ $((hi - lo)) -gt 1 ]; do
	mid=$(((lo + hi) / 2))
	if try $mid "$@"; then lo=$mid; else hi=$mid; fi
done
try $lo "$@"
echo "$lo" >"$C/try.max"
{ args; head -c "$lo" /dev/zero | tr "\0" p; echo; } | cksum >"$C/try.want"
EOF
chmod 644 "$C/argv.sh"
# argmax NAME BUNDLE: bisects, then checks the run at the limit.
argmax() {
	BB=$2; export BB
	ns '. "$C/argv.sh"' >/dev/null 2>&1
	max=$(cat "$C/try.max" 2>/dev/null)
	echo "# $1: $N arguments of 4091 bytes and one of $max bytes (ARG_MAX $ARGMAX): exit $(cat "$C/try.rc")"
	sed 's/^/#   stderr: /' "$C/try.err"
	sum=$(awk -F= '$1 == "sum" { print $2 }' "$C/try.out")
	if [ "$(cat "$C/try.rc")" = 0 ] && [ "$sum" = "$(cat "$C/try.want")" ] && \
		[ "$(awk -F= '$1 == "n" { print $2 }' "$C/try.out")" = $((N + 1)) ]; then
		ok "$1: at the limit the app receives all $((N + 1)) arguments intact"
	elif [ "$(cat "$C/try.rc")" = 126 ] && [ "$(wc -l <"$C/try.err")" -eq 1 ] &&
		grep -q '^secretpack: run: /bin/sh: Argument list too long' "$C/try.err" && [ "$(ran)" = 0 ]; then
		ok "$1: at the limit the shim fails cleanly (exit 126, one line, app not started)"
	else
		notok "$1: neither intact arguments nor a clean failure at the limit"
	fi
}
if [ -n "${SP_REAL:-}" ]; then
	skip "argv near ARG_MAX" "under tests/valgrind.sh the limit is valgrind's, not the shim's"
	exit 0
fi
argmax "argv near ARG_MAX" "$B"
# Four entries exporting long env variables make the app's environment larger than the shim's:
# at the shim's limit the app's execve must fail, cleanly.
cat >"$C/m.ini" <<EOF
[secret e1]
file = $T/in/db_password
env = E1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_FILE
[secret e2]
file = $T/in/db_password
env = E2_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_FILE
[secret e3]
file = $T/in/db_password
env = E3_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_FILE
[secret e4]
file = $T/in/db_password
env = E4_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_FILE
EOF
seal "$T/env4.spk" -m "$C/m.ini" || exit 1
argmax "argv near ARG_MAX, app environment grown by 4 env entries" "$T/env4.spk"
is "argv near ARG_MAX, grown environment: the shim failed and removed the secrets" "126|0" \
	"$(cat "$C/try.rc")|$(cat "$C/try.left")"

# ---- A root shim without the file capabilities Docker grants by default ----
# (setpriv drops CAP_CHOWN from the bounding set, so the shim, root, cannot hand files over.)
newcase
app ok <<'EOS'
: >"$C/m/ran"
EOS
if setpriv --bounding-set=-chown true 2>/dev/null; then
	bad "root shim without CAP_CHOWN" "user 'app': the container lacks CAP_CHOWN: .*needs CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER" \
		'tmpfs "$C/s"; setpriv --bounding-set=-chown '"$RUN"'; '"$AFTER"
	is "without CAP_CHOWN: nothing left in DIR" "" "$(left)"
else
	skip "root shim without CAP_CHOWN" "setpriv cannot change the bounding set here"
fi
