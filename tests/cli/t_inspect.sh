#!/bin/sh
# inspect: the header without a key, entry metadata (never contents) with one, and --json.
. "$SP_TESTS/cli/lib.sh"
unset SECRETPACK_KEY SECRETPACK_KEY_FILE SECRETPACK_PASSPHRASE SECRETPACK_PASSPHRASE_FILE
code() { _want=$1; shift; "$@"; _got=$?; [ "$_got" = "$_want" ] || echo "exit code $_got, expected $_want" >&2; return "$_got"; }
size() { wc -c <"$1" | tr -d ' '; }
flip() {
	b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
	printf "\\$(printf %o $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# json FILE EXPR: evaluates a Python expression on the parsed JSON document j.
json() {
	python3 -c '
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except ValueError as e:
    sys.exit("invalid JSON: %s" % e)
print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}

"$SP" keygen -o "$T/id" >"$T/id.out" 2>&1 || notok "keygen"
"$SP" keygen -o "$T/id2" >"$T/id2.out" 2>&1 || notok "keygen 2"
R1=$(tail -n 1 "$T/id.out") R2=$(tail -n 1 "$T/id2.out")
mkdir -p "$T/in"
printf 'VALUE-db-9f1e77' >"$T/in/db_password"
printf 'VALUE-api-0c33aa' >"$T/in/api_token"
cat >"$T/in/manifest.ini" <<EOF
[bundle]
context = shop@prod
recipient = $R1
recipient = $R2

[secret db_password]
file = db_password
mode = 0440
owner = app:app
env = DB_PASSWORD_FILE

[secret tokens/api]
file = api_token
EOF
"$SP" seal -m "$T/in/manifest.ini" --expires 30d -o "$T/b.spk" 2>"$T/.err" || { notok "seal"; cat "$T/.err"; }
created_min=$(date -u +%Y-%m-%d)

# Without a key: the header only.
check "inspect without a key" "$SP" inspect "$T/b.spk"
cp "$T/.out" "$T/plain.txt"
grep -q '^format: *secretpack bundle version 2$' "$T/plain.txt" && ok "shows the format version" || notok "shows the format version"
grep -q "^created: *$created_min" "$T/plain.txt" && ok "shows the creation time" || notok "shows the creation time"
grep -Eq '^expires: *[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "$T/plain.txt" && ok "shows the expiry time" || notok "shows the expiry time"
grep -q '^context: *shop@prod$' "$T/plain.txt" && ok "shows the context" || notok "shows the context"
grep -q '^recipients: *2 x25519, 0 passphrase$' "$T/plain.txt" && ok "shows the recipient counts" || notok "shows the recipient counts"
grep -Eq 'db_password|tokens/api|DB_PASSWORD_FILE|^entries' "$T/plain.txt" && notok "no entry names without a key" || ok "no entry names without a key"
grep -q 'VALUE-' "$T/plain.txt" && notok "no contents without a key" || ok "no contents without a key"

# With a key: metadata of every entry, never contents.
check "inspect -i" "$SP" inspect -i "$T/id" "$T/b.spk"
cat "$T/.out" "$T/.err" >"$T/keyed.txt"
grep -q '^entries: *2$' "$T/keyed.txt" && ok "-i: entry count" || notok "-i: entry count"
grep -Eq '^ +0440 +15 +db_password +owner=app:app env=DB_PASSWORD_FILE$' "$T/keyed.txt" &&
	ok "-i: name, size, mode, owner, env" || notok "-i: name, size, mode, owner, env"
grep -Eq '^ +0400 +16 +tokens/api +owner=- env=-$' "$T/keyed.txt" && ok "-i: defaults shown" || notok "-i: defaults shown"
grep -q 'VALUE-' "$T/keyed.txt" && notok "-i: never the contents" || ok "-i: never the contents"
grep -q '^context: *shop@prod$' "$T/keyed.txt" && ok "-i: header shown too" || notok "-i: header shown too"
check "inspect -i needs no --context" "$SP" inspect -i "$T/id2" "$T/b.spk"
is "SECRETPACK_KEY_FILE makes inspect show entries" 1 \
	"$(SECRETPACK_KEY_FILE="$T/id" "$SP" inspect "$T/b.spk" 2>&1 | grep -c '^entries:')"

# --json.
check "inspect --json" "$SP" inspect --json "$T/b.spk"
cp "$T/.out" "$T/plain.json"
python3 -m json.tool "$T/plain.json" >/dev/null 2>&1 && ok "--json: valid JSON" || notok "--json: valid JSON"
is "--json: version" 2 "$(json "$T/plain.json" 'j["version"]')"
is "--json: context" shop@prod "$(json "$T/plain.json" 'j["context"]')"
is "--json: recipients" "2 0" "$(json "$T/plain.json" '"%d %d" % (j["recipients"]["x25519"], j["recipients"]["passphrase"])')"
is "--json: created" "$created_min" "$(json "$T/plain.json" 'j["created"][:10]')"
is "--json: expires set, not expired" "True False" "$(json "$T/plain.json" 'j["expires"] is not None, j["expired"]' | tr -d '(),')"
is "--json without a key: no entries" False "$(json "$T/plain.json" '"entries" in j')"
check "inspect -i --json" "$SP" inspect -i "$T/id" --json "$T/b.spk"
cp "$T/.out" "$T/keyed.json"
python3 -m json.tool "$T/keyed.json" >/dev/null 2>&1 && ok "-i --json: valid JSON" || notok "-i --json: valid JSON"
is "-i --json: entries" "db_password 15 0440 app:app DB_PASSWORD_FILE|tokens/api 16 0400 None None" \
	"$(json "$T/keyed.json" '"|".join("%s %s %s %s %s" % (e["name"], e["size"], e["mode"], e["owner"], e["env"]) for e in j["entries"])')"
grep -q 'VALUE-' "$T/keyed.json" && notok "-i --json: never the contents" || ok "-i --json: never the contents"
"$SP" seal -r "$R1" --context 'say "hi" \ bye' -o "$T/quote.spk" "$T/in/db_password" 2>/dev/null
"$SP" inspect --json "$T/quote.spk" >"$T/quote.json" 2>&1
is "--json: quotes and backslashes escaped" 'say "hi" \ bye' "$(json "$T/quote.json" 'j["context"]')"
tab=$(printf '\t')
cp "$T/quote.spk" "$T/odd${tab}name.spk"
"$SP" inspect --json "$T/odd${tab}name.spk" >"$T/odd.json" 2>&1
is "--json: control characters in the path escaped" "$T/odd${tab}name.spk" "$(json "$T/odd.json" 'j["bundle"]')"
printf 'pw\n' >"$T/pass"; chmod 600 "$T/pass"
SECRETPACK_PASSPHRASE_FILE="$T/pass" "$SP" seal -p -o "$T/pass.spk" "$T/in/db_password" 2>/dev/null
"$SP" inspect --json "$T/pass.spk" >"$T/pass.json" 2>&1
is "--json: passphrase recipient and its Argon2id cost" "0 1 argon2id 3 65536 4" \
	"$(json "$T/pass.json" '"%d %d %s %d %d %d" % (j["recipients"]["x25519"], j["recipients"]["passphrase"], j["kdf"]["algorithm"], j["kdf"]["t_cost"], j["kdf"]["m_cost_kib"], j["kdf"]["parallelism"])')"
"$SP" inspect "$T/pass.spk" >"$T/.out" 2>&1
grep -q '^recipients: *0 x25519, 1 passphrase (argon2id t=3 m=65536 KiB p=4)$' "$T/.out" &&
	ok "passphrase recipient and its cost in text" || notok "passphrase recipient and its cost in text"
is "-p inspect shows entries" 1 "$(SECRETPACK_PASSPHRASE_FILE="$T/pass" "$SP" inspect -p "$T/pass.spk" 2>&1 | grep -c '^entries: *1$')"

# Failures.
sz=$(size "$T/b.spk")
cp "$T/b.spk" "$T/tampered.spk"
flip "$T/tampered.spk" $((sz - 5))
check "inspect without a key reads only the header of a tampered bundle" "$SP" inspect "$T/tampered.spk"
refuse "inspect -i on a tampered bundle: refused" "tampered" code 1 "$SP" inspect -i "$T/id" "$T/tampered.spk"
is "inspect -i on a tampered bundle: nothing on stdout" "" "$(cat "$T/.out")"
head -c $((sz - 3)) "$T/b.spk" >"$T/short.spk"
refuse "inspect -i on a truncated bundle: refused" "truncated" code 1 "$SP" inspect -i "$T/id" "$T/short.spk"
is "inspect -i on a truncated bundle: nothing on stdout" "" "$(cat "$T/.out")"
refuse "inspect -i --json on a tampered bundle: refused" "tampered" code 1 "$SP" inspect -i "$T/id" --json "$T/tampered.spk"
is "inspect -i --json on a tampered bundle: nothing on stdout" "" "$(cat "$T/.out")"
"$SP" keygen -o "$T/id3" >/dev/null 2>&1
refuse "inspect -i with a wrong key: refused" "wrong key" code 1 "$SP" inspect -i "$T/id3" "$T/b.spk"
head -c 1000 /dev/urandom >"$T/random.spk"
refuse "inspect of a random file" "not a secretpack bundle" code 1 "$SP" inspect "$T/random.spk"
: >"$T/empty.spk"
refuse "inspect of an empty file" "not a secretpack bundle" code 1 "$SP" inspect "$T/empty.spk"
refuse "inspect of a missing file" "no such file" code 1 "$SP" inspect "$T/missing.spk"
refuse "inspect of a directory" "not a regular file" code 1 "$SP" inspect "$T/in"
# inspect only looks: it lists the entries of a bundle whose context or expiry check fails, and
# says which check failed (doc/FORMAT.md, Checks), where open and cat refuse.
check "inspect -i of a context-bound bundle without -c: lists the entries" "$SP" inspect -i "$T/id" "$T/b.spk"
grep -q "^checks: *FAILED: context mismatch (bound to 'shop@prod', checked against no context)" "$T/.out" &&
	ok "without -c: the failed context check is shown" || notok "without -c: the failed context check is shown"
grep -q "; run refuses this bundle without --context; open and cat accept its own context$" "$T/.out" &&
	ok "without -c: says run refuses it and open and cat accept the bundle's own context" ||
	notok "without -c: says run refuses it and open and cat accept the bundle's own context"
grep -q 'db_password' "$T/.out" && ok "without -c: entries listed" || notok "without -c: entries listed"
check "inspect -i -c shop@prod" "$SP" inspect -i "$T/id" -c shop@prod "$T/b.spk"
grep -q '^checks: *ok (context and expiry)$' "$T/.out" && ok "with the right -c: checks ok" || notok "with the right -c: checks ok"
"$SP" inspect -i "$T/id" -c shop@test --json "$T/b.spk" >"$T/ctx.json" 2>"$T/.err"
is "--json, wrong -c: checks passed false, context mismatch, expiry ok" "False mismatch ok" \
	"$(json "$T/ctx.json" 'j["checks"]["passed"], j["checks"]["context"], j["checks"]["expiry"]' | tr -d "(),'")"
"$SP" inspect -i "$T/id" -c shop@prod --json "$T/b.spk" >"$T/ctx2.json" 2>"$T/.err"
is "--json, right -c: checks passed" "True ok ok" \
	"$(json "$T/ctx2.json" 'j["checks"]["passed"], j["checks"]["context"], j["checks"]["expiry"]' | tr -d "(),'")"
refuse "cat refuses what inspect only reports" "context mismatch" code 1 "$SP" cat -i "$T/id" -c shop@test "$T/b.spk" db_password
"$SP" seal -r "$R1" --expires 1s -o "$T/soon.spk" "$T/in/db_password" 2>/dev/null || notok "seal --expires 1s"
sleep 2
check "inspect -i of an expired bundle: lists the entries" "$SP" inspect -i "$T/id" "$T/soon.spk"
grep -q '^checks: *FAILED: expired;' "$T/.out" && ok "expired: the failed expiry check is shown" ||
	notok "expired: the failed expiry check is shown"
grep -q '^checks: *FAILED: expired; open, cat and run refuse this bundle (open and cat read it with --allow-expired)$' "$T/.out" &&
	ok "expired: names --allow-expired" || notok "expired: names --allow-expired"
grep -q 'db_password' "$T/.out" && ok "expired: entries listed" || notok "expired: entries listed"
"$SP" inspect -i "$T/id" --json "$T/soon.spk" >"$T/exp.json" 2>"$T/.err"
is "--json, expired: checks passed false, context ok, expired" "False ok expired" \
	"$(json "$T/exp.json" 'j["checks"]["passed"], j["checks"]["context"], j["checks"]["expiry"]' | tr -d "(),'")"
refuse "open refuses the expired bundle" "expired" code 1 "$SP" open -i "$T/id" -o "$T/exp-out" "$T/soon.spk"
"$SP" inspect -h >"$T/.out" 2>&1
grep -q "Entries are listed even when the context check" "$T/.out" && ok "inspect -h says failed checks are shown, not fatal" ||
	notok "inspect -h says failed checks are shown, not fatal"

"$SP" inspect -h >"$T/.out" 2>"$T/.err"
is "inspect -h: exit 0" 0 $?
grep -q '^usage: secretpack inspect' "$T/.out" && ok "inspect -h: usage on stdout" || notok "inspect -h: usage on stdout"
refuse "inspect without bundle: exit 2" "one bundle" code 2 "$SP" inspect
refuse "inspect with -o: exit 2" "option" code 2 "$SP" inspect -o "$T/x" "$T/b.spk"
refuse "inspect with an unknown option: exit 2" "unknown option" code 2 "$SP" inspect --bogus "$T/b.spk"
