#!/usr/bin/env python3
"""Exact held-out log-likelihoods of linear Gaussian models, the baselines for Helmholtz
machines with Gaussian observations on real-valued data (numpy only).

    scripts/gaussian_baselines.py PATCHES.idx3.gz [--q 20,50] [--fa-iterations 2000] [--limit N]
        [--flat-below S --subsets DIR]

PATCHES is one IDX images file of float32 (gzip-compressed or plain), split as hm-dist splits
a single file: the last tenth (rounded down) is the valid split, the rest train. Each pixel is
standardised as `hm-dist train --standardize` does it: by the training split's mean and
population standard deviation, z = (x - mean) / std, in float32. Fitted on the training
split, scored on the valid split:

- the full-covariance Gaussian (mean and covariance by maximum likelihood);
- probabilistic PCA with q latent dimensions (closed form, Tipping & Bishop 1999:
  sigma^2 the mean of the discarded eigenvalues, W = U_q (L_q - sigma^2 I)^(1/2));
- factor analysis with q latent dimensions (EM from the PPCA solution, until the training
  log-likelihood gains less than 1e-9 nats per point in an iteration);
- the independent Gaussian (diagonal covariance) for reference.

Prints one JSON object: for each model the mean log-likelihood in nats per patch on the train
and valid splits, in standardised units and in the data's own units (the standardised figure
minus sum_j log std_j), and the valid split's standard error; with --limit N also the same
for the first N points of the valid split (what `hm-dist eval --split valid --limit N` scores).

With --flat-below S, those points (all of the valid split without --limit) are also scored
in two groups: the near-flat patches, whose own standard deviation over their pixels (data
units) is below S, and the rest. With --subsets DIR each group is written as DIR/flat.idx and
DIR/structured.idx, IDX files whose valid split (last tenth) is exactly that group (the rest
is filler from the training split), so that `hm-dist eval --data DIR/flat.idx --split valid`
scores a machine on the same points."""
import argparse
import gzip
import json
import sys
import time

import numpy as np

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """The items of an IDX file as an [N, width] float32 array, and the image shape."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        sys.exit(f"{path}: not an IDX file")
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(raw[3])]
    values = np.frombuffer(raw, dtype=IDX_TYPES[raw[2]], offset=4 + 4 * len(dims))
    n = dims[0]
    width = int(np.prod(dims[1:]))
    if values.size != n * width:
        sys.exit(f"{path}: {values.size} values for dimensions {dims}")
    return values.reshape(n, width).astype(np.float32), dims[1:]


def write_idx(path, items, shape):
    """An uncompressed IDX file of big-endian float32 items of the given image shape."""
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 0x0D, 1 + len(shape)]))
        f.write(b"".join(int(v).to_bytes(4, "big") for v in [items.shape[0], *shape]))
        f.write(items.astype(">f4").tobytes())


def split(values):
    """hm-dist's split of a single file: the last tenth (rounded down) is valid."""
    n_valid = values.shape[0] // 10
    return values[: values.shape[0] - n_valid], values[values.shape[0] - n_valid:]


def standardization(train):
    """Per-pixel mean and population std of the training split, accumulated in float64 and
    stored as float32, as hm-dist stores them (data.mean, data.std)."""
    x = train.astype(np.float64)
    mean = x.mean(axis=0)
    variance = np.maximum((x * x).mean(axis=0) - mean * mean, 0)
    return mean.astype(np.float32), np.sqrt(variance).astype(np.float32)


def gaussian_log_likelihoods(z, mean, cov):
    """log N(z_i; mean, cov) for every row, float64."""
    d = z.shape[1]
    chol = np.linalg.cholesky(cov)
    solved = np.linalg.solve(chol, (z - mean).T)
    log_det = 2 * np.log(np.diag(chol)).sum()
    return -0.5 * (d * np.log(2 * np.pi) + log_det + (solved * solved).sum(axis=0))


def ppca(cov, q):
    """Maximum-likelihood PPCA covariance W W^T + sigma^2 I with q dimensions."""
    eigenvalues, vectors = np.linalg.eigh(cov)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, vectors = eigenvalues[order], vectors[:, order]
    sigma2 = eigenvalues[q:].mean()
    w = vectors[:, :q] * np.sqrt(np.maximum(eigenvalues[:q] - sigma2, 0))
    return w, sigma2


def factor_analysis(cov, q, iterations, tolerance=1e-9):
    """EM for factor analysis on the sample covariance (Rubin & Thayer 1982), from PPCA.
    Returns the model covariance, the iterations run and whether it converged."""
    d = cov.shape[0]
    w, sigma2 = ppca(cov, q)
    psi = np.full(d, sigma2)
    previous = -np.inf
    for iteration in range(1, iterations + 1):
        model = w @ w.T + np.diag(psi)
        beta = np.linalg.solve(model, w).T                      # q x d: W^T (W W^T + Psi)^-1
        ezz = np.eye(q) - beta @ w + beta @ cov @ beta.T         # E[z z^T], averaged
        w = np.linalg.solve(ezz.T, (cov @ beta.T).T).T           # S beta^T ezz^-1
        psi = np.maximum(np.diag(cov - w @ beta @ cov), 1e-9)
        chol = np.linalg.cholesky(w @ w.T + np.diag(psi))
        # Mean log-likelihood of the training points from the sufficient statistics.
        inverse = np.linalg.inv(chol)
        ll = -0.5 * (d * np.log(2 * np.pi) + 2 * np.log(np.diag(chol)).sum()
                     + np.trace(inverse.T @ inverse @ cov))
        if ll - previous < tolerance:
            return w @ w.T + np.diag(psi), iteration, True
        previous = ll
    return w @ w.T + np.diag(psi), iterations, False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("patches", help="one IDX images file of real values (gzip or plain)")
    parser.add_argument("--q", default="20,50", help="latent dimensions of PPCA and FA, comma-separated")
    parser.add_argument("--fa-iterations", type=int, default=2000, help="most EM iterations of factor analysis")
    parser.add_argument("--limit", type=int, help="also score the first N points of the valid split alone")
    parser.add_argument("--flat-below", type=float, help="also score near-flat and other patches apart (patch std threshold)")
    parser.add_argument("--subsets", help="with --flat-below: write the two groups as IDX files into this directory")
    args = parser.parse_args()

    started = time.time()
    values, shape = read_idx(args.patches)
    train, valid = split(values)
    mean32, std32 = standardization(train)
    z_train = ((train - mean32) / std32).astype(np.float64)
    z_valid = ((valid - mean32) / std32).astype(np.float64)
    log_jacobian = -np.log(std32.astype(np.float64)).sum()

    mu = z_train.mean(axis=0)
    centred = z_train - mu
    cov = centred.T @ centred / z_train.shape[0]                 # maximum likelihood (1/N)
    d = cov.shape[0]

    models = [("gaussian-diagonal", d, np.diag(np.diag(cov)), {}),
              ("gaussian-full", d, cov, {})]
    for q in (int(v) for v in args.q.split(",")):
        if not 0 < q < d:
            sys.exit(f"--q: expected latent dimensions between 1 and {d - 1}, found {q}")
        w, sigma2 = ppca(cov, q)
        models.append((f"ppca-{q}", q, w @ w.T + sigma2 * np.eye(d), {"sigma2": float(sigma2)}))
        fa, iterations, converged = factor_analysis(cov, q, args.fa_iterations)
        models.append((f"fa-{q}", q, fa, {"em_iterations": iterations, "converged": converged}))

    scored = valid[:args.limit] if args.limit else valid
    flat = scored.std(axis=1) < args.flat_below if args.flat_below is not None else None
    if flat is not None and args.subsets:
        for name, chosen in (("flat", scored[flat]), ("structured", scored[~flat])):
            write_idx(f"{args.subsets}/{name}.idx", np.concatenate([train[:9 * len(chosen)], chosen]), shape)

    results = []
    for name, q, model_cov, extra in models:
        ll_train = gaussian_log_likelihoods(z_train, mu, model_cov)
        ll_valid = gaussian_log_likelihoods(z_valid, mu, model_cov)
        record = {
            "model": name, "latent_dimensions": q,
            "train_log_likelihood": float(ll_train.mean()),
            "valid_log_likelihood": float(ll_valid.mean()),
            "valid_standard_error": float(ll_valid.std(ddof=1) / np.sqrt(ll_valid.size)),
            "train_log_likelihood_data_units": float(ll_train.mean() + log_jacobian),
            "valid_log_likelihood_data_units": float(ll_valid.mean() + log_jacobian),
        }
        if args.limit:
            first = ll_valid[:args.limit]
            record[f"valid_first_{first.size}_log_likelihood"] = float(first.mean())
            record[f"valid_first_{first.size}_standard_error"] = float(first.std(ddof=1) / np.sqrt(first.size))
            record[f"valid_first_{first.size}_log_likelihood_data_units"] = float(first.mean() + log_jacobian)
        if flat is not None:
            scored_ll = ll_valid[:scored.shape[0]]
            record["flat_count"] = int(flat.sum())
            record["flat_log_likelihood"] = float(scored_ll[flat].mean())
            record["structured_count"] = int((~flat).sum())
            record["structured_log_likelihood"] = float(scored_ll[~flat].mean())
        record.update(extra)
        results.append(record)

    print(json.dumps({
        "data": args.patches.rsplit("/", 1)[-1], "image_shape": shape,
        "train_count": int(train.shape[0]), "valid_count": int(valid.shape[0]),
        "standardized": True, "log_jacobian": float(log_jacobian),
        "units": "nats per patch", "seconds": round(time.time() - started, 2),
        "models": results,
    }, indent=2))


if __name__ == "__main__":
    main()
