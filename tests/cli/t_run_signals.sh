#!/bin/sh
# `secretpack run --init` beside Debian's tini: every catchable signal forwarded, as PID 1 and as a
# subreaper; whatever signal state it inherits (SIGCHLD, SIGTERM, SIGINT ignored or blocked); exit
# codes, exec failures, reaping, an app that ignores SIGTERM. Where tini can run the scenario,
# both run it and must give the same result.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"

if ! command -v cc >/dev/null 2>&1; then
	skip "run --init signals" "needs cc for its helper"
	exit 0
fi
TINI=/usr/bin/tini
[ -x "$TINI" ] || TINI=
# Scenarios without tini still assert the documented result; only the comparisons are skipped.
nocontrol() { skip "$1" "tini is not installed (apt-get install tini)"; }

seal "$T/b.spk" "$T/in/db_password" || exit 1
export B="$T/b.spk"
SPEXE=$(readlink -f "$SP")

# sigstate [ign:N | blk:N]... -- CMD...: execs CMD with signal N ignored or blocked (a shell would
# reset some of them).
cat >"$T/sigstate.c" <<'EOF'
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	sigset_t set;
	int i;
	sigemptyset(&set);
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		int sig = atoi(argv[i] + 4);
		if (strncmp(argv[i], "ign:", 4) == 0)
			signal(sig, SIG_IGN);
		else
			sigaddset(&set, sig);
	}
	if (i + 1 >= argc || sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return 2;
	execvp(argv[i + 1], argv + i + 1);
	return 127;
}
EOF
cc -o "$T/sigstate" "$T/sigstate.c" || { notok "cc sigstate.c"; exit 1; }
export SIGSTATE="$T/sigstate" TINI

# Limits: waits of 3 s, a hung init killed after 3 s and "promptly" within 2 s; much more under
# valgrind (SP_REAL), where the exit codes are also sampled instead of all 256 tried.
WAITMAX=30 HANG=3 PROMPT=2 CODES=$(seq 0 255 | tr '\n' ' ')
[ -n "${SP_REAL:-}" ] && WAITMAX=600 HANG=120 PROMPT=60 CODES="0 1 2 64 126 127 128 254 255 "
export CODES
# waitfor FILE [LINE]: up to 3 s for FILE to appear (with LINE in it).
waitfor() {
	i=0
	while [ $i -lt $WAITMAX ]; do
		if [ $# -gt 1 ]; then grep -qx "$2" "$1" 2>/dev/null && return 0
		elif [ -e "$1" ]; then return 0; fi
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

# isinit PID: whether PID is the init under test (the shim, or tini).
isinit() {
	if [ "$WHO" = tini ]; then [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$TINI" ]
	elif [ -n "${SP_REAL:-}" ]; then tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | grep -qxF "$SP_REAL"
	else [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$SPEXE" ]; fi
}
# findinit: the host PID of the init under test, a descendant of $UPID (up to 5 s).
findinit() {
	INIT= n=0
	while [ -z "$INIT" ] && [ $n -lt 50 ]; do
		q=$UPID
		while [ -n "$q" ]; do
			p=${q%% *}; q=${q#"$p"}; q=${q# }
			if isinit "$p"; then INIT=$p; return 0; fi
			q="$q $(cat /proc/"$p"/task/*/children 2>/dev/null)"; q=${q# }; q=${q% }
		done
		sleep 0.1; n=$((n + 1))
	done
	return 1
}

# launch WHO MODE APP...: the command line that starts APP under the shim (WHO=shim, as user app)
# or tini (WHO=tini), as PID 1 of a PID namespace (MODE=pid1) or as a subreaper (MODE=sub).
launch() {
	who=$1 mode=$2; shift 2
	pre=; [ "$mode" = pid1 ] && pre="unshare -p -f --mount-proc"
	if [ "$who" = tini ]; then
		sub=; [ "$mode" = sub ] && sub=-s
		echo "$pre \"\$TINI\" $sub -- $*"
	else
		echo "$pre \"\$SP\" run --init --bundle \"\$B\" --dir \"\$C/s\" --user app -- $*"
	fi
}

# bg WHO MODE APP...: starts APP under the init in the background, in a namespace whose sh (PID 1)
# records the init's status in $C/m/rc and what is left in the secrets dir in $C/m/after.
bg() {
	WHO=$1
	# (A background job starts with SIGINT and SIGQUIT ignored; the app must be able to trap them.)
	env --default-signal=INT,QUIT unshare --kill-child -m -p -f --mount-proc sh -c "$NS_PRE
		tmpfs \"\$C/s\"; $(launch "$@"); rc=\$?; ls -A \"\$C/s\" >\"\$C/m/after\"; echo \$rc >\"\$C/m/rc\"" \
		>"$T/.out" 2>"$T/.err" &
	UPID=$!
}
# bgwait: the namespace's end (killed if it has not ended within WAITMAX/3 s).
bgwait() {
	(i=0; while kill -0 $UPID 2>/dev/null && [ $i -lt $((WAITMAX * 3)) ]; do sleep 0.1; i=$((i + 1)); done
	 kill -KILL $UPID 2>/dev/null) >/dev/null 2>&1 &
	wait $UPID
}

# ---- every forwarded signal, as PID 1 and as a subreaper ----

# The app traps every signal the shim forwards (tini's list: all catchable ones but SIGCHLD, the
# fault ones and SIGTTIN/SIGTTOU), notes each, and exits 7 on SIGTERM.
FWD="1 2 3 10 12 13 14 16 18 20 23 24 25 26 27 28 29 30 34 40 64"
# (valgrind keeps SIGRTMAX for itself)
[ -n "${SP_REAL:-}" ] && FWD=${FWD% 64}
export FWD
newcase
app trapper <<'EOF'
for s in $FWD; do trap "echo $s >>\"\$C/m/signals\"" $s; done
trap 'echo 15 >>"$C/m/signals"; exit 7' TERM
: >"$C/m/ran"
while :; do sleep 0.1; done
EOF

# forward WHO MODE: sends each signal of $FWD to the init (waiting for the app to note it), then
# SIGTTIN and SIGTTOU (ignored, not forwarded), then SIGTERM; sets GOT (the signals the app noted)
# and RC (the init's status).
forward() {
	rm -f "$C/m/"*
	bg "$1" "$2" /bin/sh "$C/trapper.sh"
	GOT= RC=
	if ! waitfor "$C/m/ran" || ! findinit; then
		kill -KILL $UPID 2>/dev/null; wait $UPID; return
	fi
	for s in $FWD; do
		kill -"$s" "$INIT" 2>/dev/null
		waitfor "$C/m/signals" "$s" || break
	done
	kill -TTIN "$INIT" 2>/dev/null; kill -TTOU "$INIT" 2>/dev/null; sleep 0.2
	kill -TERM "$INIT" 2>/dev/null
	bgwait
	GOT=$(tr '\n' ' ' <"$C/m/signals" 2>/dev/null)
	RC=$(cat "$C/m/rc" 2>/dev/null)
}

for mode in pid1 sub; do
	case $mode in pid1) where="as PID 1" ;; *) where="as a subreaper" ;; esac
	forward shim $mode
	is "--init $where: each of $FWD then 15 forwarded (not 21, 22), the shim outlives them" \
		"$FWD 15 " "$GOT"
	for s in ALRM:14 PWR:30 VTALRM:26; do
		is "--init $where: SIG${s%:*} reaches the app" 1 "$(echo " $GOT" | grep -c " ${s#*:} ")"
	done
	is "--init $where: the app's status (7 after SIGTERM) passed on" 7 "$RC"
	is "--init $where: the secrets are removed" "" "$(cat "$C/m/after" 2>/dev/null)"
	if [ -n "$TINI" ]; then
		SHIM=$GOT SHIMRC=$RC
		forward tini $mode
		is "tini $where: the same signals reach the app" "$SHIM" "$GOT"
		is "tini $where: the same status" "$SHIMRC" "$RC"
	else
		nocontrol "tini $where: the same signals reach the app"
	fi
done

# An app that ignores SIGTERM: the init forwards it, does not end, and passes on the app's status
# when it finally exits.
newcase
app stubborn <<'EOF'
trap '' TERM
: >"$C/m/ran"
while [ ! -e "$C/m/stop" ]; do sleep 0.05; done
exit 5
EOF
stubborn() {
	rm -f "$C/m/"*
	bg "$1" sub /bin/sh "$C/stubborn.sh"
	ALIVE= RC=
	if waitfor "$C/m/ran" && findinit; then
		kill -TERM "$INIT"; sleep 0.3
		kill -0 "$INIT" 2>/dev/null && ALIVE=1
		: >"$C/m/stop"
	fi
	bgwait
	RC=$(cat "$C/m/rc" 2>/dev/null)
}
stubborn shim
is "--init: an app that ignores SIGTERM keeps running, and so does the shim" 1 "$ALIVE"
is "--init: then its status is passed on" 5 "$RC"
if [ -n "$TINI" ]; then
	stubborn tini
	is "tini: the same (still running, status 5)" "1 5" "$ALIVE $RC"
else
	nocontrol "tini: an app that ignores SIGTERM"
fi

# Signals keep coming while the app exits (SIGHUP, sent to the init in a loop): none ends the shim
# before it has removed the secrets and passed on the app's status.
newcase
app flood <<'EOF'
trap : HUP
: >"$C/m/ran"
sleep 0.3
exit 4
EOF
flood() {
	rm -f "$C/m/"*
	bg "$1" sub /bin/sh "$C/flood.sh"
	if waitfor "$C/m/ran" && findinit; then
		(while kill -HUP "$INIT" 2>/dev/null; do :; done) &
	fi
	bgwait
	GOT="$(cat "$C/m/rc" 2>/dev/null) [$(cat "$C/m/after" 2>/dev/null)]"
}
flood shim
is "--init under a stream of signals as the app exits: its status, the secrets removed" "4 []" "$GOT"
if [ -n "$TINI" ]; then
	SHIM=$GOT
	flood tini
	is "tini: the same status" "${SHIM%% *}" "${GOT%% *}"
else
	nocontrol "tini: a stream of signals as the app exits"
fi

# ---- inherited signal state ----

# state WHO STATE...: runs an app that prints its blocked and ignored sets (grep itself: a shell
# would change them) under the init started with STATE (sigstate arguments), as PID 1. A hang is
# killed after $HANG s, or 3 s for tini (status 137). Sets OUT (what the app printed), RC and LEFT (the secrets dir).
state() {
	who=$1; shift
	rm -f "$C/m/"*
	hang=$HANG
	if [ "$who" = tini ]; then
		init="\"\$TINI\" -- /bin/grep -E '^Sig(Blk|Ign)' /proc/self/status" hang=3
	else
		init="\"\$SP\" run --init --bundle \"\$B\" --dir \"\$C/s\" --user app -- /bin/grep -E '^Sig(Blk|Ign)' /proc/self/status"
	fi
	OUT=$(timeout -s KILL $hang unshare --kill-child -m -p -f --mount-proc sh -c "$NS_PRE
		tmpfs \"\$C/s\"; unshare -p -f --mount-proc \"\$SIGSTATE\" $* -- $init; rc=\$?
		ls -A \"\$C/s\" >\"\$C/m/after\"; echo \$rc >\"\$C/m/rc\"" 2>"$T/.err") 2>/dev/null
	RC=$(cat "$C/m/rc" 2>/dev/null || echo 137)
	LEFT=$(cat "$C/m/after" 2>/dev/null || echo "(killed)")
}
# The sets the app must see: those of a process started with STATE.
expect() {
	"$SIGSTATE" "$@" -- /bin/grep -E '^Sig(Blk|Ign)' /proc/self/status
}

newcase
for st in "ign:17" "ign:15" "ign:2" "blk:15 blk:2" "ign:17 ign:15 blk:15 blk:2"; do
	# shellcheck disable=SC2086 # one word per sigstate argument
	want=$(expect $st)
	start=$(date +%s)
	# shellcheck disable=SC2086
	state shim $st
	took=$(($(date +%s) - start))
	is "--init started with $st: the app's status comes back" 0 "$RC"
	is "--init started with $st: promptly (${took}s)" 1 "$([ $took -le $PROMPT ] && echo 1)"
	is "--init started with $st: the secrets are removed" "" "$LEFT"
	if [ -n "${SP_REAL:-}" ]; then
		skip "--init started with $st: the app gets the same mask and ignored set" \
			"valgrind does not hand the mask and an ignored SIGCHLD on to the program it runs"
		continue
	fi
	is "--init started with $st: the app gets the same mask and ignored set" "$want" "$OUT"
	if [ -n "$TINI" ]; then
		# (tini waits forever when SIGCHLD is ignored: only what its app printed is compared.)
		SHIM=$OUT
		# shellcheck disable=SC2086
		state tini $st
		is "tini started with $st: its app gets the same sets" "$SHIM" "$OUT"
	else
		nocontrol "tini started with $st"
	fi
done

# ---- exit codes, exec failures, reaping ----

newcase
codes() {
	if [ "$1" = tini ]; then init="\"\$TINI\" -s --"
	else init="\"\$SP\" run --init --bundle \"\$B\" --dir \"\$C/s\" --user app --"; fi
	ns "tmpfs \"\$C/s\"; for i in \$CODES; do $init /bin/sh -c \"exit \$i\"; echo \$?; done
		$init \"\$C/nonexistent\"; echo \$?; $init \"\$C\"; echo \$?; $init /etc/passwd; echo \$?" 2>/dev/null |
		tr '\n' ' '
}
SHIM=$(codes shim)
is "--init: exit codes $(echo $CODES | sed 's/ .* / .. /') passed on, 127 not found, 126 not executable" \
	"${CODES}127 126 126 " "$SHIM"
if [ -n "$TINI" ]; then
	is "tini: the same exit codes" "$SHIM" "$(codes tini)"
else
	nocontrol "tini: the same exit codes"
fi

# The app leaves an orphan that exits: it is re-parented to the init, which reaps it.
newcase
app reaper <<'EOF'
( sh -c 'sleep 0.2; awk "/^PPid:/ { print \$2 }" /proc/$$/status >"$C/m/orphan"' & )
i=0; while [ ! -s "$C/m/orphan" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(cat "$C/m/orphan")" = "$PPID" ] && echo "orphan=adopted"
i=0; z=1
while [ $i -lt 30 ]; do
	z=$(grep -l '^State:[[:space:]]*Z' /proc/[0-9]*/status 2>/dev/null | wc -l)
	[ "$z" -eq 0 ] && break
	sleep 0.1; i=$((i + 1))
done
echo "zombies=$z"
EOF
reap() {
	rm -f "$C/m/orphan"
	ns "tmpfs \"\$C/s\"; $(launch "$1" "$2" /bin/sh "\$C/reaper.sh")" 2>/dev/null | tr '\n' ' '
}
for mode in pid1 sub; do
	case $mode in pid1) where="as PID 1" ;; *) where="as a subreaper" ;; esac
	SHIM=$(reap shim $mode)
	is "--init $where: the orphan is adopted and reaped" "orphan=adopted zombies=0 " "$SHIM"
	if [ -n "$TINI" ]; then
		is "tini $where: the same" "$SHIM" "$(reap tini $mode)"
	else
		nocontrol "tini $where: reaping"
	fi
done
