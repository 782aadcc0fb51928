#!/bin/sh
# contrib/k8s/*.yaml against the "restricted" Pod Security profile (tests/k8s/restricted.py):
# pod-restricted.yaml passes, with the `run --deliver` layout (only the init container mounts the
# key and writes the emptyDir); pod.yaml (root shim, added capabilities) is reported as not
# compliant; each rule is shown to fail on a manifest broken on purpose.
. "$SP_TESTS/cli/lib.sh"

PY=/usr/bin/python3
CHK="$SP_TESTS/k8s/restricted.py"
K8S="$SP_TESTS/../contrib/k8s"
if [ ! -x "$PY" ] || ! "$PY" -c 'import yaml' 2>/dev/null; then
	skip "k8s manifests" "needs /usr/bin/python3 with python3-yaml"
	echo "1..$_n"
	exit 0
fi

"$PY" "$CHK" --deliver "$K8S/pod-restricted.yaml" >"$T/.out" 2>&1
is "pod-restricted.yaml: restricted profile and --deliver layout, no violation" "0 " "$? $(cat "$T/.out")"
is "pod-restricted.yaml: no container adds any capability" "0" "$("$PY" -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
cs = d["spec"].get("initContainers", []) + d["spec"]["containers"]
print(sum(len((c["securityContext"].get("capabilities") or {}).get("add") or []) for c in cs))
' "$K8S/pod-restricted.yaml")"
is "pod-restricted.yaml: the init container runs secretpack run --deliver" "1" "$("$PY" -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
print(sum("--deliver" in (c.get("command") or []) for c in d["spec"]["initContainers"]))
' "$K8S/pod-restricted.yaml")"
is "pod-restricted.yaml: the uids, fsGroup, --group and key mode t_run_deliver emulates" \
	"1000 1000 1001 2000 2000 0440 True" "$("$PY" -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1])); s = d["spec"]
init = s["initContainers"][0]; app = s["containers"][0]
cmd = init["command"]
print(s["securityContext"]["runAsUser"], init["securityContext"]["runAsUser"],
      app["securityContext"]["runAsUser"], s["securityContext"]["fsGroup"],
      cmd[cmd.index("--group") + 1], "%04o" % s["volumes"][1]["secret"]["defaultMode"],
      app["volumeMounts"][0]["readOnly"])
' "$K8S/pod-restricted.yaml")"

"$PY" "$CHK" "$K8S/pod.yaml" >"$T/.out" 2>&1
is "pod.yaml (root shim) is reported as not restricted: exit 1" 1 $?
for v in "container app: runAsNonRoot is not true" "container app: runAsUser: 0" \
	"container app: capabilities.add: SETUID"; do
	n=$(grep -c "pod.yaml: pod secretpack-demo: $v" "$T/.out")
	is "pod.yaml: reported: $v" 1 "$n"
done

# mutate NAME PYTHON: pod-restricted.yaml changed by PYTHON (on d, the pod) must be refused with a
# line matching the pattern in $want.
mutate() {
	"$PY" -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
s = d["spec"]; init = s["initContainers"][0]; app = s["containers"][0]
exec(sys.argv[2])
yaml.safe_dump(d, open(sys.argv[3], "w"))
' "$K8S/pod-restricted.yaml" "$2" "$T/m.yaml" || { notok "$1 (mutation failed)"; return; }
	"$PY" "$CHK" --deliver "$T/m.yaml" >"$T/.out" 2>&1
	rc=$?
	if [ "$rc" = 1 ] && grep -q -- "$want" "$T/.out"; then ok "$1"
	else notok "$1"; echo "# exit $rc, wanted: $want"; sed 's/^/# /' "$T/.out"; fi
}
want="container app: mounts the key volume key"
mutate "the app mounting the key volume is refused" 'app["volumeMounts"].append({"name": "key", "mountPath": "/k", "readOnly": True})'
want="container app: mounts secrets read-write"
mutate "the app mounting the emptyDir read-write is refused" 'del app["volumeMounts"][0]["readOnly"]'
want="container side: mounts secrets read-write"
mutate "a native sidecar writing the emptyDir is refused" 's["initContainers"].append(dict(init, name="side", restartPolicy="Always"))'
want="container side: mounts the key volume key"
mutate "a native sidecar mounting the key is refused" 's["initContainers"].append(dict(init, name="side", restartPolicy="Always", volumeMounts=[{"name": "secrets", "mountPath": "/s", "readOnly": True}, {"name": "key", "mountPath": "/k", "readOnly": True}]))'
want="emptyDir without medium: Memory"
mutate "an emptyDir on disk is refused" 'del s["volumes"][0]["emptyDir"]["medium"]'
want="container secretpack: allowPrivilegeEscalation is not false"
mutate "allowPrivilegeEscalation missing in the init container is refused" 'del init["securityContext"]["allowPrivilegeEscalation"]'
want="container app: runAsNonRoot is not true"
mutate "runAsNonRoot missing everywhere is refused" 'del s["securityContext"]["runAsNonRoot"]; del app["securityContext"]["runAsNonRoot"]'
want="container secretpack: runAsUser: 0"
mutate "runAsUser 0 is refused" 'init["securityContext"]["runAsUser"] = 0'
want="container app: capabilities.drop does not hold ALL"
mutate "capabilities not dropped is refused" 'del app["securityContext"]["capabilities"]'
want="container secretpack: capabilities.add: CHOWN"
mutate "an added capability is refused" 'init["securityContext"]["capabilities"]["add"] = ["CHOWN"]'
want="container app: seccompProfile Unconfined"
mutate "seccomp Unconfined is refused" 'app["securityContext"]["seccompProfile"]["type"] = "Unconfined"'
want="pod: volume host: type hostPath is not allowed"
mutate "a hostPath volume is refused" 's["volumes"].append({"name": "host", "hostPath": {"path": "/"}})'
want="pod: hostPID: true"
mutate "hostPID is refused" 's["hostPID"] = True'
want="pod: hostNetwork: true"
mutate "hostNetwork is refused" 's["hostNetwork"] = True'
want="pod: hostIPC: true"
mutate "hostIPC is refused" 's["hostIPC"] = True'
want="container app: privileged: true"
mutate "privileged is refused" 'app["securityContext"]["privileged"] = True'
echo "1..$_n"
