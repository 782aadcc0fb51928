#!/bin/sh
# keygen and pubkey: identity files, recipients, encrypted identities, key typos, usage.
. "$SP_TESTS/cli/lib.sh"
unset SECRETPACK_KEY SECRETPACK_KEY_FILE SECRETPACK_PASSPHRASE SECRETPACK_PASSPHRASE_FILE
# code RC CMD...: adds a stderr line when CMD's exit code is not RC, so refuse fails on it.
code() { _want=$1; shift; "$@"; _got=$?; [ "$_got" = "$_want" ] || echo "exit code $_got, expected $_want" >&2; return "$_got"; }
# notty CMD...: no controlling terminal, so nothing can prompt.
notty() { setsid -w "$@" </dev/null; }
mkdir -p "$T/in" "$T/o"
printf 'keygen-test-secret' >"$T/in/s.txt"

# -o FILE
check "keygen -o FILE" "$SP" keygen -o "$T/id"
cp "$T/.out" "$T/id.out"
RCPT=$(tail -n 1 "$T/id.out")
is "identity file mode 0600" 600 "$(stat -c %a "$T/id")"
case $RCPT in spkpub1*) ok "last stdout line is a recipient" ;; *) notok "last stdout line is a recipient: $RCPT" ;; esac
is "pubkey FILE prints the same recipient" "$RCPT" "$("$SP" pubkey "$T/id")"
is "identity file holds one SPKSEC1 line" 1 "$(grep -c '^SPKSEC1' "$T/id")"
is "stdout of keygen -o holds no secret key" 0 "$(grep -ci 'SPKSEC1' "$T/id.out")"
"$SP" keygen -o "$T/id2" >"$T/id2.out" 2>&1
RCPT2=$(tail -n 1 "$T/id2.out")
[ -n "$RCPT2" ] && [ "$RCPT2" != "$RCPT" ] && ok "two keygens give two keys" || notok "two keygens give two keys"

# Never overwrite, never follow a symlink, never leave a temporary behind.
cp "$T/id" "$T/id.before"
refuse "keygen -o refuses an existing identity" "already exists" code 1 "$SP" keygen -o "$T/id"
cmp -s "$T/id" "$T/id.before" && ok "existing identity untouched" || notok "existing identity untouched"
printf 'precious' >"$T/other"
refuse "keygen -o refuses any existing file" "already exists" code 1 "$SP" keygen -o "$T/other"
is "existing file untouched" "precious" "$(cat "$T/other")"
ln -s "$T/target" "$T/dangling"
refuse "keygen -o refuses a dangling symlink" "already exists" code 1 "$SP" keygen -o "$T/dangling"
[ ! -e "$T/target" ] && ok "symlink target not created" || notok "symlink target not created"
refuse "keygen -o in a missing folder" "no such file" code 1 "$SP" keygen -o "$T/nodir/id"
is "no temporary file left beside the outputs" "" "$(ls -A "$T" | grep -F '.tmp' || true)"

# Without -o: identity text on stdout.
check "keygen without -o" "$SP" keygen
is "keygen without -o prints one SPKSEC1 line" 1 "$(grep -c '^SPKSEC1' "$T/.out")"
cp "$T/.out" "$T/stdout.key"
chmod 600 "$T/stdout.key"
case $("$SP" pubkey "$T/stdout.key") in spkpub1*) ok "identity from stdout is usable" ;; *) notok "identity from stdout is usable" ;; esac
KEYTEXT=$(grep '^SPKSEC1' "$T/stdout.key")
is "pubkey - reads stdin" "$("$SP" pubkey "$T/stdout.key")" "$(printf '%s\n' "$KEYTEXT" | "$SP" pubkey -)"

# Passphrase-protected identity.
export SECRETPACK_PASSPHRASE='correct horse battery'
check "keygen --passphrase -o FILE" "$SP" keygen --passphrase -o "$T/enc"
ENC_RCPT=$(tail -n 1 "$T/.out")
is "encrypted identity: one SPKENC1 line" 1 "$(grep -c '^SPKENC1' "$T/enc")"
is "encrypted identity: no SPKSEC1 line" 0 "$(grep -ci 'SPKSEC1' "$T/enc")"
is "encrypted identity: mode 0600" 600 "$(stat -c %a "$T/enc")"
is "pubkey of an encrypted identity with its passphrase" "$ENC_RCPT" "$("$SP" pubkey "$T/enc" 2>&1)"
refuse "pubkey with a wrong passphrase" "wrong passphrase" code 1 \
	env SECRETPACK_PASSPHRASE='wrong horse' "$SP" pubkey "$T/enc"
refuse "pubkey without any passphrase" "no passphrase" code 1 \
	notty env -u SECRETPACK_PASSPHRASE "$SP" pubkey "$T/enc"
"$SP" seal -r "$ENC_RCPT" -o "$T/enc.spk" "$T/in/s.txt" 2>"$T/.err"
is "open with an encrypted identity" "keygen-test-secret" "$("$SP" cat -i "$T/enc" "$T/enc.spk" s.txt 2>&1)"
refuse "open with an encrypted identity and a wrong passphrase" "wrong passphrase" code 1 \
	env SECRETPACK_PASSPHRASE='wrong horse' "$SP" cat -i "$T/enc" "$T/enc.spk" s.txt
unset SECRETPACK_PASSPHRASE
refuse "keygen --passphrase: a passphrase with a line break inside is refused" \
	"SECRETPACK_PASSPHRASE: the passphrase holds a line break or NUL byte" code 2 \
	env SECRETPACK_PASSPHRASE="$(printf 'pw\nxx')" "$SP" keygen --passphrase -o "$T/nl.key"
[ ! -e "$T/nl.key" ] && ok "refused passphrase: no key file" || notok "refused passphrase: no key file"
refuse "keygen --passphrase without a passphrase" "no passphrase" code 1 \
	notty "$SP" keygen --passphrase -o "$T/enc2"
[ ! -e "$T/enc2" ] && ok "failed keygen leaves no identity file" || notok "failed keygen leaves no identity file"

# Loose permissions on identity files.
cp "$T/id" "$T/loose"
chmod 640 "$T/loose"
refuse "pubkey refuses a group-readable identity" "chmod 600" code 1 "$SP" pubkey "$T/loose"
chmod 604 "$T/loose"
refuse "pubkey refuses a world-readable identity" "chmod 600" code 1 "$SP" pubkey "$T/loose"
chmod 620 "$T/loose"
refuse "pubkey refuses a group-writable identity" "chmod 600" code 1 "$SP" pubkey "$T/loose"
chmod 400 "$T/loose"
is "pubkey accepts mode 0400" "$RCPT" "$("$SP" pubkey "$T/loose" 2>&1)"
refuse "pubkey of a missing file" "no such file" code 1 "$SP" pubkey "$T/missing"
: >"$T/empty.key"
chmod 600 "$T/empty.key"
refuse "pubkey of an empty file" "not a valid key" code 1 "$SP" pubkey "$T/empty.key"
printf '# a comment\n%s\n' "$RCPT" >"$T/pub-as-id"
chmod 600 "$T/pub-as-id"
refuse "a recipient in an identity file: refused with its line" "line 2: not a valid key" code 1 \
	"$SP" pubkey "$T/pub-as-id"

# Several identities in one file, with comments, blank lines and CRLF.
{
	echo "# team identities"
	echo
	grep '^SPKSEC1' "$T/id"
	echo "   # indented comment"
	grep '^SPKSEC1' "$T/id2" | sed 's/$/\r/'
	echo
} >"$T/both"
chmod 600 "$T/both"
is "pubkey lists each identity's recipient" "$RCPT $RCPT2" "$("$SP" pubkey "$T/both" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
"$SP" seal -r "$RCPT" -o "$T/a.spk" "$T/in/s.txt" 2>/dev/null
"$SP" seal -r "$RCPT2" -o "$T/b.spk" "$T/in/s.txt" 2>/dev/null
is "a file of several identities opens a bundle for the first" "keygen-test-secret" \
	"$("$SP" cat -i "$T/both" "$T/a.spk" s.txt 2>&1)"
is "a file of several identities opens a bundle for the second" "keygen-test-secret" \
	"$("$SP" cat -i "$T/both" "$T/b.spk" s.txt 2>&1)"
refuse "the first identity alone does not open the second's bundle" "wrong key" code 1 \
	"$SP" cat -i "$T/id" "$T/b.spk" s.txt
{ grep '^SPKSEC1' "$T/id"; echo "SPKSEC1NOTAKEY"; } >"$T/badline"
chmod 600 "$T/badline"
refuse "a bad identity line is named" "line 2" code 1 "$SP" pubkey "$T/badline"

# Recipients typed by hand.
typo=$(printf '%s' "$RCPT" | awk '{ c = substr($0, 20, 1); r = (c == "q") ? "p" : "q"; print substr($0, 1, 19) r substr($0, 21) }')
[ "$typo" != "$RCPT" ] || notok "typo helper"
refuse "a recipient with one character changed: checksum" "checksum" code 1 \
	"$SP" seal -r "$typo" -o "$T/o/typo.spk" "$T/in/s.txt"
short=$(printf '%s' "$RCPT" | sed 's/.$//')
refuse "a truncated recipient" "checksum|not a valid key" code 1 \
	"$SP" seal -r "$short" -o "$T/o/short.spk" "$T/in/s.txt"
refuse "a recipient with a bad character" "checksum|not a valid key" code 1 \
	"$SP" seal -r "$(printf '%s' "$RCPT" | sed 's/.$/!/')" -o "$T/o/bad.spk" "$T/in/s.txt"
is "upper-case recipient accepted" 0 \
	"$(rc "$SP" seal -r "$(printf '%s' "$RCPT" | tr a-z A-Z)" -o "$T/o/upper.spk" "$T/in/s.txt")"
KEYLINE=$(grep '^SPKSEC1' "$T/id")
refuse "an identity given as -r: refused" "not a valid key" code 1 \
	"$SP" seal -r "$KEYLINE" -o "$T/o/id.spk" "$T/in/s.txt"
grep -qi "$(printf '%s' "$KEYLINE" | cut -c8-23)" "$T/.err" && notok "the refusal repeats no part of the secret key" ||
	ok "the refusal repeats no part of the secret key"
is "no bundle written by refused seals" "upper.spk" "$(ls -A "$T/o" | tr '\n' ' ' | sed 's/ $//')"

# The committed test identity: its recipient is fixed (golden).
cp "$SP_TESTS/cli/keys/test.key" "$T/test.key"
chmod 600 "$T/test.key"
is "committed test identity gives the committed recipient" "$(cat "$SP_TESTS/cli/keys/test.pub")" \
	"$("$SP" pubkey "$T/test.key" 2>&1)"
cp "$SP_TESTS/cli/keys/test-enc.key" "$T/test-enc.key"
chmod 600 "$T/test-enc.key"
is "committed encrypted identity opens with its passphrase" "$(cat "$SP_TESTS/cli/keys/test-enc.pub")" \
	"$(SECRETPACK_PASSPHRASE="$(cat "$SP_TESTS/cli/keys/test-enc.pass")" "$SP" pubkey "$T/test-enc.key" 2>&1)"

# Usage.
"$SP" keygen -h >"$T/.out" 2>"$T/.err"
is "keygen -h: exit 0" 0 $?
grep -q '^usage: secretpack keygen' "$T/.out" && [ ! -s "$T/.err" ] && ok "keygen -h: usage on stdout" ||
	notok "keygen -h: usage on stdout"
"$SP" pubkey -h >"$T/.out" 2>"$T/.err"
is "pubkey -h: exit 0" 0 $?
grep -q '^usage: secretpack pubkey' "$T/.out" && ok "pubkey -h: usage on stdout" || notok "pubkey -h: usage on stdout"
"$SP" -h >"$T/.out" 2>"$T/.err"
is "secretpack -h: exit 0" 0 $?
grep -q '^usage: secretpack' "$T/.out" && ok "secretpack -h: usage on stdout" || notok "secretpack -h: usage on stdout"
refuse "keygen with an unknown option: exit 2" "option" code 2 "$SP" keygen --bogus
refuse "keygen with an unknown short option: exit 2" "option" code 2 "$SP" keygen -x
# ---- pubkey reads its key like -i does: a pipe, process substitution or '-', for both kinds ----
"$SP" keygen --sign -o "$T/sk" >"$T/sk.out" 2>&1
SIGNER=$(tail -n 1 "$T/sk.out")
is "pubkey of a signing key file" "$SIGNER" "$("$SP" pubkey "$T/sk" 2>&1)"
is "pubkey - of a signing key on a pipe" "$SIGNER" "$(cat "$T/sk" | "$SP" pubkey - 2>&1)"
is "pubkey <(...) of a signing key" "$SIGNER" "$(bash -c '"$1" pubkey <(cat "$2")' - "$SP" "$T/sk" 2>&1)"
is "pubkey <(...) of an identity" "$RCPT" "$(bash -c '"$1" pubkey <(cat "$2")' - "$SP" "$T/id" 2>&1)"
got=$(bash -c '"$1" pubkey <("$1" keygen --sign -o -)' - "$SP" 2>&1)
case $got in spksig1*) ok "secretpack pubkey <(secretpack keygen --sign -o -)" ;; *) notok "secretpack pubkey <(secretpack keygen --sign -o -): $got" ;; esac
mkfifo -m 600 "$T/fifo"
cat "$T/sk" >"$T/fifo" &
is "pubkey of a private FIFO carrying a signing key" "$SIGNER" "$("$SP" pubkey "$T/fifo" 2>&1)"
wait
cp "$T/sk" "$T/sk-loose"; chmod 644 "$T/sk-loose"
refuse "pubkey refuses a group-readable signing key file" "sk-loose: readable or writable by group or others: run 'chmod 600" \
	code 1 "$SP" pubkey "$T/sk-loose"
refuse "pubkey of a directory: refused" "a terminal, directory or device, not a key" code 1 "$SP" pubkey "$T"

refuse "keygen -o without a value: exit 2" "option|value" code 2 "$SP" keygen -o
refuse "keygen with an extra argument: exit 2" "unexpected argument" code 2 "$SP" keygen extra
refuse "pubkey without a file: exit 2" "identity file" code 2 "$SP" pubkey
refuse "an unknown command: exit 2" "unknown command" code 2 "$SP" keygenn
is "no command: exit 2" 2 "$(rc "$SP")"
