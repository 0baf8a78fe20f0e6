#!/usr/bin/env python3
"""Table for bench/run-network-bench.sh (not a test; no third-party modules).

net_table.py RESULTS
    RESULTS: "MEASURE/ENGINE<TAB>value" lines (run-*: ms per `run --rm`, from
    bench/lib/engine_timer.py seq; tput-*: MB/s per transfer, from the bench script).
    Prints a markdown table of medians, berth beside docker, with ratios.
"""
import statistics, sys

ROWS = [  # (label in the results file, row title, unit)
    ("run-none", "`run --rm busybox /bin/true`, `--network none`, ms", "ms"),
    ("run-bridge", "`run --rm ...`, default bridge network, ms", "ms"),
    ("run-user", "`run --rm ...`, user-defined network, ms", "ms"),
    ("tput-published", "published port on 127.0.0.1, host -> container, 64 KiB writes, MB/s "
                       "(berth: nftables DNAT; docker: docker-proxy)", "MB/s"),
    ("tput-published-nc", "the same, sent with `head -c | busybox nc` (the issue's command), MB/s", "MB/s"),
    ("proxy-cpu", "CPU time of the userland proxy per GiB through the published port (64 KiB writes), ms", "ms"),
    ("tput-direct", "host -> container IP on the default bridge, no port mapping (reference), MB/s", "MB/s"),
    ("tput-c2c", "container -> container by name on a user network, 64 KiB writes, MB/s", "MB/s"),
]
ENGINES = ["berth", "docker"]


def main(results):
    vals = {}
    for line in open(results):
        label, _, v = line.rstrip("\n").partition("\t")
        if label:
            vals.setdefault(label, []).append(float(v))

    def med(key):
        xs = vals.get(key)
        return statistics.median(xs) if xs else None

    def fmt(x):
        if x is None:
            return ""
        return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"

    print("| measure | berth | docker | berth/docker |")
    print("|---|---:|---:|---:|")
    for key, title, unit in ROWS:
        m = {e: med(f"{key}/{e}") for e in ENGINES}
        if all(x is None for x in m.values()):
            continue
        ns = sorted({len(vals.get(f"{key}/{e}", [])) for e in ENGINES if m[e] is not None})
        title += f" (median, n={'/'.join(map(str, ns))})"
        ratio = f"{m['berth'] / m['docker']:.3f}" if m["berth"] is not None and m["docker"] else ""
        b = fmt(m["berth"]) if key != "proxy-cpu" else "none (no proxy)"
        print(f"| {title} | {b} | {fmt(m['docker'])} | {ratio} |")
    # Start on a bridge relative to --network none, per engine (issue target: berth within 2x).
    for key, title in (("run-bridge", "default bridge"), ("run-user", "user network")):
        r = {}
        for e in ENGINES:
            a, b = med(f"{key}/{e}"), med(f"run-none/{e}")
            r[e] = f"{a / b:.2f}x" if a is not None and b else ""
        print(f"| `run --rm` on the {title} / with `--network none` (medians) | {r['berth']} | {r['docker']} | |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
