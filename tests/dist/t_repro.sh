#!/bin/sh
# Reproducible builds: the tree copied to two directories of different names and depths, built in
# each (make dist when the arm64 cross compiler is there: both binaries, man pages, completions,
# tarball; else the amd64 binary) gives byte-identical files; no build path in them. Control: the
# same two builds without the prefix map (REPRO_FLAGS=) differ, and the build path is inside.
. "$SP_TESTS/cli/lib.sh"
ROOT=$(cd "$SP_TESTS/.." && pwd)
unset BUILD # run.sh exports the tree's own build directory
V=$(cat "$ROOT/VERSION")
A=$T/a/secretpack-src
B=$T/bb/some/deeper/place/src
for d in "$A" "$B"; do
	mkdir -p "$d"
	tar -C "$ROOT" --exclude=./.git --exclude='./build*' --exclude=./dist --exclude=./secretpack -cf - . |
		tar -C "$d" -xf -
done
if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 && [ -f /usr/lib/aarch64-linux-gnu/libsodium.a ] &&
    [ -f /usr/lib/aarch64-linux-gnu/libargon2.a ] && [ -f /usr/lib/aarch64-linux-gnu/libinih.a ]; then
	what=dist
	files="secretpack-$V-linux-amd64 secretpack-$V-linux-arm64 secretpack.1 secretpack-manifest.5
	       secretpack.bash _secretpack secretpack.fish secretpack-$V.tar.gz SHA256SUMS"
else
	what=amd64
	skip "make dist in two directories" "no arm64 cross compiler or :arm64 libraries (make deps-arm64): the amd64 binary only"
fi
build() { # dir, extra make args... -> the files to compare in $1/out
	d=$1; shift
	if [ "$what" = dist ]; then
		make -s -j2 --no-print-directory -C "$d" BUILD=build "$@" dist >"$d/make.log" 2>&1 || return 1
		ln -s dist "$d/out"
	else
		make -s -j2 --no-print-directory -C "$d" BUILD=build "$@" secretpack >"$d/make.log" 2>&1 || return 1
		mkdir "$d/out" && cp "$d/secretpack" "$d/out/secretpack-$V-linux-amd64"
	fi
}
same() { # dir1 dir2 -> names of the files that differ or are missing
	for f in $files; do cmp -s "$1/out/$f" "$2/out/$f" || echo "$f"; done
}
[ "$what" = amd64 ] && files="secretpack-$V-linux-amd64"
if build "$A" && build "$B"; then ok "$what built in $A and $B"; else
	notok "$what built in both directories"; tail -5 "$A/make.log" "$B/make.log" | sed 's/^/# /'; exit 0; fi
is "the two builds are byte-identical ($(echo $files | wc -w) files)" "" "$(same "$A" "$B")"
if [ "$what" = dist ]; then
	(cd "$A/dist" && sha256sum -c --quiet SHA256SUMS) >/dev/null 2>&1 && ok "SHA256SUMS checks" ||
		notok "SHA256SUMS checks"
	is "dist holds exactly the release files" "$(printf '%s\n' $files | sort)" "$(ls "$A/dist" | sort)"
	is "the amd64 binary is an x86-64 static executable" 1 \
		"$(file "$A/dist/secretpack-$V-linux-amd64" | grep -c 'x86-64.*statically linked.*stripped')"
	is "the arm64 binary is an aarch64 static executable" 1 \
		"$(file "$A/dist/secretpack-$V-linux-arm64" | grep -c 'ARM aarch64.*statically linked.*stripped')"
	is "the tarball unpacks to secretpack-$V/ with the sources" "secretpack-$V/Makefile" \
		"$(tar -tzf "$A/dist/secretpack-$V.tar.gz" | grep -x "secretpack-$V/Makefile")"
	ubin=$A/build-dist-amd64/secretpack.unstripped
else
	ubin=$A/build/secretpack.unstripped
fi
# No build directory anywhere, even in the unstripped binary's debug information.
n=$(grep -c -a -F "$A" "$ubin")
is "no build path in the unstripped binary" 0 "$n"

# Control: without the prefix map the same two builds differ, and the build path is inside.
rm -rf "$A/build" "$B/build" "$A/secretpack" "$B/secretpack"
ok=1
for d in "$A" "$B"; do
	make -s -j2 --no-print-directory -C "$d" BUILD=build REPRO_FLAGS= secretpack >"$d/make.log" 2>&1 || ok=0
done
if [ "$ok" = 1 ]; then
	cmp -s "$A/secretpack" "$B/secretpack" && notok "control: without REPRO_FLAGS the binaries differ" ||
		ok "control: without REPRO_FLAGS the binaries differ (the build-id hashes the debug info)"
	[ "$(grep -c -a -F "$A" "$A/build/secretpack.unstripped")" -gt 0 ] &&
		ok "control: without REPRO_FLAGS the build path is in the unstripped binary" ||
		notok "control: without REPRO_FLAGS the build path is in the unstripped binary"
else
	notok "control builds"; tail -5 "$A/make.log" "$B/make.log" | sed "s/^/# /"
fi
