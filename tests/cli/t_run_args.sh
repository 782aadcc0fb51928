#!/bin/sh
# `secretpack run` arguments: an empty value means one thing, a usage error naming the flag,
# whether it comes from the flag or from its SECRETPACK_* variable; SECRETPACK_INIT is --init.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"

seal "$T/b.spk" "$T/in/db_password" || exit 1
export B="$T/b.spk"
newcase
app mark <<'EOF'
: >"$C/m/ran"
EOF

# Each flag given '': exit 2, one line naming the flag; nothing runs.
for f in --bundle --dir --user --context --env-allow --env --keep-env; do
	rm -f "$C/m/ran"
	refuse "$f '': usage error naming it" "run: $f '?'?: .*secretpack run -h" \
		ns 'tmpfs "$C/s"; "$SP" run '"$f"' "" --bundle "$B" --dir "$C/s" -- /bin/sh "$C/mark.sh"'
	is "$f '': exit 2, app not started" "2|0" \
		"$(rc ns 'tmpfs "$C/s"; "$SP" run '"$f"' "" --bundle "$B" --dir "$C/s" -- /bin/sh "$C/mark.sh"')|$(ran)"
done
# Each variable mirroring a flag set to '': the same, naming the variable and its flag, even
# when the flag is also given (an empty value is never "the default" nor "the current one").
for pair in SECRETPACK_BUNDLE:--bundle SECRETPACK_DIR:--dir SECRETPACK_USER:--user \
	SECRETPACK_CONTEXT:--context SECRETPACK_ENV_ALLOW:--env-allow SECRETPACK_INIT:--init; do
	V=${pair%%:*} F=${pair#*:}; export V
	rm -f "$C/m/ran"
	refuse "$V='': usage error naming $F" "run: $V='' \(the variable of $F\): an empty value is not allowed" \
		ns 'tmpfs "$C/s"; export $V=; "$SP" run --bundle "$B" --dir "$C/s" -- /bin/sh "$C/mark.sh"'
	is "$V='': exit 2, app not started" "2|0" \
		"$(rc ns 'tmpfs "$C/s"; export $V=; "$SP" run --bundle "$B" --dir "$C/s" -- /bin/sh "$C/mark.sh"')|$(ran)"
done

# SECRETPACK_INIT: 1 is --init (the shim stays PID 1, the app is its child), 0 is not; anything
# else is a usage error.
app pid <<'EOF'
echo "pid=$$"
EOF
ns 'tmpfs "$C/s"; SECRETPACK_INIT=1 exec "$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/pid.sh"' \
	>"$T/.out" 2>"$T/.err"
is "SECRETPACK_INIT=1: exit 0, the app is not PID 1 (the shim is its init)" "0|1" \
	"$?|$([ "$(val pid)" -gt 1 ] 2>/dev/null && echo 1 || echo 0)"
ns 'tmpfs "$C/s"; exec "$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/pid.sh"' \
	>"$T/.out" 2>"$T/.err"
is "control, without it: the app is PID 1" "0|1" "$?|$(val pid)"
ns 'tmpfs "$C/s"; SECRETPACK_INIT=0 exec "$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/pid.sh"' \
	>"$T/.out" 2>"$T/.err"
is "SECRETPACK_INIT=0: the app is PID 1" "0|1" "$?|$(val pid)"
refuse "SECRETPACK_INIT=yes: usage error" "SECRETPACK_INIT=yes \(the variable of --init\): expected 1 or 0" \
	env SECRETPACK_INIT=yes "$SP" run -- /bin/true
is "SECRETPACK_INIT=yes: exit 2" 2 "$(rc env SECRETPACK_INIT=yes "$SP" run -- /bin/true)"
is "usage text names SECRETPACK_INIT, --env-allow and --env" 3 \
	"$("$SP" run -h | grep -c -e 'SECRETPACK_INIT=1' -e '^  --env-allow PAT' -e '^  --env VAR=ENTRY')"
