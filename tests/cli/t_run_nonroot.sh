#!/bin/sh
# `secretpack run` started by a non-root user: writes into a pre-mounted tmpfs it owns, runs the
# app as itself, and cannot switch to another user.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"

seal "$T/b.spk" "$T/in/db_password" || exit 1
chmod 644 "$T/b.spk"
export B="$T/b.spk"

newcase
cp "$T/id" "$C/id"; chown 1000:1000 "$C/id"; chmod 600 "$C/id"
app report <<'EOF2'
: >"$C/m/ran"
echo "uid=$(id -u) $(id -g) $(id -G)"
echo "dir=$(stat -c '%a %u %g' "$C/s")"
echo "file=$(stat -c '%a %u %g' "$C/s/db_password") $(cat "$C/s/db_password")"
echo "caps=$(awk '$1 == "CapEff:" || $1 == "CapPrm:" || $1 == "NoNewPrivs:" { printf "%s ", $2 }' /proc/$$/status)"
EOF2
# asuser [RUN OPTIONS]: the shim as uid 1000 (no groups, no capabilities) into $C/s.
asuser() {
	OPTS="$*"; export OPTS
	rm -f "$C/m/ran"
	# The key on a pipe, as README recommends for a non-root shim: a key file would stay readable
	# by the app, and the shim would say so.
	ns 'tmpfs "$C/s" 0700; chown 1000:1000 "$C/s"; cat "$C/id" | { SECRETPACK_KEY_FILE= SECRETPACK_KEY_FD=3 \
		setpriv --reuid 1000 --regid 1000 --clear-groups "$SP" run $OPTS --bundle "$B" --dir "$C/s" -- \
		/bin/sh "$C/report.sh" 3<&0 </dev/null; }'
}

asuser >"$T/.out" 2>"$T/.err"
is "non-root shim: exit 0" 0 $?
is "non-root shim: app runs as uid 1000, no groups" "1000 1000 1000" "$(val uid)"
is "non-root shim: entry 0400 owned by 1000" "400 1000 1000 s3cret-db-password" "$(val file)"
is "non-root shim: directory 0500 owned by 1000" "500 1000 1000" "$(val dir)"
is "non-root shim: no capabilities, NoNewPrivs 1" "0000000000000000 0000000000000000 1 " "$(val caps)"

refuse "non-root shim: --user other refused" "user 'other': secretpack runs as uid 1000, not root: it cannot switch to uid 1001" \
	asuser --user other
is "non-root shim, --user other: app not started" 0 "$(ran)"

# Naming its own user (USER app in the image, secretpack run --user app) works whatever group list
# the runtime gave: here none (--clear-groups); one line says which groups the app runs without.
asuser --user app >"$T/.out" 2>"$T/.err"
is "non-root shim, --user app (no groups): exit 0, app runs as uid 1000" "0|1000 1000 1000" "$?|$(val uid)"
is "non-root shim, --user app (no groups): one warning naming group 1500 (extra)" \
	"secretpack: run: warning: user 'app': the app runs without groups 1500 that /etc/group gives it (secretpack is not root and cannot add them): start the container with them (docker run --group-add, Kubernetes supplementalGroups)" \
	"$(cat "$T/.err")"
asuser --user 1000:1000 >"$T/.out" 2>"$T/.err"
is "non-root shim, --user 1000:1000: exit 0, no warning" "0|1000 1000 1000|" "$?|$(val uid)|$(cat "$T/.err")"

rm -f "$C/m/ran"
refuse "non-root shim: tmpfs it cannot write refused" "$C/s|ermission|denied" \
	ns 'tmpfs "$C/s" 0755; SECRETPACK_KEY_FILE="$C/id" \
		setpriv --reuid 1000 --regid 1000 --clear-groups "$SP" run --bundle "$B" --dir "$C/s" -- \
		/bin/sh "$C/report.sh"'
is "non-root shim, unwritable tmpfs: app not started" 0 "$(ran)"

rm -f "$C/m/ran"
refuse "non-root shim: disk directory refused with a --tmpfs hint" "--tmpfs" \
	ns 'chown 1000:1000 "$C/s"; SECRETPACK_KEY_FILE="$C/id" \
		setpriv --reuid 1000 --regid 1000 --clear-groups "$SP" run --bundle "$B" --dir "$C/s" -- \
		/bin/sh "$C/report.sh"'
is "non-root shim, disk directory: app not started, nothing written" "0|" "$(ran)|$(ls -A "$C/s")"
