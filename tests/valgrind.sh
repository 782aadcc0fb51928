#!/bin/sh
# Runs the real binary ($SP_REAL) under valgrind memcheck, in place (exec), so PID and signal
# semantics stay those of the binary. Any memory error or definite/indirect leak makes it exit 99;
# the report goes to $SP_VG_DIR/vg.<pid> so the one-line stderr contract of the tests still holds.
# make check-valgrind fails if any report is non-empty.
dir=${SP_VG_DIR:-/tmp/secretpack-valgrind}
mkdir -p "$dir" && chmod 1777 "$dir" 2>/dev/null # non-root shims report here too
# Every case runs in a fresh PID namespace, so pids repeat: a random tag keeps one file per run
# (a report of another uid in the sticky directory could not be overwritten, nor should it be).
tag=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
exec valgrind --quiet --vgdb=no --error-exitcode=99 --leak-check=full \
	--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	--log-file="$dir/vg.%p.$tag" "$SP_REAL" "$@"
