#!/bin/sh
# Armored bundles: the text form, every reader accepting it from a file or stdin, and malformed armor.
. "$SP_TESTS/cli/lib.sh"
unset SECRETPACK_KEY SECRETPACK_KEY_FILE SECRETPACK_PASSPHRASE SECRETPACK_PASSPHRASE_FILE
code() { _want=$1; shift; "$@"; _got=$?; [ "$_got" = "$_want" ] || echo "exit code $_got, expected $_want" >&2; return "$_got"; }
same() { if cmp -s "$2" "$3"; then ok "$1"; else notok "$1"; fi; }

"$SP" keygen -o "$T/id" >"$T/id.out" 2>&1 || notok "keygen"
RCPT=$(tail -n 1 "$T/id.out")
mkdir -p "$T/in"
printf 's3cret-db-password' >"$T/in/db_password"
head -c 100000 /dev/urandom >"$T/in/blob"
export SECRETPACK_KEY_FILE="$T/id"

check "seal --armor" "$SP" seal -r "$RCPT" --armor -o "$T/a.spk" "$T/in/db_password" "$T/in/blob"
check "seal -a" "$SP" seal -r "$RCPT" -a -o "$T/a2.spk" "$T/in/db_password"
is "first line is the BEGIN line" "-----BEGIN SECRETPACK BUNDLE-----" "$(head -n 1 "$T/a.spk")"
is "last line is the END line" "-----END SECRETPACK BUNDLE-----" "$(tail -n 1 "$T/a.spk")"
is "ends with a newline" "0a" "$(tail -c 1 "$T/a.spk" | od -An -tx1 | tr -d ' ')"
is "body: base64 only, lines of at most 64 characters" "" \
	"$(sed '1d;$d' "$T/a.spk" | grep -Ev '^[A-Za-z0-9+/]{1,64}={0,2}$' | head -n 3)"
is "body: every line but the last is 64 characters" "" \
	"$(sed '1d;$d' "$T/a.spk" | sed '$d' | awk 'length($0) != 64' | head -n 3)"
"$SP" seal -r "$RCPT" -o "$T/b.spk" "$T/in/db_password" "$T/in/blob" 2>/dev/null
sed '1d;$d' "$T/a.spk" | base64 -d >"$T/a.bin" 2>/dev/null
is "armor decodes to a binary bundle of the same size" "$(wc -c <"$T/b.spk")" "$(wc -c <"$T/a.bin")"
is "decoded armor starts with the magic" "SPKB" "$(head -c 4 "$T/a.bin")"

# Every reader, from a file and from stdin.
check "open an armored bundle" "$SP" open -o "$T/o1" "$T/a.spk"
same "open armored: byte-exact" "$T/in/blob" "$T/o1/blob"
"$SP" cat "$T/a.spk" blob >"$T/got" 2>/dev/null
same "cat armored: byte-exact" "$T/in/blob" "$T/got"
check "inspect an armored bundle" "$SP" inspect "$T/a.spk"
grep -q '^recipients: *1 x25519' "$T/.out" && ok "inspect armored: header read" || notok "inspect armored: header read"
is "inspect -i armored: entries" 2 "$("$SP" inspect -i "$T/id" "$T/a.spk" 2>&1 | grep -c 'owner=')"
check "open - (armored on stdin)" sh -c '"$1" open -o "$2" - <"$3"' - "$SP" "$T/o2" "$T/a.spk"
same "open - armored: byte-exact" "$T/in/blob" "$T/o2/blob"
"$SP" cat - blob <"$T/a.spk" >"$T/got" 2>/dev/null
same "cat - armored: byte-exact" "$T/in/blob" "$T/got"
is "inspect - armored" 1 "$("$SP" inspect - <"$T/a.spk" 2>&1 | grep -c '^recipients: *1 x25519')"
is "cat - through a pipe" "s3cret-db-password" "$(cat "$T/a.spk" | "$SP" cat - db_password 2>&1)"
check "open - (binary on stdin, through a pipe)" sh -c 'cat "$3" | "$1" open -o "$2" -' - "$SP" "$T/o3" "$T/b.spk"
same "open - binary: byte-exact" "$T/in/blob" "$T/o3/blob"
"$SP" cat - blob <"$T/b.spk" >"$T/got" 2>/dev/null
same "cat - binary: byte-exact" "$T/in/blob" "$T/got"

# Tolerated variations.
sed 's/$/\r/' "$T/a.spk" >"$T/crlf.spk"
is "CRLF line endings accepted" "s3cret-db-password" "$("$SP" cat "$T/crlf.spk" db_password 2>&1)"
{ printf '\n  \n'; cat "$T/a.spk"; } >"$T/lead.spk"
is "leading blank lines accepted" "s3cret-db-password" "$("$SP" cat "$T/lead.spk" db_password 2>&1)"
{ cat "$T/a.spk"; printf '\n\n'; } >"$T/trail.spk"
is "trailing blank lines accepted" "s3cret-db-password" "$("$SP" cat "$T/trail.spk" db_password 2>&1)"

# Malformed armor: refused, and open leaves no DIR.
sed '$d' "$T/a.spk" >"$T/noend.spk"
refuse "armor without END: refused" "malformed armor" code 1 "$SP" open -o "$T/x" "$T/noend.spk"
sed '2s/^./*/' "$T/a.spk" >"$T/badchar.spk"
refuse "armor with a non-base64 character: refused" "malformed armor" code 1 "$SP" open -o "$T/x" "$T/badchar.spk"
{ cat "$T/a.spk"; echo "trailing words"; } >"$T/after.spk"
refuse "armor with text after END: refused" "malformed armor" code 1 "$SP" open -o "$T/x" "$T/after.spk"
sed '1s/BUNDLE/BUNDLES/' "$T/a.spk" >"$T/begin.spk"
refuse "armor with a wrong BEGIN line: refused" "malformed armor|not a secretpack bundle" code 1 "$SP" open -o "$T/x" "$T/begin.spk"
sed '1d;$d' "$T/a2.spk" | tr -d '\n' | tr -d '=' >"$T/nopad.body"
{ echo "-----BEGIN SECRETPACK BUNDLE-----"; cat "$T/nopad.body"; echo; echo "-----END SECRETPACK BUNDLE-----"; } >"$T/oneline.spk"
refuse "armor with an over-long line: refused" "malformed armor" code 1 "$SP" open -o "$T/x" "$T/oneline.spk"
refuse "inspect of malformed armor: refused" "malformed armor" code 1 "$SP" inspect "$T/noend.spk"
refuse "cat of malformed armor: refused" "malformed armor" code 1 "$SP" cat "$T/badchar.spk" db_password
# Valid armor, damaged content: the bundle layer must catch it.
n=$(($(wc -l <"$T/a.spk") / 2))
awk -v n="$n" 'NR == n { c = substr($0, 10, 1); r = (c == "A") ? "B" : "A"; $0 = substr($0, 1, 9) r substr($0, 11) } { print }' \
	"$T/a.spk" >"$T/damaged.spk"
refuse "armor with one base64 character changed: refused" "tampered" code 1 "$SP" open -o "$T/x" "$T/damaged.spk"
lines=$(wc -l <"$T/a.spk")
awk -v last="$lines" 'NR != last - 1' "$T/a.spk" >"$T/cut.spk"
refuse "armor with its last base64 line removed: refused" "truncated|malformed armor" code 1 "$SP" open -o "$T/x" "$T/cut.spk"
[ ! -e "$T/x" ] && ok "refused armored bundles leave no DIR" || notok "refused armored bundles leave no DIR"
