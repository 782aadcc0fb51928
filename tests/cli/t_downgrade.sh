#!/bin/sh
# Downgrade and stanza surgery: bundles patched per doc/FORMAT.md (suite, version, Argon2id costs,
# stanzas reordered, duplicated, stripped) are refused with the precise message, before any KDF.
. "$SP_TESTS/cli/lib.sh"

W=$T/dg
mkdir -p "$W/in"
"$SP" keygen -o "$W/id" >"$W/id.out" 2>&1 && "$SP" keygen -o "$W/id2" >"$W/id2.out" 2>&1 ||
	{ notok "keygen"; exit 1; }
R1=$(tail -n 1 "$W/id.out")
R2=$(tail -n 1 "$W/id2.out")
printf 's3cret-db-password' >"$W/in/db_password"
PASS='correct horse battery staple'
# x.spk: one recipient. two.spk: two X25519 stanzas. pp.spk: passphrase only. xp.spk: both kinds.
{ "$SP" seal -r "$R1" -o "$W/x.spk" "$W/in/db_password" &&
	"$SP" seal -r "$R1" -r "$R2" -o "$W/two.spk" "$W/in/db_password" &&
	SECRETPACK_PASSPHRASE=$PASS "$SP" seal -p -o "$W/pp.spk" "$W/in/db_password" &&
	SECRETPACK_PASSPHRASE=$PASS "$SP" seal -p -r "$R1" -o "$W/xp.spk" "$W/in/db_password"
} >/dev/null 2>"$W/seal.err" || { notok "seal"; sed 's/^/# /' "$W/seal.err"; exit 1; }

# Byte surgery with od, head, tail and printf only.
byte() { printf "\\$(printf %o "$1")"; }
u16() { byte $(($1 & 255)); byte $(($1 >> 8 & 255)); }
u32() { byte $(($1 & 255)); byte $(($1 >> 8 & 255)); byte $(($1 >> 16 & 255)); byte $(($1 >> 24 & 255)); }
# part FILE OFF [LEN]: LEN bytes of FILE from OFF (to the end without LEN).
part() {
	if [ $# -eq 3 ]; then tail -c +$(($2 + 1)) "$1" | head -c "$3"; else tail -c +$(($2 + 1)) "$1"; fi
}
# patch IN OUT OFF CMD...: OUT is IN with the bytes CMD prints written over IN from OFF.
patch() {
	pin=$1 pout=$2 poff=$3
	shift 3
	"$@" >"$W/.bytes"
	{ part "$pin" 0 "$poff"; cat "$W/.bytes"; part "$pin" $((poff + $(wc -c <"$W/.bytes"))); } >"$pout"
}
u32at() { od -An -tu4 -j "$2" -N 4 "$1" | tr -d ' '; } # little-endian host, as everywhere Debian runs
# Layout (FORMAT.md): version u16 at 8, suite at 10, header_len u32 at 11, context_len at 35
# (all bundles here have no context), stanza_count at 36, stanzas from 37 (type, u16 length,
# body: 80 bytes X25519, 100 bytes Argon2id: salt, then t, m, p as u32 at body+16, +20, +24).
is "x.spk: header_len 153 as FORMAT.md says for one X25519 stanza (version 2)" 153 "$(u32at "$W/x.spk" 11)"
is "pp.spk: Argon2id stanza costs at 56/60/64 are t=3 m=65536 p=4" "3 65536 4" \
	"$(u32at "$W/pp.spk" 56) $(u32at "$W/pp.spk" 60) $(u32at "$W/pp.spk" 64)"
check "the unpatched bundles open (x.spk)" "$SP" open -i "$W/id" -o "$W/o0" "$W/x.spk"
rm -rf "$W/o0"

# bad NAME PATTERN FILE [OPEN OPTIONS]: refused by open (default: -i id) with PATTERN, no output.
bad() {
	bn=$1 pat=$2 f=$3
	shift 3
	[ $# -gt 0 ] || set -- -i "$W/id"
	refuse "$bn: open refused" "$pat" "$SP" open "$@" -o "$W/out" "$f"
	[ -e "$W/out" ] && { notok "$bn: open left $W/out"; rm -rf "$W/out"; }
}
# hdr NAME PATTERN FILE: refused by inspect without any key: the header alone is enough.
hdr() { refuse "$1: inspect without a key refused" "$2" env -u SECRETPACK_KEY_FILE "$SP" inspect "$3"; }

# 1. Suite and version.
for s in 0 2 255; do
	patch "$W/x.spk" "$W/suite$s.spk" 10 byte $s
	bad "suite $s" "algorithm suite: refusing to downgrade" "$W/suite$s.spk"
	hdr "suite $s" "algorithm suite" "$W/suite$s.spk"
done
for v in 3 256 65535; do
	patch "$W/x.spk" "$W/ver$v.spk" 8 u16 $v
	bad "version $v" "bundle format version $v is not supported.*upgrade secretpack" "$W/ver$v.spk"
	hdr "version $v" "version $v " "$W/ver$v.spk"
done
patch "$W/x.spk" "$W/ver0.spk" 8 u16 0
bad "version 0" "malformed bundle header" "$W/ver0.spk"

# 2. Argon2id costs outside the accepted range (t 2..64, m 19456..1048576 KiB, p 1..16): refused
# while parsing, with the right passphrase given, before any Argon2 work. m = 4 GiB or t = 2^32-1
# would take minutes (or fail to allocate) if the KDF ran, so "< 1 s" proves the order.
export SECRETPACK_PASSPHRASE="$PASS"
# Under valgrind (tests/valgrind.sh sets SP_REAL) starting the binary alone takes seconds; an
# Argon2id at 4 GiB or 2^32-1 passes would still take far longer than the bound there.
LIMIT_MS=1000
[ -n "${SP_REAL:-}" ] && LIMIT_MS=30000
# kdf NAME OFFSET VALUE [FILE]: the u32 at OFFSET of the passphrase stanza set to VALUE.
kdf() {
	kf=${4:-$W/pp.spk}
	patch "$kf" "$W/kdf.spk" "$2" u32 "$3"
	s=$(date +%s%N)
	bad "$1" "passphrase cost parameters out of the accepted range" "$W/kdf.spk" -p
	ms=$((($(date +%s%N) - s) / 1000000))
	echo "# $1: refused in $ms ms"
	is "$1: refused before any Argon2id work (under $LIMIT_MS ms)" 1 $((ms < LIMIT_MS))
	hdr "$1" "passphrase cost parameters" "$W/kdf.spk"
}
kdf "t_cost 1 (below the floor)" 56 1
kdf "t_cost 0" 56 0
kdf "t_cost 65 (above the ceiling)" 56 65
kdf "t_cost 2^32-1" 56 4294967295
kdf "m_cost 1024 KiB" 60 1024
kdf "m_cost 19455 KiB (one below the floor)" 60 19455
kdf "m_cost 1048577 KiB (one above the ceiling)" 60 1048577
kdf "m_cost 4 GiB" 60 4194304
kdf "m_cost 2^32-1 KiB" 60 4294967295
kdf "p 0" 64 0
kdf "p 17 (above the ceiling)" 64 17
kdf "p 255" 64 255
# In xp.spk the Argon2id stanza follows the X25519 one: body at 123.
kdf "t_cost 1 in the second stanza of an X25519+passphrase bundle" 139 1 "$W/xp.spk"
# The same bundle opened with the identity: the costs are refused before the X25519 stanza is tried.
patch "$W/xp.spk" "$W/kdfx.spk" 139 u32 1
bad "t_cost 1, opened with the identity" "passphrase cost parameters" "$W/kdfx.spk" -i "$W/id"
# At the floor the parser accepts the costs; the patched stanza then fails to unwrap.
patch "$W/pp.spk" "$W/floor1.spk" 56 u32 2
patch "$W/floor1.spk" "$W/floor2.spk" 60 u32 19456
patch "$W/floor2.spk" "$W/floor.spk" 64 u32 1
bad "costs at the floor (t=2 m=19456 p=1): parsed, then the wrong key derived" "wrong passphrase" \
	"$W/floor.spk" -p
unset SECRETPACK_PASSPHRASE

# 3. Stanza surgery, with count and header_len kept consistent. two.spk: S1 at 37, S2 at 120
# (83 bytes each), the signer type (version 2) at 203, MAC at 204, header_len 236, payload from 236.
is "two.spk: header_len 236" 236 "$(u32at "$W/two.spk" 11)"
# build OUT COUNT PIECES...: two.spk's fixed fields with header_len recomputed and stanza_count
# COUNT, then the named stanzas, then two.spk's MAC and payload.
piece() {
	case $1 in
	S1) part "$W/two.spk" 37 83 ;;
	S2) part "$W/two.spk" 120 83 ;;
	S1t*) byte "${1#S1t}"; part "$W/two.spk" 38 82 ;; # S1 with another type byte
	esac
}
build() {
	bo=$1 bc=$2
	shift 2
	: >"$W/.st"
	for p; do piece "$p" >>"$W/.st"; done
	bl=$((36 + 1 + $(wc -c <"$W/.st") + 1 + 32))
	{ part "$W/two.spk" 0 11; u32 $bl; part "$W/two.spk" 15 21; byte "$bc"; cat "$W/.st"
	  part "$W/two.spk" 203; } >"$bo"
}
build "$W/same.spk" 2 S1 S2
is "the rebuilt unchanged bundle is byte-identical (the surgery is sound)" 1 \
	"$(cmp -s "$W/two.spk" "$W/same.spk" && echo 1 || echo 0)"
check "the rebuilt unchanged bundle opens" "$SP" open -i "$W/id2" -o "$W/o1" "$W/same.spk"
rm -rf "$W/o1"

build "$W/reorder.spk" 2 S2 S1
bad "stanzas reordered" "header authentication failed" "$W/reorder.spk"
bad "stanzas reordered, the other identity" "header authentication failed" "$W/reorder.spk" -i "$W/id2"
build "$W/dup.spk" 2 S1 S1
bad "S2 replaced by a copy of S1" "recipient stanza" "$W/dup.spk"
hdr "S2 replaced by a copy of S1" "recipient stanza" "$W/dup.spk"
build "$W/dup3.spk" 3 S1 S2 S1
bad "S1 duplicated as a third stanza" "recipient stanza" "$W/dup3.spk"
build "$W/strip2.spk" 1 S1
bad "S2 stripped" "header authentication failed" "$W/strip2.spk"
build "$W/strip1.spk" 1 S2
bad "S1 stripped, opened with S1's identity" "wrong key" "$W/strip1.spk"
bad "S1 stripped, opened with S2's identity" "header authentication failed" "$W/strip1.spk" -i "$W/id2"
build "$W/none.spk" 0
bad "every stanza stripped" "malformed bundle header" "$W/none.spk"
hdr "every stanza stripped" "malformed bundle header" "$W/none.spk"
build "$W/zero.spk" 0 S1 S2
bad "stanza_count 0, stanzas left in place" "malformed bundle header" "$W/zero.spk"
build "$W/more.spk" 3 S1 S2
bad "stanza_count 3 with two stanzas" "malformed bundle header" "$W/more.spk"
build "$W/less.spk" 1 S1 S2
bad "stanza_count 1 with two stanzas" "malformed bundle header" "$W/less.spk"
build "$W/type3.spk" 2 S1 S1t3
bad "a stanza of unknown type 3" "recipient stanza" "$W/type3.spk"
build "$W/type2.spk" 2 S1 S1t2
bad "an X25519 body labelled Argon2id (length 80)" "recipient stanza" "$W/type2.spk"
build "$W/type0.spk" 2 S1t0 S2
bad "a stanza of type 0" "recipient stanza" "$W/type0.spk"
hdr "a stanza of type 0" "recipient stanza" "$W/type0.spk"

# The passphrase stanza of xp.spk (X25519 S at 37, Argon2id P at 120, 103 bytes, signer type at
# 223, MAC at 224).
is "xp.spk: header_len 256" 256 "$(u32at "$W/xp.spk" 11)"
pbuild() {
	bo=$1 bc=$2
	shift 2
	: >"$W/.st"
	for p; do
		case $p in
		X) part "$W/xp.spk" 37 83 ;;
		P) part "$W/xp.spk" 120 103 ;;
		Psalt) part "$W/xp.spk" 120 3; byte 255; part "$W/xp.spk" 124 99 ;; # salt changed
		esac >>"$W/.st"
	done
	bl=$((36 + 1 + $(wc -c <"$W/.st") + 1 + 32))
	{ part "$W/xp.spk" 0 11; u32 $bl; part "$W/xp.spk" 15 21; byte "$bc"; cat "$W/.st"
	  part "$W/xp.spk" 223; } >"$bo"
}
pbuild "$W/psame.spk" 2 X P
is "xp.spk rebuilt unchanged is byte-identical" 1 "$(cmp -s "$W/xp.spk" "$W/psame.spk" && echo 1 || echo 0)"
export SECRETPACK_PASSPHRASE="$PASS"
pbuild "$W/pstrip.spk" 1 X
bad "passphrase stanza stripped, opened with the passphrase" "no passphrase recipient" "$W/pstrip.spk" -p
bad "passphrase stanza stripped, opened with the identity" "header authentication failed" "$W/pstrip.spk"
pbuild "$W/xstrip.spk" 1 P
bad "X25519 stanza stripped, opened with the passphrase" "header authentication failed" "$W/xstrip.spk" -p
pbuild "$W/pdup.spk" 3 X P P
bad "passphrase stanza duplicated" "recipient stanza" "$W/pdup.spk" -p
pbuild "$W/ptwo.spk" 3 X P Psalt
bad "a second passphrase stanza (other salt)" "recipient stanza" "$W/ptwo.spk" -p
hdr "a second passphrase stanza (other salt)" "recipient stanza" "$W/ptwo.spk"
pbuild "$W/preorder.spk" 2 P X
bad "passphrase stanza moved first, opened with the identity" "header authentication failed" \
	"$W/preorder.spk"
unset SECRETPACK_PASSPHRASE

# 4. The same refusals from `run`, in a namespace: nothing written, the app never started.
. "$SP_TESTS/cli/run_lib.sh"
chmod 755 "$W"
chmod 644 "$W"/*.spk
newcase
app ok <<'EOF'
: >"$C/m/ran"
EOF
# runbad NAME PATTERN BUNDLE [VAR=VALUE...]: refused by run; app not started; DIR left empty.
runbad() {
	rn=$1 pat=$2 RB=$3
	shift 3
	export RB
	rm -f "$C/m/ran" "$C/after"
	refuse "run, $rn: refused" "$pat" env "$@" timeout -s KILL 60 unshare --kill-child -m -p -f --mount-proc \
		sh -c "$NS_PRE"'tmpfs "$C/s"; "$SP" run --bundle "$RB" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"
		rc=$?; ls -A "$C/s" >"$C/after"; exit $rc'
	is "run, $rn: app not started, DIR empty" "0|" "$(ran)|$(cat "$C/after" 2>/dev/null)"
}
runbad "suite 0" "algorithm suite" "$W/suite0.spk" SECRETPACK_KEY_FILE="$W/id"
runbad "suite 2" "algorithm suite" "$W/suite2.spk" SECRETPACK_KEY_FILE="$W/id"
runbad "version 3" "version 3 is not supported" "$W/ver3.spk" SECRETPACK_KEY_FILE="$W/id"
patch "$W/pp.spk" "$W/kdf.spk" 60 u32 4194304
s=$(date +%s%N)
runbad "m_cost 4 GiB" "passphrase cost parameters" "$W/kdf.spk" -u SECRETPACK_KEY_FILE \
	SECRETPACK_PASSPHRASE="$PASS"
ms=$((($(date +%s%N) - s) / 1000000))
echo "# run, m_cost 4 GiB: refused in $ms ms, namespace setup included"
is "run, m_cost 4 GiB: refused before any Argon2id work (under $LIMIT_MS ms, namespace included)" 1 \
	$((ms < LIMIT_MS))
runbad "stanzas reordered" "header authentication failed" "$W/reorder.spk" SECRETPACK_KEY_FILE="$W/id"
runbad "S2 replaced by a copy of S1" "recipient stanza" "$W/dup.spk" SECRETPACK_KEY_FILE="$W/id"
runbad "S2 stripped" "header authentication failed" "$W/strip2.spk" SECRETPACK_KEY_FILE="$W/id"
runbad "passphrase stanza stripped" "no passphrase recipient|wrong key" "$W/pstrip.spk" \
	-u SECRETPACK_KEY_FILE SECRETPACK_PASSPHRASE="$PASS"
