#!/bin/sh
# The built binary, checked rather than its flags: static, stripped, RELRO, no executable stack,
# stack protector and FORTIFY_SOURCE present in the objects. (Flags get silently lost; results don't.)
. "$SP_TESTS/cli/lib.sh"
B=${BUILD:?}
SP=${SP_REAL:-$SP} # under check-valgrind, $SP is the wrapper script
if ! command -v readelf >/dev/null 2>&1 || ! command -v file >/dev/null 2>&1; then
	skip "binary hardening" "readelf or file missing"
	exit 0
fi
desc=$(file -L "$SP")
case $desc in
*"statically linked"*)
	ok "the binary is statically linked"
	case $desc in *", stripped"*) ok "the binary is stripped" ;; *) notok "the binary is stripped: $desc" ;; esac
	static=1 ;;
*)
	skip "the binary is statically linked" "a dynamic build (STATIC=0), e.g. the sanitizer pass"
	static=0 ;;
esac
readelf -lW "$SP" | grep -q 'GNU_RELRO' && ok "RELRO segment present" || notok "RELRO segment present"
stack=$(readelf -lW "$SP" | awk '$1 == "GNU_STACK" { print $(NF - 1) }')
is "the stack is not executable (GNU_STACK flags)" RW "$stack"
if [ "$static" = 0 ]; then
	readelf -dW "$SP" | grep -Eq 'BIND_NOW|FLAGS.*NOW' && ok "BIND_NOW (full RELRO)" || notok "BIND_NOW (full RELRO)"
fi
# Stack protector: the objects that handle buffers call __stack_chk_fail.
n=$(for o in "$B"/obj/*.o; do nm "$o" 2>/dev/null | grep -q ' U __stack_chk_fail' && echo "$o"; done | wc -l)
[ "$n" -ge 5 ] && ok "stack protector in $n objects" || notok "stack protector in at least 5 objects (got $n)"
# FORTIFY_SOURCE: checked variants (__*_chk) are called; the sanitizer build turns it off on purpose.
if [ "$static" = 1 ]; then
	n=$(nm "$B"/obj/*.o 2>/dev/null | grep -cE ' U __[a-z0-9_]+_chk$')
	[ "$n" -ge 5 ] && ok "FORTIFY_SOURCE: $n checked calls" || notok "FORTIFY_SOURCE: checked calls (got $n)"
fi
