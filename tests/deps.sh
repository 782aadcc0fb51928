#!/bin/sh
# Installs the Debian packages named in $DEBS that are missing (as root), else says what to install.
# Packages named PKG:ARCH (the arm64 cross build) first add ARCH to dpkg's architectures.
# With DEBS_OPTIONAL set (what the packages are for), a failure or a non-root run only says
# that those checks will be skipped, and exits 0.
missing=
for p in $DEBS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
give_up() { # message
	if [ -n "${DEBS_OPTIONAL:-}" ]; then
		echo "secretpack: skipping $DEBS_OPTIONAL: $1"
		exit 0
	fi
	echo "secretpack: $1" >&2
	exit 1
}
command -v dpkg >/dev/null 2>&1 || give_up "not a Debian system: install$missing by hand"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "secretpack: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	for a in $(printf '%s\n' $missing | sed -n 's/.*:\([a-z0-9]*\)$/\1/p' | sort -u); do
		[ "$a" = "$(dpkg --print-architecture)" ] && continue
		dpkg --print-foreign-architectures | grep -qx "$a" || dpkg --add-architecture "$a" ||
			give_up "dpkg --add-architecture $a failed: add it by hand"
	done
	# shellcheck disable=SC2086
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		give_up "apt-get install failed:$missing : install them by hand"
	exit 0
fi
add=
for a in $(printf '%s\n' $missing | sed -n 's/.*:\([a-z0-9]*\)$/\1/p' | sort -u); do
	dpkg --print-foreign-architectures | grep -qx "$a" || add="${add}dpkg --add-architecture $a && "
done
[ -n "$add" ] && add="${add}apt-get update && "
give_up "missing Debian packages:$missing : run '${add}apt-get install$missing' as root"
