#!/bin/sh
# t_rss.sh - peak resident memory of every verb that reads a bundle, and of seal, on a 1 MiB and a
# 64 MiB entry: at most 4 MiB, and flat (the big bundle at most 256 KiB above the small one). Memory, not
# time: ru_maxrss from wait4, the same on a busy machine.
. "$SP_TESTS/cli/lib.sh"

LIMIT_KB=4096
SLACK_KB=256

if [ -n "${SP_REAL:-}" ] || [ -n "${ASAN_OPTIONS:-}" ] || ldd "$SP" 2>/dev/null | grep -q libasan; then
	skip "peak RSS" "valgrind and ASan builds carry their own memory"
	exit 0
fi
# maxrss CMD...: runs CMD (stdin and stdout passed through), writes its peak RSS in KiB to fd 3,
# exits with CMD's status. A tiny static helper: a fork of a shell or python would count their
# own resident memory in the child's ru_maxrss.
MAXRSS=$T/maxrss
if ! ${CC:-cc} -O2 -static -o "$MAXRSS" "$SP_TESTS/perf/maxrss.c" 2>/dev/null &&
   ! ${CC:-cc} -O2 -o "$MAXRSS" "$SP_TESTS/perf/maxrss.c" 2>/dev/null; then
	skip "peak RSS" "needs a C compiler for tests/perf/maxrss.c"
	exit 0
fi
export MAXRSS
maxrss() { "$MAXRSS" "$@"; }

"$SP" keygen -o "$T/id" >"$T/id.out" 2>&1 || { notok "keygen"; exit 1; }
RCPT=$(tail -n 1 "$T/id.out")
export SECRETPACK_KEY_FILE="$T/id"
mkdir "$T/small" "$T/big"
head -c 1048576 /dev/urandom >"$T/small/data"
head -c 67108864 /dev/urandom >"$T/big/data"
for s in small big; do
	"$SP" seal -r "$RCPT" -o "$T/$s.spk" "$T/$s/data" 2>"$T/.err" || { notok "seal $s"; cat "$T/.err"; exit 1; }
done
printf 'x' >"$T/one"

NS=0
if [ "$(id -u)" = 0 ] && unshare -m -p -f --mount-proc true 2>/dev/null; then NS=1; fi

# measure NAME SIZE CMD...: runs CMD, records its peak RSS as $T/rss.NAME.SIZE; the command must
# succeed.
measure() {
	name=$1 size=$2; shift 2
	if "$@" 3>"$T/rss.$name.$size" >"$T/out.$name.$size" 2>"$T/.err"; then :; else
		notok "$name $size: failed"; sed 's/^/# /' "$T/.err" | head -5; echo 0 >"$T/rss.$name.$size"
	fi
}

for s in small big; do
	B=$T/$s.spk
	rm -rf "$T/o.$s"
	measure open $s maxrss "$SP" open -o "$T/o.$s" "$B"
	measure cat $s maxrss "$SP" cat "$B" data
	measure cat-pipe $s sh -c 'cat "$1" | "$MAXRSS" "$2" cat - data' - "$B" "$SP"
	measure inspect $s maxrss "$SP" inspect "$B"
	measure check $s maxrss "$SP" check "$B"
	measure set $s maxrss "$SP" set -o "$T/set.$s.spk" "$B" one "$T/one"
	measure rm $s maxrss "$SP" rm -o "$T/rm.$s.spk" "$T/set.$s.spk" one
	measure rekey $s maxrss "$SP" rekey --rotate -o "$T/rekey.$s.spk" "$B"
	measure seal $s maxrss "$SP" seal -r "$RCPT" -o "$T/seal.$s.spk" "$T/$s/data"
	if [ "$NS" = 1 ]; then
		measure run $s timeout -s KILL 60 unshare --kill-child -m -p -f --mount-proc sh -c \
		    'mkdir -p "$1" && mount -t tmpfs -o size=80m,mode=0700 tmpfs "$1" || exit 99
		     "$MAXRSS" "$2" run --bundle "$3" --dir "$1" -- /bin/sh -c "cmp -s \"\$1\"/data \"\$2\" && echo same" - "$1" "$4"' \
		    - "$T/o.run.$s" "$SP" "$B" "$T/$s/data"
	fi
done 3>&1

# What they produced is right, so the memory is that of the real work.
for s in small big; do
	if cmp -s "$T/o.$s/data" "$T/$s/data"; then ok "open $s: the entry"; else notok "open $s: the entry"; fi
	if cmp -s "$T/out.cat.$s" "$T/$s/data"; then ok "cat $s: the entry"; else notok "cat $s: the entry"; fi
	if cmp -s "$T/out.cat-pipe.$s" "$T/$s/data"; then ok "cat - (pipe) $s: the entry"; else notok "cat - (pipe) $s: the entry"; fi
	if [ "$NS" = 1 ]; then is "run $s: the app sees the entry" same "$(cat "$T/out.run.$s")"; fi
done

verbs="open cat cat-pipe inspect check set rm rekey seal"
[ "$NS" = 1 ] && verbs="$verbs run" || skip "run: peak RSS" "needs root and mount+pid namespaces"
for v in $verbs; do
	small=$(cat "$T/rss.$v.small") big=$(cat "$T/rss.$v.big")
	if [ "$big" -gt 0 ] && [ "$big" -le "$LIMIT_KB" ]; then ok "$v: 64 MiB entry, peak RSS $big KiB <= $LIMIT_KB KiB"
	else notok "$v: 64 MiB entry, peak RSS $big KiB > $LIMIT_KB KiB"; fi
	if [ "$small" -gt 0 ] && [ "$big" -le $((small + SLACK_KB)) ]; then ok "$v: flat, 1 MiB $small KiB, 64 MiB $big KiB"
	else notok "$v: not flat, 1 MiB $small KiB, 64 MiB $big KiB (slack $SLACK_KB KiB)"; fi
done
echo "1..$_n"
