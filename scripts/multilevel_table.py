#!/usr/bin/env python3
"""The multilevel-cues table of RESULTS.md from scripts/multilevel_experiment.sh's output
(one JSON object per line on stdin): per arm, the mean ± s.d. over seeds of the test
log-likelihood, training seconds and, where measured, the quality and diversity measures."""
import json
import statistics
import sys

FIELDS = [("ll", "test log-lik. (nats)", 2), ("seconds", "train s", 0), ("confidence", "classifier conf.", 3),
          ("entropy", "label entropy (nats)", 3), ("hamming", "NN Hamming", 1), ("distinct", "distinct", 0),
          ("copies", "training copies", 3), ("mmd", "MMD²", 4)]


def values(r):
    v = {"ll": r["eval"]["log_likelihood"], "seconds": r["train"]["train_seconds"]}
    q = r.get("quality")
    if q:
        v.update(confidence=q.get("classifier_confidence_mean"), entropy=q.get("label_entropy"),
                 hamming=q.get("nearest_hamming_mean"), distinct=q.get("distinct"),
                 copies=q.get("training_copies"), mmd=q.get("mmd"))
    return v


def cell(xs, digits):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "—"
    m = statistics.mean(xs)
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return f"{m:.{digits}f} ± {sd:.{digits}f}"


def main():
    rows = [json.loads(line) for line in sys.stdin if line.strip()]
    arms = list(dict.fromkeys(r["arm"] for r in rows))
    present = [f for f in FIELDS if any(values(r).get(f[0]) is not None for r in rows)]
    print("| arm | seeds | " + " | ".join(f[1] for f in present) + " |")
    print("|---|---|" + "---|" * len(present))
    for arm in arms:
        vs = [values(r) for r in rows if r["arm"] == arm]
        print(f"| {arm} | {len(vs)} | " + " | ".join(cell([v.get(k) for v in vs], d) for k, _, d in present) + " |")


if __name__ == "__main__":
    main()
