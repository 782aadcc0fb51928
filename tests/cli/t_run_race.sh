#!/bin/sh
# `secretpack run` against a sidecar sharing the secrets volume (another uid on a 1777 or 0777
# tmpfs: planting, writing during the set-up, swapping with renameat2(RENAME_EXCHANGE)), a stage
# moved away mid-run, and a shim killed mid-write then started again on the same directory.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"

if ! command -v perl >/dev/null 2>&1 || [ "$(uname -m)" != x86_64 ]; then
	skip "sidecar races" "needs perl and x86_64 (renameat2 by syscall number)"
	exit 0
fi

seal "$T/b.spk" "$T/in/db_password" "$T/in/api_token" || exit 1
head -c 400000 /dev/urandom >"$T/in/big"
seal "$T/big.spk" "$T/in/big" "$T/in/db_password" || exit 1
export B="$T/b.spk"
SIDECAR="setpriv --reuid 2000 --regid 2000 --clear-groups"
export SIDECAR

newcase
D="$C/s"; export D
app ok <<'EOF'
: >"$C/m/ran"
echo "$(cat "$D/db_password" 2>&1)|$(ls -A "$D" | tr '\n' ' ')" >>"$C/m/log"
EOF
WANT="s3cret-db-password|api_token db_password "
RUN='"$SP" run --bundle "$B" --dir "$D" --user app -- /bin/sh "$C/ok.sh"'

# ---- planted before the start ----

# plant MODE: the sidecar makes a directory (writing into it until told to stop) and a file in
# DIR, a fresh tmpfs of MODE; the shim must refuse and give DIR back, the app never start.
plant() {
	MODE=$1; export MODE
	rm -f "$C/m/ran" "$C/m/log"
	refuse "sidecar plants a directory and a file in a $MODE tmpfs: refused" \
		"not empty \(it holds .*\) and not left by an earlier run \(mode $MODE, uid 0\): start with an empty directory" \
		ns 'tmpfs "$D" $MODE; $SIDECAR sh -c "mkdir \"\$D/db\"; echo EVIL >\"\$D/planted\"
			while [ ! -e \"\$C/stop\" ]; do echo EVIL >\"\$D/db/password\"; done" 2>/dev/null & sleep 0.3
		'"$RUN"'; rc=$?; : >"$C/stop"; wait
		echo "$(stat -c %a "$D")|$(ls -A "$D" | tr "\n" " ")" >"$C/after"; rm -f "$C/stop"; exit $rc'
	is "planted in a $MODE tmpfs: app never started, DIR given back as it was, sidecar's files untouched" \
		"0|${MODE#0}|db planted " "$(ran)|$(cat "$C/after")"
}
plant 1777
plant 0777

# ---- during the set-up ----

# The sidecar (perl, to be quick) watches DIR. As soon as it can see a staging directory in it,
# it plants a file there (mode plant), or its own file and then tries, in a tight loop, to swap
# it with the secret by renameat2(RENAME_EXCHANGE) (syscall 316; mode swap), hoping to be
# between the shim's rename and its last chmod. On the emptyDir-like 0777 tmpfs DIR must be the
# shim's (0700) before the stage exists, so the sidecar never sees one.
cat >"$C/sidecar.pl" <<'EOF'
my $mode = shift;
my ($d, $stop) = ($ENV{D}, "$ENV{C}/stop");
my ($s, $e) = ("$d/db_password", "$d/evil");
sub note { open(my $l, ">>", "$ENV{C}/m/sidecar"); print $l "$_[0]\n"; close $l; }
while (!-e $stop) {
	opendir(my $h, $d) or next;
	my @stage = grep { /secretpack-stage/ } readdir($h);
	closedir($h);
	next unless @stage;
	if ($mode eq "plant") {
		if (open(my $f, ">", "$d/planted")) { print $f "EVIL"; close $f; note("planted"); }
		last;
	}
	open(my $f, ">", $e) or next;
	print $f "EVIL";
	close $f;
	while (!-e $stop) {
		if (syscall(316, -100, $s, -100, $e, 2) == 0) { note("swapped"); last; }
	}
	last;
}
EOF
# loop MODE: starts the shim on a fresh 0777 tmpfs up to 200 times (at most ~12 s) while the
# sidecar runs in MODE; writes the number of starts to $C/starts.
cat >"$C/loop.sh" <<'EOF'
n=0 end=$(($(date +%s) + 12))
while [ $n -lt 200 ] && [ "$(date +%s)" -lt $end ]; do
	umount "$D" 2>/dev/null; tmpfs "$D" 0777
	$SIDECAR perl "$C/sidecar.pl" "$1" & sc=$!
	"$SP" run --bundle "$B" --dir "$D" --user app -- /bin/sh "$C/ok.sh" 2>>"$C/loop.err"
	: >"$C/stop"; wait $sc; rm -f "$C/stop"
	n=$((n + 1))
done
echo $n >"$C/starts"
EOF
chmod 644 "$C/sidecar.pl" "$C/loop.sh"
rm -f "$C/m/log" "$C/m/sidecar" "$C/loop.err"
ns '. "$C/loop.sh" plant' >/dev/null 2>&1
n=$(cat "$C/starts"); echo "# $n starts"
is "sidecar planting during the set-up: every start ran the app" "$n" "$(wc -l <"$C/m/log" | tr -d ' ')"
is "sidecar planting during the set-up: the app always saw exactly the bundle" "$n" \
	"$(grep -cxF "$WANT" "$C/m/log")"
is "sidecar planting during the set-up: never got a file in" 0 "$(cat "$C/m/sidecar" 2>/dev/null | wc -l | tr -d ' ')"

rm -f "$C/m/log" "$C/m/sidecar" "$C/loop.err"
ns '. "$C/loop.sh" swap' >/dev/null 2>&1
n=$(cat "$C/starts"); echo "# $n starts"
is "RENAME_EXCHANGE sidecar: every start ran the app" "$n" "$(wc -l <"$C/m/log" | tr -d ' ')"
is "RENAME_EXCHANGE sidecar: the app always read the bundle's value, and only the bundle's entries" "$n" \
	"$(grep -cxF "$WANT" "$C/m/log")"
is "RENAME_EXCHANGE sidecar: never swapped anything" 0 "$(cat "$C/m/sidecar" 2>/dev/null | wc -l | tr -d ' ')"

# ---- DIR owned by the sidecar in a sticky parent ----

# A sticky parent (1777, like /tmp) lets only a directory's owner rename it. The sidecar owns DIR
# (empty), renames it away and puts a symlink to its own "secrets" in its place, keeping the swap
# when the shim had opened the original: the shim must refuse or hand the app the bundle's values.
# (Without the check that DIR still names what the shim took over, about one start in six reads
# the sidecar's values.)
cat >"$C/mover.pl" <<'EOF'
my ($p, $stop) = ($ENV{P}, "$ENV{C}/stop");
my $i = 0;
mkdir "$p/evil";
for my $n ("db_password", "api_token") { open(my $f, ">", "$p/evil/$n") or die; print $f "EVIL"; close $f; }
# An empty DIR of its own; renamed away and replaced by a symlink to its "secrets"; kept so if
# the shim took the renamed one over (it is root's now), else undone and tried again.
while (!-e $stop) {
	$i++;
	mkdir "$p/s" or next;
	chmod 0777, "$p/s";
	rename("$p/s", "$p/gone$i") or next;
	symlink("evil", "$p/s") or next;
	my @st = stat("$p/gone$i");
	if (@st && $st[4] == 0) { open(my $l, ">>", "$ENV{C}/m/sidecar"); print $l "took\n"; close $l; last; }
	unlink "$p/s";
	rmdir "$p/gone$i";
}
EOF
cat >"$C/sticky.sh" <<'EOF'
n=0 end=$(($(date +%s) + 10))
while [ $n -lt 100 ] && [ "$(date +%s)" -lt $end ]; do
	umount "$P" 2>/dev/null; tmpfs "$P" 1777
	$SIDECAR perl "$C/mover.pl" & sc=$!
	sleep 0.01
	"$SP" run --bundle "$B" --dir "$P/s" --user app -- /bin/sh -c \
		'echo "$(cat "$P/s/db_password")|$(cat "$P/s/api_token")" >>"$C/m/log"; [ -e "$P/s/db_password" ] || { ls -lai "$P" "$P/s"; stat "$P/s"; } >>"$C/m/diag" 2>&1' 2>>"$C/sticky.err"
	: >"$C/stop"; wait $sc; rm -f "$C/stop"
	n=$((n + 1))
done
echo $n >"$C/starts"
EOF
chmod 644 "$C/mover.pl" "$C/sticky.sh"
mkdir -p "$C/p"
P="$C/p"; export P
rm -f "$C/m/log" "$C/sticky.err" "$C/m/sidecar"
ns '. "$C/sticky.sh"' >/dev/null 2>&1
n=$(cat "$C/starts"); started=$(wc -l <"$C/m/log" 2>/dev/null | tr -d ' ')
echo "# $n starts, ${started:-0} apps started, $(grep -c 'replaced while secretpack took it over' "$C/sticky.err") refused as replaced, $(cat "$C/m/sidecar" 2>/dev/null | wc -l) swaps after the open"
is "sidecar renaming its DIR in a sticky parent: no app ever read the sidecar's value" 0 \
	"$(grep -c EVIL "$C/m/log" 2>/dev/null)"
is "sidecar renaming its DIR in a sticky parent: every app that started read the bundle's values" \
	"${started:-0}" "$(grep -cxF "s3cret-db-password|tok-4f9a2c" "$C/m/log" 2>/dev/null)"
is "sidecar renaming its DIR in a sticky parent: every refusal is one known line" "$((n - ${started:-0}))" \
	"$(grep -c -e 'replaced while secretpack took it over' -e 'not empty (it holds' -e 'cannot create it: File exists' -e 'a symlink or not a directory' "$C/sticky.err")"
cat "$C/m/diag" 2>/dev/null | sed 's/^/# diag: /'
grep -v -e 'replaced while secretpack took it over' -e 'not empty (it holds' -e 'cannot create it: File exists' -e 'a symlink or not a directory' "$C/sticky.err" | sed 's/^/# other: /'

# ---- the stage moved away mid-run (by root: nobody else can reach it any more) ----

# The shim waits for its bundle on a FIFO after making the stage; the stage is then renamed
# (inside DIR, or out of it on the same tmpfs), and the bundle arrives.
mkfifo "$C/fifo"
for to in "inside DIR:\$D/moved" "out of DIR:\$C/vol/moved"; do
	TO=${to#*:}; export TO
	rm -f "$C/m/ran" "$C/m/log"
	ns 'mkdir -p "$C/vol"; tmpfs "$C/vol"; D="$C/vol/s"; mkdir -m 0700 "$D"; export D
		"$SP" run --bundle "$C/fifo" --dir "$D" --user app -- /bin/sh "$C/ok.sh" 2>"$C/err" & pid=$!
		i=0; while ! ls -A "$D" | grep -q stage && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
		mv "$D"/.secretpack-stage-* '"$TO"'; timeout 5 sh -c "cat \"\$B\" >\"\$C/fifo\""; wait $pid; rc=$?
		{ echo "$(find "$D" -mindepth 1 | wc -l)|$(find '"$TO"' -type f | wc -l)"; } >"$C/after"; exit $rc' \
		>/dev/null 2>&1
	is "stage moved ${to%%:*} mid-run: the shim fails" 1 $?
	is "stage moved ${to%%:*} mid-run: one line, app not started" "1|0" "$(wc -l <"$C/err" | tr -d ' ')|$(ran)"
	is "stage moved ${to%%:*} mid-run: nothing of the run left in DIR or in the moved stage" "0|0" \
		"$(cat "$C/after")"
done

# ---- killed mid-write, then started again ----

# The bundle arrives half-way (a 400 KB entry partly written into the stage), the shim is killed
# with SIGKILL, and a new start on the same directory cleans up and succeeds.
rm -f "$C/m/ran" "$C/m/log"
half=$(($(wc -c <"$T/big.spk") / 2)); export half
ns 'tmpfs "$D"; "$SP" run --bundle "$C/fifo" --dir "$D" --user app -- /bin/sh "$C/ok.sh" 2>/dev/null & pid=$!
	{ head -c "$half" "$T/big.spk"; sleep 3; } >"$C/fifo" & feeder=$!
	i=0; while [ "$(find "$D" -type f -size +0 | wc -l)" = 0 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	find "$D" -type f -size +0 | wc -l >"$C/partial"
	kill -KILL $pid; wait $pid; kill $feeder 2>/dev/null
	ls -A "$D" | grep -c secretpack-stage >>"$C/partial"
	'"$RUN"'; rc=$?; ls -A "$D" >"$C/after"; exit $rc' >"$T/.out" 2>"$T/.err"
is "killed mid-write, started again: exit 0, app started" "0|1" "$?|$(ran)"
is "killed mid-write: plaintext was in the stage when it died" "1|1" "$(tr '\n' '|' <"$C/partial" | sed 's/|$//')"
is "started again: the stale stage removed, exactly the new entries" "$WANT" "$(cat "$C/m/log")"
is "started again: nothing else in DIR" "api_token db_password " "$(tr '\n' ' ' <"$C/after")"
