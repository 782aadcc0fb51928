#!/bin/sh
# Help and version: 'help VERB' is 'VERB -h' for every verb, -V/--version/version print the VERSION
# file's version, a mistyped verb names the closest one, and the man page lists exactly the options
# of each verb's -h (checked both ways, and shown to catch a missing option either way).
. "$SP_TESTS/cli/lib.sh"
ROOT=$(cd "$SP_TESTS/.." && pwd)
MAN=$ROOT/doc/secretpack.1

# The verbs, from the top-level list ("  VERB ..." lines); help and version take no options.
"$SP" -h >"$T/top" 2>&1
verbs=$(sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' "$T/top")
opt_verbs=$(echo "$verbs" | grep -vx 'help\|version')
miss=; for v in keygen pubkey seal inspect open cat run help version; do
	echo "$verbs" | grep -qx "$v" || miss="$miss $v"; done
is "the top-level list is parsed: every known verb found" "" "$miss"

# 1. help VERB = VERB -h, byte for byte and by exit status.
for v in $opt_verbs; do
	"$SP" "$v" -h >"$T/h1" 2>"$T/e1"; r1=$?
	"$SP" help "$v" >"$T/h2" 2>"$T/e2"; r2=$?
	if [ "$r1$r2" = 00 ] && [ -s "$T/h1" ] && cmp -s "$T/h1" "$T/h2" && [ ! -s "$T/e2" ]; then
		ok "help $v prints what $v -h prints, exit 0"
	else
		notok "help $v prints what $v -h prints (exit $r1/$r2)"; diff "$T/h1" "$T/h2" | head -5 | sed 's/^/# /'
	fi
done
"$SP" help >"$T/h3" 2>&1; r=$?
is "help alone lists the commands, exit 0" "0 same" "$r $(cmp -s "$T/h3" "$T/top" && echo same)"
refuse "help with an unknown verb suggests the closest" "unknown command 'sael': did you mean 'seal'\\?" "$SP" help sael
is "help with an unknown verb exits 2" 2 "$(rc "$SP" help sael)"
refuse "help with two commands is a usage error" "help: expected one command, got 2: run 'secretpack help COMMAND'" \
	"$SP" help seal open
is "help with two commands exits 2" 2 "$(rc "$SP" help seal open)"
"$SP" help -h >"$T/h4" 2>&1
cmp -s "$T/h4" "$T/top" && ok "help -h lists the commands" || notok "help -h lists the commands"

# 2. The version, from the VERSION file.
want="secretpack $(cat "$ROOT/VERSION") (bundle format 2)"
for f in -V --version version; do
	out=$("$SP" $f 2>&1); r=$?
	is "$f prints the VERSION file's version, exit 0" "0 $want" "$r $out"
done

# 3. A mistyped verb: one line naming the closest, exit 2.
for pair in sael:seal seall:seal inpsect:inspect insp:inspect opne:open cta:cat rnu:run keygne:keygen \
    pubkye:pubkey versoin:version hlep:help; do
	typo=${pair%%:*} want=${pair#*:}
	refuse "'$typo' suggests '$want'" "unknown command '$typo': did you mean '$want'\\? run 'secretpack -h' for the list\$" "$SP" "$typo"
	is "'$typo' exits 2" 2 "$(rc "$SP" "$typo")"
done
# Nothing close (or a tie): the plain message, no guess.
for typo in xyzzy frobnicate zz; do
	refuse "'$typo' suggests nothing" "unknown command '$typo': run 'secretpack -h' for the list\$" "$SP" "$typo"
done

# 4. The man page against each verb's -h. Options are --long and -x words: in -h, those of the
# synopsis and definition lines (opts_lib.sh); in the man page, the .TP tags of the verb's .SS
# section under COMMANDS.
. "$SP_TESTS/cli/opts_lib.sh"
man_opts() { # man file, verb
	awk -v verb="$2" '
		/^\.SH/ { in_cmds = ($2 == "COMMANDS"); sec = ""; next }
		in_cmds && /^\.SS/ { sec = $2; next }
		in_cmds && sec == verb && /^\.TP/ { tag = 1; next }
		tag { print; tag = 0 }' "$1" |
		sed 's/\\f[BIRP]//g; s/\\-/-/g' |
		grep -oE '(^|[][ ,(|])--?[a-zA-Z][a-zA-Z0-9-]*' | sed 's/^[][ ,(|]//' | grep -vx -- '-h\|--help' | sort -u
}
# Compares one verb; prints "VERB: -x only in -h" / "VERB: -x only in the man page" lines.
compare() { # man file, verb, help file
	man_opts "$1" "$2" >"$T/m.opts"
	help_opts <"$3" >"$T/h.opts"
	comm -23 "$T/h.opts" "$T/m.opts" | sed "s/^/$2: in -h, not in the man page: /"
	comm -13 "$T/h.opts" "$T/m.opts" | sed "s/^/$2: in the man page, not in -h: /"
}
check_man() { # man file -> prints every difference, for every verb
	for v in $verbs; do
		grep -q "^\\.SS $v\$" "$1" || echo "$v: no .SS $v section in the man page"
	done
	for v in $opt_verbs; do
		"$SP" "$v" -h >"$T/vh" 2>&1
		compare "$1" "$v" "$T/vh"
	done
}
check_man "$MAN" >"$T/diff"
if [ ! -s "$T/diff" ]; then
	n=0; for v in $opt_verbs; do n=$((n + $(man_opts "$MAN" "$v" | wc -l))); done
	ok "the man page lists exactly each verb's -h options ($n options, $(echo $opt_verbs | wc -w) verbs)"
else
	notok "the man page lists exactly each verb's -h options"; sed 's/^/# /' "$T/diff"
fi
[ "$(man_opts "$MAN" seal | wc -l)" -ge 16 ] && ok "the man page parser finds seal's 16 options" ||
	notok "the man page parser finds seal's 16 options (got $(man_opts "$MAN" seal | wc -l))"
# The check can fail: a tag removed from the man page, an option added to a -h, a verb section gone.
sed '/^\\fB\\-\\-json\\fR$/d' "$MAN" >"$T/man-nojson"
check_man "$T/man-nojson" >"$T/d1"
is "a man page without inspect's --json is caught" "inspect: in -h, not in the man page: --json" "$(grep '^inspect:' "$T/d1")"
"$SP" open -h >"$T/open-h"; echo "  --shred FILE   not an option" >>"$T/open-h"
echo "  (see run --not-before)" >>"$T/open-h"
is "an option only in a verb's -h is caught" "open: in -h, not in the man page: --shred" \
	"$(compare "$MAN" open "$T/open-h")"
sed 's/^\(\\fB\\-\\-force\\fR\)$/\1, \\fB\\-\\-forced\\fR/' "$MAN" >"$T/man-extra"
check_man "$T/man-extra" >"$T/d2"
is "an option only in the man page is caught" "open: in the man page, not in -h: --forced" "$(cat "$T/d2")"
sed 's/^\.SS cat$/.SS kat/' "$MAN" >"$T/man-nocat"
check_man "$T/man-nocat" >"$T/d3"
if grep -q '^cat: no .SS cat section' "$T/d3"; then ok "a verb without a man page section is caught"
else notok "a verb without a man page section is caught"; sed 's/^/# /' "$T/d3" | head -3; fi

# The man page renders without warnings and names the sections a man page needs.
if command -v man >/dev/null 2>&1; then
	w=$(LC_ALL=C MANWIDTH=80 man --warnings -l "$MAN" 2>&1 >/dev/null)
	is "the man page renders without warnings" "" "$w"
else
	skip "the man page renders without warnings" "man not installed"
fi
for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES \
    "SECURITY CONSIDERATIONS"; do
	grep -q "^\\.SH \"*$s\"*\$" "$MAN" && ok "the man page has $s" || notok "the man page has $s"
done
