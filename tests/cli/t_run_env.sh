#!/bin/sh
# `secretpack run`: where the key comes from, and that neither key nor any SECRETPACK_* variable
# nor any descriptor of the shim reaches the app.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"

seal "$T/ctx.spk" --context prod "$T/in/db_password" || exit 1
seal "$T/b.spk" "$T/in/db_password" || exit 1
printf 'correct horse battery staple\n' >"$T/pass"
chmod 600 "$T/pass"
SECRETPACK_PASSPHRASE='correct horse battery staple' "$SP" seal -p -o "$T/pp.spk" "$T/in/db_password" \
	>/dev/null 2>"$T/.seal.err" || { notok "seal -p"; sed 's/^/# /' "$T/.seal.err"; exit 1; }
export B="$T/b.spk" BC="$T/ctx.spk" BP="$T/pp.spk"

# The app keeps a copy of its environment and says what it sees.
newcase
app envapp <<'EOF'
: >"$C/m/ran"
cat /proc/$$/environ >"$C/m/environ"
echo "spvars=$(env | grep -c '^SECRETPACK_')"
echo "foo=${FOO:-unset}"
echo "uid=$(id -u)"
echo "db=$(cat "$C/s/db_password")"
EOF
# envcheck NAME TEXT: the app's saved environment holds no SECRETPACK_ variable and not TEXT.
envcheck() {
	is "$1: no SECRETPACK_* in the app's environment" 0 "$(val spvars)"
	is "$1: /proc/self/environ of the app: no SECRETPACK_, no secret text" 0 \
		"$(tr '\0' '\n' <"$C/m/environ" | grep -c -F -e SECRETPACK_ -e "$2")"
}

# Everything through the environment: key text, dir, user, context, bundle.
ns 'tmpfs "$C/s"; unset SECRETPACK_KEY_FILE; SECRETPACK_KEY=$(cat "$T/id") SECRETPACK_DIR="$C/s" \
	SECRETPACK_USER=app SECRETPACK_CONTEXT=prod SECRETPACK_BUNDLE="$BC" FOO=bar \
	"$SP" run -- /bin/sh "$C/envapp.sh"' >"$T/.out" 2>"$T/.err"
is "SECRETPACK_KEY (+DIR, USER, CONTEXT, BUNDLE): exit 0" 0 $?
is "SECRETPACK_KEY: secret written, app as app" "s3cret-db-password|1000" "$(val db)|$(val uid)"
envcheck "SECRETPACK_KEY" "$KEYLINE"
is "other variables pass through" bar "$(val foo)"

rm -f "$C/m/ran" "$C/m/environ"
check "SECRETPACK_KEY_FILE" \
	ns 'tmpfs "$C/s"; "$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/envapp.sh"'
is "SECRETPACK_KEY_FILE: secret written" "s3cret-db-password" "$(val db)"
envcheck "SECRETPACK_KEY_FILE" "$T/id"

# Descriptors: the app has exactly the descriptors a plain child of the same parent has.
# (No pipeline in the listing shell: it would hold pipe descriptors of its own.)
export FDCMD='ls /proc/$$/fd'
fdlist() { sort -n "$1" | tr '\n' ' '; }
ns 'tmpfs "$C/s"; /bin/sh -c "$FDCMD" >"$C/base"; exec 3<"$T/id"; unset SECRETPACK_KEY_FILE
	SECRETPACK_KEY_FD=3 "$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh -c "$FDCMD"' \
	>"$T/.out" 2>"$T/.err"
is "SECRETPACK_KEY_FD=3: exit 0" 0 $?
if [ -n "${SP_REAL:-}" ]; then
	skip "SECRETPACK_KEY_FD=3: the app's descriptors are the parent's, without 3" \
		"under valgrind, whose log descriptor stays open across the app's exec"
else
	is "SECRETPACK_KEY_FD=3: the app's descriptors are the parent's, without 3" "$(fdlist "$C/base")" \
		"$(fdlist "$T/.out")"
fi
is "SECRETPACK_KEY_FD=3: baseline is sane (0 1 2 present)" 1 \
	"$(case " $(fdlist "$C/base")" in *" 0 1 2 "*) echo 1 ;; *) echo 0 ;; esac)"

ns 'tmpfs "$C/s"; /bin/sh -c "$FDCMD" >"$C/base"
	"$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh -c "$FDCMD"' >"$T/.out" 2>"$T/.err"
if [ -n "${SP_REAL:-}" ]; then
	skip "SECRETPACK_KEY_FILE: no descriptor of the shim leaks into the app" \
		"under valgrind, whose log descriptor stays open across the app's exec"
else
	is "SECRETPACK_KEY_FILE: no descriptor of the shim leaks into the app" "$(fdlist "$C/base")" \
		"$(fdlist "$T/.out")"
fi

# A key file readable by others is refused before anything is written.
cp "$T/id" "$C/id644"; chmod 644 "$C/id644"
rm -f "$C/m/ran"
refuse "group/world-readable key file: refused" "chmod|permission" \
	ns 'tmpfs "$C/s"; SECRETPACK_KEY_FILE="$C/id644" "$SP" run --bundle "$B" --dir "$C/s" --user app -- \
		/bin/sh "$C/envapp.sh"'
is "readable key file: app not started" 0 "$(ran)"

rm -f "$C/m/ran"
refuse "no key at all: refused" "SECRETPACK_KEY|key|identity|passphrase" \
	ns 'tmpfs "$C/s"; unset SECRETPACK_KEY_FILE; "$SP" run --bundle "$B" --dir "$C/s" --user app -- \
		/bin/sh "$C/envapp.sh"'
is "no key: app not started" 0 "$(ran)"

# --unlink-key: a key file on a tmpfs is gone before the app starts; one on disk stays.
newcase
app unlink <<'EOF'
: >"$C/m/ran"
if [ -e "$C/k/id" ]; then echo key=present; else echo key=gone; fi
EOF
mkdir "$C/k"
ns 'tmpfs "$C/s"; tmpfs "$C/k"; cp "$T/id" "$C/k/id"; chmod 600 "$C/k/id"
	SECRETPACK_KEY_FILE="$C/k/id" "$SP" run --unlink-key --bundle "$B" --dir "$C/s" --user app -- \
		/bin/sh "$C/unlink.sh"; rc=$?; ls -A "$C/k" >"$C/after"; exit $rc' >"$T/.out" 2>"$T/.err"
is "--unlink-key on tmpfs: exit 0" 0 $?
is "--unlink-key on tmpfs: key gone when the app starts" gone "$(val key)"
is "--unlink-key on tmpfs: key file removed" "" "$(cat "$C/after")"

cp "$T/id" "$C/k/id"; chmod 600 "$C/k/id"
ns 'tmpfs "$C/s"; SECRETPACK_KEY_FILE="$C/k/id" "$SP" run --unlink-key --bundle "$B" --dir "$C/s" \
	--user app -- /bin/sh "$C/unlink.sh"' >"$T/.out" 2>"$T/.err"
is "--unlink-key on disk: the key file is left alone" 1 "$(cmp -s "$T/id" "$C/k/id" && echo 1 || echo 0)"

# Passphrase bundles.
newcase
app envapp <<'EOF'
: >"$C/m/ran"
cat /proc/$$/environ >"$C/m/environ"
echo "spvars=$(env | grep -c '^SECRETPACK_')"
echo "db=$(cat "$C/s/db_password")"
EOF
ns 'tmpfs "$C/s"; unset SECRETPACK_KEY_FILE; SECRETPACK_PASSPHRASE_FILE="$T/pass" \
	"$SP" run --bundle "$BP" --dir "$C/s" --user app -- /bin/sh "$C/envapp.sh"' >"$T/.out" 2>"$T/.err"
is "SECRETPACK_PASSPHRASE_FILE: exit 0" 0 $?
is "SECRETPACK_PASSPHRASE_FILE: secret written" "s3cret-db-password" "$(val db)"
envcheck "SECRETPACK_PASSPHRASE_FILE" "$T/pass"

rm -f "$C/m/ran" "$C/m/environ"
ns 'tmpfs "$C/s"; unset SECRETPACK_KEY_FILE; SECRETPACK_PASSPHRASE="correct horse battery staple" \
	"$SP" run --bundle "$BP" --dir "$C/s" --user app -- /bin/sh "$C/envapp.sh"' >"$T/.out" 2>"$T/.err"
is "SECRETPACK_PASSPHRASE: exit 0" 0 $?
envcheck "SECRETPACK_PASSPHRASE" "correct horse"

rm -f "$C/m/ran"
printf 'wrong horse\n' >"$C/badpass"; chmod 600 "$C/badpass"
refuse "wrong passphrase: refused" "passphrase" \
	ns 'tmpfs "$C/s"; unset SECRETPACK_KEY_FILE; SECRETPACK_PASSPHRASE_FILE="$C/badpass" \
		"$SP" run --bundle "$BP" --dir "$C/s" --user app -- /bin/sh "$C/envapp.sh"; \
		rc=$?; ls -A "$C/s" >"$C/after"; exit $rc'
is "wrong passphrase: app not started, DIR empty" "0|" "$(ran)|$(cat "$C/after")"

# --keep-env passes one named non-secret SECRETPACK_* variable on, never a key or passphrase one.
newcase
app keep <<'EOF2'
echo "ctx=${SECRETPACK_CONTEXT:-unset}"
echo "others=$(env | grep '^SECRETPACK_' | grep -c -v '^SECRETPACK_CONTEXT=')"
EOF2
ns 'tmpfs "$C/s"; SECRETPACK_CONTEXT=prod SECRETPACK_USER=app "$SP" run --keep-env SECRETPACK_CONTEXT \
	--bundle "$BC" --dir "$C/s" -- /bin/sh "$C/keep.sh"' >"$T/.out" 2>"$T/.err"
is "--keep-env SECRETPACK_CONTEXT: exit 0" 0 $?
is "--keep-env SECRETPACK_CONTEXT: passed on, and only it" "prod|0" "$(val ctx)|$(val others)"
for v in SECRETPACK_KEY SECRETPACK_KEY_FILE SECRETPACK_KEY_FD SECRETPACK_PASSPHRASE SECRETPACK_PASSPHRASE_FILE; do
	V=$v; export V
	is "--keep-env $v: usage error" 2 \
		"$(rc ns 'tmpfs "$C/s"; "$SP" run --keep-env "$V" --bundle "$B" --dir "$C/s" -- /bin/true')"
done
