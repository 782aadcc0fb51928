#!/bin/sh
# run.sh - make bench: secretpack against the tools users would pick instead, in one table.
# usage: bench/run.sh [--smoke] SECRETPACK STREAM
#   SECRETPACK  the binary to measure; STREAM  bench/stream.c built (the raw libsodium ceiling).
#   BASE=/path/to/secretpack  adds a "before" column: that binary runs in the same hyperfine
#               invocations, so before/after ratios come from one run.
#   --smoke     1 run of each command, tiny sizes: checks that every row is produced (make check).
#   BENCH_ROUNDS=R  split each group's runs over R invocations of all its commands in turn.
#   BENCH_ONLY="start kdf bulk"  some of the groups only (start-up, passphrase, bulk).
# Results (hyperfine JSON, peak RSS, sizes, the table as Markdown) go to BENCH_OUT, else the
# directory of STREAM. Needs root: a private mount namespace (unshare -m) with its own tmpfs for
# every file, secrets dirs on their own tmpfs as `run` wants, and `run --user nobody`.
# Command strings are split into words on purpose (hyperfine -N, /usr/bin/time), globbing is off.
# shellcheck disable=SC2086,SC2046
set -eu
smoke=0
if [ "${1:-}" = --smoke ]; then smoke=1; shift; fi
if [ $# -ne 2 ]; then
	echo "usage: bench/run.sh [--smoke] SECRETPACK STREAM (BASE=/path/to/secretpack for a before column)" >&2
	exit 2
fi
SP=$(realpath "$1") STREAM=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${BENCH_OUT:-$(dirname "$STREAM")}
BASE=${BASE:-}
# The unstripped twin of a binary (same build id: BIN.unstripped or the build directory's), for
# callgrind: --dump-before=execve finds execve by its symbol. BIN itself when there is none.
bid() { file -L "$1" 2>/dev/null | sed -n 's/.*BuildID\[[a-z0-9]*\]=\([0-9a-f]*\).*/\1/p'; }
twin() {
	for u in "$1.unstripped" "$(dirname "$1")/build/secretpack.unstripped"; do
		if [ -f "$u" ] && [ -n "$(bid "$1")" ] && [ "$(bid "$u")" = "$(bid "$1")" ]; then
			echo "$u"; return
		fi
	done
	echo "$1"
}

if [ "${SP_BENCH_NS:-}" != 1 ]; then
	die() { echo "bench: $*" >&2; exit 1; }
	[ "$(id -u)" = 0 ] || die "needs root (a private mount namespace, run --user nobody): run it as root"
	unshare -m true 2>/dev/null || die "unshare -m failed: needs mount namespaces (CAP_SYS_ADMIN)"
	for c in hyperfine age age-keygen gosu tini catatonit dumb-init python3 strace valgrind strip file; do
		command -v "$c" >/dev/null 2>&1 || die "$c not found: run 'make bench' (installs DEBS_BENCH) or apt-get install it"
	done
	[ -x /usr/bin/time ] || die "/usr/bin/time not found: apt-get install time"
	[ -x "$SP" ] || die "$SP: not an executable"
	[ -x "$STREAM" ] || die "$STREAM: not an executable"
	if [ -n "$BASE" ]; then
		BASE=$(realpath "$BASE")
		[ -x "$BASE" ] || die "BASE=$BASE: not an executable"
	fi
	getent passwd nobody >/dev/null || die "no user nobody in /etc/passwd"
	mkdir -p "$OUT"
	W=$(mktemp -d /tmp/spbench.XXXXXX)
	trap 'rm -rf "$W"' EXIT
	trap 'exit 1' INT TERM
	r=0
	SP_BENCH_NS=1 W=$W BASE=$BASE OUT=$OUT unshare -m --propagation private sh "$0" \
		$([ "$smoke" = 1 ] && echo --smoke) "$SP" "$STREAM" || r=$?
	exit $r
fi

ROUNDS=${BENCH_ROUNDS:-1}
case "$ROUNDS" in '' | *[!0-9]* | 0*) echo "bench: BENCH_ROUNDS=$ROUNDS: give a number from 1" >&2; exit 2 ;; esac
for g in $(echo "${BENCH_ONLY:-}" | tr , " "); do
	case "$g" in start | kdf | bulk) ;; *) echo "bench: BENCH_ONLY=$BENCH_ONLY: the groups are start, kdf and bulk" >&2; exit 2 ;; esac
done

# Inside the namespace: everything lives on this tmpfs, gone when the namespace ends.
set -f
t0=$(date +%s)
if [ "$smoke" = 1 ]; then tsize=256m; else tsize=3g; fi
mount -t tmpfs -o "size=$tsize,mode=0755" tmpfs "$W"
mkdir -p "$W/in" "$W/out"
LOG=$OUT/bench.log
: >"$LOG"
find "$OUT" -maxdepth 1 -name "*.json" -exec rm -f {} +
rm -f "$OUT/rss.txt" "$OUT/sizes.txt" "$OUT/meta.txt" "$OUT/table.md"
note() { echo "bench: $*" >&2; }
fail() { echo "bench: $*; the log: $LOG" >&2; tail -n 20 "$LOG" >&2; exit 1; }
meta() { printf '%s\t%s\n' "$1" "$2" >>"$OUT/meta.txt"; }

# Run counts: enough for a stable median on a busy 2-core machine, the whole run within ~6 min.
if [ "$smoke" = 1 ]; then
	START_RUNS=1 START_WARM=0 KDF_RUNS=1 KDF_WARM=0
	SIZES="16K:1 256K:1 1M:4"
else
	START_RUNS=300 START_WARM=30 KDF_RUNS=10 KDF_WARM=2
	SIZES="1M:1 64M:1 256M:4"
fi
runs_for() { # size label -> "runs warmup"
	case "$smoke:$1" in
	1:*) echo "1 0" ;;
	*:1M) echo "40 5" ;;
	*:64M) echo "10 1" ;;
	*) echo "5 1" ;;
	esac
}
bytes_of() { # 16K, 64M -> bytes
	n=${1%?}
	case "$1" in *K) echo $((n * 1024)) ;; *M) echo $((n * 1048576)) ;; esac
}

# Keys: secretpack X25519 identity in a root 0400 file, an age X25519 key, a raw stream key,
# a passphrase file (root 0400, as run wants it).
"$SP" keygen -o "$W/id" >"$W/id.out" 2>&1 || fail "secretpack keygen failed"
chmod 0400 "$W/id"
RCPT=$(tail -n 1 "$W/id.out")
age-keygen -o "$W/age.key" 2>/dev/null
AGE_RCPT=$(age-keygen -y "$W/age.key")
head -c 32 /dev/urandom >"$W/stream.key"
printf 'correct horse battery staple\n' >"$W/pass"
chmod 0400 "$W/pass"
meta machine "$(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores, kernel $(uname -r)"
vers=
for p in age gosu tini catatonit dumb-init hyperfine libsodium23 libargon2-1; do
	v=$(dpkg-query -W -f='${Version}\n' "$p" 2>/dev/null | head -n 1)
	vers="$vers${vers:+, }$p ${v:-?}"
done
meta versions "$vers"
meta secretpack "$("$SP" --version 2>&1 | head -n 1)"
[ -z "$BASE" ] || meta base "$BASE: $("$BASE" --version 2>&1 | head -n 1)"

# cmd ID COMMAND: one command of the next hyperfine invocation (run without a shell, -N).
# IDs starting with "base-" are the BASE binary's.
: >"$W/cmds"
cmd() { printf '%s\t%s\n' "$1" "$2" >>"$W/cmds"; }
# both ID COMMAND: the command with SECRETPACK (ID) and, when BASE is set, with BASE (base-ID).
# COMMAND names the binary as @SP@.
both() {
	cmd "$1" "$(echo "$2" | sed "s|@SP@|$SP|")"
	[ -z "$BASE" ] || cmd "base-$1" "$(echo "$2" | sed "s|@SP@|$BASE|")"
}
# hf NAME RUNS WARMUP [PREPARE]: one hyperfine invocation of the queued commands, then each once
# more under /usr/bin/time for its peak RSS (KiB) and minor page faults, for the start-up and
# passphrase groups once under strace -f -c for its system calls, and for start-up once under
# callgrind for its instructions (counts: deterministic, unlike times). With BENCH_ROUNDS=R the
# runs are split over R invocations of all the commands in turn (warm-up in the first only), so
# a load that comes and goes on a shared machine falls on every command alike; the medians are
# then taken over the runs of all rounds.
# reap CMD...: runs CMD as a child subreaper and waits for every descendant, so that the counts
# of a process that outlives CMD (run's exec watcher) are written before they are read.
reap() {
	python3 -c 'import ctypes, os, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
rc = 1
while True:
    try:
        p, st = os.wait()
    except ChildProcessError:
        break
    if p == pid:
        rc = os.waitstatus_to_exitcode(st)
sys.exit(rc)' "$@"
}
hf() {
	name=$1 runs=$2 warm=$3 prep=${4:-}
	per=$(((runs + ROUNDS - 1) / ROUNDS))
	meta "runs-$name" "$((per * ROUNDS)) runs$([ "$ROUNDS" = 1 ] || echo " in $ROUNDS rounds"), $warm warm-up"
	r=1
	while [ $r -le "$ROUNDS" ]; do
		json=$OUT/$name.json
		[ $r = 1 ] || json=$OUT/$name.r$r.json
		set -- --export-json "$json" --runs "$per" --warmup "$warm" ${prep:+--prepare "$prep"}
		while IFS='	' read -r id c; do set -- "$@" -n "$id" "$c"; done <"$W/cmds"
		echo "== hyperfine $name, round $r" >>"$LOG"
		hyperfine -N --style basic "$@" >>"$LOG" 2>&1 || fail "hyperfine $name failed"
		warm=0 r=$((r + 1))
	done
	while IFS='	' read -r id c; do
		[ -z "$prep" ] || $prep
		/usr/bin/time -f '%M %R' -o "$W/rss" $c >/dev/null 2>>"$LOG" || fail "$id failed: $c"
		calls=-
		case "$name" in start | kdf)
			# (LeakSanitizer cannot run under ptrace: an ASan build is counted without it.)
			ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
				strace -f -qq -c -U calls -o "$W/strace" $c >/dev/null 2>>"$LOG" || fail "$id failed under strace: $c"
			calls=$(awk '$2 == "total" { print $1 }' "$W/strace") ;;
		esac
		instr=-
		# (the smoke run counts one command's instructions: valgrind takes a while to start)
		if [ "$name" = start ] && { [ "$smoke" = 0 ] || [ "${id#base-}" = run10 ]; }; then
			rm -rf "$W/cg" && mkdir -m 1777 "$W/cg"
			# Instructions of the command's own processes up to their exec of the app (which runs
			# natively): --dump-before=execve writes the count a process has when it execs, after
			# run dropped to nobody (hence a directory anyone may write); "-" where valgrind
			# cannot run it (an ASan build).
			cg=$c
			case "$c" in
			"$SP "*) cg="$(twin "$SP") ${c#"$SP "}" ;;
			"$BASE "*) cg="$(twin "$BASE") ${c#"$BASE "}" ;;
			esac
			if reap valgrind --tool=callgrind --vgdb=no -q --dump-before=execve \
				--callgrind-out-file="$W/cg/cg.%p" $cg >/dev/null 2>>"$LOG"; then
				instr=$(find "$W/cg" -maxdepth 1 -name 'cg.*' -exec cat {} + | awk '/^summary:/ { s += $2 } END { print s + 0 }')
			fi
		fi
		printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$id" "$(tail -n 1 "$W/rss")" "$calls" "$instr" >>"$OUT/rss.txt"
	done <"$W/cmds"
	: >"$W/cmds"
}

# 100 small secrets (48 bytes each), and the secrets dirs of `run`, each its own tmpfs.
mkdir -p "$W/small"
i=1
head -c 2400 /dev/urandom | od -An -v -tx1 -w24 | tr -d ' ' | while read -r v; do
	printf %s "$v" >"$W/small/s$(printf %03d $i)"
	i=$((i + 1))
done
secdir() { mkdir -p "$W/run/$1" && mount -t tmpfs -o size=4m,mode=0755 tmpfs "$W/run/$1"; }
for d in 1 10 100 init10 pass base-1 base-10 base-100 base-init10 base-pass; do secdir "$d"; done

# 1. Start-up: bundles of 1, 10 and 100 small secrets, each run into its own tmpfs.
start_up() {
	note "start-up: bundles of 1, 10, 100 secrets; $START_RUNS runs of each command"
	for n in 1 10 100; do
		ls "$W/small" | head -n "$n" | sed "s|^|$W/small/|" >"$W/list"
		# shellcheck disable=SC2046
		"$SP" seal -r "$RCPT" -o "$W/b$n.spk" $(cat "$W/list") >>"$LOG" 2>&1 || fail "seal of $n secrets failed"
	done
	export SECRETPACK_KEY_FILE="$W/id"
	cmd true "/bin/true"
	both version "@SP@ --version"
	cmd gosu "$(command -v gosu) nobody /bin/true"
	cmd tini "$(command -v tini) -s -- /bin/true"
	cmd catatonit "$(command -v catatonit) -- /bin/true"
	cmd dumb-init "$(command -v dumb-init) /bin/true"
	for n in 1 10 100; do
		cmd "run$n" "$SP run --bundle $W/b$n.spk --dir $W/run/$n --user nobody -- /bin/true"
		[ -z "$BASE" ] || cmd "base-run$n" "$BASE run --bundle $W/b$n.spk --dir $W/run/base-$n --user nobody -- /bin/true"
	done
	cmd init10 "$SP run --init --bundle $W/b10.spk --dir $W/run/init10 --user nobody -- /bin/true"
	[ -z "$BASE" ] || cmd base-init10 "$BASE run --init --bundle $W/b10.spk --dir $W/run/base-init10 --user nobody -- /bin/true"
	hf start "$START_RUNS" "$START_WARM"
	unset SECRETPACK_KEY_FILE
}

# 2. A passphrase bundle at the default Argon2id cost against Argon2id alone.
passphrase() {
	note "passphrase: default Argon2id cost; $KDF_RUNS runs"
	export SECRETPACK_PASSPHRASE_FILE="$W/pass"
	"$SP" seal -p -o "$W/pass.spk" "$W/small/s001" >>"$LOG" 2>&1 || fail "seal -p failed"
	cmd kdf "$STREAM kdf $W/pass"
	cmd pass "$SP run --bundle $W/pass.spk --dir $W/run/pass --user nobody -- /bin/true"
	[ -z "$BASE" ] || cmd base-pass "$BASE run --bundle $W/pass.spk --dir $W/run/base-pass --user nobody -- /bin/true"
	hf kdf "$KDF_RUNS" "$KDF_WARM"
	unset SECRETPACK_PASSPHRASE_FILE
}

# 3. Bulk: open and cat against age -d and raw pull; seal against age -e and raw push.
bulk() {
	for s in $SIZES; do
		label=${s%:*} parts=${s#*:}
		bytes=$(bytes_of "$label")
		each=$((bytes / parts))
		set -- $(runs_for "$label")
		runs=$1 warm=$2
		note "bulk $label ($parts entr$([ "$parts" = 1 ] && echo y || echo ies)): $runs runs"
		meta "size-$label" "$bytes $parts"
		rm -rf "$W/in" && mkdir -p "$W/in"
		i=1 ins=
		while [ $i -le "$parts" ]; do
			head -c "$each" /dev/urandom >"$W/in/e$i"
			ins="$ins $W/in/e$i"
			i=$((i + 1))
		done
		# shellcheck disable=SC2086
		cat $ins >"$W/all"
		"$SP" seal -r "$RCPT" -o "$W/bulk.spk" $ins >>"$LOG" 2>&1 || fail "seal $label failed"
		age -r "$AGE_RCPT" -o "$W/bulk.age" "$W/all" || fail "age -e $label failed"
		"$STREAM" push "$W/stream.key" "$W/all" "$W/bulk.raw" || fail "stream push $label failed"
		last=e$parts
		prep="rm -rf $W/out/d $W/out/o"
		cmd pull-file "$STREAM pull $W/stream.key $W/bulk.raw $W/out/o"
		cmd age-d-file "age -d -i $W/age.key -o $W/out/o $W/bulk.age"
		both open "@SP@ open -i $W/id -o $W/out/d $W/bulk.spk"
		cmd pull-null "$STREAM pull $W/stream.key $W/bulk.raw"
		cmd age-d-null "age -d -i $W/age.key $W/bulk.age"
		both cat "@SP@ cat -i $W/id $W/bulk.spk $last"
		cmd push "$STREAM push $W/stream.key $W/all $W/out/o"
		cmd age-e "age -r $AGE_RCPT -o $W/out/o $W/all"
		both seal "@SP@ seal -r $RCPT -o $W/out/o$ins"
		hf "bulk-$label" "$runs" "$warm" "$prep"
		# The outputs are the inputs: a benchmark of a broken command is no benchmark.
		$prep
		outs=$(echo "$ins" | sed "s|$W/in/|$W/out/d/|g")
		# shellcheck disable=SC2086
		"$SP" open -i "$W/id" -o "$W/out/d" "$W/bulk.spk" 2>>"$LOG" && cat $outs | cmp -s - "$W/all" ||
			fail "open $label did not give the input back"
		"$SP" cat -i "$W/id" "$W/bulk.spk" "$last" 2>>"$LOG" | cmp -s - "$W/in/$last" ||
			fail "cat $label did not give the entry back"
		"$STREAM" pull "$W/stream.key" "$W/bulk.raw" | cmp -s - "$W/all" || fail "stream pull $label did not give the input back"
		rm -rf "$W/in" "$W/all" "$W/bulk.spk" "$W/bulk.age" "$W/bulk.raw" "$W/out/d" "$W/out/o"
	done
}

# BENCH_ONLY: some of the groups (start, kdf, bulk), for a quicker loop while optimising one.
ONLY=$(echo "${BENCH_ONLY:-start kdf bulk}" | tr , " ")
case " $ONLY " in *" start "*) start_up ;; esac
case " $ONLY " in *" kdf "*) passphrase ;; esac
case " $ONLY " in *" bulk "*) bulk ;; esac

# 4. Stripped sizes (a stripped copy of each; file says static or dynamic).
sz() { # name path
	[ -e "$2" ] || { printf '%s\t-\tnot installed\n' "$1" >>"$OUT/sizes.txt"; return; }
	strip -o "$W/stripped" "$2" 2>/dev/null || cp "$2" "$W/stripped"
	kind=dynamic
	file -L "$2" | grep -q 'statically linked\|static-pie linked' && kind=static
	printf '%s\t%s\t%s\n' "$1" "$(stat -c %s "$W/stripped")" "$kind" >>"$OUT/sizes.txt"
}
: >"$OUT/sizes.txt"
sz secretpack "$SP"
[ -z "$BASE" ] || sz base-secretpack "$BASE"
sz tini-static /usr/bin/tini-static
sz catatonit "$(command -v catatonit)"
sz gosu "$(command -v gosu)"
sz age "$(command -v age)"
sz dumb-init "$(command -v dumb-init)"
sz stream "$STREAM"
meta seconds "$(($(date +%s) - t0))"
meta smoke "$smoke"

python3 "$HERE/table.py" "$OUT" | tee "$OUT/table.md"
