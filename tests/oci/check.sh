#!/bin/sh
# check.sh - the app inside the test container: one line per thing it can or cannot see.
echo "id=$(id -u):$(id -g) groups=$(id -G)"
find /run/secrets | sort | while read -r f; do stat -c "%n %a %u %g %F" "$f"; done
echo "db=$(cat "$DB_PASSWORD_FILE")"
echo "token=$(cat /run/secrets/api_token)"
echo "DB_PASSWORD_FILE=$DB_PASSWORD_FILE"
if cat /run/secretpack/key >/dev/null 2>&1; then echo "key=readable"; else echo "key=unreadable"; fi
echo "secretpack_env=$(env | grep -c '^SECRETPACK_')"
echo "environ_key=$(tr '\0' '\n' </proc/$$/environ | grep -c SPKSEC1)"
awk '$1 == "CapEff:" || $1 == "CapPrm:" || $1 == "NoNewPrivs:" { print $1 $2 }' /proc/$$/status
fds= # no command substitution here: its pipe would show up among the descriptors
for fd in /proc/$$/fd/*; do
	[ -e "$fd" ] || continue # the directory the glob itself read, closed by now
	[ "$fd" -ef /app/check.sh ] && continue # the shell's own script
	fds="$fds ${fd##*/}"
done
echo "fds=$fds"
if (: >/run/secrets/new) 2>/dev/null; then echo "secrets_dir=writable"; else echo "secrets_dir=read-only"; fi
echo "marker=secretpack-oci-ok"
