#!/bin/sh
# `secretpack run --user`: who the app runs as, with which groups and capabilities, and that it
# cannot get root back.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"

seal "$T/b.spk" "$T/in/db_password" || exit 1
export B="$T/b.spk"

# The app reports its credentials; groups= is the sorted set of its gid and supplementary groups.
newcase
app report <<'EOF'
: >"$C/m/ran"
st=/proc/$$/status
for k in Uid Gid CapInh CapPrm CapEff CapAmb NoNewPrivs; do
	echo "$k=$(awk -v k="$k:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$st")"
done
echo "groups=$( (awk '$1 == "Groups:" { $1 = ""; print }' "$st"; awk '$1 == "Gid:" { print $3 }' "$st") |
	tr ' ' '\n' | grep . | sort -n -u | tr '\n' ' ')"
echo "home=${HOME:-unset}"
if setpriv --reuid 0 true 2>/dev/null; then echo setuid0=yes; else echo setuid0=no; fi
if cat "$KEYPATH" >/dev/null 2>&1; then echo readkey=yes; else echo readkey=no; fi
echo "secret=$(cat "$C/s/db_password")"
EOF
export KEYPATH="$T/id" # passes through (not SECRETPACK_*), so the app knows the path
Z=0000000000000000

# run_as USER: the shim with --user USER into a fresh tmpfs, the app's report in $T/.out.
run_as() {
	U=$1; export U
	rm -f "$C/m/ran"
	ns 'tmpfs "$C/s"; "$SP" run --bundle "$B" --dir "$C/s" --user "$U" -- /bin/sh "$C/report.sh"' \
		>"$T/.out" 2>"$T/.err"
}

run_as app
is "--user app: exit 0" 0 $?
is "--user app: real, effective, saved and fs uid 1000" "1000 1000 1000 1000" "$(val Uid)"
is "--user app: all gids 1000" "1000 1000 1000 1000" "$(val Gid)"
is "--user app: exactly its groups from /etc/group (1000, extra 1500)" "1000 1500 " "$(val groups)"
is "--user app: HOME from /etc/passwd" "/home/app" "$(val home)"
is "--user app: no effective capabilities" $Z "$(val CapEff)"
is "--user app: no permitted capabilities" $Z "$(val CapPrm)"
is "--user app: no inheritable capabilities" $Z "$(val CapInh)"
is "--user app: no ambient capabilities" $Z "$(val CapAmb)"
is "--user app: NoNewPrivs 1" 1 "$(val NoNewPrivs)"
is "--user app: cannot setuid(0)" no "$(val setuid0)"
is "--user app: cannot read the key file" no "$(val readkey)"
is "--user app: reads its secret" s3cret-db-password "$(val secret)"

run_as app:extra
is "--user app:extra: exit 0" 0 $?
is "--user app:extra: uid 1000" "1000 1000 1000 1000" "$(val Uid)"
is "--user app:extra: gid 1500" "1500 1500 1500 1500" "$(val Gid)"

run_as 1001
is "--user 1001 (in /etc/passwd): exit 0" 0 $?
is "--user 1001: uid and gid from /etc/passwd" "1001 1001 1001 1001|1001 1001 1001 1001" "$(val Uid)|$(val Gid)"
is "--user 1001: its groups (other, extra, audit)" "1001 1500 1600 " "$(val groups)"
is "--user 1001: HOME of other" "/home/other" "$(val home)"

run_as 1000:1600
is "--user 1000:1600: exit 0" 0 $?
is "--user 1000:1600: uid 1000, gid 1600" "1000 1000 1000 1000|1600 1600 1600 1600" "$(val Uid)|$(val Gid)"

run_as 4321:4321
is "--user 4321:4321 (no entry): exit 0" 0 $?
is "--user 4321:4321: uid and gid as given, no other group" "4321 4321 4321 4321|4321 " \
	"$(val Uid)|$(val groups)"
is "--user 4321:4321: no capabilities" "$Z $Z" "$(val CapEff) $(val CapPrm)"

for u in 4321 nosuchuser app:nosuchgroup nosuchuser:app ''; do
	U=$u; export U
	rm -f "$C/m/ran"
	refuse "--user '$u': refused" "user|group|$u" \
		ns 'tmpfs "$C/s"; "$SP" run --bundle "$B" --dir "$C/s" --user "$U" -- /bin/sh "$C/report.sh"'
	is "--user '$u': app not started" 0 "$(ran)"
done

# Without --user the app runs as whoever started the shim; no_new_privs still set.
rm -f "$C/m/ran"
ns 'tmpfs "$C/s"; "$SP" run --bundle "$B" --dir "$C/s" -- /bin/sh "$C/report.sh"' >"$T/.out" 2>"$T/.err"
is "no --user as root: exit 0" 0 $?
is "no --user as root: runs as root" "0 0 0 0" "$(val Uid)"
is "no --user as root: NoNewPrivs 1" 1 "$(val NoNewPrivs)"

# Ambient capabilities of the shim are not passed on.
rm -f "$C/m/ran"
ns 'tmpfs "$C/s"; setpriv --inh-caps=+net_raw --ambient-caps=+net_raw \
	"$SP" run --bundle "$B" --dir "$C/s" -- /bin/sh "$C/report.sh"' >"$T/.out" 2>"$T/.err"
is "ambient caps of the shim: exit 0" 0 $?
is "ambient caps of the shim: cleared for the app" $Z "$(val CapAmb)"

rm -f "$C/m/ran"
ns 'tmpfs "$C/s"; "$SP" run --allow-new-privs --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/report.sh"' \
	>"$T/.out" 2>"$T/.err"
is "--allow-new-privs: exit 0" 0 $?
is "--allow-new-privs: NoNewPrivs 0" 0 "$(val NoNewPrivs)"
is "--allow-new-privs: still no capabilities" $Z "$(val CapEff)"

rm -f "$C/m/ran"
ns 'tmpfs "$C/s"; SECRETPACK_USER=app "$SP" run --bundle "$B" --dir "$C/s" -- /bin/sh "$C/report.sh"' \
	>"$T/.out" 2>"$T/.err"
is "SECRETPACK_USER mirrors --user" "1000 1000 1000 1000" "$(val Uid)"
