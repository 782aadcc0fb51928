#!/bin/sh
# Runs the real binary ($SP_REAL) under valgrind memcheck; any memory error or leak makes it exit 99.
# The log goes to a file so the one-line stderr contract of the tests still holds; errors are copied
# to $SP_VG_LOG (default /tmp/secretpack-valgrind.log) for the report.
log=$(mktemp /tmp/spvg.XXXXXX)
valgrind --quiet --vgdb=no --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --track-fds=no --log-file="$log" "$SP_REAL" "$@"
rc=$?
if [ -s "$log" ]; then
	{ echo "== secretpack $*"; cat "$log"; } >>"${SP_VG_LOG:-/tmp/secretpack-valgrind.log}"
fi
rm -f "$log"
exit $rc
