#!/bin/sh
# seal -m: the manifest form users copy, paths relative to the manifest, and every manifest
# error refused with the file and line it sits on.
. "$SP_TESTS/cli/lib.sh"
unset SECRETPACK_KEY SECRETPACK_KEY_FILE SECRETPACK_PASSPHRASE SECRETPACK_PASSPHRASE_FILE
code() { _want=$1; shift; "$@"; _got=$?; [ "$_got" = "$_want" ] || echo "exit code $_got, expected $_want" >&2; return "$_got"; }

"$SP" keygen -o "$T/id" >"$T/id.out" 2>&1 || notok "keygen"
"$SP" keygen -o "$T/id2" >"$T/id2.out" 2>&1 || notok "keygen 2"
R1=$(tail -n 1 "$T/id.out") R2=$(tail -n 1 "$T/id2.out")
next_year=$(($(date -u +%Y) + 1))

# The documented form: a project folder with keys/ and secrets/.
P=$T/shop
mkdir -p "$P/keys" "$P/secrets/tls" "$T/elsewhere" "$T/out"
printf '# production recipients\n%s\n' "$R1" >"$P/keys/prod.pub"
printf 'VALUE-db-password' >"$P/secrets/db_password.txt"
printf 'VALUE-api-token' >"$P/secrets/api_token.txt"
printf 'VALUE-tls-key' >"$P/secrets/tls/server.key"
printf 'VALUE-absolute' >"$T/absolute.txt"
cat >"$P/manifest.ini" <<EOF
; shop secrets for production
[bundle]
context = shop@prod
recipients = keys/prod.pub     ; a recipients file, one per line
recipient = $R2
expires = $next_year-06-30

[secret db_password]
file = secrets/db_password.txt
mode = 0440
owner = app:app
env = DB_PASSWORD_FILE

# defaults: mode 0400, the target user, no variable
[secret api_token]
file = secrets/api_token.txt

[secret tls/server.key]
file = secrets/tls/server.key
mode = 0400
owner = 1000:1000

[secret absolute]
file = $T/absolute.txt
EOF
cd "$T/elsewhere" || exit 1
check "seal -m from another folder: paths resolve against the manifest's folder" \
	"$SP" seal -m ../shop/manifest.ini -o "$T/shop.spk"
cd "$T" || exit 1
check "inspect" "$SP" inspect "$T/shop.spk"
grep -q '^context: *shop@prod$' "$T/.out" && ok "manifest context" || notok "manifest context"
grep -q "^expires: *$next_year-06-30T23:59:59Z$" "$T/.out" && ok "manifest expires" || notok "manifest expires"
grep -q '^recipients: *2 x25519, 0 passphrase$' "$T/.out" && ok "recipients file and inline recipient" || notok "recipients file and inline recipient"
check "inspect -i" "$SP" inspect -i "$T/id" "$T/shop.spk"
grep -Eq '^ +0440 +17 +db_password +owner=app:app env=DB_PASSWORD_FILE$' "$T/.out" &&
	ok "inspect -i: mode, owner and env from the manifest" || notok "inspect -i: mode, owner and env from the manifest"
grep -Eq '^ +0400 +15 +api_token +owner=- env=-$' "$T/.out" && ok "inspect -i: defaults" || notok "inspect -i: defaults"
grep -Eq '^ +0400 +13 +tls/server.key +owner=1000:1000 env=-$' "$T/.out" && ok "inspect -i: nested name, numeric owner" ||
	notok "inspect -i: nested name, numeric owner"
grep -Eq '^ +0400 +14 +absolute ' "$T/.out" && ok "absolute file path kept" || notok "absolute file path kept"
grep -q 'VALUE-' "$T/.out" && notok "inspect -i shows no contents" || ok "inspect -i shows no contents"
is "the recipients file's key opens" "VALUE-db-password" \
	"$("$SP" cat -i "$T/id" --context shop@prod "$T/shop.spk" db_password 2>&1)"
is "the inline recipient opens" "VALUE-tls-key" \
	"$("$SP" cat -i "$T/id2" --context shop@prod "$T/shop.spk" tls/server.key 2>&1)"
check "open" "$SP" open -i "$T/id" --context shop@prod -o "$T/opened" "$T/shop.spk"
is "open: modes from the manifest" "440 400 400" \
	"$(stat -c %a "$T/opened/db_password" "$T/opened/api_token" "$T/opened/tls/server.key" | tr '\n' ' ' | sed 's/ $//')"
check "-m with a manifest in the current folder" sh -c 'cd "$1" && "$2" seal -m manifest.ini -o "$3"' - "$P" "$SP" "$T/shop2.spk"
check "-m with extra inputs and -r" "$SP" seal -m "$P/manifest.ini" -r "$R2" "extra=$P/secrets/api_token.txt" -o "$T/shop3.spk"
is "extra input sealed with the manifest's entries" "VALUE-api-token" \
	"$("$SP" cat -i "$T/id" --context shop@prod "$T/shop3.spk" extra 2>&1)"
check "--context and --expires override the manifest's" \
	"$SP" seal -m "$P/manifest.ini" --context shop@staging --expires "$((next_year + 1))-01-15" -o "$T/over.spk"
"$SP" inspect "$T/over.spk" >"$T/.out" 2>&1
grep -q '^context: *shop@staging$' "$T/.out" && ok "override: context from the command line" ||
	notok "override: context from the command line"
grep -q "^expires: *$((next_year + 1))-01-15T23:59:59Z$" "$T/.out" && ok "override: expires from the command line" ||
	notok "override: expires from the command line"
printf '\357\273\277[secret bom]\r\nfile = secrets/api_token.txt\r\n' >"$P/bom.ini"
check "UTF-8 BOM and CRLF line endings accepted" "$SP" seal -r "$R1" -m "$P/bom.ini" -o "$T/bom.spk"
is "BOM/CRLF manifest: entry sealed" "VALUE-api-token" "$("$SP" cat -i "$T/id" "$T/bom.spk" bom 2>&1)"

# badm NAME LINE PATTERN: stdin is a manifest beside a secret file s.txt; seal must refuse it,
# naming manifest.ini and LINE, and write nothing.
badm() {
	d=$T/bad/$1
	mkdir -p "$d"
	cat >"$d/manifest.ini"
	printf 'x' >"$d/s.txt"
	refuse "$1: refused at line $2" "manifest.ini:$2: .*$3" code 1 \
		"$SP" seal -r "$R1" -m "$d/manifest.ini" -o "$T/out/$1.spk"
}
badm unknown-section 4 "unknown section" <<'EOF'
[bundle]
context = x

[secrets db]
file = s.txt
EOF
badm unknown-key 3 "unknown key 'fiel'" <<'EOF'
# typo
[secret db]
fiel = s.txt
EOF
badm unknown-bundle-key 2 "unknown key 'contxt'" <<'EOF'
[bundle]
contxt = shop@prod
EOF
badm missing-file 3 "missing 'file'" <<'EOF'
[secret ok]
file = s.txt
[secret db]
mode = 0400

[secret other]
file = s.txt
EOF
badm missing-file-last 5 "missing 'file'" <<'EOF'
[secret ok]
file = s.txt

; the last section
[secret db]
mode = 0400
EOF
for mode in 0999 9 abc 0200 01400 '-0400' '0o400' 0; do
	badm "bad-mode-$mode" 4 "bad mode '$mode'" <<EOF
[secret db]
file = s.txt
owner = app
mode = $mode
EOF
done
for env in 1BAD BAD-NAME 'A B' LD_PRELOAD SECRETPACK_KEY PATH; do
	badm "bad-env-$(echo "$env" | tr ' ' _)" 3 "bad env" <<EOF
[secret db]
file = s.txt
env = $env
EOF
done
for owner in -root 'a b' 'app:' 'a:b:c'; do
	badm "bad-owner-$(echo "$owner" | tr ' :' '_.')" 2 "bad owner" <<EOF
[secret db]
owner = $owner
file = s.txt
EOF
done
badm duplicate-secret 7 "duplicate \[secret db\] \(first at line 2\)" <<'EOF'
; two sections, one name
[secret db]
file = s.txt

[secret other]
file = s.txt
[secret db]
file = s.txt
EOF
badm duplicate-bundle 4 "duplicate \[bundle\]" <<'EOF'
[bundle]
context = a

[bundle]
context = b
EOF
badm duplicate-key 3 "duplicate key 'mode'" <<'EOF'
[secret db]
mode = 0400
mode = 0440
file = s.txt
EOF
badm unsafe-name 2 "unsafe secret name" <<'EOF'

[secret ../etc/passwd]
file = s.txt
EOF
badm unsafe-name-abs 1 "unsafe secret name" <<'EOF'
[secret /abs]
file = s.txt
EOF
badm empty-name 1 "missing name" <<'EOF'
[secret]
file = s.txt
EOF
badm not-ini 3 "expected 'key = value'" <<'EOF'
[secret db]
file = s.txt
this line is not ini
EOF
badm unclosed-section 1 "expected '\]'" <<'EOF'
[secret db
file = s.txt
EOF
badm outside-section 2 "outside a section" <<'EOF'
# no section yet
file = s.txt
EOF
badm empty-value 2 "empty value for 'file'" <<'EOF'
[secret db]
file =
EOF
badm bad-context 2 "bad context" <<EOF
[bundle]
context = $(head -c 129 /dev/zero | tr '\0' x)
[secret db]
file = s.txt
EOF
badm bad-expires 3 "bad expires" <<'EOF'
[bundle]
context = a
expires = soon
[secret db]
file = s.txt
EOF
typo=$(printf '%s' "$R1" | awk '{ c = substr($0, 20, 1); r = (c == "q") ? "p" : "q"; print substr($0, 1, 19) r substr($0, 21) }')
badm bad-recipient 2 "bad recipient.*checksum" <<EOF
[bundle]
recipient = $typo
[secret db]
file = s.txt
EOF
badm identity-as-recipient 2 "bad recipient" <<EOF
[bundle]
recipient = $(grep '^SPKSEC1' "$T/id")
[secret db]
file = s.txt
EOF
grep -q "$(grep '^SPKSEC1' "$T/id" | cut -c8-23)" "$T/.err" && notok "identity-as-recipient: no part of the secret key echoed" ||
	ok "identity-as-recipient: no part of the secret key echoed"
badm missing-secret-file 4 "nothere.txt: no such file" <<'EOF'
[secret db]
file = s.txt

[secret gone]
file = nothere.txt
EOF
badm folder-clash 4 "also a folder" <<'EOF'
[secret a]
file = s.txt

[secret a/b]
file = s.txt
EOF

# Errors found after parsing: no line, but the cause.
mkdir -p "$T/late"
printf 'x' >"$T/late/s.txt"
printf '[bundle]\nrecipients = none.pub\n[secret db]\nfile = s.txt\n' >"$T/late/m1.ini"
refuse "a missing recipients file: refused" "none.pub: no such file" code 1 \
	"$SP" seal -m "$T/late/m1.ini" -o "$T/out/late1.spk"
printf '[bundle]\nexpires = 2001-01-01\n[secret db]\nfile = s.txt\n' >"$T/late/m2.ini"
refuse "expires in the past: refused" "in the past" code 1 "$SP" seal -r "$R1" -m "$T/late/m2.ini" -o "$T/out/late2.spk"
printf '[secret a]\nfile = s.txt\nenv = A_FILE\n[secret b]\nfile = s.txt\nenv = A_FILE\n' >"$T/late/m3.ini"
refuse "two secrets with one env variable: refused" "A_FILE" code 1 "$SP" seal -r "$R1" -m "$T/late/m3.ini" -o "$T/out/late3.spk"
printf '[secret db]\nfile = s.txt\n' >"$T/late/m4.ini"
refuse "a manifest without recipients and no -r: exit 2" "no recipient" code 2 "$SP" seal -m "$T/late/m4.ini" -o "$T/out/late4.spk"
refuse "a missing manifest" "no such file" code 1 "$SP" seal -r "$R1" -m "$T/late/none.ini" -o "$T/out/late5.spk"
printf '[secret db]\nfile = s.txt\n\0\n' >"$T/late/m6.ini"
refuse "a manifest with a NUL byte" "NUL" code 1 "$SP" seal -r "$R1" -m "$T/late/m6.ini" -o "$T/out/late6.spk"
is "no bundle from any refused manifest" "" "$(ls -A "$T/out")"
