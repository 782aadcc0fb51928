#!/bin/sh
# t_cat_twopass.sh - cat releases nothing before the whole bundle (signature included) is
# authenticated: a change anywhere gives an empty stdout, from a file and from a pipe (staged);
# open leaves no file. A bundle changed between cat's two passes fails, and stdout then holds only
# a prefix of the authentic entry.
. "$SP_TESTS/cli/lib.sh"

"$SP" keygen -o "$T/id" >"$T/id.out" 2>&1 || { notok "keygen"; exit 1; }
RCPT=$(tail -n 1 "$T/id.out")
"$SP" keygen --sign -o "$T/sig" >"$T/sig.out" 2>&1 || { notok "keygen --sign"; exit 1; }
export SECRETPACK_KEY_FILE="$T/id"
# Two entries across several messages; cat asks for the first, the change is after it.
head -c 200000 /dev/urandom >"$T/first"
head -c 100000 /dev/urandom >"$T/second"
"$SP" seal -r "$RCPT" -o "$T/b.spk" "$T/first" "$T/second" 2>"$T/.err" || { notok "seal"; cat "$T/.err"; exit 1; }
"$SP" seal -r "$RCPT" --sign "$T/sig" -o "$T/s.spk" "$T/first" "$T/second" 2>"$T/.err" ||
	{ notok "seal --sign"; cat "$T/.err"; exit 1; }

flip() { # FILE OFFSET: flips the low bit of one byte in place
	b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
	printf "\\$(printf %o $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
size() { wc -c <"$1" | tr -d ' '; }
# variant NAME SRC: $T/NAME.spk, a copy of $T/SRC.spk to change
variant() { cp "$T/$2.spk" "$T/$1.spk"; }

BL=$(size "$T/b.spk") SL=$(size "$T/s.spk")
variant last b;    flip "$T/last.spk" $((BL - 17 - 100))   # the last content message
variant final b;   flip "$T/final.spk" $((BL - 3))         # the final message
variant short b;   head -c $((BL - 1)) "$T/b.spk" >"$T/short.spk"
variant long b;    printf 'x' >>"$T/long.spk"
variant sig s;     flip "$T/sig.spk" $((SL - 10))          # the signature trailer
variant sfinal s;  flip "$T/sfinal.spk" $((SL - 64 - 3))   # the final message of a signed one
variant snosig s;  head -c $((SL - 64)) "$T/s.spk" >"$T/snosig.spk"

# nothing NAME PATTERN CMD...: refused with one line, and stdout empty.
nothing() {
	n=$1 pat=$2; shift 2
	refuse "$n" "$pat" "$@"
	if [ -s "$T/.out" ]; then notok "$n: stdout empty ($(size "$T/.out") bytes)"; else ok "$n: stdout empty"; fi
}
for v in "last:payload authentication" "final:payload authentication" "short:truncated" \
    "long:unexpected data" "sig:signature" "sfinal:payload authentication" "snosig:truncated"; do
	name=${v%%:*} pat=${v#*:}
	nothing "cat, file, $name" "$pat" "$SP" cat "$T/$name.spk" first
	nothing "cat, pipe, $name" "$pat" sh -c 'cat "$1" | "$2" cat - first' - "$T/$name.spk" "$SP"
	nothing "cat, stdin file, $name" "$pat" sh -c '"$2" cat - first <"$1"' - "$T/$name.spk" "$SP"
	rm -rf "$T/o"
	refuse "open, file, $name" "$pat" "$SP" open -o "$T/o" "$T/$name.spk"
	[ ! -e "$T/o" ] && ok "open, file, $name: no directory left" || notok "open, file, $name: no directory left"
	refuse "open, pipe, $name" "$pat" sh -c 'cat "$1" | "$2" open -o "$3" -' - "$T/$name.spk" "$SP" "$T/o"
	[ ! -e "$T/o" ] && ok "open, pipe, $name: no directory left" || notok "open, pipe, $name: no directory left"
done

# A named FIFO (process substitution) is staged like stdin.
for v in "last:payload authentication" "sig:signature"; do
	name=${v%%:*} pat=${v#*:}
	rm -f "$T/fifo"; mkfifo "$T/fifo"
	cat "$T/$name.spk" >"$T/fifo" &
	nothing "cat, named FIFO, $name" "$pat" "$SP" cat "$T/fifo" first
	wait
done
rm -f "$T/fifo"; mkfifo "$T/fifo"
cat "$T/s.spk" >"$T/fifo" &
"$SP" cat "$T/fifo" second >"$T/out" 2>"$T/.err"
wait
cmp -s "$T/out" "$T/second" && ok "cat s.spk (named FIFO): the entry" || notok "cat s.spk (named FIFO): the entry"

# The intact bundles: the entry, whole, from a file, a pipe and a stdin file.
for b in b s; do
	for how in file pipe stdin; do
		case $how in
		file) "$SP" cat "$T/$b.spk" second >"$T/out" 2>"$T/.err" ;;
		pipe) cat "$T/$b.spk" | "$SP" cat - second >"$T/out" 2>"$T/.err" ;;
		stdin) "$SP" cat - second <"$T/$b.spk" >"$T/out" 2>"$T/.err" ;;
		esac
		if cmp -s "$T/out" "$T/second"; then ok "cat $b.spk ($how): the entry"; else notok "cat $b.spk ($how): the entry"; fi
	done
done

# The race, made deterministic: the reader of stdout takes the first bytes, which exist only once
# the first pass authenticated everything, then changes the last content message of the bundle
# while cat's second pass is held by the pipe. cat must fail, say so, and stdout must be a strict
# prefix of the authentic entry (never a byte the change produced).
head -c 4194304 /dev/urandom >"$T/big"
"$SP" seal -r "$RCPT" -o "$T/race.spk" "$T/big" 2>"$T/.err" || { notok "seal race"; cat "$T/.err"; }
cp "$T/race.spk" "$T/race.orig"
RL=$(size "$T/race.spk")
{ "$SP" cat "$T/race.spk" big 2>"$T/race.err"; echo $? >"$T/race.rc"; } |
	{ dd bs=4096 count=1 2>/dev/null; flip "$T/race.spk" $((RL - 17 - 1000)); cat; } >"$T/race.out"
is "race: cat fails" 1 "$(cat "$T/race.rc")"
if [ "$(wc -l <"$T/race.err")" -eq 1 ] && grep -q "^secretpack: cat: .*changed after it was authenticated.*stdout got only the first [0-9]* bytes" "$T/race.err"; then
	ok "race: one line saying stdout is incomplete"
else
	notok "race: one line saying stdout is incomplete"; sed 's/^/# /' "$T/race.err"
fi
got=$(size "$T/race.out")
if [ "$got" -gt 0 ] && [ "$got" -lt 4194304 ] && head -c "$got" "$T/big" | cmp -s - "$T/race.out"; then
	ok "race: stdout is a strict prefix of the entry ($got bytes)"
else
	notok "race: stdout is a strict prefix of the entry ($got bytes)"
fi
grep -q "first $got bytes" "$T/race.err" && ok "race: the message counts the bytes written" ||
	notok "race: the message counts the bytes written"

# From a pipe the ciphertext is staged: changing the source file after the first pass changes
# nothing, and the entry comes out whole.
cp "$T/race.orig" "$T/race.spk"
{ cat "$T/race.spk" | "$SP" cat - big 2>"$T/race.err"; echo $? >"$T/race.rc"; } |
	{ dd bs=4096 count=1 2>/dev/null; flip "$T/race.spk" $((RL - 17 - 1000)); cat; } >"$T/race.out"
is "staged pipe: cat succeeds" 0 "$(cat "$T/race.rc")"
cmp -s "$T/race.out" "$T/big" && ok "staged pipe: the whole entry" || notok "staged pipe: the whole entry"

# A signed bundle is staged from a file too: the second pass authenticates each message under the
# file key, which every recipient holds, so a recipient who is not the signer could otherwise put
# content of its own behind the same header between the passes. Pass 2 must read the sealed copy
# of what pass 1 verified: a change to the file after pass 1 changes nothing.
SIGNER=$(tail -n 1 "$T/sig.out")
"$SP" seal -r "$RCPT" --sign "$T/sig" -o "$T/srace.spk" "$T/big" 2>"$T/.err" || { notok "seal --sign srace"; cat "$T/.err"; }
SRL=$(size "$T/srace.spk")
{ "$SP" cat --trust "$SIGNER" "$T/srace.spk" big 2>"$T/race.err"; echo $? >"$T/race.rc"; } |
	{ dd bs=4096 count=1 2>/dev/null; flip "$T/srace.spk" $((SRL - 64 - 17 - 1000)); cat; } >"$T/race.out"
is "signed file, changed after pass 1: cat succeeds (pass 2 reads the staged copy)" 0 "$(cat "$T/race.rc")"
cmp -s "$T/race.out" "$T/big" && ok "signed file, changed after pass 1: the whole signed entry" ||
	notok "signed file, changed after pass 1: the whole signed entry"
nothing "signed file, changed before: refused" "signature|payload authentication" "$SP" cat --trust "$SIGNER" "$T/srace.spk" big

# stdin a file read from an offset other than 0 (a caller consumed a prefix): rewound to where
# it started, not to 0.
{ head -c 100 /dev/urandom; cat "$T/b.spk"; } >"$T/pre.spk"
is "cat - from a stdin file at offset 100: the entry" "$(od -An -tx1 "$T/first" | md5sum)" \
	"$({ dd of=/dev/null bs=100 count=1 2>/dev/null; "$SP" cat - first; } <"$T/pre.spk" | od -An -tx1 | md5sum)"

# The real attack on the two passes: a recipient who is not the signer holds the file key, so it
# can encrypt content of its own under the same payload key and stream header
# (tests/cli/forge_payload.py), keeping the header, every nonce and the signature trailer; only
# the signature tells the forged file from the signed one. secretstream chains each message into
# the next nonce, so the forgery keeps the first 1 MiB (16 messages, byte-identical) and replaces
# the other 3 MiB with 'A's: swapped in (same inode, same length) after pass 1 verified the file,
# while pass 2 is held by the pipe within that first MiB, every message would authenticate if
# pass 2 read the file. It must print the signed entry, whole, and none of the forgery.
"$SP" seal -r "$RCPT" --sign "$T/sig" -o "$T/frace.spk" "$T/big" 2>"$T/.err" || { notok "seal --sign frace"; cat "$T/.err"; }
{ head -c 1048576 "$T/big"; head -c 3145728 /dev/zero | tr '\0' A; } >"$T/forged.bin"
is "forger: a payload of the recipient's own under the signed header" \
	"forged: 4194304 bytes in 64 content messages, first 16 unchanged" \
	"$(/usr/bin/python3 "$SP_TESTS/cli/forge_payload.py" "$T/id" "$T/frace.spk" "$T/forged.bin" "$T/frace.forged" 2>&1)"
FHL=$(od -An -tu4 -j 11 -N 4 "$T/frace.spk" | tr -d ' ')
cmp -s -n $((FHL + 24)) "$T/frace.spk" "$T/frace.forged" && ! cmp -s "$T/frace.spk" "$T/frace.forged" &&
	[ "$(size "$T/frace.spk")" -eq "$(size "$T/frace.forged")" ] &&
	ok "forger: same header, stream header and length, another payload" ||
	notok "forger: same header, stream header and length, another payload"
nothing "forged signed file, read once: refused on the signature" "signature" "$SP" cat --trust "$SIGNER" "$T/frace.forged" big
# forged_in FILE: whether FILE holds 64 forged bytes in a row (random data never does)
forged_in() { tr -c A '\n' <"$1" | grep -q '^A\{64\}'; }
{ "$SP" cat --trust "$SIGNER" "$T/frace.spk" big 2>"$T/race.err"; echo $? >"$T/race.rc"; } |
	{ dd bs=4096 count=1 2>/dev/null; dd if="$T/frace.forged" of="$T/frace.spk" bs=1048576 conv=notrunc 2>/dev/null; cat; } >"$T/race.out"
cmp -s "$T/frace.spk" "$T/frace.forged" && ok "forged signed file, swapped after pass 1: the file now holds the forgery" ||
	notok "forged signed file, swapped after pass 1: the file now holds the forgery"
is "forged signed file, swapped after pass 1: cat succeeds" 0 "$(cat "$T/race.rc")"
cmp -s "$T/race.out" "$T/big" && ok "forged signed file, swapped after pass 1: stdout is the signed entry, whole" ||
	notok "forged signed file, swapped after pass 1: stdout is the signed entry, whole ($(size "$T/race.out") bytes)"
if forged_in "$T/race.out"; then
	notok "forged signed file, swapped after pass 1: no forged content on stdout"
	echo "# forged bytes printed: $(tr -cd A <"$T/race.out" | wc -c) of $(size "$T/race.out"); stderr:"
	sed 's/^/# /' "$T/race.err"
else
	ok "forged signed file, swapped after pass 1: no forged content on stdout"
fi
echo "1..$_n"
