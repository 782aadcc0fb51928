#!/bin/sh
# Tamper sweeps: every bit flip, every truncation and appended bytes of a small bundle, and every
# base64 character of its armored form, are refused by open, inspect -i and run, leaving nothing.
. "$SP_TESTS/cli/lib.sh"

W=$T/sw
mkdir -p "$W/in" "$W/v" "$W/a"
"$SP" keygen -o "$W/id" >"$W/id.out" 2>&1 || { notok "keygen"; sed 's/^/# /' "$W/id.out"; exit 1; }
RCPT=$(tail -n 1 "$W/id.out")
printf 's3cret-db-password' >"$W/in/db_password"
printf 'tok-4f9a2c' >"$W/in/api_token"
"$SP" seal -r "$RCPT" -o "$W/b.spk" "$W/in/db_password" "$W/in/api_token" >/dev/null 2>"$W/seal.err" &&
	"$SP" seal -a -r "$RCPT" -o "$W/b.asc" "$W/in/db_password" "$W/in/api_token" >/dev/null 2>>"$W/seal.err" ||
	{ notok "seal"; sed 's/^/# /' "$W/seal.err"; exit 1; }
LEN=$(wc -c <"$W/b.spk" | tr -d ' ')
# Every variant by default; under valgrind (tests/valgrind.sh sets SP_REAL) every 101st, which
# still reaches each field. SP_SWEEP_STEP overrides.
STEP=${SP_SWEEP_STEP:-1}
[ -n "${SP_REAL:-}" ] && [ -z "${SP_SWEEP_STEP:-}" ] && STEP=101
[ "$STEP" -eq 1 ] || echo "# sweeping every ${STEP}th variant only (SP_SWEEP_STEP=$STEP)"

# The harness must be able to see an accepted bundle, or a sweep of refusals proves nothing.
check "the intact bundle opens ($LEN bytes, 1 X25519 recipient, 2 entries)" \
	"$SP" open -i "$W/id" -o "$W/intact" "$W/b.spk"
check "the intact armored bundle is accepted by inspect -i" "$SP" inspect -i "$W/id" "$W/b.asc"

# Variants, written by one awk process (a process per variant would take minutes):
# f<offset>.<bit> one bit flipped, t<len> the first len bytes, a1 and a16 bytes appended.
# awk strings must hold NUL bytes (mawk and gawk do; busybox awk does not): copy proves it.
od -An -v -tu1 "$W/b.spk" | LC_ALL=C awk -v d="$W/v" -v step="$STEP" '
{ for (i = 1; i <= NF; i++) b[n++] = $i }
END {
	for (i = 0; i < n; i++)
		s = s sprintf("%c", b[i])
	printf "%s", s > (d "/../copy")
	for (i = 0; i < n; i++)
		for (k = 0; k < 8; k++) {
			if ((8 * i + k) % step)
				continue
			f = d "/f" i "." k
			x = int(b[i] / 2 ^ k) % 2 ? b[i] - 2 ^ k : b[i] + 2 ^ k
			printf "%s%c%s", substr(s, 1, i), x, substr(s, i + 2) > f
			close(f)
		}
	for (i = 0; i < n; i += step) {
		f = d "/t" i
		printf "%s", substr(s, 1, i) > f
		close(f)
	}
	printf "%s%c", s, 0 > (d "/a1")
	printf "%s%s", s, "\252\125\252\125\252\125\252\125\252\125\252\125\252\125\252\125" > (d "/a16")
}'
want=$(((8 * LEN + STEP - 1) / STEP + (LEN + STEP - 1) / STEP + 2))
if ! cmp -s "$W/b.spk" "$W/copy" || [ "$(ls "$W/v" | wc -l)" -ne "$want" ]; then
	notok "variants generated (awk must keep NUL bytes in strings: use mawk or gawk)"
	exit 1
fi
# Armored variants r<line>.<col>: one base64 character replaced by another (one of its 6 bits
# flipped, the bit chosen by the column); the BEGIN/END lines and '=' padding stay.
LC_ALL=C awk -v d="$W/a" -v step="$STEP" '
BEGIN { A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" }
{ line[n++] = $0 }
END {
	for (l = 0; l < n; l++) {
		if (line[l] ~ /^-----/)
			continue
		for (c = 1; c <= length(line[l]); c++) {
			v = index(A, substr(line[l], c, 1)) - 1
			if (v < 0 || m++ % step)
				continue
			bit = 2 ^ (c % 6)
			v = int(v / bit) % 2 ? v - bit : v + bit
			f = d "/r" l "." c
			for (j = 0; j < n; j++)
				print (j == l ? substr(line[j], 1, c - 1) substr(A, v + 1, 1) substr(line[j], c + 1) : line[j]) > f
			close(f)
		}
	}
}' "$W/b.asc"
NARM=$(ls "$W/a" | wc -l | tr -d ' ')

# The sweep, also run inside the namespace for `run`. One line per variant in RES:
# NAME VERDICT CLASS, where VERDICT is "refused" or what went wrong, CLASS the message's kind.
cat >"$W/sweep.sh" <<'EOF'
classify() {
	case $1 in
	*"not a secretpack bundle"*) cls=not-a-bundle ;;
	*truncated*) cls=truncated ;;
	*"header authentication failed"*) cls=header-mac ;;
	*"payload authentication failed"*) cls=payload-tampered ;;
	*"wrong key"*) cls=wrong-key ;;
	*"malformed bundle header"*) cls=malformed-header ;;
	*"recipient stanza"*) cls=bad-stanza ;;
	*"format version"*) cls=version ;;
	*"algorithm suite"*) cls=suite ;;
	*"after the end of the bundle"*) cls=trailing ;;
	*"size or count limit"*) cls=limit ;;
	*"malformed payload records"*) cls=malformed-payload ;;
	*"malformed armor"*) cls=armor ;;
	*) cls=other ;;
	esac
}
# isempty DIR: nothing at all in DIR, dot files included.
isempty() {
	for x in "$1"/* "$1"/.[!.]* "$1"/..?*; do
		if [ -e "$x" ] || [ -L "$x" ]; then return 1; fi
	done
	return 0
}
# sweep VERB RES FILE...: open into $OUT, inspect -i, or run into $DIR with marker $MARK.
sweep() {
	verb=$1 res=$2
	shift 2
	: >"$res"
	for f; do
		case $verb in
		open) "$SP" open -i "$KEY" -o "$OUT" "$f" >/dev/null 2>"$ERR" ;;
		inspect) "$SP" inspect -i "$KEY" "$f" >/dev/null 2>"$ERR" ;;
		run) rm -f "$MARK"
			"$SP" run --bundle "$f" --dir "$DIR" --user app -- /bin/sh -c ': >"$MARK"' >/dev/null 2>"$ERR" ;;
		esac
		rc=$? l1= l2= more=
		{ IFS= read -r l1; if IFS= read -r l2 || [ -n "$l2" ]; then more=1; fi; } <"$ERR"
		v=
		[ $rc -eq 1 ] || v="${v}exit$rc,"
		case $l1 in "secretpack: $verb: "*) ;; *) v="${v}message," ;; esac
		[ -z "$more" ] || v="${v}lines,"
		case $verb in
		open) if [ -e "$OUT" ] || [ -L "$OUT" ]; then v="${v}left-output,"; rm -rf "$OUT"; fi ;;
		run) [ ! -e "$MARK" ] || v="${v}app-ran,"
			isempty "$DIR" || { v="${v}left-in-dir,"; rm -rf "$DIR"/* "$DIR"/.[!.]*; } ;;
		esac
		classify "$l1"
		[ "$cls" != other ] || echo "# ${f##*/}: $l1" >&2
		echo "${f##*/} ${v:-refused} $cls" >>"$res"
	done
}
EOF
. "$W/sweep.sh"
export KEY="$W/id" OUT="$W/out" ERR="$W/err"

# report VERB RES PREFIX WHAT: a test over the variants whose names start with PREFIX, and the
# distribution of the messages as a TAP comment.
report() {
	n=$(grep -c "^$3" "$2")
	r=$(grep -c "^$3[^ ]* refused " "$2")
	dist=$(awk -v p="^$3" '$1 ~ p { c[$3]++ } END { for (k in c) printf "%s=%d ", k, c[k] }' "$2" |
		tr ' ' '\n' | sort | tr '\n' ' ')
	echo "# $1: $n $4 tried, $r refused: $dist"
	if [ "$n" -gt 0 ] && [ "$n" -eq "$r" ]; then
		ok "$1: $n $4: all $r refused (exit 1, one 'secretpack: $1:' line, nothing left)"
	else
		notok "$1: $n $4: only $r refused"
		grep "^$3" "$2" | grep -v " refused " | head -10 | sed 's/^/#   /'
	fi
}
summary() {
	report "$1" "$2" f "bit flips"
	report "$1" "$2" t "truncations (0..$((LEN - 1)) bytes)"
	report "$1" "$2" a "appended (1 and 16 bytes)"
}

start=$(date +%s)
sweep open "$W/open.res" "$W"/v/*
summary open "$W/open.res"
sweep inspect "$W/inspect.res" "$W"/v/*
summary inspect "$W/inspect.res"
sweep open "$W/aopen.res" "$W"/a/*
report open "$W/aopen.res" r "armored base64 substitutions"
sweep inspect "$W/ainspect.res" "$W"/a/*
report inspect "$W/ainspect.res" r "armored base64 substitutions"
echo "# open and inspect: $(( $(date +%s) - start )) s for $((want + NARM)) variants each"

# Passphrase bundles: Argon2id at the default cost makes a full sweep slow, so a few targeted
# flips, one per field, each refused by open (not under valgrind: minutes per Argon2id).
# Layout (doc/FORMAT.md): 36 fixed bytes, empty context, stanza_count at 36, the Argon2id stanza
# (type, u16 length) at 37, its body at 40: salt 40, t 56, m 60, p 64, nonce 68, wrapped 92;
# the MAC at 140; the payload from 172.
popen() { env SECRETPACK_PASSPHRASE='correct horse battery staple' "$SP" open -p -o "$W/pout" "$1"; }
pflip() { # NAME OFFSET PATTERN: one byte xor 0x01 at OFFSET, refused by open with PATTERN.
	cp "$W/p.spk" "$W/pv.spk"
	b=$(od -An -tu1 -j "$2" -N 1 "$W/pv.spk" | tr -d ' ')
	printf "\\$(printf %o $((b ^ 1)))" | dd of="$W/pv.spk" bs=1 seek="$2" conv=notrunc 2>/dev/null
	refuse "passphrase bundle, $1 (offset $2): refused" "$3" popen "$W/pv.spk"
	is "passphrase bundle, $1: no output left" 0 "$([ -e "$W/pout" ] && echo 1 || echo 0)"
}
if [ -n "${SP_REAL:-}" ] && [ "$STEP" -ne 1 ]; then
	skip "passphrase bundle: targeted flips" "each costs a full Argon2id under valgrind"
elif SECRETPACK_PASSPHRASE='correct horse battery staple' "$SP" seal -p -o "$W/p.spk" \
	"$W/in/db_password" >/dev/null 2>"$W/seal.err"; then
	check "passphrase bundle: intact one opens" popen "$W/p.spk"
	rm -rf "$W/pout"
	pflip "created" 15 "header authentication"
	pflip "expires" 23 "header authentication"
	pflip "salt" 40 "wrong passphrase"
	pflip "t_cost 3 -> 2" 56 "wrong passphrase"
	pflip "m_cost" 60 "wrong passphrase"
	pflip "parallelism 4 -> 5" 64 "wrong passphrase"
	pflip "nonce" 68 "wrong passphrase"
	pflip "wrapped key" 100 "wrong passphrase"
	pflip "header MAC" 150 "header authentication"
	pflip "stream header" 180 "payload authentication"
	pflip "last byte" $(($(wc -c <"$W/p.spk") - 1)) "payload authentication"
else
	notok "seal -p"
	sed 's/^/# /' "$W/seal.err"
fi

# run: all variants in one namespace, one tmpfs, the app (as user app) leaving a marker if started.
. "$SP_TESTS/cli/run_lib.sh"
chmod 755 "$W" "$W/v" "$W/a"
mkdir -m 1777 "$W/m"
export W SECRETPACK_KEY_FILE="$W/id" DIR="$W/s" MARK="$W/m/ran"
mkdir "$DIR" "$W/s0"
start=$(date +%s)
timeout -s KILL 300 unshare --kill-child -m -p -f --mount-proc sh -c "$NS_PRE"'
	tmpfs "$DIR" && tmpfs "$W/s0" || exit 98
	"$SP" run --bundle "$W/b.spk" --dir "$W/s0" --user app -- /bin/sh -c ": >\"\$MARK.intact\""
	. "$W/sweep.sh"
	sweep run "$W/run.res" "$W"/v/*
	sweep run "$W/arun.res" "$W"/a/*' 2>"$W/ns.err"
rc=$?
is "run: the sweep namespace ended normally" 0 "$rc"
is "run: the intact bundle starts the app" 1 "$([ -e "$MARK.intact" ] && echo 1 || echo 0)"
[ $rc -eq 0 ] || sed 's/^/# /' "$W/ns.err" | head -5
grep '^# ' "$W/ns.err"
summary run "$W/run.res"
report run "$W/arun.res" r "armored base64 substitutions"
echo "# run: $(( $(date +%s) - start )) s for $((want + NARM)) variants"
is "run: the secrets directory underneath the tmpfs is untouched" "" "$(ls -A "$DIR")"

