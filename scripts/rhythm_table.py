#!/usr/bin/env python3
"""The rhythm experiment's table (RESULTS.md) from scripts/rhythm_experiment.sh's lines on stdin:
mean ± s.d. over seeds of each (stage, visible units, rule)."""
import json
import statistics
import sys

rows = {}
for line in sys.stdin:
    if line.strip():
        r = json.loads(line)
        s = r["score"]
        rows.setdefault((r["stage"], s["visible"], s["rule"]), []).append(s)

def cell(values, digits):
    m = statistics.mean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{m:.{digits}f} ± {sd:.{digits}f}"

print("| model | visible units | rule | seeds | accepted | distinct | distinct accepted | KL from uniform (nats) |")
print("|---|---|---|---|---|---|---|---|")
for (stage, visible, rule), scores in rows.items():
    print(f"| {stage} | {visible} | {rule} | {len(scores)} | {cell([s['accepted_fraction'] for s in scores], 4)} "
          f"| {cell([s['distinct'] for s in scores], 1)} | {cell([s['distinct_accepted'] for s in scores], 1)} "
          f"| {cell([s['kl_from_uniform'] for s in scores], 3)} |")
