#!/bin/sh
# make bench does not rot: bench/stream.c round-trips and refuses a tampered stream, and
# bench/run.sh --smoke (one run of each command, tiny sizes) prints every row of the table, the
# before column, the sizes and the target lines. Nothing here is timed.
. "$SP_TESTS/cli/lib.sh"
ROOT=$(cd "$SP_TESTS/.." && pwd)
ST=$BUILD/bench/stream
if ! make -s --no-print-directory -C "$ROOT" BUILD="$BUILD" "$ST" >"$T/make.out" 2>&1; then
	notok "make builds bench/stream.c"; sed 's/^/# /' "$T/make.out" | tail -5; exit 0
fi
ok "make builds bench/stream.c with the binary's flags and libraries"

# The raw stream: push then pull gives the input back, at the message boundaries too.
head -c 32 /dev/urandom >"$T/key"
head -c 32 /dev/urandom >"$T/key2"
fails=
for n in 0 1 65535 65536 65537 131072 200000; do
	head -c "$n" /dev/urandom >"$T/p"
	"$ST" push "$T/key" "$T/p" "$T/c" && "$ST" pull "$T/key" "$T/c" "$T/q" && cmp -s "$T/p" "$T/q" ||
		fails="$fails $n"
	# 24-byte header, 17 bytes per message, one final message
	[ "$(stat -c %s "$T/c")" = $((n + 24 + 17 * ((n + 65535) / 65536 + 1))) ] || fails="$fails size:$n"
done
is "stream push then pull gives the input back (0 B to 200000 B, each message boundary)" "" "$fails"
"$ST" push "$T/key" <"$T/p" | "$ST" pull "$T/key" | cmp -s - "$T/p" &&
	ok "stream push/pull through pipes" || notok "stream push/pull through pipes"
"$ST" push "$T/key" "$T/p" "$T/c"
# tampered KEYFILE STREAMFILE NAME: pull must fail with exit 1, one line naming the failure,
# and give out nothing after the bad message.
tampered() {
	"$ST" pull "$1" "$2" "$T/q" 2>"$T/err"
	r=$?
	if [ "$r" = 1 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q '^stream: pull: ' "$T/err"; then
		ok "stream pull refuses $3 ($(cat "$T/err"))"
	else
		notok "stream pull refuses $3 (exit $r)"; sed 's/^/# /' "$T/err"
	fi
}
cp "$T/c" "$T/flip"
b=$(od -An -tu1 -j 70000 -N 1 "$T/flip" | tr -d ' ')
printf "\\$(printf %o $((b ^ 1)))" | dd of="$T/flip" bs=1 seek=70000 conv=notrunc 2>/dev/null
tampered "$T/key" "$T/flip" "a flipped byte in the second message"
[ "$(stat -c %s "$T/q")" = 65536 ] && ok "stream pull wrote only the first message before it" ||
	notok "stream pull wrote only the first message before it ($(stat -c %s "$T/q") bytes)"
head -c $(($(stat -c %s "$T/c") - 17)) "$T/c" >"$T/trunc"
tampered "$T/key" "$T/trunc" "a stream without its final message"
head -c 1000 "$T/c" >"$T/trunc2"
tampered "$T/key" "$T/trunc2" "a stream cut inside a message"
{ cat "$T/c"; printf x; } >"$T/trail"
tampered "$T/key" "$T/trail" "a byte after the final message"
tampered "$T/key2" "$T/c" "another key"
printf 'passphrase\n' >"$T/pass"
check "stream kdf runs Argon2id at the default cost" "$ST" kdf "$T/pass"
is "stream without arguments is a usage error (exit 2)" 2 "$(rc "$ST")"
is "bench/run.sh without arguments is a usage error (exit 2)" 2 "$(rc sh "$ROOT/bench/run.sh")"

if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	skip "bench/run.sh --smoke" "needs root and mount namespaces"; exit 0
fi
missing=
for c in hyperfine age age-keygen gosu tini catatonit dumb-init python3 strace valgrind; do
	command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
[ -x /usr/bin/time ] || missing="$missing time"
if [ -n "$missing" ]; then
	skip "bench/run.sh --smoke" "missing:$missing (make bench installs DEBS_BENCH)"; exit 0
fi

# A broken binary is reported, not benchmarked.
printf '#!/bin/sh\nexit 1\n' >"$T/broken"
chmod 755 "$T/broken"
BENCH_OUT=$T/broken.out sh "$ROOT/bench/run.sh" --smoke "$T/broken" "$ST" >"$T/out" 2>"$T/err"
r=$?
[ "$r" = 1 ] && grep -q '^bench: secretpack keygen failed' "$T/err" && ok "run.sh stops on a broken binary" ||
	{ notok "run.sh stops on a broken binary (exit $r)"; sed 's/^/# /' "$T/err" | head -5; }

# The smoke run, with the binary also as BASE: every row, the before column, every target.
t0=$(date +%s)
BASE=$SP BENCH_OUT=$T/bench sh "$ROOT/bench/run.sh" --smoke "$SP" "$ST" >"$T/out" 2>"$T/err"
r=$?
secs=$(($(date +%s) - t0))
if [ "$r" != 0 ] || ! [ -s "$T/bench/table.md" ]; then
	notok "bench/run.sh --smoke ran (exit $r)"; sed 's/^/# /' "$T/err" | tail -20; exit 0
fi
ok "bench/run.sh --smoke ran ($secs s)"
cmp -s "$T/out" "$T/bench/table.md" && ok "the printed table is the one saved in table.md" ||
	notok "the printed table is the one saved in table.md"
TB=$T/bench/table.md
# row LABEL: the median cell of the row LABEL (a time), else nothing
row() { awk -F' [|] ' -v l="$1" 'index($0, "| " l " | ") == 1 { print $2 }' "$TB" | grep -E '^[0-9.]+ (ms|s)'; }
rows='`/bin/true`
`secretpack --version`
`gosu nobody /bin/true`
`tini -s -- /bin/true`
`catatonit -- /bin/true`
`dumb-init /bin/true`
`secretpack run --user nobody -- /bin/true`, 1 secret
the same, 10 secrets
the same, 100 secrets
the same with `--init`, 10 secrets
Argon2id alone (`stream kdf`)
`secretpack run --user nobody -- /bin/true`, passphrase'
bulk='raw pull to a file
`age -d -o FILE`
`secretpack open -o DIR`
raw pull to /dev/null
`age -d` to /dev/null
`secretpack cat` (last entry) to /dev/null
raw push
`age -e -o FILE`
`secretpack seal -o FILE`'
no=
while IFS= read -r l; do [ "$(row "$l" | wc -l)" = 1 ] || no="$no [$l]"; done <<EOF
$rows
EOF
while IFS= read -r l; do [ "$(row "$l" | wc -l)" = 3 ] || no="$no [$l x3]"; done <<EOF
$bulk
EOF
is "every start-up and passphrase row, and every bulk row for the 3 sizes, has a median" "" "$no"
is "a group heading for start-up, passphrase and the 3 bulk sizes" 5 "$(grep -c '^| \*\*' "$TB")"
is "no row is missing" 0 "$(grep -c '| missing |' "$TB")"
# The secretpack rows (version, run x4, passphrase, open/cat/seal x3) carry a before median and
# now/before = 1.00 is not asserted (one run each): only that the cells are there.
is "every secretpack row has a before median" 15 \
	"$(awk -F' [|] ' 'NF >= 15 && $9 ~ /^[0-9.]+ (ms|s)/' "$TB" | wc -l)"
# The counts: system calls and instructions for run (10 secrets), faults for a bulk row.
cell() { awk -F' [|] ' -v l="$1" -v n="$2" 'index($0, "| " l " | ") == 1 { print $n }' "$TB" | head -n 1; }
counts="$(cell 'the same, 10 secrets' 6) $(cell 'the same, 10 secrets' 7) $(cell 'the same, 10 secrets' 8)"
want='^[1-9][0-9]* [1-9][0-9]* [1-9][0-9,]{6,}$'
# (an ASan build cannot run under valgrind: no instruction count, said with "-")
valgrind -q "$SP" --version >/dev/null 2>&1 || want='^[1-9][0-9]* [1-9][0-9]* -$'
echo "$counts" | grep -qE "$want" &&
	ok "run, 10 secrets: page faults, system calls and instructions ($counts)" ||
	notok "run, 10 secrets: page faults, system calls and instructions (got '$counts')"
echo "$(cell '`secretpack cat` (last entry) to /dev/null' 6)" | grep -qE '^[1-9][0-9]*$' &&
	ok "cat: page faults" || notok "cat: page faults"
is "the stripped sizes of secretpack, BASE and the peers" \
	"secretpack base-secretpack tini-static catatonit gosu age dumb-init stream" \
	"$(awk -F' [|] ' '/^\| stripped size/ { on = 1; next } on && /^\| [a-z]/ { sub(/^\| /, "", $1); printf "%s ", $1 }' "$TB" | sed 's/ $//')"
is "25 target lines, each PASS or MISS" 25 "$(grep -cE '^(PASS|MISS) ' "$TB")"
grep -qE '^[0-9]+ PASS, [0-9]+ MISS; make bench took [0-9]+ s\.$' "$TB" && ok "the closing count line" ||
	notok "the closing count line"
grep -q '^Machine: .*, [0-9]* cores, kernel ' "$TB" && grep -q 'Peers: age [0-9]' "$TB" &&
	ok "the machine and peer versions head the table" || notok "the machine and peer versions head the table"
