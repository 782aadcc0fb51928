#!/usr/bin/python3
"""restricted.py - checks Kubernetes Pod manifests against the "restricted" Pod Security profile
(Pod Security Standards, v1.25+) and, with --deliver, the `secretpack run --deliver` layout.

Usage: restricted.py [--deliver] FILE.yaml...
Prints one line per violation, "FILE: pod NAME: container NAME: what"; exit 0 if none, 1 if any,
2 on usage or a file that is not YAML.

--deliver: the secrets emptyDir is medium: Memory; exactly one init container (not a restartable
sidecar) mounts it read-write and is the only container mounting a secret volume (the key);
every other container, native sidecars included, mounts the emptyDir read-only and no key.
"""
import sys

import yaml

ALLOWED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                   "persistentVolumeClaim", "projected", "secret"}
SECCOMP_OK = {"RuntimeDefault", "Localhost"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}
SELINUX_TYPES = {None, "", "container_t", "container_init_t", "container_kvm_t",
                 "container_engine_t"}


def selinux_bad(sc):
    o = sc.get("seLinuxOptions") or {}
    return o.get("type") not in SELINUX_TYPES or o.get("user") or o.get("role")


def containers(spec):
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(kind) or []:
            yield kind, c


def check_pod(pod, deliver):
    out = []
    spec = pod.get("spec") or {}
    psc = spec.get("securityContext") or {}

    def bad(where, what):
        out.append("%s: %s" % (where, what))

    for host in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(host):
            bad("pod", "%s: true" % host)
    for sysctl in psc.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            bad("pod", "sysctl %s is not in the safe set" % sysctl.get("name"))
    vols = {}
    for v in spec.get("volumes") or []:
        kinds = [k for k in v if k != "name"]
        vols[v.get("name")] = kinds[0] if kinds else None
        for k in kinds:
            if k not in ALLOWED_VOLUMES:
                bad("pod", "volume %s: type %s is not allowed (only %s)"
                    % (v.get("name"), k, ", ".join(sorted(ALLOWED_VOLUMES))))
    if selinux_bad(psc):
        bad("pod", "seLinuxOptions outside the baseline (type container_t..., no user or role)")
    if (psc.get("windowsOptions") or {}).get("hostProcess"):
        bad("pod", "windowsOptions.hostProcess: true")
    if psc.get("runAsNonRoot") is False:
        bad("pod", "runAsNonRoot: false")
    if psc.get("runAsUser") == 0:
        bad("pod", "runAsUser: 0")
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    if pod_seccomp is not None and pod_seccomp not in SECCOMP_OK:
        bad("pod", "seccompProfile %s (must be RuntimeDefault or Localhost)" % pod_seccomp)
    for kind, c in containers(spec):
        where = "container %s" % c.get("name")
        sc = c.get("securityContext") or {}
        if sc.get("privileged"):
            bad(where, "privileged: true")
        if selinux_bad(sc):
            bad(where, "seLinuxOptions outside the baseline (type container_t..., no user or role)")
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            bad(where, "windowsOptions.hostProcess: true")
        for p in c.get("ports") or []:
            if p.get("hostPort"):
                bad(where, "hostPort %s" % p["hostPort"])
        if sc.get("allowPrivilegeEscalation") is not False:
            bad(where, "allowPrivilegeEscalation is not false")
        nonroot = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
        if nonroot is not True:
            bad(where, "runAsNonRoot is not true (here or in the pod)")
        if sc.get("runAsUser", psc.get("runAsUser")) == 0:
            bad(where, "runAsUser: 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type", pod_seccomp)
        if seccomp not in SECCOMP_OK:
            bad(where, "seccompProfile %s (must be RuntimeDefault or Localhost, here or in the pod)"
                % seccomp)
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            bad(where, "capabilities.drop does not hold ALL")
        for a in caps.get("add") or []:
            if a != "NET_BIND_SERVICE":
                bad(where, "capabilities.add: %s (only NET_BIND_SERVICE is allowed)" % a)
        if sc.get("procMount") not in (None, "Default"):
            bad(where, "procMount %s" % sc.get("procMount"))
    if deliver:
        out += check_deliver(spec, vols)
    return out


def check_deliver(spec, vols):
    out = []
    secrets = [v for v in spec.get("volumes") or [] if "emptyDir" in v]
    keys = {n for n, k in vols.items() if k == "secret"}
    if len(secrets) != 1:
        return ["pod: --deliver layout: expected one emptyDir for the secrets, found %d"
                % len(secrets)]
    ed = secrets[0]
    if (ed.get("emptyDir") or {}).get("medium") != "Memory":
        out.append("pod: volume %s: emptyDir without medium: Memory (the secrets would be on disk)"
                   % ed["name"])
    writers = []
    for kind, c in containers(spec):
        where = "container %s" % c.get("name")
        sidecar = kind == "initContainers" and c.get("restartPolicy") == "Always"
        mounts = c.get("volumeMounts") or []
        rw = [m for m in mounts if m.get("name") == ed["name"] and not m.get("readOnly")]
        if rw:
            if kind != "initContainers" or sidecar:
                out.append("%s: mounts %s read-write: only the delivering init container may"
                           % (where, ed["name"]))
            else:
                writers.append(c)
        mounted_keys = [m.get("name") for m in mounts if m.get("name") in keys]
        if mounted_keys and not (rw and kind == "initContainers" and not sidecar):
            out.append("%s: mounts the key volume %s: only the delivering init container may"
                       % (where, ", ".join(mounted_keys)))
    if len(writers) != 1:
        out.append("pod: --deliver layout: %d init containers mount %s read-write, expected 1"
                   % (len(writers), ed["name"]))
    return out


def main(argv):
    deliver = False
    files = []
    for a in argv[1:]:
        if a == "--deliver":
            deliver = True
        elif a.startswith("-"):
            sys.stderr.write("usage: restricted.py [--deliver] FILE.yaml...\n")
            return 2
        else:
            files.append(a)
    if not files:
        sys.stderr.write("usage: restricted.py [--deliver] FILE.yaml...\n")
        return 2
    found = 0
    for f in files:
        try:
            with open(f) as fp:
                docs = [d for d in yaml.safe_load_all(fp) if d]
        except (OSError, yaml.YAMLError) as e:
            sys.stderr.write("%s: %s\n" % (f, e))
            return 2
        pods = [d for d in docs if d.get("kind") == "Pod"]
        if not pods:
            print("%s: no Pod in the file" % f)
            found += 1
        for p in pods:
            for line in check_pod(p, deliver):
                print("%s: pod %s: %s" % (f, (p.get("metadata") or {}).get("name"), line))
                found += 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
