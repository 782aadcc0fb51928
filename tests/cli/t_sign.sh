#!/bin/sh
# Signed bundles (format version 2): keygen --sign, seal --sign, --trust for run, open, cat and
# inspect, --not-before, and the attacks a signature stops: an unsigned bundle forged with only
# the public key, another signer, any changed byte, a stripped or moved signature.
. "$SP_TESTS/cli/lib.sh"
K=$SP_TESTS/cli/keys

# ---- keys ----
"$SP" keygen -o "$T/me" >"$T/me.out" 2>&1 || { notok "keygen"; exit 1; }
ME=$(tail -n 1 "$T/me.out")
"$SP" keygen --sign -o "$T/sig.key" >"$T/sig.out" 2>"$T/sig.err"
is "keygen --sign: exit 0, nothing on stderr" "0|" "$?|$(cat "$T/sig.err")"
SIGNER=$(tail -n 1 "$T/sig.out")
case $SIGNER in spksig1*) ok "keygen --sign: last line is the signer key" ;; *) notok "keygen --sign: last line is the signer key ($SIGNER)" ;; esac
is "keygen --sign: file mode 0600" "600" "$(stat -c %a "$T/sig.key")"
grep -q '^SPKSIGSEC1' "$T/sig.key" && ok "keygen --sign: an SPKSIGSEC1 line" || notok "keygen --sign: an SPKSIGSEC1 line"
is "pubkey prints the signer key" "$SIGNER" "$("$SP" pubkey "$T/sig.key")"
cp "$T/sig.key" "$T/sig.copy"
refuse "keygen --sign never overwrites" "already exists" "$SP" keygen --sign -o "$T/sig.key"
is "keygen --sign: the refused file is unchanged" "" "$(cmp "$T/sig.key" "$T/sig.copy" 2>&1)"
SECRETPACK_PASSPHRASE='sign pass' "$SP" keygen --sign --passphrase -o "$T/sigenc.key" >"$T/sigenc.out" 2>&1
grep -q '^SPKSIGENC1' "$T/sigenc.key" && ok "keygen --sign --passphrase: an SPKSIGENC1 line" || notok "keygen --sign --passphrase: an SPKSIGENC1 line"
is "pubkey of a protected signing key" "$(tail -n 1 "$T/sigenc.out")" \
	"$(SECRETPACK_PASSPHRASE='sign pass' "$SP" pubkey "$T/sigenc.key")"
refuse "protected signing key, wrong passphrase" "wrong passphrase for the signing key" \
	env SECRETPACK_PASSPHRASE=nope "$SP" pubkey "$T/sigenc.key"
"$SP" keygen --sign -o "$T/other.key" >"$T/other.out" 2>&1
OTHER=$(tail -n 1 "$T/other.out")
echo "$SIGNER" >"$T/trust.txt"
printf '# signers\n%s\n\n%s\n' "$OTHER" "$SIGNER" >"$T/trust2.txt"

# ---- bundles ----
printf 's3cret-db-password' >"$T/db_password"
printf 'tok-4f9a2c' >"$T/api_token"
"$SP" seal -r "$ME" --sign "$T/sig.key" -o "$T/signed.spk" "$T/db_password" "$T/api_token" 2>"$T/e" &&
	ok "seal --sign" || { notok "seal --sign"; cat "$T/e"; }
"$SP" seal -r "$ME" --sign "$T/sig.key" -o "$T/signed2.spk" "$T/db_password" "$T/api_token"
"$SP" seal -r "$ME" --sign "$T/sig.key" -a -o "$T/signed.asc" "$T/db_password" "$T/api_token"
SECRETPACK_PASSPHRASE='sign pass' "$SP" seal -r "$ME" --sign "$T/sigenc.key" -o "$T/signedenc.spk" \
	"$T/db_password" && ok "seal --sign with a protected signing key" || notok "seal --sign with a protected signing key"
# the forgery a public-key holder can make: a valid bundle, unsigned
"$SP" seal -r "$ME" -o "$T/unsigned.spk" "$T/db_password" "$T/api_token"
"$SP" seal -r "$ME" --sign "$T/other.key" -o "$T/other.spk" "$T/db_password" "$T/api_token"
size=$(wc -c <"$T/signed.spk")
head -c $((size - 64)) "$T/signed.spk" >"$T/stripped.spk"
{ head -c $((size - 64)) "$T/signed.spk"; tail -c 64 "$T/signed2.spk"; } >"$T/moved.spk"
cp "$T/signed.spk" "$T/appended.spk"; printf 'x' >>"$T/appended.spk"

# ---- wrong kinds of keys ----
refuse "a signing key given as -i" "this is a signing key, not an identity" \
	"$SP" open -i "$T/sig.key" -o "$T/o-kind" "$T/signed.spk"
refuse "a signer key given as -r" "a signing key, not a recipient" \
	"$SP" seal -r "$SIGNER" -o "$T/x.spk" "$T/db_password"
refuse "an identity given to --sign" "an identity \(encryption key\), not a signing key" \
	"$SP" seal -r "$ME" --sign "$T/me" -o "$T/x.spk" "$T/db_password"
refuse "a recipient given to --trust" "an encryption key, not a signer key" \
	"$SP" open -i "$T/me" --trust "$ME" -o "$T/o-kind" "$T/signed.spk"
refuse "a signer key with a typo" "checksum mismatch" \
	"$SP" open -i "$T/me" --trust "$(echo "$SIGNER" | awk '{ c = substr($0, 12, 1); print substr($0, 1, 11) (c == "a" ? "b" : "a") substr($0, 13) }')" -o "$T/o-kind" "$T/signed.spk"
[ ! -e "$T/x.spk" ] && [ ! -e "$T/o-kind" ] && ok "wrong kinds: nothing written" || notok "wrong kinds: nothing written"

# ---- inspect ----
"$SP" inspect "$T/signed.spk" >"$T/i1" 2>&1
grep -q "^signer: *$SIGNER (signature verified)$" "$T/i1" && ok "inspect without a key: signer, verified" || { notok "inspect without a key: signer, verified"; cat "$T/i1"; }
grep -q "^format: *secretpack bundle version 2$" "$T/i1" && ok "inspect: version 2" || notok "inspect: version 2"
"$SP" inspect --trust "$SIGNER" "$T/signed.spk" >"$T/i2" 2>&1
grep -q "^signer: *$SIGNER (signature verified, trusted)$" "$T/i2" && ok "inspect --trust: verified, trusted" || notok "inspect --trust: verified, trusted"
"$SP" inspect -i "$T/me" --trust "$T/trust.txt" "$T/signed.spk" >"$T/i3" 2>&1
grep -q "^signer: *$SIGNER (signature verified, trusted)$" "$T/i3" && ok "inspect -i --trust FILE: verified, trusted" || notok "inspect -i --trust FILE: verified, trusted"
grep -q "^recipient: *$ME (yours)$" "$T/i3" && ok "inspect -i lists the recipient, marked yours" || { notok "inspect -i lists the recipient, marked yours"; cat "$T/i3"; }
"$SP" inspect "$T/unsigned.spk" >"$T/i4" 2>&1
grep -q "^signer: *none (unsigned)$" "$T/i4" && ok "inspect: unsigned" || notok "inspect: unsigned"
"$SP" inspect --json -i "$T/me" "$T/signed.spk" >"$T/i5" 2>&1
grep -q "\"signer\":\"$SIGNER\",\"signature\":\"verified\",\"trusted\":false" "$T/i5" &&
	grep -q "\"recipient_keys\":\[\"$ME\"\]" "$T/i5" && ok "inspect --json: signer and recipient keys" || { notok "inspect --json: signer and recipient keys"; cat "$T/i5"; }
refuse "inspect --trust: unsigned refused" "not signed, and --trust requires a signature from $SIGNER" \
	"$SP" inspect --trust "$SIGNER" "$T/unsigned.spk"
refuse "inspect --trust: another signer refused" "signed by $OTHER, which --trust does not list" \
	"$SP" inspect --trust "$SIGNER" "$T/other.spk"
refuse "inspect: a moved signature refused, even without a key" "signature does not verify" \
	"$SP" inspect "$T/moved.spk"

# ---- open and cat ----
check "open --trust: signed by the listed key" "$SP" open -i "$T/me" --trust "$SIGNER" -o "$T/o1" "$T/signed.spk"
is "open --trust: contents" "s3cret-db-password" "$(cat "$T/o1/db_password" 2>&1)"
check "open --trust FILE of two keys" "$SP" open -i "$T/me" --trust "$T/trust2.txt" -o "$T/o2" "$T/signed.spk"
check "open --trust: a protected key's signature" "$SP" open -i "$T/me" --trust "$(tail -n 1 "$T/sigenc.out")" -o "$T/o3" "$T/signedenc.spk"
check "open --trust: armored" "$SP" open -i "$T/me" --trust "$SIGNER" -o "$T/o4" "$T/signed.asc"
is "cat --trust: from a pipe" "tok-4f9a2c" "$(cat "$T/signed.spk" | "$SP" cat -i "$T/me" --trust "$SIGNER" - api_token 2>&1)"
is "cat --trust via SECRETPACK_TRUST" "tok-4f9a2c" "$(SECRETPACK_TRUST=$SIGNER "$SP" cat -i "$T/me" "$T/signed.spk" api_token 2>&1)"
# obad NAME PATTERN BUNDLE PIPE_PATTERN: open and cat refuse; nothing written, nothing printed.
# Through a pipe the signature is checked as the bytes stream, so the first failure is named.
obad() {
	refuse "open --trust, $1: refused" "$2" "$SP" open -i "$T/me" --trust "$SIGNER" -o "$T/ob" "$3"
	[ ! -e "$T/ob" ] && ok "open --trust, $1: no DIR left" || { notok "open --trust, $1: no DIR left"; rm -rf "$T/ob"; }
	refuse "cat --trust, $1: refused" "$2" "$SP" cat -i "$T/me" --trust "$SIGNER" "$3" db_password
	is "cat --trust, $1: nothing printed" "" "$(cat "$T/.out")"
	refuse "cat --trust from a pipe, $1: refused" "$4" sh -c 'cat "$3" | "$0" cat -i "$1" --trust "$2" - db_password' \
		"$SP" "$T/me" "$SIGNER" "$3"
	is "cat --trust from a pipe, $1: nothing printed" "" "$(cat "$T/.out")"
}
obad "unsigned (forged with the public key)" "not signed, and --trust requires" "$T/unsigned.spk" "not signed"
obad "another signer" "signed by $OTHER, which --trust does not list" "$T/other.spk" "signed by $OTHER"
obad "signature stripped" "signature does not verify" "$T/stripped.spk" "truncated"
obad "signature moved from another bundle" "signature does not verify" "$T/moved.spk" "signature does not verify"
obad "byte after the signature" "signature does not verify" "$T/appended.spk" "unexpected data after the end"
# Read from a file, a signed bundle is verified whole before anything is decrypted: a changed
# payload byte is reported as a bad signature, not as a failed decryption (which is what the
# streaming check of a pipe, or a reader without --trust, reports).
cp "$T/signed.spk" "$T/payload.spk"
b=$(od -An -tu1 -j $((size - 100)) -N 1 "$T/payload.spk" | tr -d ' ')
printf "\\$(printf %o $((b ^ 1)))" | dd of="$T/payload.spk" bs=1 seek=$((size - 100)) conv=notrunc 2>/dev/null
refuse "payload byte changed, file: refused by the signature, before decrypting" "signature does not verify" \
	"$SP" cat -i "$T/me" --trust "$SIGNER" "$T/payload.spk" db_password
refuse "payload byte changed, pipe: refused while streaming" "payload authentication failed" \
	sh -c 'cat "$3" | "$0" cat -i "$1" --trust "$2" - db_password' "$SP" "$T/me" "$SIGNER" "$T/payload.spk"
refuse "payload byte changed, without --trust: refused by decryption" "payload authentication failed" \
	"$SP" cat -i "$T/me" "$T/payload.spk" db_password
# The trust check comes before the key is even tried.
"$SP" keygen -o "$T/stranger" >/dev/null 2>&1
refuse "unsigned, opened with a wrong key under --trust: the signature is named first" "not signed" \
	"$SP" cat -i "$T/stranger" --trust "$SIGNER" "$T/unsigned.spk" db_password
refuse "SECRETPACK_TRUST of another signer" "which SECRETPACK_TRUST does not list" \
	env SECRETPACK_TRUST="$OTHER" "$SP" cat -i "$T/me" "$T/signed.spk" db_password
check "SECRETPACK_TRUST: comma-separated keys and files" \
	env SECRETPACK_TRUST="$OTHER,$T/trust.txt" "$SP" cat -i "$T/me" "$T/signed.spk" db_password
check "open without --trust: unsigned still opens" "$SP" open -i "$T/me" -o "$T/o5" "$T/unsigned.spk"

# ---- the format vectors through the CLI: the header names the RFC 8032 test 1 key ----
vec() { # vec NAME OUT: the bundle bytes of tests/vectors/NAME.vec (the hex after the first blank line).
	hex=$(sed '1,/^[[:space:]]*$/d' "$SP_TESTS/vectors/$1.vec" | tr -d ' \t\r\n' |
		awk '{ h = "0123456789abcdef"; s = tolower($0)
			for (i = 1; i < length(s); i += 2)
				printf "\\%03o", (index(h, substr(s, i, 1)) - 1) * 16 + index(h, substr(s, i + 1, 1)) - 1 }')
	# shellcheck disable=SC2059
	printf "$hex" >"$2"
}
RFC8032=spksig125njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenkwni3bu
cp "$SP_TESTS/cli/keys/vector.key" "$T/vector.key"; chmod 600 "$T/vector.key"
vec v2-ok-signed "$T/v-ok.spk"
vec v2-forged-signer "$T/v-forged.spk"
"$SP" inspect "$T/v-ok.spk" | grep -q "^signer: *$RFC8032 (signature verified)$" &&
	ok "vector v2-ok-signed: inspect names the RFC 8032 key as spksig1" || notok "vector v2-ok-signed: inspect names the RFC 8032 key as spksig1"
is "vector v2-ok-signed opens under --trust" "correct horse battery" \
	"$("$SP" cat -i "$T/vector.key" --trust "$RFC8032" "$T/v-ok.spk" db/password 2>&1)"
refuse "vector v2-forged-signer (header names the trusted key, another key signed): refused" \
	"signature does not verify" "$SP" cat -i "$T/vector.key" --trust "$RFC8032" "$T/v-forged.spk" db/password
is "vector v2-forged-signer: nothing printed" "" "$(cat "$T/.out")"

# ---- version 1 bundles still open ----
cp "$K/test.key" "$T/test.key"; chmod 600 "$T/test.key"
is "v1 golden bundle opens" "0" "$(rc "$SP" open -i "$T/test.key" --context golden@secretpack -o "$T/g1" "$K/golden.spk")"
is "v1 golden armored bundle opens" "0" "$(rc "$SP" open -i "$T/test.key" --context golden@secretpack -o "$T/g2" "$K/golden-armored.spk")"
is "v1 golden: contents as sealed" "" "$(cmp "$T/g1/bytes" "$K/golden/bytes.bin" 2>&1; cmp "$T/g2/dir/nested" "$K/golden/nested.txt" 2>&1)"
"$SP" inspect "$K/golden.spk" | grep -q '^signer: *none (unsigned: format version 1)$' &&
	ok "inspect: v1 bundle has no signer" || notok "inspect: v1 bundle has no signer"
# The committed version 2 golden bundle (make-golden.sh), signed with the committed signing key.
cp "$K/test-sign.key" "$T/test-sign.key"; chmod 600 "$T/test-sign.key"
is "committed signing key: its signer key is fixed" "$(cat "$K/test-sign.pub")" "$("$SP" pubkey "$T/test-sign.key")"
check "v2 golden signed bundle opens under --trust FILE" \
	"$SP" open -i "$T/test.key" --context golden@secretpack --trust "$K/test-sign.pub" -o "$T/g4" "$K/golden-signed.spk"
is "v2 golden: contents as sealed" "" "$(cmp "$T/g4/bytes" "$K/golden/bytes.bin" 2>&1; cmp "$T/g4/dir/nested" "$K/golden/nested.txt" 2>&1)"
"$SP" inspect -i "$T/test.key" "$K/golden-signed.spk" >"$T/i6" 2>&1
grep -q "^signer: *$(cat "$K/test-sign.pub") (signature verified)$" "$T/i6" &&
	grep -q "^recipient: *$(cat "$K/test.pub") (yours)$" "$T/i6" &&
	ok "v2 golden: inspect -i shows the committed signer and recipient" || { notok "v2 golden: inspect -i shows the committed signer and recipient"; cat "$T/i6"; }
refuse "v1 bundle under --trust: refused as unsigned" "not signed \(format version 1\)" \
	"$SP" open -i "$T/test.key" --context golden@secretpack --trust "$SIGNER" -o "$T/g3" "$K/golden.spk"

# ---- run ----
. "$SP_TESTS/cli/run_lib.sh"
export SECRETPACK_KEY_FILE="$T/me"
export SIGNER OTHER
newcase
app ok <<'EOF'
: >"$C/m/ran"
echo "db=$(cat "$C/s/db_password")"
EOF
check "run --trust: signed by the listed key, app started" \
	ns 'tmpfs "$C/s"; "$SP" run --trust "$SIGNER" --bundle "$T/signed.spk" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"'
is "run --trust: the app reads the secret" "s3cret-db-password" "$(val db)"
check "run: SECRETPACK_TRUST=FILE" \
	ns 'tmpfs "$C/s"; SECRETPACK_TRUST="$T/trust.txt" "$SP" run --bundle "$T/signed.spk" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"'
# rbad NAME PATTERN BUNDLE [ENV...]: refused with PATTERN; app not started; DIR empty.
rbad() {
	rn=$1 pat=$2 RB=$3; shift 3
	export RB
	rm -f "$C/m/ran" "$C/after"
	refuse "run, $rn: refused" "$pat" env "$@" timeout -s KILL 60 unshare --kill-child -m -p -f --mount-proc \
		sh -c "$NS_PRE"'tmpfs "$C/s"; "$SP" run --bundle "$RB" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"
		rc=$?; ls -A "$C/s" >"$C/after"; exit $rc'
	is "run, $rn: app not started, DIR empty" "0|" "$(ran)|$(cat "$C/after" 2>/dev/null)"
}
rbad "unsigned (forged with the public key)" "run: $T/unsigned.spk: not signed, and SECRETPACK_TRUST requires a signature from $SIGNER: sign it with seal --sign, or remove SECRETPACK_TRUST" \
	"$T/unsigned.spk" SECRETPACK_TRUST="$SIGNER"
rbad "another signer" "signed by $OTHER, which SECRETPACK_TRUST does not list: add it, or re-seal with a trusted key" \
	"$T/other.spk" SECRETPACK_TRUST="$SIGNER"
rbad "signature stripped" "signature does not verify: the bundle was modified after signing" \
	"$T/stripped.spk" SECRETPACK_TRUST="$SIGNER"
rbad "signature moved" "signature does not verify" "$T/moved.spk" SECRETPACK_TRUST="$SIGNER"
rbad "byte appended" "signature does not verify" "$T/appended.spk" SECRETPACK_TRUST="$SIGNER"
# Several bundles: each must be signed by a listed key; one unsigned one refuses the whole run.
rm -f "$C/m/ran"
refuse "run --trust, two bundles, the second unsigned: refused" "$T/unsigned.spk: not signed" \
	ns 'tmpfs "$C/s"; "$SP" run --trust "$SIGNER" --bundle "$T/signed.spk" --bundle "$T/unsigned.spk" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"; rc=$?; ls -A "$C/s" >"$C/after"; exit $rc'
is "run --trust, two bundles, the second unsigned: app not started, DIR empty" "0|" "$(ran)|$(cat "$C/after" 2>/dev/null)"
mkfifo "$T/pipe.spk"
sweep_pipe() { # the same refusals when the bundle can be read only once
	( cat "$1" >"$T/pipe.spk" 2>/dev/null & ) ; rbad "$2 (through a FIFO)" "$3" "$T/pipe.spk" SECRETPACK_TRUST="$SIGNER"
}
sweep_pipe "$T/moved.spk" "signature moved" "signature does not verify"
sweep_pipe "$T/stripped.spk" "signature stripped" "truncated"
sweep_pipe "$T/unsigned.spk" "unsigned" "not signed"

# Under --trust the signer decides which variables the bundle sets; the operator's patterns still
# narrow it, a set variable is never overridden, and without --trust the default allow list holds.
printf 'postgres://db' >"$T/url"
printf '[secret db_url]\nfile = %s\nenv = DATABASE_URL_PATH\n' "$T/url" >"$T/env.ini"
"$SP" seal -r "$ME" --sign "$T/sig.key" -m "$T/env.ini" -o "$T/env-signed.spk" >/dev/null 2>&1 ||
	notok "seal a signed bundle setting DATABASE_URL_PATH"
app env <<'EOF'
: >"$C/m/ran"
echo "var=$DATABASE_URL_PATH"
EOF
check "run --trust: a signed bundle may set DATABASE_URL_PATH (the signer decides)" \
	ns 'tmpfs "$C/s"; "$SP" run --trust "$SIGNER" --bundle "$T/env-signed.spk" --dir "$C/s" --user app -- /bin/sh "$C/env.sh"'
is "run --trust: the app sees the variable" "var=$C/s/db_url" "$(grep '^var=' "$T/.out")"
rm -f "$C/m/ran"
refuse "run without --trust: the same bundle is held to the default allow list" \
	"env DATABASE_URL_PATH: a bundle may set only \*_FILE variables by default" \
	ns 'tmpfs "$C/s"; "$SP" run --bundle "$T/env-signed.spk" --dir "$C/s" --user app -- /bin/sh "$C/env.sh"'
is "run without --trust: app not started" 0 "$(ran)"
refuse "run --trust --env-allow '!DATABASE_*': the operator still narrows it" \
	"env DATABASE_URL_PATH: refused by --env-allow '!DATABASE_\*'" \
	ns 'tmpfs "$C/s"; "$SP" run --trust "$SIGNER" --env-allow "!DATABASE_*" --bundle "$T/env-signed.spk" --dir "$C/s" --user app -- /bin/sh "$C/env.sh"'
rm -f "$C/m/ran"
refuse "run --trust: a signed bundle still never overrides the environment" "DATABASE_URL_PATH" \
	env DATABASE_URL_PATH=mine timeout -s KILL 60 unshare --kill-child -m -p -f --mount-proc sh -c "$NS_PRE"'tmpfs "$C/s"; "$SP" run --trust "$SIGNER" --bundle "$T/env-signed.spk" --dir "$C/s" --user app -- /bin/sh "$C/env.sh"'
is "run --trust, variable already set: app not started" 0 "$(ran)"

# --not-before: the floor on replay
later=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
rbad "--not-before after the bundle was made" "created .*, before --not-before $later \($later\): seal a new one" \
	"$T/signed.spk" SECRETPACK_TRUST="$SIGNER" SECRETPACK_NOT_BEFORE="$later"
check "run --not-before 1d: a fresh bundle is accepted" \
	ns 'tmpfs "$C/s"; "$SP" run --trust "$SIGNER" --not-before 1d --bundle "$T/signed.spk" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"'
check "run --not-before today's date: accepted" \
	ns 'tmpfs "$C/s"; "$SP" run --trust "$SIGNER" --not-before '"$(date -u +%Y-%m-%d)"' --bundle "$T/signed.spk" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"'
is "run --not-before with a bad time: usage error" "2" "$(rc "$SP" run --not-before yesterday -- true)"
refuse "run with SECRETPACK_TRUST='': usage error, naming the variable" "SECRETPACK_TRUST='' \\(the variable of --trust\\)" \
	env SECRETPACK_TRUST= "$SP" run -- true
is "run --trust with a recipient key: usage error" "2" "$(rc "$SP" run --trust "$ME" -- true)"

# Every byte of a small signed bundle changed in turn: run --trust refuses each one, the app
# never starts and DIR stays empty. One namespace for the whole sweep.
printf 'x' >"$T/tiny"
"$SP" seal -r "$ME" --sign "$T/sig.key" -o "$T/tiny.spk" "$T/tiny"
n=$(wc -c <"$T/tiny.spk")
export n
ns 'tmpfs "$C/s"; i=0; bad=0
while [ $i -lt $n ]; do
	cp "$T/tiny.spk" "$C/mut.spk"
	b=$(od -An -tu1 -j $i -N 1 "$C/mut.spk" | tr -d " ")
	printf "\\$(printf %o $((b ^ 0x10)))" | dd of="$C/mut.spk" bs=1 seek=$i conv=notrunc 2>/dev/null
	rm -f "$C/m/ran"
	if SECRETPACK_TRUST="$SIGNER" "$SP" run --bundle "$C/mut.spk" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh" >/dev/null 2>"$C/err"; then bad=$((bad + 1)); echo "# offset $i: accepted"; fi
	if [ -e "$C/m/ran" ] || [ -n "$(ls -A "$C/s")" ]; then bad=$((bad + 1)); echo "# offset $i: app ran or DIR not empty"; fi
	[ "$(wc -l <"$C/err")" -eq 1 ] || { bad=$((bad + 1)); echo "# offset $i: not one line"; }
	i=$((i + 1))
done
echo "swept=$i bad=$bad"' >"$T/.out" 2>&1
is "byte sweep: all $n offsets of a signed bundle refused by run --trust, nothing started or left" \
	"swept=$n bad=0" "$(tail -n 1 "$T/.out")"
[ "$n" -gt 300 ] && ok "byte sweep covered the whole bundle ($n bytes)" || notok "byte sweep too short ($n)"

echo "1..$_n"
