#!/usr/bin/python3
"""table.py - the table of make bench from bench/run.sh's results, and the issue's targets.

usage: table.py DIR   (DIR holds start.json, kdf.json, bulk-*.json, rss.txt, sizes.txt, meta.txt)
Prints Markdown: one table of medians, ratios and peak RSS; stripped sizes; PASS/MISS lines.
"""
import json
import os
import statistics
import sys

MIB = 1048576.0


def load(d):
    meta, med, rss, faults, calls, instr, sizes = {}, {}, {}, {}, {}, {}, []
    for line in open(os.path.join(d, "meta.txt")):
        k, v = line.rstrip("\n").split("\t", 1)
        meta[k] = v
    times = {}
    for name in sorted(os.listdir(d)):
        if name.endswith(".json"):  # GROUP.json, and GROUP.rN.json for the other rounds
            group = name[:-5].split(".")[0]
            for r in json.load(open(os.path.join(d, name)))["results"]:
                times.setdefault((group, r["command"]), []).extend(r["times"])
    for k, v in times.items():
        med[k] = statistics.median(v)
    for line in open(os.path.join(d, "rss.txt")):
        group, cid, kib, flt, n, ins = line.split()
        rss[(group, cid)] = int(kib)
        faults[(group, cid)] = flt
        calls[(group, cid)] = n
        instr[(group, cid)] = "-" if ins == "-" else "{:,}".format(int(ins))
    for line in open(os.path.join(d, "sizes.txt")):
        sizes.append(line.rstrip("\n").split("\t"))
    return meta, med, rss, faults, calls, instr, sizes


def fmt_time(s):
    ms = s * 1000.0
    if ms < 10:
        return "%.3f ms" % ms
    if ms < 1000:
        return "%.1f ms" % ms
    return "%.2f s" % s


def fmt_kib(k):
    if k is None:
        return "-"
    return "%.1f MiB" % (k / 1024.0) if k >= 1024 else "%d KiB" % k


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r):
    return "-" if r is None else "%.2f" % r


def main():
    d = sys.argv[1]
    meta, med, rss, faults, calls, instr, sizes = load(d)
    base = "base" in meta
    bulk = sorted((k for k in meta if k.startswith("size-")),
                  key=lambda k: int(meta[k].split()[0]))
    labels = [k[5:] for k in bulk]

    # (group, id, label, floor id, peer id); secretpack rows have a base- twin.
    ran = set(k[5:].split(".")[0] for k in meta if k.startswith("runs-"))  # BENCH_ONLY
    rows = [("start", "start-up: `-N`, ratio to `/bin/true`; peer `catatonit -- /bin/true`")]
    start = [("true", "`/bin/true`", None, None), ("version", "`secretpack --version`", "true", None),
             ("gosu", "`gosu nobody /bin/true`", "true", None),
             ("tini", "`tini -s -- /bin/true`", "true", None),
             ("catatonit", "`catatonit -- /bin/true`", "true", None),
             ("dumb-init", "`dumb-init /bin/true`", "true", None),
             ("run1", "`secretpack run --user nobody -- /bin/true`, 1 secret", "true", "catatonit"),
             ("run10", "the same, 10 secrets", "true", "catatonit"),
             ("run100", "the same, 100 secrets", "true", "catatonit"),
             ("init10", "the same with `--init`, 10 secrets", "true", "catatonit")]
    rows += [("start",) + r for r in start]
    rows.append(("kdf", "passphrase bundle, default Argon2id (t=3, 64 MiB, p=4); floor: Argon2id alone"))
    rows += [("kdf", "kdf", "Argon2id alone (`stream kdf`)", None, None),
             ("kdf", "pass", "`secretpack run --user nobody -- /bin/true`, passphrase", "kdf", None)]
    for lab in labels:
        nbytes, parts = meta["size-" + lab].split()
        g = "bulk-" + lab
        what = "%s MiB" % (int(nbytes) // 1048576) if int(nbytes) >= 1048576 else "%s KiB" % (int(nbytes) // 1024)
        rows.append((g, "bulk %s (%s entr%s), tmpfs; floor: raw secretstream; peer: age" %
                     (what, parts, "y" if parts == "1" else "ies")))
        rows += [(g, "pull-file", "raw pull to a file", None, None),
                 (g, "age-d-file", "`age -d -o FILE`", "pull-file", None),
                 (g, "open", "`secretpack open -o DIR`", "pull-file", "age-d-file"),
                 (g, "pull-null", "raw pull to /dev/null", None, None),
                 (g, "age-d-null", "`age -d` to /dev/null", "pull-null", None),
                 (g, "cat", "`secretpack cat` (last entry) to /dev/null", "pull-null", "age-d-null"),
                 (g, "push", "raw push", None, None),
                 (g, "age-e", "`age -e -o FILE`", "push", None),
                 (g, "seal", "`secretpack seal -o FILE`", "push", "age-e")]

    rows = [r for r in rows if r[0] in ran]
    out = []
    out.append("Machine: %s. Peers: %s. Binary: %s." % (meta.get("machine", "?"), meta.get("versions", "?"),
                                                       meta.get("secretpack", "?")))
    if base:
        out.append("Before: %s." % meta["base"])
    runs = ["%s %s" % (k[5:], v) for k, v in meta.items() if k.startswith("runs-")]
    out.append("Runs (hyperfine -N, medians): %s. Peak RSS and minor page faults: one run under "
               "/usr/bin/time; system calls: one run under strace -f -c; instructions: one run under callgrind "
               "(the command's own processes, not the exec'd /bin/true)." % "; ".join(runs))
    out.append("")
    head = "| command | median | ÷ floor | ÷ peer | peak RSS | faults | syscalls | instructions |"
    sep = "|---|---:|---:|---:|---:|---:|---:|---:|"
    if base:
        head += (" before | before ÷ floor | now ÷ before | before RSS | before faults | before syscalls |"
                 " before instructions |")
        sep += "---:|---:|---:|---:|---:|---:|---:|"
    ncol = 15 if base else 8
    out += [head, sep]
    for r in rows:
        if len(r) == 2:
            out.append("| **%s** |%s" % (r[1], " |" * (ncol - 1)))
            continue
        g, cid, label, floor, peer = r
        t = med.get((g, cid))
        if t is None:
            out.append("| %s | missing |%s" % (label, " |" * (ncol - 2)))
            continue
        cell = fmt_time(t)
        if g.startswith("bulk-"):
            cell += " (%.0f MiB/s)" % (int(meta["size-" + g[5:]].split()[0]) / MIB / t)
        f = ratio(t, med.get((g, floor))) if floor else (1.0 if g == "start" and cid == "true" else None)
        p = ratio(t, med.get((g, peer))) if peer else None
        line = "| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, cell, fmt_ratio(f), fmt_ratio(p), fmt_kib(rss.get((g, cid))), faults.get((g, cid), "-"),
            calls.get((g, cid), "-"), instr.get((g, cid), "-"))
        if base:
            b = "base-" + cid
            bt = med.get((g, b))
            if bt is None:
                line += " |" * 7
            else:
                bf = ratio(bt, med.get((g, floor))) if floor else None
                line += " %s | %s | %s | %s | %s | %s | %s |" % (
                    fmt_time(bt), fmt_ratio(bf), fmt_ratio(ratio(t, bt)), fmt_kib(rss.get((g, b))),
                    faults.get((g, b), "-"), calls.get((g, b), "-"), instr.get((g, b), "-"))
        out.append(line)

    out.append("")
    out.append("| stripped size | bytes | linked |")
    out.append("|---|---:|---|")
    for name, nbytes, kind in sizes:
        out.append("| %s | %s | %s |" % (name, "{:,}".format(int(nbytes)) if nbytes != "-" else "-", kind))

    # The targets of issue 11, as ratios of this one run.
    out.append("")
    out.append("Targets (issue 11; ratios of this run%s):" % (", smoke run: not meaningful" if meta.get("smoke") == "1" else ""))
    out.append("")
    out.append("```")
    checks = []

    def target(name, now_before, ok_fn, fmt, group=None):
        if group is not None and group not in ran:
            return
        now, before = now_before("")
        if now is None:
            checks.append("MISS %s: not measured" % name)
            return
        line = "%s %s: %s" % ("PASS" if ok_fn(now) else "MISS", name, fmt(now))
        if base:
            b, _ = now_before("base-")
            if b is not None:
                line += " (before: %s)" % fmt(b)
        checks.append(line)

    def tr(g, a, b):  # time ratio a/b in group g; a may be a secretpack id (prefix applies)
        return lambda pre: (ratio(med.get((g, pre + a)), med.get((g, b))), None)

    def trr(g, a, b):  # a/b where both are secretpack ids
        return lambda pre: (ratio(med.get((g, pre + a)), med.get((g, pre + b))), None)

    x = lambda v: "%.2fx" % v
    target("start-up, 10 secrets no slower than catatonit -- /bin/true (run10 / catatonit <= 1.00)",
           tr("start", "run10", "catatonit"), lambda v: v <= 1.0, x, "start")
    target("start-up, 100 secrets <= 1.3x the 10-secret time (run100 / run10)",
           trr("start", "run100", "run10"), lambda v: v <= 1.3, x, "start")
    big = labels[1:] if len(labels) > 1 else labels
    for lab in big:
        g = "bulk-" + lab
        for verb, raw in (("open", "pull-file"), ("cat", "pull-null"), ("seal", "push")):
            target("%s %s throughput >= 0.8x raw secretstream (raw / %s)" % (verb, lab, verb),
                   lambda pre, g=g, verb=verb, raw=raw: (ratio(med.get((g, raw)), med.get((g, pre + verb))), None),
                   lambda v: v >= 0.8, x)
    for lab in labels:
        g = "bulk-" + lab
        for verb, peer in (("open", "age-d-file"), ("cat", "age-d-null")):
            target("%s %s ahead of age (%s / age < 1.00)" % (verb, lab, verb), tr(g, verb, peer),
                   lambda v: v < 1.0, x)
    mib = lambda k: "%.1f MiB" % (k / 1024.0)
    for verb in ("open", "cat"):
        for lab in labels:
            target("%s %s peak RSS <= 4 MiB" % (verb, lab),
                   lambda pre, g="bulk-" + lab, verb=verb: (rss.get((g, pre + verb)), None),
                   lambda k: k <= 4096, mib)
    target("run 100 secrets peak RSS <= 4 MiB", lambda pre: (rss.get(("start", pre + "run100")), None),
           lambda k: k <= 4096, mib, "start")
    if len(labels) > 1:
        lo, hi = "bulk-" + labels[0], "bulk-" + labels[-1]
        for verb in ("open", "cat", "seal"):
            def grow(pre, verb=verb):
                a, b = rss.get((lo, pre + verb)), rss.get((hi, pre + verb))
                return (None if a is None or b is None else (a, b)), None
            target("%s peak RSS flat from %s to %s (grows < max(256 KiB, 10%%))" % (verb, labels[0], labels[-1]),
                   grow, lambda ab: ab[1] - ab[0] < max(256, ab[0] // 10),
                   lambda ab: "%s -> %s" % (mib(ab[0]), mib(ab[1])))
    size = dict((n, b) for n, b, _ in sizes)

    def binsize(pre):
        v = size.get(pre + "secretpack", "-")
        return (None if v == "-" else int(v)), None
    target("static binary <= 1 MB (1,000,000 bytes, stripped)", binsize, lambda v: v <= 1000000,
           lambda v: "{:,} bytes".format(v))
    out += checks
    out.append("```")
    out.append("")
    out.append("%d PASS, %d MISS; make bench took %s s." % (
        sum(c.startswith("PASS") for c in checks), sum(c.startswith("MISS") for c in checks),
        meta.get("seconds", "?")))
    print("\n".join(out))


if __name__ == "__main__":
    main()
