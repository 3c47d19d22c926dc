#!/usr/bin/env python3
"""The synthetic data set of the ddc comparison (RESULTS.md): a known Helmholtz machine whose
posteriors are multimodal by construction, sampled into IDX files hm-dist reads, with the
teacher's exact log-likelihood of each split (numpy only).

    scripts/ddc_synthetic.py OUT_DIR [--seed 1] [--train 20000] [--held 2000]

The teacher, top down (the student's layers are `8:gaussian,4,3:categorical`):

- z2: categorical over 3 states, prior (0.5, 0.3, 0.2);
- z1: 4 Bernoulli units, logits W[:, z2] (each z2 state switches on its own pair of units,
  logit +3 on, -3 off);
- x: 8 Gaussian units, mean A z1 + c, standard deviation 0.5; A's columns 3 and 4 equal its
  columns 1 and 2, so z1 = (1,0,0,0) and (0,0,1,0) (and 2 and 4) give the same mean: given x,
  which of the two units is on is decided only by z2's prior through W, and p(z1 | x) has
  two modes wherever the data cannot tell them apart.

Writes OUT_DIR/{train,valid,test}-images.idx (float32 [N, 1, 8]) and prints one JSON object
with the teacher's exact mean log-likelihood per split (enumerating the 3 x 16 latents)."""
import argparse
import json
import os

import numpy as np

PRIOR = np.array([0.5, 0.3, 0.2])
W = np.array([[3, -3, 3], [3, 3, -3], [-3, 3, 3], [-3, -3, -3]], dtype=float) # [4 units, 3 states]
SD = 0.5


def teacher(rng):
    a12 = rng.normal(0, 1.5, size=(8, 2))
    A = np.concatenate([a12, a12], axis=1)
    c = rng.normal(0, 0.5, size=8)
    return A, c


def sample(n, A, c, rng):
    z2 = rng.choice(3, size=n, p=PRIOR)
    z1 = (rng.random((n, 4)) < 1 / (1 + np.exp(-W[:, z2].T))).astype(float)
    return (z1 @ A.T + c + SD * rng.normal(size=(n, 8))).astype(np.float32)


def exact_ll(x, A, c):
    """log p(x) = logsumexp over z2, z1 of log p(z2) + log p(z1 | z2) + log N(x; A z1 + c, SD²)."""
    terms = []
    for k in range(3):
        pz1 = 1 / (1 + np.exp(-W[:, k]))
        for s in range(16):
            z1 = np.array([(s >> j) & 1 for j in range(4)], dtype=float)
            lp = np.log(PRIOR[k]) + np.sum(z1 * np.log(pz1) + (1 - z1) * np.log(1 - pz1))
            r = x - (A @ z1 + c)
            terms.append(lp - 0.5 * np.sum(r * r, axis=1) / SD**2 - 8 * np.log(SD) - 4 * np.log(2 * np.pi))
    t = np.stack(terms)
    top = t.max(axis=0)
    return top + np.log(np.exp(t - top).sum(axis=0))


def write_idx(path, x):
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 0x0D, 3]))
        for d in (x.shape[0], 1, x.shape[1]):
            f.write(int(d).to_bytes(4, "big"))
        f.write(x.astype(">f4").tobytes())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--train", type=int, default=20000)
    ap.add_argument("--held", type=int, default=2000)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    A, c = teacher(rng)
    os.makedirs(a.out, exist_ok=True)
    report = {}
    for split, n in (("train", a.train), ("valid", a.held), ("test", a.held)):
        x = sample(n, A, c, rng)
        write_idx(os.path.join(a.out, f"{split}-images.idx"), x)
        report[f"teacher_{split}_log_likelihood"] = float(exact_ll(x.astype(float), A, c).mean())
    print(json.dumps(report, sort_keys=True))


if __name__ == "__main__":
    main()
