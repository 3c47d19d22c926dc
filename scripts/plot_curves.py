#!/usr/bin/env python3
"""Held-out log-likelihood curves of several runs as one SVG (no plotting library needed).

    scripts/plot_curves.py OUT.svg LABEL=RUN_DIR [LABEL=RUN_DIR ...]

Two panels: against training steps and against wall-clock seconds (the `time` field of
metrics.jsonl, which includes the estimates themselves). The estimates are those of
`--eval-every`: `test_log_likelihood` (runs with `--eval-split test`) or
`valid_log_likelihood`; all runs must have the same kind."""
import json
import sys

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def curve(run_dir):
    """(step, time, estimate) of every held-out estimate, and its split."""
    points, splits = [], set()
    with open(f"{run_dir}/metrics.jsonl") as f:
        for line in f:
            r = json.loads(line)
            for split in ("test", "valid"):
                if f"{split}_log_likelihood" in r:
                    points.append((r["step"], r["time"], r[f"{split}_log_likelihood"]))
                    splits.add((split, r.get(f"{split}_samples")))
    if len(splits) != 1:
        sys.exit(f"{run_dir}/metrics.jsonl: expected estimates of one split and K, found {sorted(splits) or 'none'}")
    return points, splits.pop()


def panel(x0, series, key, title, xlabel, lo, hi, yfmt=".0f"):
    w, h, left, top = 420, 300, 60, 30
    xs = [p[key] for _, pts in series for p in pts]
    xmax = max(xs) * 1.02
    out = [f'<g transform="translate({x0},0)">',
           f'<text x="{left + w / 2}" y="18" text-anchor="middle" font-size="14">{title}</text>',
           f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#444"/>']
    for i in range(6):
        v = lo + (hi - lo) * i / 5
        y = top + h - h * i / 5
        out.append(f'<line x1="{left}" x2="{left + w}" y1="{y}" y2="{y}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" font-size="11">{v:{yfmt}}</text>')
    for i in range(6):
        v = xmax * i / 5
        x = left + w * i / 5
        out.append(f'<text x="{x}" y="{top + h + 16}" text-anchor="middle" font-size="11">{v:.0f}</text>')
    out.append(f'<text x="{left + w / 2}" y="{top + h + 34}" text-anchor="middle" font-size="12">{xlabel}</text>')
    for k, (label, pts) in enumerate(series):
        c = COLORS[k % len(COLORS)]
        coords = " ".join(f"{left + w * p[key] / xmax:.1f},{top + h - h * (p[2] - lo) / (hi - lo):.1f}" for p in pts)
        out.append(f'<polyline points="{coords}" fill="none" stroke="{c}" stroke-width="2"/>')
        for p in pts:
            out.append(f'<circle cx="{left + w * p[key] / xmax:.1f}" cy="{top + h - h * (p[2] - lo) / (hi - lo):.1f}" r="2.5" fill="{c}"/>')
        out.append(f'<text x="{left + 10}" y="{top + 18 + 16 * k}" font-size="12" fill="{c}">{label}</text>')
    out.append("</g>")
    return out


def main():
    out_path, specs = sys.argv[1], sys.argv[2:]
    curves = [(s.split("=", 1)[0], curve(s.split("=", 1)[1])) for s in specs]
    kinds = {kind for _, (_, kind) in curves}
    if len(kinds) != 1:
        sys.exit(f"the runs hold estimates of different splits or K: {sorted(kinds)}")
    split, samples = kinds.pop()
    series = [(label, pts) for label, (pts, _) in curves]
    values = [p[2] for _, pts in series for p in pts]
    lo, hi = (min(values) // 5) * 5, (max(values) // 5 + 1) * 5
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="1020" height="380" font-family="sans-serif">',
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="200" transform="rotate(-90 10 200)" text-anchor="middle" font-size="12">'
           f'{"test" if split == "test" else "validation"} log-likelihood (nats, K = {samples})</text>']
    svg += panel(10, series, 0, "against steps", "steps (batch 100)", lo, hi)
    svg += panel(510, series, 1, "against wall time", "seconds", lo, hi)
    svg.append("</svg>")
    with open(out_path, "w") as f:
        f.write("\n".join(svg))


if __name__ == "__main__":
    main()
