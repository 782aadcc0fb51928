#!/bin/sh
# Installs the Debian packages named in $DEBS that are missing (as root), else says what to install.
missing=
for p in $DEBS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "secretpack: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
		echo "secretpack: apt-get install failed:$missing : install them by hand" >&2; exit 1; }
	exit 0
fi
echo "secretpack: missing Debian packages:$missing : run 'apt-get install$missing' as root" >&2
exit 1
