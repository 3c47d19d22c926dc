#!/usr/bin/env python3
"""An alpha-beta model of a training step's collectives at 64-1,024 ranks (issue 18).

Reads what hm-dist measured and prints Markdown tables (standard library only):

  --check-comm FILE   `hm-dist check-comm --timing --json` (its `allreduce_sweep`): alpha and
                      beta are fitted there by least squares, as a ring allreduce over its
                      world size would cost them.
  --bench W=FILE      `hm-dist bench --workload W --timeline --json` at one rank: T1, the step's
                      compute time at the workload's batch, and the parts of it that do not
                      depend on the batch: the `optimizer` phase (every rank all of it) and
                      the `factor` and `solve` phases (split among the ranks by units).
  --collectives W=FILE  `hm-dist bench --workload W --json` at two ranks or more: the step's
                      collectives (operation, bytes per rank, calls over `collective_steps`
                      steps), as the engine sends them.

Model, for p ranks, a message of n bytes, latency alpha, seconds per byte beta and seconds per
byte reduced gamma:
  allreduce, ring:               2(p-1)alpha + 2((p-1)/p) n beta + ((p-1)/p) n gamma
  allreduce, recursive doubling: log2(p) (alpha + n beta + n gamma)
  allgather, ring:               (p-1)alpha + ((p-1)/p) N beta   (N: the gathered bytes)
Each allreduce takes the cheaper of the two. Every collective counts as not overlapped with
compute (the engine overlaps the generative gradients' sum with the sleep phase: the model is
conservative there). An allgather whose gathered whole was under 1 KiB at the measured world
size is counted per rank (a rank's count or bound: the whole grows with p); a larger one is a
fixed whole split among the ranks (the natural gradient's solved units).

A rank's compute at per-rank batch b on p ranks: T(b, p) = O + S ceil(U/p)/U + (T1 - O - S) b/B,
B the workload's batch, O the optimizer, S the factor and solve phases, split by units (U: the
widest layer's, for want of each layer's share of S); linear in b, which is optimistic at small
b (smaller products run below the GEMM rate). Efficiency E = T / (T + comm(p)).
"""
import argparse
import json
import math

# Published figures of current cluster interconnects (alpha: MPI small-message latency across
# a switch; beta: 1 / link bandwidth). gamma: an assumed 1 / (5 GB/s) for one core summing
# float buffers (each summed byte reads two and writes one), the same for all.
PUBLISHED = [
    # vendor datasheet, NVIDIA/Mellanox InfiniBand HDR 200 Gb/s (ConnectX-6): 25 GB/s per port,
    # sub-microsecond adapter latency; 1.5 us allows for switch hops at 64-1,024 nodes.
    ("InfiniBand HDR 200 Gb/s (vendor datasheet)", 1.5e-6, 1 / 25e9),
    # vendor datasheet, NVIDIA InfiniBand NDR 400 Gb/s (ConnectX-7): 50 GB/s per port.
    ("InfiniBand NDR 400 Gb/s (vendor datasheet)", 1.5e-6, 1 / 50e9),
]
GAMMA = 1 / 5e9
RANKS = [64, 128, 256, 512, 1024]
STRONG_PER_RANK_AT = 64   # strong scaling's global batch: the weak batch at 64 ranks


def fit(check_comm):
    """alpha, beta (gamma folded into beta) from the sweep's medians by weighted least squares."""
    p = check_comm["world_size"]
    points = [(t["bytes"], t["median_milliseconds"] / 1e3) for t in check_comm["allreduce_sweep"]]
    # Weighted by 1 / t^2 (relative errors): unweighted, the largest sizes alone would set
    # the intercept, and with it the latency.
    w = [1 / y ** 2 for _, y in points]
    sw = sum(w)
    mx = sum(wi * x for wi, (x, _) in zip(w, points)) / sw
    my = sum(wi * y for wi, (_, y) in zip(w, points)) / sw
    slope = (sum(wi * (x - mx) * (y - my) for wi, (x, y) in zip(w, points))
             / sum(wi * (x - mx) ** 2 for wi, (x, _) in zip(w, points)))
    intercept = my - slope * mx
    # ring at p: intercept = 2(p-1) alpha, slope = 2((p-1)/p) beta
    return max(intercept, 0) / (2 * (p - 1)), slope * p / (2 * (p - 1)), points, p


def allreduce(p, n, alpha, beta, gamma):
    ring = 2 * (p - 1) * alpha + 2 * (p - 1) / p * n * beta + (p - 1) / p * n * gamma
    doubling = math.log2(p) * (alpha + n * beta + n * gamma)
    return ring, doubling


def allgather(p, whole, alpha, beta):
    return (p - 1) * alpha + (p - 1) / p * whole * beta


def step_comm(collectives, measured_p, p, alpha, beta, gamma):
    """Per step: allreduces all by ring, all by recursive doubling, the allgathers, and the
    total with each allreduce by the cheaper of the two."""
    ring = doubling = gather = 0.0
    for c in collectives:
        if c["operation"] == "allreduce":
            r, d = allreduce(p, c["bytes"], alpha, beta, gamma)
            ring += c["per_step"] * r
            doubling += c["per_step"] * d
        elif c["operation"] == "allgather":
            whole = c["bytes"] * measured_p
            whole = c["bytes"] * p if whole < 1024 else whole
            gather += c["per_step"] * allgather(p, whole, alpha, beta)
    best = sum(min(allreduce(p, c["bytes"], alpha, beta, gamma)) * c["per_step"]
               for c in collectives if c["operation"] == "allreduce") + gather
    return ring, doubling, gather, best


class Compute:
    """A rank's compute per step, from a one-rank bench with its timeline."""

    def __init__(self, bench):
        self.batch = round(bench["points_per_second"] * bench["step_milliseconds"] / 1e3)
        self.t1 = bench["step_milliseconds"] / 1e3
        self.units = max(bench["layers"])
        self.optimizer = self.split = 0.0
        summary = bench.get("timeline_summary")
        if summary:
            phase = {ph["phase"]: ph["max_seconds"] for ph in summary["phases"]}
            self.t1 = summary["step_seconds"]
            self.optimizer = phase.get("optimizer", 0)
            self.split = phase.get("factor", 0) + phase.get("solve", 0)

    def fixed(self, p):
        """The batch-independent seconds on p ranks."""
        return self.optimizer + self.split * math.ceil(self.units / p) / self.units

    def per_point(self):
        return (self.t1 - self.optimizer - self.split) / self.batch

    def at(self, b, p):
        return self.fixed(p) + self.per_point() * b


def table(name, alpha, beta, gamma, workloads):
    g = f"1 / ({1 / gamma / 1e9:.1f} GB/s)" if gamma > 0 else "0 (folded into beta)"
    out = [f"**{name}**: alpha = {alpha * 1e6:.2f} us, beta = 1 / ({1 / beta / 1e9:.2f} GB/s), gamma = {g}", "",
           "| workload | p | allreduce ring ms | allreduce rec. doubling ms | allgather ms | comm ms (best) "
           "| weak: step ms | weak: E | strong: batch/rank | strong: step ms | strong: E | smallest batch/rank for E ≥ 90 % | its global batch |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for w, (c, collectives, measured_p) in workloads.items():
        for p in RANKS:
            ring, doubling, gather, comm = step_comm(collectives, measured_p, p, alpha, beta, gamma)
            weak = c.at(c.batch, p)
            strong_b = c.batch * STRONG_PER_RANK_AT / p
            # E >= 0.9  <=>  T(b, p) >= 9 comm
            b90 = max(1, math.ceil((9 * comm - c.fixed(p)) / c.per_point()))
            strong = c.at(strong_b, p)
            out.append(f"| {w} | {p} | {1e3 * ring:.3f} | {1e3 * doubling:.3f} | {1e3 * gather:.3f} | {1e3 * comm:.3f} "
                       f"| {1e3 * (weak + comm):.2f} | {weak / (weak + comm):.3f} "
                       f"| {strong_b:g} | {1e3 * (strong + comm):.2f} | {strong / (strong + comm):.3f} "
                       f"| {b90} | {b90 * p:,} |")
    return out


def pairs(items):
    return dict(item.split("=", 1) for item in items)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check-comm", required=True)
    ap.add_argument("--bench", action="append", default=[], help="W=FILE, one rank")
    ap.add_argument("--collectives", action="append", default=[], help="W=FILE, two ranks or more")
    args = ap.parse_args()
    alpha, beta, points, p_fit = fit(json.load(open(args.check_comm)))
    if beta <= 0:
        raise SystemExit("alpha_beta_model.py: the sweep's times do not grow with the size: no per-byte cost to fit")
    benches, colls = pairs(args.bench), pairs(args.collectives)
    workloads = {}
    for w in benches:
        c = json.load(open(colls[w]))
        steps = c.get("collective_steps", 1)
        collectives = [dict(x, per_step=x["count"] / steps) for x in c["collectives"]]
        workloads[w] = (Compute(json.load(open(benches[w]))), collectives, c["world_size"])
    print(f"Fit on `check-comm --timing` at {p_fit} ranks ({len(points)} sizes, {points[0][0]} B to {points[-1][0]:,} B): "
          f"alpha = {alpha * 1e6:.2f} us, beta = 1 / ({1 / beta / 1e9:.2f} GB/s) (gamma folded into beta)\n")
    print("| workload | T1 ms | optimizer ms | factor + solve ms (split) | batch | per step: allreduce bytes × calls | allgather bytes/rank × calls (at the measured p) |")
    print("|---|---|---|---|---|---|---|")
    for w, (c, collectives, mp) in workloads.items():
        def calls(op):
            return ", ".join(f"{x['bytes']:,} × {x['per_step']:g}" for x in collectives if x["operation"] == op) or "none"
        print(f"| {w} | {1e3 * c.t1:.2f} | {1e3 * c.optimizer:.2f} | {1e3 * c.split:.2f} | {c.batch} | {calls('allreduce')} | {calls('allgather')} (p = {mp}) |")
    print()
    for name, a, b, g in [("This machine, fitted", alpha, beta, 0.0)] + [(n, a, b, GAMMA) for n, a, b in PUBLISHED]:
        print("\n".join(table(name, a, b, g, workloads)))
        print()


if __name__ == "__main__":
    main()
