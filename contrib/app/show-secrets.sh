#!/bin/sh
# show-secrets.sh - a demo app: prints what it sees after `secretpack run` started it.
# Usage: show-secrets.sh [--wait]. SECRETS_DIR (default /run/secrets) and KEY_PATHS (paths where
# the identity might be, default /run/secretpack/key) say where to look. POSIX sh, busybox too.
dir=${SECRETS_DIR:-/run/secrets}
keys=${KEY_PATHS:-/run/secretpack/key}
[ -n "${CREDENTIALS_DIRECTORY:-}" ] && keys="$keys $CREDENTIALS_DIRECTORY/secretpack.key"

echo "== who am I"
echo "uid=$(id -u) gid=$(id -g) groups=$(id -G) home=${HOME:-}"
awk '$1 == "CapEff:" || $1 == "CapPrm:" || $1 == "NoNewPrivs:" { print "  " $1 " " $2 }' /proc/$$/status

echo "== $dir"
find "$dir" 2>/dev/null | sort | while read -r f; do
	stat -c '  %A %U:%G %n' "$f"
done
for v in $(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*_FILE\)=.*/\1/p'); do
	eval "p=\$$v"
	case $p in "$dir"/*) echo "  \$$v -> $p ($(wc -c <"$p" 2>/dev/null || echo '?') bytes)" ;; esac
done

echo "== the key"
for k in $keys; do
	if [ ! -e "$k" ]; then
		echo "  $k: not here"
	elif cat "$k" >/dev/null 2>&1; then
		echo "  $k: READABLE - the app should not be able to read its key"
	else
		echo "  $k: present, not readable by me (good)"
	fi
done

echo "== environment"
n=$(env | grep -c '^SECRETPACK_')
if [ "$n" -eq 0 ]; then echo "  no SECRETPACK_* variables (good)"; else echo "  $n SECRETPACK_* variables LEAKED"; fi
if tr '\0' '\n' </proc/$$/environ | grep -q -e SPKSEC1 -e SPKENC1; then
	echo "  key text in /proc/self/environ: LEAKED"
else
	echo "  no key text in /proc/self/environ (good)"
fi

if [ "${1:-}" = --wait ]; then
	trap 'exit 0' TERM INT
	echo "== waiting (SIGTERM to stop)"
	while :; do sleep 3600 & wait $!; done
fi
