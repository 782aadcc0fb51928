#!/bin/sh
# cat: one entry to stdout, byte-exact, and nothing at all unless the whole bundle authenticated.
. "$SP_TESTS/cli/lib.sh"
unset SECRETPACK_KEY SECRETPACK_KEY_FILE SECRETPACK_PASSPHRASE SECRETPACK_PASSPHRASE_FILE
code() { _want=$1; shift; "$@"; _got=$?; [ "$_got" = "$_want" ] || echo "exit code $_got, expected $_want" >&2; return "$_got"; }
same() { if cmp -s "$2" "$3"; then ok "$1"; else notok "$1"; fi; }
size() { wc -c <"$1" | tr -d ' '; }
flip() {
	b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
	printf "\\$(printf %o $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

"$SP" keygen -o "$T/id" >"$T/id.out" 2>&1 || notok "keygen"
"$SP" keygen -o "$T/id2" >/dev/null 2>&1 || notok "keygen 2"
RCPT=$(tail -n 1 "$T/id.out")
mkdir -p "$T/in"
printf 'first-entry' >"$T/in/first"
head -c 140000 /dev/urandom >"$T/in/middle"
printf 'last-entry\n' >"$T/in/last"
: >"$T/in/empty"
"$SP" seal -r "$RCPT" -o "$T/b.spk" "$T/in/first" "$T/in/middle" "$T/in/empty" "nested/last=$T/in/last" 2>"$T/.err" ||
	{ notok "seal"; cat "$T/.err"; }

"$SP" cat -i "$T/id" "$T/b.spk" middle >"$T/got" 2>"$T/.err"
is "cat: exit 0" 0 $?
same "cat: a multi-chunk entry byte-exact" "$T/in/middle" "$T/got"
is "cat: nothing on stderr" "" "$(cat "$T/.err")"
"$SP" cat -i "$T/id" "$T/b.spk" first >"$T/got" 2>/dev/null
same "cat: the first entry only" "$T/in/first" "$T/got"
"$SP" cat -i "$T/id" "$T/b.spk" nested/last >"$T/got" 2>/dev/null
same "cat: a nested entry with its trailing newline" "$T/in/last" "$T/got"
"$SP" cat -i "$T/id" "$T/b.spk" empty >"$T/got" 2>/dev/null
r=$?
is "cat: an empty entry, exit 0" "0 0" "$r $(size "$T/got")"
is "cat: through a pipe" "first-entry" "$("$SP" cat -i "$T/id" "$T/b.spk" first | cat)"
is "cat: SECRETPACK_KEY_FILE" "first-entry" "$(SECRETPACK_KEY_FILE="$T/id" "$SP" cat "$T/b.spk" first 2>&1)"
is "cat: SECRETPACK_KEY" "first-entry" "$(SECRETPACK_KEY="$(grep '^SPKSEC1' "$T/id")" "$SP" cat "$T/b.spk" first 2>&1)"

refuse "cat: unknown name refused" "no entry named 'nope'" code 1 "$SP" cat -i "$T/id" "$T/b.spk" nope
is "cat: unknown name, nothing on stdout" 0 "$(size "$T/.out")"
refuse "cat: a folder of entries is not an entry" "no entry named" code 1 "$SP" cat -i "$T/id" "$T/b.spk" nested
refuse "cat: names match exactly" "no entry named" code 1 "$SP" cat -i "$T/id" "$T/b.spk" First
refuse "cat: wrong key" "wrong key" code 1 "$SP" cat -i "$T/id2" "$T/b.spk" first
is "cat: wrong key, nothing on stdout" 0 "$(size "$T/.out")"

# The first entry sits before the damage: it must still not come out.
sz=$(size "$T/b.spk")
cp "$T/b.spk" "$T/tampered.spk"
flip "$T/tampered.spk" $((sz - 5))
refuse "cat: tampered bundle refused" "tampered" code 1 "$SP" cat -i "$T/id" "$T/tampered.spk" first
is "cat: tampered bundle, nothing on stdout" 0 "$(size "$T/.out")"
cp "$T/b.spk" "$T/tampered2.spk"
flip "$T/tampered2.spk" $((sz - 2000))
refuse "cat: tampered late entry, first entry refused" "tampered" code 1 "$SP" cat -i "$T/id" "$T/tampered2.spk" first
is "cat: tampered late entry, nothing on stdout" 0 "$(size "$T/.out")"
head -c $((sz - 1)) "$T/b.spk" >"$T/short.spk"
refuse "cat: truncated bundle refused" "truncated" code 1 "$SP" cat -i "$T/id" "$T/short.spk" first
is "cat: truncated bundle, nothing on stdout" 0 "$(size "$T/.out")"
{ cat "$T/b.spk"; printf '\n'; } >"$T/long.spk"
refuse "cat: trailing data refused" "unexpected data" code 1 "$SP" cat -i "$T/id" "$T/long.spk" first
is "cat: trailing data, nothing on stdout" 0 "$(size "$T/.out")"

"$SP" cat -h >"$T/.out" 2>"$T/.err"
is "cat -h: exit 0" 0 $?
grep -q '^usage: secretpack cat' "$T/.out" && ok "cat -h: usage on stdout" || notok "cat -h: usage on stdout"
refuse "cat without a name: exit 2" "bundle and an entry name" code 2 "$SP" cat -i "$T/id" "$T/b.spk"
refuse "cat with two names: exit 2" "bundle and an entry name" code 2 "$SP" cat -i "$T/id" "$T/b.spk" first middle
refuse "cat with -o: exit 2" "option" code 2 "$SP" cat -i "$T/id" -o "$T/x" "$T/b.spk" first
refuse "cat with an unknown option: exit 2" "unknown option" code 2 "$SP" cat --bogus -i "$T/id" "$T/b.spk" first

# cat -p keeps -i: keys first, then the passphrase (doc/FORMAT.md, Unlocking).
is "cat -p -i on a bundle sealed only to the identity" "first-entry" \
	"$(SECRETPACK_PASSPHRASE=pw "$SP" cat -p -i "$T/id" "$T/b.spk" first </dev/null 2>&1)"
refuse "cat -p -i with a key that is not a recipient: wrong key" "wrong key or not a recipient" code 1 \
	env SECRETPACK_PASSPHRASE=pw "$SP" cat -p -i "$T/id2" "$T/b.spk" first
[ ! -s "$T/.out" ] && ok "wrong key with -p: nothing on stdout" || notok "wrong key with -p: nothing on stdout"
