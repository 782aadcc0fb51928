#!/bin/sh
# `secretpack run --deliver` as a Kubernetes init container under the restricted Pod Security
# profile, emulated with namespaces: kubelet's memory emptyDir (tmpfs, root:fsGroup 2777) and
# Secret volume (..data symlinks, key root:fsGroup 0440); the init container as uid 1000 with
# fsGroup 2000, no capabilities, no_new_privs; the app container as another uid of fsGroup with
# the emptyDir mounted read-only and no Secret volume.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"

cat >"$T/in/manifest.ini" <<'EOF'
[secret db_password]
file = db_password
mode = 0644
env = DB_PASSWORD_FILE

[secret api_token]
file = api_token
EOF
seal "$T/b.spk" "$T/in/db_password" "$T/in/api_token" || exit 1
seal "$T/b1.spk" "db_password=$T/in/other_secret" || exit 1
seal "$T/m.spk" -m "$T/in/manifest.ini" || exit 1
seal "$T/nested.spk" "db/password=$T/in/db_password" || exit 1
cp "$T/b.spk" "$T/bad.spk"
flip "$T/bad.spk" $(($(wc -c <"$T/bad.spk") - 20))
chmod 644 "$T"/*.spk

# kubelet and the two containers, as shell functions inside each namespace:
# ed: the emptyDir; sv: the Secret volume; init ARGS: the init container; appview: what the app
# container's mount namespace shows (no Secret volume, the emptyDir read-only); as U G CMD: a
# process of uid U with only group G (or none if G is -), no capabilities.
K8S='
ed() { mount -t tmpfs -o "size=4m,mode=${EDMODE:-2777},gid=2000${EDUID:+,uid=$EDUID}" tmpfs "$C/ed"; }
sv() {
	mount -t tmpfs -o size=1m,mode=0755 tmpfs "$C/sv" && d=..2026_11_28_08_00_00.1 &&
	mkdir "$C/sv/$d" && cp "${KEY:-$T/id}" "$C/sv/$d/key" && chown 0:2000 "$C/sv/$d/key" &&
	chmod "${KEYMODE:-0440}" "$C/sv/$d/key" && ln -s "$d" "$C/sv/..data" && ln -s ..data/key "$C/sv/key"
}
init() {
	SECRETPACK_KEY_FILE="$C/sv/key" setpriv --reuid 1000 --regid 1000 --groups 2000 \
		--inh-caps=-all --bounding-set=-all --no-new-privs "$SP" run --deliver "$@" --dir "$C/ed"
}
appview() { umount "$C/sv" && mount --bind "$C/ed" "$C/ed" && mount -o remount,bind,ro "$C/ed"; }
as() {
	u=$1; g=$2; shift 2
	if [ "$g" = - ]; then setpriv --reuid "$u" --regid "$u" --clear-groups --inh-caps=-all --bounding-set=-all "$@"
	else setpriv --reuid "$u" --regid "$u" --groups "$g" --inh-caps=-all --bounding-set=-all "$@"; fi
}
look() { ls -A "$C/ed" | tr "\n" " "; }
'
export K8S
kns() { ns "$K8S$1"; }
newk() { newcase; mkdir -p "$C/ed" "$C/sv"; }

# ---- the layout ----

newk
kns 'ed; sv; init --group 2000 --bundle "$T/b.spk"; echo "init=$?"
	echo "ls=$(look)"
	echo "dir=$(stat -c "%a %u %g" "$C/ed")"
	echo "db_mode=$(stat -c "%a %u %g" "$C/ed/db_password")"
	echo "tok_mode=$(stat -c "%a %u %g" "$C/ed/api_token")"
	echo "key_outsider=$(as 1001 - cat "$C/sv/key" 2>/dev/null | head -c 7 || :)"
	echo "key_member=$(as 1001 2000 cat "$C/sv/key" 2>/dev/null | grep -c SPKSEC1)"
	appview || exit 99
	echo "app_db=$(as 1001 2000 cat "$C/ed/db_password")"
	echo "app_tok=$(as 1001 2000 cat "$C/ed/api_token")"
	echo "app_key=$(as 1001 2000 cat "$C/sv/key" 2>&1 | grep -c SPKSEC1)"
	echo "app_keypath=$(ls -A "$C/sv" | wc -l)"
	echo "app_write=$(as 1001 2000 sh -c ": >\"$C/ed/planted\"" 2>/dev/null && echo yes || echo no)"
	echo "app_rm=$(as 1001 2000 rm -f "$C/ed/db_password" 2>/dev/null && test ! -e "$C/ed/db_password" && echo yes || echo no)"
	echo "outsider_db=$(as 1001 - cat "$C/ed/db_password" 2>/dev/null || echo denied)"
	echo "nobody_tok=$(as 65534 - cat "$C/ed/api_token" 2>/dev/null || echo denied)"
' >"$T/.out" 2>"$T/.err"
is "deliver --group: init container (uid 1000, fsGroup 2000, no caps) exits 0, nothing on stderr" \
	"0 " "$(val init) $(cat "$T/.err")"
is "deliver --group: the emptyDir holds exactly the entries and the marker" \
	".secretpack-delivered api_token db_password " "$(val ls)"
is "deliver --group: the emptyDir is left as kubelet made it (root:2000 2777)" "2777 0 2000" "$(val dir)"
is "deliver --group: entries 0440, owned by the init uid, group fsGroup" "440 1000 2000 440 1000 2000" \
	"$(val db_mode) $(val tok_mode)"
is "app container (uid 1001 in fsGroup, read-only emptyDir) reads db_password" "s3cret-db-password" "$(val app_db)"
is "app container reads api_token" "tok-4f9a2c" "$(val app_tok)"
is "app container: the Secret volume is not mounted, the key is not there" "0 0" "$(val app_key) $(val app_keypath)"
is "app container cannot add or remove anything in the read-only emptyDir" "no no" "$(val app_write) $(val app_rm)"
is "a uid outside fsGroup cannot read the secrets" "denied denied" "$(val outsider_db) $(val nobody_tok)"
is "a uid outside fsGroup cannot read the key (0440 root:2000)" "" "$(val key_outsider)"
# The key's mode does not keep out a container of the pod: every container gets fsGroup. Only
# the layout does (the app never mounts the Secret volume; t_k8s_manifest checks the manifest).
is "a container with fsGroup that mounted the Secret volume could read the key (why only init mounts it)" \
	"1" "$(val key_member)"

# ---- without --group: the init container's uid alone ----

newk
kns 'ed; sv; init --bundle "$T/b.spk"; echo "init=$?"
	appview || exit 99
	echo "mode=$(stat -c "%a %u" "$C/ed/db_password")"
	echo "same=$(as 1000 2000 cat "$C/ed/db_password")"
	echo "member=$(as 1001 2000 cat "$C/ed/db_password" 2>/dev/null || echo denied)"
' >"$T/.out" 2>"$T/.err"
is "deliver without --group: exit 0" 0 "$(val init)"
is "deliver without --group: entries 0400 of the init uid" "400 1000" "$(val mode)"
is "deliver without --group: the app as the same uid reads it" "s3cret-db-password" "$(val same)"
is "deliver without --group: another uid of fsGroup cannot" "denied" "$(val member)"

# ---- modes from the bundle, env entries ----

newk
kns 'ed; sv; init --group 2000 --bundle "$T/m.spk"; echo "g=$?"
	echo "gm=$(stat -c "%a %g" "$C/ed/db_password") $(stat -c "%a" "$C/ed/api_token")"
	echo "ls=$(look)"
' >"$T/.out" 2>"$T/.err"
is "deliver --group: a bundle's 0644 becomes 0640 (never others), 0400 becomes 0440" \
	"0 640 2000 440" "$(val g) $(val gm)"
is "deliver: an entry's env is not exported and no other file is written" \
	".secretpack-delivered api_token db_password " "$(val ls)"
newk
kns 'ed; sv; init --bundle "$T/m.spk"; echo "m=$(stat -c "%a" "$C/ed/db_password")"' >"$T/.out" 2>&1
is "deliver without --group: a bundle's 0644 becomes 0600" "600" "$(val m)"

# ---- a restart: the emptyDir keeps the previous delivery ----

newk
kns 'ed; sv; init --group 2000 --bundle "$T/b.spk" || exit 98
	as 1000 2000 mkdir -m 0700 "$C/ed/.secretpack-stage-0123456789ab" && as 1000 2000 sh -c ": >\"$C/ed/.secretpack-stage-0123456789ab/api_token\""
	init --group 2000 --bundle "$T/b1.spk"; echo "init=$?"
	echo "ls=$(look)"
	appview || exit 99
	echo "db=$(as 1001 2000 cat "$C/ed/db_password")"
' >"$T/.out" 2>"$T/.err"
is "restart: second delivery exits 0" 0 "$(val init)"
is "restart: exactly the new entries (api_token revoked, stale stage removed)" \
	".secretpack-delivered db_password " "$(val ls)"
is "restart: the app reads the new content" "other-eyes-only" "$(val db)"

# ---- killed or stopped mid-delivery, then restarted on the same emptyDir ----

head -c 1500000 /dev/urandom >"$T/in/big"
seal "$T/big.spk" "$T/in/big" "$T/in/db_password" "$T/in/api_token" || exit 1
chmod 644 "$T/big.spk"
newk
# The bundle on a FIFO that stalls part-way: the delivery is caught with the big entry half
# written in its staging directory (and the marker in DIR).
kns 'ed; sv; for n in 300000 800000 1400000; do
		mkfifo "$C/m/f$n"; { head -c $n "$T/big.spk"; sleep 5; } >"$C/m/f$n" &
		init --group 2000 --bundle "$C/m/f$n" 2>/dev/null & p=$!
		sleep 0.5; echo "stage$n=$(ls -A "$C/ed" | grep -c stage)"; kill -KILL $(pgrep -P $p) 2>/dev/null; wait $p
	done
	echo "left=$(look | sed "s/stage-[0-9a-f]*/stage/")"
	init --group 2000 --bundle "$T/b1.spk"; echo "init=$?"; echo "ls=$(look)"
	mkfifo "$C/m/fifo"; { head -c 800000 "$T/big.spk"; sleep 1; tail -c +800001 "$T/big.spk"; } >"$C/m/fifo" &
	init --group 2000 --bundle "$C/m/fifo" & p=$!
	sleep 0.5; kill -TERM $(pgrep -P $p); wait $p; echo "term=$?"; echo "after=$(look)"
' >"$T/.out" 2>"$T/.err"
is "SIGKILL with a half-written entry: a stage and the marker are left" "1 1 1 .secretpack-delivered .secretpack-stage " \
	"$(val stage300000) $(val stage800000) $(val stage1400000) $(val left)"
is "SIGKILL mid-delivery, then a restart: exit 0, exactly the new entries" \
	"0 .secretpack-delivered db_password " "$(val init) $(val ls)"
is "SIGTERM during a delivery: held until the end, exit 143, nothing left" "143 " "$(val term) $(val after)"
grep -q "stopped by signal 15 (Terminated) during --deliver: nothing was left in $C/ed" "$T/.err"
is "SIGTERM during a delivery: the one line says so" 0 $?

# ---- what another writer planted ----

newk
kns 'ed; sv; as 1001 2000 sh -c "printf planted >\"$C/ed/db_password\""
	init --group 2000 --bundle "$T/b.spk" 2>"$C/m/err"; echo "init=$?"
	echo "ls=$(look)"; echo "db=$(cat "$C/ed/db_password")"; echo "err=$(cat "$C/m/err")"
' >"$T/.out" 2>"$T/.err"
is "planted file in a fresh emptyDir: refused, exit 1" 1 "$(val init)"
is "planted file: one line naming it" \
	"secretpack: run: $C/ed: not empty (it holds db_password) and not left by an earlier --deliver: start with an empty directory" \
	"$(val err)"
is "planted file: left as found, nothing added" "db_password planted" "$(val ls)$(val db)"

newk
kns 'ed; sv; init --group 2000 --bundle "$T/b.spk" || exit 98
	as 1001 2000 ln -s /etc/passwd "$C/ed/extra"
	init --group 2000 --bundle "$T/b.spk" 2>"$C/m/err"; echo "init=$?"
	echo "ls=$(look)"; echo "err=$(cat "$C/m/err")"
' >"$T/.out" 2>"$T/.err"
is "symlink planted after a delivery: the next one is refused, exit 1" 1 "$(val init)"
is "planted symlink: one line naming it" \
	"secretpack: run: $C/ed: holds extra, which no delivery of uid 1000 left (a symlink, another user's or a writable file, a special file or a directory of another mode): empty the directory" \
	"$(val err)"
is "planted symlink: nothing followed or changed" ".secretpack-delivered api_token db_password extra " "$(val ls)"

newk
kns 'ed; sv; as 1001 2000 sh -c ": >\"$C/ed/.secretpack-delivered\""
	init --bundle "$T/b.spk" 2>"$C/m/err"; echo "init=$?"; echo "ls=$(look)"
' >"$T/.out" 2>"$T/.err"
is "a marker planted by another uid does not make its files an earlier delivery" \
	"1 .secretpack-delivered " "$(val init) $(val ls)"

# ---- failures leave nothing ----

fails() { # NAME PATTERN NS-SCRIPT: one line, exit 1, the emptyDir empty afterwards
	n=$1; p=$2
	refuse "$n" "$p" kns "$3"'; rc=$?; look >"$C/m/ls"; exit $rc'
	is "$n: nothing left" "" "$(cat "$C/m/ls")"
}
newk
fails "restart with the wrong key" "$T/b.spk: .*(key|recipient)" \
	'ed; sv; init --bundle "$T/b.spk" || exit 98; KEY=$T/id2; umount "$C/sv"; sv; init --bundle "$T/b.spk"'
newk
fails "tampered bundle" "$T/bad.spk: " 'ed; sv; init --group 2000 --bundle "$T/b.spk" "--bundle" "$T/bad.spk"'
newk
fails "--group not one of the init container's groups" "--group 3000: not a group secretpack runs with \(uid 1000, gid 1000\)" \
	'ed; sv; init --group 3000 --bundle "$T/b.spk"'
newk
fails "key unreadable (defaultMode 0400)" "SECRETPACK_KEY_FILE $C/sv/key: permission denied: .*fsGroup .*defaultMode: 0440" \
	'ed; KEYMODE=0400 sv; init --bundle "$T/b.spk"'
newk
fails "emptyDir owned by another uid" "$C/ed: owned by uid 1001, who could replace the secrets" \
	'EDUID=1001 ed; sv; init --bundle "$T/b.spk"'
newk
chmod 2777 "$C/ed"
refuse "not a tmpfs (emptyDir without medium: Memory)" "$C/ed is not a tmpfs: give the emptyDir medium: Memory" \
	kns 'sv; init --bundle "$T/b.spk"'
is "not a tmpfs: nothing written" "" "$(ls -A "$C/ed")"
newk
nested=$(kns 'ed; sv; init --bundle "$T/nested.spk" && stat -c "%a %u" "$C/ed/db" "$C/ed/db/password" | tr "\n" " "' 2>&1)
is "nested name without --group: directory 0500 and file 0400 of the init uid" "500 1000 400 1000 " "$nested"
newk
kns 'ed; sv; init --group 2000 --bundle "$T/nested.spk" || exit 98
	echo "modes=$(stat -c "%a %u %g" "$C/ed/db" "$C/ed/db/password" | tr "\n" " ")"
	echo "app=$(as 1001 2000 cat "$C/ed/db/password")"
	echo "outsider=$(as 1001 - cat "$C/ed/db/password" 2>/dev/null || echo denied)"
	init --group 2000 --bundle "$T/b1.spk"; echo "again=$?"; echo "ls=$(look)"
' >"$T/.out" 2>"$T/.err"
is "nested name with --group: directory 0550 and file 0440, group fsGroup" "550 1000 2000 440 1000 2000 " "$(val modes)"
is "nested name with --group: the app reads it, an outsider cannot" "s3cret-db-password denied" "$(val app) $(val outsider)"
is "nested name with --group: a restart removes the 0550 directory" "0 .secretpack-delivered db_password " \
	"$(val again) $(val ls)"

# ---- usage ----

refuse "--deliver with a command" "--deliver starts nothing: drop the command" "$SP" run --deliver -- /bin/true
refuse "--deliver --init" "--deliver starts nothing, so --init makes no sense" "$SP" run --deliver --init
refuse "--deliver --user" "--deliver starts nothing, so --user .* makes no sense" "$SP" run --deliver --user app
refuse "--deliver --env" "--deliver starts nothing, so --env makes no sense" "$SP" run --deliver --env A=b
refuse "--deliver --unlink-key" "so --unlink-key .* makes no sense" "$SP" run --deliver --unlink-key
refuse "--deliver --keep-env" "so --keep-env makes no sense" "$SP" run --deliver --keep-env SECRETPACK_CONTEXT
refuse "--deliver with SECRETPACK_USER set" "--deliver: SECRETPACK_USER is set, but nothing is started" \
	env SECRETPACK_USER=app "$SP" run --deliver
refuse "--group without --deliver" "--group: only with --deliver" "$SP" run --group 2000 -- /bin/true
refuse "--group not a number" "--group 'app': expected a numeric gid" "$SP" run --deliver --group app
is "usage errors exit 2" 2 "$(rc "$SP" run --deliver --init)"
"$SP" run -h >"$T/h" 2>&1
is "-h names --deliver and --group" 2 "$(grep -cE '^  --(deliver|group) ' "$T/h")"
echo "1..$_n"
