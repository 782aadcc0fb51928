#!/bin/sh
# readme_blocks.sh MARK [README]: prints the shell blocks of README.md that follow a line
# `<!-- MARK -->`, in order, for a test to run them as a user pastes them.
awk -v m="<!-- $1 -->" '
	$0 == m { want = 1; next }
	want && /^```sh$/ { inside = 1; want = 0; next }
	inside && /^```$/ { inside = 0; print ""; next }
	inside { print }
' "${2:-$(dirname "$0")/../README.md}"
