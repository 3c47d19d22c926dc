#!/usr/bin/env python3
"""SPADE (elephant) on the spikes of a spikes-synth recording, for the comparison of
RESULTS.md: the significant repeated patterns as a JSON list of [channel, lag] lists.

    scripts/spade_baseline.py SPIKES.csv OUT.json [--bin-ms 2] [--winlen 1] [--surrogates 100]

Bins of --bin-ms, patterns of at most --winlen bins, at least 2 spikes, occurring at least 3
times; significance by --surrogates spike-dithered surrogates (alpha 0.05, Benjamini-Hochberg,
pattern spectrum '#'). SPADE's own pattern set reduction (psr_param [0, 0, 0]) removed every
pattern here, so a simple one of ours replaces it: for significant patterns A ⊂ B, B is kept
and A dropped when B occurs at least 0.3 times as often as A (A is a fragment of B), else B is
dropped (B is A with a chance spike). Prints the seconds it took on stdout."""
import argparse
import json
import time

import numpy as np
import quantities as pq
import neo
from elephant.spade import spade


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spikes")
    ap.add_argument("out")
    ap.add_argument("--bin-ms", type=float, default=2)
    ap.add_argument("--winlen", type=int, default=1)
    ap.add_argument("--surrogates", type=int, default=100)
    a = ap.parse_args()
    rows = np.genfromtxt(a.spikes, delimiter=",", names=True, dtype=None, encoding="utf-8")
    units = sorted({int(u) for u in rows["unit"]})
    end = float(rows["time_seconds"].max()) + 1e-3
    trains = [neo.SpikeTrain(np.sort(rows["time_seconds"][rows["unit"] == u]) * pq.s, t_stop=end * pq.s) for u in units]
    started = time.time()
    result = spade(trains, bin_size=a.bin_ms * pq.ms, winlen=a.winlen, min_spikes=2, min_occ=3,
                   n_surr=a.surrogates, alpha=0.05, stat_corr="fdr_bh", psr_param=None, output_format="patterns")
    seconds = time.time() - started
    patterns = [[[units[n], int(l)] for n, l in zip(p["neurons"], [0] + [int(round(float(x) / a.bin_ms)) for x in np.asarray(getattr(p["lags"], "magnitude", p["lags"]))])]
                for p in result["patterns"]]
    occurrences = [len(p["times"]) for p in result["patterns"]]
    sets = [frozenset(map(tuple, p)) for p in patterns]
    dropped = set()
    for i, small in enumerate(sets):
        for j, large in enumerate(sets):
            if small < large:
                dropped.add(i if occurrences[j] >= 0.3 * occurrences[i] else j)
    patterns = [p for k, p in enumerate(patterns) if k not in dropped]
    json.dump(patterns, open(a.out, "w"))
    print(json.dumps({"seconds": seconds, "patterns": len(patterns)}))


if __name__ == "__main__":
    main()
