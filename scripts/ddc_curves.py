#!/usr/bin/env python3
"""Curves of scripts/ddc_experiments.sh's lines as one SVG: a score of every algorithm against
steps and against training seconds.

    scripts/ddc_curves.py OUT.svg [--score ll|mmd|bound] [--line LABEL=VALUE] < LINES.jsonl

ll: the log-likelihood (exact, or importance-sampled; ddc's with a q fitted afterwards);
mmd: the MMD² against the split; bound: the K = 1 bound. --line draws a constant (e.g. the
teacher's log-likelihood)."""
import argparse
import json
import math
import sys

# The palette of `hm-dist report` (Okabe–Ito, safe for colour-blind readers).
COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]


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
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--score", default="ll", choices=["ll", "mmd", "bound"])
    ap.add_argument("--line", action="append", default=[])
    a = ap.parse_args()
    series = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        r = json.loads(line)
        v = {"ll": r["eval"]["log_likelihood"], "mmd": r["eval"].get("mmd"), "bound": r["bound_k1"]["log_likelihood"]}[a.score]
        series.setdefault(r["algorithm"], []).append((r["step"], r["seconds"] or 0.0, v))
    curves = [(name, sorted(pts)) for name, pts in series.items()]
    for spec in a.line:
        label, value = spec.split("=", 1)
        xmax = max(p[0] for _, pts in curves for p in pts)
        tmax = max(p[1] for _, pts in curves for p in pts)
        curves.append((label, [(0, 0, float(value)), (xmax, tmax, float(value))]))
    values = [p[2] for _, pts in curves for p in pts]
    span = max(values) - min(values) or 1
    unit = 10 ** math.floor(math.log10(span))
    lo, hi = math.floor(min(values) / unit) * unit, math.ceil(max(values) / unit) * unit
    digits = max(0, -int(math.floor(math.log10(unit))))
    ylabel = {"ll": "log-likelihood (nats)", "mmd": "MMD²", "bound": "K = 1 bound (nats)"}[a.score]
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="1020" height="380" font-family="sans-serif">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="200" transform="rotate(-90 10 200)" text-anchor="middle" font-size="12">{ylabel}</text>']
    svg += panel(10, curves, 0, "against steps", "steps (batch 100)", lo, hi, f".{digits}f")
    svg += panel(510, curves, 1, "against training time", "seconds", lo, hi, f".{digits}f")
    svg.append("</svg>")
    with open(a.out, "w") as f:
        f.write("\n".join(svg))


if __name__ == "__main__":
    main()
