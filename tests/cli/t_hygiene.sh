#!/bin/sh
# Secret hygiene of `run`, measured: what the app and the --init shim expose in /proc, no core
# dump and no same-uid access while a key is held, mlock refused, and the shim's memory at execve.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"
# These are measurements of the shim's own process (its /proc entries, limits, memory): under
# tests/valgrind.sh they would measure valgrind, so the real binary is used.
[ -n "${SP_REAL:-}" ] && SP=$SP_REAL && export SP

PASS='correct horse battery staple'
printf '%s\n' "$PASS" >"$T/pass"
seal "$T/b.spk" "$T/in/db_password" "$T/in/api_token" || exit 1
SECRETPACK_PASSPHRASE=$PASS "$SP" seal -p -o "$T/pp.spk" "$T/in/db_password" "$T/in/api_token" \
	>/dev/null 2>"$T/.seal.err" || { notok "seal -p"; sed 's/^/# /' "$T/.seal.err"; exit 1; }
chmod 644 "$T/b.spk" "$T/pp.spk"
# No needle may sit in the test's own environment: the app and the shim inherit it.
export B="$T/b.spk" BP="$T/pp.spk"
KEYBODY=${KEYLINE#SPKSEC1}
# Needles: the key text, a 16-character piece of it, the passphrase, both plaintexts.
printf '%s\n' "$KEYLINE" "$(printf %.16s "$KEYBODY")" "$PASS" s3cret-db-password tok-4f9a2c >"$T/needles"
# leaks FILE...: how many lines of FILE hold a needle.
leaks() { cat "$@" 2>/dev/null | grep -c -F -f "$T/needles"; }

# ---- 1. What the app sees of itself after exec ----
newcase
app self <<'EOF'
: >"$C/m/ran"
tr '\0' '\n' <"/proc/$$/environ" >"$C/m/environ"
tr '\0' '\n' <"/proc/$$/cmdline" >"$C/m/cmdline"
for f in /proc/$$/fd/*; do readlink "$f"; done >"$C/m/fds"
exit 0
EOF
# self NAME SETUP: the app's environ, cmdline and descriptor targets hold no needle, and no
# descriptor points at the key file, the bundle or the secrets directory.
self() {
	rm -f "$C/m/ran" "$C/m/environ" "$C/m/cmdline" "$C/m/fds"
	ns 'tmpfs "$C/s"; '"$2"' "$SP" run --bundle "$BB" --dir "$C/s" --user app -- /bin/sh "$C/self.sh"' \
		>"$T/.out" 2>"$T/.err"
	is "$1: app ran" "0|1" "$?|$(ran)"
	is "$1: the app's /proc/self/environ holds no key, passphrase or plaintext" 0 "$(leaks "$C/m/environ")"
	is "$1: the app's /proc/self/cmdline holds none" 0 "$(leaks "$C/m/cmdline")"
	is "$1: no descriptor of the app names a needle, the key, the bundle or DIR ($(tr '\n' ' ' <"$C/m/fds"))" \
		00 "$(grep -c -x -F -e "$T/id" -e "$BB" -e "$C/s" "$C/m/fds")$(grep -c -F -e "$C/s/" -e .secretpack \
		-f "$T/needles" "$C/m/fds")"
	is "$1: the environ check sees the app's environment (the check can fail)" 1 \
		"$(grep -c -x -F "C=$C" "$C/m/environ")"
}
export BB="$B"
self "SECRETPACK_KEY" 'unset SECRETPACK_KEY_FILE; export SECRETPACK_KEY="$(cat "$T/id")";'
self "SECRETPACK_KEY_FILE" ''
self "SECRETPACK_KEY_FD" 'unset SECRETPACK_KEY_FILE; exec 7<"$T/id"; export SECRETPACK_KEY_FD=7;'
export BB="$BP"
self "SECRETPACK_PASSPHRASE" 'unset SECRETPACK_KEY_FILE; export SECRETPACK_PASSPHRASE="$(cat "$T/pass")";'

# ---- 2. --init: the shim stays; its /proc entries while the app runs ----
newcase
app wait <<'EOF'
: >"$C/m/ran"
if cat "/proc/$PPID/environ" >/dev/null 2>&1; then echo yes; else echo no; fi >"$C/m/read-environ"
if head -c 1 "/proc/$PPID/mem" >/dev/null 2>&1; then echo yes; else echo no; fi >"$C/m/read-mem"
while [ ! -e "$C/m/go" ]; do sleep 0.05; done
EOF
# init NAME SETUP: reads /proc/<shim>/environ and cmdline as root while the app waits.
init() {
	rm -f "$C/m/ran" "$C/m/go" "$C/shim-environ" "$C/shim-cmdline"
	ns 'tmpfs "$C/s"; '"$2"' "$SP" run --init --bundle "$BB" --dir "$C/s" --user app -- \
		/bin/sh "$C/wait.sh" & S=$!
		i=0; while [ ! -e "$C/m/ran" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
		sleep 0.1
		tr "\0" "\n" <"/proc/$S/environ" >"$C/shim-environ"; tr "\0" "\n" <"/proc/$S/cmdline" >"$C/shim-cmdline"
		: >"$C/m/go"; wait $S' >"$T/.out" 2>"$T/.err"
	is "$1: app ran and exited 0" "0|1" "$?|$(ran)"
	is "$1: /proc/<shim>/environ holds no key, passphrase or plaintext" 0 "$(leaks "$C/shim-environ")"
	is "$1: /proc/<shim>/cmdline holds none" 0 "$(leaks "$C/shim-cmdline")"
	is "$1: the shim's environ was read (the check can fail)" 1 "$(grep -c -x -F "C=$C" "$C/shim-environ")"
	echo "# $1: SECRETPACK_ names left in the shim's environ block: $(grep -o '^SECRETPACK_[A-Z_]*=' \
		"$C/shim-environ" | tr '\n' ' ')(values wiped in place)"
	is "$1: the app (uid 1000) cannot read /proc/<shim>/environ or /proc/<shim>/mem" "no|no" \
		"$(cat "$C/m/read-environ")|$(cat "$C/m/read-mem")"
}
export BB="$B"
init "--init, SECRETPACK_KEY" 'unset SECRETPACK_KEY_FILE; export SECRETPACK_KEY="$(cat "$T/id")";'
export BB="$BP"
init "--init, SECRETPACK_PASSPHRASE" 'unset SECRETPACK_KEY_FILE; export SECRETPACK_PASSPHRASE="$(cat "$T/pass")";'

# ---- 3. A shim blocked with the key loaded: no core, no same-uid access ----
# The shim reads the key, prepares DIR, then opens the bundle: a FIFO with no writer holds it
# there. It runs as uid 1000 with RLIMIT_CORE unlimited from its parent; a plain `sleep` started
# the same way is the control (dumpable, so it shows what the checks would see otherwise).
newcase
cp "$T/id" "$C/id"; chown 1000:1000 "$C/id"; chmod 600 "$C/id"
mkfifo -m 0666 "$C/bundle.fifo"
mkdir -m 1777 "$C/cwd-shim" "$C/cwd-ctl"
ns 'ulimit -c unlimited; tmpfs "$C/s"; chown 1000:1000 "$C/s"
	as1000() { setpriv --reuid 1000 --regid 1000 --clear-groups "$@"; }
	(cd "$C/cwd-shim" && SECRETPACK_KEY_FILE="$C/id" exec setpriv --reuid 1000 --regid 1000 --clear-groups \
		"$SP" run --bundle "$C/bundle.fifo" --dir "$C/s" -- /bin/true) 2>"$C/shim.err" & S=$!
	(cd "$C/cwd-ctl" && exec setpriv --reuid 1000 --regid 1000 --clear-groups sleep 30) & P=$!
	i=0; while ! ls -A "$C/s" | grep -q stage && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	sleep 0.1
	{
		echo "exe=$(readlink /proc/$S/exe)"
		echo "state=$(awk "\$1 == \"State:\" { print \$2 }" /proc/$S/status)"
		echo "core=$(awk "/^Max core file size/ { print \$5, \$6 }" /proc/$S/limits)"
		echo "ctlcore=$(awk "/^Max core file size/ { print \$5, \$6 }" /proc/$P/limits)"
		echo "owner=$(stat -c %u /proc/$S/environ) $(stat -c %u /proc/$S/mem)"
		echo "ctlowner=$(stat -c %u /proc/$P/environ) $(stat -c %u /proc/$P/mem)"
		as1000 cat /proc/$S/environ >/dev/null 2>&1; echo "read=$?"
		as1000 cat /proc/$P/environ >/dev/null 2>&1; echo "ctlread=$?"
		if command -v gdb >/dev/null 2>&1; then
			as1000 gdb -batch -p $S -ex "info registers rip" >"$C/gdb.out" 2>&1
			grep -q "^rip " "$C/gdb.out" && echo attach=yes || echo attach=no
			as1000 gdb -batch -p $P -ex "info registers rip" >"$C/gdbctl.out" 2>&1
			grep -q "^rip " "$C/gdbctl.out" && echo ctlattach=yes || echo ctlattach=no
		fi
		kill -SEGV $S; wait $S; echo "status=$?"
		kill -SEGV $P; wait $P; echo "ctlstatus=$?"
	} >"$C/blocked"
	(cd "$C/cwd-shim" && SECRETPACK_KEY_FILE="$C/id" exec setpriv --reuid 1000 --regid 1000 --clear-groups \
		"$SP" run --bundle "$C/bundle.fifo" --dir "$C/s" -- /bin/true) 2>>"$C/shim.err" & S=$!
	i=0; while [ "$(readlink /proc/$S/exe)" != "$(readlink -f "$SP")" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	sleep 0.2; kill -ABRT $S; wait $S; echo "abrtstatus=$?" >>"$C/blocked"' >"$T/.out" 2>"$T/.err"
sed 's/^/# blocked shim: /' "$C/blocked"
bval() { awk -v k="$1" 'index($0, k "=") == 1 { print substr($0, length(k) + 2) }' "$C/blocked"; }
is "blocked shim: it is the shim, asleep (in open of the FIFO)" "$(readlink -f "$SP")|S" "$(bval exe)|$(bval state)"
is "blocked shim: soft RLIMIT_CORE 0 though its parent gave unlimited" "0 unlimited" "$(bval core)"
is "control: soft RLIMIT_CORE unlimited (the check can fail)" "unlimited unlimited" "$(bval ctlcore)"
is "blocked shim (uid 1000): /proc/<pid>/environ and mem owned by root (not dumpable)" "0 0" "$(bval owner)"
is "control (uid 1000): its /proc/<pid>/environ and mem owned by 1000" "1000 1000" "$(bval ctlowner)"
is "blocked shim: uid 1000 cannot read its /proc/<pid>/environ" 1 "$(bval read)"
is "control: uid 1000 reads its own process's environ" 0 "$(bval ctlread)"
if [ -n "$(bval attach)" ]; then
	is "blocked shim: gdb -p as uid 1000 cannot attach" no "$(bval attach)"
	is "control: gdb -p as uid 1000 attaches" yes "$(bval ctlattach)"
else
	skip "blocked shim: gdb -p as uid 1000 cannot attach" "gdb not installed"
fi
is "blocked shim: killed by SIGSEGV (139), SIGABRT (134)" "139|134" "$(bval status)|$(bval abrtstatus)"
is "blocked shim: no core file in its working directory" "" "$(ls -A "$C/cwd-shim")"
if [ -n "$(ls -A "$C/cwd-ctl")" ]; then
	ok "control: SIGSEGV left a core file ($(ls -A "$C/cwd-ctl" | tr '\n' ' ')): the no-core check can fail"
else
	skip "control: SIGSEGV leaves a core file in its cwd" \
		"core_pattern '$(cat /proc/sys/kernel/core_pattern)' writes no core into the cwd: the no-core check above is vacuous here"
fi

# ---- 4. mlock refused (RLIMIT_MEMLOCK 0, not root): works, with a warning ----
newcase
cp "$T/id" "$C/id"; chown 1000:1000 "$C/id"; chmod 600 "$C/id"
app ok <<'EOF'
: >"$C/m/ran"
echo "db=$(cat "$C/s/db_password")"
EOF
TRACE=
command -v strace >/dev/null 2>&1 && TRACE="strace -f -qq -e trace=mlock,mlock2 -o $C/mlock.trace"
export TRACE
ns 'tmpfs "$C/s"; chown 1000:1000 "$C/s"; SECRETPACK_KEY_FILE="$C/id" $TRACE prlimit --memlock=0:0 \
	setpriv --reuid 1000 --regid 1000 --clear-groups "$SP" run --bundle "$B" --dir "$C/s" -- /bin/sh "$C/ok.sh"' \
	>"$T/.out" 2>"$T/.err"
is "RLIMIT_MEMLOCK 0, shim uid 1000: the app starts with its secret" "0|1|s3cret-db-password" "$?|$(ran)|$(val db)"
# (The second line is the warning that a shim running as the app's uid cannot hide the key.)
is "RLIMIT_MEMLOCK 0: one warning line says memory locking was refused" \
	"2|1|1" "$(wc -l <"$T/.err" | tr -d ' ')|$(grep -c '^secretpack: run: warning: memory locking refused' "$T/.err")|$(grep -c "the app's own uid" "$T/.err")"
if [ -n "$TRACE" ]; then
	fails=$(grep -c 'mlock.*= -1' "$C/mlock.trace")
	echo "# RLIMIT_MEMLOCK 0: $(grep -c 'mlock' "$C/mlock.trace") mlock calls, $fails refused ($(grep -o '= -1 E[A-Z]*' "$C/mlock.trace" | sort -u | cut -c6- | tr '\n' ' '))"
	is "RLIMIT_MEMLOCK 0: mlock really was refused (the case tests what it claims)" 1 $((fails > 0))
fi

# ---- 5. The shim's memory at its execve of the app ----
# gdb stops the shim at the execve system call and searches every readable mapping for the key
# text, its decoded secret key bytes, the passphrase and the plaintexts. A measurement: each
# find is listed with its mapping.
if ! command -v gdb >/dev/null 2>&1 || ! gdb -batch -ex 'python print(1)' >/dev/null 2>&1; then
	skip "shim memory at execve" "gdb with Python not installed"
	exit 0
fi
cat >"$T/memscan.py" <<'EOF'
import base64, os
gdb.execute("set pagination off")
gdb.execute("set startup-with-shell off")
gdb.execute("catch syscall execve")
gdb.execute("run")
line, passphrase, control, heap = open(os.environ["H_NEEDLES"]).read().splitlines()[:4]
body = line[len("SPKSEC1"):]
sk = base64.b32decode(body + "=" * (-len(body) % 8))[:32]
needles = [("key text", line.encode()), ("key text, 16 chars", body[:16].encode()),
           ("secret key bytes", sk), ("passphrase", passphrase.encode()),
           ("plaintext db_password", b"s3cret-db-password"), ("plaintext api_token", b"tok-4f9a2c"),
           ("control", control.encode()), ("control", heap.encode())]
inf = gdb.selected_inferior()
out = open(os.environ["H_OUT"], "w")
out.write("stopped %d\n" % inf.pid)
for m in open("/proc/%d/maps" % inf.pid).read().splitlines():
    f = m.split()
    lo, hi = [int(x, 16) for x in f[0].split("-")]
    name = f[5] if len(f) > 5 else "anonymous"
    # (Mappings over 1 GiB are sanitizer shadow memory, not the shim's data.)
    if "r" not in f[1] or name in ("[vvar]", "[vsyscall]", "[vvar_vclock]") or hi - lo > 1 << 30:
        continue
    for label, pat in needles:
        a = lo
        while a < hi:
            try:
                r = inf.search_memory(a, hi - a, pat)
            except gdb.error:
                break
            if r is None:
                break
            out.write("found %s: %s %s at +%#x\n" % (label, name, f[1], r - lo))
            a = r + 1
out.close()
gdb.execute("kill")
EOF
newcase
app ok <<'EOF'
: >"$C/m/ran"
EOF
# scan NAME SETUP: gdb runs the shim in the namespace; finds go to $C/scan.
scan() {
	rm -f "$C/scan"
	H_OUT=$C/scan ns 'tmpfs "$C/s"; '"$2"' gdb -batch -nx -x "$T/memscan.py" \
		--args "$SP" run --bundle "$BB" --dir "$C/s" --user app -- /bin/sh "$C/ok.sh"' >"$T/.out" 2>"$T/.err"
	is "$1: gdb stopped the shim at execve and scanned it" 1 "$(grep -c '^stopped' "$C/scan" 2>/dev/null)"
	sed 's/^/# /' "$C/scan" 2>/dev/null | grep found
	is "$1: the control needles are found on and off the stack (the search can fail)" 11 \
		"$(grep -q '^found control: \[stack\]' "$C/scan" && echo 1 || echo 0)$(grep '^found control' "$C/scan" |
		grep -q -v '\[stack\]' && echo 1 || echo 0)"
	is "$1: no key text, key bytes, passphrase or plaintext in the shim's memory at execve" 0 \
		"$(grep '^found' "$C/scan" 2>/dev/null | grep -c -v '^found control')"
}
export H_OUT H_NEEDLES="$T/scan-needles"
# The control needles must be found: the app's path (in the shim's argv, on the stack) and the
# name of an entry, "api_token" (in the index the shim keeps, off the stack).
printf '%s\n%s\n%s\n%s\n' "$KEYLINE" "$PASS" "$C/ok.sh" api_token >"$T/scan-needles"
export BB="$B"
scan "memory, SECRETPACK_KEY_FILE" ''
scan "memory, SECRETPACK_KEY" 'unset SECRETPACK_KEY_FILE; export SECRETPACK_KEY="$(cat "$T/id")";'
export BB="$BP"
scan "memory, SECRETPACK_PASSPHRASE" 'unset SECRETPACK_KEY_FILE; export SECRETPACK_PASSPHRASE="$(cat "$T/pass")";'
