#!/usr/bin/env python3
"""Timer for bench/run-engine-bench.sh (not a test; no third-party modules).

engine_timer.py seq SPEC N WARMUP OUT
    SPEC: text file of cases, one directive per line:
        case LABEL          starts a case
        step CMD...         timed: run in order, one timing per iteration covers all steps
        post CMD...         untimed: run after the steps (cleanup), failures ignored
    Commands are shlex-split (no shell); "{i}" becomes the iteration number. Every command runs
    with stdin/stdout = /dev/null, stderr captured; a step that exits non-zero fails the iteration
    (the remaining steps are skipped, post still runs, the iteration is excluded and counted).
    Iterations are interleaved: round r runs every case once, starting at case r mod #cases.
    Wall time per iteration: time.monotonic_ns() before the first spawn .. return of the last wait.
    Appends "LABEL<TAB>ms" lines for good iterations to OUT and prints a summary per case.

engine_timer.py par LABEL K OUT CMD...
    Spawns K copies of CMD at once ({i} = 1..K), waits for all; appends "LABEL<TAB>ms" (wall time
    from the first spawn to the last exit) to OUT; exit status 1 if any copy failed.

engine_timer.py table RESULTS
    Prints the markdown table of medians from RESULTS ("MEASURE/ENGINE<TAB>value" lines).
"""
import os, shlex, statistics, sys, time

DEVNULL = os.open(os.devnull, os.O_RDWR)
TIMEOUT = float(os.environ.get("ENGINE_TIMER_TIMEOUT", "180"))


def spawn(argv, errpath):
    errfd = os.open(errpath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        fa = [(os.POSIX_SPAWN_DUP2, DEVNULL, 0), (os.POSIX_SPAWN_DUP2, DEVNULL, 1),
              (os.POSIX_SPAWN_DUP2, errfd, 2)]
        return os.posix_spawnp(argv[0], argv, os.environ, file_actions=fa)
    finally:
        os.close(errfd)


def wait_all(pids):
    """Waits for every pid (killing the lot after TIMEOUT s); returns {pid: exit status}."""
    status, deadline = {}, time.monotonic() + TIMEOUT
    left = set(pids)
    while left:
        pid, st = os.waitpid(-1, os.WNOHANG) if time.monotonic() > deadline else os.waitpid(-1, 0)
        if pid == 0:                       # timed out: kill what is left, collect it
            for p in left:
                os.kill(p, 9)
            deadline = float("inf")
            continue
        if pid in left:
            left.discard(pid)
            status[pid] = os.waitstatus_to_exitcode(st)
    return status


def run_one(argv, errpath):
    pid = spawn(argv, errpath)
    return wait_all([pid])[pid]


def expand(cmd, i):
    return [a.replace("{i}", str(i)) for a in shlex.split(cmd)]


def errtext(path):
    try:
        return open(path, errors="replace").read().strip().replace("\n", " | ")[:400]
    except OSError:
        return ""


def summary(label, xs, failed):
    if not xs:
        print(f"{label:<28} n=0 failed={failed}")
        return
    xs = sorted(xs)
    p90 = xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]
    print(f"{label:<28} n={len(xs):<4} failed={failed:<3} median={statistics.median(xs):.2f} "
          f"p90={p90:.2f} min={xs[0]:.2f} max={xs[-1]:.2f}")


def seq(spec, n, warmup, out):
    cases = []
    for line in open(spec):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        kind, _, rest = line.partition(" ")
        if kind == "case":
            cases.append({"label": rest, "step": [], "post": [], "ms": [], "failed": 0, "err": ""})
        else:
            cases[-1][kind].append(rest)
    errpath = out + ".stderr"
    it = 0
    for r in range(warmup + n):
        for k in range(len(cases)):
            c = cases[(r + k) % len(cases)]
            it += 1
            ok, t0 = True, time.monotonic_ns()
            for cmd in c["step"]:
                if run_one(expand(cmd, it), errpath) != 0:
                    ok = False
                    c["err"] = c["err"] or f"{cmd}: {errtext(errpath)}"
                    break
            t1 = time.monotonic_ns()
            for cmd in c["post"]:
                run_one(expand(cmd, it), errpath)
            if r < warmup:
                continue
            if ok:
                c["ms"].append((t1 - t0) / 1e6)
            else:
                c["failed"] += 1
    with open(out, "a") as f:
        for c in cases:
            for x in c["ms"]:
                f.write(f"{c['label']}\t{x:.3f}\n")
    for c in cases:
        summary(c["label"], c["ms"], c["failed"])
        if c["err"]:
            print(f"    first failure: {c['err']}")


def par(label, k, out, cmd):
    errdir = out + ".par"
    os.makedirs(errdir, exist_ok=True)
    t0 = time.monotonic_ns()
    pids = {spawn(expand(cmd, i), f"{errdir}/{i}"): i for i in range(1, k + 1)}
    status = wait_all(list(pids))
    t1 = time.monotonic_ns()
    bad = [pids[p] for p, s in status.items() if s != 0]
    with open(out, "a") as f:
        f.write(f"{label}\t{(t1 - t0) / 1e6:.3f}\n")
    print(f"{label:<28} K={k} wall={(t1 - t0) / 1e6:.1f} ms failed={len(bad)}")
    if bad:
        print(f"    first failure (#{bad[0]}): {errtext(f'{errdir}/{bad[0]}')}")
    return 1 if bad else 0


ROWS = [  # (label in the results file, row title, unit)
    ("run", "`run --rm busybox /bin/true` (crun: the same bundle), ms", "ms"),
    ("run-unconfined", "the same, seccomp unconfined (crun: that bundle without seccomp), ms", "ms"),
    ("run-minimal", "crun of `runc spec`'s minimal bundle (no seccomp), ms", "ms"),
    ("run-default", "`run --rm` with the engine's default network, ms", "ms"),
    ("exec", "`exec CTR /bin/true` (%N running), ms", "ms"),
    ("ps", "`ps` with %N running, ms", "ms"),
    ("ps-a", "`ps -a` with %N running, ms", "ms"),
    ("create+start", "`create` + `start` of a detached `sleep`, ms", "ms"),
    ("conc50", "%N x `run -d ... sleep 600` in parallel, wall ms", "ms"),
    ("mem-daemon-idle", "daemon RSS idle (image imported, no containers), MB", "MB"),
    ("mem-daemon-50", "daemon RSS with %N running, MB", "MB"),
    ("mem-monitor-pss", "per-container monitor PSS (sum Pss / %N), MB", "MB"),
    ("mem-monitor-rss", "per-container monitor RSS (mean), MB", "MB"),
]
ENGINES = ["berth", "docker", "podman", "crun"]


def table(results):
    vals = {}
    for line in open(results):
        label, _, v = line.rstrip("\n").partition("\t")
        vals.setdefault(label, []).append(float(v))
    def med(key):
        xs = vals.get(key)
        return statistics.median(xs) if xs else None
    def fmt(x, unit):
        if x is None:
            return ""
        return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"
    def n(key):
        return len(vals.get(key, []))
    print("| measure | berth | docker | podman | crun | berth/docker | berth/podman | berth/crun |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for key, title, unit in ROWS:
        title = title.replace("%N", os.environ.get("N_CONC", "50"))
        m = {e: med(f"{key}/{e}") for e in ENGINES}
        if all(x is None for x in m.values()):
            continue
        ns = sorted({n(f"{key}/{e}") for e in ENGINES if m[e] is not None})
        if unit == "ms":
            title += f" (median, n={'/'.join(map(str, ns))})"
        ratio = lambda o: f"{m['berth'] / m[o]:.3f}" if m["berth"] is not None and m[o] else ""
        print(f"| {title} | " + " | ".join(fmt(m[e], unit) for e in ENGINES) +
              f" | {ratio('docker')} | {ratio('podman')} | {ratio('crun')} |")


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[:1] == ["seq"] and len(a) == 5:
        seq(a[1], int(a[2]), int(a[3]), a[4])
    elif a[:1] == ["par"] and len(a) >= 5:
        sys.exit(par(a[1], int(a[2]), a[3], " ".join(shlex.quote(x) for x in a[4:])))
    elif a[:1] == ["table"] and len(a) == 2:
        table(a[1])
    else:
        sys.exit(__doc__)
