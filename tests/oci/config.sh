#!/bin/sh
# config.sh KEYFILE ARG...: prints an OCI config.json for the test container: read-only busybox
# rootfs, Docker's default capabilities (or CAPS, e.g. "CAP_CHOWN CAP_SETUID"), a tmpfs at
# /run/secrets unless NO_SECRETS_TMPFS is set, the identity bind-mounted read-only at
# /run/secretpack/key, process.args = ARG..., and ENV_EXTRA (one NAME=VALUE) added to the
# environment, as a Dockerfile ENV line would.
set -eu
key=$1; shift
q() { printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"]/\\&/g')"; }
args=
for a in "$@"; do args="$args${args:+, }$(q "$a")"; done
caps='"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
			"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
			"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"'
secrets='
		{"destination": "/run/secrets", "type": "tmpfs", "source": "tmpfs",
		 "options": ["nosuid", "nodev", "noexec", "mode=0700", "size=1m"]},'
[ -n "${NO_SECRETS_TMPFS:-}" ] && secrets=
if [ -n "${CAPS:-}" ]; then
	caps=
	for c in $CAPS; do caps="$caps${caps:+, }$(q "$c")"; done
fi
cat <<JSON
{
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": false,
		"user": {"uid": 0, "gid": 0},
		"args": [$args],
		"env": ["PATH=/usr/local/bin:/bin", "SECRETPACK_KEY_FILE=/run/secretpack/key"${ENV_EXTRA:+, $(q "$ENV_EXTRA")}],
		"cwd": "/",
		"capabilities": {
			"bounding": [$caps],
			"effective": [$caps],
			"permitted": [$caps]
		},
		"noNewPrivileges": false
	},
	"root": {"path": "rootfs", "readonly": true},
	"hostname": "secretpack-test",
	"mounts": [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},$secrets
		{"destination": "/run/secretpack/key", "type": "bind", "source": $(q "$key"),
		 "options": ["bind", "ro", "nosuid", "nodev", "noexec"]}
	],
	"linux": {
		"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"},
			{"type": "network"}],
		"maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
		"readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
	}
}
JSON
