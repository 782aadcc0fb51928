#!/bin/sh
# set and rm, and the rewrite path they share with rekey and edit: one entry changes, every other
# byte of content and metadata, the recipients, context, expiry, signer and armor stay; the new
# bundle replaces the old one only once the old one verified to its end, and never on failure.
. "$SP_TESTS/cli/lib.sh"
unset SECRETPACK_KEY SECRETPACK_KEY_FILE SECRETPACK_PASSPHRASE SECRETPACK_PASSPHRASE_FILE SECRETPACK_TRUST
K=$SP_TESTS/cli/keys

"$SP" keygen -o "$T/a" >"$T/a.out" 2>&1 || { notok "keygen"; exit 1; }
"$SP" keygen -o "$T/b" >"$T/b.out" 2>&1
"$SP" keygen -o "$T/c" >"$T/c.out" 2>&1
"$SP" keygen --sign -o "$T/sig.key" >"$T/sig.out" 2>&1
"$SP" keygen --sign -o "$T/sig2.key" >"$T/sig2.out" 2>&1
A=$(tail -n 1 "$T/a.out"); B=$(tail -n 1 "$T/b.out")
SIGNER=$(tail -n 1 "$T/sig.out")
mkdir -p "$T/in"
printf 'old-db-password' >"$T/in/db"
printf 'tok-4f9a2c' >"$T/in/api"
head -c 150000 /dev/urandom >"$T/in/blob"
cat >"$T/in/m.ini" <<EOF
[secret db]
file = db
mode = 0440
owner = 1000:1000
env = DB_PASSWORD
[secret api]
file = api
env = API_TOKEN
[secret blob]
file = blob
mode = 0600
EOF
"$SP" seal -r "$A" -r "$B" --context prod/eu --expires 30d -o "$T/x.spk" -m "$T/in/m.ini" ||
	{ notok "seal"; exit 1; }
chmod 640 "$T/x.spk"

# json view of the bundle minus one entry and the creation time (a rewrite is a new seal)
meta() { "$SP" inspect -i "$T/a" --json "$1" | jq -c --arg n "${2:-}" 'del(.created, .bundle, .checks) | .entries |= map(select(.name != $n))'; }
content() { "$SP" cat -i "$T/${3:-a}" --context prod/eu "$1" "$2"; }
same() { if cmp -s "$2" "$3"; then ok "$1"; else notok "$1"; fi; }
notemp() { is "$1: no temporary file left" "" "$(ls -A "$2" | grep '\.tmp-' | head -n 3)"; }

# ---- set: replace ----
meta "$T/x.spk" db >"$T/before"
cp "$T/x.spk" "$T/x0.spk"
printf 'new-db-password' >"$T/in/db2"
check "set replaces an entry from a file" "$SP" set -i "$T/a" "$T/x.spk" db "$T/in/db2"
is "set: stderr empty" "" "$(cat "$T/.err")"
is "set: the new content" "new-db-password" "$(content "$T/x.spk" db)"
is "set: every other entry, recipient, context and expiry unchanged" "$(cat "$T/before")" "$(meta "$T/x.spk" db)"
is "set: the replaced entry keeps mode, owner, env" '{"name":"db","size":15,"mode":"0440","owner":"1000:1000","env":"DB_PASSWORD"}' \
	"$("$SP" inspect -i "$T/a" --json "$T/x.spk" | jq -c '.entries[0]')"
content "$T/x.spk" blob >"$T/got"
cmp -s "$T/got" "$T/in/blob" && ok "set: a kept 150 kB entry byte-exact" || notok "set: a kept 150 kB entry byte-exact"
is "set: the other recipient still opens it" "tok-4f9a2c" "$(content "$T/x.spk" api b)"
is "set: the bundle's file mode is kept" "640" "$(stat -c %a "$T/x.spk")"
notemp "set" "$T"
if [ "$(id -u)" = 0 ]; then
	chown 1000:1500 "$T/x.spk"
	"$SP" set -i "$T/a" "$T/x.spk" db "$T/in/db2" 2>"$T/err"
	is "set as root: the bundle keeps its owner and mode" "0|1000:1500 640" "$?|$(stat -c '%u:%g %a' "$T/x.spk")"
	chown 0:0 "$T/x.spk"
else
	skip "set as root: owner kept" "needs root"
fi

# ---- set: metadata flags, new entry, stdin ----
check "set --mode --owner --env" "$SP" set -i "$T/a" --mode 0400 --owner app --env DB_PW "$T/x.spk" db "$T/in/db2"
is "set: flags change the metadata" '{"name":"db","size":15,"mode":"0400","owner":"app","env":"DB_PW"}' \
	"$("$SP" inspect -i "$T/a" --json "$T/x.spk" | jq -c '.entries[0]')"
check "set --owner '' --env '' clears them" "$SP" set -i "$T/a" --owner '' --env '' "$T/x.spk" db "$T/in/db2"
is "set: cleared owner and env" 'null|null' "$("$SP" inspect -i "$T/a" --json "$T/x.spk" | jq -r '.entries[0] | "\(.owner)|\(.env)"')"
meta "$T/x.spk" >"$T/before"
printf 'from-stdin' | "$SP" set -i "$T/a" "$T/x.spk" new/nested >"$T/out" 2>"$T/err"
is "set from stdin (no FILE): exit 0, nothing printed" "0||" "$?|$(cat "$T/out")|$(cat "$T/err")"
is "set: new entry content" "from-stdin" "$(content "$T/x.spk" new/nested)"
is "set: new entry gets the defaults, appended" '{"name":"new/nested","size":10,"mode":"0400","owner":null,"env":null}' \
	"$("$SP" inspect -i "$T/a" --json "$T/x.spk" | jq -c '.entries[-1]')"
is "set: adding keeps every other entry" "$(cat "$T/before")" "$(meta "$T/x.spk" new/nested)"
printf 'dash' | "$SP" set -i "$T/a" "$T/x.spk" new/nested - 2>"$T/err"
is "set NAME -: reads stdin" "dash" "$(content "$T/x.spk" new/nested)"
: | "$SP" set -i "$T/a" "$T/x.spk" empty 2>"$T/err"
is "set: an empty entry from empty stdin" "0" "$("$SP" inspect -i "$T/a" --json "$T/x.spk" | jq '.entries[] | select(.name == "empty") | .size')"

# ---- stdin on a terminal: never echoed; echo back on after an interrupt ----
cp "$T/x.spk" "$T/x1.spk"
python3 "$SP_TESTS/cli/ttyset.py" "$SP" "$T/a" "$T/x.spk" typed "typed-$$-secret" >"$T/tty" 2>&1
is "set on a terminal: exit 0, echo restored" "exit:0|echo:on" "$(grep -E '^(exit|echo):' "$T/tty" | paste -sd'|')"
grep -q "typed-$$-secret" "$T/tty" && notok "set on a terminal: the secret was not echoed" || ok "set on a terminal: the secret was not echoed"
is "set on a terminal: the typed line is the entry" "typed-$$-secret" "$(content "$T/x.spk" typed)"
cp "$T/x.spk" "$T/x1.spk"
python3 "$SP_TESTS/cli/ttyset.py" "$SP" "$T/a" "$T/x.spk" typed2 '^C' >"$T/tty" 2>&1
is "set on a terminal, Ctrl-C: killed by SIGINT, echo back on" "exit:-2|echo:on" "$(grep -E '^(exit|echo):' "$T/tty" | paste -sd'|')"
cmp -s "$T/x.spk" "$T/x1.spk" && ok "set on a terminal, Ctrl-C: bundle byte-identical" || notok "set on a terminal, Ctrl-C: bundle byte-identical"
"$SP" rm -i "$T/a" "$T/x.spk" typed 2>/dev/null

# ---- refusals: nothing changes ----
cp "$T/x.spk" "$T/x1.spk"
refuse "set: an invalid name" "entry '../x': unsafe entry name" "$SP" set -i "$T/a" "$T/x.spk" ../x "$T/in/db2"
refuse "set: a name under an existing file" "clashes with entry 'db'" "$SP" set -i "$T/a" "$T/x.spk" db/x "$T/in/db2"
refuse "set: an env another entry sets" "--env API_TOKEN: entry 'api' already sets it" \
	"$SP" set -i "$T/a" --env API_TOKEN "$T/x.spk" db "$T/in/db2"
refuse "set: a refused env name" "--env LD_PRELOAD: not allowed" "$SP" set -i "$T/a" --env LD_PRELOAD "$T/x.spk" db "$T/in/db2"
refuse "set: a bad mode" "--mode 0200: give octal permission bits" "$SP" set -i "$T/a" --mode 0200 "$T/x.spk" db "$T/in/db2"
refuse "set: a missing file" "nope: no such file" "$SP" set -i "$T/a" "$T/x.spk" db "$T/in/nope"
ln -s "$T/in/db2" "$T/in/link"
refuse "set: a symlink as FILE" "a symbolic link" "$SP" set -i "$T/a" "$T/x.spk" db "$T/in/link"
refuse "set: a key that is not a recipient" "wrong key or not a recipient" "$SP" set -i "$T/c" "$T/x.spk" db "$T/in/db2"
refuse "set: no identity" "no identity: pass -i FILE" "$SP" set "$T/x.spk" db "$T/in/db2"
refuse "set: stdin as the bundle without -o" "BUNDLE - reads the bundle from stdin, which cannot be replaced: give -o OUT" "$SP" set -i "$T/a" - db "$T/in/db2"
refuse "set: a directory as the bundle" "not a regular file" "$SP" set -i "$T/a" "$T/in" db "$T/in/db2"
refuse "set: usage" "expected BUNDLE NAME" "$SP" set -i "$T/a" "$T/x.spk"
cmp -s "$T/x.spk" "$T/x1.spk" && ok "refused sets: bundle byte-identical" || notok "refused sets: bundle byte-identical"
notemp "refused sets" "$T"

# ---- -o OUT ----
check "set -o OUT" "$SP" set -i "$T/a" -o "$T/out.spk" "$T/x.spk" api "$T/in/db2"
cmp -s "$T/x.spk" "$T/x1.spk" && ok "set -o: BUNDLE untouched" || notok "set -o: BUNDLE untouched"
is "set -o: OUT has the change" "new-db-password" "$(content "$T/out.spk" api)"

# ---- rm ----
meta "$T/x.spk" api >"$T/before"
check "rm one entry" "$SP" rm -i "$T/a" "$T/x.spk" api
is "rm: every other entry, recipient, context and expiry unchanged" "$(cat "$T/before")" "$(meta "$T/x.spk")"
refuse "rm: the removed entry is gone" "no entry named 'api'" "$SP" cat -i "$T/a" --context prod/eu "$T/x.spk" api
content "$T/x.spk" blob >"$T/got"
cmp -s "$T/got" "$T/in/blob" && ok "rm: a kept entry byte-exact" || notok "rm: a kept entry byte-exact"
check "rm several" "$SP" rm -i "$T/a" "$T/x.spk" empty new/nested
is "rm several: what is left" "db blob" "$("$SP" inspect -i "$T/a" --json "$T/x.spk" | jq -r '[.entries[].name] | join(" ")')"
cp "$T/x.spk" "$T/x2.spk"
refuse "rm: a missing name" "no entry named 'nope': nothing removed" "$SP" rm -i "$T/a" "$T/x.spk" db nope
refuse "rm: every entry" "no entry would be left" "$SP" rm -i "$T/a" "$T/x.spk" db blob
cmp -s "$T/x.spk" "$T/x2.spk" && ok "refused rm: bundle byte-identical" || notok "refused rm: bundle byte-identical"

# ---- armor ----
"$SP" seal -r "$A" -a -o "$T/a.spk" "$T/in/db" "$T/in/api"
check "set on an armored bundle" "$SP" set -i "$T/a" "$T/a.spk" db "$T/in/db2"
is "set: armored stays armored" "-----BEGIN SECRETPACK BUNDLE-----" "$(head -n 1 "$T/a.spk")"
is "set: armored opens" "new-db-password" "$("$SP" cat -i "$T/a" "$T/a.spk" db)"
check "rm on an armored bundle" "$SP" rm -i "$T/a" "$T/a.spk" api
is "rm: armored stays armored" "-----BEGIN SECRETPACK BUNDLE-----" "$(head -n 1 "$T/a.spk")"

# ---- failures halfway leave the bundle intact ----
# A byte of the old bundle's final message changed: detected only after all content was streamed.
"$SP" seal -r "$A" -o "$T/t.spk" "$T/in/db" "$T/in/blob"
size=$(wc -c <"$T/t.spk")
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[-5]^=1; open(p,"wb").write(b)' "$T/t.spk"
cp "$T/t.spk" "$T/t0.spk"
refuse "set: a bundle tampered in its final message" "t.spk: .*tampered" "$SP" set -i "$T/a" "$T/t.spk" db "$T/in/db2"
cmp -s "$T/t.spk" "$T/t0.spk" && ok "tampered: bundle byte-identical" || notok "tampered: bundle byte-identical"
notemp "tampered" "$T"
refuse "rm -o: a tampered bundle writes no OUT" "tampered" "$SP" rm -i "$T/a" -o "$T/t-out.spk" "$T/t.spk" db
[ ! -e "$T/t-out.spk" ] && ok "tampered -o: no OUT" || notok "tampered -o: no OUT"
# A full disk while writing the new bundle: a 256 kB tmpfs holding a 150 kB bundle.
if unshare -m true 2>/dev/null; then
	"$SP" seal -r "$A" -o "$T/full.spk" "$T/in/db" "$T/in/blob"
	mkdir -p "$T/tiny"
	unshare -m sh -c '
		mount -t tmpfs -o size=256k tmpfs "$2" && cp "$3" "$2/b.spk" && cp "$3" "$2/b0.spk.orig" 2>/dev/null
		rm -f "$2/b0.spk.orig"
		"$1" set -i "$4" "$2/b.spk" db "$5" >"$2/../full.out" 2>"$2/../full.err"; echo $? >"$2/../full.rc"
		cmp "$2/b.spk" "$3" >/dev/null && echo same >"$2/../full.cmp"
		ls -A "$2" >"$2/../full.ls"' - "$SP" "$T/tiny" "$T/full.spk" "$T/a" "$T/in/db2"
	is "full disk: set fails" "1" "$(cat "$T/full.rc")"
	grep -q "^secretpack: set: $T/tiny/b.spk: No space left on device" "$T/full.err" && [ "$(wc -l <"$T/full.err")" = 1 ] &&
		ok "full disk: one line naming the output and the cause" || { notok "full disk: one line naming the output and the cause"; sed 's/^/# /' "$T/full.err"; }
	is "full disk: bundle byte-identical" "same" "$(cat "$T/full.cmp" 2>/dev/null)"
	is "full disk: no temporary file left" "b.spk" "$(cat "$T/full.ls")"
else
	skip "full disk" "needs mount namespaces"
fi

# ---- signed bundles stay signed ----
"$SP" seal -r "$A" --sign "$T/sig.key" -o "$T/s.spk" "$T/in/db" "$T/in/api"
cp "$T/s.spk" "$T/s0.spk"
refuse "set on a signed bundle without --sign" "signed by $SIGNER: pass --sign FILE" "$SP" set -i "$T/a" "$T/s.spk" db "$T/in/db2"
refuse "set on a signed bundle with another key" "but --sign .*sig2.key is spksig1.*rekey --sign" \
	"$SP" set -i "$T/a" --sign "$T/sig2.key" "$T/s.spk" db "$T/in/db2"
cmp -s "$T/s.spk" "$T/s0.spk" && ok "signed, refused: bundle byte-identical" || notok "signed, refused: bundle byte-identical"
check "set --sign on a signed bundle" "$SP" set -i "$T/a" --sign "$T/sig.key" "$T/s.spk" db "$T/in/db2"
is "set --sign: still signed, by the same key, and it verifies" "new-db-password" \
	"$("$SP" cat -i "$T/a" --trust "$SIGNER" "$T/s.spk" db)"
check "rm --sign on a signed bundle" "$SP" rm -i "$T/a" --sign "$T/sig.key" "$T/s.spk" api
is "rm --sign: signer kept" "$SIGNER" "$("$SP" inspect --json "$T/s.spk" | jq -r .signer)"

# ---- passphrase recipient kept ----
SECRETPACK_PASSPHRASE='bundle pass' "$SP" seal -r "$A" -p -o "$T/p.spk" "$T/in/db" "$T/in/api"
cp "$T/p.spk" "$T/p0.spk"
refuse "set: a passphrase recipient needs its passphrase" "has a passphrase recipient, which the rewrite keeps" \
	"$SP" set -i "$T/a" "$T/p.spk" db "$T/in/db2" </dev/null
refuse "set: a wrong passphrase" "wrong passphrase" env SECRETPACK_PASSPHRASE=nope "$SP" set -i "$T/a" "$T/p.spk" db "$T/in/db2"
cmp -s "$T/p.spk" "$T/p0.spk" && ok "passphrase, refused: bundle byte-identical" || notok "passphrase, refused: bundle byte-identical"
check "set on a bundle with a passphrase" env SECRETPACK_PASSPHRASE='bundle pass' "$SP" set -i "$T/a" "$T/p.spk" db "$T/in/db2"
is "set: the passphrase still opens it" "new-db-password" "$(SECRETPACK_PASSPHRASE='bundle pass' "$SP" cat -p "$T/p.spk" db)"
is "set: the key still opens it" "tok-4f9a2c" "$("$SP" cat -i "$T/a" "$T/p.spk" api)"

# ---- version 1 and expired bundles ----
cp "$K/test.key" "$T/test.key"; chmod 600 "$T/test.key"
cp "$K/golden.spk" "$T/v1.spk"
refuse "set on a version 1 bundle" "format version 1 keeps no list of its recipients.*rekey -r" \
	"$SP" set -i "$T/test.key" "$T/v1.spk" x "$T/in/db2"
cmp -s "$T/v1.spk" "$K/golden.spk" && ok "version 1, refused: bundle byte-identical" || notok "version 1, refused: bundle byte-identical"
"$SP" seal -r "$A" --expires 1s -o "$T/e.spk" "$T/in/db"
sleep 2
cp "$T/e.spk" "$T/e0.spk"
refuse "set on an expired bundle" "expired at .*renew it with 'secretpack rekey --expires TIME'" \
	"$SP" set -i "$T/a" "$T/e.spk" db "$T/in/db2"
refuse "rm on an expired bundle" "expired at" "$SP" rm -i "$T/a" "$T/e.spk" db
cmp -s "$T/e.spk" "$T/e0.spk" && ok "expired, refused: bundle byte-identical" || notok "expired, refused: bundle byte-identical"

# ---- --allow-expired: set, rm, rekey rewrite an expired bundle, which stays expired ----
EXP_AT=$("$SP" inspect -i "$T/a" --json "$T/e.spk" | jq .expires)
printf 'other' >"$T/in/other"
refuse "set on an expired bundle: the refusal names --allow-expired and rekey --expires" \
	"expired at [0-9T:Z-]+: renew it with 'secretpack rekey --expires TIME' first, or pass --allow-expired" \
	"$SP" set -i "$T/a" "$T/e.spk" other "$T/in/other"
refuse "rekey (no --expires) on an expired bundle: names --allow-expired" "expired at .*--expires TIME .or --no-expiry. to renew it, or --allow-expired" \
	"$SP" rekey -i "$T/a" -r "$B" "$T/e.spk"
for v in set rm rekey; do
	cp "$T/e0.spk" "$T/e-$v.spk"
	case $v in
	set) "$SP" set -i "$T/a" --allow-expired "$T/e-$v.spk" db "$T/in/db2" >"$T/out" 2>"$T/err"; want="new-db-password" ;;
	rm) "$SP" set -i "$T/a" --allow-expired "$T/e-$v.spk" other "$T/in/other" 2>/dev/null
	    "$SP" rm -i "$T/a" --allow-expired "$T/e-$v.spk" other >"$T/out" 2>"$T/err"; want="old-db-password" ;;
	rekey) "$SP" rekey -i "$T/a" --allow-expired -r "$B" "$T/e-$v.spk" >"$T/out" 2>"$T/err"; want="old-db-password" ;;
	esac
	is "$v --allow-expired: exit 0" 0 "$?"
	grep -Eq "^secretpack: $v: $T/e-$v.spk: note: expired [0-9T:Z-]+, rewritten anyway \(--allow-expired\); the new bundle keeps that expiry" "$T/err" &&
		[ "$(wc -l <"$T/err")" -eq 1 ] && ok "$v --allow-expired: one note saying it expired and when" ||
		{ notok "$v --allow-expired: one note saying it expired and when"; sed 's/^/# /' "$T/err"; }
	is "$v --allow-expired: the expiry is kept (still expired)" "$EXP_AT" "$("$SP" inspect -i "$T/a" --json "$T/e-$v.spk" | jq .expires)"
	refuse "$v --allow-expired: the result still refuses to open without --allow-expired" "expired" \
		"$SP" cat -i "$T/a" "$T/e-$v.spk" db
	is "$v --allow-expired: the content" "$want" "$("$SP" cat -i "$T/a" --allow-expired "$T/e-$v.spk" db 2>/dev/null)"
done
is "rm --allow-expired: the entry is gone" "db" "$("$SP" inspect -i "$T/a" --json "$T/e-rm.spk" | jq -r '[.entries[].name] | join(",")')"
is "rekey --allow-expired: the added recipient opens it" "old-db-password" "$("$SP" cat -i "$T/b" --allow-expired "$T/e-rekey.spk" db 2>/dev/null)"
check "rekey --expires renews the --allow-expired result" "$SP" rekey -i "$T/a" --expires 1d "$T/e-set.spk"
is "renewed: opens without --allow-expired" "new-db-password" "$("$SP" cat -i "$T/a" "$T/e-set.spk" db)"

# ---- '-': the bundle from stdin (with -o), the new bundle to stdout (staged until verified) ----
cp "$T/x.spk" "$T/s0.spk"
mkdir -p "$T/stage"
"$SP" set -i "$T/a" -o - "$T/s0.spk" db "$T/in/db2" >"$T/s1.spk" 2>"$T/err"
is "set -o -: exit 0, nothing on stderr" "0|" "$?|$(cat "$T/err")"
is "set -o -: stdout is the new bundle" "new-db-password" "$(content "$T/s1.spk" db)"
is "set -o -: every other field kept" "$(meta "$T/x.spk" db)" "$(meta "$T/s1.spk" db)"
same "set -o -: BUNDLE untouched" "$T/x.spk" "$T/s0.spk"
cat "$T/x.spk" | "$SP" set -i "$T/a" -o "$T/s2.spk" - db "$T/in/db2" 2>"$T/err"
is "set - -o OUT: the bundle from a pipe, exit 0" "0|" "$?|$(cat "$T/err")"
is "set - -o OUT: new content" "new-db-password" "$(content "$T/s2.spk" db)"
is "set - -o OUT: every other field and entry kept" "$(meta "$T/x.spk" db)" "$(meta "$T/s2.spk" db)"
"$SP" rm -i "$T/a" -o - - blob <"$T/x.spk" >"$T/s3.spk" 2>"$T/err" || sed 's/^/# /' "$T/err"
is "rm - -o - (stdin a file): blob removed, the rest kept" "$(meta "$T/x.spk" blob)" "$(meta "$T/s3.spk" blob)"
cat "$T/x.spk" | "$SP" rekey -i "$T/a" -r "$("$SP" pubkey "$T/c")" -o - - | "$SP" cat -i "$T/c" --context prod/eu - db >"$T/got"
is "cat x.spk | rekey -o - - | cat -: the added recipient reads it" "$(content "$T/x.spk" db)" "$(cat "$T/got")"
"$SP" seal -a -r "$A" -o "$T/s.asc" "$T/in/db"
cat "$T/s.asc" | "$SP" set -i "$T/a" -o - - api "$T/in/api" >"$T/s4.asc"
is "an armored bundle on a pipe stays armored on stdout" "-----BEGIN SECRETPACK BUNDLE-----|tok-4f9a2c" \
	"$(head -n 1 "$T/s4.asc")|$("$SP" cat -i "$T/a" "$T/s4.asc" api)"
"$SP" set -i "$T/a" -o - - api "$T/in/api" <"$T/s.asc" >"$T/s5.asc"
is "an armored bundle as a stdin file stays armored" "-----BEGIN SECRETPACK BUNDLE-----" "$(head -n 1 "$T/s5.asc")"
# The old bundle's last byte flipped: nothing at all reaches stdout or OUT.
cp "$T/x.spk" "$T/bad.spk"
sz=$(stat -c %s "$T/bad.spk")
printf '\377' | dd of="$T/bad.spk" bs=1 seek=$((sz - 1)) conv=notrunc 2>/dev/null
cmp -s "$T/bad.spk" "$T/x.spk" && notok "flip the last byte"
refuse "set -o - of a bundle tampered at its end: refused" "tampered" "$SP" set -i "$T/a" -o - "$T/bad.spk" db "$T/in/db2"
is "set -o - of a tampered bundle: not a byte on stdout" 0 "$(stat -c %s "$T/.out")"
cat "$T/bad.spk" | "$SP" rm -i "$T/a" -o - - blob >"$T/got" 2>"$T/err"
is "rm - -o - of a tampered bundle on a pipe: exit 1, not a byte on stdout" "1|0" "$?|$(stat -c %s "$T/got")"
refuse "set - -o OUT of a tampered bundle on a pipe: refused" "tampered" \
	sh -c 'cat "$1" | "$2" set -i "$3/a" -o "$3/never.spk" - db "$3/in/db2"' - "$T/bad.spk" "$SP" "$T"
[ -e "$T/never.spk" ] && notok "tampered on a pipe: OUT not created" || ok "tampered on a pipe: OUT not created"
notemp "tampered on a pipe" "$T"
is "-o -: nothing staged is left in \$TMPDIR" "" "$(TMPDIR="$T/stage" "$SP" set -i "$T/a" -o - "$T/x.spk" db "$T/in/db2" >/dev/null; ls -A "$T/stage")"
"$SP" rm -i "$T/a" - api <"$T/x.spk" >"$T/.out" 2>"$T/.err"
is "BUNDLE - without -o: usage (exit 2), one line" "2|1" "$?|$(wc -l <"$T/.err")"
grep -qF "BUNDLE - reads the bundle from stdin, which cannot be replaced: give -o OUT (or -o - for stdout)" "$T/.err" &&
	ok "BUNDLE - without -o: says to give -o" || notok "BUNDLE - without -o: says to give -o"
for c in "set NAME -|set -i $T/a -o $T/o.spk - db -|the bundle '-' and the content both read stdin" \
	"set NAME|set -i $T/a -o $T/o.spk - db|the bundle '-' and the content both read stdin" \
	"rekey -R -|rekey -i $T/a -R - -o $T/o.spk -|-R - and the bundle '-' both read stdin" \
	"rm -i -|rm -i - -o $T/o.spk - api|the key and the bundle '-' both read stdin" \
	"set --sign -|set -i $T/a --sign - -o $T/o.spk - db $T/in/db2|--sign - and the bundle '-' both read stdin" \
	"edit -|edit -i $T/a -|BUNDLE -: the editor needs the terminal as stdin" \
	"edit -o -|edit -i $T/a -o - $T/x.spk|-o -: the editor draws on stdout"; do
	n=${c%%|*}; rest=${c#*|}; args=${rest%%|*}; msg=${rest#*|}
	# shellcheck disable=SC2086
	"$SP" $args <"$T/x.spk" >"$T/.out" 2>"$T/.err"; code=$?
	is "$n with the bundle on stdin: usage (exit 2), one line" "2|1" "$code|$(wc -l <"$T/.err")"
	grep -qF -- "$msg" "$T/.err" && ok "$n: the message says why" || { notok "$n: the message says why"; sed 's/^/# /' "$T/.err"; }
done
[ -e "$T/o.spk" ] && notok "usage errors: no OUT written" || ok "usage errors: no OUT written"
if command -v script >/dev/null 2>&1; then
	script -qec "\"$SP\" set -i $T/a -o - $T/x.spk db $T/in/db2" /dev/null </dev/null >"$T/pty.out" 2>&1
	is "set -o - on a terminal (binary): refused, one line, no bundle bytes" \
		"secretpack: set: -o -: stdout is a terminal and the bundle is binary: redirect it to a file or a pipe" \
		"$(tr -d '\r' <"$T/pty.out")"
	script -qec "\"$SP\" set -i $T/a -o - $T/s.asc api $T/in/api" /dev/null </dev/null >"$T/pty.out" 2>&1
	grep -q 'BEGIN SECRETPACK BUNDLE' "$T/pty.out" && ok "set -o - on a terminal (armored): shown" || notok "set -o - on a terminal (armored): shown"
else
	skip "set -o - on a terminal" "script (util-linux) not installed"
fi

# ---- usage ----
"$SP" set -h >"$T/h" 2>&1; is "set -h: exit 0, usage" "0|usage: secretpack set" "$?|$(head -c 21 "$T/h")"
"$SP" rm -h >"$T/h" 2>&1; is "rm -h: exit 0, usage" "0|usage: secretpack rm" "$?|$(head -c 20 "$T/h")"
is "set: unknown option is a usage error" "2" "$(rc "$SP" set --nope)"
echo "1..$_n"
