#!/bin/sh
# demo.sh - a guided tour for new users: make a key, seal contrib/example, inspect the bundle,
# open it into a private tmpfs and look at what landed there. Exits non-zero on any failure.
# usage: contrib/demo.sh /path/to/secretpack      (what `make demo` runs)
set -u
SP=${1:?usage: contrib/demo.sh /path/to/secretpack}
case $SP in /*) ;; *) SP=$(pwd)/$SP ;; esac
[ -x "$SP" ] || { echo "demo: $SP is not an executable: run 'make' first" >&2; exit 1; }
# As root, the whole tour runs in a private mount namespace, so the tmpfs it opens into is nobody
# else's and disappears with the demo.
if [ "$(id -u)" = 0 ] && [ -z "${SP_DEMO_PRIVATE:-}" ] && unshare -m true 2>/dev/null; then
	SP_DEMO_PRIVATE=1 exec unshare -m sh "$0" "$SP"
fi
APPSH=$(cd "$(dirname "$0")/app" && pwd)/show-secrets.sh
EX=$(cd "$(dirname "$0")/example" && pwd) || { echo "demo: contrib/example is missing" >&2; exit 1; }
unset SECRETPACK_KEY SECRETPACK_KEY_FILE SECRETPACK_PASSPHRASE SECRETPACK_PASSPHRASE_FILE
W=$(mktemp -d "${TMPDIR:-/tmp}/secretpack-demo.XXXXXX") || exit 1
SHM=
cleanup() {
	[ -z "${SP_DEMO_PRIVATE:-}" ] || umount "$W/ram" 2>/dev/null
	rm -rf "$W"
	[ -z "$SHM" ] || rm -rf "$SHM"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
n=0

step() { n=$((n + 1)); printf '\n==> %d. %s\n' "$n" "$*"; }
say() { printf '    %s\n' "$@"; }
die() { printf '\ndemo: FAILED: %s\n' "$*" >&2; exit 1; }
# show CMD...: prints the command as a user would type it, runs it, indents its output.
show() {
	printf '    $ secretpack'
	shift
	for a; do case $a in *' '*) printf " '%s'" "$a" ;; *) printf ' %s' "$a" ;; esac; done
	printf '\n'
	"$SP" "$@" >"$W/.out" 2>&1
	r=$?
	sed 's/^/      /' "$W/.out"
	return $r
}
# listing DIR: every file and folder below DIR with its permissions, owner and size.
listing() {
	(cd "$1" && find . | LC_ALL=C sort | while read -r f; do
		stat -c '      %A %a  %U:%G  %5s bytes  %n' "$f"
	done)
}

cd "$W" || die "cannot enter $W"
say "secretpack puts an app's secrets into one encrypted bundle, and writes them as files into a" \
	"RAM-backed folder when the app starts. Working folder for this demo: $W"

step "Make an identity (the private key) and print its recipient (the public key)"
show secretpack keygen -o demo.key || die "keygen failed"
RCPT=$(tail -n 1 "$W/.out")
case $RCPT in spkpub1*) ;; *) die "keygen printed no recipient" ;; esac
say "demo.key is mode $(stat -c %a demo.key): only you can read it. Keep it out of git and of images;" \
	"it is given to the container at run time. The spkpub1... line is safe to share."

step "Look at the example project"
say "$EX"
(cd "$EX" && find . -type f | LC_ALL=C sort | sed 's/^\.\//      /')
say "manifest.ini names each secret and where it lands:"
grep -Ev '^[[:space:]]*(;|$)' "$EX/manifest.ini" | sed 's/^/      /'
say "The values in secrets/ are fake."

step "Seal the example for the recipients in the manifest, plus your new key"
show secretpack seal -m "$EX/manifest.ini" -r "$RCPT" -o app.spk || die "seal failed"
say "app.spk ($(wc -c <app.spk | tr -d ' ') bytes) is encrypted: it may go into the image or the repository." \
	"In a real project, add your recipient to keys/recipients.txt instead of passing -r."

step "Inspect the bundle without a key: only the header"
show secretpack inspect app.spk || die "inspect failed"

step "Inspect it with the key: each entry's name, size, mode, owner and variable, never the contents"
show secretpack inspect -i demo.key app.spk || die "inspect -i failed"

step "A bundle is bound to its deployment: the wrong --context is refused"
if show secretpack open -i demo.key --context shop@prod -o wrong app.spk; then
	die "open with the wrong context succeeded"
fi
[ ! -e wrong ] || die "a refused open left a folder behind"
say "Refused, and nothing was written: opening is all or nothing."

step "Open it into a private tmpfs and list what landed there"
check_opened() { # DIR: the opened files equal the example's inputs.
	cmp -s "$1/db_password" "$EX/secrets/db_password.txt" &&
		cmp -s "$1/api_token" "$EX/secrets/api_token.txt" &&
		cmp -s "$1/smtp/password" "$EX/secrets/smtp/password.txt"
}
if [ -n "${SP_DEMO_PRIVATE:-}" ]; then
	say "As root, in a private mount namespace (unshare -m): a fresh tmpfs that vanishes with the demo."
	mkdir -p "$W/ram"
	printf '    $ mount -t tmpfs -o size=1m,mode=0700,nosuid,nodev,noexec tmpfs %s\n' "$W/ram"
	mount -t tmpfs -o size=1m,mode=0700,nosuid,nodev,noexec tmpfs "$W/ram" || die "cannot mount a tmpfs"
	show secretpack open -i demo.key --context shop@demo -o "$W/ram/secrets" app.spk || die "open failed"
	say "What landed in the tmpfs:"
	listing "$W/ram/secrets"
	check_opened "$W/ram/secrets" || die "the opened files differ from the example"
else
	[ -d /dev/shm ] && [ -w /dev/shm ] || die "no /dev/shm to write to: run as root or mount a tmpfs"
	SHM=$(mktemp -d /dev/shm/secretpack-demo.XXXXXX) || die "cannot make a folder under /dev/shm"
	say "Not root: a private folder (mode $(stat -c %a "$SHM")) under /dev/shm, a tmpfs, removed at the end."
	show secretpack open -i demo.key --context shop@demo -o "$SHM/secrets" app.spk || die "open failed"
	say "What landed there:"
	listing "$SHM/secrets"
	check_opened "$SHM/secrets" || die "the opened files differ from the example"
fi
say "The folder is 0700; each secret has the mode from the manifest (0400 unless set): here" \
	"db_password is 0440. open leaves files owned by you; 'secretpack run --user app' gives them" \
	"to the app's user, with owner= from the manifest."

# ---- `secretpack run`: what the container's ENTRYPOINT does ------------------------------------
step "Start an app the way a container's ENTRYPOINT would: secretpack run"
cp "$APPSH" "$W/app.sh" && chmod 755 "$W/app.sh" || die "no contrib/app"
if [ -n "${SP_DEMO_PRIVATE:-}" ]; then
	say "In this private mount namespace the image's /etc/passwd gets an 'app' user (uid 1000)," \
		"as a Dockerfile's useradd would. $W/run is on disk: the shim mounts a tmpfs over it."
	printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:demo app:/home/app:/bin/sh\n' >"$W/passwd"
	printf 'root:x:0:\napp:x:1000:\n' >"$W/group"
	mount --bind "$W/passwd" /etc/passwd && mount --bind "$W/group" /etc/group || die "cannot bind /etc/passwd"
	chmod 711 "$W" && mkdir -m 0755 "$W/run" || die "cannot prepare $W/run"
	RUNDIR=$W/run
	USEROPT="--user app"
else
	say "Skipped when not root: the example gives db_password to app:app, and only root can switch" \
		"users and hand files over. Run 'make demo' as root (or in a container) to see this step."
	printf '\n==> Done. Next: contrib/Dockerfile and contrib/compose.yaml run the same bundle in a container.\n'
	exit 0
fi
# The key must be out of the app's reach: a copy owned by the app's uid is refused, up front.
cp demo.key app-owned.key && chown 1000:1000 app-owned.key || die "cannot copy the key"
say "First, a key the app could read (owned by uid 1000, the app's uid and most developers'):"
printf '    $ SECRETPACK_KEY_FILE=app-owned.key secretpack run ... --user app -- app.sh\n'
if SECRETPACK_KEY_FILE=$W/app-owned.key "$SP" run --bundle app.spk --dir "$RUNDIR" --context shop@demo \
	--user app -- "$W/app.sh" >"$W/.out" 2>&1; then
	die "run accepted a key the app could read"
fi
sed 's/^/      /' "$W/.out"
grep -q 'the app could read the key' "$W/.out" || die "the refusal does not say why"
[ -z "$(ls -A "$RUNDIR")" ] || die "a refused run left something in $RUNDIR"
rm -f app-owned.key
say "Refused before anything was decrypted; the app did not start. Now the key as it should be:"
printf '    $ chown root:root demo.key && chmod 0400 demo.key\n'
chown root:root demo.key && chmod 0400 demo.key || die "cannot chown the key"
printf '    $ SECRETPACK_KEY_FILE=demo.key secretpack run --bundle app.spk --dir %s \\\n' "$RUNDIR"
printf '          --context shop@demo %s -- app.sh\n' "$USEROPT"
# shellcheck disable=SC2086
SECRETPACK_KEY_FILE=$W/demo.key SECRETS_DIR=$RUNDIR KEY_PATHS=$W/demo.key \
	"$SP" run --bundle app.spk --dir "$RUNDIR" --context shop@demo $USEROPT -- "$W/app.sh" \
	>"$W/.out" 2>&1
r=$?
sed 's/^/      /' "$W/.out"
[ $r -eq 0 ] || die "run failed"
grep -q 'LEAKED\|READABLE' "$W/.out" && die "the app could see something it should not"
grep -q "$W/demo.key: present, not readable by me" "$W/.out" || die "the app did not try to read the key"
say "The app ran as its own user with its secrets in a RAM-backed folder only it can read; it tried" \
	"to read demo.key and could not, and no SECRETPACK_* variable reached its environment."
[ -z "${SP_DEMO_PRIVATE:-}" ] || umount "$RUNDIR" 2>/dev/null
# ---- end of the `secretpack run` step ------------------------------------------------------

printf '\n==> Done. Next: contrib/Dockerfile and contrib/compose.yaml run the same bundle in a container.\n'
