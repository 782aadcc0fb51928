#!/bin/sh
# The README's worked example, pasted as written (the blocks marked <!-- readme-test -->): it must
# run from any directory, create what it needs and touch nothing outside its own new folder.
. "$SP_TESTS/cli/lib.sh"
sh "$SP_TESTS/readme_blocks.sh" readme-test >"$T/example.sh"
is "README: one marked block found" 1 "$(grep -c '^cd "$(mktemp -d)"' "$T/example.sh")"
mkdir -p "$T/bin" "$T/home/work" "$T/tmp"
ln -s "$SP" "$T/bin/secretpack"
# A user's folder that already holds files of the same names: they must stay as they were.
for f in prod.key app.spk keys secrets out; do echo "mine: $f" >"$T/home/work/$f"; done
(cd "$T/home/work" && ls -l) >"$T/before"
(cd "$T/home/work" && PATH="$T/bin:$PATH" HOME="$T/home" TMPDIR="$T/tmp" \
	sh -eux "$T/example.sh") >"$T/run.out" 2>"$T/run.err"
r=$?
is "README: the worked example runs, every command succeeds" 0 $r
[ $r -eq 0 ] || sed 's/^/# /' "$T/run.err" | tail -n 5
is "README: secretpack cat printed the sealed value" 1 "$(grep -cx 'correct-horse-battery' "$T/run.out")"
is "README: check passed the bundle" 1 "$(grep -c '^secretpack: check: app.spk: ok ' "$T/run.out")"
d=$(ls -d "$T"/tmp/tmp.* 2>/dev/null)
[ -f "$d/out/db_password" ] && cmp -s "$d/out/db_password" "$d/secrets/db.txt"
is "README: open wrote the secret into the example's own folder" 0 $?
(cd "$T/home/work" && ls -l) >"$T/after"
cmp -s "$T/before" "$T/after" && grep -qx 'mine: prod.key' "$T/home/work/prod.key"
is "README: the user's own files of the same names are untouched" 0 $?
(cd "$T/home/work" && PATH="$T/bin:$PATH" HOME="$T/home" TMPDIR="$T/tmp" sh -eu "$T/example.sh") >/dev/null 2>&1
is "README: pasting it again works too (a new folder each time)" 0 $?
