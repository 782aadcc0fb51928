#!/bin/sh
# contrib/k8s/pod-restricted.yaml replayed under runc: kubelet's memory emptyDir (a tmpfs, root:2000
# 2777) and Secret volume (..data symlinks, key root:2000 0440) on the host; the init container
# (uid 1000, fsGroup 2000, no capabilities, no_new_privs) runs `secretpack run --deliver --group
# 2000` with both mounted; then the app container (uid 1001, fsGroup 2000, no capabilities) runs
# with only the emptyDir, read-only.
. "$SP_TESTS/cli/lib.sh"
id=sp-k8s-$$
cleanup() {
	for c in $(runc --root "$T/runc" list -q 2>/dev/null); do
		runc --root "$T/runc" delete -f "$c" >/dev/null 2>&1
	done
	umount "$T/ed" "$T/sv" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ "$(id -u)" != 0 ] || ! runc --version >/dev/null 2>&1; then
	skip "run --deliver under runc" "runc unavailable (needs root and the runc package)"
	echo "1..$_n"
	exit 0
fi
BB=$(command -v busybox) || { notok "busybox-static is installed"; exit 1; }
if ldd "$BB" >/dev/null 2>&1; then notok "busybox is static (install busybox-static)"; exit 1; fi

# One rootfs for both containers: busybox, the binary, the bundle, no user 1001 in passwd (as an
# arbitrary runAsUser).
R=$T/bundle/rootfs
mkdir -p "$R/bin" "$R/usr/local/bin" "$R/etc/secretpack" "$R/proc" "$R/dev" "$R/run/secrets" \
	"$R/run/secretpack"
cp "$BB" "$R/bin/busybox"
for a in sh cat ls id stat grep sort tr wc; do ln -s busybox "$R/bin/$a"; done
cp "$SP" "$R/usr/local/bin/secretpack"
if ldd "$SP" >/dev/null 2>&1; then
	for lib in $(ldd "$SP" | grep -o '/[^ ]*'); do mkdir -p "$R${lib%/*}"; cp -L "$lib" "$R$lib"; done
fi
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' >"$R/etc/group"

mkdir -p "$T/in" "$T/ed" "$T/sv"
"$SP" keygen -o "$T/id" >"$T/keygen.out" 2>&1 || { notok "keygen"; cat "$T/keygen.out"; exit 1; }
printf 's3cret-db-password' >"$T/in/db_password"
printf 'PRIVATE KEY' >"$T/in/server.key"
check "seal the pod's bundle" "$SP" seal -r "$(tail -n 1 "$T/keygen.out")" --context shop@demo \
	-o "$R/etc/secretpack/bundle.spk" "$T/in/db_password" "tls/server.key=$T/in/server.key"

# kubelet's volumes.
mount -t tmpfs -o size=1m,mode=2777,gid=2000 tmpfs "$T/ed" || { notok "emptyDir tmpfs"; exit 1; }
mount -t tmpfs -o size=1m,mode=0755 tmpfs "$T/sv" || { notok "Secret volume tmpfs"; exit 1; }
d=..2026_11_28_08_00_00.1
mkdir "$T/sv/$d" && cp "$T/id" "$T/sv/$d/key" && chown 0:2000 "$T/sv/$d/key" && chmod 0440 "$T/sv/$d/key" &&
	ln -s "$d" "$T/sv/..data" && ln -s ..data/key "$T/sv/key"

q() { printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"]/\\&/g')"; }
# container NAME UID MOUNTS ARG...: no capabilities at all, no_new_privs, fsGroup 2000 (GIDS=
# for none).
container() {
	n=$1 u=$2 m=$3; shift 3
	args=
	for a in "$@"; do args="$args${args:+, }$(q "$a")"; done
	cat >"$T/bundle/config.json" <<JSON
{
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": false,
		"user": {"uid": $u, "gid": $u, "additionalGids": [${GIDS-2000}]},
		"args": [$args],
		"env": ["PATH=/usr/local/bin:/bin", "SECRETPACK_KEY_FILE=/run/secretpack/key",
			"SECRETPACK_CONTEXT=shop@demo"],
		"cwd": "/",
		"capabilities": {"bounding": [], "effective": [], "permitted": []},
		"noNewPrivileges": true
	},
	"root": {"path": "rootfs", "readonly": true},
	"hostname": "secretpack-k8s",
	"mounts": [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
		$m
	],
	"linux": {
		"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"},
			{"type": "network"}],
		"maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
		"readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
	}
}
JSON
	runc --root "$T/runc" run --bundle "$T/bundle" "$id-$n" </dev/null >"$T/.out" 2>"$T/.err"
	r=$?
	runc --root "$T/runc" delete -f "$id-$n" >/dev/null 2>&1
	return $r
}
ED_RW="{\"destination\": \"/run/secrets\", \"type\": \"bind\", \"source\": $(q "$T/ed"), \"options\": [\"bind\", \"nosuid\", \"nodev\", \"noexec\"]}"
ED_RO="{\"destination\": \"/run/secrets\", \"type\": \"bind\", \"source\": $(q "$T/ed"), \"options\": [\"bind\", \"ro\", \"nosuid\", \"nodev\", \"noexec\"]}"
SV="{\"destination\": \"/run/secretpack\", \"type\": \"bind\", \"source\": $(q "$T/sv"), \"options\": [\"bind\", \"ro\", \"nosuid\", \"nodev\", \"noexec\"]}"

container init 1000 "$ED_RW, $SV" /usr/local/bin/secretpack run --deliver --group 2000
is "init container (uid 1000, no capabilities): exit 0, nothing on stderr" "0 " "$? $(cat "$T/.err")"

cat >"$R/report.sh" <<'EOF'
echo "id=$(id -u):$(id -g) groups=$(id -G)"
echo "caps=$(grep -E "^Cap(Prm|Eff)" /proc/self/status | tr -d "\t\n")"
cd /run/secrets && for f in db_password tls tls/server.key; do echo "$f $(stat -c "%a %u %g" "$f")"; done
echo "db=$(cat /run/secrets/db_password)"
echo "tls=$(cat /run/secrets/tls/server.key)"
echo "key=$(ls -A /run/secretpack | wc -l)"
if (: >/run/secrets/x) 2>/dev/null; then echo "write=yes"; else echo "write=no"; fi
EOF
container app 1001 "$ED_RO" /bin/sh /report.sh
is "app container: exit 0" 0 $?
cat >"$T/expected" <<'EOF'
id=1001:1001 groups=1001 2000
caps=CapPrm:0000000000000000CapEff:0000000000000000
db_password 440 1000 2000
tls 550 1000 2000
tls/server.key 440 1000 2000
db=s3cret-db-password
tls=PRIVATE KEY
key=0
write=no
EOF
if diff "$T/expected" "$T/.out" >"$T/diff"; then
	ok "app container (uid 1001, fsGroup): reads its secrets, no key, cannot write"
else
	notok "app container: the report"
	sed 's/^/# /' "$T/diff" "$T/.err"
fi

# Every container of the pod has fsGroup; a uid without it plays another pod's user.
GIDS= container outsider 1002 "$ED_RO" /bin/sh -c 'cat /run/secrets/db_password 2>/dev/null || echo denied'
is "a uid without fsGroup cannot read the secrets" "denied" "$(cat "$T/.out")"

# A restart of the pod: the init container again on the same emptyDir.
container init2 1000 "$ED_RW, $SV" /usr/local/bin/secretpack run --deliver --group 2000
is "restart: the init container delivers again, exit 0" 0 $?
is "restart: exactly the current entries" ".secretpack-delivered db_password tls " "$(ls -A "$T/ed" | tr '\n' ' ')"
echo "1..$_n"
