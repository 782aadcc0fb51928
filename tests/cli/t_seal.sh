#!/bin/sh
# seal: inputs (FILE, NAME=PATH, DIRECTORY), byte-exact round trips, recipients, context, expiry,
# unsafe and duplicate names, and that a failed seal leaves nothing behind.
. "$SP_TESTS/cli/lib.sh"
unset SECRETPACK_KEY SECRETPACK_KEY_FILE SECRETPACK_PASSPHRASE SECRETPACK_PASSPHRASE_FILE
code() { _want=$1; shift; "$@"; _got=$?; [ "$_got" = "$_want" ] || echo "exit code $_got, expected $_want" >&2; return "$_got"; }
same() { if cmp -s "$2" "$3"; then ok "$1"; else notok "$1"; fi; }
listing() { ls -A "$1" | tr '\n' ' '; }

for k in 1 2 3; do "$SP" keygen -o "$T/id$k" >"$T/id$k.out" 2>&1 || notok "keygen $k"; done
R1=$(tail -n 1 "$T/id1.out") R2=$(tail -n 1 "$T/id2.out") R3=$(tail -n 1 "$T/id3.out")

mkdir -p "$T/in/tree/a/b" "$T/in/tree/c" "$T/out"
printf 's3cret-db-password' >"$T/in/db_password"
printf 'tok-4f9a2c' >"$T/in/api_token"
: >"$T/in/empty"
i=0
while [ $i -lt 256 ]; do printf "\\$(printf %03o $i)"; i=$((i + 1)); done >"$T/in/bytes"
is "fixture: all 256 byte values" 256 "$(wc -c <"$T/in/bytes" | tr -d ' ')"
head -c 200000 /dev/urandom >"$T/in/random"
head -c 65536 /dev/urandom >"$T/in/chunk"
printf 'top' >"$T/in/tree/top"
printf 'deep' >"$T/in/tree/a/b/deep"
printf 'side' >"$T/in/tree/a/side"
cp "$T/in/bytes" "$T/in/tree/c/bytes"

# FILE, NAME=PATH, binary and empty content; open and cat give the same bytes back.
check "seal FILE and NAME=PATH" "$SP" seal -r "$R1" -o "$T/files.spk" "$T/in/db_password" \
	"token=$T/in/api_token" "$T/in/empty" "$T/in/bytes" "$T/in/random" "$T/in/chunk"
is "bundle mode 0644 (a bundle is not secret)" 644 "$(stat -c %a "$T/files.spk")"
check "open the bundle" "$SP" open -i "$T/id1" -o "$T/files" "$T/files.spk"
is "entries named by basename and NAME" "bytes chunk db_password empty random token " "$(listing "$T/files")"
same "FILE: byte-exact" "$T/in/db_password" "$T/files/db_password"
same "NAME=PATH: byte-exact under its name" "$T/in/api_token" "$T/files/token"
same "empty file round-trips" "$T/in/empty" "$T/files/empty"
same "all 256 byte values round-trip (open)" "$T/in/bytes" "$T/files/bytes"
same "200000 random bytes round-trip (open)" "$T/in/random" "$T/files/random"
same "exactly one chunk round-trips (open)" "$T/in/chunk" "$T/files/chunk"
"$SP" cat -i "$T/id1" "$T/files.spk" bytes >"$T/cat.bytes" 2>/dev/null
same "all 256 byte values round-trip (cat)" "$T/in/bytes" "$T/cat.bytes"
"$SP" cat -i "$T/id1" "$T/files.spk" random >"$T/cat.random" 2>/dev/null
same "random bytes round-trip (cat)" "$T/in/random" "$T/cat.random"
"$SP" cat -i "$T/id1" "$T/files.spk" empty >"$T/cat.empty" 2>/dev/null
r=$?
is "empty entry (cat): exit 0, no output" "0 0" "$r $(wc -c <"$T/cat.empty" | tr -d ' ')"
check "an empty file alone" "$SP" seal -r "$R1" -o "$T/empty.spk" "$T/in/empty"
is "an empty file alone opens empty" "0" "$("$SP" cat -i "$T/id1" "$T/empty.spk" empty | wc -c | tr -d ' ')"

# DIRECTORY: one entry per regular file, nested names a/b.
check "seal DIRECTORY" "$SP" seal -r "$R1" -o "$T/tree.spk" "$T/in/tree"
"$SP" inspect -i "$T/id1" --json "$T/tree.spk" >"$T/tree.json" 2>&1
is "directory entries are relative paths, sorted" "a/b/deep a/side c/bytes top" \
	"$(python3 -c 'import json,sys; print(" ".join(e["name"] for e in json.load(open(sys.argv[1]))["entries"]))' "$T/tree.json" 2>&1)"
check "open the directory bundle" "$SP" open -i "$T/id1" -o "$T/tree" "$T/tree.spk"
diff -r "$T/in/tree" "$T/tree" >/dev/null 2>&1 && ok "directory tree round-trips" || notok "directory tree round-trips"
is "cat a nested entry" "deep" "$("$SP" cat -i "$T/id1" "$T/tree.spk" a/b/deep 2>&1)"
check "seal DIRECTORY with a trailing slash" "$SP" seal -r "$R1" -o "$T/tree2.spk" "$T/in/tree/"
is "trailing slash: same names" "side" "$("$SP" cat -i "$T/id1" "$T/tree2.spk" a/side 2>&1)"
mkdir -p "$T/in/linked"
printf 'x' >"$T/in/linked/ok"
ln -s "$T/in/db_password" "$T/in/linked/link"
refuse "a symlink inside a directory: refused" "not a regular file" code 1 \
	"$SP" seal -r "$R1" -o "$T/out/linked.spk" "$T/in/linked"
mkfifo "$T/in/fifo"
refuse "a FIFO as input: refused" "not a regular file" code 1 "$SP" seal -r "$R1" -o "$T/out/fifo.spk" "$T/in/fifo"
refuse "NAME=FIFO: refused" "not a regular file" code 1 "$SP" seal -r "$R1" -o "$T/out/fifo.spk" "f=$T/in/fifo"

# NAME=DIR: a directory under a prefix, so two directories holding the same names do not clash.
mkdir -p "$T/in/front/tls" "$T/in/back/tls/sub"
printf 'front-key' >"$T/in/front/tls/key.pem"
printf 'front-cert' >"$T/in/front/tls/cert.pem"
printf 'back-key' >"$T/in/back/tls/key.pem"
printf 'back-deep' >"$T/in/back/tls/sub/ca.pem"
refuse "two directories holding key.pem: clash, naming NAME=DIR" "entries 'key.pem' and 'key.pem' clash.*NAME=DIR" code 1 \
	"$SP" seal -r "$R1" -o "$T/out/clash.spk" "$T/in/front/tls" "$T/in/back/tls"
check "NAME=DIR twice: no clash" "$SP" seal -r "$R1" -o "$T/prefix.spk" "front=$T/in/front/tls/" "back/tls=$T/in/back/tls"
"$SP" inspect -i "$T/id1" --json "$T/prefix.spk" >"$T/prefix.json" 2>&1
is "NAME=DIR: entries under NAME/, sorted per directory" "front/cert.pem front/key.pem back/tls/key.pem back/tls/sub/ca.pem" \
	"$(python3 -c 'import json,sys; print(" ".join(e["name"] for e in json.load(open(sys.argv[1]))["entries"]))' "$T/prefix.json" 2>&1)"
is "NAME=DIR: content under the prefix" "front-key back-key back-deep" \
	"$("$SP" cat -i "$T/id1" "$T/prefix.spk" front/key.pem 2>&1) $("$SP" cat -i "$T/id1" "$T/prefix.spk" back/tls/key.pem 2>&1) $("$SP" cat -i "$T/id1" "$T/prefix.spk" back/tls/sub/ca.pem 2>&1)"
# With too few descriptors to keep one per file, inputs are reopened below the directory: the
# prefix must not leak into the path reopened.
i=0
while [ $i -lt 12 ]; do printf "f$i" >"$T/in/back/tls/sub/f$i"; i=$((i + 1)); done
check "NAME=DIR with a low descriptor limit (files reopened)" \
	sh -c 'ulimit -n 70 && exec "$1" seal -r "$2" -o "$3" "x/y=$4"' sh "$SP" "$R1" "$T/lowfd.spk" "$T/in/back/tls"
is "low limit: a reopened file has its content" "f11" "$("$SP" cat -i "$T/id1" "$T/lowfd.spk" x/y/sub/f11 2>&1)"
refuse "NAME=DIR with an unsafe NAME: refused once" "'\.\./up': unsafe entry name" code 1 \
	"$SP" seal -r "$R1" -o "$T/out/up.spk" "../up=$T/in/front/tls"
ln -s "$T/in/front" "$T/in/front-link"
refuse "NAME=symlink to a directory: refused" "front-link: a symbolic link" code 1 \
	"$SP" seal -r "$R1" -o "$T/out/l.spk" "l=$T/in/front-link"

# A walk names every file it refuses in one run, then fails with nothing written.
mkdir -p "$T/in/walk/sub"
printf 'fine' >"$T/in/walk/fine"
ln -s "$T/in/db_password" "$T/in/walk/link"
mkfifo "$T/in/walk/sub/fifo"
printf 'x' >"$T/in/walk/sub/with space"
"$SP" seal -r "$R1" -o "$T/out/walk.spk" "$T/in/walk" >"$T/.out" 2>"$T/.err"
is "a walk with three bad files: exit 1" 1 $?
is "a walk with three bad files: four lines, one per file and a summary" \
"secretpack: seal: $T/in/walk/link: a symbolic link, not a regular file: links are never followed; name its target instead (NAME=PATH)
secretpack: seal: $T/in/walk/sub/fifo: not a regular file or directory: remove it or seal files one by one
secretpack: seal: entry 'sub/with space': unsafe entry name (absolute, '..', empty component or bad character): rename it (letters, digits, . _ - @ + =, '/' between parts)
secretpack: seal: 3 files refused (each named above): nothing sealed" "$(cat "$T/.err")"
[ ! -e "$T/out/walk.spk" ] && ok "a walk with bad files: no bundle" || notok "a walk with bad files: no bundle"
"$SP" seal -r "$R1" -o "$T/out/walk.spk" "$T/in/walk" "w2=$T/in/walk/sub" >"$T/.out" 2>"$T/.err"
is "the same files reached twice: each refusal named, 5 in all" "secretpack: seal: 5 files refused (each named above): nothing sealed" \
	"$(tail -n 1 "$T/.err")"
rm "$T/in/walk/link" "$T/in/walk/sub/fifo" "$T/in/walk/sub/with space"

# Recipients.
check "several -r" "$SP" seal -r "$R1" -r "$R2" -o "$T/two.spk" "$T/in/db_password"
is "first recipient opens" "s3cret-db-password" "$("$SP" cat -i "$T/id1" "$T/two.spk" db_password 2>&1)"
is "second recipient opens" "s3cret-db-password" "$("$SP" cat -i "$T/id2" "$T/two.spk" db_password 2>&1)"
refuse "not a recipient: wrong key" "wrong key" code 1 "$SP" cat -i "$T/id3" "$T/two.spk" db_password
printf '# ops team\n\n%s\n  # laptop\n%s\n' "$R2" "$R3" >"$T/team.pub"
check "-R recipients file" "$SP" seal -R "$T/team.pub" -o "$T/team.spk" "$T/in/db_password"
is "-R: each recipient of the file opens (2)" "s3cret-db-password" "$("$SP" cat -i "$T/id2" "$T/team.spk" db_password 2>&1)"
is "-R: each recipient of the file opens (3)" "s3cret-db-password" "$("$SP" cat -i "$T/id3" "$T/team.spk" db_password 2>&1)"
"$SP" inspect "$T/team.spk" >"$T/.out" 2>&1
grep -q '^recipients: *2 x25519, 0 passphrase' "$T/.out" && ok "-R: two stanzas" || notok "-R: two stanzas"
check "-R and -r together" "$SP" seal -R "$T/team.pub" -r "$R1" -o "$T/mix.spk" "$T/in/db_password"
is "-R and -r: the -r recipient opens" "s3cret-db-password" "$("$SP" cat -i "$T/id1" "$T/mix.spk" db_password 2>&1)"
{ echo "# a secret key in a recipients file"; grep '^SPKSEC1' "$T/id1"; } >"$T/bad.pub"
refuse "-R: an identity line is refused with its line" "bad.pub: line 2" code 1 \
	"$SP" seal -R "$T/bad.pub" -o "$T/out/bad.spk" "$T/in/db_password"
printf '# nothing\n' >"$T/none.pub"
refuse "-R: a file without recipients" "none.pub" code 1 "$SP" seal -R "$T/none.pub" -o "$T/out/none.spk" "$T/in/db_password"
refuse "-R: a missing file" "no such file" code 1 "$SP" seal -R "$T/missing.pub" -o "$T/out/m.spk" "$T/in/db_password"

# Too many recipients: 16 stanzas at most.
: >"$T/many.pub"
for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17; do
	"$SP" keygen -o "$T/many$k" 2>/dev/null | tail -n 1 >>"$T/many.pub"
done
head -n 16 "$T/many.pub" >"$T/16.pub"
check "16 recipients" "$SP" seal -R "$T/16.pub" -o "$T/16.spk" "$T/in/db_password"
is "the 16th recipient opens" "s3cret-db-password" "$("$SP" cat -i "$T/many16" "$T/16.spk" db_password 2>&1)"
refuse "17 recipients: refused, naming the limit" "17 recipients: a bundle holds at most 16" code 1 "$SP" seal -R "$T/many.pub" -o "$T/out/17.spk" "$T/in/db_password"
# shellcheck disable=SC2046
set -- $(cat "$T/many.pub")
args=
for r; do args="$args -r $r"; done
# shellcheck disable=SC2086
refuse "17 -r: refused, naming the limit" "17 recipients: a bundle holds at most 16" code 1 "$SP" seal $args -o "$T/out/17.spk" "$T/in/db_password"
refuse "16 recipients and a passphrase: refused, naming the limit" "16 recipients" code 1 \
	env SECRETPACK_PASSPHRASE=pw "$SP" seal -p -R "$T/16.pub" -o "$T/out/17.spk" "$T/in/db_password"

# Identical public keys count once (doc/FORMAT.md, Writing): 16 distinct keys plus a repeat fit.
{ cat "$T/16.pub"; head -n 1 "$T/16.pub"; } >"$T/16dup.pub"
check "16 distinct recipients and one repeated in a file: sealed" \
	"$SP" seal -R "$T/16dup.pub" -o "$T/16dup.spk" "$T/in/db_password"
"$SP" inspect "$T/16dup.spk" >"$T/.out" 2>&1
grep -q '^recipients: *16 x25519, 0 passphrase' "$T/.out" && ok "the repeat wrote no stanza (16 x25519)" ||
	notok "the repeat wrote no stanza (16 x25519)"
is "the 16th recipient opens it" "s3cret-db-password" "$("$SP" cat -i "$T/many16" "$T/16dup.spk" db_password 2>&1)"
check "16 distinct recipients by -R and the first again by -r: sealed" \
	"$SP" seal -R "$T/16.pub" -r "$(head -n 1 "$T/16.pub")" -o "$T/16dup2.spk" "$T/in/db_password"
refuse "17 distinct recipients and a repeat: refused as 17" "17 recipients: a bundle holds at most 16" code 1 \
	"$SP" seal -R "$T/many.pub" -r "$(head -n 1 "$T/many.pub")" -o "$T/out/18.spk" "$T/in/db_password"

# The passphrase is its exact bytes less one trailing newline; one holding a line break inside
# could never be given back by a reader, so seal refuses it, naming where it came from.
printf 'pw\nxx\n' >"$T/pass2"
chmod 600 "$T/pass2"
refuse "seal: a passphrase file with two lines is refused" \
	"SECRETPACK_PASSPHRASE_FILE: the passphrase holds a line break or NUL byte" code 2 \
	env SECRETPACK_PASSPHRASE_FILE="$T/pass2" "$SP" seal -p -o "$T/out/nl.spk" "$T/in/db_password"
refuse "seal: SECRETPACK_PASSPHRASE with a newline inside is refused" \
	"SECRETPACK_PASSPHRASE: the passphrase holds a line break or NUL byte" code 2 \
	env SECRETPACK_PASSPHRASE="$(printf 'pw\nxx')" "$SP" seal -p -o "$T/out/nl.spk" "$T/in/db_password"
refuse "seal: a CR inside is refused" "line break or NUL byte" code 2 \
	env SECRETPACK_PASSPHRASE="$(printf 'pw\rxx')" "$SP" seal -p -o "$T/out/nl.spk" "$T/in/db_password"
[ ! -e "$T/out/nl.spk" ] && ok "refused passphrases wrote nothing" || notok "refused passphrases wrote nothing"
printf 'pw with spaces \r\n' >"$T/pass3"
chmod 600 "$T/pass3"
check "seal: one trailing CR LF is dropped from a passphrase file" \
	env SECRETPACK_PASSPHRASE_FILE="$T/pass3" "$SP" seal -p -o "$T/crlf.spk" "$T/in/db_password"
is "the same passphrase without the CR LF opens it (trailing space kept)" "s3cret-db-password" \
	"$(SECRETPACK_PASSPHRASE='pw with spaces ' "$SP" cat -p "$T/crlf.spk" db_password 2>&1)"
refuse "the passphrase without its trailing space does not" "wrong passphrase" code 1 \
	env SECRETPACK_PASSPHRASE='pw with spaces' "$SP" cat -p "$T/crlf.spk" db_password

# Passphrase recipient from a private file.
printf 'seal test passphrase\n' >"$T/pass"
chmod 600 "$T/pass"
check "-p with SECRETPACK_PASSPHRASE_FILE" \
	env SECRETPACK_PASSPHRASE_FILE="$T/pass" "$SP" seal -p -o "$T/pass.spk" "$T/in/db_password"
is "-p: opens with the passphrase file" "s3cret-db-password" \
	"$(SECRETPACK_PASSPHRASE_FILE="$T/pass" "$SP" cat -p "$T/pass.spk" db_password 2>&1)"
chmod 644 "$T/pass"
refuse "-p: a group/world-readable passphrase file is refused" "chmod 600" code 1 \
	env SECRETPACK_PASSPHRASE_FILE="$T/pass" "$SP" seal -p -o "$T/out/pass.spk" "$T/in/db_password"

# Context: bound at seal, enforced by open and cat.
check "--context" "$SP" seal -r "$R1" --context payments@prod -o "$T/ctx.spk" "$T/in/db_password"
# Without --context, open and cat accept the bundle's own context and say so on stderr.
is "cat without --context: the bundle's own context is accepted" "s3cret-db-password" \
	"$("$SP" cat -i "$T/id1" "$T/ctx.spk" db_password 2>"$T/ctxnote.err")"
is "cat without --context: one note naming the context" \
	"secretpack: cat: $T/ctx.spk: note: bound to context 'payments@prod', accepted as no --context was given (pass --context to require one)" \
	"$(cat "$T/ctxnote.err")"
refuse "cat with a wrong --context: refused" "context mismatch" code 1 \
	"$SP" cat -i "$T/id1" --context payments@staging "$T/ctx.spk" db_password
refuse "cat with a prefix of the context: refused" "context mismatch" code 1 \
	"$SP" cat -i "$T/id1" --context payments "$T/ctx.spk" db_password
is "cat with the right --context" "s3cret-db-password" \
	"$("$SP" cat -i "$T/id1" --context payments@prod "$T/ctx.spk" db_password 2>&1)"
check "open without --context: the bundle's own context is accepted" "$SP" open -i "$T/id1" -o "$T/ctxdef" "$T/ctx.spk"
grep -qx "secretpack: open: $T/ctx.spk: note: bound to context 'payments@prod', accepted as no --context was given (pass --context to require one)" "$T/.err" &&
	[ "$(wc -l <"$T/.err")" -eq 1 ] && ok "open without --context: one note naming the context" ||
	notok "open without --context: one note naming the context"
refuse "open with a wrong --context: refused" "context mismatch" code 1 \
	"$SP" open -i "$T/id1" --context payments@staging -o "$T/out/ctx" "$T/ctx.spk"
check "open with the right --context" "$SP" open -i "$T/id1" --context payments@prod -o "$T/ctx" "$T/ctx.spk"
refuse "a bundle without context opened with --context: refused" "context mismatch" code 1 \
	"$SP" cat -i "$T/id1" --context payments@prod "$T/files.spk" db_password
refuse "--context with a control character: refused" "context" code 1 \
	"$SP" seal -r "$R1" --context "$(printf 'a\tb')" -o "$T/out/c.spk" "$T/in/db_password"
refuse "--context longer than 128 bytes: refused" "context" code 1 \
	"$SP" seal -r "$R1" --context "$(head -c 129 /dev/zero | tr '\0' x)" -o "$T/out/c.spk" "$T/in/db_password"

# Expiry.
check "--expires in the future" "$SP" seal -r "$R1" --expires 90d -o "$T/exp.spk" "$T/in/db_password"
is "--expires in the future: opens" "s3cret-db-password" "$("$SP" cat -i "$T/id1" "$T/exp.spk" db_password 2>&1)"
y2=$(($(date -u +%Y) + 2))
check "--expires a date" "$SP" seal -r "$R1" --expires "$y2-01-31" -o "$T/exp2.spk" "$T/in/db_password"
"$SP" inspect "$T/exp2.spk" >"$T/.out" 2>&1
grep -q "^expires: *$y2-01-31T23:59:59Z" "$T/.out" && ok "a date expires at the end of that day (UTC)" ||
	notok "a date expires at the end of that day (UTC)"
refuse "--expires in the past: refused at seal" "in the past" code 1 \
	"$SP" seal -r "$R1" --expires 2001-01-01 -o "$T/out/past.spk" "$T/in/db_password"
refuse "--expires garbage: refused" "bad time" code 1 \
	"$SP" seal -r "$R1" --expires tomorrow -o "$T/out/bad.spk" "$T/in/db_password"
refuse "--expires an impossible date: refused" "bad time" code 1 \
	"$SP" seal -r "$R1" --expires 2031-02-30 -o "$T/out/bad.spk" "$T/in/db_password"
check "--expires 2s" "$SP" seal -r "$R1" --expires 2s -o "$T/soon.spk" "$T/in/db_password"
sleep 3
refuse "an expired bundle: open refused" "expired" code 1 "$SP" open -i "$T/id1" -o "$T/out/soon" "$T/soon.spk"
refuse "an expired bundle: cat refused" "expired" code 1 "$SP" cat -i "$T/id1" "$T/soon.spk" db_password
"$SP" inspect "$T/soon.spk" >"$T/.out" 2>&1
grep -q '^expires:.*(expired)' "$T/.out" && ok "inspect marks the bundle expired" || notok "inspect marks the bundle expired"

# Unsafe and duplicate names.
tab=$(printf '\t')
for bad in ../x /abs a//b "with space" a/../b ./a a/ .. "tab${tab}x" .secretpack-x 'back\slash' 'star*'; do
	refuse "unsafe name '$(printf '%s' "$bad" | tr '\t' T)': refused" "unsafe entry name" code 1 \
		"$SP" seal -r "$R1" -o "$T/out/name.spk" "$bad=$T/in/db_password"
done
refuse "empty NAME in NAME=PATH: refused" "NAME=PATH" code 1 "$SP" seal -r "$R1" -o "$T/out/name.spk" "=$T/in/db_password"
long=$(head -c 256 /dev/zero | tr '\0' a)
refuse "a 256-byte name: refused" "name" code 1 "$SP" seal -r "$R1" -o "$T/out/name.spk" "$long=$T/in/db_password"
deep=a/b/c/d/e/f/g/h/i
refuse "a name nested 9 deep: refused" "unsafe entry name|limit|deep" code 1 \
	"$SP" seal -r "$R1" -o "$T/out/name.spk" "$deep=$T/in/db_password"
check "a name nested 8 deep" "$SP" seal -r "$R1" -o "$T/deep.spk" "a/b/c/d/e/f/g/h=$T/in/db_password"
mkdir -p "$T/in/other"
printf 'other' >"$T/in/other/db_password"
refuse "two files with the same basename: refused" "clash" code 1 \
	"$SP" seal -r "$R1" -o "$T/out/dup.spk" "$T/in/db_password" "$T/in/other/db_password"
refuse "the same NAME twice: refused" "clash" code 1 \
	"$SP" seal -r "$R1" -o "$T/out/dup.spk" "x=$T/in/db_password" "x=$T/in/api_token"
refuse "a name that is a folder of another: refused" "clash" code 1 \
	"$SP" seal -r "$R1" -o "$T/out/dup.spk" "a=$T/in/db_password" "a/b=$T/in/api_token"
refuse "a directory entry clashing with a file: refused" "clash" code 1 \
	"$SP" seal -r "$R1" -o "$T/out/dup.spk" "$T/in/tree" "top=$T/in/api_token"

# A failed seal leaves no partial bundle and no temporary file.
is "no output from any refused seal" "" "$(listing "$T/out")"
refuse "a missing input: refused" "no such file" code 1 "$SP" seal -r "$R1" -o "$T/out/m.spk" "$T/in/missing"
refuse "a bad recipient: refused" "recipient" code 1 "$SP" seal -r spkpub1nope -o "$T/out/m.spk" "$T/in/db_password"
refuse "an output folder that does not exist: refused" "no such file" code 1 \
	"$SP" seal -r "$R1" -o "$T/out/nodir/m.spk" "$T/in/db_password"
is "output folder still empty" "" "$(listing "$T/out")"
cp "$T/files.spk" "$T/out/keep.spk"
sum=$(cksum <"$T/out/keep.spk")
refuse "re-seal with a missing input: refused" "no such file" code 1 \
	"$SP" seal -r "$R1" -o "$T/out/keep.spk" "$T/in/db_password" "$T/in/missing"
refuse "re-seal with a bad recipient: refused" "recipient" code 1 \
	"$SP" seal -r "$R1" -r "${R2}x" -o "$T/out/keep.spk" "$T/in/db_password"
is "existing bundle intact after failed re-seals" "$sum" "$(cksum <"$T/out/keep.spk")"
is "and nothing else in its folder" "keep.spk " "$(listing "$T/out")"
check "re-seal replaces the bundle" "$SP" seal -r "$R1" -o "$T/out/keep.spk" "db_password=$T/in/api_token"
is "re-sealed bundle has the new content" "tok-4f9a2c" "$("$SP" cat -i "$T/id1" "$T/out/keep.spk" db_password 2>&1)"
is "re-seal leaves no temporary file" "keep.spk " "$(listing "$T/out")"
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	# A full filesystem mid-write, and a read-only one.
	mkdir -p "$T/small" "$T/ro"
	head -c 1000000 /dev/urandom >"$T/in/big"
	export SP T R1
	unshare -m sh -c '
		mount -t tmpfs -o size=256k tmpfs "$T/small" && mount -t tmpfs -o ro,size=64k tmpfs "$T/ro" || exit 99
		cp "$T/two.spk" "$T/small/keep.spk"; sum=$(cksum <"$T/small/keep.spk")
		"$SP" seal -r "$R1" -o "$T/small/keep.spk" "$T/in/big" 2>"$T/full.err"; echo "full=$?"
		echo "left=$(ls -A "$T/small" | tr "\n" " ")"
		[ "$(cksum <"$T/small/keep.spk")" = "$sum" ] && echo intact=yes || echo intact=no
		"$SP" seal -r "$R1" -o "$T/ro/b.spk" "$T/in/db_password" 2>"$T/ro.err"; echo "ro=$?"
		echo "roleft=$(ls -A "$T/ro" | tr "\n" " ")"
	' >"$T/ns.out" 2>&1
	val() { sed -n "s/^$1=//p" "$T/ns.out"; }
	is "disk full mid-seal: exit 1" 1 "$(val full)"
	grep -q '^secretpack: seal: .*No space left' "$T/full.err" && ok "disk full: says so" || { notok "disk full: says so"; sed 's/^/# /' "$T/full.err"; }
	is "disk full: no temporary file, old bundle still there" "keep.spk " "$(val left)"
	is "disk full: old bundle intact" yes "$(val intact)"
	is "read-only folder: exit 1" 1 "$(val ro)"
	grep -q '^secretpack: seal: .*Read-only file system' "$T/ro.err" && ok "read-only folder: says so" || { notok "read-only folder: says so"; sed 's/^/# /' "$T/ro.err"; }
	is "read-only folder: nothing written" "" "$(val roleft)"
else
	skip "disk full" "needs root and unshare -m"
	mkdir -p "$T/ro"
	chmod 555 "$T/ro"
	refuse "unwritable folder: refused" "Permission denied" code 1 "$SP" seal -r "$R1" -o "$T/ro/b.spk" "$T/in/db_password"
	is "unwritable folder: nothing written" "" "$(listing "$T/ro")"
fi

# Usage.
"$SP" seal -h >"$T/.out" 2>"$T/.err"
is "seal -h: exit 0" 0 $?
grep -q '^usage: secretpack seal' "$T/.out" && [ ! -s "$T/.err" ] && ok "seal -h: usage on stdout" || notok "seal -h: usage on stdout"
refuse "seal without -o: exit 2" "no output" code 2 "$SP" seal -r "$R1" "$T/in/db_password"
refuse "seal without recipient: exit 2" "no recipient" code 2 "$SP" seal -o "$T/out/x.spk" "$T/in/db_password"
refuse "seal without input: exit 1" "nothing to seal" code 1 "$SP" seal -r "$R1" -o "$T/out/x.spk"
refuse "seal with an unknown option: exit 2" "unknown option" code 2 "$SP" seal --bogus -r "$R1" -o "$T/out/x.spk" "$T/in/db_password"
refuse "seal -r without a value: exit 2" "needs a value" code 2 "$SP" seal -o "$T/out/x.spk" "$T/in/db_password" -r
[ ! -e "$T/out/x.spk" ] && ok "usage errors wrote nothing" || notok "usage errors wrote nothing"
