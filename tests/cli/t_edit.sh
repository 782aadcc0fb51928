#!/bin/sh
# edit: entries decrypted into a private directory on a tmpfs, a scripted $EDITOR changes, adds or
# deletes files (or nothing, or fails, or is stopped by SIGTERM/SIGHUP), the bundle is re-sealed
# with every other field kept; afterwards no plaintext is left in the tmpfs, $TMPDIR or the
# working directory, and the wiped files were overwritten with zeros.
. "$SP_TESTS/cli/lib.sh"
unset SECRETPACK_KEY SECRETPACK_KEY_FILE SECRETPACK_PASSPHRASE SECRETPACK_PASSPHRASE_FILE SECRETPACK_TRUST VISUAL
if ! XDG=$(mktemp -d /dev/shm/sptest-edit.XXXXXX 2>/dev/null) || [ "$(stat -f -c %T "$XDG")" != tmpfs ]; then
	skip "edit" "needs /dev/shm on a tmpfs"; exit 0
fi
trap 'rm -rf "$T" "$XDG"' EXIT INT TERM
export XDG_RUNTIME_DIR="$XDG" TMPDIR="$T/tmpdir"
mkdir -p "$T/tmpdir" "$T/cwd" "$T/log" "$T/in"
cd "$T/cwd" || exit 1

"$SP" keygen -o "$T/a" >"$T/a.out" 2>&1 || { notok "keygen"; exit 1; }
"$SP" keygen -o "$T/b" >"$T/b.out" 2>&1
"$SP" keygen -o "$T/c" >"$T/c.out" 2>&1
"$SP" keygen --sign -o "$T/sig.key" >"$T/sig.out" 2>&1
A=$(tail -n 1 "$T/a.out"); B=$(tail -n 1 "$T/b.out"); SIGNER=$(tail -n 1 "$T/sig.out")
MARK=MARKER-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
printf '%s-db' "$MARK" >"$T/in/db"
printf '%s-api' "$MARK" >"$T/in/api"
cat >"$T/in/m.ini" <<EOF
[bundle]
context = prod
expires = 30d
[secret db]
file = db
mode = 0440
owner = 1000:1000
env = DB_PASSWORD
[secret conf/api]
file = api
env = API_TOKEN
EOF
"$SP" seal -r "$A" -r "$B" -o "$T/x.spk" -m "$T/in/m.ini" || { notok "seal"; exit 1; }

# every field but the creation time, and the entries other than $2
meta() { "$SP" inspect -i "$T/a" --json "$1" | jq -c --arg n "${2:-}" 'del(.created, .bundle) | .entries |= map(select(.name != $n))'; }
entry() { "$SP" inspect -i "$T/a" --json "$1" | jq -c --arg n "$2" '.entries[] | select(.name == $n)'; }
content() { "$SP" cat -i "$T/${3:-a}" --context prod "$1" "$2"; }
clean() {
	is "$1: workspace removed from the tmpfs" "" "$(find "$XDG" -mindepth 1 | head -n 3)"
	is "$1: no plaintext in the tmpfs, \$TMPDIR, /dev/shm or the working directory" "" \
		"$(grep -rl "$MARK" "$XDG" "$T/tmpdir" "$T/cwd" /dev/shm 2>/dev/null | head -n 3)"
	is "$1: nothing left in \$TMPDIR or the working directory" "" "$(ls -A "$T/tmpdir" "$T/cwd" | grep -v ':$' | grep . | head -n 3)"
}
editor() { # name, body: a scripted editor; "$1" is the directory (or the file) it edits
	printf '#!/bin/sh\nset -e\necho "$1" >"%s/log/path"\n%s\n' "$T" "$2" >"$T/ed-$1"
	chmod +x "$T/ed-$1"
}

# ---- change ----
editor change 'stat -c "%a %F" "$1" "$1/db" "$1/conf" >"'"$T"'/log/stat"
printf "new-%s" "$(cat "$1/db")" >"$1/db"'
meta "$T/x.spk" db >"$T/before"
entry "$T/x.spk" db | jq -c 'del(.size)' >"$T/before-db"
check "edit: a changed file" env EDITOR="$T/ed-change" "$SP" edit -i "$T/a" "$T/x.spk"
case $(cat "$T/log/path") in "$XDG"/secretpack-edit.*/files) ok "edit: the editor ran on a directory in \$XDG_RUNTIME_DIR" ;;
	*) notok "edit: the editor ran on a directory in \$XDG_RUNTIME_DIR ($(cat "$T/log/path"))" ;; esac
is "edit: workspace 0700, files 0600" "700 directory|600 regular file|700 directory" "$(paste -sd'|' "$T/log/stat")"
is "edit: the new content" "new-$MARK-db" "$(content "$T/x.spk" db)"
is "edit: the changed entry keeps mode, owner, env" "$(cat "$T/before-db")" "$(entry "$T/x.spk" db | jq -c 'del(.size)')"
is "edit: recipients, context, expiry and the other entries kept" "$(cat "$T/before")" "$(meta "$T/x.spk" db)"
is "edit: the other recipient still opens it" "$MARK-api" "$(content "$T/x.spk" conf/api b)"
clean "change"

editor env 'env | grep -c "^SECRETPACK_" >"'"$T"'/log/env" || true; ulimit -c >"'"$T"'/log/core"; printf "env-%s" "$(cat "$1/db")" >"$1/db"'
check "edit with the identity in SECRETPACK_KEY" env SECRETPACK_KEY="$(cat "$T/a")" SECRETPACK_PASSPHRASE=x EDITOR="$T/ed-env" "$SP" edit "$T/x.spk"
is "edit: the editor's environment holds no SECRETPACK_ variable" "0" "$(cat "$T/log/env")"
is "edit: the editor runs with core dumps off" "0" "$(cat "$T/log/core")"
printf 'new-%s-db' "$MARK" | "$SP" set -i "$T/a" "$T/x.spk" db
clean "environment"

# ---- add, delete ----
editor add 'mkdir -p "$1/new/dir"; printf "%s-added" "'"$MARK"'" >"$1/new/dir/file"'
check "edit: an added file" env EDITOR="$T/ed-add" "$SP" edit -i "$T/a" "$T/x.spk"
is "edit: the added entry, with the defaults" '{"name":"new/dir/file","size":'"$((${#MARK} + 6))"',"mode":"0400","owner":null,"env":null}' \
	"$(entry "$T/x.spk" new/dir/file)"
is "edit: added content" "$MARK-added" "$(content "$T/x.spk" new/dir/file)"
clean "add"
meta "$T/x.spk" new/dir/file >"$T/before"
editor delete 'rm "$1/new/dir/file"'
check "edit: a deleted file" env EDITOR="$T/ed-delete" "$SP" edit -i "$T/a" "$T/x.spk"
is "edit: the deleted entry is gone, the rest kept" "$(cat "$T/before")" "$(meta "$T/x.spk")"
clean "delete"

# ---- nothing changed, editor failure, refusals: the bundle byte-identical ----
cp "$T/x.spk" "$T/x0.spk"
editor none 'cat "$1/db" >/dev/null'
EDITOR="$T/ed-none" "$SP" edit -i "$T/a" "$T/x.spk" >"$T/out" 2>"$T/err"
is "edit: no change: exit 0, one line" "0|1" "$?|$(wc -l <"$T/err")"
grep -q "no changes: left as it was" "$T/err" && ok "edit: no change says so" || notok "edit: no change says so"
cmp -s "$T/x.spk" "$T/x0.spk" && ok "edit: no change leaves the bundle byte-identical" || notok "edit: no change leaves the bundle byte-identical"
clean "no change"
editor fail 'printf changed >"$1/db"; exit 3'
refuse "edit: the editor exits non-zero" "the editor .* exited with status 3: nothing changed" \
	env EDITOR="$T/ed-fail" "$SP" edit -i "$T/a" "$T/x.spk"
cmp -s "$T/x.spk" "$T/x0.spk" && ok "edit: editor failure leaves the bundle byte-identical" || notok "edit: editor failure leaves the bundle byte-identical"
clean "editor failure"
editor badname 'printf x >"$1/bad name"'
refuse "edit: an added file with an invalid name" "'bad name': not a valid entry name" \
	env EDITOR="$T/ed-badname" "$SP" edit -i "$T/a" "$T/x.spk"
clean "invalid name"
editor link 'ln -s /etc/passwd "$1/link"'
refuse "edit: a symlink in the workspace" "'link': not a regular file" env EDITOR="$T/ed-link" "$SP" edit -i "$T/a" "$T/x.spk"
editor all 'rm -r "$1/db" "$1/conf"'
refuse "edit: every file deleted" "no entry would be left" env EDITOR="$T/ed-all" "$SP" edit -i "$T/a" "$T/x.spk"
refuse "edit: a key that is not a recipient" "wrong key or not a recipient" env EDITOR="$T/ed-change" "$SP" edit -i "$T/c" "$T/x.spk"
cmp -s "$T/x.spk" "$T/x0.spk" && ok "edit: refusals leave the bundle byte-identical" || notok "edit: refusals leave the bundle byte-identical"
clean "refusals"
editor swap 'cp "'"$T"'/x0.spk" "'"$T"'/swapped.spk"; printf changed >"$1/db"; cp "'"$T"'/other.spk" "'"$T"'/x.spk"'
"$SP" seal -r "$A" -o "$T/other.spk" "$T/in/db"
refuse "edit: the bundle replaced while the editor ran" "changed on disk while being rewritten: nothing written" \
	env EDITOR="$T/ed-swap" "$SP" edit -i "$T/a" "$T/x.spk"
cmp -s "$T/x.spk" "$T/other.spk" && ok "edit: the other writer's bundle is kept" || notok "edit: the other writer's bundle is kept"
cp "$T/x0.spk" "$T/x.spk"
clean "replaced"

# ---- every file or directory made during an edit, by secretpack or the editor ----
if command -v strace >/dev/null 2>&1; then
	editor traced 'printf "traced-%s" "$(cat "$1/db")" >"$1/db"; mkdir "$1/d"; printf x >"$1/d/f"; rm -r "$1/d"'
	strace -f -y -qq -e trace=open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat \
		-o "$T/log/trace" env EDITOR="$T/ed-traced" "$SP" edit -i "$T/a" "$T/x.spk" >/dev/null 2>&1
	is "strace: the edit went through" "traced-new-$MARK-db" "$(content "$T/x.spk" db)"
	# what was made (failed calls made nothing; a valgrind wrapper's reports and /proc copies are its own)
	grep -E 'O_CREAT|mkdir|rename|link' "$T/log/trace" | grep -vE '= -1 E[A-Z]+' |
		grep -vF "${SP_VG_DIR:-/nonexistent/}" | grep -v '/valgrind_proc_[0-9]*_' >"$T/log/made"
	is "strace: every file made is in the tmpfs workspace or is the new bundle's temporary file" "" \
		"$(grep -vE "$XDG/secretpack-edit\.|<$T/log|\"$T/log/|/dev/null|$T/\.x\.spk\.tmp-" "$T/log/made" | head -n 3)"
	[ "$(grep -c "$XDG/secretpack-edit\." "$T/log/made")" -ge 4 ] && ok "strace: the trace saw the workspace" ||
		notok "strace: the trace saw the workspace"
	clean "strace"
else
	skip "strace" "strace not installed"
fi

# ---- one entry ----
editor one 'test -f "$1"; printf "one-%s" "'"$MARK"'" >"$1"'
check "edit BUNDLE NAME" env EDITOR="$T/ed-one" "$SP" edit -i "$T/a" "$T/x.spk" conf/api
case $(cat "$T/log/path") in "$XDG"/secretpack-edit.*/files/conf/api) ok "edit NAME: the editor got the entry's file" ;;
	*) notok "edit NAME: the editor got the entry's file ($(cat "$T/log/path"))" ;; esac
is "edit NAME: new content" "one-$MARK" "$(content "$T/x.spk" conf/api)"
is "edit NAME: the other entry unchanged" "traced-new-$MARK-db" "$(content "$T/x.spk" db)"
refuse "edit NAME: a missing name" "no entry named 'nope': add one with 'secretpack set'" \
	env EDITOR="$T/ed-one" "$SP" edit -i "$T/a" "$T/x.spk" nope
clean "one entry"

# ---- the wiped files are zeros: a process holding the file open sees them overwritten ----
editor hold 'sh -c "exec 3<\"\$1\"; echo \$\$ >\"'"$T"'/log/holder\"; exec sleep 20" - "$1/db" &
while [ ! -s "'"$T"'/log/holder" ]; do sleep 0.05; done
printf "held-%s" "'"$MARK"'" >"$1/db"'
check "edit: a change while another process holds the file" env EDITOR="$T/ed-hold" "$SP" edit -i "$T/a" "$T/x.spk"
holder=$(cat "$T/log/holder")
is "edit: the held file was overwritten with zeros" "$((${#MARK} + 5)) zero bytes" \
	"$(od -An -v -tx1 "/proc/$holder/fd/3" | tr -s ' \n' '\n' | grep -c '^00$') zero bytes"
kill "$holder" 2>/dev/null
clean "held file"

# ---- signals while the editor runs ----
for sig in TERM HUP; do
	cp "$T/x.spk" "$T/x0.spk"
	rm -f "$T/log/ready"
	editor "sig$sig" 'echo $$ >"'"$T"'/log/edpid"; printf "sig-%s" "'"$MARK"'" >"$1/db"; : >"'"$T"'/log/ready"; exec sleep 20'
	EDITOR="$T/ed-sig$sig" "$SP" edit -i "$T/a" "$T/x.spk" >"$T/out" 2>"$T/err" &
	pid=$!
	i=0; while [ ! -e "$T/log/ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	kill -"$sig" "$pid"
	wait "$pid"; st=$?
	is "SIG$sig while the editor runs: exit 1, one line" "1|1" "$st|$(wc -l <"$T/err")"
	i=0; while kill -0 "$(cat "$T/log/edpid")" 2>/dev/null && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
	kill -0 "$(cat "$T/log/edpid")" 2>/dev/null && notok "SIG$sig: the editor was stopped too" || ok "SIG$sig: the editor was stopped too"
	grep -q "interrupted by SIG$sig: nothing changed" "$T/err" && ok "SIG$sig: says so" || { notok "SIG$sig: says so"; sed 's/^/# /' "$T/err"; }
	cmp -s "$T/x.spk" "$T/x0.spk" && ok "SIG$sig: bundle byte-identical" || notok "SIG$sig: bundle byte-identical"
	clean "SIG$sig"
done
rm -f "$T/log/ready"
editor sigint 'printf "int-%s" "'"$MARK"'" >"$1/db"; : >"'"$T"'/log/ready"; sleep 1'
EDITOR="$T/ed-sigint" "$SP" edit -i "$T/a" "$T/x.spk" >"$T/out" 2>"$T/err" &
pid=$!
i=0; while [ ! -e "$T/log/ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT "$pid"
wait "$pid"
is "SIGINT belongs to the editor: the edit goes on when it exits 0" "0|int-$MARK" "$?|$(content "$T/x.spk" db)"
clean "SIGINT"

# ---- SIGTERM while decrypting into the workspace (before the editor) ----
head -c 30000000 /dev/urandom >"$T/in/big"
"$SP" seal -r "$A" -o "$T/big.spk" "$T/in/big" "$T/in/db"
rm -f "$T/in/big"
cp "$T/big.spk" "$T/big0.spk"
rm -f "$T/log/path"
EDITOR="$T/ed-change" "$SP" edit -i "$T/a" "$T/big.spk" >"$T/out" 2>"$T/err" &
pid=$!
i=0; while [ -z "$(find "$XDG" -name big 2>/dev/null)" ] && [ $i -lt 200 ]; do sleep 0.01; i=$((i + 1)); done
kill -TERM "$pid"
wait "$pid"; st=$?
[ "$st" -ne 0 ] && [ ! -e "$T/log/path" ] && ok "SIGTERM while decrypting: stopped before the editor ($(head -c 80 "$T/err"))" ||
	notok "SIGTERM while decrypting: stopped before the editor (exit $st)"
cmp -s "$T/big.spk" "$T/big0.spk" && ok "SIGTERM while decrypting: bundle byte-identical" || notok "SIGTERM while decrypting: bundle byte-identical"
clean "SIGTERM while decrypting"
rm -f "$T/big.spk" "$T/big0.spk"

# ---- SIGKILL: the workspace stays (in RAM) until the next edit sweeps it; a live one is never swept ----
rm -f "$T/log/ready"
editor kill 'echo $$ >"'"$T"'/log/editor"; : >"'"$T"'/log/ready"; exec sleep 20'
EDITOR="$T/ed-kill" "$SP" edit -i "$T/a" "$T/x.spk" >/dev/null 2>&1 &
pid=$!
i=0; while [ ! -e "$T/log/ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
rm -f "$T/log/ready"
# a second edit while the first one's editor runs: the live workspace is left alone
EDITOR="$T/ed-none" "$SP" edit -i "$T/a" "$T/x.spk" >/dev/null 2>&1
is "a second edit leaves the running edit's workspace alone" "1" "$(grep -rl "$MARK" "$XDG" | grep -c '/files/db$')"
kill -KILL "$pid"; wait "$pid" 2>/dev/null
kill "$(cat "$T/log/editor")" 2>/dev/null
is "SIGKILL: the workspace is left behind" "1" "$(grep -rl "$MARK" "$XDG" | grep -c '/files/db$')"
EDITOR="$T/ed-none" "$SP" edit -i "$T/a" "$T/x.spk" >/dev/null 2>&1
clean "the next edit after a SIGKILL"

# ---- signed, armored ----
"$SP" seal -r "$A" --sign "$T/sig.key" -a -o "$T/s.spk" "$T/in/db"
editor signed 'printf "new-%s" "$(cat "$1/db")" >"$1/db"'
cp "$T/s.spk" "$T/s0.spk"
refuse "edit: a signed bundle without --sign" "signed by $SIGNER: pass --sign FILE" \
	env EDITOR="$T/ed-change" "$SP" edit -i "$T/a" "$T/s.spk"
cmp -s "$T/s.spk" "$T/s0.spk" && ok "edit: refused signed bundle byte-identical" || notok "edit: refused signed bundle byte-identical"
check "edit --sign" env EDITOR="$T/ed-signed" "$SP" edit -i "$T/a" --sign "$T/sig.key" "$T/s.spk"
is "edit --sign: signed by the same key, armored, verified" "-----BEGIN SECRETPACK BUNDLE-----|new-$MARK-db" \
	"$(head -n 1 "$T/s.spk")|$("$SP" cat -i "$T/a" --trust "$SIGNER" "$T/s.spk" db)"
clean "signed"

# ---- edit NAME decrypts that entry only; the others stream from the bundle, never to a file ----
head -c 1500000 /dev/urandom >"$T/in/big"
printf '%s-small' "$MARK" >"$T/in/small"
"$SP" seal -r "$A" -o "$T/big.spk" "$T/in/small" "$T/in/big" "$T/in/api"
editor listing 'find "${1%/*}" -mindepth 1 | sed "s|.*/files/||" | sort | tr "\n" " " >"'"$T"'/log/list"
printf "edited-%s" "$(cat "$1")" >"$1"'
check "edit NAME on a bundle with a large other entry" env EDITOR="$T/ed-listing" "$SP" edit -i "$T/a" "$T/big.spk" small
is "edit NAME: the workspace holds that entry's file only" "small " "$(cat "$T/log/list")"
is "edit NAME: the new content" "edited-$MARK-small" "$("$SP" cat -i "$T/a" "$T/big.spk" small)"
"$SP" cat -i "$T/a" "$T/big.spk" big >"$T/got"
cmp -s "$T/got" "$T/in/big" && ok "edit NAME: the other entries byte-exact" || notok "edit NAME: the other entries byte-exact"
is "edit NAME: order and metadata kept" "small big api" "$("$SP" inspect -i "$T/a" --json "$T/big.spk" | jq -r '[.entries[].name] | join(" ")')"
clean "edit NAME"
if unshare -m true 2>/dev/null; then
	# A 256 KiB tmpfs: the large entry cannot be decrypted into it, so the edit works only if it is not.
	mkdir -p "$T/small-tmpfs"
	unshare -m sh -c 'mount -t tmpfs -o size=256k,mode=0700 none "$2" && XDG_RUNTIME_DIR="$2" EDITOR="$3" "$1" edit -i "$4" "$5" small' \
		- "$SP" "$T/small-tmpfs" "$T/ed-listing" "$T/a" "$T/big.spk" >"$T/out" 2>"$T/err"
	is "edit NAME in a 256 KiB tmpfs, next to a 1.5 MB entry: works" "0|" "$?|$(cat "$T/err")"
	is "edit NAME in a small tmpfs: the new content" "edited-edited-$MARK-small" "$("$SP" cat -i "$T/a" "$T/big.spk" small)"
else
	skip "edit NAME in a small tmpfs" "needs mount namespaces"
fi
editor gone 'rm "$1"'
cp "$T/big.spk" "$T/big0.spk"
refuse "edit NAME: the file deleted in the editor: refused" "'small': deleted in the editor: nothing changed; remove an entry with 'secretpack rm'" \
	env EDITOR="$T/ed-gone" "$SP" edit -i "$T/a" "$T/big.spk" small
cmp -s "$T/big.spk" "$T/big0.spk" && ok "edit NAME, file deleted: bundle byte-identical" || notok "edit NAME, file deleted: bundle byte-identical"
clean "edit NAME, file deleted"

# ---- an editor that saves by rename (vim's writebackup): the replaced file is zeroed too ----
size=$(content "$T/x.spk" db | wc -c)
editor rename 'sh -c "exec 3<\"\$1\"; echo \$\$ >\"'"$T"'/log/holder2\"; exec sleep 20" - "$1/db" &
while [ ! -s "'"$T"'/log/holder2" ]; do sleep 0.05; done
printf "renamed-%s" "'"$MARK"'" >"$1/db.new"; mv "$1/db.new" "$1/db"'
check "edit: an editor that writes a new file and renames it over the old" env EDITOR="$T/ed-rename" "$SP" edit -i "$T/a" "$T/x.spk"
is "edit by rename: the new content" "renamed-$MARK" "$(content "$T/x.spk" db)"
holder=$(cat "$T/log/holder2")
is "edit by rename: the replaced file (still open elsewhere) was overwritten with zeros" "$size zero bytes" \
	"$(od -An -v -tx1 "/proc/$holder/fd/3" | tr -s ' \n' '\n' | grep -c '^00$') zero bytes"
kill "$holder" 2>/dev/null
clean "edit by rename"
editor rename1 'sh -c "exec 3<\"\$1\"; echo \$\$ >\"'"$T"'/log/holder3\"; exec sleep 20" - "$1" &
while [ ! -s "'"$T"'/log/holder3" ]; do sleep 0.05; done
printf "renamed1-%s" "'"$MARK"'" >"$1.new"; mv "$1.new" "$1"'
size=$(content "$T/x.spk" db | wc -c)
check "edit NAME by rename" env EDITOR="$T/ed-rename1" "$SP" edit -i "$T/a" "$T/x.spk" db
holder=$(cat "$T/log/holder3")
is "edit NAME by rename: the replaced file was overwritten with zeros" "$size zero bytes" \
	"$(od -An -v -tx1 "/proc/$holder/fd/3" | tr -s ' \n' '\n' | grep -c '^00$') zero bytes"
kill "$holder" 2>/dev/null
clean "edit NAME by rename"

# ---- --allow-expired: the edit goes through and the bundle stays expired ----
"$SP" seal -r "$A" --expires 1s -o "$T/exp.spk" "$T/in/db"
sleep 2
cp "$T/exp.spk" "$T/exp0.spk"
editor exp 'printf "exp-%s" "'"$MARK"'" >"$1"'
refuse "edit of an expired bundle: names --allow-expired and rekey --expires" \
	"expired at .*renew it with 'secretpack rekey --expires TIME' first, or pass --allow-expired" \
	env EDITOR="$T/ed-exp" "$SP" edit -i "$T/a" "$T/exp.spk" db
cmp -s "$T/exp.spk" "$T/exp0.spk" && ok "expired, refused: byte-identical" || notok "expired, refused: byte-identical"
env EDITOR="$T/ed-exp" "$SP" edit -i "$T/a" --allow-expired "$T/exp.spk" db >"$T/out" 2>"$T/err"
is "edit --allow-expired: exit 0" 0 "$?"
grep -Eq "^secretpack: edit: $T/exp.spk: note: expired [0-9T:Z-]+, rewritten anyway \(--allow-expired\); the new bundle keeps that expiry" "$T/err" &&
	ok "edit --allow-expired: the note says it expired and when" || { notok "edit --allow-expired: the note says it expired and when"; sed 's/^/# /' "$T/err"; }
is "edit --allow-expired: the expiry kept" "$("$SP" inspect -i "$T/a" --json "$T/exp0.spk" | jq .expires)" "$("$SP" inspect -i "$T/a" --json "$T/exp.spk" | jq .expires)"
is "edit --allow-expired: the new content (read with --allow-expired)" "exp-$MARK" "$("$SP" cat -i "$T/a" --allow-expired "$T/exp.spk" db 2>/dev/null)"
clean "expired"

# ---- only a disk ----
if unshare -m true 2>/dev/null; then
	mkdir -p "$T/disk" "$T/disktmp"
	cp "$T/x.spk" "$T/x0.spk"
	unshare -m sh -c 'mount --bind "$2" /dev/shm && XDG_RUNTIME_DIR="$2" EDITOR="$3" "$1" edit -i "$4" "$5"' \
		- "$SP" "$T/disk" "$T/ed-change" "$T/a" "$T/x.spk" >"$T/out" 2>"$T/err"
	is "only a disk: refused" "1|1" "$?|$(wc -l <"$T/err")"
	grep -q "no RAM-backed directory: .*pass --allow-disk" "$T/err" && ok "only a disk: names --allow-disk" || { notok "only a disk: names --allow-disk"; sed 's/^/# /' "$T/err"; }
	cmp -s "$T/x.spk" "$T/x0.spk" && ok "only a disk: bundle byte-identical" || notok "only a disk: bundle byte-identical"
	unshare -m sh -c 'mount --bind "$2" /dev/shm && XDG_RUNTIME_DIR="$2" TMPDIR="$6" EDITOR="$3" "$1" edit --allow-disk -i "$4" "$5"' \
		- "$SP" "$T/disk" "$T/ed-change" "$T/a" "$T/x.spk" "$T/disktmp" >"$T/out" 2>"$T/err"
	is "--allow-disk: edits in \$TMPDIR" "0" "$?"
	case $(cat "$T/log/path") in "$T/disktmp"/secretpack-edit.*/files) ok "--allow-disk: the workspace was in \$TMPDIR" ;;
		*) notok "--allow-disk: the workspace was in \$TMPDIR ($(cat "$T/log/path"))" ;; esac
	is "--allow-disk: nothing left on the disk" "" "$(find "$T/disktmp" "$T/disk" -mindepth 1)"
else
	skip "only a disk" "needs mount namespaces"
fi

"$SP" edit -h >"$T/h" 2>&1; is "edit -h: exit 0, usage" "0|usage: secretpack edit" "$?|$(head -c 22 "$T/h")"
is "edit: no bundle is a usage error" "2" "$(rc "$SP" edit -i "$T/a")"

# ---- the bundle expires while the editor runs: the edit is kept, with a note (not silently) ----
"$SP" seal -r "$A" --expires 2s -o "$T/exp.spk" "$T/in/db" 2>/dev/null || notok "seal --expires 2s"
editor slow 'sleep 3; printf "changed-late" >"$1/db"'
env EDITOR="$T/ed-slow" "$SP" edit -i "$T/a" "$T/exp.spk" >"$T/out" 2>"$T/err"
is "expired while editing: exit 0 (the edit is not lost)" 0 $?
if [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "^secretpack: edit: .*: note: expired .*while it was being rewritten.*rekey --expires" "$T/err"; then
	ok "expired while editing: one note line naming rekey --expires"
else
	notok "expired while editing: one note line naming rekey --expires"; sed 's/^/# /' "$T/err"
fi
is "expired while editing: the edit is in the bundle" "changed-late" \
	"$("$SP" cat -i "$T/a" --allow-expired "$T/exp.spk" db 2>/dev/null)"
echo "1..$_n"
