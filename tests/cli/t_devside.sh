#!/bin/sh
# The developer's verbs against a local attacker. seal DIR/ while another uid (1001), who owns
# DIR, swaps a file or a folder for a symlink to a root-only file: never sealed, whatever the
# timing. open -o into an existing tree with a bundle any public-key holder can make (an executable
# .git/hooks/pre-commit): refused unless DIR is new or empty; --force replaces regular files only.
. "$SP_TESTS/cli/lib.sh"
unset SECRETPACK_KEY SECRETPACK_KEY_FILE SECRETPACK_PASSPHRASE SECRETPACK_PASSPHRASE_FILE
code() { _want=$1; shift; "$@"; _got=$?; [ "$_got" = "$_want" ] || echo "exit code $_got, expected $_want" >&2; return "$_got"; }
# state DIR: every path below DIR with its type, mode, size and content checksum.
state() { (cd "$1" && find . -printf '%p %y %m %s %l\n' | sort && find . -type f -exec cksum {} + | sort) 2>&1; }
listing() { ls -A "$1" 2>&1 | tr '\n' ' '; }
# oneline NAME PATTERN FILE: FILE (a command's stderr) is one line "secretpack: ...PATTERN".
oneline() {
	if [ "$(wc -l <"$3")" -eq 1 ] && grep -Eq "^secretpack: .*$2" "$3"; then ok "$1"; else notok "$1"; sed 's/^/# /' "$3" | head -n 3; fi
}

"$SP" keygen -o "$T/id" >"$T/id.out" 2>&1 || { notok "keygen"; exit 1; }
RCPT=$(tail -n 1 "$T/id.out")
# The original content and the root-only marker have the same length: a size check alone
# cannot tell them apart.
ORIG=$(printf 'original-content-%015d' 1)
ORIG2=$(printf 'original-content-%015d' 2)
MARK=$(printf 'ROOT-ONLY-MARKER-%015d' 7)
mkdir -p "$T/root" "$T/out"
chmod 700 "$T/root" "$T/out"
printf '%s' "$MARK" >"$T/root/secret"
printf '%s' "$MARK" >"$T/root/inner"
chmod 600 "$T/root/secret" "$T/root/inner"

# ---- seal: symlinks given or found ----

mkdir -p "$T/in/tree/sub"
printf '%s' "$ORIG" >"$T/in/tree/cfg"
printf '%s' "$ORIG2" >"$T/in/tree/sub/inner"
mkfifo "$T/in/fifo"
ln -s "$T/in/fifo" "$T/in/tree/sub/link"
refuse "seal DIR/: a symlink below DIR is refused, naming it and the fix" \
	"tree/sub/link: a symbolic link, not a regular file: .*NAME=PATH" code 1 \
	timeout 10 "$SP" seal -r "$RCPT" -o "$T/out/a.spk" "$T/in/tree/"
rm "$T/in/tree/sub/link"
ln -s "$T/root" "$T/in/tree/subl"
refuse "seal DIR/: a symlinked folder below DIR is refused" "tree/subl: a symbolic link" code 1 \
	"$SP" seal -r "$RCPT" -o "$T/out/a.spk" "$T/in/tree/"
rm "$T/in/tree/subl"
ln -s "$T/root/secret" "$T/in/flink"
refuse "seal FILE: a symlink named on the command line is refused" "in/flink: a symbolic link" code 1 \
	"$SP" seal -r "$RCPT" -o "$T/out/a.spk" "$T/in/flink"
refuse "seal NAME=PATH: a symlink is refused" "in/flink: a symbolic link" code 1 \
	"$SP" seal -r "$RCPT" -o "$T/out/a.spk" "cfg=$T/in/flink"
printf '[secret cfg]\nfile = flink\n' >"$T/in/m.ini"
refuse "seal -m: a manifest entry that is a symlink is refused, with its line" "m.ini:[0-9]+: .*flink: a symbolic link" \
	code 1 "$SP" seal -r "$RCPT" -o "$T/out/a.spk" -m "$T/in/m.ini"
ln -s "$T/in/tree" "$T/in/dlink"
refuse "seal DIR: a symlink to a folder is refused" "in/dlink: a symbolic link" code 1 \
	"$SP" seal -r "$RCPT" -o "$T/out/a.spk" "$T/in/dlink"
is "refused seals wrote nothing" "" "$(listing "$T/out")"
check "seal DIR/ without links" "$SP" seal -r "$RCPT" -o "$T/out/a.spk" "$T/in/tree/"
check "open it" "$SP" open -i "$T/id" -o "$T/o-a" "$T/out/a.spk"
diff -r "$T/in/tree" "$T/o-a" >/dev/null 2>&1 && ok "the tree round-trips" || notok "the tree round-trips"

# 1024 entries: one descriptor each when the limit allows; below it, reopened and checked.
mkdir -p "$T/many/a" "$T/many/b/c"
i=0
while [ $i -lt 1024 ]; do
	case $((i % 3)) in 0) d=$T/many ;; 1) d=$T/many/a ;; *) d=$T/many/b/c ;; esac
	echo "v$i" >"$d/f$i"
	i=$((i + 1))
done
check "1024 files at the descriptor limit of the test" "$SP" seal -r "$RCPT" -o "$T/out/m1.spk" "$T/many"
# shellcheck disable=SC2016
check "1024 files with ulimit -n 40" sh -c 'ulimit -n 40 && exec "$0" "$@"' \
	"$SP" seal -r "$RCPT" -o "$T/out/m2.spk" "$T/many"
"$SP" open -i "$T/id" -o "$T/o-m1" "$T/out/m1.spk" >/dev/null 2>&1
"$SP" open -i "$T/id" -o "$T/o-m2" "$T/out/m2.spk" >/dev/null 2>&1
diff -r "$T/many" "$T/o-m1" >/dev/null 2>&1 && ok "1024 files round-trip" || notok "1024 files round-trip"
diff -r "$T/many" "$T/o-m2" >/dev/null 2>&1 && ok "1024 files round-trip (ulimit -n 40)" ||
	notok "1024 files round-trip (ulimit -n 40)"
rm -f "$T/out/"*

if [ "$(id -u)" != 0 ] || ! setpriv --reuid 1001 --regid 1001 --clear-groups true 2>/dev/null; then
	skip "seal against another uid" "needs root and setpriv"
	skip "open side against a public-key holder" "runs after the seal cases"
	exit 0
fi
chmod 711 "$T" # uid 1001 reaches its own folders below
other() { setpriv --reuid 1001 --regid 1001 --clear-groups "$@"; }

# newtree NAME: a tree owned by uid 1001 (cfg, sub/inner), its reference copy, and the attacker's
# ready-made symlinks next to it: alt/cfg -> the root-only file, alt/sub -> the root-only folder.
newtree() {
	W=$T/$1
	mkdir -p "$W/tree/sub" "$W/alt" "$W/ref/sub"
	printf '%s' "$ORIG" >"$W/tree/cfg"
	printf '%s' "$ORIG2" >"$W/tree/sub/inner"
	cp "$W/tree/cfg" "$W/ref/cfg"
	cp "$W/tree/sub/inner" "$W/ref/sub/inner"
	ln -s "$T/root/secret" "$W/alt/cfg"
	ln -s "$T/root" "$W/alt/sub"
	printf '%s' "$(printf 'attacker-content-%015d' 3)" >"$W/alt/other"
	chown -R 1001:1001 "$W/tree" "$W/alt"
}
# verdict B: what bundle B holds: "leak" (the marker), "orig" (exactly the reference tree) or
# "other"; opened with the key like its recipient would.
verdict() {
	rm -rf "$W/o"
	"$SP" open -i "$T/id" -o "$W/o" "$1" >/dev/null 2>&1 || { echo unopenable; return; }
	if grep -rqF "$MARK" "$W/o"; then echo leak
	elif diff -r "$W/ref" "$W/o" >/dev/null 2>&1; then echo orig
	else echo other; fi
}

# ---- seal: a swap between the walk and the read, made certain ----
# strace holds the seal at the fchmod of its new (still empty) bundle, after the walk and before
# any byte is read; the attacker acts then.
if ! command -v strace >/dev/null 2>&1; then
	skip "swaps after the walk" "strace is not installed"
else
	# paused NAME LIMIT ACTION: seals $W/tree/ with ulimit -n LIMIT ('-': unchanged), runs ACTION
	# as uid 1001 while the seal is held; sets p_rc, p_verdict, p_when (ok: acted before any write).
	paused() {
		newtree "$1"
		rm -f "$T/out/"*
		# shellcheck disable=SC2016
		ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 sh -c '[ "$1" = - ] || ulimit -n "$1"; shift;
			exec strace -f -qq -o /dev/null -e trace=fchmod -e inject=fchmod:delay_exit=1000000 "$@"' \
			sh "$2" "$SP" seal -r "$RCPT" -o "$T/out/p.spk" "$W/tree/" >/dev/null 2>"$T/p.err" &
		_pid=$!
		_i=0 _tmp=
		while [ $_i -lt 1500 ] && [ -z "$_tmp" ]; do
			for _f in "$T/out"/.*.tmp-*; do [ -e "$_f" ] && _tmp=${_f##*/}; done
			[ -n "$_tmp" ] || sleep 0.02
			_i=$((_i + 1))
		done
		other sh -c "cd '$W' && $3"
		_sz=$(stat -c %s "$T/out/$_tmp" 2>/dev/null || echo gone)
		wait $_pid
		p_rc=$?
		p_when=$([ "$_sz" = 0 ] && echo ok || echo "missed the window ($_sz)")
		p_verdict=none
		[ -e "$T/out/p.spk" ] && p_verdict=$(verdict "$T/out/p.spk")
	}
	# the file for a symlink to the root-only file / for another regular file of the same size
	TOLINK='mv -T alt/cfg tree/cfg'
	TOFILE='mv -T alt/other tree/cfg'
	TODIR='mv tree/sub alt/sub.old && mv -T alt/sub tree/sub'

	paused kept-link - "$TOLINK"
	is "file swapped for a symlink after the walk: the file measured is the file sealed" \
		"ok 0 orig" "$p_when $p_rc $p_verdict"
	paused kept-file - "$TOFILE"
	is "file replaced by another after the walk: the file measured is the file sealed" \
		"ok 0 orig" "$p_when $p_rc $p_verdict"
	paused kept-grow - 'printf x >>tree/cfg'
	is "file grown after the walk: refused, no bundle" "ok 1 none" "$p_when $p_rc $p_verdict"
	oneline "file grown: one line" "seal: .*tree/cfg: changed while sealing: try again" "$T/p.err"
	paused kept-shrink - ': >tree/cfg'
	is "file truncated after the walk: refused, no bundle" "ok 1 none" "$p_when $p_rc $p_verdict"
	# Few descriptors: files are closed once measured and reopened, never through a symlink.
	paused reopen-link 40 "$TOLINK"
	is "ulimit -n 40, file swapped for a symlink: refused, no bundle" "ok 1 none" "$p_when $p_rc $p_verdict"
	oneline "ulimit -n 40, swapped for a symlink: one line" "seal: .*tree/cfg: a symbolic link" "$T/p.err"
	paused reopen-file 40 "$TOFILE"
	is "ulimit -n 40, file replaced by another: refused, no bundle" "ok 1 none" "$p_when $p_rc $p_verdict"
	oneline "ulimit -n 40, replaced: one line" "seal: .*tree/cfg: changed while sealing" "$T/p.err"
	paused reopen-dir 40 "$TODIR"
	is "ulimit -n 40, folder swapped for a symlink to a root-only folder: refused, no bundle" \
		"ok 1 none" "$p_when $p_rc $p_verdict"
	oneline "ulimit -n 40, folder swapped: one line" "seal: .*tree/sub/inner: (a symbolic link|changed while sealing)" "$T/p.err"
fi

# ---- seal: racing a live swapper ----
# uid 1001 exchanges tree/cfg with a symlink to the root-only file and tree/sub with a symlink to
# the root-only folder (renameat2 RENAME_EXCHANGE), nonstop, while root seals tree/ again and
# again. Each seal succeeds with the original tree or fails with one line and no bundle.
cat >"$T/swap.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
/* swap STOPFILE SECONDS A B [A B]...: exchanges each pair until STOPFILE exists or SECONDS pass. */
int main(int argc, char **argv)
{
	time_t end = time(NULL) + atoi(argv[2]);
	unsigned long n = 0;

	for (unsigned long k = 0;; k++) {
		if (k % 256 == 0 && (access(argv[1], F_OK) == 0 || time(NULL) >= end))
			break;
		for (int i = 3; i + 1 < argc; i += 2)
			if (renameat2(AT_FDCWD, argv[i], AT_FDCWD, argv[i + 1], RENAME_EXCHANGE) == 0)
				n++;
	}
	printf("%lu\n", n);
	return 0;
}
EOF
if [ -n "${SP_REAL:-}" ]; then
	skip "seal racing a swapper" "under valgrind a seal takes too long to race"
elif ! cc -O2 -o "$T/swap" "$T/swap.c" 2>"$T/cc.err"; then
	skip "seal racing a swapper" "no C compiler: $(head -n 1 "$T/cc.err")"
else
	chmod 755 "$T/swap"
	# race NAME LIMIT: up to 120 seals in 10 s with ulimit -n LIMIT ('-': unchanged).
	race() {
		newtree "$1"
		rm -f "$W/stop"
		other "$T/swap" "$W/stop" 30 "$W/tree/cfg" "$W/alt/cfg" "$W/tree/sub" "$W/alt/sub" >"$W/swaps" &
		_sw=$!
		n=0 sealed=0 refused=0 leak=0 wrong=0 badmsg=0 left=0
		end=$(($(date +%s) + 10))
		while [ $n -lt 120 ] && [ "$(date +%s)" -lt $end ]; do
			n=$((n + 1))
			rm -f "$T/out/"*
			# shellcheck disable=SC2016
			if sh -c '[ "$1" = - ] || ulimit -n "$1"; shift; exec "$@"' sh "$2" \
				"$SP" seal -r "$RCPT" -o "$T/out/r.spk" "$W/tree/" >/dev/null 2>"$W/err"; then
				sealed=$((sealed + 1))
				case $(verdict "$T/out/r.spk") in
				orig) ;;
				leak) leak=$((leak + 1)) ;;
				*) wrong=$((wrong + 1)) ;;
				esac
			else
				refused=$((refused + 1))
				# One line per refused file (a walk names them all), then a count when several.
				if [ ! -s "$W/err" ] ||
					grep -Evq '^secretpack: seal: (.*(a symbolic link, not a regular file: .*\(NAME=PATH\)|changed while sealing: try again)|[0-9]+ files refused \(each named above\): nothing sealed)$' "$W/err"; then
					badmsg=$((badmsg + 1))
					[ $badmsg -gt 3 ] || sed 's/^/# /' "$W/err" | head -n 3
				fi
				[ -z "$(ls -A "$T/out")" ] || left=$((left + 1))
			fi
		done
		: >"$W/stop"
		wait $_sw
		r_swaps=$(cat "$W/swaps")
	}
	for mode in - 40; do
		race "race$mode" $mode
		what="ulimit -n $mode: $n seals, $sealed sealed, $refused refused, $r_swaps swaps"
		[ "$mode" = - ] && what="$n seals, $sealed sealed, $refused refused, $r_swaps swaps"
		is "race ($what): the root-only marker never in a bundle" 0 $leak
		is "race ($what): every bundle holds exactly the original tree" 0 $wrong
		is "race ($what): every refusal is one line per file naming the symlink or the change" 0 $badmsg
		is "race ($what): no bundle left by a refusal" 0 $left
		[ "${r_swaps:-0}" -gt 0 ] && [ $refused -gt 0 ] && [ $sealed -gt 0 ] &&
			ok "race ($what): the race ran both ways" || notok "race ($what): the race ran both ways"
	done
fi

# ---- open -o: a bundle from a public-key holder into an existing tree ----

printf '#!/bin/sh\necho pwned >"%s/pwned"\n' "$T" >"$T/in/hook"
printf 'KEY=new\n' >"$T/in/env"
printf 'tok-new' >"$T/in/token"
# Anyone with the recipient can make this bundle: seal -r needs no secret key.
cat >"$T/in/hook.ini" <<'EOF'
[secret .git/hooks/pre-commit]
file = hook
mode = 0755

[secret config.env]
file = env
EOF
"$SP" seal -r "$RCPT" -m "$T/in/hook.ini" -o "$T/hook.spk" 2>"$T/.err" || { notok "seal hook.spk"; cat "$T/.err"; }
"$SP" seal -r "$RCPT" -o "$T/flat.spk" "config.env=$T/in/env" "$T/in/token" 2>"$T/.err" || { notok "seal flat.spk"; cat "$T/.err"; }

# newrepo NAME: a project folder with a git-like tree.
newrepo() {
	R=$T/$1
	mkdir -p "$R/.git/hooks" "$R/src"
	printf 'sample\n' >"$R/.git/hooks/pre-commit.sample"
	printf '[core]\n' >"$R/.git/config"
	printf 'readme\n' >"$R/README"
	printf 'KEY=old\n' >"$R/config.env"
	printf 'int main;\n' >"$R/src/main.c"
	state "$R" >"$T/$1.before"
}
unchanged() { [ "$(state "$R")" = "$(cat "$T/$(basename "$R").before")" ] && echo yes || echo no; }

newrepo repo1
refuse "open -o a non-empty folder: refused, naming --force" "repo1: not empty: .*--force" code 1 \
	"$SP" open -i "$T/id" -o "$R" "$T/hook.spk"
is "non-empty folder: nothing written, nothing changed" yes "$(unchanged)"
is "non-empty folder: no hook planted" 0 "$([ -e "$R/.git/hooks/pre-commit" ] && echo 1 || echo 0)"

newrepo repo2
refuse "open --force into a tree with .git/hooks/: refused" ".git: an existing directory in the way" code 1 \
	"$SP" open -i "$T/id" --force -o "$R" "$T/hook.spk"
is "--force: the hook does not appear, the tree is unchanged" "no yes" \
	"$([ -e "$R/.git/hooks/pre-commit" ] && echo yes || echo no) $(unchanged)"
if command -v git >/dev/null 2>&1; then
	rm -rf "$T/g" && mkdir "$T/g" && git -C "$T/g" init -q 2>/dev/null
	"$SP" open -i "$T/id" --force -o "$T/g" "$T/hook.spk" >/dev/null 2>&1
	git -C "$T/g" -c user.name=t -c user.email=t@t commit -q --allow-empty -m x >/dev/null 2>&1
	is "--force into a real git repository: no hook ran at the next commit" 0 \
		"$([ -e "$T/pwned" ] && echo 1 || echo 0)"
else
	skip "--force into a real git repository" "git is not installed"
fi

mkdir "$T/empty"
check "open into an empty folder" "$SP" open -i "$T/id" -o "$T/empty" "$T/hook.spk"
is "empty folder: the entries are there" "KEY=new" "$(cat "$T/empty/config.env" 2>&1)"
check "open into a new folder" "$SP" open -i "$T/id" -o "$T/new" "$T/flat.spk"

newrepo repo3
check "open --force replaces a same-named regular file" "$SP" open -i "$T/id" --force -o "$R" "$T/flat.spk"
is "--force: the file has the bundle's content, the new entry is there" "KEY=new|tok-new" \
	"$(cat "$R/config.env")|$(cat "$R/token")"
is "--force: everything else untouched" "readme|int main;|sample" \
	"$(cat "$R/README")|$(cat "$R/src/main.c")|$(cat "$R/.git/hooks/pre-commit.sample")"

newrepo repo4
printf 'precious' >"$T/victim"
ln -s "$T/victim" "$R/token"
state "$R" >"$T/repo4.before"
refuse "open --force with a symlink at an entry name: refused" "repo4/token: a symbolic link in the way" code 1 \
	"$SP" open -i "$T/id" --force -o "$R" "$T/flat.spk"
is "symlink: its target untouched, the tree unchanged (config.env not replaced)" "precious yes" \
	"$(cat "$T/victim") $(unchanged)"
rm "$R/token"
ln -s "$T/made-through-link" "$R/token"
state "$R" >"$T/repo4.before"
refuse "open --force with a dangling symlink at an entry name: refused" "token: a symbolic link in the way" code 1 \
	"$SP" open -i "$T/id" --force -o "$R" "$T/flat.spk"
is "dangling symlink: its target not created" "no yes" \
	"$([ -e "$T/made-through-link" ] && echo yes || echo no) $(unchanged)"
rm "$R/token"
mkdir "$R/token"
state "$R" >"$T/repo4.before"
refuse "open --force with a folder at an entry name: refused" "token: an existing directory in the way" code 1 \
	"$SP" open -i "$T/id" --force -o "$R" "$T/flat.spk"
is "folder at an entry name: tree unchanged" yes "$(unchanged)"
rmdir "$R/token"
mkfifo "$R/token"
state "$R" >"$T/repo4.before"
refuse "open --force with a FIFO at an entry name: refused, never opened" "token: a special file in the way" code 1 \
	timeout 10 "$SP" open -i "$T/id" --force -o "$R" "$T/flat.spk"
is "FIFO: tree unchanged" yes "$(unchanged)"

newrepo repo5
mkdir -p "$T/elsewhere/hooks"
rm -rf "$R/.git"
ln -s "$T/elsewhere" "$R/.git"
state "$R" >"$T/repo5.before"
refuse "open --force with .git a symlink to a folder: refused" ".git: a symbolic link in the way" code 1 \
	"$SP" open -i "$T/id" --force -o "$R" "$T/hook.spk"
is ".git symlink: nothing written through it" "" "$(listing "$T/elsewhere/hooks")"
is "no staging folder left anywhere" "" "$(find "$T" -name '.secretpack*' 2>/dev/null)"
"$SP" open -h 2>&1 | grep -q -- '--force' && ok "open -h names --force" || notok "open -h names --force"
