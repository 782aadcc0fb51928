#!/bin/sh
# rekey: recipients added and removed (a removed key cannot open the result), a new file key on
# every rewrite (the old wrapped key opens nothing), passphrase added and removed, expiry renewed
# (an expired bundle too, with its key only), context and signer changed; entries untouched.
. "$SP_TESTS/cli/lib.sh"
unset SECRETPACK_KEY SECRETPACK_KEY_FILE SECRETPACK_PASSPHRASE SECRETPACK_PASSPHRASE_FILE SECRETPACK_TRUST
K=$SP_TESTS/cli/keys

for k in a b c d; do "$SP" keygen -o "$T/$k" >"$T/$k.out" 2>&1 || { notok "keygen"; exit 1; }; done
"$SP" keygen --sign -o "$T/sig.key" >"$T/sig.out" 2>&1
"$SP" keygen --sign -o "$T/sig2.key" >"$T/sig2.out" 2>&1
A=$(tail -n 1 "$T/a.out"); B=$(tail -n 1 "$T/b.out"); C=$(tail -n 1 "$T/c.out"); D=$(tail -n 1 "$T/d.out")
SIGNER=$(tail -n 1 "$T/sig.out"); SIGNER2=$(tail -n 1 "$T/sig2.out")
printf '%s\n' "$C" "# comment" "$D" >"$T/cd.pub"
mkdir -p "$T/in"
printf 'db-pass' >"$T/in/db"
head -c 70000 /dev/urandom >"$T/in/blob"
"$SP" seal -r "$A" -r "$B" --context prod --expires 30d -o "$T/x.spk" "$T/in/db" "$T/in/blob" || { notok "seal"; exit 1; }
"$SP" seal -r "$A" --expires 1s -o "$T/exp.spk" "$T/in/db"
"$SP" seal -r "$A" --expires 1s -a -o "$T/exp.asc" "$T/in/db"

# entries (content size, mode, owner, env) as json, and the content of one entry
entries() { "$SP" inspect -i "$T/${2:-a}" --json "$1" | jq -c .entries; }
keys() { "$SP" inspect -i "$T/${2:-a}" --json "$1" | jq -r '.recipient_keys | join(" ")'; }
opens() { "$SP" cat -i "$T/$2" --context "${3:-prod}" "$1" db 2>/dev/null; }
same() { if cmp -s "$2" "$3"; then ok "$1"; else notok "$1"; fi; }
entries "$T/x.spk" >"$T/entries"

# ---- add and remove recipients ----
cp "$T/x.spk" "$T/x0.spk"
check "rekey -r adds a recipient" "$SP" rekey -i "$T/a" -r "$C" "$T/x.spk"
is "rekey -r: recipient list" "$A $B $C" "$(keys "$T/x.spk")"
is "rekey -r: the new recipient opens it" "db-pass" "$(opens "$T/x.spk" c)"
is "rekey -r: the old ones still open it" "db-pass|db-pass" "$(opens "$T/x.spk" a)|$(opens "$T/x.spk" b)"
is "rekey: entries and metadata unchanged" "$(cat "$T/entries")" "$(entries "$T/x.spk")"
"$SP" cat -i "$T/a" --context prod "$T/x.spk" blob >"$T/got"
same "rekey: content byte-exact" "$T/got" "$T/in/blob"
check "rekey --remove a leaked key" "$SP" rekey -i "$T/a" --remove "$B" "$T/x.spk"
is "rekey --remove: recipient list" "$A $C" "$(keys "$T/x.spk")"
refuse "rekey --remove: the removed key cannot open it" "wrong key or not a recipient" \
	"$SP" cat -i "$T/b" --context prod "$T/x.spk" db
is "rekey --remove: the rest still open it" "db-pass|db-pass" "$(opens "$T/x.spk" a)|$(opens "$T/x.spk" c)"
check "rekey -R adds a file of recipients, --remove in the same run" "$SP" rekey -i "$T/c" -R "$T/cd.pub" --remove "$A" "$T/x.spk"
is "rekey -R --remove: recipient list" "$C $D" "$(keys "$T/x.spk" c)"
refuse "rekey: removed by the key it names, it cannot open" "wrong key or not a recipient" \
	"$SP" cat -i "$T/a" --context prod "$T/x.spk" db
is "rekey -R: the added key opens it" "db-pass" "$(opens "$T/x.spk" d)"
cp "$T/x.spk" "$T/x1.spk"
refuse "rekey --remove of a key that is not a recipient" "--remove spkpub1.*: not a recipient of this bundle" \
	"$SP" rekey -i "$T/c" --remove "$B" "$T/x.spk"
refuse "rekey: removing every recipient" "no recipient would be left" "$SP" rekey -i "$T/c" --remove "$C" --remove "$D" "$T/x.spk"
refuse "rekey: a key that is not a recipient" "wrong key or not a recipient" "$SP" rekey -i "$T/b" -r "$B" "$T/x.spk"
refuse "rekey: a signing key as -r" "a signing key, not a recipient" "$SP" rekey -i "$T/c" -r "$SIGNER" "$T/x.spk"
same "refused rekeys: bundle byte-identical" "$T/x.spk" "$T/x1.spk"

# ---- a new file key every time ----
"$SP" seal -r "$A" -r "$B" -o "$T/r.spk" "$T/in/db"
check "rekey --rotate" "$SP" rekey -i "$T/a" --rotate -o "$T/r2.spk" "$T/r.spk"
is "--rotate: the old file key (from b's old stanza) verifies the old header, not the new one" \
	"old-mac:ok new-mac:bad" "$(python3 "$SP_TESTS/cli/keyprobe.py" "$T/b" "$T/r.spk" "$T/r2.spk")"
check "rekey without --rotate" "$SP" rekey -i "$T/a" --remove "$B" -o "$T/r3.spk" "$T/r.spk"
is "every rekey draws a new file key" "old-mac:ok new-mac:bad" "$(python3 "$SP_TESTS/cli/keyprobe.py" "$T/b" "$T/r.spk" "$T/r3.spk")"
is "rekey -o: BUNDLE untouched" "$A $B" "$(keys "$T/r.spk")"

# ---- passphrase ----
check "rekey -p adds a passphrase" env SECRETPACK_PASSPHRASE='team pass' "$SP" rekey -i "$T/a" -p -o "$T/p.spk" "$T/r.spk"
is "rekey -p: the passphrase opens it" "db-pass" "$(SECRETPACK_PASSPHRASE='team pass' "$SP" cat -p "$T/p.spk" db)"
is "rekey -p: the keys still open it" "db-pass|db-pass" "$("$SP" cat -i "$T/a" "$T/p.spk" db)|$("$SP" cat -i "$T/b" "$T/p.spk" db)"
check "rekey of a bundle with a passphrase keeps it" env SECRETPACK_PASSPHRASE='team pass' "$SP" rekey -r "$C" "$T/p.spk"
is "rekey: the kept passphrase opens it" "db-pass" "$(SECRETPACK_PASSPHRASE='team pass' "$SP" cat -p "$T/p.spk" db)"
check "rekey --remove-passphrase" "$SP" rekey -i "$T/a" --remove-passphrase "$T/p.spk"
refuse "rekey --remove-passphrase: the passphrase no longer opens it" "no passphrase recipient" \
	env SECRETPACK_PASSPHRASE='team pass' "$SP" cat -p "$T/p.spk" db
is "rekey --remove-passphrase: flag in the index" "false" "$("$SP" inspect -i "$T/a" --json "$T/p.spk" | jq .passphrase_recipient)"
SECRETPACK_PASSPHRASE='team pass' "$SP" rekey -i "$T/a" -p "$T/p.spk"
check "rekey -p on a bundle with a passphrase sets a new one" env SECRETPACK_PASSPHRASE='new pass' "$SP" rekey -i "$T/a" -p "$T/p.spk"
is "rekey -p: the new passphrase opens it" "db-pass" "$(SECRETPACK_PASSPHRASE='new pass' "$SP" cat -p "$T/p.spk" db)"
refuse "rekey -p: the old passphrase no longer does" "wrong passphrase" env SECRETPACK_PASSPHRASE='team pass' "$SP" cat -p "$T/p.spk" db
SECRETPACK_PASSPHRASE='only pass' "$SP" seal -p -o "$T/po.spk" "$T/in/db"
check "rekey of a passphrase-only bundle: -r, --remove-passphrase" env SECRETPACK_PASSPHRASE='only pass' "$SP" rekey -r "$A" --remove-passphrase "$T/po.spk"
is "passphrase-only to key: the key opens it" "db-pass|false" "$("$SP" cat -i "$T/a" "$T/po.spk" db)|$("$SP" inspect -i "$T/a" --json "$T/po.spk" | jq .passphrase_recipient)"
refuse "rekey --remove-passphrase without one" "has no passphrase recipient to remove" "$SP" rekey -i "$T/a" --remove-passphrase "$T/po.spk"

# ---- expiry ----
sleep 2
cp "$T/exp.spk" "$T/exp0.spk"
refuse "an expired bundle no longer opens" "expired" "$SP" cat -i "$T/a" "$T/exp.spk" db
refuse "rekey of an expired bundle without --expires" "expired at .*pass.*--expires TIME.*--no-expiry" "$SP" rekey -i "$T/a" -r "$B" "$T/exp.spk"
refuse "rekey --expires without a key that opens it" "wrong key or not a recipient" "$SP" rekey -i "$T/b" --expires 90d "$T/exp.spk"
refuse "rekey --expires with no key at all" "no identity" "$SP" rekey --expires 90d "$T/exp.spk"
refuse "rekey --expires in the past" "is in the past" "$SP" rekey -i "$T/a" --expires 2000-01-01 "$T/exp.spk"
same "refused renewals: bundle byte-identical" "$T/exp.spk" "$T/exp0.spk"
check "rekey --expires 90d renews an expired bundle" "$SP" rekey -i "$T/a" --expires 90d "$T/exp.spk"
is "renewed: opens again" "db-pass" "$("$SP" cat -i "$T/a" "$T/exp.spk" db)"
exp=$("$SP" inspect --json "$T/exp.spk" | jq -r .expires)
now=$(date +%s); got=$(date -d "$exp" +%s)
[ $((got - now)) -gt $((89 * 86400)) ] && [ $((got - now)) -le $((90 * 86400)) ] && ok "renewed: expires in 90 days" || notok "renewed: expires in 90 days ($exp)"
check "rekey --no-expiry" "$SP" rekey -i "$T/a" --no-expiry "$T/exp.spk"
is "--no-expiry: no expiry left" "null" "$("$SP" inspect --json "$T/exp.spk" | jq .expires)"
check "rekey --expires on an armored expired bundle" "$SP" rekey -i "$T/a" --expires 2099-01-01 "$T/exp.asc"
is "armored stays armored" "-----BEGIN SECRETPACK BUNDLE-----" "$(head -n 1 "$T/exp.asc")"
is "armored renewed: opens" "db-pass" "$("$SP" cat -i "$T/a" "$T/exp.asc" db)"
refuse "--expires and --no-expiry together" "exclude each other" "$SP" rekey -i "$T/a" --expires 1d --no-expiry "$T/exp.spk"

# ---- context ----
check "rekey --context" "$SP" rekey -i "$T/c" --context staging "$T/x.spk"
is "--context: opens with the new one" "db-pass" "$(opens "$T/x.spk" c staging)"
refuse "--context: the old one is refused" "context mismatch" "$SP" cat -i "$T/c" --context prod "$T/x.spk" db
check "rekey --context '' removes it" "$SP" rekey -i "$T/c" --context '' "$T/x.spk"
is "--context '': opens without a context" "db-pass" "$("$SP" cat -i "$T/c" "$T/x.spk" db)"
refuse "--context with a bad character" "context 'a.b" "$SP" rekey -i "$T/c" --context "$(printf 'a.b\tc')" "$T/x.spk"

# ---- signatures ----
"$SP" seal -r "$A" --sign "$T/sig.key" -o "$T/s.spk" "$T/in/db"
cp "$T/s.spk" "$T/s0.spk"
refuse "rekey of a signed bundle without --sign" "signed by $SIGNER: pass --sign FILE.*or --unsign" \
	"$SP" rekey -i "$T/a" -r "$B" "$T/s.spk"
same "refused: signed bundle byte-identical" "$T/s.spk" "$T/s0.spk"
check "rekey --sign keeps the signature" "$SP" rekey -i "$T/a" -r "$B" --sign "$T/sig.key" "$T/s.spk"
is "rekey --sign: verifies under --trust" "db-pass" "$("$SP" cat -i "$T/b" --trust "$SIGNER" "$T/s.spk" db)"
check "rekey --sign with another key changes the signer" "$SP" rekey -i "$T/a" --sign "$T/sig2.key" "$T/s.spk"
is "new signer" "$SIGNER2" "$("$SP" inspect --json "$T/s.spk" | jq -r .signer)"
refuse "the old signer's trust no longer passes" "signed by $SIGNER2" "$SP" cat -i "$T/a" --trust "$SIGNER" "$T/s.spk" db
check "rekey --unsign" "$SP" rekey -i "$T/a" --unsign "$T/s.spk"
is "--unsign: unsigned" "null" "$("$SP" inspect --json "$T/s.spk" | jq .signer)"
check "rekey --sign of an unsigned bundle signs it" "$SP" rekey -i "$T/a" --sign "$T/sig.key" "$T/s.spk"
is "signed again" "$SIGNER" "$("$SP" inspect --json "$T/s.spk" | jq -r .signer)"

# ---- version 1 ----
cp "$K/test.key" "$T/test.key"; chmod 600 "$T/test.key"
cp "$K/golden.spk" "$T/v1.spk"
refuse "rekey of version 1 without the list" "format version 1 keeps no list of its recipients" \
	"$SP" rekey -i "$T/test.key" --expires 1d "$T/v1.spk"
refuse "rekey --remove on version 1" "format version 1 lists no recipients to remove" \
	"$SP" rekey -i "$T/test.key" -R "$K/test.pub" --remove "$A" "$T/v1.spk"
same "refused: version 1 bundle byte-identical" "$T/v1.spk" "$K/golden.spk"
check "rekey -R on version 1 names the whole list" "$SP" rekey -i "$T/test.key" -R "$K/test.pub" -r "$A" "$T/v1.spk"
is "version 1 rewritten as version 2" "2" "$("$SP" inspect --json "$T/v1.spk" | jq .version)"
is "version 2 list" "$(cat "$K/test.pub" | grep spkpub) $A" "$(keys "$T/v1.spk" test.key)"
is "entries of the golden bundle kept" "$("$SP" inspect -i "$T/test.key" --json "$K/golden.spk" | jq -c .entries)" \
	"$("$SP" inspect -i "$T/test.key" --json "$T/v1.spk" | jq -c .entries)"
"$SP" cat -i "$T/a" --context golden@secretpack "$T/v1.spk" bytes >"$T/got"
same "the added recipient reads the golden content" "$T/got" "$K/golden/bytes.bin"

# ---- memory bounded by the chunk, not the bundle ----
head -c 24000000 /dev/urandom >"$T/in/big"
"$SP" seal -r "$A" -o "$T/big.spk" "$T/in/big" "$T/in/db"
if /usr/bin/time -f %M -o "$T/rss" "$SP" rekey -i "$T/a" -r "$B" "$T/big.spk" 2>"$T/err"; then
	# a sanitizer build's shadow memory, or a wrapper's (valgrind), are not the tool's
	if ldd "$SP" 2>/dev/null | grep -q 'libasan' || [ "$(head -c 4 "$SP" | od -An -c | tr -d ' ')" != '177ELF' ]; then
		skip "rekey of a 24 MB bundle: peak memory" "sanitizer or wrapper build"
	elif [ "$(cat "$T/rss")" -lt 16384 ]; then ok "rekey of a 24 MB bundle: peak memory under 16 MiB ($(cat "$T/rss") KiB)"
	else notok "rekey of a 24 MB bundle: peak memory under 16 MiB ($(cat "$T/rss") KiB)"
	fi
else
	notok "rekey of a 24 MB bundle"; sed 's/^/# /' "$T/err"
fi
"$SP" cat -i "$T/b" "$T/big.spk" big | cmp -s - "$T/in/big" && ok "rekey of a 24 MB bundle: content byte-exact" || notok "rekey of a 24 MB bundle: content byte-exact"
rm -f "$T/in/big" "$T/big.spk"

"$SP" rekey -h >"$T/h" 2>&1; is "rekey -h: exit 0, usage" "0|usage: secretpack rekey" "$?|$(head -c 23 "$T/h")"
is "rekey: no bundle is a usage error" "2" "$(rc "$SP" rekey -i "$T/a")"
echo "1..$_n"
