#!/bin/sh
# make install / make uninstall into a DESTDIR with a PREFIX: every file in its conventional place
# with its mode, the binary runs and the man pages carry the version; uninstall leaves no file.
. "$SP_TESTS/cli/lib.sh"
ROOT=$(cd "$SP_TESTS/.." && pwd)
V=$(cat "$ROOT/VERSION")
D=$T/dest
P=/opt/sp
mk() { make -s --no-print-directory -C "$ROOT" BUILD="$BUILD" DESTDIR="$D" PREFIX="$P" "$@"; }
if ! mk install >"$T/out" 2>&1; then
	notok "make install DESTDIR=... PREFIX=$P"; sed 's/^/# /' "$T/out" | tail -5; exit 0
fi
ok "make install DESTDIR=... PREFIX=$P"
want="$P/bin/secretpack 755
$P/share/bash-completion/completions/secretpack 644
$P/share/fish/vendor_completions.d/secretpack.fish 644
$P/share/man/man1/secretpack.1 644
$P/share/man/man5/secretpack-manifest.5 644
$P/share/zsh/site-functions/_secretpack 644"
is "exactly these files, with these modes" "$want" "$(cd "$D" && find . -type f -printf '/%P %m\n' | sort)"
is "nothing outside PREFIX" "opt" "$(ls "$D")"
is "the installed binary runs" "secretpack $V (bundle format 2)" "$("$D$P/bin/secretpack" -V 2>&1)"
cmp -s "$D$P/bin/secretpack" "$ROOT/secretpack" && ok "the installed binary is the built one" ||
	notok "the installed binary is the built one"
is "the man page carries the version" "1" "$(grep -c "^\\.TH SECRETPACK 1 \"\" \"secretpack $V\"" "$D$P/share/man/man1/secretpack.1")"
is "secretpack-manifest(5) carries the version" "1" \
	"$(grep -c "secretpack $V" "$D$P/share/man/man5/secretpack-manifest.5")"
if command -v man >/dev/null 2>&1; then
	MANPATH="$D$P/share/man" man -w secretpack >/dev/null 2>&1 && ok "man finds secretpack(1) under PREFIX" ||
		notok "man finds secretpack(1) under PREFIX"
	MANPATH="$D$P/share/man" man -w 5 secretpack-manifest >/dev/null 2>&1 &&
		ok "man finds secretpack-manifest(5) under PREFIX" || notok "man finds secretpack-manifest(5) under PREFIX"
fi
# A file of the user's beside the installed ones survives uninstall.
mkdir -p "$D$P/bin" && echo keep >"$D$P/bin/other"
if mk uninstall >"$T/out" 2>&1; then ok "make uninstall"; else notok "make uninstall"; sed 's/^/# /' "$T/out" | tail -5; fi
is "uninstall removes every installed file and only those" "/opt/sp/bin/other" "$(cd "$D" && find . -type f -printf '/%P\n')"
rm -f "$D$P/bin/other"
mk uninstall >/dev/null 2>&1
is "uninstall again is harmless" "0" "$?"
# The default PREFIX is /usr/local.
rm -rf "$D"
make -s --no-print-directory -C "$ROOT" BUILD="$BUILD" DESTDIR="$D" install >/dev/null 2>&1
is "the default PREFIX is /usr/local" "6 /usr/local/bin/secretpack" \
	"$(cd "$D" && find . -type f | wc -l) $(cd "$D" && find . -path '*/bin/*' -type f -printf '/%P\n')"
