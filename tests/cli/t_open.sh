#!/bin/sh
# open: the directory and file modes it creates, all or nothing on every kind of bad bundle, one
# precise message per cause, and the committed golden bundles.
. "$SP_TESTS/cli/lib.sh"
unset SECRETPACK_KEY SECRETPACK_KEY_FILE SECRETPACK_PASSPHRASE SECRETPACK_PASSPHRASE_FILE
code() { _want=$1; shift; "$@"; _got=$?; [ "$_got" = "$_want" ] || echo "exit code $_got, expected $_want" >&2; return "$_got"; }
notty() { setsid -w "$@" </dev/null; }
same() { if cmp -s "$2" "$3"; then ok "$1"; else notok "$1"; fi; }
size() { wc -c <"$1" | tr -d ' '; }
# flip FILE OFFSET: flips the low bit of one byte in place.
flip() {
	b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
	printf "\\$(printf %o $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# poke FILE OFFSET OCTAL: sets one byte. Offsets are those of doc/FORMAT.md: version u16 at 8,
# suite u8 at 10.
poke() { printf "\\$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }

"$SP" keygen -o "$T/id" >"$T/id.out" 2>&1 || notok "keygen"
"$SP" keygen -o "$T/id2" >"$T/id2.out" 2>&1 || notok "keygen 2"
RCPT=$(tail -n 1 "$T/id.out")
mkdir -p "$T/in"
printf 's3cret-db-password' >"$T/in/db_password"
printf 'tok-4f9a2c' >"$T/in/api_token"
head -c 150000 /dev/urandom >"$T/in/blob"
cat >"$T/in/manifest.ini" <<'EOF'
[bundle]
context = shop@test

[secret db_password]
file = db_password
mode = 0440

[secret api_token]
file = api_token

[secret nested/deeper/blob]
file = blob
mode = 0600
EOF
"$SP" seal -r "$RCPT" -m "$T/in/manifest.ini" -o "$T/b.spk" 2>"$T/.err" || { notok "seal"; cat "$T/.err"; exit 1; }
O="--context shop@test"

# A good bundle.
# shellcheck disable=SC2086
check "open into a new directory" "$SP" open -i "$T/id" $O -o "$T/out" "$T/b.spk"
is "nothing on stdout" "" "$(cat "$T/.out")"
is "new DIR created 0700" 700 "$(stat -c %a "$T/out")"
is "default entry mode 0400" 400 "$(stat -c %a "$T/out/api_token")"
is "manifest mode 0440" 440 "$(stat -c %a "$T/out/db_password")"
is "manifest mode 0600" 600 "$(stat -c %a "$T/out/nested/deeper/blob")"
is "nested directories created 0700" "700 700" "$(stat -c %a "$T/out/nested" "$T/out/nested/deeper" | tr '\n' ' ' | sed 's/ $//')"
same "contents byte-exact" "$T/in/blob" "$T/out/nested/deeper/blob"
is "exactly the entries, no staging left" "api_token db_password nested" "$(ls -A "$T/out" | tr '\n' ' ' | sed 's/ $//')"
mkdir "$T/existing"
chmod 750 "$T/existing"
# shellcheck disable=SC2086
check "open into an existing empty directory" "$SP" open -i "$T/id" $O -o "$T/existing" "$T/b.spk"
is "existing DIR keeps its mode" 750 "$(stat -c %a "$T/existing")"
is "existing DIR: entries written" "s3cret-db-password" "$(cat "$T/existing/db_password")"
export SECRETPACK_KEY_FILE="$T/id"
# shellcheck disable=SC2086
check "SECRETPACK_KEY_FILE instead of -i" "$SP" open $O -o "$T/viafile" "$T/b.spk"
unset SECRETPACK_KEY_FILE
# shellcheck disable=SC2086
check "SECRETPACK_KEY (identity text) instead of -i" \
	env SECRETPACK_KEY="$(grep '^SPKSEC1' "$T/id")" "$SP" open $O -o "$T/viaenv" "$T/b.spk"
is "SECRETPACK_KEY: entries written" "tok-4f9a2c" "$(cat "$T/viaenv/api_token" 2>&1)"

# Bad bundles, each with its own message; nothing is left behind.
sz=$(size "$T/b.spk")
cp "$T/b.spk" "$T/tampered.spk"; flip "$T/tampered.spk" $((sz - 5))
cp "$T/b.spk" "$T/middle.spk"; flip "$T/middle.spk" $((sz / 2))
head -c $((sz - 1)) "$T/b.spk" >"$T/short1.spk"
head -c $((sz - 17)) "$T/b.spk" >"$T/nofinal.spk"
head -c $((sz / 2)) "$T/b.spk" >"$T/half.spk"
head -c 20 "$T/b.spk" >"$T/header.spk"
{ cat "$T/b.spk"; printf 'x'; } >"$T/appended.spk"
head -c 4096 /dev/urandom >"$T/random.spk"
: >"$T/empty.spk"
printf 'SPKB' >"$T/magic4.spk"
cp "$T/b.spk" "$T/v0.spk"; poke "$T/v0.spk" 8 000
cp "$T/b.spk" "$T/v3.spk"; poke "$T/v3.spk" 8 003
cp "$T/b.spk" "$T/v258.spk"; poke "$T/v258.spk" 8 002; poke "$T/v258.spk" 9 001
cp "$T/b.spk" "$T/suite.spk"; poke "$T/suite.spk" 10 002
# The context sits in the header: changing it must break the header MAC, not just the check.
off=$(grep -obaF 'shop@test' "$T/b.spk" | head -n 1 | cut -d: -f1)
cp "$T/b.spk" "$T/ctxedit.spk"; [ -n "$off" ] && poke "$T/ctxedit.spk" "$off" 123 # 'S'
# An expired bundle: the format vector sealed with an expiry long past (tests/vectors).
vec() { # vec NAME OUT: the bundle bytes of tests/vectors/NAME.vec (the hex after the first blank line).
	hex=$(sed '1,/^[[:space:]]*$/d' "$SP_TESTS/vectors/$1.vec" | tr -d ' \t\r\n' |
		awk '{ h = "0123456789abcdef"; s = tolower($0)
			for (i = 1; i < length(s); i += 2)
				printf "\\%03o", (index(h, substr(s, i, 1)) - 1) * 16 + index(h, substr(s, i + 1, 1)) - 1 }')
	# shellcheck disable=SC2059
	printf "$hex" >"$2"
}
cp "$SP_TESTS/cli/keys/vector.key" "$T/vector.key"; chmod 600 "$T/vector.key"
vec expired-now "$T/expired.spk"
vec ok-single "$T/vector-ok.spk"
is "format vector ok-single opens through the CLI" \
	"e162eda9b5ed15fdefdd53b5dae85b8738ea8d415f4c51b2529b92df144c6da5" \
	"$("$SP" cat -i "$T/vector.key" "$T/vector-ok.spk" db/password 2>&1 | sha256sum | cut -d' ' -f1)"

# bad NAME PATTERN BUNDLE [open options...]: refused into a new DIR (left absent) and into an
# existing empty DIR (left empty).
bad() {
	_case=$1 _pat=$2 _b=$3; shift 3
	refuse "$_case: refused" "$_pat" code 1 "$SP" open -i "$T/id" "$@" -o "$T/new-$_case" "$T/$_b"
	[ ! -e "$T/new-$_case" ] && ok "$_case: new DIR absent" || notok "$_case: new DIR absent"
	mkdir -p "$T/ex-$_case"
	"$SP" open -i "$T/id" "$@" -o "$T/ex-$_case" "$T/$_b" >/dev/null 2>&1
	is "$_case: existing DIR left empty" "" "$(ls -A "$T/ex-$_case")"
}
bad tampered "tampered" tampered.spk $O
bad tampered-middle "tampered" middle.spk $O
bad truncated-1 "truncated" short1.spk $O
bad truncated-final "truncated" nofinal.spk $O
bad truncated-half "truncated" half.spk $O
bad truncated-header "truncated" header.spk $O
bad appended "unexpected data after the end" appended.spk $O
bad random "not a secretpack bundle" random.spk $O
bad empty "not a secretpack bundle" empty.spk $O
bad magic-only "truncated" magic4.spk $O
bad version-0 "malformed bundle header" v0.spk $O
bad version-3 "version 3 is not supported.*upgrade" v3.spk $O
bad version-258 "version 258 is not supported" v258.spk $O
bad suite "algorithm suite" suite.spk $O
bad header-edit "header authentication failed" ctxedit.spk --context Shop@test
bad wrong-key "wrong key" b.spk $O -i "$T/id2"
bad wrong-context "context mismatch" b.spk --context shop@prod
bad expired "expired" expired.spk -i "$T/vector.key"
bad missing "no such file" missing.spk $O

# The causes must not blur: each message says one thing.
# msg OPTIONS... BUNDLE: the error line of a refused open (stderr only).
# shellcheck disable=SC2069
msg() { "$SP" open -i "$T/id" "$@" -o "$T/nowhere" 2>&1 >/dev/null; }
# shellcheck disable=SC2086
m_key=$(msg $O -i "$T/id2" "$T/b.spk") m_tamp=$(msg $O "$T/tampered.spk") m_trunc=$(msg $O "$T/short1.spk")
# shellcheck disable=SC2086
m_ctx=$(msg --context x "$T/b.spk") m_nb=$(msg $O "$T/random.spk") m_exp=$(msg -i "$T/vector.key" "$T/expired.spk")
for pair in "m_key:tamper|truncat|context|expired" "m_tamp:wrong key|truncat|context" \
	"m_trunc:tamper|wrong key|context" "m_ctx:tamper|wrong key|truncat" "m_nb:tamper|wrong key|truncat" \
	"m_exp:tamper|wrong key|truncat|context"; do
	v=${pair%%:*} words=${pair#*:}
	eval "text=\$$v"
	if printf '%s' "$text" | grep -Eqi "$words"; then notok "$v is specific: $text"; else ok "$v is specific"; fi
done
m_ctx2=$(msg --context shop@prod "$T/b.spk")
printf '%s' "$m_ctx2" | grep -q "'shop@test'" && printf '%s' "$m_ctx2" | grep -q "'shop@prod'" &&
	ok "context mismatch names both contexts" || notok "context mismatch names both contexts: $m_ctx2"

# Hostile or odd targets.
mkdir -p "$T/trap"
printf 'precious' >"$T/victim"
ln -s "$T/victim" "$T/trap/db_password"
# shellcheck disable=SC2086
refuse "a symlink at an entry path: refused (DIR not empty)" "trap: not empty.*--force" code 1 \
	"$SP" open -i "$T/id" $O -o "$T/trap" "$T/b.spk"
# shellcheck disable=SC2086
refuse "a symlink at an entry path, --force: refused" "db_password: a symbolic link in the way" code 1 \
	"$SP" open -i "$T/id" $O --force -o "$T/trap" "$T/b.spk"
is "symlink target untouched" "precious" "$(cat "$T/victim")"
is "symlinked DIR: nothing else written" "db_password" "$(ls -A "$T/trap")"
ln -s "$T/out" "$T/dirlink"
# shellcheck disable=SC2086
refuse "DIR is a symlink: refused" "not a directory" code 1 "$SP" open -i "$T/id" $O -o "$T/dirlink" "$T/b.spk"
printf 'x' >"$T/afile"
# shellcheck disable=SC2086
refuse "DIR is a file: refused" "not a directory" code 1 "$SP" open -i "$T/id" $O -o "$T/afile" "$T/b.spk"
"$SP" seal -r "$RCPT" -o "$T/flat.spk" "$T/in/db_password" "$T/in/api_token" 2>/dev/null
mkdir -p "$T/again"
"$SP" open -i "$T/id" -o "$T/again" "$T/flat.spk" >/dev/null 2>&1
printf 'changed' >"$T/in/db_password.new"
"$SP" seal -r "$RCPT" -o "$T/flat.spk" "db_password=$T/in/db_password.new" "$T/in/api_token" 2>/dev/null
refuse "open again into the same DIR: refused without --force" "again: not empty.*--force" code 1 \
	"$SP" open -i "$T/id" -o "$T/again" "$T/flat.spk"
is "open again without --force: files untouched" "s3cret-db-password" "$(cat "$T/again/db_password")"
check "open again into the same DIR with --force" "$SP" open -i "$T/id" --force -o "$T/again" "$T/flat.spk"
is "open again: entries replaced with the new content" "changed" "$(cat "$T/again/db_password")"
# shellcheck disable=SC2086
refuse "open again a bundle with nested names, --force: refused (no merge into nested/)" \
	"out/nested: an existing directory in the way" code 1 "$SP" open -i "$T/id" $O --force -o "$T/out" "$T/b.spk"
is "nested names refused: the tree is as it was" "api_token db_password nested" \
	"$(ls -A "$T/out" | tr '\n' ' ' | sed 's/ $//')"
refuse "cat --force: exit 2" "unknown option --force" code 2 "$SP" cat -i "$T/id" --force "$T/b.spk" api_token

# Keys.
cp "$T/id" "$T/loose.key"; chmod 644 "$T/loose.key"
# shellcheck disable=SC2086
refuse "a world-readable identity: refused" "chmod 600" code 1 "$SP" open -i "$T/loose.key" $O -o "$T/x" "$T/b.spk"
# shellcheck disable=SC2086
refuse "no identity at all: refused" "no identity" code 1 notty "$SP" open $O -o "$T/x" "$T/b.spk"
# shellcheck disable=SC2086
refuse "a missing identity file" "no such file" code 1 "$SP" open -i "$T/nokey" $O -o "$T/x" "$T/b.spk"
# shellcheck disable=SC2086
refuse "-p on a bundle without passphrase recipient" "no passphrase recipient" code 1 \
	env SECRETPACK_PASSPHRASE=x "$SP" open -p $O -o "$T/x" "$T/b.spk"
[ ! -e "$T/x" ] && ok "key failures leave no DIR" || notok "key failures leave no DIR"

# The committed golden bundles (tests/cli/keys/make-golden.sh): old bundles and keys stay readable.
K=$SP_TESTS/cli/keys
G=$K/golden
cp "$K/test.key" "$T/test.key"; chmod 600 "$T/test.key"
cp "$K/test-enc.key" "$T/test-enc.key"; chmod 600 "$T/test-enc.key"
cp "$K/test-enc.pass" "$T/pass"; chmod 600 "$T/pass"
check "golden bundle opens with the committed test identity" \
	"$SP" open -i "$T/test.key" --context golden@secretpack -o "$T/golden" "$K/golden.spk"
same "golden: text entry" "$G/golden.txt" "$T/golden/golden.txt"
same "golden: nested entry" "$G/nested.txt" "$T/golden/dir/nested"
is "golden: nested entry mode 0440" 440 "$(stat -c %a "$T/golden/dir/nested" 2>&1)"
same "golden: empty entry" "$G/empty" "$T/golden/empty"
same "golden: all 256 byte values" "$G/bytes.bin" "$T/golden/bytes"
check "golden armored bundle opens" \
	"$SP" open -i "$T/test.key" --context golden@secretpack -o "$T/golden-a" "$K/golden-armored.spk"
diff -r "$T/golden" "$T/golden-a" >/dev/null 2>&1 && ok "golden armored: same entries" || notok "golden armored: same entries"
is "golden passphrase bundle opens with its passphrase" "secretpack golden bundle" \
	"$(SECRETPACK_PASSPHRASE_FILE="$T/pass" "$SP" cat -p --context golden@secretpack "$K/golden-pass.spk" golden.txt 2>&1)"
is "golden passphrase bundle opens with the encrypted identity" "secretpack golden bundle" \
	"$(SECRETPACK_PASSPHRASE="$(cat "$T/pass")" "$SP" cat -i "$T/test-enc.key" --context golden@secretpack \
		"$K/golden-pass.spk" golden.txt 2>&1)"

# Usage.
"$SP" open -h >"$T/.out" 2>"$T/.err"
is "open -h: exit 0" 0 $?
grep -q '^usage: secretpack open' "$T/.out" && ok "open -h: usage on stdout" || notok "open -h: usage on stdout"
refuse "open without -o: exit 2" "no output directory" code 2 "$SP" open -i "$T/id" "$T/b.spk"
refuse "open without bundle: exit 2" "one bundle" code 2 "$SP" open -i "$T/id" -o "$T/x"
refuse "open with two bundles: exit 2" "one bundle" code 2 "$SP" open -i "$T/id" -o "$T/x" "$T/b.spk" "$T/b.spk"
refuse "open with --json: exit 2" "option" code 2 "$SP" open --json -i "$T/id" -o "$T/x" "$T/b.spk"
refuse "open with an unknown option: exit 2" "unknown option" code 2 "$SP" open --bogus -i "$T/id" -o "$T/x" "$T/b.spk"
[ ! -e "$T/x" ] && ok "usage errors leave no DIR" || notok "usage errors leave no DIR"

# Keys first, then the passphrase (doc/FORMAT.md, Unlocking): -p does not drop -i or
# SECRETPACK_KEY[_FILE], so a bundle sealed only to the identity opens, and a wrong key with a
# passphrase is "wrong key", not "no passphrase recipient".
R2=$(tail -n 1 "$T/id2.out")
"$SP" seal -r "$RCPT" -o "$T/k.spk" "$T/in/db_password" 2>/dev/null || notok "seal to the key only"
rm -rf "$T/kp"
check "open -p -i on a bundle sealed only to the identity" \
	notty env SECRETPACK_PASSPHRASE=pw "$SP" open -p -i "$T/id" -o "$T/kp" "$T/k.spk"
same "open -p -i: content" "$T/in/db_password" "$T/kp/db_password"
rm -rf "$T/kp"
check "open -p with SECRETPACK_KEY_FILE on a bundle sealed only to the identity" \
	notty env SECRETPACK_PASSPHRASE=pw SECRETPACK_KEY_FILE="$T/id" "$SP" open -p -o "$T/kp" "$T/k.spk"
same "open -p with SECRETPACK_KEY_FILE: content" "$T/in/db_password" "$T/kp/db_password"
refuse "open -p -i with a key that is not a recipient: wrong key" "wrong key or not a recipient" code 1 \
	notty env SECRETPACK_PASSPHRASE=pw "$SP" open -p -i "$T/id2" -o "$T/kp2" "$T/k.spk"
[ ! -e "$T/kp2" ] && ok "wrong key with -p: no DIR" || notok "wrong key with -p: no DIR"
SECRETPACK_PASSPHRASE='bundle pass' "$SP" seal -p -r "$R2" -o "$T/kpp.spk" "$T/in/db_password" 2>/dev/null ||
	notok "seal to a key and a passphrase"
rm -rf "$T/kp3"
check "open -p -i: a key that is not a recipient, then the right passphrase, opens" \
	notty env SECRETPACK_PASSPHRASE='bundle pass' "$SP" open -p -i "$T/id" -o "$T/kp3" "$T/kpp.spk"
same "key then passphrase: content" "$T/in/db_password" "$T/kp3/db_password"
refuse "open -p -i: wrong key and wrong passphrase: wrong passphrase" "wrong passphrase" code 1 \
	notty env SECRETPACK_PASSPHRASE='not it' "$SP" open -p -i "$T/id" -o "$T/kp4" "$T/kpp.spk"
[ ! -e "$T/kp4" ] && ok "wrong passphrase with -i: no DIR" || notok "wrong passphrase with -i: no DIR"
# A passphrase with a line break inside is a usage error naming where it came from.
printf 'bundle pass\nsecond\n' >"$T/pass-2lines"
chmod 600 "$T/pass-2lines"
refuse "open -p: a two-line passphrase file: usage error naming the variable" \
	"SECRETPACK_PASSPHRASE_FILE: the passphrase holds a line break or NUL byte" code 2 \
	notty env SECRETPACK_PASSPHRASE_FILE="$T/pass-2lines" "$SP" open -p -o "$T/kp5" "$T/kpp.spk"
[ ! -e "$T/kp5" ] && ok "two-line passphrase: no DIR" || notok "two-line passphrase: no DIR"
printf 'bundle pass\n' >"$T/pass-1line"
chmod 600 "$T/pass-1line"
rm -rf "$T/kp6"
check "open -p: one trailing newline in the file is not part of the passphrase" \
	notty env SECRETPACK_PASSPHRASE_FILE="$T/pass-1line" "$SP" open -p -o "$T/kp6" "$T/kpp.spk"
# -p with a key from the environment that does not load (an identity encrypted under another
# passphrase): the key is skipped and the bundle's passphrase used; with -i it stays an error.
SECRETPACK_PASSPHRASE='identity pass' "$SP" keygen --passphrase -o "$T/enc" >"$T/enc.out" 2>&1 || notok "keygen --passphrase"
SECRETPACK_PASSPHRASE='bundle pass' "$SP" seal -p -r "$(tail -n 1 "$T/enc.out")" -o "$T/encb.spk" "$T/in/db_password" 2>/dev/null ||
	notok "seal to the encrypted identity and a passphrase"
rm -rf "$T/kp7"
check "open -p, SECRETPACK_KEY_FILE an identity under another passphrase: the bundle passphrase opens" \
	notty env SECRETPACK_KEY_FILE="$T/enc" SECRETPACK_PASSPHRASE='bundle pass' "$SP" open -p -o "$T/kp7" "$T/encb.spk"
same "skipped key, passphrase: content" "$T/in/db_password" "$T/kp7/db_password"
refuse "open -p -i with that identity: the identity's wrong passphrase is reported" \
	"wrong passphrase for the encrypted identity" code 1 \
	notty env SECRETPACK_PASSPHRASE='bundle pass' "$SP" open -p -i "$T/enc" -o "$T/kp8" "$T/encb.spk"
