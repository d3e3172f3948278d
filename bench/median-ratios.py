#!/usr/bin/env python3
"""median-ratios.py REPORT.json... : per run, reef series vs hnswlib at recall
targets (1 search thread): QPS interpolated log-linearly between the ef
values around the target (as bench.Report.AtRecall does), the p50 latency
ratio of the first ef reaching it, build time (2 threads) and bytes per
vector; then the median of each ratio over the runs."""
import json, math, statistics, sys
from collections import defaultdict

def at_recall(rows, target):
    rows = sorted(rows, key=lambda r: r["ef"])
    for i, r in enumerate(rows):
        if r["recall"] < target:
            continue
        qps = r["qps"]
        if i > 0:
            p = rows[i - 1]
            d = r["recall"] - p["recall"]
            if d > 0:
                f = (target - p["recall"]) / d
                qps = math.exp(math.log(p["qps"]) + f * (math.log(r["qps"]) - math.log(p["qps"])))
        return qps, r["p50_us"], r["ef"]
    return None

def main(paths, targets=(0.90, 0.95, 0.99)):
    ratios = defaultdict(list)
    for path in paths:
        rep = json.load(open(path))
        series = defaultdict(list)
        for r in rep["rows"]:
            if r["threads"] == 1:
                series[(r["source"], r["backend"])].append(r)
        base = series[("hnswlib", "hnswlib")]
        print(path)
        for key, rows in series.items():
            if key[0] == "hnswlib":
                continue
            name = key[1]
            for t in targets:
                a, b = at_recall(rows, t), at_recall(base, t)
                if a and b:
                    ratios[(name, t, "qps")].append(a[0] / b[0])
                    ratios[(name, t, "p50")].append(b[1] / a[1])
                    print(f"  {name:9s} recall {t:.2f}: ef {a[2]} vs {b[2]}  QPS {a[0]:7.0f} vs {b[0]:7.0f} = {a[0]/b[0]:.2f}x  p50 {a[1]:.0f} vs {b[1]:.0f} µs = {b[1]/a[1]:.2f}x")
            ratios[(name, 0, "build")].append(rows[0]["build_s"] / base[0]["build_s"])
            ratios[(name, 0, "bytes")].append(rows[0]["bytes_per_vector"] / base[0]["bytes_per_vector"])
            print(f"  {name:9s} build {rows[0]['build_s']:.1f} s vs {base[0]['build_s']:.1f} s, bytes/vector {rows[0]['bytes_per_vector']:.0f} vs {base[0]['bytes_per_vector']:.0f}")
    print(f"median over {len(paths)} runs:")
    for (name, t, what), v in sorted(ratios.items()):
        label = f"recall {t:.2f} {what}" if t else what
        print(f"  {name:9s} {label:18s} {statistics.median(v):.2f}x  (runs: {', '.join(f'{x:.2f}' for x in v)})")

if __name__ == "__main__":
    main(sys.argv[1:])
