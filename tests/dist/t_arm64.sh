#!/bin/sh
# The arm64 build (make ARCH=arm64), run under qemu-user-static: keygen, seal (keys and a
# passphrase, so Argon2id runs), inspect, open and cat round trip, bundles exchanged with the amd64
# binary both ways, every format vector (the cross-built unit test), the Argon2 link map, and
# t_build's hardening checks on the arm64 binary.
# Env: ARM64_BUILD (set by make check: the build directory holding secretpack and unit/test_vectors).
. "$SP_TESTS/cli/lib.sh"
ROOT=$(cd "$SP_TESTS/.." && pwd)
AB=${ARM64_BUILD:-}
Q=$(command -v qemu-aarch64-static || true)
if [ -z "$AB" ] || [ ! -x "$AB/secretpack" ]; then
	skip "arm64 build under qemu" "no arm64 build (ARM64_BUILD unset: make check builds it when the cross compiler, the :arm64 libraries and qemu-user-static are installed: make deps-arm64)"
	exit 0
fi
if [ -z "$Q" ]; then
	skip "arm64 build under qemu" "qemu-aarch64-static missing (apt-get install qemu-user-static)"
	exit 0
fi
A="$Q $AB/secretpack" # word-split on purpose: qemu, then the binary
V=$(cat "$ROOT/VERSION")

is "the binary is a static aarch64 executable" 1 "$(file "$AB/secretpack" | grep -c 'ARM aarch64.*statically linked')"
is "it runs under qemu: -V" "secretpack $V (bundle format 2)" "$($A -V 2>&1)"
grep -q 'libargon2.a(.*definition of argon2_ctx' "$AB/argon2-link.txt" &&
	ok "link map: argon2_ctx comes from libargon2.a (arm64)" || notok "link map: argon2_ctx comes from libargon2.a (arm64)"
# The renamed copy in the derived libsodium.a is not what was linked.
grep -q 'libsodium-sp.a(.*definition of argon2_ctx' "$AB/argon2-link.txt" &&
	notok "link map: no argon2_ctx from libsodium" || ok "link map: no argon2_ctx from libsodium"

# Round trip, all under qemu.
mkdir -p "$T/in/sub" "$T/out"
printf 'hunter2\n' >"$T/in/db.txt"; head -c 70000 /dev/urandom >"$T/in/sub/blob.bin"
check "arm64 keygen -o" $A keygen -o "$T/id"
$A pubkey "$T/id" >"$T/id.pub" 2>"$T/err" && grep -q '^spkpub1' "$T/id.pub" &&
	ok "arm64 pubkey" || notok "arm64 pubkey"
printf 'correct horse\n' >"$T/pass"; chmod 600 "$T/pass"
check "arm64 seal (recipient, passphrase, context, a directory)" env SECRETPACK_PASSPHRASE_FILE="$T/pass" \
	$A seal -R "$T/id.pub" -p --context shop@arm -o "$T/b.spk" "$T/in"
$A inspect "$T/b.spk" >"$T/insp" 2>&1 && grep -q 'shop@arm' "$T/insp" &&
	ok "arm64 inspect without a key shows the context" || { notok "arm64 inspect"; sed 's/^/# /' "$T/insp"; }
$A inspect -i "$T/id" --json "$T/b.spk" >"$T/json" 2>&1 && grep -q '"sub/blob.bin"' "$T/json" &&
	ok "arm64 inspect -i --json lists the entries" || notok "arm64 inspect -i --json lists the entries"
check "arm64 open" $A open -i "$T/id" --context shop@arm -o "$T/out/o1" "$T/b.spk"
diff -r "$T/in" "$T/out/o1" >/dev/null && ok "arm64 open: the tree comes back byte for byte" ||
	notok "arm64 open: the tree comes back byte for byte"
is "arm64 cat" "hunter2" "$($A cat -i "$T/id" --context shop@arm "$T/b.spk" db.txt 2>&1)"
is "arm64 cat -p (Argon2id from libargon2 under qemu)" "hunter2" \
	"$(SECRETPACK_PASSPHRASE_FILE="$T/pass" $A cat -p --context shop@arm "$T/b.spk" db.txt 2>&1)"
refuse "arm64 refuses the wrong context" "context mismatch" $A cat -i "$T/id" --context shop@x86 "$T/b.spk" db.txt
# The two architectures read each other's bundles.
is "amd64 opens the arm64 bundle" "hunter2" "$("$SP" cat -i "$T/id" --context shop@arm "$T/b.spk" db.txt 2>&1)"
"$SP" seal -a -r "$(cat "$T/id.pub")" -o "$T/x.spk" "$T/in/sub/blob.bin" 2>"$T/err"
$A cat -i "$T/id" "$T/x.spk" blob.bin >"$T/blob" 2>&1 && cmp -s "$T/blob" "$T/in/sub/blob.bin" &&
	ok "arm64 opens an armored amd64 bundle" || notok "arm64 opens an armored amd64 bundle"

# Every format vector, through the cross-built unit test.
if [ -x "$AB/unit/test_vectors" ]; then
	(cd "$ROOT" && CMOCKA_MESSAGE_OUTPUT=TAP $Q "$AB/unit/test_vectors") >"$T/vec" 2>&1; r=$?
	p=$(grep -c '^ok ' "$T/vec"); f=$(grep -c '^not ok ' "$T/vec")
	nv=$(ls "$ROOT"/tests/vectors/*.vec | wc -l)
	if [ "$r" = 0 ] && [ "$f" = 0 ] && [ "$p" -ge "$nv" ]; then
		ok "arm64: every format vector ($p checks for $nv vectors)"
	else
		notok "arm64: format vectors (exit $r, $p ok, $f not ok, $nv vectors)"; grep '^not ok' "$T/vec" | head | sed 's/^/# /'
	fi
else
	notok "arm64: format vectors: $AB/unit/test_vectors not built"
fi

# t_build's checks on the arm64 binary (static, stripped, RELRO, NX stack, stack protector, FORTIFY).
SECRETPACK=$AB/secretpack BUILD=$AB sh "$SP_TESTS/cli/t_build.sh" >"$T/build.tap" 2>&1
while IFS= read -r line; do
	case $line in
	"ok "*) ok "arm64: ${line#ok * - }" ;;
	"not ok "*) notok "arm64: ${line#not ok * - }" ;;
	*) echo "$line" ;;
	esac
done <"$T/build.tap"
is "arm64: t_build ran its 6 checks" 6 "$(grep -c '^ok ' "$T/build.tap")"
