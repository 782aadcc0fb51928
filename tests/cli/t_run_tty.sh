#!/bin/sh
# `secretpack run` on a terminal (a real pty, from script): an app dropped to another uid cannot push
# input into the caller's terminal (TIOCSTI) nor take it back, with and without --init; Ctrl-C still
# reaches it (as under tini); after --init returns, the terminal's foreground group is the caller's.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"

if ! command -v script >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1; then
	skip "run on a terminal" "needs script (util-linux) and cc"
	exit 0
fi
TINI=/usr/bin/tini
[ -x "$TINI" ] || TINI=
export TINI

seal "$T/b.spk" "$T/in/db_password" || exit 1
chmod 644 "$T/b.spk"
cp "$T/id" "$T/id1000"; chown 1000:1000 "$T/id1000"
export B="$T/b.spk"

# sti TEXT REPORT: what a hostile app tries. Pushes TEXT into the terminal's input (TIOCSTI) through
# stdin, then through /dev/tty; tries to make the terminal its own again (TIOCSCTTY), itself and
# from a new session, pushing TEXT again if that worked. One line per attempt in REPORT.
cat >"$T/sti.c" <<'EOF'
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
static FILE *out;
static int push(int fd, const char *s)
{
	for (; *s != '\0'; s++)
		if (ioctl(fd, TIOCSTI, s) != 0)
			return -1;
	return 0;
}
static void report(const char *what, int r)
{
	fprintf(out, "%s=%s\n", what, r == 0 ? "ok" : strerror(errno));
}
int main(int argc, char **argv)
{
	char tmp[4096];
	int fd, r;
	pid_t pid;
	if (argc != 3)
		return 2;
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
	if ((out = fopen(tmp, "w")) == NULL)
		return 2;
	report("stdin", push(0, argv[1]));
	fd = open("/dev/tty", O_RDWR | O_NOCTTY);
	if (fd < 0)
		report("devtty", -1);
	else
		report("devtty", push(fd, argv[1]));
	r = ioctl(0, TIOCSCTTY, 0);
	report("sctty", r);
	if (r == 0)
		report("sctty_push", push(0, argv[1]));
	fflush(out);
	pid = fork();
	if (pid == 0) {
		r = setsid() < 0 ? -1 : ioctl(0, TIOCSCTTY, 0);
		report("setsid_sctty", r);
		if (r == 0)
			report("setsid_push", push(0, argv[1]));
		fclose(out);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	fclose(out);
	return rename(tmp, argv[2]) == 0 ? 0 : 2;
}
EOF
cc -o "$T/sti" "$T/sti.c" || { notok "cc sti.c"; exit 1; }
chmod 755 "$T/sti"
export STI="$T/sti"

WAITMAX=50; [ -n "${SP_REAL:-}" ] && WAITMAX=1200
# waitfor FILE: up to 5 s for FILE to appear.
waitfor() { i=0; while [ ! -e "$1" ] && [ $i -lt $WAITMAX ]; do sleep 0.1; i=$((i + 1)); done; [ -e "$1" ]; }

# pty FILE INPUT SCRIPT: runs SCRIPT (sh) in a namespace (with a tmpfs on $C/s) on a new pty
# (script), leading its session like a login shell; once FILE exists, INPUT is typed on the terminal (FILE empty: nothing is
# typed). What the terminal showed goes to $T/.out.
pty() {
	printf '%s\n' "$3" >"$C/pty.sh"
	if [ -n "$1" ]; then
		(waitfor "$1"; sleep 0.2; printf "$2") | ns 'tmpfs "$C/s"; script -qfec "sh $C/pty.sh" /dev/null' >"$T/.out" 2>&1
	else
		ns 'tmpfs "$C/s"; script -qfec "sh $C/pty.sh" /dev/null' </dev/null >"$T/.out" 2>&1
	fi
}

# ---- TIOCSTI: what the root shell reads after the app ----

legacy=$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null || echo 1)
# inject PREFIX [REDIRECT]: a root shell on a terminal runs PREFIX "$STI" ... [REDIRECT], then,
# as an interactive shell would, takes the terminal's foreground back, reads a line and runs it.
# The line the test types is "echo clean"; the app tries to push "touch $C/m/pwned" before it.
inject() {
	newcase
	pty "$C/m/sti" 'echo clean\n' "$1 \"\$STI\" \"touch \$C/m/pwned
\" \"\$C/m/sti\" ${2:-}
perl -MPOSIX -e '\$SIG{TTOU} = \"IGNORE\"; tcsetpgrp(0, getpgrp())'
IFS= read -r l; eval \"\$l\""
	PWNED=0; [ -e "$C/m/pwned" ] && PWNED=1
	REPORT=$(tr '\n' '|' <"$C/m/sti" 2>/dev/null)
}
SPRUN='"$SP" run --bundle "$B" --dir "$C/s"'
EPERM="Operation not permitted"
ENXIO="No such device or address"
if [ "$legacy" = 0 ]; then
	for n in 1 2 3 4 5 6 7 8 9 10; do
		skip "TIOCSTI case $n" "this kernel refuses TIOCSTI to everyone (dev.tty.legacy_tiocsti = 0)"
	done
else
	# Control: the test can see an injection (an app of uid 1000 started without secretpack).
	inject "setpriv --reuid 1000 --regid 1000 --clear-groups"
	is "control: an app of another uid on the root shell's terminal injects a command" "1 stdin=ok" \
		"$PWNED $(echo "$REPORT" | cut -d'|' -f1)"

	inject "$SPRUN --user app --"
	is "run --user: the app cannot push input into the terminal" 0 "$PWNED"
	is "run --user: TIOCSTI refused, no /dev/tty, TIOCSCTTY refused, also from a new session" \
		"stdin=$EPERM|devtty=$ENXIO|sctty=$EPERM|setsid_sctty=$EPERM|" "$REPORT"
	is "run --user: the shell then reads the line typed on the terminal" 1 "$(grep -c '^clean' "$T/.out")"

	inject "$SPRUN --user app --" "</dev/null"
	is "run --user, stdin not the terminal: the app cannot reach it through /dev/tty" \
		"0 devtty=$ENXIO" "$PWNED $(echo "$REPORT" | cut -d'|' -f2)"

	inject "$SPRUN --init --user app --"
	is "run --init --user: the app cannot push input into the terminal" 0 "$PWNED"
	is "run --init --user: TIOCSTI refused, no /dev/tty, TIOCSCTTY refused, also from a new session" \
		"stdin=$EPERM|devtty=$ENXIO|sctty=$EPERM|setsid_sctty=$EPERM|" "$REPORT"

	# No usable /dev/tty (here /dev/null in its place): the terminal is found on stdin.
	inject "mount --bind /dev/null /dev/tty; $SPRUN --user app --"
	is "run --user, /dev/tty not the terminal: the terminal is found on stdin and given up" \
		"0 stdin=$EPERM" "$PWNED $(echo "$REPORT" | cut -d'|' -f1)"

	# The shim leading the terminal's session with --init (docker run -it --init-like): the app
	# is not the session leader, it gives the terminal up.
	newcase
	pty '' '' "exec $SPRUN --init --user app -- \"\$STI\" x \"\$C/m/sti\""
	is "run --init --user leading the terminal's session: TIOCSTI refused" "stdin=$EPERM" \
		"$(head -n 1 "$C/m/sti" 2>/dev/null)"

	# Without a change of uid the app is the caller: nothing to take away (as root it could
	# push input anyway, with CAP_SYS_ADMIN).
	inject "chown 1000:1000 \"\$C/s\"; SECRETPACK_KEY_FILE=\"\$T/id1000\" \\
		setpriv --reuid 1000 --regid 1000 --clear-groups $SPRUN --"
	is "run as uid 1000 for uid 1000: the terminal is left as it is" "1 stdin=ok" \
		"$PWNED $(echo "$REPORT" | cut -d'|' -f1)"
fi

# Nowhere to find the terminal (no /dev/tty, no standard descriptor on it), though there is one:
# the app is not started.
newcase
pty '' '' "mount --bind /dev/null /dev/tty
$SPRUN --user app -- /bin/sh -c ': >\"\$C/m/ran\"' </dev/null >/dev/null 2>\"\$C/m/err\"; echo rc=\$?"
is "run --user, the terminal nowhere to be found: refused" "rc=1" "$(grep -o 'rc=[0-9]*' "$T/.out")"
is "run --user, the terminal nowhere to be found: one line says why" \
	"1 1" "$(wc -l <"$C/m/err") $(grep -c '^secretpack: run: there is a controlling terminal but /dev/tty (.*) and descriptors 0-2 are not it: refusing to start /bin/sh as uid 1000; start it without a terminal$' "$C/m/err")"
is "run --user, the terminal nowhere to be found: the app did not start" 0 "$(ran)"

# ---- Ctrl-C ----

newcase
app ctrlc <<'EOF'
trap 'echo INT >"$C/m/int"; exit 9' INT
: >"$C/m/ready"
i=0; while [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
exit 1
EOF
# ctrlc NAME CMD: CMD runs the app from a shell on the terminal (which survives Ctrl-C itself);
# Ctrl-C is typed once the app is ready. Sets GOT: "INT" if the app saw SIGINT, and the status.
ctrlc() {
	rm -f "$C/m/"*
	pty "$C/m/ready" '\003' "trap : INT; $1 /bin/sh \"\$C/ctrlc.sh\"; echo rc=\$?"
	GOT="$(cat "$C/m/int" 2>/dev/null) $(grep -o 'rc=[0-9]*' "$T/.out")"
}
ctrlc "$SPRUN --user app --"
is "run --user on a terminal: Ctrl-C reaches the app" "INT rc=9" "$GOT"
ctrlc "$SPRUN --init --user app --"
is "run --init --user on a terminal: Ctrl-C reaches the app" "INT rc=9" "$GOT"
ctrlc "$SPRUN --init --"
is "run --init on a terminal: Ctrl-C reaches the app" "INT rc=9" "$GOT"
if [ -n "$TINI" ]; then
	ctrlc "\"\$TINI\" -s --"
	is "tini on a terminal: the same" "INT rc=9" "$GOT"
else
	skip "tini on a terminal: Ctrl-C" "tini is not installed (apt-get install tini)"
fi
# The shim leading the terminal's session (docker run -it, kubectl exec -it): the terminal is the
# app's own and is left to it.
rm -f "$C/m/"*
pty "$C/m/ready" '\003' "exec $SPRUN --user app -- /bin/sh \"\$C/ctrlc.sh\""
is "run --user leading the terminal's session: Ctrl-C reaches the app" "INT" "$(cat "$C/m/int" 2>/dev/null)"
rm -f "$C/m/"*
pty "$C/m/ready" '\003' "exec $SPRUN --init --user app -- /bin/sh \"\$C/ctrlc.sh\""
is "run --init --user leading the terminal's session: Ctrl-C reaches the app" "INT" \
	"$(cat "$C/m/int" 2>/dev/null)"

# ---- the terminal after --init ----

# After --init returns, the caller's shell is in the terminal's foreground group again (the app
# had it): "pgrp tpgid" of the shell, equal.
fg() {
	newcase
	pty '' '' "$1 /bin/sh -c 'exit 3'; echo rc=\$?; echo fg=\$(cut -d' ' -f5,8 /proc/\$\$/stat)"
	rc=$(grep -o 'rc=[0-9]*' "$T/.out")
	set -- $(grep -o 'fg=[0-9]* [0-9-]*' "$T/.out" | cut -d= -f2)
	GOT="$rc ${1:-none} ${2:-none}"
	[ "${1:-x}" = "${2:-y}" ] && GOT="$rc same"
}
fg "$SPRUN --init --"
is "run --init on a terminal: the caller's group has the terminal again" "rc=3 same" "$GOT"
fg "$SPRUN --init --user app --"
is "run --init --user on a terminal: the caller's group has the terminal again" "rc=3 same" "$GOT"
