#!/usr/bin/env python3
"""Reads an ftrace buffer of NAME_in / NAME_out uprobe events (bench/build-phases.sh) on stdin.

phase_timeline.py [MIN_MS]
    With MIN_MS: every call of MIN_MS ms or more, in order, indented by nesting depth (per thread).
    Then the total time, count and mean per function. A nested call counts in its caller too.
"""
import collections, re, sys

EVENT = re.compile(r"\s*\S+-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+):\s+(\w+)_(in|out):")


def main():
    min_ms = float(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] else None
    stacks = collections.defaultdict(list)
    calls = []  # (start, ms, depth, name, tid); None until the call returns
    t0 = None
    for line in sys.stdin:
        m = EVENT.match(line)
        if not m:
            continue
        tid, t, name, kind = int(m.group(1)), float(m.group(2)), m.group(3), m.group(4)
        t0 = t if t0 is None else t0
        st = stacks[tid]
        if kind == "in":
            st.append((name, t, len(calls)))
            calls.append(None)
            continue
        while st and st[-1][0] != name:  # a return whose entry was lost (a longjmp, an exception)
            st.pop()
        if st:
            _, start, i = st.pop()
            calls[i] = (start - t0, (t - start) * 1000, len(st), name, tid)
    total, count = collections.defaultdict(float), collections.Counter()
    for c in calls:
        if c:
            total[c[3]] += c[1]
            count[c[3]] += 1
    if min_ms is not None:
        for c in calls:
            if c and c[1] >= min_ms:
                print(f"{c[0] * 1000:9.1f} ms  {'  ' * c[2]}{c[3]:<11} {c[1]:9.2f} ms  [tid {c[4]}]")
    print("function     total ms  calls   mean ms")
    for name, ms in sorted(total.items(), key=lambda kv: -kv[1]):
        print(f"{name:<11} {ms:9.2f}  {count[name]:5d}  {ms / count[name]:8.2f}")


if __name__ == "__main__":
    main()
