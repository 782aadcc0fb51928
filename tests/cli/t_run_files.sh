#!/bin/sh
# `secretpack run`: what lands in the secrets directory - modes, owners, nested names, the *_FILE
# variables, several bundles, armored bundles.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"

cat >"$T/in/manifest.ini" <<'EOF'
[secret db_password]
file = db_password
mode = 0440
env = DB_PASSWORD_FILE

[secret api_token]
file = api_token
env = API_TOKEN_FILE

[secret group_secret]
file = api_token
mode = 0440
owner = app:extra

[secret db/replica/password]
file = db_password
EOF
seal "$T/m.spk" -m "$T/in/manifest.ini" || exit 1
seal "$T/extra.spk" "extra_token=$T/in/api_token" || exit 1
seal "$T/clash.spk" "db_password=$T/in/other_secret" || exit 1
seal "$T/armored.spk" -a "$T/in/db_password" || exit 1
seal "$T/plain.spk" "$T/in/db_password" || exit 1
export M="$T/m.spk"

newcase
app report <<'EOF'
: >"$C/m/ran"
export LC_ALL=C
for f in . db_password api_token group_secret db db/replica db/replica/password; do
	echo "$f=$(stat -c '%a %u %g %F' "$C/s/$f")"
done
echo "list=$(ls -A "$C/s" | sort | tr '\n' ' ')"
echo "DB_PASSWORD_FILE=${DB_PASSWORD_FILE:-unset}"
echo "API_TOKEN_FILE=${API_TOKEN_FILE:-unset}"
echo "read_db=$(cat "$DB_PASSWORD_FILE")"
echo "read_nested=$(cat "$C/s/db/replica/password")"
echo "read_group=$(cat "$C/s/group_secret")"
EOF
check "manifest bundle: app started as app" \
	ns 'tmpfs "$C/s"; "$SP" run --bundle "$M" --dir "$C/s" --user app -- /bin/sh "$C/report.sh"'
is "secrets dir: 0500, owned by app" "500 1000 1000 directory" "$(val .)"
is "default mode 0400, owned by the target user" "400 1000 1000 regular file" "$(val api_token)"
is "mode 0440 from the manifest" "440 1000 1000 regular file" "$(val db_password)"
is "owner app:extra with mode 0440 from the manifest" "440 1000 1500 regular file" "$(val group_secret)"
is "nested name: first subdirectory 0500 owned by app" "500 1000 1000 directory" "$(val db)"
is "nested name: second subdirectory 0500 owned by app" "500 1000 1000 directory" "$(val db/replica)"
is "nested name: file 0400 owned by app" "400 1000 1000 regular file" "$(val db/replica/password)"
is "exactly the bundle's entries, no staging left behind" \
	"api_token db db_password group_secret " "$(val list)"
is "env= exports NAME=DIR/ENTRY" "$C/s/db_password" "$(val DB_PASSWORD_FILE)"
is "second env= exported too" "$C/s/api_token" "$(val API_TOKEN_FILE)"
is "app reads its secret through the variable" "s3cret-db-password" "$(val read_db)"
is "app reads a nested secret" "s3cret-db-password" "$(val read_nested)"
is "app reads a secret of its supplementary group" "tok-4f9a2c" "$(val read_group)"

# An owner other than the app's user could never reach its file in the app's 0500 directory:
# refused before anything is written.
printf '[secret other_secret]\nfile = other_secret\nowner = other:other\n' >"$T/in/other.ini"
seal "$T/other.spk" -m "$T/in/other.ini" || exit 1
rm -f "$C/m/ran"
refuse "owner other:other (not the app's user): refused" \
	"entry other_secret: owner 'other:other' is uid 1001, but only the app \(uid 1000\) can reach" \
	ns 'tmpfs "$C/s"; "$SP" run --bundle "$T/other.spk" --dir "$C/s" --user app -- /bin/sh "$C/report.sh"; \
		rc=$?; ls -A "$C/s" >"$C/after"; exit $rc'
is "owner other:other: app not started, nothing left" "0|" "$(ran)|$(cat "$C/after")"

# Contents of any size arrive intact: empty, and spanning several payload chunks.
newcase
head -c 200000 /dev/urandom >"$T/in/big"
: >"$T/in/empty"
seal "$T/sizes.spk" "$T/in/big" "$T/in/empty" || exit 1
export BS="$T/sizes.spk"
app sizes <<'EOF'
echo "big=$(cksum <"$C/s/big")"
echo "empty=$(stat -c '%s %a' "$C/s/empty")"
EOF
check "big and empty entries" \
	ns 'tmpfs "$C/s"; "$SP" run --bundle "$BS" --dir "$C/s" --user app -- /bin/sh "$C/sizes.sh"'
is "200 kB entry intact" "$(cksum <"$T/in/big")" "$(val big)"
is "empty entry written, 0 bytes" "0 400" "$(val empty)"

# Several bundles add up; SECRETPACK_BUNDLE names one when --bundle is absent.
newcase
app two <<'EOF'
: >"$C/m/ran"
echo "list=$(ls -A "$C/s" | LC_ALL=C sort | tr '\n' ' ')"
echo "extra=$(cat "$C/s/extra_token")"
EOF
export B1="$T/plain.spk" B2="$T/extra.spk" B3="$T/clash.spk" BA="$T/armored.spk"
check "two --bundle: both opened" \
	ns 'tmpfs "$C/s"; "$SP" run --bundle "$B1" --bundle "$B2" --dir "$C/s" --user app -- /bin/sh "$C/two.sh"'
is "two --bundle: entries of both" "db_password extra_token |tok-4f9a2c" "$(val list)|$(val extra)"

newcase
app two <<'EOF'
: >"$C/m/ran"
EOF
refuse "two --bundle redefining an entry: refused" "duplicate|db_password" \
	ns 'tmpfs "$C/s"; "$SP" run --bundle "$B1" --bundle "$B3" --dir "$C/s" --user app -- /bin/sh "$C/two.sh"; \
		rc=$?; ls -A "$C/s" >"$C/after"; exit $rc'
is "clash: app not started" 0 "$(ran)"
is "clash: nothing left in DIR" "" "$(cat "$C/after")"

newcase
app one <<'EOF'
: >"$C/m/ran"
echo "db=$(cat "$C/s/db_password")"
EOF
check "armored bundle" \
	ns 'tmpfs "$C/s"; "$SP" run --bundle "$BA" --dir "$C/s" --user app -- /bin/sh "$C/one.sh"'
is "armored bundle: entry written" "s3cret-db-password" "$(val db)"

newcase
app one <<'EOF'
: >"$C/m/ran"
echo "db=$(cat "$C/s/db_password")"
EOF
check "SECRETPACK_BUNDLE mirrors --bundle" \
	ns 'tmpfs "$C/s"; SECRETPACK_BUNDLE="$B1" "$SP" run --dir "$C/s" --user app -- /bin/sh "$C/one.sh"'
is "SECRETPACK_BUNDLE: entry written" "s3cret-db-password" "$(val db)"
