#!/bin/sh
# The developer verbs read what they are given: '-' is stdin or stdout everywhere it makes sense
# (seal -o -, NAME=-, keygen -o -; open -o - refused), identities and recipients from pipes and
# process substitution (a regular file still needs its permission check), SECRETPACK_KEY_FD for
# every verb that takes -i, the bundle's own context without --context, and --allow-expired.
. "$SP_TESTS/cli/lib.sh"
unset SECRETPACK_KEY SECRETPACK_KEY_FILE SECRETPACK_KEY_FD SECRETPACK_PASSPHRASE SECRETPACK_PASSPHRASE_FILE SECRETPACK_TRUST
code() { _want=$1; shift; "$@"; _got=$?; [ "$_got" = "$_want" ] || echo "exit code $_got, expected $_want" >&2; return "$_got"; }
same() { if cmp -s "$2" "$3"; then ok "$1"; else notok "$1"; fi; }
# pty CMD: runs the shell command CMD with stdin, stdout and stderr on a new terminal; the
# terminal's output goes to $T/pty.out, CMD's exit code is echoed.
pty() { script -qec "$1" /dev/null </dev/null >"$T/pty.out" 2>&1; echo $?; }
vec() { # vec NAME OUT: the bundle bytes of tests/vectors/NAME.vec
	hex=$(sed '1,/^[[:space:]]*$/d' "$SP_TESTS/vectors/$1.vec" | tr -d ' \t\r\n' |
		awk '{ h = "0123456789abcdef"; s = tolower($0)
			for (i = 1; i < length(s); i += 2)
				printf "\\%03o", (index(h, substr(s, i, 1)) - 1) * 16 + index(h, substr(s, i + 1, 1)) - 1 }')
	# shellcheck disable=SC2059
	printf "$hex" >"$2"
}
export SP T

"$SP" keygen -o "$T/id" >"$T/id.out" 2>&1 || notok "keygen"
"$SP" keygen -o "$T/id2" >"$T/id2.out" 2>&1 || notok "keygen 2"
"$SP" keygen --sign -o "$T/sk" >"$T/sk.out" 2>&1 || notok "keygen --sign"
R=$(tail -n 1 "$T/id.out") R2=$(tail -n 1 "$T/id2.out") S=$(tail -n 1 "$T/sk.out")
export R R2 S
mkdir -p "$T/in" "$T/cwd"
printf 's3cret-db-password' >"$T/in/db"
i=0
while [ $i -lt 256 ]; do printf "\\$(printf %03o $i)"; i=$((i + 1)); done >"$T/in/bytes"
"$SP" seal -r "$R" -o "$T/b.spk" "$T/in/db" 2>/dev/null || notok "seal b.spk"

# seal -o -: the bundle on stdout; never a file named '-'.
cd "$T/cwd" || exit 1
is "seal -o - into a pipe: cat reads it back" "s3cret-db-password" \
	"$("$SP" seal -r "$R" -o - "$T/in/db" 2>"$T/.err" | "$SP" cat -i "$T/id" - db 2>&1)"
is "seal -o -: nothing on stderr" "" "$(cat "$T/.err")"
"$SP" seal -r "$R" -o - "$T/in/db" >"$T/stdout.spk" 2>/dev/null
is "seal -o - into a file by redirection: a binary bundle" "SPKB" "$(head -c 4 "$T/stdout.spk")"
is "seal -a -o -: armored text" "-----BEGIN SECRETPACK BUNDLE-----" "$("$SP" seal -a -r "$R" -o - "$T/in/db" 2>&1 | head -n 1)"
is "seal -o - on a terminal: exit 1" 1 "$(pty "\"$SP\" seal -r $R -o - $T/in/db")"
is "seal -o - on a terminal: one line, no bundle bytes" \
	"secretpack: seal: -o -: stdout is a terminal: redirect it to a file or a pipe, or pass --armor for text" \
	"$(tr -d '\r' <"$T/pty.out")"
is "seal -a -o - on a terminal: exit 0" 0 "$(pty "\"$SP\" seal -a -r $R -o - $T/in/db")"
grep -q 'BEGIN SECRETPACK BUNDLE' "$T/pty.out" && ok "seal -a -o - on a terminal: the armor is shown" ||
	notok "seal -a -o - on a terminal: the armor is shown"

# NAME=-: one entry's content from stdin.
printf 'pw-from-a-pipe' | "$SP" seal -r "$R" -o "$T/stdin.spk" db_password=- "$T/in/db" 2>"$T/.err"
is "seal NAME=-: exit 0" 0 $?
is "NAME=-: the entry holds stdin" "pw-from-a-pipe" "$("$SP" cat -i "$T/id" "$T/stdin.spk" db_password 2>&1)"
is "NAME=-: the other input too" "s3cret-db-password" "$("$SP" cat -i "$T/id" "$T/stdin.spk" db 2>&1)"
"$SP" seal -r "$R" -o "$T/bytes.spk" nested/bytes=- <"$T/in/bytes" 2>/dev/null
"$SP" cat -i "$T/id" "$T/bytes.spk" nested/bytes >"$T/bytes.out" 2>/dev/null
same "NAME=-: all 256 byte values round-trip" "$T/in/bytes" "$T/bytes.out"
"$SP" seal -r "$R" -o "$T/empty.spk" empty=- </dev/null 2>/dev/null
is "NAME=- with empty stdin: an empty entry" "0" "$("$SP" cat -i "$T/id" "$T/empty.spk" empty | wc -c | tr -d ' ')"
is "seal -o - with NAME=-: a pipeline" "pw" \
	"$(printf pw | "$SP" seal -r "$R" -o - db=- 2>/dev/null | "$SP" cat -i "$T/id" - db 2>&1)"
refuse "a bare '-' input: refused, naming NAME=-" "'-': content from stdin needs an entry name: pass NAME=-" code 1 \
	"$SP" seal -r "$R" -o "$T/x.spk" - </dev/null
refuse "NAME=- twice: refused" "b=-: stdin is already read for NAME=-" code 1 \
	"$SP" seal -r "$R" -o "$T/x.spk" a=- b=- </dev/null
printf '%s\n' "$R" >"$T/r.pub"
refuse "-R - and NAME=-: refused" "a=-: stdin is already read for -R -" code 1 \
	"$SP" seal -R - -o "$T/x.spk" a=- <"$T/r.pub"
is "-R - alone: recipients from stdin" "s3cret-db-password" \
	"$("$SP" seal -R - -o - "$T/in/db" <"$T/r.pub" 2>&1 | "$SP" cat -i "$T/id" - db 2>&1)"
[ ! -e "$T/x.spk" ] && ok "refused seals wrote nothing" || notok "refused seals wrote nothing"

# keygen -o -: the identity on stdout, as without -o.
"$SP" keygen -o - >"$T/kg.out" 2>"$T/.err"
is "keygen -o -: exit 0" 0 $?
is "keygen -o -: one SPKSEC1 line on stdout" 1 "$(grep -c '^SPKSEC1' "$T/kg.out")"
case $(grep '^SPKSEC1' "$T/kg.out" | "$SP" pubkey - 2>&1) in spkpub1*) ok "keygen -o -: the identity is usable" ;;
*) notok "keygen -o -: the identity is usable" ;; esac

# open -o -: refused, nothing made.
refuse "open -o -: refused (usage)" "open: -o -: a directory cannot be stdout: pass -o DIR, or print one entry with 'secretpack cat BUNDLE NAME'" \
	code 2 "$SP" open -i "$T/id" -o - "$T/b.spk"
is "no file named '-' was made by any of the above" "" "$(ls -A "$T/cwd")"
cd "$T" || exit 1

# Identities, recipients and signing keys from pipes and process substitution (bash).
if command -v bash >/dev/null 2>&1; then
	is "cat -i <(...)" "s3cret-db-password" "$(bash -c '"$SP" cat -i <(cat "$T/id") "$T/b.spk" db' 2>&1)"
	is "open -i <(...)" "s3cret-db-password" \
		"$(bash -c '"$SP" open -i <(cat "$T/id") -o "$T/ps" "$T/b.spk" && cat "$T/ps/db"' 2>&1)"
	is "inspect -i <(...) lists the entries" 1 \
		"$(bash -c '"$SP" inspect -i <(cat "$T/id") "$T/b.spk"' 2>&1 | grep -c ' db ')"
	is "seal -R <(...)" "s3cret-db-password" \
		"$(bash -c '"$SP" seal -R <(echo "$R") -o - "$T/in/db" | "$SP" cat -i "$T/id" - db' 2>&1)"
	is "seal --sign <(...)" "signer:     $S (signature verified)" \
		"$(bash -c '"$SP" seal -r "$R" --sign <(cat "$T/sk") -o - "$T/in/db" | "$SP" inspect -' 2>&1 | grep '^signer:')"
	is "check -i <(...)" 0 "$(bash -c '"$SP" check -i <(cat "$T/id") "$T/b.spk"' >/dev/null 2>&1; echo $?)"
else
	skip "process substitution" "bash not installed"
fi
is "cat -i /dev/stdin on a pipe" "s3cret-db-password" "$(cat "$T/id" | "$SP" cat -i /dev/stdin "$T/b.spk" db 2>&1)"
is "cat -i - on a pipe" "s3cret-db-password" "$(cat "$T/id" | "$SP" cat -i - "$T/b.spk" db 2>&1)"
refuse "cat -i - with the bundle on stdin too: usage" "the key and the bundle .-. both read stdin" code 2 "$SP" cat -i - - db <"$T/b.spk"
# A named FIFO, whichever of the writer and the reader comes first (never a hang: timeout).
mkfifo -m 600 "$T/key.fifo"
good=0
for d in 0 0 0 0 0.2 0.5; do
	(sleep $d; cat "$T/id" >"$T/key.fifo") &
	[ "$(timeout 20 "$SP" cat -i "$T/key.fifo" "$T/b.spk" db 2>&1)" = s3cret-db-password ] && good=$((good + 1))
	wait
done
is "cat -i a private named FIFO: read whole, early or late writer (6 runs)" 6 $good
mkfifo -m 644 "$T/open.fifo"
refuse "cat -i a FIFO others can read: refused" "open.fifo: readable or writable by group or others: run 'chmod 600" code 1 \
	"$SP" cat -i "$T/open.fifo" "$T/b.spk" db
cp "$T/id" "$T/loose.key"; chmod 644 "$T/loose.key"
refuse "a regular identity file still needs 0600" "loose.key: readable or writable by group or others" code 1 \
	"$SP" cat -i "$T/loose.key" "$T/b.spk" db
is "cat -i /dev/stdin on a terminal: exit 1" 1 "$(pty "\"$SP\" cat -i /dev/stdin $T/b.spk db")"
grep -q "^secretpack: cat: /dev/stdin: a terminal, directory or device, not a key: give a file or a pipe" "$T/pty.out" &&
	ok "-i a terminal: refused with one line" || { notok "-i a terminal: refused with one line"; sed 's/^/# /' "$T/pty.out"; }
refuse "-i a directory: refused" "a terminal, directory or device, not a key" code 1 "$SP" cat -i "$T/in" "$T/b.spk" db

# SECRETPACK_KEY_FD for every verb that takes -i.
is "cat: SECRETPACK_KEY_FD on a pipe" "s3cret-db-password" \
	"$(cat "$T/id" | SECRETPACK_KEY_FD=0 "$SP" cat "$T/b.spk" db 2>&1)"
is "cat: SECRETPACK_KEY_FD=3 on a private file" "s3cret-db-password" \
	"$(SECRETPACK_KEY_FD=3 "$SP" cat "$T/b.spk" db 3<"$T/id" 2>&1)"
rm -rf "$T/kfd"
is "open: SECRETPACK_KEY_FD" "s3cret-db-password" \
	"$(cat "$T/id" | SECRETPACK_KEY_FD=0 "$SP" open -o "$T/kfd" "$T/b.spk" 2>&1; cat "$T/kfd/db")"
is "inspect: SECRETPACK_KEY_FD lists the entries" 1 \
	"$(cat "$T/id" | SECRETPACK_KEY_FD=0 "$SP" inspect "$T/b.spk" 2>&1 | grep -c ' db ')"
is "check: SECRETPACK_KEY_FD opens the payload" 1 \
	"$(cat "$T/id" | SECRETPACK_KEY_FD=0 "$SP" check "$T/b.spk" 2>&1 | grep -c 'opened, payload authenticated')"
refuse "SECRETPACK_KEY_FD with another key: wrong key" "wrong key" code 1 \
	env SECRETPACK_KEY_FD=3 "$SP" cat "$T/b.spk" db 3<"$T/id2"
refuse "SECRETPACK_KEY_FD on a file others can read: refused" \
	"SECRETPACK_KEY_FD=3: a file readable or writable by group or others: chmod 600 it, or pass the key on a pipe" code 1 \
	env SECRETPACK_KEY_FD=3 "$SP" cat "$T/b.spk" db 3<"$T/loose.key"
refuse "SECRETPACK_KEY_FD not open: refused" "SECRETPACK_KEY_FD=7: not an open file descriptor" code 1 \
	env SECRETPACK_KEY_FD=7 "$SP" cat "$T/b.spk" db
refuse "SECRETPACK_KEY_FD not a number: refused" "SECRETPACK_KEY_FD=three: not an open file descriptor" code 1 \
	env SECRETPACK_KEY_FD=three "$SP" cat "$T/b.spk" db
refuse "SECRETPACK_KEY_FD and SECRETPACK_KEY_FILE: refused, naming both" \
	"more than one key source: SECRETPACK_KEY_FILE and SECRETPACK_KEY_FD are both set: keep one and unset the other" code 1 \
	env SECRETPACK_KEY_FD=3 SECRETPACK_KEY_FILE="$T/id" "$SP" cat "$T/b.spk" db 3<"$T/id"

# The bundle's own context without --context (open, cat); run stays strict (t_run_*).
"$SP" seal -r "$R" --context shop@prod -o "$T/ctx.spk" "$T/in/db" 2>/dev/null || notok "seal ctx.spk"
is "cat without --context: opens" "s3cret-db-password" "$("$SP" cat -i "$T/id" "$T/ctx.spk" db 2>"$T/.err")"
is "cat without --context: says which context it accepted" \
	"secretpack: cat: $T/ctx.spk: note: bound to context 'shop@prod', accepted as no --context was given (pass --context to require one)" \
	"$(cat "$T/.err")"
is "cat with the right --context: no note" "" "$("$SP" cat -i "$T/id" --context shop@prod "$T/ctx.spk" db 2>&1 >/dev/null)"
is "cat of a bundle without context: no note" "" "$("$SP" cat -i "$T/id" "$T/b.spk" db 2>&1 >/dev/null)"
refuse "cat with another --context: still refused" "context mismatch: the bundle is bound to 'shop@prod', not 'shop@test'" code 1 \
	"$SP" cat -i "$T/id" --context shop@test "$T/ctx.spk" db

# --allow-expired (open, cat): read anyway, saying when it expired.
cp "$SP_TESTS/cli/keys/vector.key" "$T/vector.key"; chmod 600 "$T/vector.key"
vec expired-now "$T/expired.spk"
refuse "cat of an expired bundle: refused" "expired" code 1 "$SP" cat -i "$T/vector.key" "$T/expired.spk" db/password
is "cat --allow-expired: the content" "e162eda9b5ed15fdefdd53b5dae85b8738ea8d415f4c51b2529b92df144c6da5" \
	"$("$SP" cat --allow-expired -i "$T/vector.key" "$T/expired.spk" db/password 2>"$T/.err" | sha256sum | cut -d' ' -f1)"
is "cat --allow-expired: says when it expired" \
	"secretpack: cat: $T/expired.spk: note: expired 2023-11-14T22:13:20Z, read anyway (--allow-expired)" "$(cat "$T/.err")"
refuse "open of an expired bundle: refused, no DIR" "expired" code 1 "$SP" open -i "$T/vector.key" -o "$T/exp" "$T/expired.spk"
[ ! -e "$T/exp" ] && ok "expired: no DIR" || notok "expired: no DIR"
check "open --allow-expired" "$SP" open --allow-expired -i "$T/vector.key" -o "$T/exp" "$T/expired.spk"
is "open --allow-expired: one note" "secretpack: open: $T/expired.spk: note: expired 2023-11-14T22:13:20Z, read anyway (--allow-expired)" \
	"$(cat "$T/.err")"
is "open --allow-expired: the entry" 22 "$(wc -c <"$T/exp/db/password" | tr -d ' ')"
refuse "inspect --allow-expired: not an option (inspect never refuses an expired bundle)" "unknown option --allow-expired" \
	code 2 "$SP" inspect --allow-expired -i "$T/vector.key" "$T/expired.spk"
for v in open cat; do
	"$SP" $v -h 2>&1 | grep -q -- '--allow-expired' && ok "$v -h lists --allow-expired" || notok "$v -h lists --allow-expired"
	"$SP" $v -h 2>&1 | grep -q 'SECRETPACK_KEY_FD' && ok "$v -h lists SECRETPACK_KEY_FD" || notok "$v -h lists SECRETPACK_KEY_FD"
done
refuse "SECRETPACK_KEY_FD and SECRETPACK_KEY_FILE under -p: refused too" "SECRETPACK_KEY_FILE and SECRETPACK_KEY_FD are both set" code 1 \
	env SECRETPACK_PASSPHRASE=pw SECRETPACK_KEY_FD=3 SECRETPACK_KEY_FILE="$T/id" "$SP" cat -p "$T/b.spk" db 3<"$T/id"
refuse "SECRETPACK_KEY_FD=0 with the bundle on stdin too: usage" "the key and the bundle .-. both read stdin" code 2 \
	env SECRETPACK_KEY_FD=0 "$SP" cat - db <"$T/b.spk"
# ---- two key variables: every verb taking -i refuses, naming both (like run); -i still wins ----
"$SP" keygen -o "$T/wrong" >/dev/null 2>&1
chmod 600 "$T/id" "$T/wrong"
cp "$T/b.spk" "$T/kv.spk"
WRONG=$(grep -v '^#' "$T/wrong")
mkdir -p "$T/kvout"
for v in "cat|cat BUNDLE db" "open|open -o $T/kvout/o BUNDLE" "inspect|inspect BUNDLE" "check|check BUNDLE" \
	"set|set BUNDLE db $T/in/db" "rm|rm BUNDLE db" "rekey|rekey BUNDLE" "edit|edit BUNDLE db"; do
	vb=${v%%|*}; args=$(printf '%s' "${v#*|}" | sed "s|BUNDLE|$T/kv.spk|")
	# shellcheck disable=SC2086
	refuse "$vb: SECRETPACK_KEY and SECRETPACK_KEY_FILE both set: refused, naming both" \
		"$vb: more than one key source: SECRETPACK_KEY and SECRETPACK_KEY_FILE are both set: keep one and unset the other" \
		code 1 env EDITOR=false SECRETPACK_KEY="$WRONG" SECRETPACK_KEY_FILE="$T/id" "$SP" $args
	# shellcheck disable=SC2086
	refuse "$vb: all three set: refused, naming the three" \
		"$vb: more than one key source: SECRETPACK_KEY, SECRETPACK_KEY_FILE and SECRETPACK_KEY_FD are all set" \
		code 1 env EDITOR=false SECRETPACK_KEY="$WRONG" SECRETPACK_KEY_FILE="$T/id" SECRETPACK_KEY_FD=3 "$SP" $args 3<"$T/id"
done
same "refused key sources: the bundle byte-identical" "$T/b.spk" "$T/kv.spk"
is "-i wins over two key variables (cat)" "s3cret-db-password" \
	"$(SECRETPACK_KEY="$WRONG" SECRETPACK_KEY_FILE="$T/wrong" "$SP" cat -i "$T/id" "$T/b.spk" db)"
SECRETPACK_KEY="$WRONG" SECRETPACK_KEY_FD=3 "$SP" set -i "$T/id" "$T/kv.spk" extra "$T/in/db" 3<"$T/wrong"
is "-i wins over two key variables (set)" "s3cret-db-password" "$("$SP" cat -i "$T/id" "$T/kv.spk" extra)"
# ---- two passphrase variables: refused as run refuses them, not one silently preferred ----
printf 'pw\n' >"$T/pwfile"
SECRETPACK_PASSPHRASE=pw "$SP" seal -p -o "$T/pp.spk" "$T/in/db" 2>/dev/null || notok "seal pp.spk"
cp "$T/pp.spk" "$T/pp0.spk"
chmod 644 "$T/pwfile"
refuse "a loose SECRETPACK_PASSPHRASE_FILE: the fix names the file" "cat: $T/pwfile: .*chmod 600 $T/pwfile" \
	code 1 env SECRETPACK_PASSPHRASE_FILE="$T/pwfile" "$SP" cat -p "$T/pp.spk" db
chmod 600 "$T/pwfile"
SECRETPACK_PASSPHRASE=pw "$SP" keygen -p -o "$T/encid" >/dev/null 2>&1 || notok "keygen -p encid"
PP="more than one passphrase source: SECRETPACK_PASSPHRASE and SECRETPACK_PASSPHRASE_FILE are both set: keep one and unset the other"
for v in "cat|cat -p BUNDLE db" "open|open -p -o $T/kvout/pp BUNDLE" "inspect|inspect -p BUNDLE" \
	"check|check -p BUNDLE" "set|set BUNDLE db2 $T/in/db" "rekey|rekey BUNDLE" \
	"seal|seal -p -o $T/kvout/new.spk $T/in/db" "keygen|keygen -p -o $T/kvout/newid" \
	"cat (encrypted identity)|cat -i $T/encid $T/b.spk db"; do
	vb=${v%%|*}; args=$(printf '%s' "${v#*|}" | sed "s|BUNDLE|$T/pp.spk|")
	# shellcheck disable=SC2086
	refuse "$vb: SECRETPACK_PASSPHRASE and SECRETPACK_PASSPHRASE_FILE both set: refused, naming both" \
		"${vb%% *}: $PP" code 1 env SECRETPACK_PASSPHRASE=other SECRETPACK_PASSPHRASE_FILE="$T/pwfile" "$SP" $args
done
same "refused passphrase sources: the bundle byte-identical" "$T/pp0.spk" "$T/pp.spk"
is "refused passphrase sources: nothing written" "" "$(ls "$T/kvout" | grep -E '^(pp|new.spk|newid)$')"
is "one passphrase variable still opens it" "s3cret-db-password" \
	"$(SECRETPACK_PASSPHRASE_FILE="$T/pwfile" "$SP" cat -p "$T/pp.spk" db)"
