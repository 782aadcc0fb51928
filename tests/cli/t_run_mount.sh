#!/bin/sh
# `secretpack run`: where secrets may be written - a tmpfs it mounts, an existing tmpfs or ramfs,
# a disk directory only with --allow-disk, never through a symlinked directory.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"

seal "$T/b.spk" "$T/in/db_password" || exit 1
export B="$T/b.spk"

# inlist LIST WORD: 1 if WORD is an item of the comma-separated LIST.
inlist() { case ",$1," in *",$2,"*) echo 1 ;; *) echo 0 ;; esac; }

# The app reports what it sees of the secrets directory.
report() {
	app report <<'EOF'
: >"$C/m/ran"
echo "fs=$(stat -f -c %T "$C/s")"
echo "opts=$(findmnt -n -o OPTIONS --mountpoint "$C/s" | tail -n 1)"
echo "mounts=$(awk -v d="$C/s" '$5 == d' /proc/self/mountinfo | wc -l)"
echo "dir=$(stat -c '%a %u %g' "$C/s")"
echo "file=$(stat -c '%a %u %g' "$C/s/db_password") $(cat "$C/s/db_password")"
EOF
}

# 1. Disk directory, root with CAP_SYS_ADMIN in a private mount namespace: the shim mounts a
# fresh tmpfs, writes, and remounts it read-only.
newcase; report
check "disk dir: shim mounts its own tmpfs and starts the app" \
	ns '"$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/report.sh"'
is "own tmpfs: filesystem is tmpfs" tmpfs "$(val fs)"
opts=$(val opts)
is "own tmpfs: remounted read-only after writing" 1 "$(inlist "$opts" ro)"
is "own tmpfs: nosuid,nodev,noexec" 111 "$(inlist "$opts" nosuid)$(inlist "$opts" nodev)$(inlist "$opts" noexec)"
is "own tmpfs: size bound" 1 "$(case ",$opts," in *,size=*) echo 1 ;; *) echo 0 ;; esac)"
is "own tmpfs: directory 0500 owned by the app user" "500 1000 1000" "$(val dir)"
is "own tmpfs: entry 0400 owned by the app user, content intact" "400 1000 1000 s3cret-db-password" "$(val file)"
is "own tmpfs: nothing written to the disk directory underneath" "" "$(ls -A "$C/s")"

# 2. An existing tmpfs is verified and used as is: no second mount on top.
newcase; report
check "existing tmpfs: used" \
	ns 'tmpfs "$C/s"; "$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/report.sh"'
is "existing tmpfs: no tmpfs mounted over it" 1 "$(val mounts)"
is "existing tmpfs: entry written" "400 1000 1000 s3cret-db-password" "$(val file)"
is "existing tmpfs: directory 0500 owned by the app user" "500 1000 1000" "$(val dir)"

# 3. ramfs counts as memory too.
newcase; report
check "existing ramfs: used" \
	ns 'mount -t ramfs ramfs "$C/s" && "$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/report.sh"'
is "existing ramfs: entry written on the ramfs" "ramfs|400 1000 1000 s3cret-db-password" "$(val fs)|$(val file)"

# 4. Disk directory and no CAP_SYS_ADMIN: refused with the exact fix, nothing written, no app.
newcase; report
refuse "disk dir without CAP_SYS_ADMIN: refused with a --tmpfs hint" "--tmpfs" \
	ns 'setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
		"$SP" run --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/report.sh"'
is "disk dir refused: hint names the directory" 1 "$(grep -c -F -- "$C/s" "$T/.err")"
is "disk dir refused: app not started" 0 "$(ran)"
is "disk dir refused: directory left empty" "" "$(ls -A "$C/s")"

# 5. --allow-disk writes to disk, and warns.
newcase; report
ns 'setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
	"$SP" run --allow-disk --bundle "$B" --dir "$C/s" --user app -- /bin/sh "$C/report.sh"' \
	>"$T/.out" 2>"$T/.err"
is "--allow-disk: app exits 0" "0" "$?"
is "--allow-disk: app started" 1 "$(ran)"
is "--allow-disk: warns on stderr about the disk" 1 "$(grep -qi '^secretpack: .*disk' "$T/.err" && echo 1 || echo 0)"
is "--allow-disk: entry written on the disk" "400 1000 1000 s3cret-db-password" "$(val file)"
is "--allow-disk: and it is really on disk" 1 "$(val fs | grep -cv -e tmpfs -e ramfs)"

# 6. DIR itself a symlink (to a perfectly good tmpfs): refused, nothing written through it.
newcase; report
mkdir "$C/real"; ln -s "$C/real" "$C/link"
refuse "symlink as DIR: refused" "symlink|not a directory" \
	ns 'tmpfs "$C/real"; "$SP" run --bundle "$B" --dir "$C/link" --user app -- /bin/sh "$C/report.sh"; \
		rc=$?; ls -A "$C/real" >"$C/after"; exit $rc'
is "symlink as DIR: app not started" 0 "$(ran)"
is "symlink as DIR: nothing written through it" "" "$(cat "$C/after")"

# 7. SECRETPACK_DIR mirrors --dir.
newcase; report
check "SECRETPACK_DIR mirrors --dir" \
	ns 'tmpfs "$C/s"; SECRETPACK_DIR="$C/s" "$SP" run --bundle "$B" --user app -- /bin/sh "$C/report.sh"'
is "SECRETPACK_DIR: entry written there" "400 1000 1000 s3cret-db-password" "$(val file)"
