#!/bin/sh
# `secretpack run`: the app (uid 1000) can never read the key or the passphrase: files it could
# open are refused, one key source only, every key descriptor closed, --unlink-key never claims a
# removal that did not happen, and the non-root mode says what it cannot protect.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"

seal "$T/b.spk" "$T/in/db_password" || exit 1
printf 'correct horse battery staple\n' >"$T/pass"
SECRETPACK_PASSPHRASE='correct horse battery staple' "$SP" seal -p -o "$T/pp.spk" "$T/in/db_password" \
	>/dev/null 2>"$T/.seal.err" || { notok "seal -p"; sed 's/^/# /' "$T/.seal.err"; exit 1; }
chmod 644 "$T/b.spk" "$T/pp.spk"
export B="$T/b.spk" BP="$T/pp.spk"

# The app tries what an attacker in it would: the key and passphrase files by name, the shim's
# descriptors through /proc/1 (here the namespace's init, as in a container where the shim execs)
# and its own inherited descriptors.
newcase
app grab <<'EOF'
: >"$C/m/ran"
for v in KEYP PASSP; do
	eval "p=\${$v:-}"
	[ -n "$p" ] || continue
	if cat "$p" >/dev/null 2>&1; then echo "$v=READ"; else echo "$v=denied"; fi
done
n=0 k=SPK; k=${k}SEC1 p=hor; p=${p}se
for f in /proc/1/fd/* /proc/$$/fd/*; do
	if grep -q -e "$k" -e "$p" "$f" 2>/dev/null; then n=$((n + 1)); fi
done
echo "leaks=$n"
echo "uid=$(id -u) groups=$(id -G)"
echo "db=$(cat "$C/s/db_password" 2>/dev/null)"
EOF
# key FILE OWNER MODE: a copy of the identity with that owner and mode.
key() { cp "$T/id" "$1"; chown "$2" "$1"; chmod "$3" "$1"; }
pass() { cp "$T/pass" "$1"; chown "$2" "$1"; chmod "$3" "$1"; }
export KEYP PASSP

# ---- a key file the app could open is refused before anything is decrypted or started ----
for spec in "1000:1000 0600 owned by uid 1000, the uid the app runs as" \
	"1000:1000 0400 owned by uid 1000, the uid the app runs as" \
	"0:1500 0440 readable by group 1500, one of the app's groups" \
	"0:0 0404 readable by every user \\(mode 0404\\)"; do
	set -- $spec; own=$1 mode=$2; shift 2; why=$*
	KEYP=$C/key-$mode-${own%%:*}; key "$KEYP" "$own" "$mode"
	rm -f "$C/m/ran"
	refuse "key $own $mode: refused ($why)" "SECRETPACK_KEY_FILE $KEYP: $why: the app could read the key: fix it where it comes from: on the host 'chown root:root $KEYP && chmod 0400 $KEYP'" \
		ns 'tmpfs "$C/s"; SECRETPACK_KEY_FILE="$KEYP" "$SP" run --bundle "$B" --dir "$C/s" --user app -- \
			/bin/sh "$C/grab.sh"; rc=$?; ls -A "$C/s" >"$C/after"; exit $rc'
	is "key $own $mode: app not started, nothing written" "0|" "$(ran)|$(cat "$C/after")"
done

# Group bits the app has no part in: still refused (the old 0600 rule), and the fix is for the
# file where it comes from: in a container the key's path is a read-only mount, chmod there fails.
KEYP=$C/key-audit; key "$KEYP" 0:1600 0440
refuse "key root:audit 0440 (not the app's group): refused, fix on the host or in the Secret" \
	"readable or writable by group or others \(mode 0440\): fix it where it comes from: on the host 'chown root:root .*defaultMode: 0400" \
	ns 'tmpfs "$C/s"; SECRETPACK_KEY_FILE="$KEYP" "$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/grab.sh"'
is "key root:audit 0440: the message does not say chmod 600 on the mounted path" 0 "$(grep -c 'chmod 600' "$T/.err")"

# A key bind-mounted from elsewhere (docker -v HOST:/run/secretpack/key): the message names the
# file the mount comes from, where the fix belongs.
KEYP=$C/owned; key "$KEYP" 1000:1000 0600
refuse "bind-mounted key owned by the app: the message names where it is mounted from" \
	"SECRETPACK_KEY_FILE $C/mnt/key \(mounted from [^ ]*/owned\): owned by uid 1000.*chown root:root [^ ]*/owned &&" \
	ns 'tmpfs "$C/s"; mkdir -p "$C/mnt"; : >"$C/mnt/key"; mount --bind "$KEYP" "$C/mnt/key" || exit 99
		SECRETPACK_KEY_FILE="$C/mnt/key" "$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/grab.sh"'

# The key not mounted at all (docker run without -v): say how to mount it.
KEYP=$C/not-mounted/key
rm -f "$C/m/ran"
refuse "key file missing: the message says to mount it there" \
	"SECRETPACK_KEY_FILE $KEYP: no such file: mount the key there \(docker run -v /absolute/path/app.key:$KEYP:ro" \
	ns 'tmpfs "$C/s"; SECRETPACK_KEY_FILE="$KEYP" "$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/grab.sh"'
is "key file missing: app not started" 0 "$(ran)"

# root:root 0400: accepted; the app tries to read it and cannot.
KEYP=$C/key-root; key "$KEYP" 0:0 0400
rm -f "$C/m/ran"
ns 'tmpfs "$C/s"; SECRETPACK_KEY_FILE="$KEYP" "$SP" run --bundle "$B" --dir "$C/s" --user app -- \
	/bin/sh "$C/grab.sh"' >"$T/.out" 2>"$T/.err"
is "key root:root 0400: exit 0, no message" "0|" "$?|$(cat "$T/.err")"
is "key root:root 0400: the app runs as 1000 (groups 1000 1500) and gets its secret" \
	"1000 groups=1000 1500|s3cret-db-password" "$(val uid)|$(val db)"
is "key root:root 0400: the app's attempt to read the key fails" denied "$(val KEYP)"
is "key root:root 0400: no key text behind any descriptor the app can open" 0 "$(val leaks)"

# ---- the passphrase file, same rules ----
for spec in "1000:1000 0600 owned by uid 1000, the uid the app runs as" \
	"0:1500 0440 readable by group 1500, one of the app's groups" \
	"0:0 0404 readable by every user \\(mode 0404\\)"; do
	set -- $spec; own=$1 mode=$2; shift 2; why=$*
	PASSP=$C/pass-$mode-${own%%:*}; pass "$PASSP" "$own" "$mode"
	rm -f "$C/m/ran"
	refuse "passphrase file $own $mode: refused ($why)" "SECRETPACK_PASSPHRASE_FILE $PASSP: $why: the app could read the passphrase" \
		ns 'tmpfs "$C/s"; unset SECRETPACK_KEY_FILE; SECRETPACK_PASSPHRASE_FILE="$PASSP" \
			"$SP" run --bundle "$BP" --dir "$C/s" --user app -- /bin/sh "$C/grab.sh"'
	is "passphrase file $own $mode: app not started" 0 "$(ran)"
done
PASSP=$C/pass-root; pass "$PASSP" 0:0 0400
ns 'tmpfs "$C/s"; unset SECRETPACK_KEY_FILE; SECRETPACK_PASSPHRASE_FILE="$PASSP" \
	"$SP" run --bundle "$BP" --dir "$C/s" --user app -- /bin/sh "$C/grab.sh"' >"$T/.out" 2>"$T/.err"
is "passphrase file root:root 0400: exit 0" 0 $?
is "passphrase file root:root 0400: secret written, the app cannot read the passphrase, nothing leaks" \
	"s3cret-db-password|denied|0" "$(val db)|$(val PASSP)|$(val leaks)"
# The passphrase is the file's bytes less one trailing newline: a second line is refused, never
# cut off (doc/FORMAT.md), and the app is not started.
PASSP=$C/pass-2lines
{ cat "$T/pass"; echo 'second line'; } >"$PASSP"
chown 0:0 "$PASSP"
chmod 0400 "$PASSP"
rm -f "$C/m/ran"
refuse "passphrase file with a second line: refused" \
	"run: SECRETPACK_PASSPHRASE_FILE: the passphrase holds a line break or NUL byte" \
	ns 'tmpfs "$C/s"; unset SECRETPACK_KEY_FILE; SECRETPACK_PASSPHRASE_FILE="$PASSP" \
		"$SP" run --bundle "$BP" --dir "$C/s" --user app -- /bin/sh "$C/grab.sh"'
is "passphrase file with a second line: app not started" 0 "$(ran)"
PASSP=

# ---- SECRETPACK_KEY_FD ----
KEYP=$C/fdkey-app; key "$KEYP" 1000:1000 0400
rm -f "$C/m/ran"
refuse "SECRETPACK_KEY_FD on a regular file owned by the app: refused" \
	"SECRETPACK_KEY_FD=3 $KEYP: owned by uid 1000, the uid the app runs as: the app could read the key" \
	ns 'tmpfs "$C/s"; unset SECRETPACK_KEY_FILE; exec 3<"$KEYP"; SECRETPACK_KEY_FD=3 \
		"$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/grab.sh"'
is "SECRETPACK_KEY_FD owned by the app: app not started" 0 "$(ran)"

export FDCMD='ls /proc/$$/fd'
fdlist() { sort -n "$1" | tr '\n' ' '; }
KEYP=
# (The app keeps the descriptors the runtime gave the shim: the baseline is a plain child's.)
ns 'tmpfs "$C/s"; unset SECRETPACK_KEY_FILE; /bin/sh -c "$FDCMD" >"$C/base"; cat "$T/id" | SECRETPACK_KEY_FD=3 \
	"$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh -c "$FDCMD" 3<&0 </dev/null' >"$T/.out" 2>"$T/.err"
is "SECRETPACK_KEY_FD on a pipe: exit 0" 0 $?
if [ -n "${SP_REAL:-}" ]; then
	skip "SECRETPACK_KEY_FD on a pipe: the app's descriptors are a plain child's, no 3" "under valgrind, whose log descriptor stays open"
else
	is "SECRETPACK_KEY_FD on a pipe: the app's descriptors are a plain child's, no 3" "$(fdlist "$C/base")" "$(fdlist "$T/.out")"
	is "SECRETPACK_KEY_FD on a pipe: baseline sane (0 1 2, no 3)" 1 \
		"$(case " $(fdlist "$C/base")" in *" 3 "*) echo 0 ;; *" 0 1 2 "*) echo 1 ;; *) echo 0 ;; esac)"
fi

# ---- one key source, one passphrase source; every key descriptor closed, whatever happens ----
# Each combination: the refused ones never start the app; in the accepted ones the app has the
# descriptors of a plain child of the same parent (listed before the test opens the key on 7),
# so no key descriptor.
app fds <<'EOF'
: >"$C/m/ran"
ls /proc/$$/fd >"$C/m/fds"
EOF
export KEYLINE KR=$C/key-root
combo() { # NAME PRELUDE: PRELUDE opens the key on 7 where it needs it and sets the sources.
	PRE=$2; export PRE
	rm -f "$C/m/ran" "$C/m/fds" "$C/base"
	ns 'tmpfs "$C/s"; unset SECRETPACK_KEY_FILE; OUT=$C/base /bin/sh -c "$APPCMD"; eval "$PRE"
		OUT=$C/m/fds exec "$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh -c "$APPCMD"'
}
export APPCMD='ls /proc/$$/fd >"$OUT"; [ "$OUT" = "$C/base" ] || : >"$C/m/ran"'

FD7='exec 7<"$KR";'
for c in "KEY+KEY_FILE|export SECRETPACK_KEY=\"\$KEYLINE\" SECRETPACK_KEY_FILE=\"\$KR\"|SECRETPACK_KEY and SECRETPACK_KEY_FILE are both set" \
	"KEY+KEY_FD|$FD7 export SECRETPACK_KEY=\"\$KEYLINE\" SECRETPACK_KEY_FD=7|SECRETPACK_KEY and SECRETPACK_KEY_FD are both set" \
	"KEY_FILE+KEY_FD|$FD7 export SECRETPACK_KEY_FILE=\"\$KR\" SECRETPACK_KEY_FD=7|SECRETPACK_KEY_FILE and SECRETPACK_KEY_FD are both set" \
	"KEY+KEY_FILE+KEY_FD|$FD7 export SECRETPACK_KEY=\"\$KEYLINE\" SECRETPACK_KEY_FILE=\"\$KR\" SECRETPACK_KEY_FD=7|SECRETPACK_KEY, SECRETPACK_KEY_FILE and SECRETPACK_KEY_FD are all set" \
	"KEY_FD+PASSPHRASE+PASSPHRASE_FILE|$FD7 export SECRETPACK_KEY_FD=7 SECRETPACK_PASSPHRASE=x SECRETPACK_PASSPHRASE_FILE=\"\$C/pass-root\"|SECRETPACK_PASSPHRASE and SECRETPACK_PASSPHRASE_FILE are both set" \
	"KEY_FILE+KEY_FD+PASSPHRASE_FILE|$FD7 export SECRETPACK_KEY_FILE=\"\$KR\" SECRETPACK_KEY_FD=7 SECRETPACK_PASSPHRASE_FILE=\"\$C/pass-root\"|SECRETPACK_KEY_FILE and SECRETPACK_KEY_FD are both set"; do
	name=${c%%|*}; rest=${c#*|}; pre=${rest%%|*}; msg=${rest#*|}
	refuse "$name: refused, naming them" "run: more than one (key|passphrase) source: $msg: keep one" combo "$name" "$pre"
	is "$name: app not started" 0 "$(ran)"
done
for c in "KEY_FD|$FD7 export SECRETPACK_KEY_FD=7" "KEY_FD+PASSPHRASE|$FD7 export SECRETPACK_KEY_FD=7 SECRETPACK_PASSPHRASE=x" \
	"KEY_FD+PASSPHRASE_FILE|$FD7 export SECRETPACK_KEY_FD=7 SECRETPACK_PASSPHRASE_FILE=\"\$C/pass-root\"" \
	"KEY+PASSPHRASE_FILE|export SECRETPACK_KEY=\"\$KEYLINE\" SECRETPACK_PASSPHRASE_FILE=\"\$C/pass-root\"" \
	"KEY_FILE+PASSPHRASE|export SECRETPACK_KEY_FILE=\"\$KR\" SECRETPACK_PASSPHRASE=x"; do
	name=${c%%|*}; pre=${c#*|}
	combo "$name" "$pre" >"$T/.out" 2>"$T/.err"
	is "$name: accepted" "0|1" "$?|$(ran)" || sed 's/^/# /' "$T/.err"
	if [ -n "${SP_REAL:-}" ]; then
		skip "$name: the app's descriptors are a plain child's" "under valgrind, whose log descriptor stays open"
	else
		is "$name: the app's descriptors are a plain child's (no 7)" "$(fdlist "$C/base")" "$(fdlist "$C/m/fds")"
	fi
done
# A failure after the descriptor was taken (an unknown user) leaves nothing to inherit either.
refuse "KEY_FD with an unknown --user: refused" "user 'nosuch'" \
	ns 'tmpfs "$C/s"; unset SECRETPACK_KEY_FILE; exec 7<"$KR"; SECRETPACK_KEY_FD=7 \
		"$SP" run --bundle "$B" --dir "$C/s" --user nosuch -- /bin/true'

# ---- --unlink-key on a Kubernetes Secret volume's layout: key -> ..data/key, ..data -> ..2026_x ----
newcase
mkdir "$C/k"
app grab <<'EOF'
: >"$C/m/ran"
if cat "$KEYP" >/dev/null 2>&1; then echo "KEYP=READ"; else echo "KEYP=denied"; fi
EOF
KEYP=$C/k/key
# k8s OWNER MODE: the layout on a fresh tmpfs, the file with that owner and mode; runs the shim.
k8s() {
	OWN=$1 MODE=$2; export OWN MODE
	rm -f "$C/m/ran"
	ns 'tmpfs "$C/s"; tmpfs "$C/k" 0755; mkdir "$C/k/..2026_x"; cp "$T/id" "$C/k/..2026_x/key"
		chown "$OWN" "$C/k/..2026_x/key"; chmod "$MODE" "$C/k/..2026_x/key"
		ln -s ..2026_x "$C/k/..data"; ln -s ..data/key "$C/k/key"
		SECRETPACK_KEY_FILE="$C/k/key" "$SP" run --unlink-key --bundle "$B" --dir "$C/s" --user app -- \
			/bin/sh "$C/grab.sh"; rc=$?
		{ [ -L "$C/k/key" ] && echo link; [ -f "$C/k/..2026_x/key" ] && echo file; } >"$C/after"; exit $rc'
}
k8s 0:0 0400 >"$T/.out" 2>"$T/.err"
is "--unlink-key, symlinked key root 0400: exit 0, the app cannot read the key" "0|denied" "$?|$(val KEYP)"
is "--unlink-key, symlinked key: one warning line saying it was not removed and why" \
	"secretpack: run: warning: SECRETPACK_KEY_FILE $C/k/key: not removed (--unlink-key): it is a symlink (a Kubernetes Secret or projected volume?) and only a regular file is removed; the app cannot read it" \
	"$(cat "$T/.err")"
is "--unlink-key, symlinked key: link and file both still there (no claim otherwise)" "link file" "$(tr '\n' ' ' <"$C/after" | sed 's/ $//')"
refuse "--unlink-key, symlinked key readable by the app (0444): refused, saying why it cannot be removed" \
	"SECRETPACK_KEY_FILE $C/k/key: readable by every user \(mode 0444\): the app could read the key, and --unlink-key cannot remove it: it is a symlink" \
	k8s 0:0 0444
is "--unlink-key, symlinked key readable by the app: app not started, key left" "0|link file" "$(ran)|$(tr '\n' ' ' <"$C/after" | sed 's/ $//')"
# A regular key owned by the app on a tmpfs: --unlink-key removes it, then it is accepted.
ns 'tmpfs "$C/s"; tmpfs "$C/k" 0755; cp "$T/id" "$C/k/key"; chown 1000:1000 "$C/k/key"
	SECRETPACK_KEY_FILE="$C/k/key" "$SP" run --unlink-key --bundle "$B" --dir "$C/s" --user app -- \
		/bin/sh "$C/grab.sh"; rc=$?; ls -A "$C/k" >"$C/after"; exit $rc' >"$T/.out" 2>"$T/.err"
is "--unlink-key, key owned by the app on a tmpfs: removed, accepted, nothing left" "0|denied|" "$?|$(val KEYP)|$(cat "$C/after")"
# The same key with a second hard link: removing one name leaves it readable: refused.
rm -f "$C/m/ran"
refuse "--unlink-key, key owned by the app with another hard link: refused" \
	"owned by uid 1000, the uid the app runs as: the app could read the key, and --unlink-key cannot remove it: another hard link to it remains" \
	ns 'tmpfs "$C/s"; tmpfs "$C/k" 0755; cp "$T/id" "$C/k/key"; chown 1000:1000 "$C/k/key"; ln "$C/k/key" "$C/k/copy"
		SECRETPACK_KEY_FILE="$C/k/key" "$SP" run --unlink-key --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/grab.sh"'
is "--unlink-key, another hard link: app not started" 0 "$(ran)"
refuse "--unlink-key with the key on a descriptor: refused (nothing to remove)" "--unlink-key: the key does not come from SECRETPACK_KEY_FILE" \
	ns 'tmpfs "$C/s"; unset SECRETPACK_KEY_FILE; exec 7<"$KR"; SECRETPACK_KEY_FD=7 \
		"$SP" run --unlink-key --bundle "$B" --dir "$C/s" --user app -- /bin/true'

# ---- the shim already running as the app's uid (docker run --user 1000, runAsNonRoot) ----
newcase
mkdir "$C/k"
app grab <<'EOF'
: >"$C/m/ran"
if cat "$KEYP" >/dev/null 2>&1; then echo "KEYP=READ"; else echo "KEYP=denied"; fi
EOF
KEYP=$C/k/key
WARN="secretpack: run: warning: secretpack runs as uid 1000, the app's own uid, so the app can read SECRETPACK_KEY_FILE $C/k/key too: pass the key on a pipe (SECRETPACK_KEY_FD), keep it on a tmpfs with --unlink-key, or start secretpack as root with --user (or open the bundle in a separate init container)"
# nonroot OWNER MODE [RUN OPTIONS]: the key on a tmpfs, the shim as uid 1000 with no groups.
nonroot() {
	OWN=$1 MODE=$2; shift 2; OPTS="$*"; GRP=${GRP:-}; export OWN MODE OPTS GRP
	rm -f "$C/m/ran"
	ns 'tmpfs "$C/s"; chown 1000:1000 "$C/s"; tmpfs "$C/k" 0755; chown 1000:1000 "$C/k"; cp "$T/id" "$C/k/key"
		chown "$OWN" "$C/k/key"; chmod "$MODE" "$C/k/key"
		SECRETPACK_KEY_FILE="$C/k/key" setpriv --reuid 1000 --regid 1000 ${GRP:---clear-groups} \
			"$SP" run $OPTS --bundle "$B" --dir "$C/s" -- /bin/sh "$C/grab.sh"'
}
nonroot 1000:1000 0400 >"$T/.out" 2>"$T/.err"
is "non-root shim, key owned by 1000: exit 0" 0 $?
is "non-root shim, key owned by 1000: exactly the one warning line" "$WARN" "$(cat "$T/.err")"
is "non-root shim, key owned by 1000: the app can read it, as the warning says" READ "$(val KEYP)"
GRP="--groups 1000,1500"; nonroot 1000:1000 0400 --user app >"$T/.out" 2>"$T/.err"; rc=$?; GRP=
is "non-root shim, --user app (its own uid and groups): the same one warning line" "0|$WARN" "$rc|$(cat "$T/.err")"
nonroot 1000:1000 0400 --unlink-key >"$T/.out" 2>"$T/.err"
is "non-root shim, --unlink-key on a tmpfs: no warning, the key is gone for the app" "0||denied" "$?|$(cat "$T/.err")|$(val KEYP)"
# docker run --user 1000 with the key root:root 0400: not a bare "permission denied".
refuse "non-root shim, root-owned key: says the shim runs as 1000 and the two set-ups" \
	"SECRETPACK_KEY_FILE $C/k/key: permission denied: secretpack runs as uid 1000 and cannot read it: start it as root with --user .*or pass the key on a pipe \(SECRETPACK_KEY_FD\)" \
	nonroot 0:0 0400
is "non-root shim, root-owned key: app not started" 0 "$(ran)"
