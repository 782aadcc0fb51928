#!/bin/sh
# check: the CI gate. Exit 0 every bundle passed, 1 broken / wrong key / untrusted / tampered /
# other context (outranks 3), 3 expired or expiring within --expires-within, 2 usage; one line
# per bundle (ok on stdout, the reason on stderr), or one JSON object per line.
. "$SP_TESTS/cli/lib.sh"
unset SECRETPACK_KEY SECRETPACK_KEY_FILE SECRETPACK_KEY_FD SECRETPACK_PASSPHRASE SECRETPACK_PASSPHRASE_FILE SECRETPACK_TRUST
code() { _want=$1; shift; "$@"; _got=$?; [ "$_got" = "$_want" ] || echo "exit code $_got, expected $_want" >&2; return "$_got"; }
size() { wc -c <"$1" | tr -d ' '; }
flip() {
	b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
	printf "\\$(printf %o $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# runs CMD..., keeping stdout in $T/.out and stderr in $T/.err; echoes the exit code.
run() { "$@" >"$T/.out" 2>"$T/.err"; echo $?; }
vec() { # vec NAME OUT: the bundle bytes of tests/vectors/NAME.vec
	hex=$(sed '1,/^[[:space:]]*$/d' "$SP_TESTS/vectors/$1.vec" | tr -d ' \t\r\n' |
		awk '{ h = "0123456789abcdef"; s = tolower($0)
			for (i = 1; i < length(s); i += 2)
				printf "\\%03o", (index(h, substr(s, i, 1)) - 1) * 16 + index(h, substr(s, i + 1, 1)) - 1 }')
	# shellcheck disable=SC2059
	printf "$hex" >"$2"
}

"$SP" keygen -o "$T/id" >"$T/id.out" 2>&1 || notok "keygen"
"$SP" keygen -o "$T/id2" >/dev/null 2>&1 || notok "keygen 2"
"$SP" keygen --sign -o "$T/sk" >"$T/sk.out" 2>&1 || notok "keygen --sign"
"$SP" keygen --sign -o "$T/sk2" >"$T/sk2.out" 2>&1 || notok "keygen --sign 2"
R=$(tail -n 1 "$T/id.out") S=$(tail -n 1 "$T/sk.out") S2=$(tail -n 1 "$T/sk2.out")
mkdir -p "$T/in"
printf 's3cret' >"$T/in/db"
head -c 100000 /dev/urandom >"$T/in/blob"
"$SP" seal -r "$R" --sign "$T/sk" --context shop@prod --expires 400d -o "$T/ok.spk" "$T/in/db" "$T/in/blob" 2>/dev/null ||
	notok "seal ok.spk"
"$SP" seal -r "$R" -o "$T/plain.spk" "$T/in/db" "$T/in/blob" 2>/dev/null || notok "seal plain.spk"
"$SP" seal -r "$R" --expires 10d -o "$T/soon.spk" "$T/in/db" 2>/dev/null || notok "seal soon.spk"
EXP=$("$SP" inspect --json "$T/ok.spk" | python3 -c 'import json,sys; print(json.load(sys.stdin)["expires"])')
SOON=$("$SP" inspect --json "$T/soon.spk" | python3 -c 'import json,sys; print(json.load(sys.stdin)["expires"])')
sz=$(size "$T/plain.spk")
cp "$T/plain.spk" "$T/tampered.spk"; flip "$T/tampered.spk" $((sz - 5))
head -c $((sz - 1)) "$T/plain.spk" >"$T/short.spk"
szs=$(size "$T/ok.spk")
cp "$T/ok.spk" "$T/signed-tampered.spk"; flip "$T/signed-tampered.spk" $((szs / 2))
head -c 4096 /dev/urandom >"$T/random.spk"
cp "$SP_TESTS/cli/keys/vector.key" "$T/vector.key"; chmod 600 "$T/vector.key"
vec expired-now "$T/expired.spk"

# ok: one line on stdout, nothing on stderr.
is "ok, no key: exit 0" 0 "$(run "$SP" check "$T/ok.spk")"
is "ok, no key: the line" \
	"secretpack: check: $T/ok.spk: ok (expires $EXP, context 'shop@prod', signed by $S, header only: no key given)" \
	"$(cat "$T/.out")"
is "ok: nothing on stderr" "" "$(cat "$T/.err")"
is "ok with the key: exit 0" 0 "$(run "$SP" check -i "$T/id" "$T/ok.spk")"
is "ok with the key: the whole payload authenticated" \
	"secretpack: check: $T/ok.spk: ok (expires $EXP, context 'shop@prod', signed by $S, opened, payload authenticated)" \
	"$(cat "$T/.out")"
is "ok with --trust and --context: exit 0" 0 "$(run "$SP" check -i "$T/id" --trust "$S" --context shop@prod "$T/ok.spk")"
grep -q ", signed by $S, trusted, opened" "$T/.out" && ok "--trust: the line says trusted" || notok "--trust: the line says trusted"
is "unsigned, no expiry: exit 0" 0 "$(run "$SP" check -i "$T/id" "$T/plain.spk")"
is "unsigned: the line" "secretpack: check: $T/plain.spk: ok (never expires, no context, unsigned, opened, payload authenticated)" \
	"$(cat "$T/.out")"

# 1: broken, wrong key, untrusted, unsigned under --trust, tampered, other context.
refuse "tampered payload, with the key: exit 1" "plain|tampered.spk: .*tampered" code 1 "$SP" check -i "$T/id" "$T/tampered.spk"
is "a failure prints nothing on stdout" "" "$(cat "$T/.out")"
refuse "truncated, with the key: exit 1" "short.spk: .*truncated" code 1 "$SP" check -i "$T/id" "$T/short.spk"
refuse "a signed bundle modified, no key: exit 1 (the signature covers every byte)" "signed-tampered.spk: signature does not verify" \
	code 1 "$SP" check "$T/signed-tampered.spk"
refuse "not a bundle: exit 1" "random.spk: not a secretpack bundle" code 1 "$SP" check "$T/random.spk"
refuse "missing file: exit 1" "missing.spk: no such file" code 1 "$SP" check "$T/missing.spk"
refuse "wrong key: exit 1" "ok.spk: wrong key or not a recipient" code 1 "$SP" check -i "$T/id2" "$T/ok.spk"
refuse "signed by another key than --trust: exit 1" "ok.spk: signed by $S, which --trust does not list" \
	code 1 "$SP" check --trust "$S2" "$T/ok.spk"
refuse "unsigned under --trust: exit 1" "plain.spk: not signed, and --trust requires" code 1 "$SP" check --trust "$S" "$T/plain.spk"
refuse "unsigned under SECRETPACK_TRUST, with the key: exit 1" "plain.spk: not signed, and SECRETPACK_TRUST requires" \
	code 1 env SECRETPACK_TRUST="$S" "$SP" check -i "$T/id" "$T/plain.spk"
refuse "another --context, with the key: exit 1" "ok.spk: context mismatch.*'shop@prod'.*'shop@test'" code 1 \
	"$SP" check -i "$T/id" --context shop@test "$T/ok.spk"
refuse "another --context, no key: exit 1" "ok.spk: context mismatch.*'shop@prod', not 'shop@test'" code 1 \
	"$SP" check --context shop@test "$T/ok.spk"

# 3: expired, or expiring within the window.
refuse "expired: exit 3" "expired.spk: expired 2023-11-14T22:13:20Z: re-seal it with a later --expires" \
	code 3 "$SP" check "$T/expired.spk"
refuse "expired, with the key: exit 3" "expired.spk: expired 2023-11-14T22:13:20Z" code 3 \
	"$SP" check -i "$T/vector.key" "$T/expired.spk"
refuse "expires within --expires-within 30d: exit 3" "soon.spk: expires $SOON, within 30d: re-seal it with a later --expires" \
	code 3 "$SP" check -i "$T/id" --expires-within 30d "$T/soon.spk"
is "expires after --expires-within 5d: exit 0" 0 "$(run "$SP" check -i "$T/id" --expires-within 5d "$T/soon.spk")"
is "no expiry: never within the window" 0 "$(run "$SP" check --expires-within 5000d "$T/plain.spk")"

# Several bundles: one line each, the worst wins (1 over 3 over 0).
is "ok and expiring: exit 3" 3 "$(run "$SP" check -i "$T/id" --expires-within 30d "$T/ok.spk" "$T/soon.spk" "$T/plain.spk")"
is "ok and expiring: two ok lines on stdout" 2 "$(grep -c ': ok (' "$T/.out")"
is "ok and expiring: one line on stderr" 1 "$(wc -l <"$T/.err" | tr -d ' ')"
is "broken, expiring and ok: exit 1" 1 \
	"$(run "$SP" check -i "$T/id" --expires-within 30d "$T/short.spk" "$T/soon.spk" "$T/ok.spk")"
is "broken, expiring and ok: the ok line" "secretpack: check: $T/ok.spk: ok" "$(cut -d'(' -f1 "$T/.out" | sed 's/ $//')"
is "broken, expiring and ok: one stderr line per bad bundle, in order" "short.spk soon.spk" \
	"$(sed 's/^secretpack: check: [^:]*\/\([^/:]*\): .*/\1/' "$T/.err" | tr '\n' ' ' | sed 's/ $//')"
is "expiring first, then broken: still exit 1" 1 "$(run "$SP" check -i "$T/id" --expires-within 30d "$T/soon.spk" "$T/short.spk")"

# JSON: one object per line and bundle; failures keep their stderr line.
is "--json: exit 1 for the worst" 1 \
	"$(run "$SP" check --json -i "$T/id" --expires-within 30d "$T/ok.spk" "$T/soon.spk" "$T/tampered.spk")"
is "--json: three lines" 3 "$(wc -l <"$T/.out" | tr -d ' ')"
is "--json: status and exit of each" "ok/0 expiring/3 failed/1" \
	"$(python3 -c 'import json,sys
print(" ".join("%s/%d" % (j["status"], j["exit"]) for j in map(json.loads, open(sys.argv[1]))))' "$T/.out" 2>&1)"
is "--json: the fields of an ok bundle" "shop@prod $S $EXP authenticated" \
	"$(head -n 1 "$T/.out" | python3 -c 'import json,sys; j = json.load(sys.stdin); print(j["context"], j["signer"], j["expires"], j["payload"])' 2>&1)"
is "--json: stderr keeps one line per bad bundle" 2 "$(wc -l <"$T/.err" | tr -d ' ')"
is "--json: expired bundle" "expired 3" \
	"$("$SP" check --json "$T/expired.spk" 2>/dev/null | python3 -c 'import json,sys; j = json.load(sys.stdin); print(j["status"], j["exit"])' 2>&1)"

# Inputs: stdin, pipes, the key from a descriptor (read once for every bundle).
is "bundle '-' from stdin: exit 0" 0 "$(run sh -c '"$1" check -i "$2" - <"$3"' sh "$SP" "$T/id" "$T/ok.spk")"
is "bundle '-': named '-'" "secretpack: check: -: ok" "$(cut -d'(' -f1 "$T/.out" | sed 's/ $//')"
refuse "'-' twice: exit 2" "'-' given twice" code 2 "$SP" check - - </dev/null
refuse "-i - and bundle -: exit 2" "the key and the bundle .-. both read stdin" code 2 "$SP" check -i - - </dev/null
refuse "SECRETPACK_KEY_FD=0 and bundle -: exit 2" "the key and the bundle .-. both read stdin" code 2 \
	env SECRETPACK_KEY_FD=0 "$SP" check - </dev/null
is "SECRETPACK_KEY_FD on a pipe, three bundles: exit 0" 0 \
	"$(run sh -c 'cat "$2" | SECRETPACK_KEY_FD=0 "$1" check "$3" "$4" "$3"' sh "$SP" "$T/id" "$T/ok.spk" "$T/plain.spk")"
is "SECRETPACK_KEY_FD: each bundle opened" 3 "$(grep -c 'opened, payload authenticated' "$T/.out")"
is "SECRETPACK_KEY_FD with a wrong key: exit 1" 1 \
	"$(run sh -c 'cat "$2" | SECRETPACK_KEY_FD=0 "$1" check "$3"' sh "$SP" "$T/id2" "$T/ok.spk")"
is "SECRETPACK_KEY_FILE: exit 0" 0 "$(run env SECRETPACK_KEY_FILE="$T/id" "$SP" check "$T/ok.spk" "$T/plain.spk")"
is "SECRETPACK_KEY_FILE: the payload is checked" 2 "$(grep -c 'opened, payload authenticated' "$T/.out")"
is "armored bundle: exit 0" 0 "$(run sh -c '"$1" seal -a -r "$2" -o "$3" "$4" && "$1" check -i "$5" "$3"' sh \
	"$SP" "$R" "$T/armored.spk" "$T/in/db" "$T/id")"

# Usage.
"$SP" check -h >"$T/.out" 2>"$T/.err"
is "check -h: exit 0" 0 $?
grep -q '^usage: secretpack check' "$T/.out" && grep -q 'Exit: 0' "$T/.out" && ok "check -h: usage with the exit codes on stdout" ||
	notok "check -h: usage with the exit codes on stdout"
refuse "no bundle: exit 2" "expected at least one bundle" code 2 "$SP" check
refuse "--expires-within a date: exit 2" "expires-within '2030-01-01': give a duration" code 2 \
	"$SP" check --expires-within 2030-01-01 "$T/ok.spk"
refuse "--expires-within garbage: exit 2" "give a duration" code 2 "$SP" check --expires-within soon "$T/ok.spk"
refuse "unknown option: exit 2" "unknown option --bogus" code 2 "$SP" check --bogus "$T/ok.spk"
refuse "-o is not an option of check: exit 2" "unknown option" code 2 "$SP" check -o x "$T/ok.spk"
