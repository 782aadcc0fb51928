#!/bin/sh
# t_engine.sh - the shipped contrib files in a real Docker engine: its own dockerd, a debian:12
# base made with debootstrap, contrib/Dockerfile built with the legacy builder and with BuildKit
# from a clean tree and from a working tree holding keys and plaintext, every layer searched, the
# image run as the README says, the mistakes users make, stop/restart, docker-compose.
# Needs root, network to the apt mirror the first time (the base rootfs is cached in
# $BUILD/engine/rootfs.tar). Skips, saying why, when a package, the daemon or the mirror is missing.
. "$SP_TESTS/cli/lib.sh"
ROOT=$(cd "$SP_TESTS/.." && pwd)
E=$BUILD/engine
D=/usr/bin/docker
DEBS=${DEBS_ENGINE:-docker.io docker-compose debootstrap}
started=

# stop_daemon: stops the dockerd whose pidfile is ours (this run's, or one a killed run left),
# unmounts whatever is left below $E (overlays, shm, netns), deepest first, removes its state.
stop_daemon() {
	pid=$(cat "$E/pid" 2>/dev/null)
	if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--data-root $E/root "; then
		kill "$pid" 2>/dev/null
		i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
	fi
	awk -v e="$E/" 'index($2, e) == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$E/root" "$E/exec" "$E/pid" "$E/sock"
}
cleanup() {
	if [ -n "$started" ]; then
		$D ps -aq 2>/dev/null | xargs -r $D rm -f >/dev/null 2>&1
		stop_daemon
	fi
	umount "$T/ram" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ "$(id -u)" != 0 ]; then skip "docker engine lane" "needs root (it starts its own dockerd)"; exit 0; fi
missing=
for p in $DEBS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"; done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	if ! { apt-get install -y -qq --no-install-recommends $missing || { apt-get update -qq &&
		apt-get install -y -qq --no-install-recommends $missing; }; } >"$T/apt.log" 2>&1; then
		skip "docker engine lane" "cannot install$missing ($(tail -n 1 "$T/apt.log"))"; exit 0
	fi
fi

# ---- the daemon: all state under $E, no change to the host's network -------------------------
mkdir -p "$E" && stop_daemon
export DOCKER_HOST="unix://$E/sock" DOCKER_CONFIG="$T/docker-config"
mkdir -p "$DOCKER_CONFIG"
started=1
echo '{}' >"$E/daemon.json"
/usr/sbin/dockerd --data-root "$E/root" --exec-root "$E/exec" --pidfile "$E/pid" -H "$DOCKER_HOST" \
	--iptables=false --ip6tables=false --ip-forward=false --bridge=none --storage-driver=overlay2 \
	--exec-opt native.cgroupdriver=cgroupfs --config-file "$E/daemon.json" >"$E/dockerd.log" 2>&1 &
dpid=$!
i=0; while ! $D version >/dev/null 2>&1 && kill -0 $dpid 2>/dev/null && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
if ! $D version >/dev/null 2>&1; then
	skip "docker engine lane" "dockerd did not start: $(tail -n 1 "$E/dockerd.log")"; exit 0
fi

# ---- the base: debian:12 from debootstrap, cached ------------------------------------------
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
if [ ! -s "$E/rootfs.tar" ]; then
	rm -rf "$E/rootfs"
	if ! debootstrap --variant=minbase bookworm "$E/rootfs" "$mirror" >"$E/debootstrap.log" 2>&1; then
		rm -rf "$E/rootfs"; skip "docker engine lane" "debootstrap from $mirror failed (see $E/debootstrap.log)"; exit 0
	fi
	tar -C "$E/rootfs" -cf "$E/rootfs.tar.tmp" . && mv "$E/rootfs.tar.tmp" "$E/rootfs.tar" && rm -rf "$E/rootfs"
fi
# debian:12-slim, which the runtime stage names, is the same minbase here (nothing can be pulled).
check "base image debian:12 imported from the debootstrap rootfs" $D import "$E/rootfs.tar" debian:12
$D tag debian:12 debian:12-slim

# ---- two build contexts ------------------------------------------------------------------
# clean: the tracked files as they are in the working tree (what a clone gets).
CLEAN=$T/clean DIRTY=$T/dirty
mkdir -p "$CLEAN"
if ! (cd "$ROOT" && git ls-files -z | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
	tar --null -T - -cf -) 2>/dev/null | tar -C "$CLEAN" -xf -; then
	notok "a clean copy of the tracked files (needs git)"; exit 1
fi
"$SP" keygen -o "$T/app.key" >"$T/app.pub" 2>&1 || { notok "keygen"; exit 1; }
RCPT=$(tail -n 1 "$T/app.pub")
"$SP" keygen -o "$T/other.key" >/dev/null 2>&1
check "seal the example for the test key" "$SP" seal -m "$CLEAN/contrib/example/manifest.ini" \
	-r "$RCPT" -o "$CLEAN/app.spk"
# dirty: the developer's working tree: the key beside the Dockerfile, other keys, plaintext,
# .git, a binary built on the host and newer than every source, a build directory.
cp -a "$CLEAN" "$DIRTY"
cp "$T/app.key" "$DIRTY/app.key"; cp "$T/other.key" "$DIRTY/contrib/deploy.key"
mkdir -p "$DIRTY/secrets" "$DIRTY/.git" "$DIRTY/build/obj" "$DIRTY/src/old"
M_SECRET=plain-secret-$$-$(date +%s)
M_GIT=git-object-$$-$(date +%s)
M_HOST=HOST-BUILT-BINARY-$$
echo "$M_SECRET" >"$DIRTY/secrets/db.txt"
echo "$M_GIT" >"$DIRTY/.git/config"
cp "$T/app.key" "$DIRTY/src/old/stray.key"
printf '#!/bin/sh\necho %s\n' "$M_HOST" >"$DIRTY/secretpack"
cp "$DIRTY/secretpack" "$DIRTY/build/secretpack.unstripped"
chmod 755 "$DIRTY/secretpack" "$DIRTY/build/secretpack.unstripped"
touch -d '+1 day' "$DIRTY/secretpack" "$DIRTY/build/secretpack.unstripped"
chown root:root "$DIRTY/app.key" && chmod 0400 "$DIRTY/app.key"

# What nobody holding an image may find: the identities, the plaintext of every example secret,
# the working tree's own secret, .git, the host binary.
grep -h '^SPKSEC1' "$T/app.key" "$T/other.key" >"$T/needles"
for f in "$CLEAN"/contrib/example/secrets/*.txt "$CLEAN"/contrib/example/secrets/*/*.txt; do
	head -n 1 "$f" >>"$T/needles"
done
printf '%s\n' "$M_SECRET" "$M_GIT" "$M_HOST" >>"$T/needles"
[ "$(grep -c . "$T/needles")" -ge 8 ] || { notok "needles collected ($(grep -c . "$T/needles"))"; exit 1; }

build() { # NAME CONTEXT BUILDKIT(0|1) [docker build args]: the log in $T/build-NAME.log
	(bn=$1 bctx=$2 bbk=$3; shift 3
	progress=; [ "$bbk" = 1 ] && progress=--progress=plain
	cd "$bctx" && DOCKER_BUILDKIT=$bbk $D build --network host $progress "$@" \
		-f contrib/Dockerfile . >"$T/build-$bn.log" 2>&1) &
	wait $! # in the background, so that a SIGTERM to the lane cleans up at once
}
t0=$(date +%s)
for b in legacy:0 buildkit:1; do
	name=${b%:*} bk=${b#*:}
	for c in clean dirty; do
		[ $c = clean ] && ctx=$CLEAN || ctx=$DIRTY
		if build "$name-$c" "$ctx" "$bk" -t "sp-$name-$c"; then
			ok "$name builder, $c tree: contrib/Dockerfile builds"
		else
			notok "$name builder, $c tree: contrib/Dockerfile builds"; tail -n 15 "$T/build-$name-$c.log" | sed 's/^/# /'
		fi
		check "$name builder, $c tree: --target bin builds" build "bin-$name-$c" "$ctx" "$bk" --target bin -t "sp-bin-$name-$c"
	done
	grep -q 'cc .*-c -o build/obj/sp_' "$T/build-$name-clean.log"
	is "$name builder: the binary was compiled in the build stage (cc in the build log)" 0 $?
done
echo "# builds: $(($(date +%s) - t0)) s"

# ---- the attacker holding the images: every layer of every image the builds made -----------
$D images -q --no-trunc | sort -u >"$T/images"
$D images -q --no-trunc --filter dangling=true | grep -q . ; dangling=$?
is "the legacy builder left its build stage as an image, searched too" 0 $dangling
search() { # IMAGE...: what of the needles, .git, secrets/ or *.key their layers hold, into $T/found
	for img; do
		rm -rf "$T/save" && mkdir -p "$T/save"
		$D save "$img" | tar -C "$T/save" -xf - || { echo "docker save $img failed" >>"$T/found"; continue; }
		for l in "$T"/save/*/layer.tar; do
			[ -f "$l" ] || continue
			echo "$l" >>"$T/layers"
			grep -aoF -f "$T/needles" "$l" | sed "s|^\(.\{12\}\).*|$img: \1...|" >>"$T/found"
			tar -tf "$l" | grep -E '(^|/)(\.git|secrets)/|\.key$' | sed "s|^|$img: |" >>"$T/found"
		done
	done
}
# searched NAME IMAGE...: ok when every layer of the images was read and none holds anything.
searched() {
	sn=$1; shift
	: >"$T/found"; : >"$T/layers"
	search "$@"
	nl=$(grep -c . "$T/layers")
	if [ "$nl" -gt 0 ] && [ ! -s "$T/found" ]; then ok "$sn ($# images, $nl layers)"
	else notok "$sn ($# images, $nl layers)"; sort -u "$T/found" | head -n 5 | sed 's/^/# /'; fi
}
searched "docker save of every image: no key, plaintext, .git or host binary in any layer" $(cat "$T/images")
# Everything the daemon keeps (layers, BuildKit's cache and context snapshots, containers).
hits=$(grep -rlaF -f "$T/needles" "$E/root" 2>/dev/null | head -n 3)
is "nothing under the daemon's data-root (build cache included) holds a key or plaintext" "" "$hits"
# The control: an image that does hold a secret value is caught by the same search.
mkdir -p "$T/leak"
cp "$CLEAN/contrib/example/secrets/api_token.txt" "$T/leak/leak"
printf 'FROM sp-bin-legacy-clean\nCOPY leak /leak\n' >"$T/leak/Dockerfile"
$D build -q -t sp-leak "$T/leak" >/dev/null 2>&1
: >"$T/found"; : >"$T/layers"; search sp-leak
grep -q "^sp-leak: $(cut -c1-12 "$T/leak/leak")" "$T/found"
is "control: the search finds a plaintext value copied into an image" 0 $?
hits=$(grep -rlaF -f "$T/needles" "$E/root" 2>/dev/null | head -n 1)
[ -n "$hits" ]; is "control: the data-root search finds it too" 0 $?
$D rmi -f sp-leak >/dev/null 2>&1

binsum() { $D save "$1" | tar -xOf - --wildcards '*/layer.tar' | tar -xOf - "$2" 2>/dev/null | sha256sum | cut -c1-64; }
host=$(sha256sum <"$DIRTY/secretpack" | cut -c1-64)
ref=$(binsum sp-bin-legacy-clean secretpack)
for i in legacy-dirty buildkit-clean buildkit-dirty; do
	s=$(binsum "sp-bin-$i" secretpack)
	is "sp-bin-$i: /secretpack is the binary compiled from the context (same as the clean legacy build)" "$ref" "$s"
done
[ "$ref" != "$host" ] && [ "$ref" != "$(sha256sum </dev/null | cut -c1-64)" ]
is "the host's binary was not shipped" 0 $?
# The scratch image holds the binary and nothing else; any Dockerfile can COPY it.
files=$($D save sp-bin-buildkit-clean | tar -xOf - --wildcards '*/layer.tar' | tar -tf - | tr '\n' ' ')
is "--target bin: a FROM scratch image with only /secretpack" "secretpack " "$files"
mkdir -p "$T/consumer"
printf 'FROM debian:12\nCOPY --from=sp-bin-legacy-clean /secretpack /usr/local/bin/secretpack\n' >"$T/consumer/Dockerfile"
check "another Dockerfile copies /secretpack from the bin image" $D build -q -t sp-consumer "$T/consumer"
$D run --rm --network none sp-consumer secretpack keygen -o /tmp/k >/dev/null 2>&1
is "the copied binary runs (keygen)" 0 $?

# ---- the image run as the README says ------------------------------------------------------
KEY=$T/keys/app.key
mkdir -p "$T/keys" && cp "$T/app.key" "$KEY" && cp "$T/other.key" "$T/keys/other.key" &&
	chown root:root "$KEY" "$T/keys/other.key" && chmod 0400 "$KEY" "$T/keys/other.key"
IMG=sp-legacy-dirty
RUN="$D run --rm --network none -e SECRETPACK_KEY_FILE=/run/secretpack/key -e SECRETPACK_CONTEXT=shop@demo"
$RUN --tmpfs /run/secrets -v "$KEY:/run/secretpack/key:ro" $IMG >"$T/app.out" 2>"$T/app.err"
is "README's docker run: exit 0" 0 $?
for want in "uid=1000 gid=1000 groups=1000 home=/home/app" "CapEff: 0000000000000000" "NoNewPrivs: 1" \
	"dr-x------ app:app /run/secrets" "-r--r----- app:app /run/secrets/db_password" \
	"-r-------- app:app /run/secrets/api_token" "-r-------- app:app /run/secrets/smtp/password" \
	"\$DB_PASSWORD_FILE -> /run/secrets/db_password ($(wc -c <"$CLEAN/contrib/example/secrets/db_password.txt") bytes)" \
	"\$API_TOKEN_FILE -> /run/secrets/api_token ($(wc -c <"$CLEAN/contrib/example/secrets/api_token.txt") bytes)" \
	"/run/secretpack/key: present, not readable by me (good)" "no SECRETPACK_* variables (good)" \
	"no key text in /proc/self/environ (good)"; do
	grep -qxF "  $want" "$T/app.out" || grep -qxF "$want" "$T/app.out"
	is "the app sees: $want" 0 $?
done
$RUN --tmpfs /run/secrets -v "$KEY:/run/secretpack/key:ro" $IMG \
	sh -c 'cat "$DB_PASSWORD_FILE"; cat /run/secrets/smtp/password; cat /run/secretpack/key 2>&1 >/dev/null | grep -c denied' \
	>"$T/vals.out" 2>&1
cat "$CLEAN/contrib/example/secrets/db_password.txt" "$CLEAN/contrib/example/secrets/smtp/password.txt" >"$T/vals.want"
echo 1 >>"$T/vals.want"
cmp -s "$T/vals.want" "$T/vals.out"
is "the app reads the sealed values, and reading the key is denied" 0 $?
[ ! -s "$T/app.err" ]
is "a good start prints nothing on stderr" 0 $?

# mistake NAME PATTERN docker-run-args...: refused with one line matching PATTERN, app not started.
mistake() {
	n=$1 pat=$2; shift 2
	$RUN "$@" $IMG >"$T/m.out" 2>"$T/m.err"
	r=$?
	if [ $r -eq 0 ]; then notok "$n: refused (exit 0)"; return; fi
	if grep -q 'who am I' "$T/m.out"; then notok "$n: the app started"; return; fi
	if [ "$(grep -c . "$T/m.err")" -ne 1 ] || ! grep -Eq "^secretpack: run: .*$pat" "$T/m.err"; then
		notok "$n: one line saying what to do"; sed 's/^/# /' "$T/m.err"; return
	fi
	ok "$n: exit $r, one line: $(cut -c1-90 "$T/m.err")..."
}
V="-v $KEY:/run/secretpack/key:ro"
mistake "no --tmpfs" 'add --tmpfs /run/secrets \(docker run\)' $V
mistake "--read-only without --tmpfs" 'read-only file system: add --tmpfs /run/secrets' --read-only $V
mistake "wrong key" 'not a recipient|wrong key' --tmpfs /run/secrets -v "$T/keys/other.key:/run/secretpack/key:ro"
mistake "wrong context" 'context' --tmpfs /run/secrets -e SECRETPACK_CONTEXT=shop@prod $V
mistake "key not mounted" 'SECRETPACK_KEY_FILE /run/secretpack/key: no such file: mount the key there \(docker run -v' --tmpfs /run/secrets
mistake "--cap-drop ALL" 'lacks CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_SETGID and CAP_SETUID.*--cap-add' \
	--tmpfs /run/secrets --cap-drop ALL $V
mistake "--user 1000, key root:root 0400" 'uid 1000 and cannot read it: start it as root with --user' \
	--tmpfs /run/secrets --user 1000 $V
mistake "a full tmpfs" 'is full: .*give the tmpfs at least .*--tmpfs /run/secrets:size=' --tmpfs /run/secrets:size=4k $V
$RUN --tmpfs /run/secrets --read-only --cap-drop ALL --cap-add CHOWN --cap-add DAC_OVERRIDE --cap-add FOWNER \
	--cap-add SETUID --cap-add SETGID --security-opt no-new-privileges $V $IMG >"$T/m.out" 2>&1
r=$?; grep -q '^  -r--r----- app:app /run/secrets/db_password' "$T/m.out"
is "--cap-drop ALL with the documented --cap-add, --read-only, no-new-privileges: starts" "0 0" "$r $?"

# ---- docker stop and restart ------------------------------------------------------------------
# stopped NAME MODE: docker stop must end the container through SIGTERM (exit 0 from the app's
# trap, not 137 from SIGKILL) well before the 20 s grace period.
stopped() {
	s0=$(date +%s); $D stop -t 20 "$1" >/dev/null 2>&1; el=$(($(date +%s) - s0))
	st=$($D inspect -f '{{.State.ExitCode}}' "$1" 2>/dev/null)
	is "$2: docker stop: SIGTERM reached the app, exit 0 in ${el} s" "0 1" "$st $([ $el -lt 10 ] && echo 1)"
}
started() { # NAME: the app printed that it waits
	i=0; while ! $D logs "$1" 2>&1 | grep -q '== waiting' && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
	$D logs "$1" 2>&1 | grep -q '== waiting'
}
DRUN="$D run -d --network none -e SECRETPACK_KEY_FILE=/run/secretpack/key -e SECRETPACK_CONTEXT=shop@demo $V"
mkdir -p "$T/ram" && mount -t tmpfs -o size=1m,mode=0700 tmpfs "$T/ram"
for mode in exec secretpack-init docker-init; do
	case $mode in
	exec) extra="--tmpfs /run/secrets" ;;
	# A host tmpfs as DIR, so that what the shim leaves after the stop can be seen from outside.
	secretpack-init) extra="-e SECRETPACK_INIT=1 -v $T/ram:/run/secrets" ;;
	docker-init) extra="--init -e SECRETPACK_INIT=1 --tmpfs /run/secrets" ;;
	esac
	$DRUN --name "sp-$mode" $extra $IMG /app/show-secrets.sh --wait >/dev/null 2>"$T/d.err"
	started "sp-$mode"; is "$mode: started" 0 $?
	case $mode in
	exec) want=show-secrets.sh ;; secretpack-init) want=secretpack ;; docker-init) want=docker-init ;;
	esac
	pid1=$($D exec "sp-$mode" cat /proc/1/comm 2>/dev/null)
	is "$mode: PID 1 is $want" "$want" "$pid1"
	if [ $mode = secretpack-init ]; then
		# SIGHUP is forwarded to the app (its trap is only for TERM/INT: it dies of SIGHUP).
		$D exec "sp-$mode" sh -c 'ls /run/secrets' >"$T/before" 2>&1
		$D kill -s HUP "sp-$mode" >/dev/null 2>&1
		i=0; while [ "$($D inspect -f '{{.State.Running}}' "sp-$mode")" = true ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
		st=$($D inspect -f '{{.State.ExitCode}}' "sp-$mode")
		is "secretpack-init: SIGHUP forwarded, the app's death reported as 128+1" "129" "$st"
		$D rm -f "sp-$mode" >/dev/null 2>&1
		$DRUN --name "sp-$mode" $extra $IMG /app/show-secrets.sh --wait >/dev/null 2>"$T/d.err"
		started "sp-$mode"
	fi
	[ $mode = secretpack-init ] && ls "$T/ram" >"$T/ram.during"
	stopped "sp-$mode" "$mode"
	if [ $mode = secretpack-init ]; then
		is "secretpack-init: the secrets were there while the app ran" "api_token db_password smtp" "$(tr '\n' ' ' <"$T/ram.during" | sed 's/ $//')"
		is "secretpack-init: docker stop: the shim removed the secrets" "" "$(ls -A "$T/ram")"
	fi
done
umount "$T/ram"
# Restart: the container's tmpfs is new; the shim delivers again.
$D start "sp-exec" >/dev/null 2>&1 && started "sp-exec" && $D restart -t 20 "sp-exec" >/dev/null 2>&1
i=0; while [ "$($D logs sp-exec 2>&1 | grep -c '== waiting')" -lt 3 ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
is "docker start, restart: the app started three times" 3 "$($D logs sp-exec 2>&1 | grep -c '== waiting')"
v=$($D exec -u app sp-exec cat /run/secrets/db_password 2>&1)
is "after docker restart the app reads its secret" "$(cat "$CLEAN/contrib/example/secrets/db_password.txt")" "$v"
stopped sp-exec "after restart"
$D rm -f sp-exec sp-secretpack-init sp-docker-init >/dev/null 2>&1

# ---- docker-compose with contrib/compose.yaml, from the working tree -------------------------
# The compose file builds the image itself (docker-compose 1.29's own builder), binds ../app.key.
# The daemon runs without a bridge, so an override puts the service on no network.
printf 'services:\n  app:\n    network_mode: none\n' >"$DIRTY/contrib/compose.none.yaml"
DC="docker-compose -p spengine -f $DIRTY/contrib/compose.yaml -f $DIRTY/contrib/compose.none.yaml"
$DC build >"$T/dc-build.log" 2>&1; is "compose build" 0 $?
searched "compose-built image: no layer holds a key or plaintext" secretpack-demo
$DC up -d >"$T/dc.log" 2>&1; is "compose up -d" 0 $?
cid=$($DC ps -q app 2>/dev/null)
started "$cid"; is "compose: the app started" 0 $?
$D logs "$cid" 2>&1 | grep -q '^  -r--r----- app:app /run/secrets/db_password$'
is "compose: db_password delivered, owned by app" 0 $?
$D logs "$cid" 2>&1 | grep -qx '  /run/secretpack/key: present, not readable by me (good)'
is "compose: the app cannot read the key" 0 $?
$DC stop >>"$T/dc.log" 2>&1
is "compose stop: exit 0 (SIGTERM reached the app)" 0 "$($D inspect -f '{{.State.ExitCode}}' "$cid")"
$DC start >>"$T/dc.log" 2>&1
i=0; while [ "$($D logs "$cid" 2>&1 | grep -c '== waiting')" -lt 2 ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
v=$($D exec -u app "$cid" cat /run/secrets/api_token 2>&1)
is "compose start: delivered again" "$(cat "$CLEAN/contrib/example/secrets/api_token.txt")" "$v"
$DC down >>"$T/dc.log" 2>&1; is "compose down" 0 $?
is "compose down: no container left" "" "$($D ps -aq)"

# ---- the README's Docker section, pasted in a clean tree -----------------------------------
# This daemon has no bridge: builds get the host's network (apt), runs none. No sudo: we are root.
sh "$SP_TESTS/readme_blocks.sh" readme-test-docker >"$T/readme-docker.sh"
grep -q 'docker run' "$T/readme-docker.sh"; is "README: the Docker block is marked" 0 $?
mkdir -p "$T/rbin" && ln -s "$SP" "$T/rbin/secretpack"
cat >"$T/prelude.sh" <<PRE
docker() { case \$1 in build) shift; $D build --network host "\$@" ;; run) shift; $D run --network none "\$@" ;; *) $D "\$@" ;; esac; }
sudo() { "\$@"; }
PRE
(cd "$CLEAN" && PATH="$T/rbin:$PATH" TMPDIR="$T" sh -eu -c ". '$T/prelude.sh'; . '$T/readme-docker.sh'") \
	>"$T/readme.out" 2>"$T/readme.err"
is "README: the Docker section runs as pasted" 0 $?
grep -q '^  -r--r----- app:app /run/secrets/db_password$' "$T/readme.out" &&
	grep -qx '  /run/secretpack/key: present, not readable by me (good)' "$T/readme.out"
is "README: its app has its secrets and cannot read the key" 0 $?
[ -f "$CLEAN/app.spk" ] && cmp -s "$CLEAN/app.spk" "$DIRTY/app.spk"
is "README: the user's app.spk was not overwritten" 0 $?
grep -h '^SPKSEC1' "$T"/tmp.*/app.key >>"$T/needles"
searched "README's image: no layer holds a key or plaintext" secretpack-example
