#!/usr/bin/env python3
"""Planted spike patterns against found ones (RESULTS.md): one-to-one Hungarian matching on
the cosine similarity of the patterns (channels x lags), a match where it is at least 0.8.

    scripts/spikes_match.py TRUTH.json FOUND.json [--spade]

TRUTH is `hm-dist spikes-synth`'s truth.json; FOUND is `hm-dist patterns --json` (each unit's
pattern: the change in firing probability), or with --spade a JSON list of patterns, each a
list of [channel, lag]. Prints precision, recall, the planted and found counts and the
matched similarities, and per planted pattern its size, rate and matched similarity."""
import json
import sys

import numpy as np
from scipy.optimize import linear_sum_assignment


def main():
    truth = json.load(open(sys.argv[1]))
    found = json.load(open(sys.argv[2]))
    spade = "--spade" in sys.argv
    channels = truth["channels"]
    planted = truth["patterns"]
    lags = 1 + max([l for p in planted for _, l in p["spikes"]] + [0])
    if spade:
        lags = max(lags, 1 + max([l for p in found for _, l in p] + [0]))
        vectors = []
        for p in found:
            v = np.zeros(channels * lags)
            for c, l in p:
                v[c * lags + l] = 1
            vectors.append(v)
    else:
        vectors = []
        for u in found.get("units", []):
            m = np.array(u["pattern"])              # channels x window
            v = np.zeros((channels, lags))
            w = min(lags, m.shape[1])
            v[:, :w] = m[:, :w]
            vectors.append(np.maximum(v.reshape(-1), 0))
    targets = []
    for p in planted:
        v = np.zeros(channels * lags)
        for c, l in p["spikes"]:
            v[c * lags + l] = 1
        targets.append(v)
    matched, per_pattern = [], [{"size": len(p["spikes"]), "rate": p["rate"], "similarity": 0.0} for p in planted]
    if targets and vectors:
        sim = np.array([[t @ f / (np.linalg.norm(t) * np.linalg.norm(f) + 1e-12) for f in vectors] for t in targets])
        rows, cols = linear_sum_assignment(-sim)
        matched = [float(sim[r, c]) for r, c in zip(rows, cols)]
        for r, c in zip(rows, cols):
            per_pattern[r]["similarity"] = float(sim[r, c])
    hits = sum(s >= 0.8 for s in matched)
    print(json.dumps({"planted": len(targets), "found": len(vectors), "matched": hits,
                      "precision": hits / len(vectors) if vectors else None,
                      "recall": hits / len(targets) if targets else None,
                      "similarities": sorted(matched, reverse=True), "per_pattern": per_pattern}, sort_keys=True))


if __name__ == "__main__":
    main()
