#!/bin/sh
# The shim as a container's ENTRYPOINT under runc: a busybox rootfs, the static binary, Docker's
# default capabilities, a tmpfs at /run/secrets, the key bind-mounted read-only.
. "$SP_TESTS/cli/lib.sh"
here=$SP_TESTS/oci
id=sp-test-$$
cleanup() {
	for c in $(runc --root "$T/runc" list -q 2>/dev/null); do
		runc --root "$T/runc" delete -f "$c" >/dev/null 2>&1
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ "$(id -u)" != 0 ] || ! runc --version >/dev/null 2>&1; then
	skip "secretpack run under runc" "runc unavailable (needs root and the runc package)"
	exit 0
fi
BB=$(command -v busybox) || { notok "busybox-static is installed"; exit 1; }
if ldd "$BB" >/dev/null 2>&1; then notok "busybox is static (install busybox-static)"; exit 1; fi

# The rootfs: busybox and its applets, the binary (with its libraries if it is not static),
# users, the bundle, mount points, the app.
R=$T/bundle/rootfs
mkdir -p "$R/bin" "$R/usr/local/bin" "$R/etc/secretpack" "$R/app" "$R/proc" "$R/dev" \
	"$R/run/secrets" "$R/run/secretpack"
cp "$BB" "$R/bin/busybox"
for a in sh cat ls id stat env grep awk sort tr find wc readlink sleep sed; do ln -s busybox "$R/bin/$a"; done
cp "$SP" "$R/usr/local/bin/secretpack"
if ldd "$SP" >/dev/null 2>&1; then
	for lib in $(ldd "$SP" | grep -o '/[^ ]*'); do mkdir -p "$R${lib%/*}"; cp -L "$lib" "$R$lib"; done
fi
: >"$R/run/secretpack/key"
cat >"$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
EOF
cat >"$R/etc/group" <<'EOF'
root:x:0:
app:x:1000:
EOF
cp "$here/check.sh" "$R/app/check.sh"; chmod 755 "$R/app/check.sh"
cp "$here/../../contrib/app/show-secrets.sh" "$R/app/show-secrets.sh"; chmod 755 "$R/app/show-secrets.sh"

mkdir -p "$T/in" "$T/key"
"$SP" keygen -o "$T/key/id" >"$T/keygen.out" 2>&1 || { notok "keygen"; cat "$T/keygen.out"; exit 1; }
printf 's3cret-db-password' >"$T/in/db_password"
printf 'tok-4f9a2c' >"$T/in/api_token"
printf 'PRIVATE KEY' >"$T/in/server.key"
cat >"$T/in/manifest.ini" <<'EOF'
[secret db_password]
file = db_password
env = DB_PASSWORD_FILE

[secret api_token]
file = api_token
mode = 0440

[secret tls/server.key]
file = server.key
EOF
check "seal the container's bundle" "$SP" seal -r "$(tail -n 1 "$T/keygen.out")" \
	-o "$R/etc/secretpack/bundle.spk" -m "$T/in/manifest.ini"

# container NAME [config.sh args...]: runs one container; stdout in $T/.out, stderr in $T/.err.
container() {
	n=$1; shift
	sh "$here/config.sh" "$T/key/id" "$@" >"$T/bundle/config.json" || return 1
	runc --root "$T/runc" run --bundle "$T/bundle" "$id-$n" </dev/null >"$T/.out" 2>"$T/.err"
	r=$?
	runc --root "$T/runc" delete -f "$id-$n" >/dev/null 2>&1
	return $r
}

container main /usr/local/bin/secretpack run --user app -- /app/check.sh
is "container: exit 0" 0 $?
cat >"$T/expected" <<'EOF'
id=1000:1000 groups=1000
/run/secrets 500 1000 1000 directory
/run/secrets/api_token 440 1000 1000 regular file
/run/secrets/db_password 400 1000 1000 regular file
/run/secrets/tls 500 1000 1000 directory
/run/secrets/tls/server.key 400 1000 1000 regular file
db=s3cret-db-password
token=tok-4f9a2c
DB_PASSWORD_FILE=/run/secrets/db_password
key=unreadable
secretpack_env=0
environ_key=0
CapPrm:0000000000000000
CapEff:0000000000000000
NoNewPrivs:1
fds= 0 1 2
secrets_dir=read-only
marker=secretpack-oci-ok
EOF
if diff "$T/expected" "$T/.out" >"$T/diff"; then
	ok "container: the app sees exactly its secrets, as app, unprivileged, without the key"
else
	notok "container: the app's report"
	sed 's/^/# /' "$T/diff" "$T/.err"
fi
is "container: nothing on stderr" "" "$(cat "$T/.err")"

# Without the tmpfs (and without CAP_SYS_ADMIN to mount one) the shim says what to add.
NO_SECRETS_TMPFS=1 container notmpfs /usr/local/bin/secretpack run --user app -- /app/check.sh
is "container without a tmpfs: exit 1" 1 $?
is "container without a tmpfs: the app did not run" "" "$(cat "$T/.out")"
is "container without a tmpfs: one line naming --tmpfs /run/secrets" 1 \
	"$(grep -c '^secretpack: .*--tmpfs /run/secrets' "$T/.err")"

# The same image with --init: the shim stays PID 1 and passes the app's status on.
container init /usr/local/bin/secretpack run --init --user app -- /bin/sh -c 'cat /run/secrets/db_password; exit 3'
is "container --init: app's exit status" 3 $?
is "container --init: app read its secret" "s3cret-db-password" "$(cat "$T/.out")"

# The capability set contrib/compose.yaml and contrib/k8s/pod.yaml grant is enough.
CAPS="CAP_CHOWN CAP_FOWNER CAP_DAC_OVERRIDE CAP_SETUID CAP_SETGID" \
	container mincaps /usr/local/bin/secretpack run --user app -- /app/check.sh
is "container with contrib's capability set: exit 0" 0 $?
is "container with contrib's capability set: same report" "" "$(diff "$T/expected" "$T/.out")"

# The demo app of contrib/app finds nothing wrong in a correct setup.
container demo /usr/local/bin/secretpack run --user app -- /app/show-secrets.sh
is "contrib/app/show-secrets.sh: exit 0" 0 $?
is "contrib/app/show-secrets.sh: three checks good, nothing leaked" "3|0" \
	"$(grep -c '(good)' "$T/.out")|$(grep -c -e LEAKED -e READABLE "$T/.out")"
is "contrib/app/show-secrets.sh: lists the directory, its 4 entries and the variable" "5|1" \
	"$(grep -c ' app:app /run/secrets' "$T/.out")|$(grep -c 'DB_PASSWORD_FILE -> /run/secrets/db_password' "$T/.out")"

# A signer pinned in the image (Dockerfile: ENV SECRETPACK_TRUST=spksig1...): the unsigned bundle
# the image holds now, as anyone with the public key could make, is refused before the app runs;
# the same secrets sealed and signed with the pinned key run.
"$SP" keygen --sign -o "$T/key/sign" >"$T/sign.out" 2>&1 || notok "keygen --sign"
SIGNER=$(tail -n 1 "$T/sign.out")
ENV_EXTRA="SECRETPACK_TRUST=$SIGNER" container unsigned /usr/local/bin/secretpack run --user app -- /app/check.sh
is "container, pinned signer, unsigned bundle: exit 1" 1 $?
is "container, pinned signer, unsigned bundle: the app did not run" "" "$(cat "$T/.out")"
is "container, pinned signer, unsigned bundle: one line saying it is not signed" 1 \
	"$(grep -c "^secretpack: run: /etc/secretpack/bundle.spk: not signed, and SECRETPACK_TRUST requires a signature from $SIGNER" "$T/.err")"
check "seal and sign the container's bundle" "$SP" seal -r "$(tail -n 1 "$T/keygen.out")" \
	--sign "$T/key/sign" -o "$R/etc/secretpack/bundle.spk" -m "$T/in/manifest.ini"
ENV_EXTRA="SECRETPACK_TRUST=$SIGNER" container signed /usr/local/bin/secretpack run --user app -- /app/check.sh
is "container, pinned signer, signed bundle: exit 0" 0 $?
is "container, pinned signer, signed bundle: same report" "" "$(diff "$T/expected" "$T/.out")"
