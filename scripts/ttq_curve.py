#!/usr/bin/env python3
"""The time-to-quality curve (issue 18): test log-likelihood against minutes of training, one
line per run of scripts/time_to_quality.sh, drawn as a plain SVG.

    scripts/ttq_curve.py OUT.svg LABEL=RUN_OUT_DIR [LABEL=RUN_OUT_DIR ...] [--goal -91.5]
"""
import json, math, sys

def main(argv):
    out, runs, goal = argv[1], [], None
    args = argv[2:]
    if "--goal" in args:
        i = args.index("--goal"); goal = float(args[i + 1]); del args[i:i + 2]
    for a in args:
        label, d = a.split("=", 1)
        marks = [json.loads(l) for l in open(f"{d}/marks.jsonl") if l.strip()]
        if not marks: sys.exit(f"{d}/marks.jsonl: no marks")
        runs.append((label, [(m["seconds"] / 60, m["test_ll"]) for m in marks]))
    ys = [y for _, pts in runs for _, y in pts] + ([goal] if goal is not None else [])
    lo, hi = min(ys) - 0.5, max(ys) + 0.5
    W, H, L, R, T, B = 560, 340, 70, 20, 20, 50
    X = lambda m: L + (W - L - R) * m / 20
    Y = lambda v: T + (H - T - B) * (hi - v) / (hi - lo)
    colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"]
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>',
         f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>']
    for m in range(0, 21, 5):
        s.append(f'<text x="{X(m)}" y="{H - B + 16}" text-anchor="middle">{m}</text>')
    v = math.ceil(lo)  # the first whole nat in range (int() rounds negatives up)
    while v <= hi:
        s.append(f'<text x="{L - 6}" y="{Y(v) + 4}" text-anchor="end">{v}</text>')
        s.append(f'<line x1="{L}" y1="{Y(v)}" x2="{W - R}" y2="{Y(v)}" stroke="#ddd"/>')
        v += 1
    s.append(f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">minutes of training</text>')
    s.append(f'<text x="16" y="{(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 {(T + H - B) / 2})">test log-likelihood (nats)</text>')
    if goal is not None:
        s.append(f'<line x1="{L}" y1="{Y(goal)}" x2="{W - R}" y2="{Y(goal)}" stroke="black" stroke-dasharray="4 3"/>')
        s.append(f'<text x="{W - R - 4}" y="{Y(goal) - 4}" text-anchor="end">goal {goal}</text>')
    for i, (label, pts) in enumerate(runs):
        c = colours[i % len(colours)]
        s.append(f'<polyline fill="none" stroke="{c}" stroke-width="2" points="{" ".join(f"{X(m):.1f},{Y(y):.1f}" for m, y in pts)}"/>')
        for m, y in pts: s.append(f'<circle cx="{X(m):.1f}" cy="{Y(y):.1f}" r="3" fill="{c}"/>')
        s.append(f'<text x="{W - R - 10}" y="{H - B - 10 - 16 * (len(runs) - 1 - i)}" fill="{c}" text-anchor="end">{label}</text>')
    s.append('</svg>')
    open(out, "w").write("\n".join(s) + "\n")

if __name__ == "__main__":
    main(sys.argv)
