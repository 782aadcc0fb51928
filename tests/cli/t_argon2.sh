#!/bin/sh
# Which Argon2 runs in the static binary: libargon2 (threaded), not libsodium's private copy.
# The RFC 9106 vector itself is checked by the unit tests (tests/unit/test_kdf.c).
. "$SP_TESTS/cli/lib.sh"
unset SECRETPACK_KEY SECRETPACK_KEY_FILE SECRETPACK_PASSPHRASE SECRETPACK_PASSPHRASE_FILE
B=${BUILD:-$(dirname "$SP")}
U=$B/secretpack.unstripped

if [ ! -f "$U" ]; then
	notok "$U exists (set BUILD to the build folder)"
elif ! file "$U" | grep -q 'statically linked'; then
	skip "symbols of the static binary" "dynamic build (STATIC=0): libargon2.so is linked by name"
else
	nm "$U" >"$T/nm" 2>"$T/nm.err" || notok "nm $U"
	grep -Eq ' T argon2_thread_create$' "$T/nm" && ok "libargon2's thread helper argon2_thread_create is linked" ||
		notok "libargon2's thread helper argon2_thread_create is linked"
	is "argon2_ctx defined once" 1 "$(grep -Ec ' [Tt] argon2_ctx$' "$T/nm")"
	# Every symbol both libraries define: libsodium's copy renamed, or left out of the link.
	clash=0 renamed=0
	if [ -s "$B/argon2-rename.txt" ]; then
		while read -r orig new; do
			n=$(grep -Ec " [A-Za-z] $orig\$" "$T/nm")
			[ "$n" -le 1 ] || { clash=$((clash + 1)); echo "# $orig defined $n times"; }
			grep -q " $new\$" "$T/nm" && renamed=$((renamed + 1))
		done <"$B/argon2-rename.txt"
		is "no Argon2 symbol defined twice" 0 "$clash"
		echo "# $renamed of libsodium's Argon2 symbols linked under the sp_sodium_ prefix"
	else
		notok "$B/argon2-rename.txt lists the renamed symbols"
	fi
	# sodium_init links libsodium's Argon2 core (it picks an implementation): then its symbols
	# must carry the prefix, or libsodium's fill_memory_blocks would be the one libargon2 calls.
	if grep -q ' argon2_pick_best_implementation$' "$T/nm"; then
		[ "$renamed" -gt 0 ] && ok "libsodium's Argon2 core is linked renamed (sp_sodium_*)" ||
			notok "libsodium's Argon2 core is linked renamed (sp_sodium_*)"
	else
		ok "libsodium's Argon2 core is not linked at all"
	fi
	if [ -f "$B/argon2-link.txt" ]; then
		grep -q 'libargon2.a(.*definition of argon2_ctx' "$B/argon2-link.txt" &&
			ok "link map: argon2_ctx's definition comes from libargon2.a" ||
			{ notok "link map: argon2_ctx's definition comes from libargon2.a"; sed 's/^/# /' "$B/argon2-link.txt"; }
		grep 'definition of argon2_ctx' "$B/argon2-link.txt" | grep -q 'libsodium' &&
			notok "link map: no definition of argon2_ctx from libsodium" ||
			ok "link map: no definition of argon2_ctx from libsodium"
	else
		notok "$B/argon2-link.txt exists"
	fi
fi

# Threads: libsodium's Argon2 is single-threaded; libargon2 runs one thread per lane (p=4).
# The binary is not dumpable while it holds secrets, so an unprivileged strace cannot decode the
# clone flags: count the clone calls that returned a new task (seal and cat never fork).
tasks() { grep -Ec 'clone3?[( ].*= [1-9][0-9]*$' "$1"; }
mkdir -p "$T/in"
printf 'x' >"$T/in/s"
if ! command -v strace >/dev/null 2>&1; then
	skip "a passphrase seal runs Argon2 in threads" "strace is not installed"
else
	ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 SECRETPACK_PASSPHRASE='thread count' strace -f -e trace=clone,clone3 -o "$T/strace" \
		"$SP" seal -p -o "$T/p.spk" "$T/in/s" >"$T/.out" 2>"$T/.err"
	is "seal -p under strace: exit 0" 0 $?
	threads=$(tasks "$T/strace")
	[ "$threads" -ge 3 ] && ok "a passphrase seal (p=4) creates $threads threads" ||
		{ notok "a passphrase seal (p=4) creates at least 3 threads (got $threads)"; head -n 5 "$T/strace" | sed 's/^/# /'; }
	"$SP" inspect "$T/p.spk" 2>&1 | grep -q 'p=4)' && ok "the bundle records p=4" || notok "the bundle records p=4"
	is "the threaded derivation opens what it sealed" x \
		"$(SECRETPACK_PASSPHRASE='thread count' "$SP" cat -p "$T/p.spk" s 2>&1)"
	ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 SECRETPACK_PASSPHRASE='thread count' strace -f -e trace=clone,clone3 -o "$T/strace2" \
		"$SP" cat -p "$T/p.spk" s >/dev/null 2>&1
	threads=$(tasks "$T/strace2")
	[ "$threads" -ge 3 ] && ok "opening by passphrase runs threads too ($threads)" ||
		notok "opening by passphrase runs threads too (got $threads)"
fi
