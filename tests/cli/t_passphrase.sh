#!/bin/sh
# Passphrase recipients: where the passphrase comes from, its file's permissions, wrong and
# missing passphrases, and bundles that take both a key and a passphrase.
. "$SP_TESTS/cli/lib.sh"
unset SECRETPACK_KEY SECRETPACK_KEY_FILE SECRETPACK_PASSPHRASE SECRETPACK_PASSPHRASE_FILE
code() { _want=$1; shift; "$@"; _got=$?; [ "$_got" = "$_want" ] || echo "exit code $_got, expected $_want" >&2; return "$_got"; }
# notty CMD...: no controlling terminal, so nothing can prompt.
notty() { setsid -w "$@" </dev/null; }

"$SP" keygen -o "$T/id" >"$T/id.out" 2>&1 || notok "keygen"
RCPT=$(tail -n 1 "$T/id.out")
mkdir -p "$T/in" "$T/out"
printf 's3cret-db-password' >"$T/in/db_password"
printf 'first line passphrase\n' >"$T/pass"
chmod 600 "$T/pass"
printf 'first line passphrase' >"$T/pass-nonl"
chmod 600 "$T/pass-nonl"

check "seal -p with SECRETPACK_PASSPHRASE_FILE" \
	env SECRETPACK_PASSPHRASE_FILE="$T/pass" "$SP" seal -p -o "$T/p.spk" "$T/in/db_password"
"$SP" inspect "$T/p.spk" >"$T/.out" 2>&1
grep -q '^recipients: *0 x25519, 1 passphrase (argon2id t=3 m=65536 KiB p=4)$' "$T/.out" &&
	ok "one passphrase stanza with the default cost" || notok "one passphrase stanza with the default cost"
check "open -p" env SECRETPACK_PASSPHRASE_FILE="$T/pass" "$SP" open -p -o "$T/o1" "$T/p.spk"
is "open -p: content" "s3cret-db-password" "$(cat "$T/o1/db_password" 2>&1)"
is "one trailing newline is not part of the passphrase" "s3cret-db-password" \
	"$(SECRETPACK_PASSPHRASE_FILE="$T/pass-nonl" "$SP" cat -p "$T/p.spk" db_password 2>&1)"
is "SECRETPACK_PASSPHRASE works too" "s3cret-db-password" \
	"$(SECRETPACK_PASSPHRASE='first line passphrase' "$SP" cat -p "$T/p.spk" db_password 2>&1)"
is "no key configured: the passphrase is used without -p" "s3cret-db-password" \
	"$(SECRETPACK_PASSPHRASE='first line passphrase' "$SP" cat "$T/p.spk" db_password 2>&1)"
is "inspect -p shows entries" 1 \
	"$(SECRETPACK_PASSPHRASE_FILE="$T/pass" "$SP" inspect -p "$T/p.spk" 2>&1 | grep -c 'db_password')"

refuse "wrong passphrase: refused" "wrong passphrase" code 1 \
	env SECRETPACK_PASSPHRASE='second line' "$SP" open -p -o "$T/o2" "$T/p.spk"
printf 'first line passphrase\nsecond line\n' >"$T/pass-2"
chmod 600 "$T/pass-2"
refuse "a second line is not ignored: usage error naming the variable" \
	"SECRETPACK_PASSPHRASE_FILE: the passphrase holds a line break" code 2 \
	env SECRETPACK_PASSPHRASE_FILE="$T/pass-2" "$SP" cat -p "$T/p.spk" db_password
[ ! -e "$T/o2" ] && ok "wrong passphrase: no DIR" || notok "wrong passphrase: no DIR"
refuse "no passphrase anywhere: refused" "no passphrase" code 1 notty "$SP" open -p -o "$T/o3" "$T/p.spk"
[ ! -e "$T/o3" ] && ok "no passphrase: no DIR" || notok "no passphrase: no DIR"
refuse "an identity on a passphrase-only bundle: says to pass -p" "only a passphrase recipient: pass -p" code 1 "$SP" open -i "$T/id" -o "$T/o4" "$T/p.spk"
refuse "-p on a bundle without passphrase recipient" "no passphrase recipient" code 1 \
	env SECRETPACK_PASSPHRASE=x sh -c '"$1" seal -r "$2" -o "$3" "$4" && "$1" open -p -o "$5" "$3"' - \
	"$SP" "$RCPT" "$T/k.spk" "$T/in/db_password" "$T/o5"

# The passphrase file must be private, like an identity file.
chmod 640 "$T/pass"
refuse "seal: a group-readable passphrase file is refused" "chmod 600" code 1 \
	env SECRETPACK_PASSPHRASE_FILE="$T/pass" "$SP" seal -p -o "$T/out/x.spk" "$T/in/db_password"
refuse "open: a group-readable passphrase file is refused" "chmod 600" code 1 \
	env SECRETPACK_PASSPHRASE_FILE="$T/pass" "$SP" open -p -o "$T/o6" "$T/p.spk"
chmod 604 "$T/pass"
refuse "seal: a world-readable passphrase file is refused" "chmod 600" code 1 \
	env SECRETPACK_PASSPHRASE_FILE="$T/pass" "$SP" seal -p -o "$T/out/x.spk" "$T/in/db_password"
chmod 600 "$T/pass"
refuse "seal: a missing passphrase file" "no such file" code 1 \
	env SECRETPACK_PASSPHRASE_FILE="$T/nope" "$SP" seal -p -o "$T/out/x.spk" "$T/in/db_password"
: >"$T/empty-pass"
chmod 600 "$T/empty-pass"
refuse "seal: an empty passphrase is refused" "empty passphrase" code 1 \
	env SECRETPACK_PASSPHRASE_FILE="$T/empty-pass" "$SP" seal -p -o "$T/out/x.spk" "$T/in/db_password"
refuse "seal -p with no passphrase anywhere" "no passphrase" code 1 \
	notty "$SP" seal -p -o "$T/out/x.spk" "$T/in/db_password"
head -c 1025 /dev/zero | tr '\0' p >"$T/long-pass"
chmod 600 "$T/long-pass"
refuse "seal: a passphrase over 1024 bytes is refused" "longer than 1024" code 1 \
	env SECRETPACK_PASSPHRASE_FILE="$T/long-pass" "$SP" seal -p -o "$T/out/x.spk" "$T/in/db_password"
is "refused passphrase seals wrote nothing" "" "$(ls -A "$T/out")"

# A key and a passphrase: either opens.
check "seal -r and -p" env SECRETPACK_PASSPHRASE_FILE="$T/pass" "$SP" seal -r "$RCPT" -p -o "$T/both.spk" "$T/in/db_password"
"$SP" inspect "$T/both.spk" >"$T/.out" 2>&1
grep -q '^recipients: *1 x25519, 1 passphrase' "$T/.out" && ok "-r and -p: two stanzas" || notok "-r and -p: two stanzas"
is "-r and -p: the key opens" "s3cret-db-password" "$("$SP" cat -i "$T/id" "$T/both.spk" db_password 2>&1)"
is "-r and -p: the passphrase opens" "s3cret-db-password" \
	"$(SECRETPACK_PASSPHRASE_FILE="$T/pass" "$SP" cat -p "$T/both.spk" db_password 2>&1)"
refuse "-r and -p: a wrong passphrase is still refused" "wrong passphrase" code 1 \
	env SECRETPACK_PASSPHRASE=nope "$SP" cat -p "$T/both.spk" db_password
is "-r and -p: passphrase plus context" "s3cret-db-password" \
	"$(SECRETPACK_PASSPHRASE_FILE="$T/pass" sh -c '"$1" seal -p --context c@d -o "$2" "$3" 2>&1 && "$1" cat -p --context c@d "$2" db_password 2>&1' \
		- "$SP" "$T/ctx.spk" "$T/in/db_password")"
