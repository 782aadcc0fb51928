#!/bin/sh
# `secretpack run --user` against gosu: gid 0 targets (OpenShift), a non-root shim with the group
# list its runtime gave it, an app that rewrites /etc/passwd to become root, and a root shim
# without the capabilities a drop needs. gosu (Debian package) runs the same specs as a control.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"

seal "$T/b.spk" "$T/in/db_password" || exit 1
chmod 644 "$T/b.spk"
export B="$T/b.spk"
GOSU=$(command -v gosu 2>/dev/null || true)
export GOSU
Z=0000000000000000

newcase
# The image's users: run_lib's, plus an OpenShift-style user (primary gid 0, one more group).
# Each case binds $C/passwd and $C/group over the test users.
cat >"$C/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
other:x:1001:1001:other:/home/other:/bin/sh
os:x:1002:0:openshift:/home/os:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$C/group" <<'EOF'
root:x:0:
app:x:1000:
other:x:1001:
extra:x:1500:other,app,os
audit:x:1600:other
nogroup:x:65534:
EOF
chmod 644 "$C/passwd" "$C/group"
PW='mount --bind "$C/passwd" /etc/passwd && mount --bind "$C/group" /etc/group || exit 99; '

# The app reports who it is: ids (real effective saved), the set of its gid and groups, its
# capabilities, whether root comes back; every uid it ever ran as is appended to $C/m/uids.
app report <<'EOF'
: >"$C/m/ran"
id -u >>"$C/m/uids"
st=/proc/$$/status
echo "uid=$(awk '$1 == "Uid:" { print $2, $3, $4 }' "$st")"
echo "gid=$(awk '$1 == "Gid:" { print $2, $3, $4 }' "$st")"
echo "groups=$( (awk '$1 == "Groups:" { $1 = ""; print }' "$st"; awk '$1 == "Gid:" { print $3 }' "$st") |
	tr ' ' '\n' | grep . | sort -n -u | tr '\n' ' ')"
echo "caps=$(awk '$1 == "CapEff:" || $1 == "CapPrm:" || $1 == "CapAmb:" { printf "%s ", $2 }' "$st")"
if setpriv --reuid 0 true 2>/dev/null; then echo root=yes; else echo root=no; fi
EOF
# vof FILE KEY: the value of KEY= in FILE.
vof() { awk -v k="$2" 'index($0, k "=") == 1 { v = substr($0, length(k) + 2) } END { print v }' "$1"; }
# view FILE: what both tools must agree on.
view() { echo "$(vof "$1" uid)|$(vof "$1" gid)|$(vof "$1" groups)|$(vof "$1" caps)|$(vof "$1" root)"; }

# sp_as SPEC: the root shim with --user SPEC; report in $C/sp.out, stderr in $C/sp.err, status $C/sp.rc.
sp_as() {
	U=$1; export U
	rm -f "$C/m/ran" "$C/m/uids"
	ns "$PW"'tmpfs "$C/s"; "$SP" run --bundle "$B" --dir "$C/s" --user "$U" -- /bin/sh "$C/${APP:-report}.sh"' \
		>"$C/sp.out" 2>"$C/sp.err"
	echo $? >"$C/sp.rc"
}
# gosu_as SPEC: the control, same namespace setup.
gosu_as() {
	U=$1; export U
	ns "$PW"'"$GOSU" "$U" /bin/sh "$C/report.sh"' >"$C/gosu.out" 2>"$C/gosu.err"
	echo $? >"$C/gosu.rc"
}

# ---- 1. gid 0 is a legitimate target group; the uid is non-root and cannot become root ----
# spec | uid (real effective saved) | gid | groups
while IFS='|' read -r spec uid gid groups; do
	sp_as "$spec"
	is "--user $spec: exit 0, no message" "0|" "$(cat "$C/sp.rc")|$(cat "$C/sp.err")"
	is "--user $spec: ids, groups, no capabilities, root out of reach" \
		"$uid|$gid|$groups|$Z $Z $Z |no" "$(view "$C/sp.out")"
	if [ -n "$GOSU" ]; then
		gosu_as "$spec"
		is "--user $spec: same exit code, ids, groups and capabilities as gosu" \
			"$(cat "$C/gosu.rc")|$(view "$C/gosu.out")" "$(cat "$C/sp.rc")|$(view "$C/sp.out")"
	else
		skip "--user $spec: same as gosu" "gosu is not installed (apt-get install gosu)"
	fi
done <<'EOF'
1000:0|1000 1000 1000|0 0 0|0 
1000:root|1000 1000 1000|0 0 0|0 
nobody:root|65534 65534 65534|0 0 0|0 
1001:0|1001 1001 1001|0 0 0|0 
os|1002 1002 1002|0 0 0|0 1500 
1002|1002 1002 1002|0 0 0|0 1500 
app|1000 1000 1000|1000 1000 1000|1000 1500 
other:audit|1001 1001 1001|1600 1600 1600|1600 
4321:4321|4321 4321 4321|4321 4321 4321|4321 
EOF

# ---- 2. a non-root shim that already is the user, with whatever group list it was given ----
# nr NAME SETPRIV-ARGS SPEC: the shim under setpriv (uid, gid, groups), into a tmpfs it owns.
nr() {
	NRARGS=$2 U=$3; export NRARGS U
	uid=$(echo "$NRARGS" | sed -n 's/.*--reuid \([0-9]*\).*/\1/p')
	gid=$(echo "$NRARGS" | sed -n 's/.*--regid \([0-9]*\).*/\1/p')
	cp "$T/id" "$C/id.$uid"; chown "$uid" "$C/id.$uid"; chmod 600 "$C/id.$uid"
	export NRUID=$uid NRGID=$gid
	rm -f "$C/m/ran" "$C/m/uids"
	# The key on a pipe: a key file the shim's own uid can read would add the key warning.
	ns "$PW"'tmpfs "$C/s"; chown "$NRUID:$NRGID" "$C/s"; cat "$C/id.$NRUID" | { SECRETPACK_KEY_FILE= SECRETPACK_KEY_FD=3 \
		setpriv $NRARGS "$SP" run --bundle "$B" --dir "$C/s" --user "$U" -- /bin/sh "$C/report.sh" \
		3<&0 </dev/null; }; rc=$?; ls -A "$C/s" >"$C/left"; exit $rc' >"$C/sp.out" 2>"$C/sp.err"
	echo $? >"$C/sp.rc"
}
# name | setpriv arguments | spec | app's groups | the one warning line ('' for none)
while IFS='|' read -r name args spec groups warn; do
	nr "$name" "$args" "$spec"
	is "non-root shim, $name: runs, as itself, with the groups it had" \
		"0|$groups|$Z $Z $Z |no" "$(cat "$C/sp.rc")|$(vof "$C/sp.out" groups)|$(vof "$C/sp.out" caps)|$(vof "$C/sp.out" root)"
	if [ -z "$warn" ]; then
		is "non-root shim, $name: no warning" "" "$(cat "$C/sp.err")"
	else
		is "non-root shim, $name: one warning naming the missing groups" \
			"secretpack: run: warning: user '$spec': the app runs without groups $warn that /etc/group gives it" \
			"$(sed 's/ (secretpack is not root.*//' "$C/sp.err")"
	fi
done <<'EOF'
--clear-groups|--reuid 1001 --regid 1001 --clear-groups|other|1001 |1500, 1600
--groups 1500,1600|--reuid 1001 --regid 1001 --groups 1500,1600|other|1001 1500 1600 |
--groups 1600|--reuid 1001 --regid 1001 --groups 1600|other|1001 1600 |1500
--groups 1001,1500,1600 (primary listed)|--reuid 1001 --regid 1001 --groups 1001,1500,1600|other|1001 1500 1600 |
runc's USER app (groups without the primary gid)|--reuid 1000 --regid 1000 --groups 1500|app|1000 1500 |
uid:gid spec, no groups|--reuid 1001 --regid 1001 --clear-groups|1001:1001|1001 |
OpenShift (gid 0, groups 0)|--reuid 1002 --regid 0 --groups 0|os|0 |1500
OpenShift (gid 0, no groups)|--reuid 1002 --regid 0 --clear-groups|1002|0 |1500
OpenShift, explicit 1002:0|--reuid 1002 --regid 0 --clear-groups|1002:0|0 |
EOF

# What it cannot be: refused before anything is written, the app never started.
# name | setpriv arguments | spec | message
while IFS='|' read -r name args spec pat; do
	nr "$name" "$args" "$spec"
	is "non-root shim, $name: refused with one line" \
		"1|1|1" "$([ "$(cat "$C/sp.rc")" = 1 ] && echo 1 || echo 0)|$(wc -l <"$C/sp.err" | tr -d ' ')|$(grep -Ec "^secretpack: run: user '$spec': $pat" "$C/sp.err")"
	is "non-root shim, $name: app not started, DIR empty" "0|" "$(ran)|$(cat "$C/left")"
done <<'EOF'
a group the user lacks (1000)|--reuid 1001 --regid 1001 --groups 1000,1500|other|secretpack runs with supplementary groups 1000 that the user does not have.*drop --user
another gid (1500)|--reuid 1001 --regid 1500 --groups 1500|other|secretpack runs as uid 1001 with gid 1500, not root: it cannot switch to gid 1001
another uid|--reuid 1000 --regid 1000 --clear-groups|other|secretpack runs as uid 1000, not root: it cannot switch to uid 1001
EOF

# ---- 3. the app can write /etc/passwd (group 0, `chmod g=u /etc/passwd`) and rewrites itself ----
newcase
cat >"$C/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
app:x:1000:0:app:/home/app:/bin/sh
toor:x:0:0:second root:/root:/bin/sh
EOF
cat >"$C/group" <<'EOF'
root:x:0:
extra:x:1500:app
EOF
chmod 664 "$C/passwd"; chmod 644 "$C/group"
app report <<'EOF'
: >"$C/m/ran"
id -u >>"$C/m/uids"
echo "uid=$(id -u)"
# In place: the file is bind-mounted, and group 0 may write it.
sed 's/^app:x:1000:/app:x:0:/' /etc/passwd >"$C/m/pw.new" && cat "$C/m/pw.new" >/etc/passwd
EOF
sp_as app
is "writable /etc/passwd: first start runs the app as 1000 (gid 0)" "0|1000" "$(cat "$C/sp.rc")|$(cat "$C/m/uids")"
is "writable /etc/passwd: one warning line naming the file, its mode and the fix" \
	"secretpack: run: warning: /etc/passwd is writable by others than root (owner uid 0, mode 0664): the app could rewrite the users it names; make it root-owned and not group- or world-writable (chown 0 /etc/passwd; chmod go-w /etc/passwd)" \
	"$(cat "$C/sp.err")"
is "the app rewrote its own line to uid 0" "app:x:0:0:app:/home/app:/bin/sh" "$(sed -n 2p "$C/passwd")"
cp "$C/m/uids" "$C/uids.first"
rm -f "$C/m/ran"
refuse "rewritten /etc/passwd: the next --user app is refused, naming the line" \
	"run: user 'app': /etc/passwd line 2 gives it uid 0 \(and the file is writable by others than root: owner uid 0, mode 0664\): refusing to run it as root; restore that line.*--user root" \
	ns "$PW"'tmpfs "$C/s"; "$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/report.sh"; rc=$?; ls -A "$C/s" >"$C/left"; exit $rc'
is "rewritten /etc/passwd: app not started, DIR empty" "0|" "$(ran)|$(cat "$C/left")"
is "rewritten /etc/passwd: the app never ran as uid 0" "1000" "$(cat "$C/m/uids")"
if [ -n "$GOSU" ]; then
	gosu_as app
	is "control: gosu app now runs it as root (what the refusal prevents)" "0|0" "$(cat "$C/gosu.rc")|$(vof "$C/gosu.out" uid)"
else
	skip "control: gosu app now runs it as root" "gosu is not installed (apt-get install gosu)"
fi
# Other ways to name uid 0 without saying root.
for u in toor 00 000:0 toor:extra; do
	U=$u; export U
	rm -f "$C/m/ran" "$C/m/uids"
	refuse "--user $u (uid 0 under another name): refused" "user '$u': .*(gives it uid 0|is uid 0 written another way).*--user root" \
		ns "$PW"'tmpfs "$C/s"; "$SP" run --bundle "$B" --dir "$C/s" --user "$U" -- /bin/sh "$C/report.sh"'
	is "--user $u: app not started" 0 "$(ran)"
done
# A bundle entry owned by the rewritten user: refused as well, never a root-owned secret.
chmod 644 "$C/passwd" # the rewrite is done; one line expected, without the warning
printf '[secret db_password]\nfile = %s\nowner = app\n' "$T/in/db_password" >"$C/owner.ini"
seal "$C/owner.spk" -m "$C/owner.ini" || exit 1
export OB="$C/owner.spk"
rm -f "$C/m/ran"
refuse "entry owner 'app' rewritten to uid 0: refused" "owner 'app': resolves to uid 0" \
	ns "$PW"'tmpfs "$C/s"; "$SP" run --bundle "$OB" --dir "$C/s" --user 1000:1000 -- /bin/sh "$C/report.sh"; rc=$?; ls -A "$C/s" >"$C/left"; exit $rc'
is "entry owner rewritten to uid 0: app not started, DIR empty" "0|" "$(ran)|$(cat "$C/left")"
# root by its name stays the operator's choice (the warning still says the file is writable).
chmod 664 "$C/passwd"
sp_as root
is "--user root: runs as root, with the writable-file warning" "0|0|1" \
	"$(cat "$C/sp.rc")|$(vof "$C/sp.out" uid)|$(grep -c 'warning: /etc/passwd is writable' "$C/sp.err")"
# A writable /etc/group is named too; root-owned 0644 files give no warning.
app quiet <<'EOF'
: >"$C/m/ran"
EOF
export APP=quiet
printf 'app:x:1000:1000:app:/home/app:/bin/sh\n' >"$C/passwd"
chmod 644 "$C/passwd"; chmod 666 "$C/group"
sp_as app
is "world-writable /etc/group: runs, one warning naming /etc/group" "0|1|1" \
	"$(cat "$C/sp.rc")|$(wc -l <"$C/sp.err" | tr -d ' ')|$(grep -c '^secretpack: run: warning: /etc/group is writable by others than root (owner uid 0, mode 0666)' "$C/sp.err")"
chmod 644 "$C/group"; chown 1000 "$C/passwd"
sp_as app
is "/etc/passwd owned by uid 1000 (mode 0644): one warning naming the owner" "0|1|1" \
	"$(cat "$C/sp.rc")|$(wc -l <"$C/sp.err" | tr -d ' ')|$(grep -c '^secretpack: run: warning: /etc/passwd is writable by others than root (owner uid 1000, mode 0644)' "$C/sp.err")"
chown 0 "$C/passwd"
sp_as app
is "root-owned 0644 passwd and group: no warning" "0|" "$(cat "$C/sp.rc")|$(cat "$C/sp.err")"
unset APP

# ---- 4. a root shim without the capabilities the drop needs: all named, before anything ----
newcase
app report <<'EOF'
: >"$C/m/ran"
echo "uid=$(id -u)"
EOF
ALL='CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_SETGID and CAP_SETUID'
# capless NAME BOUNDING SPEC PATTERN: the shim with only BOUNDING capabilities is refused.
capless() {
	CAPS=$2 U=$3; export CAPS U
	rm -f "$C/m/ran"
	refuse "$1: refused with one line" "$4" \
		ns 'tmpfs "$C/s"; setpriv --inh-caps=-all --bounding-set=$CAPS "$SP" run --bundle "$B" \
			--dir "$C/s" --user "$U" -- /bin/sh "$C/report.sh"; rc=$?; ls -A "$C/s" >"$C/left"; exit $rc'
	is "$1: app not started, nothing written" "0|" "$(ran)|$(cat "$C/left")"
}
if setpriv --bounding-set=-setuid true 2>/dev/null; then
	capless "--cap-drop ALL --cap-add CHOWN,DAC_OVERRIDE,FOWNER" -all,+chown,+dac_override,+fowner app \
		"user 'app': the container lacks CAP_SETGID and CAP_SETUID: becoming uid 1000 and handing it the secrets needs $ALL; add the missing ones \(docker run --cap-add SETGID --cap-add SETUID; Kubernetes securityContext.capabilities.add: \[SETGID, SETUID\]\)$"
	capless "--cap-drop ALL" -all 1000:0 \
		"user '1000:0': the container lacks $ALL: becoming uid 1000 .*--cap-add CHOWN --cap-add DAC_OVERRIDE --cap-add FOWNER --cap-add SETGID --cap-add SETUID;"
	capless "--cap-drop SETUID" -setuid app "the container lacks CAP_SETUID: .*needs $ALL; .*\[SETUID\]\)$"
	capless "--cap-drop SETGID" -setgid nobody:root "the container lacks CAP_SETGID: .*\[SETGID\]\)$"
	capless "--cap-drop FOWNER" -fowner app "the container lacks CAP_FOWNER: .*--cap-add FOWNER;"
	capless "--cap-drop DAC_OVERRIDE" -dac_override app "the container lacks CAP_DAC_OVERRIDE: "
	# root needs none of them to stay root (groups cleared so that none are to be set).
	rm -f "$C/m/ran"
	ns 'tmpfs "$C/s"; setpriv --clear-groups --inh-caps=-all --bounding-set=-all "$SP" run --bundle "$B" \
		--dir "$C/s" --user root -- /bin/sh "$C/report.sh"' >"$T/.out" 2>"$T/.err"
	is "--cap-drop ALL, --user root: runs as root, no message" "0|0|" "$?|$(val uid)|$(cat "$T/.err")"
	# An entry owner without --user (the shim's own uid with another group; other uids are refused
	# before anything is written): the group change fails late; the hint names the full set.
	printf '[secret db_password]\nfile = %s\nowner = root:audit\n' "$T/in/db_password" >"$C/owner.ini"
	seal "$C/owner.spk" -m "$C/owner.ini" || exit 1
	export OB="$C/owner.spk"
	rm -f "$C/m/ran"
	refuse "entry owner, no CAP_CHOWN: refused naming the full set" \
		"cannot give it its owner: .*needs CAP_CHOWN, CAP_DAC_OVERRIDE and CAP_FOWNER; add the missing ones \(docker run --cap-add CHOWN" \
		ns 'tmpfs "$C/s"; setpriv --bounding-set=-chown "$SP" run --bundle "$OB" --dir "$C/s" -- \
			/bin/sh "$C/report.sh"; rc=$?; ls -A "$C/s" >"$C/left"; exit $rc'
	is "entry owner, no CAP_CHOWN: app not started, nothing written" "0|" "$(ran)|$(cat "$C/left")"
	if [ -n "$GOSU" ]; then
		rm -f "$C/m/ran"
		ns 'setpriv --inh-caps=-all --bounding-set=-all,+chown,+dac_override,+fowner "$GOSU" app \
			/bin/sh "$C/report.sh"' >"$T/.out" 2>"$T/.err"
		is "control: gosu without SETUID/SETGID fails too" "1|0" "$([ $? -ne 0 ] && echo 1 || echo 0)|$(ran)"
	else
		skip "control: gosu without SETUID/SETGID" "gosu is not installed (apt-get install gosu)"
	fi
else
	skip "root shim without capabilities" "setpriv cannot change the bounding set here"
fi
